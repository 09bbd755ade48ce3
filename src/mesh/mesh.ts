/**
 * The mesh: membership, failure detection, broadcast and direct messages over whatever links the
 * node holds. It never opens connections itself; it sends through Link objects and asks the node to
 * dial through `dialMember`. Each concern lives in its own part; this class wires them together.
 */
import { DeliveryError } from '../errors.ts'
import { syncFrames } from './roster.ts'
import { MeshContext } from './context.ts'
import { Membership } from './membership.ts'
import { FailureDetector, STALL_MS } from './failure-detector.ts'
import { Broadcast } from './broadcast.ts'
import { Direct } from './direct.ts'
import { PeerExchange } from './peer-exchange.ts'
import { AntiEntropy } from './anti-entropy.ts'
import { every, systemEnv } from './env.ts'
import type { MeshInit, MeshStats } from './context.ts'
import { isCore } from './link.ts'
import type { Link, LinkCloseReason } from './link.ts'
import type { Roster } from './roster.ts'
import { Wire } from '../protocol/frames.ts'
import { inboundAck, inboundMsg } from './unsigned.ts'
import type { BroadcastMsg, Frame, HeartbeatFrame } from '../protocol/frames.ts'

export type { MeshInit, MeshStats } from './context.ts'

/** Failed and left members are forgotten after this long. */
const REAP_AFTER_MS = 10 * 60_000

export class Mesh<L extends Link = Link> {
  private readonly ctx: MeshContext<L>
  private readonly membership: Membership
  private readonly detector: FailureDetector
  private readonly broadcasts: Broadcast
  private readonly direct: Direct
  private readonly exchange: PeerExchange
  private readonly antiEntropy: AntiEntropy
  private stopTimers: Array<() => void> = []
  /** When each link last brought a frame (a leaf drops an upstream that stays silent: checkUpstream). */
  private readonly heardOn = new WeakMap<L, number>()
  private lastTick?: number

  constructor (init: MeshInit) {
    this.ctx = new MeshContext<L>(init, init.env ?? systemEnv)
    const ctx: MeshContext = this.ctx
    this.membership = new Membership(ctx, {
      stateChanged: (m, by) => { this.detector.stateChanged(m, by) },
      confirm: (peerId, inc, by) => this.detector.confirm(peerId, inc, by),
      refuted: () => { this.detector.refuted() }
    })
    this.detector = new FailureDetector(ctx, this.membership)
    this.direct = new Direct(ctx, f => this.broadcasts.fitted(f))
    this.broadcasts = new Broadcast(ctx, this.direct)
    this.exchange = new PeerExchange(ctx)
    this.antiEntropy = new AntiEntropy(ctx, this.membership)
  }

  get name (): string { return this.ctx.init.name }
  /** The links by peer id (read only: the node tells the mesh of changes through linkOpened/linkClosed). */
  get links (): ReadonlyMap<string, L> { return this.ctx.links }
  get roster (): Roster { return this.ctx.roster }
  get stats (): MeshStats { return this.ctx.stats }
  /** The smoothed round trip (ms) of our probes to neighbour `peer`, if one was answered. */
  rttOf (peer: string): number | undefined { return this.detector.rttOf(peer) }
  /** Which tree links are eager (read only, for tests and diagnostics). */
  get tree (): { has: (peer: string) => boolean, isEager: (peer: string) => boolean } { return this.broadcasts.view }

  start (): void {
    this.stop() // idempotent: a second start() does not leave the first timers running
    const { env, cfg } = this.ctx
    this.stopTimers.push(every(env, cfg.heartbeatMs, () => { this.tick() }))
  }

  /** Announces our departure mesh-wide; the node then sends EXIT on every link. */
  leave (): void {
    this.ctx.leaving = true
    this.stop()
    this.membership.announceLeave()
    this.direct.failAll(new DeliveryError('not_started', 'the node is stopping'))
  }

  stop (): void {
    for (const stop of this.stopTimers) stop()
    this.stopTimers = []
    this.detector.stop()
  }

  linkOpened (l: L): void {
    const ctx = this.ctx
    this.heardOn.set(l, ctx.now())
    ctx.links.set(l.peer, l) // route() looks here first, so no routes entry for a neighbour
    ctx.signingNeeded = undefined
    ctx.emit({ type: 'session', action: 'open', peerId: l.peer, name: l.name, wire: l.wire, mode: l.mode, encryption: l.encryption })
    if (l.wire === Wire.text) { this.membership.hostClient(l); return }
    this.broadcasts.linkOpened(l)
    this.membership.greet(l, ctx.roster.all().flatMap(syncFrames))
  }

