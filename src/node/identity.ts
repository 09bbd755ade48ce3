/** The node's Ed25519 key, kept in its data dir (mode 0600) so the peer id survives restarts. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IdentityError } from '../errors.ts'
import type { PrivateKey } from '@libp2p/interface'

export const IDENTITY_FILE = 'identity.key'

/** Loads the key, or creates it when the file does not exist. A bad file is an error, never overwritten. */
export async function loadOrCreateIdentity (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, IDENTITY_FILE)
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new IdentityError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
    const key = await generateKeyPair('Ed25519')
    // 'wx': never replace a file another process created meanwhile.
    await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    return key
  }
  try {
    const key = privateKeyFromProtobuf(bytes)
    if (key.type !== 'Ed25519') throw new Error(`key type ${key.type}; expected Ed25519`)
    return key
  } catch (err) {
    throw new IdentityError(`${file} is not a valid identity key (${(err as Error).message}). It was left untouched; move it away to create a new identity, or restore it from a backup.`, { cause: err })
  }
}
