/** `overlay id`: the peer id (creating the identity if there is none yet) and the addresses. */
import { mkdir } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readStatus } from '../../node/data-dir.ts'
import { loadOrCreateIdentity } from '../../node/identity.ts'
import { MODES } from '../../node/modes.ts'
import { configAndDir } from './config.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function runId (values: ParsedArgs['values'], io: Io): Promise<number> {
  const { config, dir } = await configAndDir(values, io)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(dir)).toString()
  const status = await readStatus(dir)
  // A running node knows its real addresses; otherwise show what it would listen on.
  const addrs = status?.addrs ?? (config.listen ?? MODES[config.mode].defaultListen).map(a => `${a}/p2p/${peerId}`)
  if (values.json === true) {
    io.stdout.write(JSON.stringify({ type: 'id', peerId, addrs, running: status !== undefined, dataDir: dir }) + '\n')
  } else {
    io.stdout.write(`${peerId}\n${addrs.map(a => `  ${a}`).join('\n')}\n`)
  }
  return 0
}
