/**
 * The mesh: membership gossip, failure detection, broadcast and direct messages over whatever
 * sessions the node holds. It never opens streams itself; it sends through Session objects and
 * asks the node to dial through `dialMember`.
 */
import { nanoid } from 'nanoid'
import * as varint from 'uint8-varint'
import { DeliveryError, InvalidFrameError } from '../errors.ts'
import { encodeJsonFrame, splitList } from '../protocol/json-codec.ts'
import { encodeTextLine } from '../protocol/text-codec.ts'
import { ErrorCode, MemberState } from '../protocol/frames.ts'
import { SendWhen } from '../protocol/overlay-protocol.ts'
import { isPresent, Roster, syncFrames, toFrame } from './roster.ts'
import { SeenCache } from './seen.ts'
import { Signer, Verifier } from './signing.ts'
import { BeatRelay } from './beat-relay.ts'
import { BroadcastTree } from './tree.ts'
import { AckOutcome, PendingAcks } from './pending.ts'
import { fillAck, fillMsg, wireBytes } from './unsigned.ts'
import { checkMember, isClaim, MemberDrop, nextInc } from './trust.ts'
import type { OverlayEvent, OverlayEvents } from './events.ts'
import type { Member } from './roster.ts'
import type { AckFrame, Frame, GraftFrame, HeartbeatFrame, IHaveFrame, MemberFrame, MsgFrame, PruneFrame } from '../protocol/frames.ts'
import type { CloseReason, Session } from '../protocol/overlay-protocol.ts'
import type { ModeBehaviour } from '../node/modes.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { PrivateKey } from '@libp2p/interface'

const encoder = new TextEncoder()
/** Messages stamped further than this from our clock are refused as replays or forgeries. */
const MAX_CLOCK_SKEW_MS = 60_000
/** Failed and left members are forgotten after this long. */
const REAP_AFTER_MS = 10 * 60_000
/** Every this many heartbeats, a peer tries to reach one failed member (heals partitions). */
const HEAL_EVERY_TICKS = 3
/** Broadcast tree: ask for an announced message this long after its IHAVE if the tree has not brought it. */
const GRAFT_AFTER_MS = 500
/** Relayed heartbeats are batched for this long: it bounds the delay they gain per hop. */
const BEAT_FLUSH_MS = 100
/** Broadcast tree: relayed frames are kept this long (and up to this many bytes) to answer GRAFTs. */
const TREE_CACHE_MS = 10_000
const TREE_CACHE_BYTES = 16 * 1024 * 1024
/** Broadcast tree: announced ids waited for at once. */
const TREE_MAX_MISSING = 10_000

export interface MeshStats {
  delivered: number
  relayed: number
  duplicate: number
  forged: number
  stale: number
  hopLimit: number
  malformed: number
  nameConflicts: number
  /** Broadcast-tree frames received: IHAVE, GRAFT and PRUNE. */
  control: number
  /** MEMBER claims (alive, left) not signed by the member or its host, or a host speaking for a self-speaking member. */
  memberForged: number
  /** MEMBER frames whose peerId or host is not a peer id. */
  memberBadId: number
  /** Reports (suspect, failed) with an incarnation past the member's latest claim + 1, or that would overflow ours. */
  memberBadInc: number
  /** Reports about a member this node never heard claim itself (also honest news of members failed before we met them). */
  memberUnknown: number
  /** Frames from a leaf about anyone but itself (MEMBER, HEARTBEAT entries, MSG, ACK). */
  leafOther: number
  /** Upstream sessions a leaf dropped after hearing nothing on them for suspectAfterMs + failAfterMs. */
  upstreamSilent: number
  /** Sessions closed because this node declared their peer failed (silent; the link is presumed dead). */
  failedSessions: number
}

/** The counter each dropped MEMBER frame goes to. */
const DROP_STAT: Record<MemberDrop, keyof MeshStats> = {
  [MemberDrop.badPeerId]: 'memberBadId',
  [MemberDrop.leafOther]: 'leafOther',
  [MemberDrop.forged]: 'memberForged',
  [MemberDrop.badInc]: 'memberBadInc',
  [MemberDrop.unknown]: 'memberUnknown'
}

export interface MeshInit {
  peerId: string
  name: string
  mode: string
  privateKey: PrivateKey
  behaviour: ModeBehaviour
  config: OverlayConfig['mesh']
  /** Largest frame body peers accept (limits.maxFrameBytes). */
  maxFrameBytes: number
  addrs: () => string[]
  emit: (event: OverlayEvent) => void
  /** Ask the node to open a session to a member (peer exchange, healing). */
  dialMember: (member: Member) => void
  /** Session dials still in flight (bootstrap and peer exchange); they count toward the degree. */
  pendingDials: () => number
  now?: () => number
}

