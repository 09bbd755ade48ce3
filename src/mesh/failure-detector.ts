/**
 * Failure detection, SWIM-style over the links the node already holds (docs/PROTOCOL.md 7.11).
 * Each period (mesh.heartbeatMs) a node probes its next max(1, sessions / mesh.degree) neighbours on
 * average, round-robin over a shuffled list: one a period at the mesh's target degree, so each member is
 * probed about once a period by its neighbours in all, as in SWIM; a hub probes its leaves on top,
 * each at least every LEAF_PROBE_PERIODS periods (a leaf has no one else to probe it, and watches
 * its hub by that traffic). It skips a neighbour that probed us within the last period: its PROBE
 * just showed it alive on that session. PROBE, answered by PROBEACK. No answer within the probe
 * timeout: it asks up to PROBE_HELPERS other neighbours to route a PROBE to it (indirect probe);
 * still nothing: it reports the member suspect. Members it can no longer reach over a link (a link
 * closed, so did the route through it) are probed by routed PROBEs only. Every node that hears a
 * suspicion starts a timer that scales with log N and shrinks with each independent accuser
 * (Lifeguard); the member refutes with a higher incarnation, or fails when the timer runs out. A node
 * whose own probes keep failing doubts itself first: its local health score stretches its probe
 * timeouts (Lifeguard).
 */
import { MemberState, Wire } from '../protocol/frames.ts'
import { isPresent, toFrame } from './roster.ts'
import { isCore, Urgency } from './link.ts'
import { shuffle } from './env.ts'
import type { MeshContext } from './context.ts'
import type { Membership } from './membership.ts'
import type { Link } from './link.ts'
import type { TimerHandle } from './env.ts'
import type { Member } from './roster.ts'
import type { ProbeAckFrame, ProbeFrame } from '../protocol/frames.ts'

/** Neighbours asked to route an indirect probe. */
const PROBE_HELPERS = 3
/** Lifeguard: the local health score's ceiling; probe timeouts stretch by (1 + score). */
const MAX_HEALTH_SCORE = 8
/** Independent accusers that bring a suspicion down to its shortest timeout. */
const SUSPICION_CONFIRMATIONS = 3
/** A suspicion with one accuser lasts this many times the shortest timeout. */
const SUSPICION_MAX_FACTOR = 3
/** A hub probes each of its leaves at least once in this many periods. */
const LEAF_PROBE_PERIODS = 2
/** Members no link reaches, probed by routed PROBEs per period at most. */
const ORPHAN_PROBES_PER_PERIOD = 4
/**
 * A probe timer that fires this much later than due (ms) says our own event loop stalled: the answer
 * may sit unread in a socket buffer (timers run before I/O). The phase is waited again, not judged.
 */
export const STALL_MS = 250
/** At most this many stalls excuse one probe phase. */
const STALL_RETRIES = 2
/** Weight of a new sample in a neighbour's smoothed probe round trip (TCP's SRTT gain). */
const RTT_GAIN = 0.125

interface Probe { target: string, timer: TimerHandle, phase: 'direct' | 'indirect', stalls: number, sentAt: number }
interface Suspicion { inc: number, start: number, by: Set<string>, timer: TimerHandle }

export class FailureDetector {
  private readonly ctx: MeshContext
  private readonly membership: Membership
  private readonly probes = new Map<number, Probe>()
  private readonly probing = new Set<string>()
  private readonly suspicions = new Map<string, Suspicion>()
  /** Members to reach by routed probes (their link or route went away). */
  private readonly orphans = new Set<string>()
  /** Per closed link: the members routed through it, probed only once its own member fails to answer. */
  private readonly behind = new Map<string, string[]>()
  private order: string[] = []
  private next = 0
  /** Probes owed to non-leaf neighbours: whole ones are sent each period, the fraction carries over. */
  private credit = 0
  /** Probe numbers: from the clock at start, so a signed answer to an earlier run's probe never matches one of ours. */
  private seq: number
  /** When each neighbour last probed us (its PROBE is proof of life: we need not probe it back). */
  private readonly probedBy = new Map<string, number>()
  /** Lifeguard local health: 0 = healthy. */
  private health = 0
  /** Smoothed PROBE-to-PROBEACK round trip (ms) per neighbour. */
  private readonly rtt = new Map<string, number>()

  constructor (ctx: MeshContext, membership: Membership) {
    this.ctx = ctx
    this.membership = membership
    this.seq = ctx.now()
  }

