/**
 * The membership roster: every member's latest (incarnation, state). Pure: the clock is passed in.
 * Conflicts resolve the same way on every node: a higher incarnation wins; at equal incarnation the
 * state ranks alive < suspect < failed < left; at equal (inc, alive) a higher heartbeat seq is fresher.
 * A name stays with the present member that holds it. Who may say what is checked before (trust.ts).
 */
import { MemberState } from '../protocol/frames.ts'
import type { MemberFrame } from '../protocol/frames.ts'

export interface Member {
  peerId: string
  name: string
  state: MemberState
  inc: number
  seq: number
  addrs: string[]
  mode?: string
  /** The node that speaks for this member, when it is not the member itself. */
  host?: string
  /** Local time it entered `state`. */
  since: number
  /** Local time of its latest fresh announcement. */
  heardAt: number
  /** Its latest signed claim (alive or left): what it (or its host) said itself, passed on as said. */
  claim?: Claim
}

interface Claim {
  inc: number
  state: MemberState
  sig: string
  reason?: 'exit' | 'disconnect'
}

const RANK: Record<MemberState, number> = { alive: 0, suspect: 1, failed: 2, left: 3 }

export const isPresent = (state: MemberState | undefined): boolean => state === MemberState.alive || state === MemberState.suspect

/** What an update did: a new state (or a first sighting), a heartbeat refresh, or nothing (stale). */
export type Applied =
  | { kind: 'state', member: Member, previous?: MemberState }
  | { kind: 'refresh', member: Member, changed: boolean }
  | { kind: 'conflict', holder: Member }
  | { kind: 'stale' }

export function newer (a: { inc: number, state: MemberState }, b: { inc: number, state: MemberState }): boolean {
  return a.inc > b.inc || (a.inc === b.inc && RANK[a.state] > RANK[b.state])
}

const isClaimState = (state: MemberState): boolean => state === MemberState.alive || state === MemberState.left

function claimOf (f: MemberFrame): Claim | undefined {
  if (f.sig === undefined || !isClaimState(f.state)) return undefined
  const claim: Claim = { inc: f.inc, state: f.state, sig: f.sig }
  if (f.reason !== undefined) claim.reason = f.reason
  return claim
}

/** A report (suspect, failed) about a known member changes its state, never its name, addrs, mode or host. */
function asReport (f: MemberFrame, known: Member): MemberFrame {
  const out: MemberFrame = { ...f, name: known.name, addrs: known.addrs }
  delete out.sig
  delete out.mode
  delete out.host
  if (known.mode !== undefined) out.mode = known.mode
  if (known.host !== undefined) out.host = known.host
  return out
}

export class Roster {
  private readonly members = new Map<string, Member>()
  private readonly names = new Map<string, string>()

  get size (): number { return this.members.size }
  get (peerId: string): Member | undefined { return this.members.get(peerId) }
  all (): Member[] { return [...this.members.values()] }
  present (): Member[] { return this.all().filter(m => isPresent(m.state)) }
  byName (name: string): Member | undefined {
    const peerId = this.names.get(name)
    return peerId === undefined ? undefined : this.members.get(peerId)
  }

  /** Free, or held by this same peer id coming back. */
  nameAvailable (name: string, peerId: string): boolean {
    const holder = this.byName(name)
    return holder === undefined || holder.peerId === peerId || !isPresent(holder.state)
  }

  apply (frame: MemberFrame, now: number): Applied {
    const known = this.members.get(frame.peerId)
    const f = known !== undefined && !isClaimState(frame.state) ? asReport(frame, known) : frame
    if (known === undefined || newer(f, known)) {
      const holder = this.byName(f.name)
      // First come, first kept: whatever incarnation a challenger names (it chooses its own).
      if (isPresent(f.state) && holder !== undefined && holder.peerId !== f.peerId && isPresent(holder.state)) {
        return { kind: 'conflict', holder }
      }
      const previous = known?.state
      const member: Member = {
        peerId: f.peerId, name: f.name, state: f.state, inc: f.inc, seq: f.seq, addrs: f.addrs, since: now, heardAt: now
      }
      if (f.host !== undefined) member.host = f.host
      if (f.mode !== undefined) member.mode = f.mode
      const claim = claimOf(f) ?? known?.claim
      if (claim !== undefined) member.claim = claim
      if (known !== undefined && known.state === f.state) member.since = known.since
      if (known !== undefined && known.name !== f.name && this.names.get(known.name) === f.peerId) this.names.delete(known.name)
      this.members.set(f.peerId, member)
      if (isPresent(f.state) || this.names.get(f.name) === f.peerId) this.names.set(f.name, f.peerId)
      return { kind: 'state', member, ...(previous === undefined ? {} : { previous }) }
    }
    if (f.inc === known.inc && f.state === known.state && f.state === MemberState.alive && f.seq > known.seq) {
      const changed = !sameAddrs(known.addrs, f.addrs) || (f.mode !== undefined && f.mode !== known.mode) || (f.host !== undefined && f.host !== known.host)
      known.seq = f.seq
      known.heardAt = now
      if (changed) known.addrs = f.addrs
      if (f.mode !== undefined) known.mode = f.mode
      if (f.host !== undefined) known.host = f.host
      const claim = claimOf(f)
      if (claim !== undefined) known.claim = claim
      return { kind: 'refresh', member: known, changed }
    }
    return { kind: 'stale' }
  }