export class Mesh {
  readonly roster = new Roster()
  readonly sessions = new Map<string, Session>()
  readonly stats: MeshStats = {
    delivered: 0, relayed: 0, duplicate: 0, forged: 0, stale: 0, hopLimit: 0, malformed: 0, nameConflicts: 0, control: 0,
    memberForged: 0, memberBadId: 0, memberBadInc: 0, memberUnknown: 0, leafOther: 0, upstreamSilent: 0, failedSessions: 0
  }
  private readonly init: MeshInit
  private readonly cfg: OverlayConfig['mesh']
  private readonly seen: SeenCache
  private readonly signer: Signer
  private readonly verifier = new Verifier()
  private readonly routes = new Map<string, string>()
  private readonly acks = new PendingAcks()
  private readonly tree = new BroadcastTree({ graftAfterMs: GRAFT_AFTER_MS, cacheMs: TREE_CACHE_MS, maxCacheBytes: TREE_CACHE_BYTES, maxMissing: TREE_MAX_MISSING })
  private readonly now: () => number
  private readonly self: { inc: number, seq: number }
  private timer?: ReturnType<typeof setInterval>
  private flushTimer?: ReturnType<typeof setInterval>
  private failTimer?: ReturnType<typeof setTimeout>
  private readonly beats = new BeatRelay()
  private ticks = 0
  /** When each session last brought a frame; a leaf drops an upstream that stays silent (see checkUpstream). */
  private readonly heardOn = new WeakMap<Session, number>()
  private leaving = false
  /** Our latest signed claim: heartbeats repeat it, so it is signed once per change, not per tick. */
  private selfClaim?: { key: string, sig: string }
  /** When we last re-announced ourselves over a clash on our name (at most once a heartbeat). */
  private reassertedAt = -Infinity

  constructor (init: MeshInit) {
    this.init = init
    this.cfg = init.config
    this.now = init.now ?? Date.now
    this.seen = new SeenCache(this.cfg.seenTtlMs)
    this.signer = new Signer(init.privateKey)
    this.self = { inc: this.now(), seq: 0 }
  }

  get name (): string { return this.init.name }

  start (): void {
    this.stop() // idempotent: a second start() does not leave the first timers running
    this.timer = setInterval(() => { this.tick() }, this.cfg.heartbeatMs)
    this.timer.unref()
    if (this.init.behaviour.relays) {
      this.flushTimer = setInterval(() => { this.flushBeats() }, BEAT_FLUSH_MS)
      this.flushTimer.unref()
    }
  }

  /** Announces our departure mesh-wide; the node then sends EXIT on every session. */
  leave (): void {
    this.leaving = true
    this.stop()
    this.spread(this.selfFrame(MemberState.left, 'exit'), undefined)
    for (const s of this.sessions.values()) {
      const client = s.wire === 'text' ? this.roster.get(s.remotePeer) : undefined
      if (client !== undefined) this.spread(this.signed({ ...toFrame(client, MemberState.left), reason: 'exit' }), s)
    }
    this.acks.failAll(new DeliveryError('not_started', 'the node is stopping'))
  }

  stop (): void {
    clearInterval(this.timer)
    clearInterval(this.flushTimer)
    clearTimeout(this.failTimer)
    this.failTimer = undefined
  }

  // ---- sessions -------------------------------------------------------------------------------

  sessionOpened (s: Session): void {
    this.heardOn.set(s, this.now())
    this.sessions.set(s.remotePeer, s) // route() looks here first, so no routes entry for a neighbour
    this.signingNeeded = undefined
    this.emit({ type: 'session', action: 'open', peerId: s.remotePeer, name: s.name, wire: s.wire, mode: s.remoteMode, encryption: s.encryption })
    if (s.wire === 'text') {
      for (const m of this.roster.present()) if (m.peerId !== s.remotePeer) s.send({ type: 'JOIN', name: m.name })
      s.send({ type: 'JOIN', name: this.init.name })
      const frame: MemberFrame = { type: 'MEMBER', peerId: s.remotePeer, name: s.name, state: MemberState.alive, inc: this.now(), seq: 0, addrs: [], mode: 'text', host: this.init.peerId, hops: 0 }
      this.accept(this.signed(frame), undefined)
      return
    }
    if (isCore(s)) this.tree.addPeer(s.remotePeer)
    s.send(this.selfFrame(MemberState.alive))
    for (const m of this.roster.all()) for (const f of syncFrames(m)) s.send(f)
  }

