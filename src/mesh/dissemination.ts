/**
 * Dissemination: how a frame reaches the neighbours. `spread` sends one frame to every link but
 * the one it came from, encoded once per wire; text clients get only broadcasts, as MSG lines.
 * Membership news goes by `Dissemination` instead: a few neighbours at once, the rest riding on probes.
 */
import { encodeTextLine } from '../protocol/text-codec.ts'
import { Wire } from '../protocol/frames.ts'
import { wireBytes } from './unsigned.ts'
import { isClaim } from './trust.ts'
import { isCore, Urgency } from './link.ts'
import { shuffle } from './env.ts'
import type { TimerHandle } from './env.ts'
import { MemberState } from '../protocol/frames.ts'
import type { MeshContext } from './context.ts'
import type { Link } from './link.ts'
import type { MemberFrame, MeshAck, MeshMsg } from '../protocol/frames.ts'

const encoder = new TextEncoder()

export interface SpreadOptions {
  /** Keep away from leaves and text clients, which never relay. */
  coreOnly?: boolean
  /** The frame's JSON wire bytes, when already encoded. */
  encoded?: Uint8Array
  /** A link gets the broadcast's id instead of it (lazy tree links); returns true when it did. */
  lazy?: (link: Link, f: MeshMsg) => boolean
}

export function spread (ctx: MeshContext, f: MemberFrame | MeshMsg | MeshAck, except: Link | undefined, opts: SpreadOptions = {}): void {
  let json = opts.encoded
  let text: Uint8Array | undefined
  for (const l of ctx.links.values()) {
    if (l === except) continue
    if (l.wire === Wire.text) {
      if (opts.coreOnly === true || f.type !== 'MSG' || f.to !== undefined) continue
      text ??= encoder.encode(encodeTextLine({ type: 'MSG', from: f.from, text: f.text }))
      l.send(text)
      continue
    }
    if (opts.coreOnly === true && l.mode === 'leaf') continue
    if (f.type === 'MSG' && opts.lazy?.(l, f) === true) continue
    json ??= wireBytes(f)
    // Leaves only read membership news (they never pass it on): it may wait to share a write.
    l.send(json, f.type === 'MEMBER' && l.mode === 'leaf' ? Urgency.linger : Urgency.soon)
  }
  if (except !== undefined) ctx.stats.relayed++
}

/** The frame as passed on: reports carry no signature (only claims are signed). */
export function relayed (f: MemberFrame, hops: number): MemberFrame {
  const out: MemberFrame = { ...f, hops }
  if (out.sig !== undefined && !isClaim(out.state)) delete out.sig
  return out
}

/** memberlist's retransmit multiplier λ: a node sends each update at most λ·ceil(log10(N + 1)) times. */
export const RETRANSMIT_MULT = 4
/** Neighbours that get an update at once when it is news (memberlist gossips to 3 a round). */
export const GOSSIP_FANOUT = 3
/** While updates wait, every this many ms GOSSIP_FANOUT random sessions that lack some get them (memberlist's gossip interval: 200 ms on a LAN, 100 ms in its local profile; a sparse mesh relays hop by hop, so the shorter). */
export const GOSSIP_INTERVAL_MS = 100
/** Queued updates that ride on one PROBE or PROBEACK, or go in one gossip round to one session. */
export const PIGGYBACK_MAX = 8
/** Updates queued at most; past it the oldest is dropped (`gossipDropped`), anti-entropy repairs it. */
export const GOSSIP_QUEUE_MAX = 4096

interface Queued {
  bytes: Uint8Array
  /** Times sent to a neighbour, and the most it may be (the budget when it was queued). */
  sent: number
  limit: number
  /** Neighbours known to have it: those we sent it to or heard it from. */
  has: Set<string>
}

/**
 * Membership news, SWIM-style (docs/PROTOCOL.md 7.13): a node sends each update to GOSSIP_FANOUT
 * neighbours at once, then lets it ride on the PROBEs and PROBEACKs it sends anyway and on gossip
 * rounds every GOSSIP_INTERVAL_MS while any waits, until it has been sent λ·ceil(log10(N + 1))
 * times or every neighbour has it. A session is reliable, so no
 * neighbour gets one update twice from us; the budget keeps a node with many links (a hub) from
 * paying its degree for every update. Leaves never pass news on: they get every update at once.
 */
export class Dissemination {
  private readonly ctx: MeshContext
  /** By member (and accuser, for a suspicion): a newer update about it replaces the queued one. */
  private readonly queue = new Map<string, Queued>()
  private timer: TimerHandle

  constructor (ctx: MeshContext) {
    this.ctx = ctx
  }

  /** Updates waiting for a ride. */
  get size (): number { return this.queue.size }

