/**
 * Direct routing: a MSG to one member and its ACK, over the member's own link, the neighbour it
 * was last heard through, or a flood.
 */
import { nanoid } from 'nanoid'
import { DeliveryError, InvalidFrameError } from '../errors.ts'
import { ErrorCode, Wire } from '../protocol/frames.ts'
import { isPresent } from './roster.ts'
import { AckOutcome, PendingAcks } from './pending.ts'
import { wireBytes } from './unsigned.ts'
import { spread } from './dissemination.ts'
import { Urgency } from './link.ts'
import type { MeshContext } from './context.ts'
import type { Link } from './link.ts'
import type { DirectMsg, MeshAck, MeshMsg } from '../protocol/frames.ts'

export class Direct {
  private readonly ctx: MeshContext
  private readonly acks = new PendingAcks()
  private readonly fitted: (f: MeshMsg) => Uint8Array | undefined

  constructor (ctx: MeshContext, fitted: (f: MeshMsg) => Uint8Array | undefined) {
    this.ctx = ctx
    this.fitted = fitted
  }

  /**
   * Sends to one member by name; resolves to its id on the member's acknowledgement. Not `async`:
   * the ACK settles the caller's promise itself, with no wrapping promise in between.
   */
  sendTo (name: string, text: string, signal?: AbortSignal): Promise<{ id: string }> {
    const ctx = this.ctx
    try {
      const target = ctx.roster.byName(name)
      if (target === undefined || !isPresent(target.state)) throw new DeliveryError('unknown_member', `no member named "${name}"`)
      const f: DirectMsg = { type: 'MSG', id: nanoid(), origin: ctx.self, from: ctx.init.name, to: target.peerId, ts: ctx.now(), hops: 0, text }
      const id = f.id
      const client = ctx.links.get(target.peerId)
      // A direct neighbour knows who sent it from the link itself; only relayed frames need a signature.
      if (client?.wire !== Wire.json) f.sig = ctx.signer.sign(f)
      const bytes = this.fitted(f)
      if (bytes === undefined) throw new InvalidFrameError(ErrorCode.frameTooLarge, `the message does not fit in limits.maxFrameBytes (${ctx.init.maxFrameBytes}) with its envelope`)
      if (f.sig !== undefined) ctx.seen.add(id, ctx.now())
      if (client?.wire === Wire.text) { deliverTo(client, f); return Promise.resolve({ id }) } // our own text client: handed over here
      signal?.throwIfAborted()
      const acked = this.acks.wait(id, target.host ?? target.peerId, { timeoutMs: ctx.cfg.directTimeoutMs, name, signal }, { id })
      this.route(target.peerId, f, undefined, bytes)
      return acked
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Acknowledges a direct message delivered here (or to a text client we host, named `name`). */
  ack (f: DirectMsg, name: string): void {
    const ctx = this.ctx
    const to = f.origin
    const ack: MeshAck = { type: 'ACK', id: f.id, from: name, origin: ctx.self, to, hops: 0 }
    if (ctx.links.get(to)?.wire !== Wire.json) {
      ack.sig = ctx.signer.sign(ack)
      ctx.seen.add(`ack:${ack.id}`, ctx.now())
    }
    this.route(to, ack, undefined)
  }

  /** An ACK from a node, decoded and filled in at the mesh's edge (Mesh.onFrame, unsigned.ts). */
  onAck (l: Link, f: MeshAck): void {
    const ctx = this.ctx
    if (l.mode === 'leaf' && f.origin !== l.peer) { ctx.stats.leafOther++; return }
    if (f.hops > ctx.cfg.hopLimit) { ctx.stats.hopLimit++; return }
    if (f.sig !== undefined && !ctx.seen.add(`ack:${f.id}`, ctx.now())) { ctx.stats.duplicate++; return }
    if (f.to === ctx.self) {
      if (f.sig === undefined ? f.origin !== l.peer : !ctx.verifier.verify(f)) { ctx.stats.forged++; return }
      if (this.acks.ack(f.id, f.origin) === AckOutcome.wrongAcker) ctx.stats.forged++
      return
    }
    if (f.sig === undefined) { ctx.stats.forged++; return } // unsigned ACKs are for the receiver only
    this.route(f.to, { ...f, hops: f.hops + 1 }, l)
  }

  /** Sends toward one peer: its own link, the neighbour we last heard it through, or a flood. */
  route (to: string, f: MeshMsg | MeshAck, from: Link | undefined, encoded?: Uint8Array): void {
    const ctx = this.ctx
    if (f.hops > ctx.cfg.hopLimit) return
    const via = ctx.links.get(to) ?? ctx.links.get(ctx.routes.get(to) ?? '')
    if (via !== undefined && via !== from && via.wire === Wire.json) { via.send(encoded ?? wireBytes(f), Urgency.now); ctx.stats.relayed++; return }
    spread(ctx, f, from, { coreOnly: true, ...(encoded === undefined ? {} : { encoded }) })
  }

  linkClosed (peer: string): void {
    for (const [target, via] of this.ctx.routes) if (via === peer) this.ctx.routes.delete(target)
  }

  failAll (err: Error): void {
    this.acks.failAll(err)
  }
}

/** A message for a text client we host, as its line. */
export function deliverTo (client: Link, f: MeshMsg): void {
  client.send({ type: 'MSG', from: f.from, text: f.text })
}