  sessionClosed (s: Session, reason: CloseReason): void {
    if (this.sessions.get(s.remotePeer) !== s) return
    this.sessions.delete(s.remotePeer)
    this.signingNeeded = undefined
    for (const [target, via] of this.routes) if (via === s.remotePeer) this.routes.delete(target)
    if (this.tree.has(s.remotePeer)) this.regraft(this.tree.removePeer(s.remotePeer))
    this.emit({ type: 'session', action: 'close', peerId: s.remotePeer, name: s.name, wire: s.wire, mode: s.remoteMode, encryption: s.encryption, reason })
    const member = this.roster.get(s.remotePeer)
    if (member === undefined || !isPresent(member.state) || this.leaving) return
    const hosted = member.host === this.init.peerId
    if (hosted) {
      this.accept(this.signed({ ...toFrame(member, MemberState.left), reason: reason === 'exit' ? 'exit' : 'disconnect' }), undefined)
    } else if (reason === 'exit') {
      // It said EXIT without its signed `left` first: gone here; only its own word says "left"
      // elsewhere, so the others hear a failure report (anyone may make one).
      this.accept({ ...toFrame(member, MemberState.left), reason: 'exit' }, undefined, false)
      this.spread(toFrame(member, MemberState.failed), undefined)
    }
  }

  // ---- inbound frames -------------------------------------------------------------------------

  onFrame (s: Session, frame: Frame): void {
    this.heardOn.set(s, this.now())
    switch (frame.type) {
      case 'MEMBER': this.onMember(s, frame); break
      case 'MSG': this.onMsg(s, frame); break
      case 'ACK': this.onAck(s, frame); break
      case 'HEARTBEAT': this.onHeartbeat(s, frame); break
      case 'IHAVE': case 'GRAFT': case 'PRUNE': this.onTreeFrame(s, frame)
    }
  }

  private onHeartbeat (s: Session, f: HeartbeatFrame): void {
    if (!isCore(s)) {
      if (s.remoteMode === 'leaf') for (const [peerId] of f.beats) if (peerId !== s.remotePeer) this.stats.leafOther++
      return
    }
    // Liveness only, unsigned: roster.beat refreshes a member alive at that very incarnation, nothing else.
    const now = this.now()
    for (const [peerId, inc, seq] of f.beats) {
      if (peerId === this.init.peerId || this.roster.beat(peerId, inc, seq, now) === undefined) continue
      this.learnRoute(peerId, s.remotePeer)
      if (this.init.behaviour.relays) this.beats.queue(peerId, inc, seq, s.remotePeer)
    }
  }

  private flushBeats (): void {
    if (this.beats.size === 0) return
    this.stats.relayed += this.beats.size
    const links = [...this.sessions.values()].filter(isCore).map(s => s.remotePeer)
    for (const [link, beats] of this.beats.drain(links)) {
      for (const part of splitList(beats, this.init.maxFrameBytes)) this.sessions.get(link)?.send({ type: 'HEARTBEAT', beats: part })
    }
  }

  private onTreeFrame (s: Session, f: IHaveFrame | GraftFrame | PruneFrame): void {
    this.stats.control++
    const peer = s.remotePeer
    if (!this.tree.has(peer)) return // leaves and text clients are outside the tree
    switch (f.type) {
      case 'PRUNE': this.tree.prune(peer); break
      case 'IHAVE': this.tree.announced(peer, f.ids, this.now(), id => this.seen.has(id, this.now())); break
      case 'GRAFT':
        this.tree.graft(peer)
        for (const id of f.ids) {
          const bytes = this.tree.cached(id)
          if (bytes !== undefined) s.sendEncoded(bytes)
        }
    }
  }

  private onMember (s: Session, f: MemberFrame): void {
    if (f.hops > this.cfg.hopLimit) { this.stats.hopLimit++; return }
    if (f.peerId === this.init.peerId) {
      if (s.remoteMode === 'leaf') { this.stats.leafOther++; return }
      this.aboutSelf(f)
      return
    }
    const member = this.roster.get(f.peerId)
    const drop = checkMember(f, {
      known: member,
      ...(s.remoteMode === 'leaf' ? { leaf: s.remotePeer } : {}),
      verify: (claim, signer) => this.verifier.verifyBy(claim, signer)
    })
    if (drop !== undefined) { this.stats[DROP_STAT[drop]]++; return }
    if (member?.host === this.init.peerId && this.sessions.has(f.peerId)) {
      // A client we host: we alone speak for it, and refute reports about it.
      const inc = nextInc(f.inc)
      if (!isClaim(f.state) && f.inc >= member.inc && inc !== undefined) this.accept(this.signed({ ...toFrame(member, MemberState.alive), inc }), undefined)
      return
    }
    if (f.name === this.init.name && isPresent(f.state)) { this.nameClash(); return }
    this.accept(f, s)
  }

  /** Someone claims our name while we hold it: never fatal; we say again that it is ours. */
  private nameClash (): void {
    this.stats.nameConflicts++
    const now = this.now()
    if (this.leaving || now - this.reassertedAt < this.cfg.heartbeatMs) return
    this.reassertedAt = now
    this.spread(this.selfFrame(MemberState.alive), undefined)
  }

