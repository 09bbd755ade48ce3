/**
 * Broadcast: messages to everyone, down a tree of eager links with IHAVE/GRAFT/PRUNE repairs over
 * lazy ones (tree.ts holds the bookkeeping), and inbound MSG frames (direct ones go to Direct).
 */
import { nanoid } from 'nanoid'
import * as varint from 'uint8-varint'
import { InvalidFrameError } from '../errors.ts'
import { encodeJsonFrame, splitList } from '../protocol/json-codec.ts'
import { ErrorCode, Wire } from '../protocol/frames.ts'
import { isPresent } from './roster.ts'
import { BroadcastTree } from './tree.ts'
import { wireBytes } from './unsigned.ts'
import { spread } from './dissemination.ts'
import { deliverTo } from './direct.ts'
import { isCore } from './link.ts'
import type { MeshContext } from './context.ts'
import type { Direct } from './direct.ts'
import type { Link } from './link.ts'
import type { OverlayEvents } from '../events.ts'
import type { BroadcastMsg, GraftFrame, IHaveFrame, MeshMsg, PruneFrame } from '../protocol/frames.ts'

/** Messages stamped further than this from our clock are refused as replays or forgeries. */
const MAX_CLOCK_SKEW_MS = 60_000
/** Ask for an announced message this long after its IHAVE if the tree has not brought it. */
const GRAFT_AFTER_MS = 500
/** Relayed frames are kept this long (and up to this many bytes) to answer GRAFTs. */
const TREE_CACHE_MS = 10_000
const TREE_CACHE_BYTES = 16 * 1024 * 1024
/** Announced ids waited for at once. */
const TREE_MAX_MISSING = 10_000

export class Broadcast {
  private readonly ctx: MeshContext
  private readonly direct: Direct
  private readonly tree = new BroadcastTree({ graftAfterMs: GRAFT_AFTER_MS, cacheMs: TREE_CACHE_MS, maxCacheBytes: TREE_CACHE_BYTES, maxMissing: TREE_MAX_MISSING })

  constructor (ctx: MeshContext, direct: Direct) {
    this.ctx = ctx
    this.direct = direct
  }

  readonly view = { has: (peer: string) => this.tree.has(peer), isEager: (peer: string) => this.tree.isEager(peer) }

  linkOpened (l: Link): void {
    if (isCore(l)) this.tree.addPeer(l.peer)
  }

  linkClosed (l: Link): void {
    if (this.tree.has(l.peer)) this.regraft(this.tree.removePeer(l.peer))
  }

  /** Broadcasts text from this node (or from a text client it hosts). */
  originate (text: string, client: Link | undefined): BroadcastMsg {
    const ctx = this.ctx
    const f: BroadcastMsg = { type: 'MSG', id: nanoid(), origin: ctx.self, from: client?.name ?? ctx.init.name, ts: ctx.now(), hops: 0, text }
    if (client !== undefined || this.needsSignature()) f.sig = ctx.signer.sign(f)
    const bytes = this.fitted(f)
    if (bytes === undefined) {
      if (client === undefined) throw new InvalidFrameError(ErrorCode.frameTooLarge, `the message does not fit in limits.maxFrameBytes (${ctx.init.maxFrameBytes}) with its envelope`)
      client.close(ErrorCode.frameTooLarge, `the message does not fit in ${ctx.init.maxFrameBytes} bytes with its envelope`)
      return f
    }
    if (f.sig !== undefined) ctx.seen.add(f.id, ctx.now()) // unsigned ones never come back
    if (client !== undefined) this.deliver(f)
    // Unsigned means every member is our neighbour and nobody relays: it must go to all of them.
    if (f.sig === undefined) spread(ctx, f, client, { encoded: bytes })
    else this.push(f, client, bytes)
    return f
  }

  /** The frame's wire bytes, or undefined when they exceed what peers accept. */
  readonly fitted = (f: MeshMsg): Uint8Array | undefined => {
    const bytes = wireBytes(f)
    return bytes.length - varint.encodingLength(bytes.length) > this.ctx.init.maxFrameBytes ? undefined : bytes
  }

