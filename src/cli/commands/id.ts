/** `overlay id`: the peer id and the addresses; creates an identity only when asked (--create). */
import { access, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readStatus } from '../../node/data-dir.ts'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../node/identity.ts'
import { MODES } from '../../node/modes.ts'
import { ExitCode } from '../exit-codes.ts'
import { configAndDir } from './config.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function runId (values: ParsedArgs['values'], io: Io): Promise<number> {
  const { config, dir } = await configAndDir(values, io)
  const exists = await access(join(dir, IDENTITY_FILE)).then(() => true, () => false)
  // A typo in --name must not quietly make a new identity.
  if (!exists && values.create !== true) {
    const who = config.name === undefined ? '' : ` for "${config.name}"`
    io.stderr.write(`overlay: no identity${who} in ${dir} (no node has run there); pass --create to make one\n`)
    return ExitCode.failed
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(dir)).toString()
  const status = await readStatus(dir)
  // A running node knows its real addresses; otherwise show what it would listen on.
  const addrs = status?.addrs ?? (config.listen ?? MODES[config.mode].defaultListen).map(a => `${a}/p2p/${peerId}`)
  if (values.json === true) {
    io.stdout.write(JSON.stringify({ type: 'id', peerId, addrs, running: status !== undefined, dataDir: dir, ...(exists ? {} : { created: true }) }) + '\n')
  } else {
    const state = status === undefined ? `not running (would listen on these; data dir ${dir})` : `running as ${status.name} (${status.mode}, pid ${status.pid}), listening on:`
    io.stdout.write(`${peerId}\n${exists ? '' : `created a new identity in ${dir}\n`}${state}\n${addrs.map(a => `  ${a}`).join('\n')}\n`)
  }
  return ExitCode.ok
}
