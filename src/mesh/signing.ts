/**
 * Origin signatures for relayed messages: Ed25519 over a canonical encoding of the fields that
 * must not change in transit (everything but `hops` and `sig`). Uses node:crypto key objects,
 * cached per origin, because signing sits on the per-message path.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { KeyObject } from 'node:crypto'
import type { AckFrame, MsgFrame } from '../protocol/frames.ts'
import type { PrivateKey } from '@libp2p/interface'

// DER prefixes that wrap a raw 32-byte Ed25519 key as PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const encoder = new TextEncoder()

export function signedBytes (f: MsgFrame | AckFrame): Uint8Array {
  return encoder.encode(JSON.stringify(f.type === 'ACK'
    ? ['p2p-overlay/ack/v1', f.id, f.from, f.origin, f.to]
    : ['p2p-overlay/msg/v1', f.id, f.origin, f.from, f.to ?? null, f.ts, f.text]))
}

export class Signer {
  private readonly key: KeyObject

  constructor (privateKey: PrivateKey) {
    if (privateKey.type !== 'Ed25519') throw new Error('message signing needs an Ed25519 identity')
    const seed = privateKey.raw.subarray(0, 32)
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  }

  sign (f: MsgFrame | AckFrame): string {
    return sign(null, signedBytes(f), this.key).toString('base64url')
  }
}

export class Verifier {
  private readonly keys = new Map<string, KeyObject | null>()

  /** True when `sig` is origin's signature over the frame. Unknown key types fail. */
  verify (f: MsgFrame | AckFrame): boolean {
    if (f.sig === undefined || f.origin === undefined) return false
    const key = this.keyFor(f.origin)
    if (key === null) return false
    try {
      return verify(null, signedBytes(f), key, Buffer.from(f.sig, 'base64url'))
    } catch {
      return false
    }
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
