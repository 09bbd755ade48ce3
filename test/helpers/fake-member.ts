/**
 * A fake mesh member for adversarial tests: a bare libp2p node (TCP + Noise + yamux, no overlay code)
 * that opens the JSON protocol, does the mutual AUTH with the real proofs and JOINs under a name,
 * then writes whatever frames a test hands it. It records every frame it receives, and can keep
 * itself alive in the roster with MEMBER heartbeats. Not a spec file.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { JSON_PROTOCOL } from '../../src/index.ts'
import { Signer } from '../../src/mesh/signing.ts'
import { authProof, AuthRole } from '../../src/protocol/auth.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from '../../src/protocol/json-codec.ts'
import { loopbackAddr } from './create-nodes.ts'
import { waitFor } from './wait-for.ts'
import type { OverlayNode } from '../../src/index.ts'
import type { ErrFrame, Frame, MemberFrame, MsgFrame } from '../../src/protocol/frames.ts'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'

export interface JoinOptions {
  name: string
  token: string
  /** The fake's identity; default a fresh Ed25519 key. Reuse one key to join several nodes as one member. */
  privateKey?: PrivateKey
  mode?: string
  timeout?: number
}

export type JoinOutcome = { ok: true } | { ok: false, error: ErrFrame }

export class FakeMember {
  readonly node: Libp2p
  readonly privateKey: PrivateKey
  readonly name: string
  readonly received: Frame[] = []
  /** The frames of each received chunk: one yamux data frame, so one write by the remote. */
  readonly writes: Frame[][] = []
  /** The node this session is with. */
  readonly remote: OverlayNode
  private readonly stream: Stream
  private readonly signer: Signer
  private heartbeat?: ReturnType<typeof setInterval>
  private seq = 0
  readonly inc = Date.now()

  private constructor (node: Libp2p, privateKey: PrivateKey, name: string, remote: OverlayNode, stream: Stream) {
    this.node = node
    this.privateKey = privateKey
    this.name = name
    this.remote = remote
    this.stream = stream
    this.signer = new Signer(privateKey)
    const decoder = new LengthPrefixDecoder(16 * 1024 * 1024)
    stream.addEventListener('message', evt => {
      const frames = decoder.push(evt.data).map(decodeJsonFrame)
      this.received.push(...frames)
      this.writes.push(frames)
      // A fake kept alive answers probes as an honest member does (PROTOCOL.md 7.11).
      if (this.heartbeat !== undefined) for (const f of frames) if (f.type === 'PROBE' && f.target === undefined) this.send({ type: 'PROBEACK', n: f.n })
    })
  }

  /**
   * Dials `target`, runs AUTH (challenge, the listener's proof checked, our proof) and JOIN.
   * Resolves with the fake and whether the JOIN was accepted (or the ERR that refused it).
   */
  static async join (target: OverlayNode, options: JoinOptions): Promise<{ fake: FakeMember, outcome: JoinOutcome }> {
    const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    await node.start()
    const timeout = options.timeout ?? 10_000
    try {
      const stream = await node.dialProtocol(multiaddr(loopbackAddr(target)), JSON_PROTOCOL, { signal: AbortSignal.timeout(timeout) })
      const fake = new FakeMember(node, privateKey, options.name, target, stream)
      const dialerNonce = randomBytes(24).toString('base64url')
      fake.send({ type: 'AUTH', step: 'challenge', nonce: dialerNonce })
      const response = await fake.waitFrame(f => f.type === 'AUTH' || f.type === 'ERR', timeout)
      if (response.type !== 'AUTH' || response.nonce === undefined) throw new Error(`expected an AUTH response, got ${JSON.stringify(response)}`)
      const binding = { dialerNonce, listenerNonce: response.nonce, dialerPeerId: node.peerId.toString(), listenerPeerId: target.peerId }
      fake.send({ type: 'AUTH', step: 'proof', proof: authProof(options.token, AuthRole.dialer, binding) })
      const proof = await fake.waitFrame(f => (f.type === 'AUTH' && f.step === 'proof') || f.type === 'ERR', timeout)
      if (proof.type === 'AUTH' && proof.proof !== authProof(options.token, AuthRole.listener, binding)) throw new Error('the listener sent a wrong AUTH proof')
      fake.send({ type: 'JOIN', name: options.name, mode: options.mode ?? 'peer' })
      const reply = await fake.waitFrame(f => f.type === 'JOIN' || f.type === 'ERR', timeout)
      return { fake, outcome: reply.type === 'ERR' ? { ok: false, error: reply } : { ok: true } }
    } catch (err) {
      await node.stop()
      throw err
    }
  }

