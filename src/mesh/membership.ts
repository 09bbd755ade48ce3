/**
 * Membership: member states and incarnations, who may say what (trust.ts), refutation of reports
 * about ourselves, and the events each change raises. Failure detection and dissemination feed it.
 */
import { MemberState, Wire } from '../protocol/frames.ts'
import { isPresent, toFrame } from './roster.ts'
import { checkMember, isClaim, MemberDrop, nextInc } from './trust.ts'
import { Dissemination, relayed, spread } from './dissemination.ts'
import type { MeshContext, MeshStats } from './context.ts'
import type { Link } from './link.ts'
import type { Member } from './roster.ts'
import type { MemberFrame } from '../protocol/frames.ts'

/** The counter each dropped MEMBER frame goes to. */
const DROP_STAT: Record<MemberDrop, keyof MeshStats> = {
  [MemberDrop.badPeerId]: 'memberBadId',
  [MemberDrop.leafOther]: 'leafOther',
  [MemberDrop.forged]: 'memberForged',
  [MemberDrop.badInc]: 'memberBadInc',
  [MemberDrop.unknown]: 'memberUnknown'
}

/** What failure detection hears from membership. */
export interface MembershipHooks {
  /** A member changed state (`by`: its accuser, for a suspicion). */
  stateChanged: (m: Member, by: string | undefined) => void
  /** One more accuser of a current suspicion; true when it is news. */
  confirm: (peerId: string, inc: number, by: string) => boolean
  /** We refuted a suspicion of ourselves. */
  refuted: () => void
}

export class Membership {
  private readonly ctx: MeshContext
  private readonly hooks: MembershipHooks
  /** Our incarnation and heartbeat sequence. */
  readonly self: { inc: number, seq: number }
  /** Our latest signed claim: heartbeats repeat it, so it is signed once per change, not per tick. */
  private selfClaim?: { key: string, sig: string }
  /** When we last re-announced ourselves over a clash on our name (at most once a heartbeat). */
  private reassertedAt = -Infinity
  /** Membership news: a few neighbours at once, then riding on probes (failure detection sends them). */
  readonly gossip: Dissemination

  constructor (ctx: MeshContext, hooks: MembershipHooks) {
    this.ctx = ctx
    this.hooks = hooks
    this.gossip = new Dissemination(ctx)
    this.self = { inc: ctx.now(), seq: 0 }
  }

  onMember (l: Link, f: MemberFrame): void {
    const ctx = this.ctx
    if (f.hops > ctx.cfg.hopLimit) { ctx.stats.hopLimit++; return }
    if (f.peerId === ctx.self) {
      if (l.mode === 'leaf') { ctx.stats.leafOther++; return }
      this.aboutSelf(f)
      return
    }
    const member = ctx.roster.get(f.peerId)
    const drop = checkMember(f, {
      known: member,
      ...(l.mode === 'leaf' ? { leaf: l.peer } : {}),
      verify: (claim, signer) => ctx.verifier.verifyBy(claim, signer)
    })
    if (drop !== undefined) { ctx.stats[DROP_STAT[drop]]++; return }
    if (f.state === MemberState.suspect && f.by !== undefined && member?.state === MemberState.suspect && f.inc === member.inc) {
      // The same suspicion from another accuser: it shortens the suspicion, so it travels on.
      if (this.hooks.confirm(f.peerId, f.inc, f.by)) this.passOn(f, l)
      return
    }
    if (member?.host === ctx.self && ctx.links.has(f.peerId)) {
      // A client we host: we alone speak for it, and refute reports about it.
      const inc = nextInc(f.inc)
      if (!isClaim(f.state) && f.inc >= member.inc && inc !== undefined) this.accept(this.signed({ ...toFrame(member, MemberState.alive), inc }), undefined)
      return
    }
    if (f.name === ctx.init.name && isPresent(f.state)) { this.nameClash(); return }
    this.accept(f, l)
  }

  /** Someone claims our name while we hold it: never fatal; we say again that it is ours. */
  private nameClash (): void {
    const ctx = this.ctx
    ctx.stats.nameConflicts++
    const now = ctx.now()
    if (ctx.leaving || now - this.reassertedAt < ctx.cfg.heartbeatMs) return
    this.reassertedAt = now
    spread(ctx, this.selfFrame(MemberState.alive), undefined)
  }

