/**
 * What libp2p keeps per connection that the overlay never uses. A hub holds one session per leaf,
 * so each of these is paid hundreds of times.
 */
import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'

const noop = (): void => {}
const silent: Logger = Object.assign(noop.bind(null), { error: noop, trace: noop, enabled: false, newScope: (): Logger => silent })

/**
 * libp2p's default logger gives every connection and stream its own `debug` instances (about
 * 2.7 KiB per hub session). Unless DEBUG is set at start-up, one shared silent logger stands in.
 */
export function loggerFor (env: NodeJS.ProcessEnv): { logger?: ComponentLogger } {
  return (env.DEBUG ?? '') === '' ? { logger: { forComponent: () => silent } } : {}
}

/**
 * libp2p builds a remote Ed25519 peer id's multihash from a protobuf it encodes with
 * Buffer.allocUnsafe, so the Digest's `digest` field stays a 36-byte view of an 8 KiB Buffer pool
 * slab for as long as the connection lives (on a busy hub, about one slab per session). Its `bytes`
 * field is a fresh exact-size copy that ends with the same digest: point `digest` at that tail.
 * Same content; anything unexpected (another shape, frozen fields) leaves the peer id untouched.
 */
export function unpinPeerId (peer: PeerId): void {
  const mh = (peer as unknown as { multihash?: { digest?: unknown, bytes?: unknown } }).multihash
  const digest = mh?.digest
  const bytes = mh?.bytes
  if (mh == null || !(digest instanceof Uint8Array) || !(bytes instanceof Uint8Array)) return
  if (digest.buffer === bytes.buffer || digest.buffer.byteLength <= bytes.byteLength || digest.byteLength > bytes.byteLength) return
  const tail = bytes.subarray(bytes.byteLength - digest.byteLength)
  for (let i = 0; i < tail.length; i++) if (tail[i] !== digest[i]) return
  try { mh.digest = tail } catch {}
}