  get healthScore (): number { return this.health }

  /** The smoothed round trip (ms) of our direct probes to neighbour `peer`, if one was answered. */
  rttOf (peer: string): number | undefined { return this.rtt.get(peer) }

  /** One protocol period: probe the next neighbours, and a few members no link reaches. */
  tick (): void {
    const ctx = this.ctx
    if (!ctx.init.behaviour.watchesLiveness || ctx.leaving) return
    let leaves = 0
    for (const l of ctx.links.values()) if (l.mode === 'leaf') leaves++
    const others = ctx.links.size - leaves
    // max(1, others / degree) a period on average: the fraction carries over, so a node a few
    // sessions past the degree does not probe twice as often as one at it.
    this.credit = others === 0 ? 0 : this.credit + Math.max(1, others / Math.max(1, ctx.cfg.degree))
    const whole = Math.floor(this.credit)
    this.credit -= whole
    const count = whole + Math.ceil(leaves / LEAF_PROBE_PERIODS)
    for (let i = 0; i < count; i++) {
      const target = this.nextTarget()
      if (target === undefined) break
      if (target !== null) this.probe(target)
    }
    let budget = ORPHAN_PROBES_PER_PERIOD
    for (const peer of this.orphans) {
      if (budget-- === 0) break
      this.orphans.delete(peer)
      const m = ctx.roster.get(peer)
      if (m !== undefined && isPresent(m.state) && !ctx.links.has(peer) && this.watched(m)) this.probe(peer)
    }
  }

  /** Round-robin over a shuffled list of the neighbours that answer probes (not text clients). */
  private nextTarget (): string | null | undefined {
    const ctx = this.ctx
    for (let tries = 0; tries < 2; tries++) {
      while (this.next < this.order.length) {
        const peer = this.order[this.next++] as string
        const l = ctx.links.get(peer)
        const m = ctx.roster.get(peer)
        if (l?.wire !== Wire.json || m === undefined || !isPresent(m.state) || this.probing.has(peer)) continue
        if (ctx.now() - (this.probedBy.get(peer) ?? -Infinity) < ctx.cfg.heartbeatMs) { ctx.stats.probesSpared++; return null }
        return peer
      }
      this.order = shuffle(ctx.env, [...ctx.links.keys()])
      this.next = 0
    }
    return undefined
  }

  /** Each phase (direct, indirect) waits a third of suspectAfterMs, stretched while we are unhealthy. */
  private timeout (): number {
    return (this.ctx.cfg.suspectAfterMs / 3) * (1 + this.health)
  }

  private probe (target: string): void {
    const ctx = this.ctx
    const n = ++this.seq
    this.probing.add(target)
    const link = ctx.links.get(target)
    if (link === undefined) { this.indirect(n, target); return }
    ctx.stats.probes++
    this.membership.gossip.piggyback(link)
    link.send({ type: 'PROBE', n }, Urgency.now)
    const probe: Probe = { target, phase: 'direct', stalls: 0, timer: undefined, sentAt: ctx.now() }
    this.probes.set(n, probe)
    this.wait(probe, () => { this.indirect(n, target) })
  }

  /** Runs `then` when the probe's phase times out, unless our own stall is the likelier cause (STALL_MS). */
  private wait (probe: Probe, then: () => void): void {
    const env = this.ctx.env
    const ms = this.timeout()
    const due = this.ctx.now() + ms
    probe.timer = env.setTimeout(() => {
      if (this.ctx.now() - due > STALL_MS && probe.stalls < STALL_RETRIES) {
        probe.stalls++
        this.ctx.stats.probeStalls++
        this.health = Math.min(MAX_HEALTH_SCORE, this.health + 1)
        this.wait(probe, then)
        return
      }
      then()
    }, ms)
  }

  /** Asks other neighbours (the route's next hop first) to route a probe to `target`. */
  private indirect (n: number, target: string): void {
    const ctx = this.ctx
    const via = ctx.links.get(ctx.routes.get(target) ?? '')
    const helpers = shuffle(ctx.env, [...ctx.links.values()].filter(l => isCore(l) && l.peer !== target && l !== via)).slice(0, PROBE_HELPERS - (via === undefined ? 0 : 1))
    if (via !== undefined && via.peer !== target && isCore(via)) helpers.unshift(via)
    const frame: ProbeFrame = { type: 'PROBE', n, target, origin: ctx.self, hops: 0 }
    for (const h of helpers) h.send(frame, Urgency.now)
    ctx.stats.indirectProbes += helpers.length
    const probe: Probe = { target, phase: 'indirect', stalls: this.probes.get(n)?.stalls ?? 0, timer: undefined, sentAt: ctx.now() }
    this.probes.set(n, probe)
    // Nobody to ask (a hub that holds only leaves): waiting for answers that cannot come only delays.
    if (helpers.length === 0) { this.failed(n); return }
    this.wait(probe, () => { this.failed(n) })
  }

