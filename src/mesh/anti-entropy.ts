/**
 * Push-pull anti-entropy (docs/PROTOCOL.md 7.12): every ANTI_ENTROPY_PERIODS periods a node sends
 * one random session peer a DIGEST of the members it holds present (with their incarnations, and
 * itself). Equal digests cost nothing more; different ones make each side send the other its
 * roster, as on a new session. So whatever gossip missed is repaired, while the idle cost stays one
 * small frame per node per ANTI_ENTROPY_PERIODS periods, whatever N.
 */
import { createHash } from 'node:crypto'
import { isPresent, syncFrames } from './roster.ts'
import { isCore } from './link.ts'
import type { MeshContext } from './context.ts'
import type { Membership } from './membership.ts'
import type { Link } from './link.ts'
import type { DigestFrame } from '../protocol/frames.ts'

/** Periods between two digests from one node. */
const ANTI_ENTROPY_PERIODS = 30

export class AntiEntropy {
  private readonly ctx: MeshContext
  private readonly membership: Membership
  private ticks = 0
  /** Per peer: when we last sent it our roster (a roster costs O(N): at most one per ANTI_ENTROPY_PERIODS / 2). */
  private readonly pushedAt = new Map<string, number>()

  constructor (ctx: MeshContext, membership: Membership) {
    this.ctx = ctx
    this.membership = membership
  }

  tick (): void {
    const ctx = this.ctx
    if (++this.ticks % ANTI_ENTROPY_PERIODS !== 0 || ctx.leaving) return
    const core = [...ctx.links.values()].filter(isCore)
    const peer = core[Math.floor(ctx.env.random() * core.length)]
    if (peer !== undefined) peer.send(this.digest(false))
  }

  onDigest (l: Link, f: DigestFrame): void {
    const ctx = this.ctx
    if (!isCore(l)) { ctx.stats.leafOther++; return }
    const mine = this.digest(true)
    if (mine.h === f.h) return
    this.push(l)
    if (f.reply !== true) l.send(mine)
  }

  /** Sends our roster (as on a new session), unless we did so to this peer lately. */
  private push (l: Link): void {
    const ctx = this.ctx
    const now = ctx.now()
    const last = this.pushedAt.get(l.peer)
    if (last !== undefined && now - last < ANTI_ENTROPY_PERIODS * ctx.cfg.heartbeatMs / 2) { ctx.stats.syncLimited++; return }
    if (this.pushedAt.size > 10_000) this.pushedAt.clear()
    this.pushedAt.set(l.peer, now)
    ctx.stats.syncs++
    this.membership.greet(l, ctx.roster.all().flatMap(syncFrames))
  }

  /** A hash of (peerId, inc) of every present member and ourselves, order-free. */
  private digest (reply: boolean): DigestFrame {
    const ctx = this.ctx
    const entries = [`${ctx.self}:${this.membership.self.inc}`]
    for (const m of ctx.roster.all()) if (isPresent(m.state)) entries.push(`${m.peerId}:${m.inc}`)
    entries.sort()
    const h = createHash('sha256').update(entries.join('\n')).digest('base64url').slice(0, 22)
    return reply ? { type: 'DIGEST', h, reply: true } : { type: 'DIGEST', h }
  }

  linkClosed (peer: string): void {
    this.pushedAt.delete(peer)
  }
}
