/**
 * Simulated nodes and links for the real mesh code (src/mesh/), in one process on virtual time.
 * Links are TCP-like sessions: frames arrive in order, after a latency; "loss" is a lost segment,
 * which TCP retransmits, so it delays the frame (and everything behind it on that link) by a
 * retransmission timeout. A crashed or partitioned peer's frames vanish; its links close after
 * LINK_TIMEOUT_MS, as a dead TCP connection would. A stalled node runs nothing (timers nor
 * frames) until it resumes.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeJsonFrame, encodeJsonFrame } from '../src/protocol/json-codec.ts'
import { Mesh } from '../src/mesh/mesh.ts'
import { MODES } from '../src/node/modes.ts'
import { signedBytes, Verifier } from '../src/mesh/signing.ts'
import { VirtualClock } from './clock.ts'
import type { Link, Urgency } from '../src/mesh/link.ts'
import type { Signable } from '../src/mesh/signing.ts'
import type { OverlayEvent } from '../src/events.ts'
import type { OverlayConfig } from '../src/config/defaults.ts'
import type { Frame } from '../src/protocol/frames.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { ErrorCode } from '../src/protocol/frames.ts'

/** A dead peer's link closes this long after it died (a TCP connection timing out). */
const LINK_TIMEOUT_MS = 10_000
/** TCP's minimum retransmission timeout (Linux): what one lost segment costs. */
const RTO_MS = 200

/**
 * Verifies each distinct (signer, claim, signature) once for the whole simulation: every node in
 * one process would otherwise check the same signatures N times over. Still a real Ed25519 check.
 */
class SharedVerifier extends Verifier {
  private readonly cache = new Map<string, boolean>()
  checks = 0

  override verifyBy (f: Signable, signer: string): boolean {
    const key = `${signer}|${f.sig ?? ''}|${Buffer.from(signedBytes(f)).toString('base64')}`
    let ok = this.cache.get(key)
    if (ok === undefined) {
      ok = super.verifyBy(f, signer)
      this.checks++
      this.cache.set(key, ok)
    }
    return ok
  }
}

export interface NetOptions {
  seed: number
  config: OverlayConfig['mesh']
  /** One-way latency, uniform in [min, max] ms. */
  latencyMs: [number, number]
  /** Chance that a frame is delayed by a retransmission (0..1). */
  loss: number
  maxFrameBytes?: number
  /** When set and false for a frame, the frame is lost (tests: make a node miss news). */
  deliverIf?: (from: SimNode, to: SimNode, frame: Frame) => boolean
  /** Called for every event of every node. */
  onEvent?: (node: SimNode, event: OverlayEvent) => void
}

export interface Traffic { frames: number, bytes: number, byType: Record<string, { frames: number, bytes: number }> }

export class SimNode {
  readonly peerId: string
  readonly name: string
  readonly key: PrivateKey
  mesh!: Mesh<SimLink>
  alive = true
  stalledUntil = 0
  dials = 0
  readonly sent: Traffic = { frames: 0, bytes: 0, byType: {} }

  constructor (key: PrivateKey, name: string) {
    this.key = key
    this.peerId = peerIdFromPrivateKey(key).toString()
    this.name = name
  }
}

export class SimLink implements Link {
  readonly peer: string
  readonly name: string
  readonly wire = 'json' as const
  readonly mode = 'peer'
  readonly encryption = 'sim'
  readonly from: SimNode
  readonly to: SimNode
  open = true
  /** The other end's link. */
  other!: SimLink
  private readonly net: SimNet
  /** When the last frame on this link arrives (TCP keeps order). */
  private lastArrival = 0

  constructor (net: SimNet, from: SimNode, to: SimNode) {
    this.net = net
    this.from = from
    this.to = to
    this.peer = to.peerId
    this.name = to.name
  }

  send (frame: Frame | Uint8Array, _when?: Urgency): void {
    if (!this.open || !this.from.alive) return
    const bytes = frame instanceof Uint8Array ? frame : encodeJsonFrame(frame)
    const body = bytes.subarray(prefixLength(bytes))
    const decoded = decodeJsonFrame(body)
    this.net.count(this.from, decoded.type, bytes.length)
    const clock = this.net.clock
    let delay = this.net.latency()
    for (let rto = RTO_MS; clock.random() < this.net.opts.loss && rto < 60_000; rto *= 2) delay += rto
    const arrival = Math.max(this.lastArrival, clock.now() + delay)
    this.lastArrival = arrival
    clock.at(arrival - clock.now(), () => { this.net.deliver(this, decoded) })
  }

  close (_code: ErrorCode, _message: string): void {
    this.net.hangUp(this, 'disconnect')
  }

  abort (_reason: string): void {
    this.net.hangUp(this, 'disconnect')
  }
}

function prefixLength (bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && ((bytes[i] as number) & 0x80) !== 0) i++
  return i + 1
}

export class SimNet {
  readonly clock: VirtualClock
  opts: NetOptions
  readonly nodes: SimNode[] = []
  readonly byId = new Map<string, SimNode>()
  readonly verifier = new SharedVerifier()
  /** Broadcast id + receiver -> hops when it first arrived. */
  readonly hops = new Map<string, number>()
  /** Partition groups: nodes in different groups cannot reach each other. Undefined = none. */
  private groupOf?: Map<string, number>
  private nextName = 0

  constructor (opts: NetOptions) {
    this.opts = opts
    this.clock = new VirtualClock(opts.seed)
  }

  latency (): number {
    const [min, max] = this.opts.latencyMs
    return min + this.clock.random() * (max - min)
  }