  /** A relayed heartbeat (inc, seq) of an alive member. Returns the member when it is news. */
  beat (peerId: string, inc: number, seq: number, now: number): Member | undefined {
    const known = this.members.get(peerId)
    if (known === undefined || known.state !== MemberState.alive || known.inc !== inc || seq <= known.seq) return undefined
    known.seq = seq
    known.heardAt = now
    return known
  }

  /**
   * Local failure detection: alive members silent for `suspectAfterMs` become suspect; suspects
   * not refuted within `failAfterMs` become failed. Returns the frames to gossip.
   */
  expire (now: number, suspectAfterMs: number, failAfterMs: number, watched: (m: Member) => boolean): MemberFrame[] {
    const out: MemberFrame[] = []
    for (const m of this.members.values()) {
      if (!watched(m)) continue
      if (m.state === MemberState.alive && now - m.heardAt > suspectAfterMs) out.push(toFrame(m, MemberState.suspect))
      else if (m.state === MemberState.suspect && now - m.since > failAfterMs) out.push(toFrame(m, MemberState.failed))
    }
    return out
  }

  /** Only the second half of `expire`: suspects not refuted within `failAfterMs` become failed. */
  failUnrefuted (now: number, failAfterMs: number, watched: (m: Member) => boolean): MemberFrame[] {
    return this.expire(now, Infinity, failAfterMs, watched)
  }

  /** When the next watched suspect runs out of time to refute (ms, not before `now`); undefined if none will. */
  nextFailureAt (now: number, failAfterMs: number, watched: (m: Member) => boolean): number | undefined {
    let at: number | undefined
    for (const m of this.members.values()) {
      const due = m.since + failAfterMs
      if (watched(m) && m.state === MemberState.suspect && due >= now && (at === undefined || due < at)) at = due
    }
    return at
  }

  /** Forgets failed and left members after `afterMs`. */
  reap (now: number, afterMs: number): void {
    for (const m of this.members.values()) {
      if (!isPresent(m.state) && now - m.since > afterMs) {
        this.members.delete(m.peerId)
        if (this.names.get(m.name) === m.peerId) this.names.delete(m.name)
      }
    }
  }
}

function sameAddrs (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The member's entry as a frame in `state`; it carries the claim's signature when it is that claim. */
export function toFrame (m: Member, state: MemberState = m.state, hops = 0): MemberFrame {
  const frame: MemberFrame = { type: 'MEMBER', peerId: m.peerId, name: m.name, state, inc: m.inc, seq: m.seq, addrs: m.addrs, hops }
  if (m.host !== undefined) frame.host = m.host
  if (m.mode !== undefined) frame.mode = m.mode
  if (m.claim !== undefined && m.claim.inc === m.inc && m.claim.state === state) {
    if (m.claim.reason !== undefined) frame.reason = m.claim.reason
    frame.sig = m.claim.sig
  }
  return frame
}

/**
 * What a newcomer needs to check the entry: the member's signed claim, then, when a suspicion has
 * moved the entry on from it, that report. A member gone without its own signed `left` (failed, or
 * seen to EXIT here) goes as a `failed` report alone: the claim first would show it present for a
 * moment; the report still reaches those who know it (and the member itself, which refutes it:
 * that is how a healed partition reconverges).
 */
export function syncFrames (m: Member): MemberFrame[] {
  if (m.claim === undefined) return []
  const claim: MemberFrame = { ...toFrame(m, m.claim.state), inc: m.claim.inc, sig: m.claim.sig }
  if (m.claim.reason !== undefined) claim.reason = m.claim.reason
  if (m.claim.inc === m.inc && m.claim.state === m.state) return [claim]
  return m.state === MemberState.suspect ? [claim, toFrame(m)] : [toFrame(m, MemberState.failed)]
}
