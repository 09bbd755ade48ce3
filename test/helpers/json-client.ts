/**
 * Drives the JSON protocol by hand over a raw client (see text-client.ts): the AUTH challenge,
 * response and both proofs, then JOIN. Lets tests stop at any step, or write half a frame.
 */
import { randomBytes } from 'node:crypto'
import { JSON_PROTOCOL } from '../../src/index.ts'
import { authProof, AuthRole } from '../../src/protocol/auth.ts'
import { encodeJsonFrame } from '../../src/protocol/json-codec.ts'
import { connectTextClient } from './text-client.ts'
import type { ClientOptions, TextClient } from './text-client.ts'
import type { AuthFrame, Frame } from '../../src/protocol/frames.ts'

export { encodeJsonFrame }

/** Opens a raw JSON_PROTOCOL stream to `addr`. */
export async function connectJsonClient (addr: string, options: ClientOptions = {}): Promise<TextClient> {
  return await connectTextClient(addr, { ...options, protocol: JSON_PROTOCOL })
}

export function sendFrame (client: TextClient, frame: Frame): void {
  client.write(encodeJsonFrame(frame))
}

export function newTestNonce (): string {
  return randomBytes(24).toString('base64url')
}

/** Sends the AUTH challenge and waits for the listener's response. */
export async function challenge (client: TextClient, nonce = newTestNonce()): Promise<{ dialerNonce: string, response: AuthFrame }> {
  sendFrame(client, { type: 'AUTH', step: 'challenge', nonce })
  const response = await client.waitFrame(f => f.type === 'AUTH' || f.type === 'ERR') as AuthFrame
  return { dialerNonce: nonce, response }
}

/** The dialer's proof for this client, bound to both nonces and both peer ids. */
export function dialerProof (client: TextClient, listenerPeerId: string, token: string, dialerNonce: string, listenerNonce: string): string {
  return authProof(token, AuthRole.dialer, { dialerNonce, listenerNonce, dialerPeerId: client.peerId, listenerPeerId })
}

/** Full handshake: challenge, proof (with `token`), the listener's proof, JOIN as `name`; resolves once the listener's JOIN arrives. */
export async function jsonJoin (client: TextClient, opts: { listenerPeerId: string, token: string, name: string, mode?: string }): Promise<{ dialerNonce: string, listenerNonce: string }> {
  const { dialerNonce, response } = await challenge(client)
  if (response.type !== 'AUTH' || response.nonce === undefined) throw new Error(`expected an AUTH response, got ${JSON.stringify(response)}`)
  sendFrame(client, { type: 'AUTH', step: 'proof', proof: dialerProof(client, opts.listenerPeerId, opts.token, dialerNonce, response.nonce) })
  await client.waitFrame(f => f.type === 'AUTH' && f.step === 'proof')
  sendFrame(client, { type: 'JOIN', name: opts.name, mode: opts.mode ?? 'peer' })
  await client.waitFrame(f => f.type === 'JOIN')
  return { dialerNonce, listenerNonce: response.nonce }
}