  private failed (n: number): void {
    const probe = this.probes.get(n)
    if (probe === undefined) return
    this.probes.delete(n)
    this.probing.delete(probe.target)
    this.ctx.stats.probeFailures++
    const m = this.ctx.roster.get(probe.target)
    if (m !== undefined && isPresent(m.state) && !this.ctx.leaving) this.accuse(m)
    // It is unreachable: so may be those we reached through it (a partition).
    for (const p of this.behind.get(probe.target) ?? []) this.orphans.add(p)
    this.behind.delete(probe.target)
  }

  /** Reports `m` suspect, or, if it already is, adds our voice to the suspicion. */
  private accuse (m: Member): void {
    const ctx = this.ctx
    const report = { ...toFrame(m, MemberState.suspect), by: ctx.self }
    if (m.state === MemberState.alive) { this.membership.accept(report, undefined); return }
    if (this.confirm(m.peerId, m.inc, ctx.self)) this.membership.passOn(report, undefined)
  }

  onProbe (l: Link, f: ProbeFrame): void {
    const ctx = this.ctx
    if (f.target === undefined) {
      this.probedBy.set(l.peer, ctx.now())
      this.membership.gossip.piggyback(l)
      l.send({ type: 'PROBEACK', n: f.n }, Urgency.now)
      return
    }
    if (l.mode === 'leaf' || l.wire !== Wire.json) { ctx.stats.leafOther++; return }
    if (f.origin === undefined) { ctx.stats.malformed++; return }
    ctx.learnRoute(f.origin, l.peer)
    if (f.target === ctx.self) {
      // Signed: the helpers it passes through must not be able to answer for us (7.10).
      const ack: ProbeAckFrame = { type: 'PROBEACK', n: f.n, target: f.origin, origin: ctx.self, hops: 0 }
      ack.sig = ctx.signer.sign(ack)
      l.send(ack, Urgency.now)
      return
    }
    this.forward(l, f)
  }

  onProbeAck (l: Link, f: ProbeAckFrame): void {
    const ctx = this.ctx
    if (f.target !== undefined && f.target !== ctx.self) {
      if (l.mode === 'leaf' || l.wire !== Wire.json) { ctx.stats.leafOther++; return }
      this.forward(l, f)
      return
    }
    const probe = this.probes.get(f.n)
    // A direct answer must come from the target's own link; a routed one names it as origin.
    if (probe === undefined || (f.target === undefined ? l.peer : f.origin) !== probe.target) return
    if (f.target !== undefined && !ctx.verifier.verifyBy(f, probe.target)) { ctx.stats.probeForged++; return }
    ctx.env.clearTimeout(probe.timer)
    if (probe.phase === 'direct') {
      const ms = ctx.now() - probe.sentAt
      const prev = this.rtt.get(probe.target)
      this.rtt.set(probe.target, prev === undefined ? ms : prev + RTT_GAIN * (ms - prev))
    }
    this.probes.delete(f.n)
    this.probing.delete(probe.target)
    this.behind.delete(probe.target)
    this.health = Math.max(0, this.health - 1)
  }

  /** Passes a routed PROBE or PROBEACK one hop on toward its target (relaying nodes only). */
  private forward (from: Link, f: ProbeFrame | ProbeAckFrame): void {
    const ctx = this.ctx
    const hops = f.hops ?? 0
    if (!ctx.relays || hops >= ctx.cfg.hopLimit) { ctx.stats.hopLimit++; return }
    const target = f.target as string
    const next = ctx.links.get(target) ?? ctx.links.get(ctx.routes.get(target) ?? '')
    if (next === undefined || next === from || next.wire !== Wire.json) return
    next.send({ ...f, hops: hops + 1 }, Urgency.now)
    ctx.stats.relayed++
  }

