/** How the verbs that talk to a running node find its API: --api URL, or the data dir's api.json. */
import { ApiClient, ApiError } from '../../api/client.ts'
import { readApiInfo, readApiToken } from '../../api/files.ts'
import { UsageError } from '../args.ts'
import { configAndDir } from './config.ts'
import type { CommandName, ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const DEFAULT_TIMEOUT_MS = 10_000
export const API_TOKEN_ENV = 'OVERLAY_API_TOKEN'

export interface Connection { client: ApiClient, timeoutMs: number, dataDir?: string }

export async function connect (values: ParsedArgs['values'], io: Io, command: CommandName): Promise<Connection> {
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout must be a whole number of milliseconds', command)
  const given = typeof values['api-token'] === 'string' ? values['api-token'] : io.env[API_TOKEN_ENV] === '' ? undefined : io.env[API_TOKEN_ENV]
  const explicitDir = values['data-dir'] !== undefined || values.name !== undefined || values.config !== undefined
  if (typeof values.api === 'string') {
    if (!/^https?:\/\/[^/]+\/?$/.test(values.api)) throw new UsageError(`--api must be a URL like http://127.0.0.1:8080, got "${values.api}"`, command)
    // With --api, the token may still come from a named data dir.
    const dir = explicitDir ? (await configAndDir({ ...values, api: undefined }, io)).dir : undefined
    const token = given ?? (dir === undefined ? undefined : await readApiToken(dir))
    return { client: new ApiClient(values.api, token), timeoutMs, ...(dir === undefined ? {} : { dataDir: dir }) }
  }
  const { dir } = await configAndDir({ ...values, api: undefined }, io)
  const info = await readApiInfo(dir)
  if (info === undefined) {
    throw new ApiError(0, 'not_running', `no node with a control API is running from ${dir}; start one with \`overlay start\`, or pass --data-dir, --name or --api URL`)
  }
  return { client: new ApiClient(info.url, given ?? await readApiToken(dir)), timeoutMs, dataDir: dir }
}

/** Runs a verb; an ApiError becomes one clear line on stderr and exit 1. */
export async function runClient (io: Io, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn()
  } catch (err) {
    if ((err as Error).name !== ApiError.name) throw err
    io.stderr.write(`overlay: ${(err as Error).message}\n`)
    return 1
  }
}

export const print = (io: Io, json: boolean, type: string, detail: Record<string, unknown>, human: string): void => {
  io.stdout.write((json ? JSON.stringify({ type, ...detail }) : human) + '\n')
}
