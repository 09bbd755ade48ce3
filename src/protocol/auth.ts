/**
 * Token checks. Text: the literal token, compared in constant time. JSON: a challenge-response in
 * which each side proves it knows the token with an HMAC bound to both peer ids and both nonces,
 * so the token never travels and a proof cannot be replayed on another connection. The dialer
 * proves first (session.ts), so a listener gives nothing away to a dialer without the token.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const NONCE_BYTES = 32
const LABEL = 'p2p-overlay/auth/v2'

export const AuthRole = { dialer: 'dialer', listener: 'listener' } as const
export type AuthRole = typeof AuthRole[keyof typeof AuthRole]

/** What a proof is bound to. */
export interface AuthBinding {
  dialerNonce: string
  listenerNonce: string
  dialerPeerId: string
  listenerPeerId: string
}

export function newNonce (): string {
  return randomBytes(NONCE_BYTES).toString('base64url')
}

/** Constant-time token comparison (hashing first makes lengths equal and hides them). */
export function tokensEqual (given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

export function authProof (token: string, role: AuthRole, b: AuthBinding): string {
  return createHmac('sha256', token)
    .update([LABEL, role, b.dialerNonce, b.listenerNonce, b.dialerPeerId, b.listenerPeerId].join('\n'))
    .digest('base64url')
}

export function proofValid (token: string, role: AuthRole, b: AuthBinding, proof: string): boolean {
  return tokensEqual(proof, authProof(token, role, b))
}

/** A fresh strong token for a node that was given none (256 bits, base64url). */
export function generateToken (): string {
  return randomBytes(32).toString('base64url')
}