  linkClosed (l: L, reason: LinkCloseReason, code?: string): void {
    const ctx = this.ctx
    if (ctx.links.get(l.peer) !== l) return
    ctx.links.delete(l.peer)
    ctx.signingNeeded = undefined
    const routedVia: string[] = []
    for (const [target, via] of ctx.routes) if (via === l.peer) routedVia.push(target)
    this.detector.linkClosed(l.peer, reason, routedVia)
    this.direct.linkClosed(l.peer)
    this.antiEntropy.linkClosed(l.peer)
    this.broadcasts.linkClosed(l)
    ctx.emit({ type: 'session', action: 'close', peerId: l.peer, name: l.name, wire: l.wire, mode: l.mode, encryption: l.encryption, reason, ...(code === undefined ? {} : { code }) })
    this.membership.linkClosed(l, reason)
  }

  /**
   * The mesh's edge: a MSG or ACK becomes a MeshMsg or MeshAck here, with what an unsigned one left
   * out filled in from the link (PROTOCOL.md 8.3), so nothing past this point checks or casts.
   * Frames that are no mesh frames (a session hands over none) do nothing.
   */
  onFrame (l: L, frame: Frame): void {
    this.heardOn.set(l, this.ctx.now())
    switch (frame.type) {
      case 'MEMBER': this.membership.onMember(l, frame); break
      case 'MSG': {
        // A text client's line is its text alone: this node signs and sends it as the client's.
        if (l.wire === Wire.text) { this.broadcasts.originate(frame.text, l); break }
        const msg = inboundMsg(frame, l, this.ctx.self)
        if (msg === undefined) this.ctx.stats.malformed++
        else this.broadcasts.onMsg(l, msg)
        break
      }
      case 'ACK': {
        const ack = inboundAck(frame, l, this.ctx.self)
        if (ack === undefined) this.ctx.stats.malformed++
        else this.direct.onAck(l, ack)
        break
      }
      case 'PROBE': this.detector.onProbe(l, frame); break
      case 'PROBEACK': this.detector.onProbeAck(l, frame); break
      case 'DIGEST': this.antiEntropy.onDigest(l, frame); break
      case 'HEARTBEAT': this.heartbeat(l, frame); break
      case 'IHAVE': case 'GRAFT': case 'PRUNE': this.broadcasts.onTreeFrame(l, frame)
    }
  }

  /** An older peer's heartbeats: liveness is probed now (7.11), so they are only counted; a leaf's about others are lies. */
  private heartbeat (l: L, f: HeartbeatFrame): void {
    this.ctx.stats.heartbeats++
    if (l.mode === 'leaf') for (const [peerId] of f.beats) if (peerId !== l.peer) this.ctx.stats.leafOther++
  }

  /** Broadcasts text from this node. Returns the frame sent. */
  broadcast (text: string): BroadcastMsg {
    return this.broadcasts.originate(text, undefined)
  }

  /** Sends to one member by name; resolves to its id on the member's acknowledgement. */
  sendTo (name: string, text: string, signal?: AbortSignal): Promise<{ id: string }> {
    return this.direct.sendTo(name, text, signal)
  }

  members (): ReturnType<Membership['members']> {
    return this.membership.members()
  }

  /** Members reached through a neighbour: target peer id -> the neighbour's peer id. */
  routeTable (): Array<[target: string, via: string]> {
    return [...this.ctx.routes]
  }

  /**
   * A leaf does not watch the mesh, but must notice a dead upstream: without a FIN or RST (a cut
   * network, a frozen hub) TCP keeps the session for many minutes. Its hub probes it at least every
   * two periods (7.11); silent for suspectAfterMs + failAfterMs, the link is aborted and the
   * bootstrap loop dials again.
   */
  private checkUpstream (now: number): void {
    const ctx = this.ctx
    const limit = ctx.cfg.suspectAfterMs + ctx.cfg.failAfterMs
    for (const l of ctx.links.values()) {
      if (!isCore(l)) continue
      const silentMs = now - (this.heardOn.get(l) ?? now)
      if (silentMs <= limit) continue
      ctx.stats.upstreamSilent++
      ctx.emit({ type: 'error', code: 'upstream_silent', message: `no frame from ${l.name} for ${silentMs} ms (mesh.suspectAfterMs + mesh.failAfterMs = ${limit} ms): reconnecting` })
      this.heardOn.set(l, now) // one report per link, however long the abort takes
      l.abort(`upstream ${l.name} silent for ${silentMs} ms`)
    }
  }

  private tick (): void {
    const now = this.ctx.now()
    // A late tick means our own event loop stalled: what the sockets hold is not read yet, so the
    // silence we measure is ours. Start counting again instead of hanging up on the hub.
    const stalled = this.lastTick !== undefined && now - this.lastTick > this.ctx.cfg.heartbeatMs + STALL_MS
    this.lastTick = now
    if (!this.ctx.init.behaviour.watchesLiveness) {
      if (stalled) for (const l of this.ctx.links.values()) this.heardOn.set(l, now)
      else this.checkUpstream(now)
    }
    this.detector.tick()
    if (this.ctx.relays) this.antiEntropy.tick()
    this.ctx.roster.reap(now, REAP_AFTER_MS)
    this.ctx.seen.prune(now)
    this.broadcasts.tend(now)
    if (this.ctx.init.behaviour.keepsDegree) this.exchange.tick()
  }
}