  /** Times each update is sent at most: λ·ceil(log10(N + 1)), N the present members with us. */
  budget (): number {
    return RETRANSMIT_MULT * Math.ceil(Math.log10(this.ctx.roster.present().length + 2))
  }

  /** News about a member, from `from` (undefined: our own). */
  publish (f: MemberFrame, from: Link | undefined): void {
    const ctx = this.ctx
    const key = keyOf(f)
    this.queue.delete(key)
    if (this.queue.size >= GOSSIP_QUEUE_MAX) {
      this.queue.delete(this.queue.keys().next().value as string)
      ctx.stats.gossipDropped++
    }
    const q: Queued = { bytes: wireBytes(f), sent: 0, limit: this.budget(), has: new Set(from === undefined ? [] : [from.peer]) }
    this.queue.set(key, q)
    const core: Link[] = []
    for (const l of ctx.links.values()) {
      if (l === from || l.wire !== Wire.json) continue
      if (l.mode === 'leaf') l.send(q.bytes, Urgency.linger)
      else core.push(l)
    }
    const targets = core.length <= GOSSIP_FANOUT ? core : shuffle(ctx.env, core).slice(0, GOSSIP_FANOUT)
    for (const l of targets) this.send(key, q, l, Urgency.soon)
    ctx.stats.gossiped++
    if (from !== undefined) ctx.stats.relayed++
    this.arm()
  }

  /**
   * A gossip round after GOSSIP_INTERVAL_MS, while a core neighbour lacks a queued update. An idle
   * node, or a hub holding only leaves, arms no timer: a neighbour that opens later gets our roster.
   */
  private arm (): void {
    if (this.timer !== undefined || this.ctx.leaving || !this.someoneLacks()) return
    this.timer = this.ctx.env.setTimeout(() => {
      this.timer = undefined
      this.round()
      this.arm()
    }, GOSSIP_INTERVAL_MS)
  }

  /** Up to GOSSIP_FANOUT random sessions that lack some queued update get up to PIGGYBACK_MAX of them. */
  private round (): void {
    const ctx = this.ctx
    const lacking = [...ctx.links.values()].filter(l => isCore(l) && [...this.queue.values()].some(q => !q.has.has(l.peer)))
    for (const l of shuffle(ctx.env, lacking).slice(0, GOSSIP_FANOUT)) this.take(l, Urgency.soon)
    ctx.stats.gossipRounds++
  }

  /** `from` sent us an update we already had: it needs it no more from us. */
  heard (f: MemberFrame, from: Link): void {
    const key = keyOf(f)
    const q = this.queue.get(key)
    if (q === undefined) return
    q.has.add(from.peer)
    if (this.everyoneHas(q)) this.queue.delete(key)
  }

  /** `l` got our roster, which holds the state every queued update carries (or newer). */
  greeted (l: Link): void {
    for (const [key, q] of this.queue) {
      q.has.add(l.peer)
      if (this.everyoneHas(q)) this.queue.delete(key)
    }
  }

  /**
   * A PROBE or PROBEACK is about to go to `l` (at once): up to PIGGYBACK_MAX queued updates it lacks
   * wait for it, so they share its write.
   */
  piggyback (l: Link): void {
    if (this.queue.size === 0 || !isCore(l)) return
    this.ctx.stats.piggybacked += this.take(l, Urgency.linger)
  }

  /** Sends `l` up to PIGGYBACK_MAX queued updates it lacks; returns how many. */
  private take (l: Link, when: Urgency): number {
    let room = PIGGYBACK_MAX
    // Fewest sends first: the newest news has the farthest to go (memberlist's order).
    const fresh = [...this.queue].filter(([, q]) => !q.has.has(l.peer)).sort((a, b) => a[1].sent - b[1].sent)
    let sent = 0
    for (const [key, q] of fresh) {
      if (room-- === 0) break
      this.send(key, q, l, when)
      sent++
    }
    return sent
  }

  private send (key: string, q: Queued, l: Link, when: Urgency): void {
    l.send(q.bytes, when)
    q.has.add(l.peer)
    if (++q.sent >= q.limit || this.everyoneHas(q)) this.queue.delete(key)
  }

  private someoneLacks (): boolean {
    for (const q of this.queue.values()) if (!this.everyoneHas(q)) return true
    return false
  }

  private everyoneHas (q: Queued): boolean {
    for (const l of this.ctx.links.values()) if (isCore(l) && !q.has.has(l.peer)) return false
    return true
  }

  stop (): void {
    this.queue.clear()
    this.ctx.env.clearTimeout(this.timer)
    this.timer = undefined
  }
}

/** A suspicion is news per accuser (each shortens it); anything else replaces what we had about the member. */
function keyOf (f: MemberFrame): string {
  return f.state === MemberState.suspect && f.by !== undefined ? `${f.peerId} ${f.by}` : f.peerId
}
