/**
 * Origin signatures for relayed messages: Ed25519 over a canonical encoding of the fields that
 * must not change in transit (everything but `hops` and `sig`). Uses node:crypto key objects,
 * cached per origin, because signing sits on the per-message path. MEMBER claims (alive, left) are
 * signed the same way by the member itself, or by the host of a text client (src/mesh/trust.ts).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { KeyObject } from 'node:crypto'
import type { AckFrame, MemberFrame, MsgFrame, ProbeAckFrame } from '../protocol/frames.ts'
import type { PrivateKey } from '@libp2p/interface'

// DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const encoder = new TextEncoder()

export type Signable = MsgFrame | AckFrame | MemberFrame | ProbeAckFrame

export function signedBytes (f: Signable): Uint8Array {
  switch (f.type) {
    case 'ACK': return encoder.encode(JSON.stringify(['p2p-overlay/ack/v1', f.id, f.from, f.origin, f.to]))
    case 'MSG': return encoder.encode(JSON.stringify(['p2p-overlay/msg/v1', f.id, f.origin, f.from, f.to ?? null, f.ts, f.text]))
    // Not seq or hops: heartbeats and relays change them without a new signature.
    case 'MEMBER': return encoder.encode(JSON.stringify(['p2p-overlay/member/v1', f.peerId, f.name, f.state, f.inc, f.addrs, f.mode ?? null, f.host ?? null, f.reason ?? null]))
    // A routed answer: the member answering (origin) to probe n of the prober (target); not hops.
    case 'PROBEACK': return encoder.encode(JSON.stringify(['p2p-overlay/probeack/v1', f.n, f.target ?? null, f.origin ?? null]))
  }
}

export class Signer {
  private readonly key: KeyObject

  constructor (privateKey: PrivateKey) {
    if (privateKey.type !== 'Ed25519') throw new Error('message signing needs an Ed25519 identity')
    const seed = privateKey.raw.subarray(0, 32)
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  }

  sign (f: Signable): string {
    return sign(null, signedBytes(f), this.key).toString('base64url')
  }
}

/**
 * Signatures found good, process-wide, by a hash of (signer, signature, signed bytes): a process
 * that hosts many nodes (tests, benchmarks, the simulator, an app embedding several) verifies each
 * claim once, not once per node: 200 leaves in one process spent half their CPU re-verifying the
 * same MEMBER claims. Sound across nodes: the answer depends on those three inputs only. Bounded.
 */
const goodSignatures = new Set<string>()
const MAX_GOOD_SIGNATURES = 4096

export class Verifier {
  private readonly keys = new Map<string, KeyObject | null>()

  /** True when `sig` is origin's signature over the frame. Unknown key types fail. */
  verify (f: MsgFrame | AckFrame): boolean {
    if (f.origin === undefined) return false
    return this.verifyBy(f, f.origin)
  }

  /** True when `sig` is `signer`'s signature over the frame (a MEMBER claim: the member or its host). */
  verifyBy (f: Signable, signer: string): boolean {
    if (f.sig === undefined) return false
    const key = this.keyFor(signer)
    if (key === null) return false
    const bytes = signedBytes(f)
    const seen = createHash('sha256').update(signer).update(f.sig).update(bytes).digest('base64')
    if (goodSignatures.has(seen)) return true
    let good = false
    try {
      good = verify(null, bytes, key, Buffer.from(f.sig, 'base64url'))
    } catch {}
    if (!good) return false
    if (goodSignatures.size >= MAX_GOOD_SIGNATURES) goodSignatures.delete(goodSignatures.values().next().value as string)
    goodSignatures.add(seen)
    return true
  }

  private keyFor (origin: string): KeyObject | null {
    let key = this.keys.get(origin)
    if (key !== undefined) return key
    key = null
    try {
      const pub = peerIdFromString(origin).publicKey
      if (pub?.type === 'Ed25519') key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub.raw]), format: 'der', type: 'spki' })
    } catch {}
    if (this.keys.size > 100_000) this.keys.clear()
    this.keys.set(origin, key)
    return key
  }
}