  /** Membership saw `m` change state (`by`: who accused it, for a suspicion). */
  stateChanged (m: Member, by: string | undefined): void {
    const ctx = this.ctx
    const old = this.suspicions.get(m.peerId)
    if (old !== undefined) { ctx.env.clearTimeout(old.timer); this.suspicions.delete(m.peerId) }
    if (m.state === MemberState.suspect && this.watched(m)) {
      const s: Suspicion = { inc: m.inc, start: ctx.now(), by: new Set(by === undefined ? [] : [by]), timer: undefined }
      this.suspicions.set(m.peerId, s)
      this.arm(m.peerId, s)
      // A neighbour suspected by someone else: look for ourselves now, to confirm or not.
      if (ctx.links.has(m.peerId) && !this.probing.has(m.peerId) && by !== ctx.self && ctx.init.behaviour.watchesLiveness) this.probe(m.peerId)
    }
    // We accused it and it answered with a higher incarnation: maybe we are the slow one (Lifeguard).
    if (m.state === MemberState.alive && old?.by.has(ctx.self) === true) this.health = Math.min(MAX_HEALTH_SCORE, this.health + 1)
    if (m.state === MemberState.failed || m.state === MemberState.left) {
      // Clients a gone host spoke for are gone with it.
      for (const c of ctx.roster.present()) if (c.host === m.peerId) this.membership.accept(toFrame(c, MemberState.failed), undefined)
    }
  }

  /** Another accuser of a current suspicion; true when it is news (then it is passed on). */
  confirm (peerId: string, inc: number, by: string): boolean {
    const s = this.suspicions.get(peerId)
    if (s === undefined || s.inc !== inc || s.by.has(by) || s.by.size > SUSPICION_CONFIRMATIONS) return false
    s.by.add(by)
    this.ctx.env.clearTimeout(s.timer)
    this.arm(peerId, s)
    return true
  }

  /**
   * Shortest suspicion: failAfterMs, times log10(N) - 1 from N = 100 on; one accuser waits
   * SUSPICION_MAX_FACTOR times that. Where no confirmation can come, the shortest (memberlist's rule
   * for small clusters): a leaf or text client is probed by its host alone, and a mesh of fewer than
   * SUSPICION_CONFIRMATIONS + 2 members has too few others to confirm.
   */
  suspicionTimeout (accusers: number, mode?: string): number {
    const n = this.ctx.roster.present().length + 1
    const min = this.ctx.cfg.failAfterMs * Math.max(1, Math.log10(n) - 1)
    if (mode === 'leaf' || mode === Wire.text || n - 2 < SUSPICION_CONFIRMATIONS) return min
    const max = min * SUSPICION_MAX_FACTOR
    const c = Math.max(0, accusers - 1)
    return Math.max(min, max - (max - min) * Math.log(c + 1) / Math.log(SUSPICION_CONFIRMATIONS + 1))
  }

  private arm (peerId: string, s: Suspicion): void {
    const ctx = this.ctx
    const due = s.start + this.suspicionTimeout(s.by.size, ctx.roster.get(peerId)?.mode)
    s.timer = ctx.env.setTimeout(() => {
      if (this.suspicions.get(peerId) !== s) return
      this.suspicions.delete(peerId)
      const m = ctx.roster.get(peerId)
      if (m?.state === MemberState.suspect && m.inc === s.inc && !ctx.leaving) this.membership.accept(toFrame(m, MemberState.failed), undefined)
    }, Math.max(0, due - ctx.now()))
  }

  /** We refuted a suspicion of ourselves: maybe we are the slow one (Lifeguard). */
  refuted (): void {
    this.health = Math.min(MAX_HEALTH_SCORE, this.health + 1)
  }

  /** A link closed without EXIT: its member is probed by routed probes; if it fails, so are those routed through it. */
  linkClosed (peer: string, reason: string, routedVia: string[]): void {
    this.probedBy.delete(peer)
    this.rtt.delete(peer)
    if (reason === 'exit' || reason === 'duplicate') return
    this.orphans.add(peer)
    if (routedVia.length > 0) this.behind.set(peer, routedVia)
  }

  stop (): void {
    for (const p of this.probes.values()) this.ctx.env.clearTimeout(p.timer)
    for (const s of this.suspicions.values()) this.ctx.env.clearTimeout(s.timer)
    this.probes.clear()
    this.probing.clear()
    this.suspicions.clear()
    this.behind.clear()
    this.probedBy.clear()
    this.rtt.clear()
    this.membership.gossip.stop()
  }

  /** Members this node watches: all but the clients it hosts (their link closing says they left). */
  private watched (m: Member): boolean {
    return m.host !== this.ctx.self
  }
}
