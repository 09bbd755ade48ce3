/**
 * `overlay health`: exit 0 when the node is ready (its control API's /readyz), or answers AUTH + PING
 * over its own protocol, else 1. The API path loads no libp2p: container health checks run it often.
 */
import { readStatus } from '../../node/data-dir.ts'
import { ApiClient } from '../../api/client.ts'
import { readApiInfo, readApiToken } from '../../api/files.ts'
import { UsageError } from '../args.ts'
import { configAndDir } from './config.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const DEFAULT_TIMEOUT_MS = 5_000

export async function runHealth (values: ParsedArgs['values'], io: Io): Promise<number> {
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout)
  if (!Number.isSafeInteger(timeout) || timeout < 1) throw new UsageError('--timeout must be a whole number of milliseconds', 'health')
  const { config, dir } = await configAndDir({ ...values, api: undefined }, io)
  const report = (ok: boolean, detail: Record<string, unknown>, text: string): number => {
    io.stdout.write((values.json === true ? JSON.stringify({ type: 'health', ok, ...detail }) : text) + '\n')
    return ok ? 0 : 1
  }
  // Readiness from the control API when there is one. The protocol check (AUTH + PING) otherwise,
  // or when asked for it: --addr, or a mesh token to prove (--token, --token-file).
  const protocolAsked = values.addr !== undefined || values.token !== undefined || values['token-file'] !== undefined
  const apiUrl = typeof values.api === 'string' ? values.api : protocolAsked ? undefined : (await readApiInfo(dir))?.url
  if (apiUrl !== undefined) {
    const ready = await readyz(apiUrl, timeout)
    if (!ready.ok) return report(false, { reason: ready.reason }, `unhealthy: ${ready.reason} (${apiUrl}/readyz)`)
    // The same details as the protocol check gives, when the token is at hand (best effort).
    const about = await describeNode(apiUrl, await readApiToken(dir), timeout)
    return about === undefined
      ? report(true, { status: 'ready' }, `healthy: ready (${apiUrl}/readyz)`)
      : report(true, { ...about, status: 'ready' }, `healthy: ${about.name} (${about.mode}), ${about.sessions} sessions, ${about.members} members`)
  }
  let addrs: string[]
  if (typeof values.addr === 'string') {
    addrs = [values.addr]
  } else {
    const status = await readStatus(dir)
    if (status === undefined) return report(false, { reason: 'not_running', dataDir: dir }, `unhealthy: no node is running from ${dir}`)
    addrs = status.addrs
  }
  // The protocol check needs libp2p: loaded only here.
  const [{ multiaddr }, { checkHealth }, { resolveToken }] = await Promise.all([import('@multiformats/multiaddr'), import('../../node/health.ts'), import('../../node/token.ts')])
  const { token } = await resolveToken({ dataDir: dir, generate: false, ...(config.token === undefined ? {} : { token: config.token }), ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }) })
  try {
    const pong = await checkHealth(addrs.map(a => multiaddr(a)), token, AbortSignal.timeout(timeout), config)
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

async function describeNode (url: string, token: string | undefined, timeout: number): Promise<{ name: string, mode: string, sessions: number, members: number } | undefined> {
  if (token === undefined) return undefined
  try {
    const client = new ApiClient(url, token)
    const signal = AbortSignal.timeout(timeout)
    const [node, stats] = await Promise.all([client.get<{ name: string, mode: string }>('/v1/node', signal), client.get<{ sessions: number, members: number }>('/v1/stats', signal)])
    return { name: node.name, mode: node.mode, sessions: stats.sessions, members: stats.members }
  } catch {
    return undefined
  }
}