  /** Applies a member update, reports what changed, and passes it on (unless `pass` is false). `from` undefined = local. */
  private accept (f: MemberFrame, from: Session | undefined, pass = true): void {
    const applied = this.roster.apply(f, this.now())
    switch (applied.kind) {
      case 'stale': return
      case 'conflict': this.stats.nameConflicts++; return
      case 'refresh':
        if (from !== undefined) this.learnRoute(f.peerId, from.remotePeer)
        if (!this.init.behaviour.relays || f.hops >= this.cfg.hopLimit) return
        // A new address or mode travels as a whole MEMBER frame; a plain heartbeat in the next batch.
        if (applied.changed) this.spread({ ...f, hops: from === undefined ? f.hops : f.hops + 1 }, from, true)
        else this.beats.queue(f.peerId, f.inc, f.seq, from?.remotePeer)
        return
      case 'state':
        if (from !== undefined) this.learnRoute(f.peerId, from.remotePeer)
        this.report(applied.member, applied.previous, f.reason, from === undefined)
        if (!pass) return
        if (from === undefined || (this.init.behaviour.relays && f.hops < this.cfg.hopLimit)) this.spread(relayed(f, from === undefined ? f.hops : f.hops + 1), from)
    }
  }

  private report (m: Member, previous: MemberState | undefined, leftReason: 'exit' | 'disconnect' | undefined, local: boolean): void {
    const who = { name: m.name, peerId: m.peerId }
    const was = isPresent(previous)
    if (m.state === MemberState.suspect) this.emit({ type: 'suspect', ...who, reason: local ? 'silent' : 'reported' })
    if (m.state === MemberState.alive && (previous === MemberState.suspect || previous === MemberState.failed)) {
      this.emit({ type: 'alive', ...who, reason: previous === MemberState.suspect ? 'refuted' : 'rejoined' })
    }
    if (!was && isPresent(m.state)) this.emit({ type: 'joined', ...who, reason: previous === undefined ? 'join' : 'rejoin' })
    if (m.state === MemberState.failed) {
      this.emit({ type: 'failed', ...who, reason: local ? 'timeout' : 'reported' })
      if (local) this.closeDeadSession(m)
    }
    if (was && !isPresent(m.state)) this.emit({ type: 'left', ...who, reason: m.state === MemberState.failed ? 'failed' : (leftReason ?? 'exit') })
    if (was !== isPresent(m.state)) {
      this.signingNeeded = undefined
      this.tellTextClients(m, isPresent(m.state))
    }
  }

  /**
   * A frame about us. A claim counts only with our signature (one from an earlier run of this
   * identity is refuted); a report within one incarnation of ours is refuted with a higher one;
   * anything further is dropped, so no peer can push our incarnation out of the safe integers.
   */
  private aboutSelf (f: MemberFrame): void {
    if (this.leaving) return
    if (isClaim(f.state)) {
      if (f.sig !== undefined && f.sig === this.selfClaim?.sig) return // our own, come back
      if (!this.verifier.verifyBy(f, this.init.peerId)) { this.stats.memberForged++; return }
      if (f.inc < this.self.inc || (f.inc === this.self.inc && f.state === MemberState.alive)) return
    } else {
      if (f.inc > this.self.inc + 1) { this.stats.memberBadInc++; return }
      if (f.inc < this.self.inc) return
    }
    const inc = nextInc(f.inc)
    if (inc === undefined) { this.stats.memberBadInc++; return }
    this.self.inc = inc
    this.spread(this.selfFrame(MemberState.alive), undefined)
  }

  private onMsg (s: Session, f: MsgFrame): void {
    if (s.wire === 'text') { this.originate(f.text, s); return }
    if (f.sig === undefined) fillMsg(f, s, this.init.peerId)
    if (s.remoteMode === 'leaf' && f.origin !== s.remotePeer) { this.stats.leafOther++; return }
    if (f.id === undefined || f.origin === undefined || f.from === undefined || f.ts === undefined || f.hops === undefined || f.to === '') { this.stats.malformed++; return }
    if (f.hops > this.cfg.hopLimit) { this.stats.hopLimit++; return }
    // Unsigned frames come once, straight from their origin, and are never passed on: no dedup needed.
    const signed = f.sig !== undefined
    if (signed && this.seen.has(f.id, this.now())) { this.duplicate(s, f); return }
    if (Math.abs(this.now() - f.ts) > Math.min(this.cfg.seenTtlMs, MAX_CLOCK_SKEW_MS)) { this.stats.stale++; return }
    // Unsigned is fine only straight from its origin: the session's Noise/TLS handshake proved who sent it.
    const direct = f.origin === s.remotePeer
    if (signed ? !this.verifier.verify(f) : !direct) { this.stats.forged++; return }
    const claimed = this.roster.byName(f.from)
    if (claimed !== undefined && isPresent(claimed.state) && claimed.peerId !== f.origin && claimed.host !== f.origin) { this.stats.forged++; return }
    if (f.to !== undefined && f.to !== this.init.peerId && !signed) { this.stats.forged++; return } // unsigned frames are for the receiver only
    if (signed) {
      this.seen.add(f.id, this.now())
      this.tree.received(f.id, s.remotePeer)
    }
    if (f.to !== undefined && f.to !== this.init.peerId) {
      const hosted = this.sessions.get(f.to)
      if (hosted?.wire === 'text') { this.deliverTo(hosted, f); this.ack(f, hosted.name); return }
      this.route(f.to, { ...f, hops: f.hops + 1 }, s)
      return
    }
    // The ACK goes out before the application's 'message' listeners run, so they do not delay it.
    if (f.to !== undefined) { this.ack(f, this.init.name); this.deliver(f); return }
    this.deliver(f)
    if (this.init.behaviour.relays && signed && f.hops + 1 <= this.cfg.hopLimit) this.push({ ...f, hops: f.hops + 1 }, s)
  }