  /** A MSG from a node, decoded and filled in at the mesh's edge (Mesh.onFrame, unsigned.ts). */
  onMsg (l: Link, f: MeshMsg): void {
    const ctx = this.ctx
    if (l.mode === 'leaf' && f.origin !== l.peer) { ctx.stats.leafOther++; return }
    if (f.hops > ctx.cfg.hopLimit) { ctx.stats.hopLimit++; return }
    // Unsigned frames come once, straight from their origin, and are never passed on: no dedup needed.
    const signed = f.sig !== undefined
    if (signed && ctx.seen.has(f.id, ctx.now())) { this.duplicate(l, f); return }
    if (Math.abs(ctx.now() - f.ts) > Math.min(ctx.cfg.seenTtlMs, MAX_CLOCK_SKEW_MS)) { ctx.stats.stale++; return }
    // Unsigned is fine only straight from its origin: the link's Noise/TLS handshake proved who sent it.
    const direct = f.origin === l.peer
    if (signed ? !ctx.verifier.verify(f) : !direct) { ctx.stats.forged++; return }
    const claimed = ctx.roster.byName(f.from)
    if (claimed !== undefined && isPresent(claimed.state) && claimed.peerId !== f.origin && claimed.host !== f.origin) { ctx.stats.forged++; return }
    if (f.to !== undefined && f.to !== ctx.self && !signed) { ctx.stats.forged++; return } // unsigned frames are for the receiver only
    if (signed) {
      ctx.seen.add(f.id, ctx.now())
      this.tree.received(f.id, l.peer)
    }
    if (f.to !== undefined && f.to !== ctx.self) {
      const hosted = ctx.links.get(f.to)
      if (hosted?.wire === Wire.text) { deliverTo(hosted, f); this.direct.ack(f, hosted.name); return }
      this.direct.route(f.to, { ...f, hops: f.hops + 1 }, l)
      return
    }
    // The ACK goes out before the application's 'message' listeners run, so they do not delay it.
    if (f.to !== undefined) { this.direct.ack(f, ctx.init.name); this.deliver(f); return }
    this.deliver(f)
    if (ctx.relays && signed && f.hops + 1 <= ctx.cfg.hopLimit) this.push({ ...f, hops: f.hops + 1 }, l)
  }

  /** A broadcast we already have: the link that brought it is redundant, so prune it (relaying nodes only). */
  private duplicate (l: Link, f: MeshMsg): void {
    this.ctx.stats.duplicate++
    if (f.to === undefined && this.ctx.relays && this.tree.duplicate(f.id, l.peer)) l.send({ type: 'PRUNE' })
  }

  onTreeFrame (l: Link, f: IHaveFrame | GraftFrame | PruneFrame): void {
    const ctx = this.ctx
    ctx.stats.control++
    const peer = l.peer
    if (!this.tree.has(peer)) return // leaves and text clients are outside the tree
    switch (f.type) {
      case 'PRUNE': this.tree.prune(peer); break
      case 'IHAVE': this.tree.announced(peer, f.ids, ctx.now(), id => ctx.seen.has(id, ctx.now())); break
      case 'GRAFT':
        this.tree.graft(peer)
        for (const id of f.ids) {
          const bytes = this.tree.cached(id)
          if (bytes !== undefined) l.send(bytes)
        }
    }
  }

  /**
   * Sends a signed broadcast down the tree: to eager links, leaves and text clients; lazy links get
   * its id in the next IHAVE. Keeps the frame for GRAFTs.
   */
  private push (f: BroadcastMsg, except: Link | undefined, encoded?: Uint8Array): void {
    const json = encoded ?? encodeJsonFrame(f)
    // Only a tree link can GRAFT it back: a hub serving leaves and text clients alone keeps nothing.
    if (this.tree.size > 0) this.tree.hold(f.id, json, this.ctx.now())
    spread(this.ctx, f, except, { encoded: json, lazy: this.lazy })
  }

  private readonly lazy = (l: Link, f: MeshMsg): boolean => {
    if (!this.tree.has(l.peer) || this.tree.isEager(l.peer)) return false
    this.tree.announce(l.peer, f.id)
    return true
  }

  /** A tree link went away: make every lazy link eager again, so no branch stays cut off. */
  private regraft (lazyPeers: string[]): void {
    for (const peer of lazyPeers) {
      this.tree.graft(peer)
      this.ctx.links.get(peer)?.send({ type: 'GRAFT', ids: [] })
    }
  }

  /** Sends the batched IHAVEs, GRAFTs for what the tree has not brought, and drops old frames. */
  tend (now: number): void {
    const ctx = this.ctx
    for (const [peer, ids] of this.tree.drainAnnouncements()) {
      for (const part of splitList(ids, ctx.init.maxFrameBytes)) ctx.links.get(peer)?.send({ type: 'IHAVE', ids: part })
    }
    for (const [peer, ids] of this.tree.dueGrafts(now, id => ctx.seen.has(id, now))) {
      const l = ctx.links.get(peer)
      if (l === undefined) continue
      this.tree.graft(peer)
      for (const part of splitList(ids, ctx.init.maxFrameBytes)) l.send({ type: 'GRAFT', ids: part })
    }
    this.tree.expire(now)
  }

  private deliver (f: MeshMsg): void {
    this.ctx.stats.delivered++
    const event: OverlayEvents['message'] = { id: f.id, from: f.from, origin: f.origin, text: f.text, ts: f.ts }
    if (f.to !== undefined) event.to = f.to
    this.ctx.emit({ type: 'message', ...event })
  }

  /** Unsigned messages are never relayed, so sign whenever some member is not our direct neighbour. */
  private needsSignature (): boolean {
    const ctx = this.ctx
    ctx.signingNeeded ??= ctx.roster.present().some(m => !ctx.links.has(m.peerId))
    return ctx.signingNeeded
  }
}