  /** Applies a member update, reports what changed, and passes it on (unless `pass` is false). `from` undefined = local. */
  accept (f: MemberFrame, from: Link | undefined, pass = true): void {
    const ctx = this.ctx
    const applied = ctx.roster.apply(f, ctx.now())
    switch (applied.kind) {
      case 'stale':
        if (from !== undefined) this.gossip.heard(f, from)
        return
      case 'conflict': ctx.stats.nameConflicts++; return
      case 'refresh':
        if (from !== undefined) ctx.learnRoute(f.peerId, from.peer)
        if (!ctx.relays || f.hops >= ctx.cfg.hopLimit) return
        // A new address or mode travels on; a mere repeat of the claim stops here.
        if (applied.changed) spread(ctx, { ...f, hops: from === undefined ? f.hops : f.hops + 1 }, from, { coreOnly: true })
        return
      case 'state':
        if (from !== undefined) ctx.learnRoute(f.peerId, from.peer)
        this.report(applied.member, applied.previous, f.reason, from === undefined)
        this.hooks.stateChanged(applied.member, f.by)
        if (pass) this.passOn(f, from)
    }
  }

  /** Passes a frame on to the other links (one we made ourselves to all of them). */
  passOn (f: MemberFrame, from: Link | undefined): void {
    const ctx = this.ctx
    if (from === undefined || (ctx.relays && f.hops < ctx.cfg.hopLimit)) this.gossip.publish(relayed(f, from === undefined ? f.hops : f.hops + 1), from)
  }

  /**
   * We declared a member failed that we hold a link with: nothing came over it, so it is dead (a cut
   * network gives no FIN or RST). Hang it up, or the member's next dial is refused as a duplicate.
   */
  private dropDeadLink (m: Member): void {
    const l = this.ctx.links.get(m.peerId)
    if (l === undefined || l.wire !== Wire.json) return
    this.ctx.stats.failedSessions++
    l.abort(`${m.name} failed: nothing heard on its session`)
  }

  private report (m: Member, previous: MemberState | undefined, leftReason: 'exit' | 'disconnect' | undefined, local: boolean): void {
    const ctx = this.ctx
    const who = { name: m.name, peerId: m.peerId }
    const was = isPresent(previous)
    if (m.state === MemberState.suspect) ctx.emit({ type: 'suspect', ...who, reason: local ? 'silent' : 'reported' })
    if (m.state === MemberState.alive && (previous === MemberState.suspect || previous === MemberState.failed)) {
      ctx.emit({ type: 'alive', ...who, reason: previous === MemberState.suspect ? 'refuted' : 'rejoined' })
    }
    if (!was && isPresent(m.state)) ctx.emit({ type: 'joined', ...who, reason: previous === undefined ? 'join' : 'rejoin' })
    if (m.state === MemberState.failed) {
      ctx.emit({ type: 'failed', ...who, reason: local ? 'timeout' : 'reported' })
      if (local) this.dropDeadLink(m)
    }
    if (was && !isPresent(m.state)) ctx.emit({ type: 'left', ...who, reason: m.state === MemberState.failed ? 'failed' : (leftReason ?? 'exit') })
    if (was !== isPresent(m.state)) {
      ctx.signingNeeded = undefined
      this.tellTextClients(m, isPresent(m.state))
    }
  }

  /**
   * A frame about us. A claim counts only with our signature (one from an earlier run of this
   * identity is refuted); a report within one incarnation of ours is refuted with a higher one;
   * anything further is dropped, so no peer can push our incarnation out of the safe integers.
   */
  private aboutSelf (f: MemberFrame): void {
    const ctx = this.ctx
    if (ctx.leaving) return
    if (isClaim(f.state)) {
      if (f.sig !== undefined && f.sig === this.selfClaim?.sig) return // our own, come back
      if (!ctx.verifier.verifyBy(f, ctx.self)) { ctx.stats.memberForged++; return }
      if (f.inc < this.self.inc || (f.inc === this.self.inc && f.state === MemberState.alive)) return
    } else {
      if (f.inc > this.self.inc + 1) { ctx.stats.memberBadInc++; return }
      if (f.inc < this.self.inc) return
    }
    const inc = nextInc(f.inc)
    if (inc === undefined) { ctx.stats.memberBadInc++; return }
    this.self.inc = inc
    if (!isClaim(f.state)) this.hooks.refuted()
    this.gossip.publish(this.selfFrame(MemberState.alive), undefined)
  }

  /** Text clients see presence changes as JOIN/EXIT lines. */
  private tellTextClients (m: Member, present: boolean): void {
    for (const l of this.ctx.links.values()) {
      if (l.wire === Wire.text && l.peer !== m.peerId) l.send({ type: present ? 'JOIN' : 'EXIT', name: m.name })
    }
  }