  /** A broadcast we already have: the link that brought it is redundant, so prune it (relaying nodes only). */
  private duplicate (s: Session, f: MsgFrame): void {
    this.stats.duplicate++
    if (f.to === undefined && this.init.behaviour.relays && this.tree.duplicate(f.id as string, s.remotePeer)) s.send({ type: 'PRUNE' })
  }

  private onAck (s: Session, f: AckFrame): void {
    if (f.sig === undefined) fillAck(f, s, this.init.peerId)
    if (s.remoteMode === 'leaf' && f.origin !== s.remotePeer) { this.stats.leafOther++; return }
    if (f.origin === undefined || f.to === undefined || f.hops === undefined || (f.sig !== undefined && f.from === undefined)) { this.stats.malformed++; return }
    if (f.hops > this.cfg.hopLimit) { this.stats.hopLimit++; return }
    if (f.sig !== undefined && !this.seen.add(`ack:${f.id}`, this.now())) { this.stats.duplicate++; return }
    if (f.to === this.init.peerId) {
      if (f.sig === undefined ? f.origin !== s.remotePeer : !this.verifier.verify(f)) { this.stats.forged++; return }
      if (this.acks.ack(f.id, f.origin) === AckOutcome.wrongAcker) this.stats.forged++
      return
    }
    if (f.sig === undefined) { this.stats.forged++; return } // unsigned ACKs are for the receiver only
    this.route(f.to, { ...f, hops: f.hops + 1 }, s)
  }

  // ---- outbound -------------------------------------------------------------------------------

  /** Broadcasts text from this node (or from a text client it hosts). Returns the message id. */
  broadcast (text: string): MsgFrame {
    return this.originate(text, undefined)
  }

  private originate (text: string, client: Session | undefined): MsgFrame {
    const f: MsgFrame = { type: 'MSG', id: nanoid(), origin: this.init.peerId, from: client?.name ?? this.init.name, ts: this.now(), hops: 0, text }
    if (client !== undefined || this.needsSignature()) f.sig = this.signer.sign(f)
    const bytes = this.fitted(f)
    if (bytes === undefined) {
      if (client === undefined) throw new InvalidFrameError(ErrorCode.frameTooLarge, `the message does not fit in limits.maxFrameBytes (${this.init.maxFrameBytes}) with its envelope`)
      void client.drop(ErrorCode.frameTooLarge, `the message does not fit in ${this.init.maxFrameBytes} bytes with its envelope`)
      return f
    }
    if (f.sig !== undefined) this.seen.add(f.id as string, this.now()) // unsigned ones never come back
    if (client !== undefined) this.deliver(f)
    // Unsigned means every member is our neighbour and nobody relays: it must go to all of them.
    if (f.sig === undefined) this.spread(f, client, false, bytes)
    else this.push(f, client, bytes)
    return f
  }

  /** The frame's wire bytes, or undefined when they exceed what peers accept. */
  private fitted (f: MsgFrame): Uint8Array | undefined {
    const bytes = wireBytes(f)
    return bytes.length - varint.encodingLength(bytes.length) > this.init.maxFrameBytes ? undefined : bytes
  }

