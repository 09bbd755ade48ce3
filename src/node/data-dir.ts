/**
 * Where a node keeps its identity and token, and the lock that stops two processes from sharing it.
 * Without --data-dir, a node uses <data home>/p2p-overlay/<name>, or the first free "node", "node-2", …
 */
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { DataDirLockedError } from '../errors.ts'

const LOCK_FILE = 'lock'
/** Written while a node runs, so `overlay health` and `overlay id` can find it. */
const STATUS_FILE = 'node.json'

export interface NodeStatus { peerId: string, name: string, mode: string, addrs: string[], pid: number }

export async function writeStatus (dir: string, status: NodeStatus): Promise<void> {
  await writeFile(join(dir, STATUS_FILE), JSON.stringify(status, null, 2) + '\n', { mode: 0o600 })
}

export async function removeStatus (dir: string): Promise<void> {
  await rm(join(dir, STATUS_FILE), { force: true })
}

/** The running node's status, or undefined when none runs from this dir. */
export async function readStatus (dir: string): Promise<NodeStatus | undefined> {
  try {
    const status = JSON.parse(await readFile(join(dir, STATUS_FILE), 'utf8')) as NodeStatus
    return alive(status.pid) ? status : undefined
  } catch {
    return undefined
  }
}

/** The dir a node with this config uses, without locking it (for commands that only read). */
export function dataDirFor (configured: string | undefined, name: string | undefined, home = dataHome()): string {
  if (configured !== undefined) return resolve(configured)
  return join(home, name ?? 'node')
}
const MAX_SLOTS = 100

export function dataHome (env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'p2p-overlay')
}

export interface DataDir { path: string, release: () => Promise<void> }

/** Locks the configured dir, or picks and locks a free default slot. */
export async function acquireDataDir (configured: string | undefined, name: string | undefined, home = dataHome()): Promise<DataDir> {
  if (configured !== undefined) return await lock(resolve(configured), true)
  if (name !== undefined) return await lock(join(home, name), true)
  for (let slot = 1; slot <= MAX_SLOTS; slot++) {
    const dir = await lock(join(home, slot === 1 ? 'node' : `node-${slot}`), false)
    if (dir !== undefined) return dir
  }
  throw new DataDirLockedError(`all ${MAX_SLOTS} default data dirs under ${home} are in use; pass --data-dir`)
}

/** Dirs locked by nodes of this process: a lock file with our own pid is only stale when it is not here. */
const heldHere = new Set<string>()

async function lock (dir: string, required: true): Promise<DataDir>
async function lock (dir: string, required: false): Promise<DataDir | undefined>
async function lock (dir: string, required: boolean): Promise<DataDir | undefined> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, LOCK_FILE)
  for (let tries = 0; tries < 2; tries++) {
    if (heldHere.has(dir)) {
      if (!required) return undefined
      throw new DataDirLockedError(`${dir} is in use by another node in this process; pass another dataDir`)
    }
    try {
      const handle = await open(file, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      heldHere.add(dir)
      return { path: dir, release: async () => { heldHere.delete(dir); await rm(file, { force: true }) } }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      if (!required) return undefined
      throw new DataDirLockedError(`${dir} is in use by process ${holder}; stop it or pass another --data-dir`)
    }
    await rm(file, { force: true }) // stale: its process is gone (or it had our pid before a container restart)
  }
  throw new DataDirLockedError(`cannot lock ${dir}`)
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