  /** A text client joined through us: we speak for it, signed with our key. */
  hostClient (l: Link): void {
    const ctx = this.ctx
    for (const m of ctx.roster.present()) if (m.peerId !== l.peer) l.send({ type: 'JOIN', name: m.name })
    l.send({ type: 'JOIN', name: ctx.init.name })
    const frame: MemberFrame = { type: 'MEMBER', peerId: l.peer, name: l.name, state: MemberState.alive, inc: ctx.now(), seq: 0, addrs: [], mode: Wire.text, host: ctx.self, hops: 0 }
    this.accept(this.signed(frame), undefined)
  }

  /** Our departure (and that of the clients we host), mesh-wide. */
  announceLeave (): void {
    const ctx = this.ctx
    spread(ctx, this.selfFrame(MemberState.left, 'exit'), undefined)
    for (const l of ctx.links.values()) {
      const client = l.wire === Wire.text ? ctx.roster.get(l.peer) : undefined
      if (client !== undefined) spread(ctx, this.signed({ ...toFrame(client, MemberState.left), reason: 'exit' }), l)
    }
  }

  /** A link closed: a hosted client has left; a member that said EXIT without its own `left` is reported failed. */
  linkClosed (l: Link, reason: string): void {
    const ctx = this.ctx
    const member = ctx.roster.get(l.peer)
    if (member === undefined || !isPresent(member.state) || ctx.leaving) return
    if (member.host === ctx.self) {
      this.accept(this.signed({ ...toFrame(member, MemberState.left), reason: reason === 'exit' ? 'exit' : 'disconnect' }), undefined)
    } else if (reason === 'exit') {
      // It said EXIT without its signed `left` first: gone here; only its own word says "left"
      // elsewhere, so the others hear a failure report (anyone may make one).
      this.accept({ ...toFrame(member, MemberState.left), reason: 'exit' }, undefined, false)
      this.gossip.publish(toFrame(member, MemberState.failed), undefined)
    }
  }

  /** Our signed claim in `state`. */
  selfFrame (state: MemberState, reason?: 'exit'): MemberFrame {
    const ctx = this.ctx
    const frame: MemberFrame = { type: 'MEMBER', peerId: ctx.self, name: ctx.init.name, state, inc: this.self.inc, seq: this.self.seq, addrs: ctx.init.addrs(), mode: ctx.init.mode, hops: 0 }
    if (reason !== undefined) frame.reason = reason
    // Signed once per change of what the signature covers; every heartbeat repeats it.
    const key = JSON.stringify([state, frame.inc, frame.addrs, reason ?? null])
    if (this.selfClaim?.key !== key) {
      // A new claim at the same incarnation (new addrs) needs a higher seq to replace the old one.
      if (this.selfClaim !== undefined) frame.seq = ++this.self.seq
      this.selfClaim = { key, sig: ctx.signer.sign(frame) }
    }
    frame.sig = this.selfClaim.sig
    return frame
  }

  /** A claim we make for a text client we host, signed with our key. */
  signed (f: MemberFrame): MemberFrame {
    const out: MemberFrame = { ...f }
    delete out.sig
    out.sig = this.ctx.signer.sign(out)
    return out
  }

  /** Sends our claim and the roster to a new neighbour: it then has every update we hold for gossip. */
  greet (l: Link, frames: MemberFrame[]): void {
    l.send(this.selfFrame(MemberState.alive))
    for (const f of frames) l.send(f)
    this.gossip.greeted(l)
  }

  members (): Array<Pick<Member, 'name' | 'peerId' | 'state' | 'since' | 'addrs' | 'inc' | 'mode' | 'host'> & { self: boolean, lastHeard: number | null }> {
    const ctx = this.ctx
    const me = { name: ctx.init.name, peerId: ctx.self, state: MemberState.alive as MemberState, since: this.self.inc, addrs: ctx.init.addrs(), self: true, inc: this.self.inc, mode: ctx.init.mode, lastHeard: null }
    return [me, ...ctx.roster.all().map(m => ({ name: m.name, peerId: m.peerId, state: m.state, since: m.since, addrs: m.addrs, self: false, inc: m.inc, lastHeard: m.heardAt, ...(m.mode === undefined ? {} : { mode: m.mode }), ...(m.host === undefined ? {} : { host: m.host }) }))]
  }
}
