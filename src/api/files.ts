/** What the API leaves in the data dir: its address (api.json) and its token (api-token, 0600). */
import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const API_FILE = 'api.json'
export const API_TOKEN_FILE = 'api-token'
const TOKEN_BYTES = 24

export interface ApiInfo { url: string, pid: number }

/** The node's API token: kept across restarts (a bookmarked UI URL keeps working), created when missing. */
export async function loadOrCreateApiToken (dir: string): Promise<string> {
  const existing = await readApiToken(dir)
  if (existing !== undefined) return existing
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  try {
    await writeFile(join(dir, API_TOKEN_FILE), token + '\n', { mode: 0o600, flag: 'wx' })
    return token
  } catch (err) {
    // Another process wrote it meanwhile: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return await readApiToken(dir) ?? token
    throw err
  }
}

export async function readApiToken (dir: string): Promise<string | undefined> {
  try {
    const token = (await readFile(join(dir, API_TOKEN_FILE), 'utf8')).trim()
    return token === '' ? undefined : token
  } catch {
    return undefined
  }
}

export async function writeApiInfo (dir: string, info: ApiInfo): Promise<void> {
  await writeFile(join(dir, API_FILE), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
}

export async function removeApiInfo (dir: string): Promise<void> {
  await rm(join(dir, API_FILE), { force: true })
}

/** The running node's API address, or undefined when none is recorded or its process is gone. */
export async function readApiInfo (dir: string): Promise<ApiInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dir, API_FILE), 'utf8')) as ApiInfo
    if (typeof info.url !== 'string' || !Number.isInteger(info.pid)) return undefined
    process.kill(info.pid, 0)
    return info
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? JSON.parse(await readFile(join(dir, API_FILE), 'utf8')) as ApiInfo : undefined
  }
}
