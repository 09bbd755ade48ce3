/**
 * Peer exchange: a node dials known members until it holds `degree` core links, and now and then
 * re-dials a failed member (that is how a healed partition finds its way back).
 */
import { MemberState, Wire } from '../protocol/frames.ts'
import type { MeshContext } from './context.ts'
import type { Member } from './roster.ts'

/** Every this many ticks, a node tries to reach one failed member. */
const HEAL_EVERY_TICKS = 3

export class PeerExchange {
  private readonly ctx: MeshContext
  private ticks = 0

  constructor (ctx: MeshContext) {
    this.ctx = ctx
  }

  tick (): void {
    const ctx = this.ctx
    this.ticks++
    const core = [...ctx.links.values()].filter(l => l.wire === Wire.json && l.mode !== 'leaf').length
    // Which modes: node/modes.ts decides. Nobody dials a hosted client (it has a host).
    const wanted = ctx.init.behaviour.dials
    const dialable = (m: Member): boolean => m.peerId !== ctx.self && m.host === undefined && m.addrs.length > 0 &&
      wanted.includes(m.mode ?? 'peer') && !ctx.links.has(m.peerId)
    if (core + ctx.init.pendingDials() < ctx.cfg.degree) {
      const candidates = ctx.roster.present().filter(dialable)
      const pick = candidates[Math.floor(ctx.env.random() * candidates.length)]
      if (pick !== undefined) ctx.init.dialMember(pick)
    }
    if (this.ticks % HEAL_EVERY_TICKS === 0) {
      const failed = ctx.roster.all().filter(m => m.state === MemberState.failed && dialable(m))
      const pick = failed[Math.floor(ctx.env.random() * failed.length)]
      if (pick !== undefined) ctx.init.dialMember(pick)
    }
  }
}