  get peerId (): string { return this.node.peerId.toString() }

  send (frame: Frame): void {
    this.stream.send(encodeJsonFrame(frame))
  }

  /** A MEMBER frame announcing this fake alive (a heartbeat), signed with its key as claims must be. */
  selfFrame (): MemberFrame {
    return this.signMember({ type: 'MEMBER', peerId: this.peerId, name: this.name, state: 'alive', inc: this.inc, seq: ++this.seq, addrs: [], mode: 'peer', hops: 0 })
  }

  /** Signs a MEMBER frame with this fake's key (whoever it is about: a forgery unless it is about the fake, or it names the fake as host). */
  signMember (f: MemberFrame): MemberFrame {
    const out: MemberFrame = { ...f }
    delete out.sig
    return { ...out, sig: this.signer.sign(out) }
  }

  /** Announces the fake now and every `everyMs`, so the node keeps it alive in its roster. */
  keepAlive (everyMs: number): void {
    this.send(this.selfFrame())
    this.heartbeat = setInterval(() => { try { this.send(this.selfFrame()) } catch {} }, everyMs)
    this.heartbeat.unref()
  }

  /** A broadcast MSG from this fake, validly signed with its own key (fields may be overridden, then the frame is signed). */
  signedMsg (text: string, fields: Partial<MsgFrame> = {}): MsgFrame {
    const f: MsgFrame = { type: 'MSG', id: randomUUID(), origin: this.peerId, from: this.name, ts: Date.now(), hops: 0, text, ...fields }
    f.sig = this.signer.sign(f)
    return f
  }

  /** Signs any frame with this fake's key (whatever origin it claims). */
  sign (f: MsgFrame): MsgFrame {
    return { ...f, sig: this.signer.sign(f) }
  }

  /** Waits for a received frame matching `predicate` and returns the first such. */
  async waitFrame (predicate: (f: Frame) => boolean, timeout = 10_000): Promise<Frame> {
    let found: Frame | undefined
    await waitFor(() => (found = this.received.find(predicate)) !== undefined, {
      timeout,
      message: `a matching frame from ${this.remote.name} (got ${this.received.map(f => f.type).join(' ')})`
    })
    return found as Frame
  }

  /** Latest MEMBER frame received about `peerId`. */
  latestMember (peerId: string): MemberFrame | undefined {
    return this.received.filter((f): f is MemberFrame => f.type === 'MEMBER' && f.peerId === peerId).at(-1)
  }

  async stop (): Promise<void> {
    clearInterval(this.heartbeat)
    await this.node.stop()
  }
}

/** Tracks fakes so a test's after/finally stops them all. */
export class FakeTracker {
  private readonly fakes: FakeMember[] = []

  async join (target: OverlayNode, options: JoinOptions): Promise<{ fake: FakeMember, outcome: JoinOutcome }> {
    const result = await FakeMember.join(target, options)
    this.fakes.push(result.fake)
    return result
  }

  /** Joins as a member `target` accepts and keeps alive in its roster (a heartbeat every `everyMs`). */
  async joinAlive (target: OverlayNode, options: JoinOptions, everyMs: number): Promise<FakeMember> {
    const { fake, outcome } = await this.join(target, options)
    if (!outcome.ok) throw new Error(`${options.name} could not join ${target.name}: ${outcome.error.code}`)
    fake.keepAlive(everyMs)
    return fake
  }

  async stopAll (): Promise<void> {
    await Promise.allSettled(this.fakes.splice(0).map(async f => { await f.stop() }))
  }
}

/**
 * A validly signed claim by a fresh identity that exists nowhere else (its own key, so every node
 * accepts it as that member's own word): news for tests that need real members cheaply.
 */
export async function freshClaim (fields: Partial<MemberFrame> & { name: string }): Promise<MemberFrame> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const f: MemberFrame = { type: 'MEMBER', peerId, state: 'alive', inc: Date.now(), seq: 0, addrs: [], mode: 'peer', hops: 0, ...fields }
  delete f.sig
  return { ...f, sig: new Signer(key).sign(f) }
}
