/** The shared token: configured, read from a file, or generated once and kept in the data dir. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.ts'
import { generateToken } from '../protocol/auth.ts'

const TOKEN_FILE = 'token'

export interface TokenSource { token: string, generated: boolean, file?: string }

/** `generate: false` (for commands that only read) fails instead of creating a token. */
export async function resolveToken (opts: { token?: string, tokenFile?: string, dataDir: string, generate?: boolean }): Promise<TokenSource> {
  if (opts.token !== undefined) return { token: opts.token, generated: false }
  if (opts.tokenFile !== undefined) return { token: await readTokenFile(opts.tokenFile, 'tokenFile'), generated: false, file: opts.tokenFile }
  const file = join(opts.dataDir, TOKEN_FILE)
  try {
    return { token: await readTokenFile(file, 'token'), generated: false, file }
  } catch (err) {
    if ((err as ConfigError).cause === undefined || ((err as ConfigError).cause as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    if (opts.generate === false) throw err
  }
  const token = generateToken()
  await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' })
  return { token, generated: true, file }
}

async function readTokenFile (file: string, key: string): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(key, `cannot read token file ${file}: ${(err as Error).message}`, { cause: err })
  }
  const token = text.replace(/\r?\n$/, '')
  if (token === '' || /[\r\n]/.test(token)) throw new ConfigError(key, `token file ${file} must hold one non-empty line`)
  return token
}