  reachable (a: SimNode, b: SimNode): boolean {
    return a.alive && b.alive && (this.groupOf === undefined || this.groupOf.get(a.peerId) === this.groupOf.get(b.peerId))
  }

  count (node: SimNode, type: string, bytes: number): void {
    node.sent.frames++
    node.sent.bytes += bytes
    const t = (node.sent.byType[type] ??= { frames: 0, bytes: 0 })
    t.frames++
    t.bytes += bytes
  }

  private readonly keys: PrivateKey[] = []

  /** Makes `count` more keys from the seed's sequence (async), so nodes can join while virtual time runs. */
  async prepareKeys (count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const seed = new Uint8Array(32)
      new DataView(seed.buffer).setUint32(0, this.opts.seed)
      new DataView(seed.buffer).setUint32(4, this.nextName + this.keys.length)
      this.keys.push(await generateKeyPairFromSeed('Ed25519', seed))
    }
  }

  /** Creates a node and starts its mesh; it dials `bootstrap`. */
  async addNode (bootstrap: SimNode[] = []): Promise<SimNode> {
    if (this.keys.length === 0) await this.prepareKeys(1)
    return this.join(bootstrap)
  }

  /** addNode with a prepared key, synchronous (for use inside virtual time). */
  join (bootstrap: SimNode[] = []): SimNode {
    const key = this.keys.shift()
    if (key === undefined) throw new Error('no prepared key: call prepareKeys first')
    const n = this.nextName++
    const node = new SimNode(key, `n${n}`)
    node.mesh = new Mesh<SimLink>({
      peerId: node.peerId,
      name: node.name,
      mode: 'peer',
      privateKey: key,
      behaviour: { relays: true, watchesLiveness: true, keepsDegree: true, dials: MODES.peer.dials },
      config: this.opts.config,
      maxFrameBytes: this.opts.maxFrameBytes ?? 1_048_576,
      addrs: () => [`/sim/${node.name}`],
      emit: e => { this.opts.onEvent?.(node, e) },
      dialMember: m => { const to = this.byId.get(m.peerId); if (to !== undefined) this.dial(node, to) },
      pendingDials: () => node.dials,
      env: this.clock.env(() => node.stalledUntil),
      verifier: this.verifier
    })
    this.nodes.push(node)
    this.byId.set(node.peerId, node)
    node.mesh.start()
    for (const b of bootstrap) this.dial(node, b)
    return node
  }

  /** Opens a link pair after a handshake's worth of round trips, if both ends are reachable then. */
  dial (from: SimNode, to: SimNode): void {
    if (from === to || from.mesh.links.has(to.peerId)) return
    from.dials++
    this.clock.at(3 * (this.latency() + this.latency()), () => {
      from.dials--
      if (!this.reachable(from, to) || from.mesh.links.has(to.peerId) || to.mesh.links.has(from.peerId)) return
      const ab = new SimLink(this, from, to)
      const ba = new SimLink(this, to, from)
      ab.other = ba
      ba.other = ab
      from.mesh.linkOpened(ab)
      to.mesh.linkOpened(ba)
    })
  }

  deliver (link: SimLink, frame: Frame): void {
    const to = link.to
    if (!link.open || !this.reachable(link.from, to) || this.opts.deliverIf?.(link.from, to, frame) === false) return
    if (to.stalledUntil > this.clock.now()) {
      // After the timers that came due meanwhile, as a real event loop runs timers before reading sockets.
      this.clock.at(to.stalledUntil - this.clock.now() + 1, () => { this.deliver(link, frame) })
      return
    }
    if (frame.type === 'MSG' && frame.to === undefined && frame.sig !== undefined) {
      const key = `${frame.id ?? ''}|${to.peerId}`
      if (!this.hops.has(key)) this.hops.set(key, (frame.hops ?? 0) + 1)
    }
    to.mesh.onFrame(link.other, frame)
  }

  /** Closes both ends of a link. */
  hangUp (link: SimLink, reason: 'exit' | 'disconnect'): void {
    if (!link.open) return
    link.open = false
    link.other.open = false
    if (link.from.alive) link.from.mesh.linkClosed(link, reason)
    if (link.to.alive) link.to.mesh.linkClosed(link.other, reason)
  }

  /** The process dies: nothing more from it; its peers' links time out later. */
  crash (node: SimNode): void {
    node.alive = false
    node.mesh.stop()
    for (const l of [...node.mesh.links.values()]) {
      this.clock.at(LINK_TIMEOUT_MS, () => { this.hangUp(l, 'disconnect') })
    }
  }

  /** Leaves cleanly: the mesh announces it, then every link closes with EXIT. */
  leave (node: SimNode): void {
    node.mesh.leave()
    this.clock.at(50, () => {
      for (const l of [...node.mesh.links.values()]) this.hangUp(l, 'exit')
      node.alive = false
      node.mesh.stop()
    })
  }

  stall (node: SimNode, ms: number): void {
    node.stalledUntil = Math.max(node.stalledUntil, this.clock.now() + ms)
  }

  /** Splits the nodes into groups; links across time out later. */
  partition (groups: SimNode[][]): void {
    this.groupOf = new Map()
    groups.forEach((g, i) => { for (const n of g) this.groupOf?.set(n.peerId, i) })
    for (const n of this.nodes) {
      for (const l of n.mesh.links.values()) {
        if (!this.reachable(n, l.to)) this.clock.at(LINK_TIMEOUT_MS, () => { if (this.groupOf !== undefined) this.hangUp(l, 'disconnect') })
      }
    }
  }

  heal (): void { this.groupOf = undefined }

  live (): SimNode[] { return this.nodes.filter(n => n.alive) }
}
