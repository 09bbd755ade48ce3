/** `overlay health`: exit 0 when the node answers AUTH + PING over its own protocol, else 1. */
import { multiaddr } from '@multiformats/multiaddr'
import { readStatus } from '../../node/data-dir.ts'
import { checkHealth } from '../../node/health.ts'
import { ApiClient } from '../../api/client.ts'
import { readApiInfo } from '../../api/files.ts'
import { resolveToken } from '../../node/token.ts'
import { UsageError } from '../args.ts'
import { configAndDir } from './config.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const DEFAULT_TIMEOUT_MS = 5_000

export async function runHealth (values: ParsedArgs['values'], io: Io): Promise<number> {
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout)
  if (!Number.isSafeInteger(timeout) || timeout < 1) throw new UsageError('--timeout must be a whole number of milliseconds', 'health')
  const { config, dir } = await configAndDir(values, io)
  const report = (ok: boolean, detail: Record<string, unknown>, text: string): number => {
    io.stdout.write((values.json === true ? JSON.stringify({ type: 'health', ok, ...detail }) : text) + '\n')
    return ok ? 0 : 1
  }
  // Readiness from the control API when there is one; the protocol check otherwise (or with --addr).
  const apiUrl = typeof values.api === 'string' ? values.api : values.addr === undefined ? (await readApiInfo(dir))?.url : undefined
  if (apiUrl !== undefined) {
    const ready = await readyz(apiUrl, timeout)
    return ready.ok
      ? report(true, { status: 'ready', api: apiUrl }, `healthy: ready (${apiUrl}/readyz)`)
      : report(false, { reason: ready.reason, api: apiUrl }, `unhealthy: ${ready.reason} (${apiUrl}/readyz)`)
  }
  let addrs: string[]
  if (typeof values.addr === 'string') {
    addrs = [values.addr]
  } else {
    const status = await readStatus(dir)
    if (status === undefined) return report(false, { reason: 'not_running', dataDir: dir }, `unhealthy: no node is running from ${dir}`)
    addrs = status.addrs
  }
  const { token } = await resolveToken({ dataDir: dir, generate: false, ...(config.token === undefined ? {} : { token: config.token }), ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }) })
  try {
    const pong = await checkHealth(addrs.map(a => multiaddr(a)), token, AbortSignal.timeout(timeout))
    return report(true, { name: pong.name, mode: pong.mode, sessions: pong.sessions, members: pong.members }, `healthy: ${pong.name} (${pong.mode}), ${pong.sessions} sessions, ${pong.members} members`)
  } catch (err) {
    const e = err as Error & { code?: string }
    return report(false, { reason: e.code ?? e.name, message: e.message }, `unhealthy: ${e.message}`)
  }
}

async function readyz (url: string, timeout: number): Promise<{ ok: boolean, reason: string }> {
  try {
    const { status, body } = await new ApiClient(url).request<{ status: string, reason?: string }>('GET', '/readyz', { signal: AbortSignal.timeout(timeout), okStatuses: [503] })
    return status === 200 ? { ok: true, reason: 'ready' } : { ok: false, reason: body.reason ?? body.status }
  } catch (err) {
    return { ok: false, reason: (err as Error).message }
  }
}