  /**
   * Sends to one member by name; resolves to its id on the member's acknowledgement. Not `async`:
   * the ACK settles the caller's promise itself, with no wrapping promise in between.
   */
  sendTo (name: string, text: string, signal?: AbortSignal): Promise<{ id: string }> {
    try {
      const target = this.roster.byName(name)
      if (target === undefined || !isPresent(target.state)) throw new DeliveryError('unknown_member', `no member named "${name}"`)
      const f: MsgFrame = { type: 'MSG', id: nanoid(), origin: this.init.peerId, from: this.init.name, to: target.peerId, ts: this.now(), hops: 0, text }
      const id = f.id as string
      const client = this.sessions.get(target.peerId)
      // A direct neighbour knows who sent it from the session itself; only relayed frames need a signature.
      if (client?.wire !== 'json') f.sig = this.signer.sign(f)
      const bytes = this.fitted(f)
      if (bytes === undefined) throw new InvalidFrameError(ErrorCode.frameTooLarge, `the message does not fit in limits.maxFrameBytes (${this.init.maxFrameBytes}) with its envelope`)
      if (f.sig !== undefined) this.seen.add(id, this.now())
      if (client?.wire === 'text') { this.deliverTo(client, f); return Promise.resolve({ id }) } // our own text client: handed over here
      signal?.throwIfAborted()
      const acked = this.acks.wait(id, target.host ?? target.peerId, { timeoutMs: this.cfg.directTimeoutMs, name, signal }, { id })
      this.route(target.peerId, f, undefined, bytes)
      return acked
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private ack (f: MsgFrame, name: string): void {
    const to = f.origin as string
    const ack: AckFrame = { type: 'ACK', id: f.id as string, from: name, origin: this.init.peerId, to, hops: 0 }
    if (this.sessions.get(to)?.wire !== 'json') {
      ack.sig = this.signer.sign(ack)
      this.seen.add(`ack:${ack.id}`, this.now())
    }
    this.route(to, ack, undefined)
  }

  /** Remembers the neighbour a member was last heard through (its own session needs no entry). */
  private learnRoute (peerId: string, via: string): void {
    if (peerId !== via) this.routes.set(peerId, via)
  }

  /** Sends toward one peer: its own session, the neighbour we last heard it through, or a flood. */
  private route (to: string, f: MsgFrame | AckFrame, from: Session | undefined, encoded?: Uint8Array): void {
    if ((f.hops ?? 0) > this.cfg.hopLimit) return
    const via = this.sessions.get(to) ?? this.sessions.get(this.routes.get(to) ?? '')
    if (via !== undefined && via !== from && via.wire === 'json') { via.sendEncoded(encoded ?? wireBytes(f), SendWhen.now); this.stats.relayed++; return }
    this.spread(f, from, true, encoded)
  }

  /**
   * Sends a frame to every session but `except`, encoding it once per wire. `coreOnly` keeps
   * heartbeats and routed frames away from leaves and text clients, which never relay;
   * `lazyGetIds` sends lazy tree links the broadcast's id (in the next IHAVE) instead of it.
   */
  private spread (f: MemberFrame | MsgFrame | AckFrame, except: Session | undefined, coreOnly = false, encoded?: Uint8Array, lazyGetIds = false): void {
    let json = encoded
    let text: Uint8Array | undefined
    for (const s of this.sessions.values()) {
      if (s === except) continue
      if (s.wire === 'text') {
        if (coreOnly || f.type !== 'MSG' || f.to !== undefined) continue
        text ??= encoder.encode(encodeTextLine({ type: 'MSG', from: f.from ?? '', text: f.text }))
        s.sendEncoded(text)
        continue
      }
      if (coreOnly && s.remoteMode === 'leaf') continue
      if (lazyGetIds && f.type === 'MSG' && this.tree.has(s.remotePeer) && !this.tree.isEager(s.remotePeer)) { this.tree.announce(s.remotePeer, f.id as string); continue }
      json ??= wireBytes(f)
      // Leaves only read membership news (they never pass it on): it may wait to share a write.
      s.sendEncoded(json, f.type === 'MEMBER' && s.remoteMode === 'leaf' ? SendWhen.linger : SendWhen.soon)
    }
    if (except !== undefined) this.stats.relayed++
  }

  /**
   * Sends a signed broadcast down the tree: to eager links, leaves and text clients; lazy links get
   * its id in the next IHAVE. Keeps the frame for GRAFTs.
   */
  private push (f: MsgFrame, except: Session | undefined, encoded?: Uint8Array): void {
    const json = encoded ?? encodeJsonFrame(f)
    this.tree.hold(f.id as string, json, this.now())
    this.spread(f, except, false, json, true)
  }

  /** A tree link went away: make every lazy link eager again, so no branch stays cut off. */
  private regraft (lazyPeers: string[]): void {
    for (const peer of lazyPeers) {
      this.tree.graft(peer)
      this.sessions.get(peer)?.send({ type: 'GRAFT', ids: [] })
    }
  }

  /** Sends the batched IHAVEs, GRAFTs for what the tree has not brought, and drops old frames. */
  private tendTree (now: number): void {
    for (const [peer, ids] of this.tree.drainAnnouncements()) {
      for (const part of splitList(ids, this.init.maxFrameBytes)) this.sessions.get(peer)?.send({ type: 'IHAVE', ids: part })
    }
    for (const [peer, ids] of this.tree.dueGrafts(now, id => this.seen.has(id, now))) {
      const s = this.sessions.get(peer)
      if (s === undefined) continue
      this.tree.graft(peer)
      for (const part of splitList(ids, this.init.maxFrameBytes)) s.send({ type: 'GRAFT', ids: part })
    }
    this.tree.expire(now)
  }

  /** Text clients see presence changes as JOIN/EXIT lines. */
  private tellTextClients (m: Member, present: boolean): void {
    for (const s of this.sessions.values()) {
      if (s.wire === 'text' && s.remotePeer !== m.peerId) s.send({ type: present ? 'JOIN' : 'EXIT', name: m.name })
    }
  }

  private deliver (f: MsgFrame): void {
    this.stats.delivered++
    const event: OverlayEvents['message'] = { id: f.id as string, from: f.from as string, origin: f.origin as string, text: f.text, ts: f.ts as number }
    if (f.to !== undefined) event.to = f.to
    this.emit({ type: 'message', ...event })
  }

  private deliverTo (client: Session, f: MsgFrame): void {
    client.send({ type: 'MSG', from: f.from ?? '', text: f.text })
  }

  // ---- periodic work --------------------------------------------------------------------------

  private tick (): void {
    const now = this.now()
    this.ticks++
    this.self.seq++
    this.spread(this.selfFrame(MemberState.alive), undefined, true)
    this.beatToLeaves()
    if (!this.init.behaviour.watchesLiveness) this.checkUpstream(now)
    for (const s of this.sessions.values()) {
      const m = this.roster.get(s.remotePeer)
      if (s.wire === 'text' && m !== undefined) this.accept({ ...toFrame(m), seq: m.seq + 1 }, undefined)
    }
    // Once per tick on purpose: checking every 100 ms made the detector stricter (suspect at exactly
    // suspectAfterMs), and a hub taking 500 leaves at once then suspected leaves that were only slow.
    if (this.init.behaviour.watchesLiveness) {
      for (const f of this.roster.expire(now, this.cfg.suspectAfterMs, this.cfg.failAfterMs, this.watched)) this.accept(f, undefined)
      this.armFailureCheck(now)
    }
    this.roster.reap(now, REAP_AFTER_MS)
    this.seen.prune(now)
    this.tendTree(now)
    if (this.init.behaviour.keepsDegree) this.keepDegree()
  }

  /**
   * Our own beat to the leaves we host, which get no relayed heartbeats: on a quiet mesh it is the
   * only frame they hear from us, and what tells them their upstream still lives.
   */
  private beatToLeaves (): void {
    let bytes: Uint8Array | undefined
    for (const s of this.sessions.values()) {
      if (s.wire !== 'json' || s.remoteMode !== 'leaf') continue
      bytes ??= encodeJsonFrame({ type: 'HEARTBEAT', beats: [[this.init.peerId, this.self.inc, this.self.seq]] })
      s.sendEncoded(bytes, SendWhen.linger)
    }
  }

  /**
   * A leaf does not watch the mesh, but must notice a dead upstream: without a FIN or RST (a cut
   * network, a frozen hub) TCP keeps the session open for many minutes. Silent for suspectAfterMs +
   * failAfterMs (the hub beats every heartbeatMs): abort the connection, so the bootstrap loop dials
   * again (a plain session close would leave libp2p reusing the dead connection).
   */
  private checkUpstream (now: number): void {
    const limit = this.cfg.suspectAfterMs + this.cfg.failAfterMs
    for (const s of this.sessions.values()) {
      if (!isCore(s)) continue
      const silentMs = now - (this.heardOn.get(s) ?? now)
      if (silentMs <= limit) continue
      this.stats.upstreamSilent++
      this.emit({ type: 'error', code: 'upstream_silent', message: `no frame from ${s.name} for ${silentMs} ms (mesh.suspectAfterMs + mesh.failAfterMs = ${limit} ms): reconnecting` })
      this.heardOn.set(s, now) // one report per session, however long the abort takes
      s.connection.abort(new Error(`upstream ${s.name} silent for ${silentMs} ms`))
    }
  }

  /**
   * We declared a member failed that we hold a session with: that session brought nothing for
   * suspectAfterMs + failAfterMs, so its link is dead (a cut network gives no FIN or RST). Close it:
   * the peer's next dial would otherwise be refused as a duplicate of the dead session.
   */
  private closeDeadSession (m: Member): void {
    const s = this.sessions.get(m.peerId)
    if (s === undefined || s.wire !== 'json') return
    this.stats.failedSessions++
    s.connection.abort(new Error(`${m.name} failed: nothing heard on its session`))
  }

  /** Members this node watches for silence: all but the clients it hosts (it heartbeats for those). */
  private readonly watched = (m: Member): boolean => m.host !== this.init.peerId

  /**
   * A suspect fails `failAfterMs` after it became suspect, not at the first tick after that, which
   * would add up to a tick. Only failing is checked between ticks: suspecting stays once per tick.
   */
  private armFailureCheck (now: number): void {
    if (this.failTimer !== undefined) return
    const at = this.roster.nextFailureAt(now, this.cfg.failAfterMs, this.watched)
    // Overdue suspects were just handled (a frame that did not apply is retried at the next tick).
    if (at === undefined || at - now >= this.cfg.heartbeatMs) return // the next tick is soon enough
    this.failTimer = setTimeout(() => {
      this.failTimer = undefined
      const later = this.now()
      for (const f of this.roster.failUnrefuted(later, this.cfg.failAfterMs, this.watched)) this.accept(f, undefined)
      this.armFailureCheck(later)
    }, at - now + 1)
    this.failTimer.unref()
  }

  /** Peer exchange: dial known members until we hold `degree` core sessions; now and then retry a failed one. */
  private keepDegree (): void {
    const core = [...this.sessions.values()].filter(s => s.wire === 'json' && s.remoteMode !== 'leaf').length
    // Hubs mesh with hubs; peers with peers and hubs; nobody dials a leaf or a hosted client.
    const wanted = this.init.mode === 'hub' ? ['hub'] : ['hub', 'peer']
    const dialable = (m: Member): boolean => m.peerId !== this.init.peerId && m.host === undefined && m.addrs.length > 0 &&
      wanted.includes(m.mode ?? 'peer') && !this.sessions.has(m.peerId)
    if (core + this.init.pendingDials() < this.cfg.degree) {
      const candidates = this.roster.present().filter(dialable)
      const pick = candidates[Math.floor(Math.random() * candidates.length)]
      if (pick !== undefined) this.init.dialMember(pick)
    }
    if (this.ticks % HEAL_EVERY_TICKS === 0) {
      const failed = this.roster.all().filter(m => m.state === MemberState.failed && dialable(m))
      const pick = failed[Math.floor(Math.random() * failed.length)]
      if (pick !== undefined) this.init.dialMember(pick)
    }
  }

  private selfFrame (state: MemberState, reason?: 'exit'): MemberFrame {
    const frame: MemberFrame = { type: 'MEMBER', peerId: this.init.peerId, name: this.init.name, state, inc: this.self.inc, seq: this.self.seq, addrs: this.init.addrs(), mode: this.init.mode, hops: 0 }
    if (reason !== undefined) frame.reason = reason
    // Signed once per change of what the signature covers; every heartbeat repeats it.
    const key = JSON.stringify([state, frame.inc, frame.addrs, reason ?? null])
    if (this.selfClaim?.key !== key) this.selfClaim = { key, sig: this.signer.sign(frame) }
    frame.sig = this.selfClaim.sig
    return frame
  }

  /** A claim we make for a text client we host, signed with our key. */
  private signed (f: MemberFrame): MemberFrame {
    const out: MemberFrame = { ...f }
    delete out.sig
    out.sig = this.signer.sign(out)
    return out
  }

  /** Unsigned messages are never relayed, so sign whenever some member is not our direct neighbour. */
  private signingNeeded: boolean | undefined
  private needsSignature (): boolean {
    this.signingNeeded ??= this.roster.present().some(m => !this.sessions.has(m.peerId))
    return this.signingNeeded
  }

  // ---- views ----------------------------------------------------------------------------------

  members (): Array<Pick<Member, 'name' | 'peerId' | 'state' | 'since' | 'addrs' | 'inc' | 'mode' | 'host'> & { self: boolean, lastHeard: number | null }> {
    const me = { name: this.init.name, peerId: this.init.peerId, state: MemberState.alive as MemberState, since: this.self.inc, addrs: this.init.addrs(), self: true, inc: this.self.inc, mode: this.init.mode, lastHeard: null }
    return [me, ...this.roster.all().map(m => ({ name: m.name, peerId: m.peerId, state: m.state, since: m.since, addrs: m.addrs, self: false, inc: m.inc, lastHeard: m.heardAt, ...(m.mode === undefined ? {} : { mode: m.mode }), ...(m.host === undefined ? {} : { host: m.host }) }))]
  }

  /** Members reached through a neighbour: target peer id -> the neighbour's peer id. */
  routeTable (): Array<[target: string, via: string]> {
    return [...this.routes]
  }

  private emit (event: OverlayEvent): void {
    this.init.emit(event)
  }
}

/** The frame as passed on: reports carry no signature (only claims are signed). */
function relayed (f: MemberFrame, hops: number): MemberFrame {
  const out: MemberFrame = { ...f, hops }
  if (out.sig !== undefined && !isClaim(out.state)) delete out.sig
  return out
}

/** Links that relay broadcasts: JSON sessions with peers and hubs (leaves and text clients only listen). */
function isCore (s: Session): boolean {
  return s.wire === 'json' && s.remoteMode !== 'leaf'
}
