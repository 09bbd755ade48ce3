/**
 * Failure detection: every member repeats its claim each heartbeat; relaying nodes pass the
 * heartbeats on in batches (HEARTBEAT frames); members silent for suspectAfterMs become suspect,
 * suspects not refuted within failAfterMs fail.
 */
import { MemberState } from '../protocol/frames.ts'
import { splitList } from '../protocol/json-codec.ts'
import { toFrame } from './roster.ts'
import { BeatRelay } from './beat-relay.ts'
import { isCore } from './link.ts'
import { spread } from './dissemination.ts'
import type { MeshContext } from './context.ts'
import type { Membership } from './membership.ts'
import type { Link } from './link.ts'
import type { TimerHandle } from './env.ts'
import type { Member } from './roster.ts'
import type { HeartbeatFrame } from '../protocol/frames.ts'

export class FailureDetector {
  private readonly ctx: MeshContext
  private readonly membership: Membership
  private readonly beats = new BeatRelay()
  private failTimer: TimerHandle | undefined

  constructor (ctx: MeshContext, membership: Membership) {
    this.ctx = ctx
    this.membership = membership
  }

  /** A heartbeat to pass on with the next batch. */
  queueBeat (peerId: string, inc: number, seq: number, from: string | undefined): void {
    this.beats.queue(peerId, inc, seq, from)
  }

  onHeartbeat (l: Link, f: HeartbeatFrame): void {
    const ctx = this.ctx
    if (!isCore(l)) {
      if (l.mode === 'leaf') for (const [peerId] of f.beats) if (peerId !== l.peer) ctx.stats.leafOther++
      return
    }
    // Liveness only, unsigned: roster.beat refreshes a member alive at that very incarnation, nothing else.
    const now = ctx.now()
    for (const [peerId, inc, seq] of f.beats) {
      if (peerId === ctx.self || ctx.roster.beat(peerId, inc, seq, now) === undefined) continue
      ctx.learnRoute(peerId, l.peer)
      if (ctx.relays) this.beats.queue(peerId, inc, seq, l.peer)
    }
  }

  flush (): void {
    const ctx = this.ctx
    if (this.beats.size === 0) return
    ctx.stats.relayed += this.beats.size
    const links = [...ctx.links.values()].filter(isCore).map(l => l.peer)
    for (const [link, beats] of this.beats.drain(links)) {
      for (const part of splitList(beats, ctx.init.maxFrameBytes)) ctx.links.get(link)?.send({ type: 'HEARTBEAT', beats: part })
    }
  }

  /** Once a heartbeat: our own, our text clients', then the silence check. */
  tick (now: number): void {
    const ctx = this.ctx
    const m = this.membership
    m.self.seq++
    spread(ctx, m.selfFrame(MemberState.alive), undefined, { coreOnly: true })
    for (const l of ctx.links.values()) {
      const client = ctx.roster.get(l.peer)
      if (l.wire === 'text' && client !== undefined) m.accept({ ...toFrame(client), seq: client.seq + 1 }, undefined)
    }
    // Once per tick on purpose: checking every 100 ms made the detector stricter (suspect at exactly
    // suspectAfterMs), and a hub taking 500 leaves at once then suspected leaves that were only slow.
    if (ctx.init.behaviour.watchesLiveness) {
      for (const f of ctx.roster.expire(now, ctx.cfg.suspectAfterMs, ctx.cfg.failAfterMs, this.watched)) m.accept(f, undefined)
      this.armFailureCheck(now)
    }
  }

  stop (): void {
    if (this.failTimer !== undefined) this.ctx.env.clearTimeout(this.failTimer)
    this.failTimer = undefined
  }

  /** Members this node watches for silence: all but the clients it hosts (it heartbeats for those). */
  private readonly watched = (m: Member): boolean => m.host !== this.ctx.self

  /**
   * A suspect fails `failAfterMs` after it became suspect, not at the first tick after that, which
   * would add up to a tick. Only failing is checked between ticks: suspecting stays once per tick.
   */
  private armFailureCheck (now: number): void {
    const ctx = this.ctx
    if (this.failTimer !== undefined) return
    const at = ctx.roster.nextFailureAt(now, ctx.cfg.failAfterMs, this.watched)
    // Overdue suspects were just handled (a frame that did not apply is retried at the next tick).
    if (at === undefined || at - now >= ctx.cfg.heartbeatMs) return // the next tick is soon enough
    this.failTimer = ctx.env.setTimeout(() => {
      this.failTimer = undefined
      const later = ctx.now()
      for (const f of ctx.roster.failUnrefuted(later, ctx.cfg.failAfterMs, this.watched)) this.membership.accept(f, undefined)
      this.armFailureCheck(later)
    }, at - now + 1)
  }
}
