/** Calls to the node's control API. The token travels as the HttpOnly cookie the API set. */
import type { Member, NodeInfo, Session, Stats, Topology } from './types.ts'

export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly status: number
  readonly code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

const TIMEOUT_MS = 15_000

async function call<T> (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS)
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  })
  let json: unknown = null
  try { json = await res.json() } catch { /* empty or not JSON */ }
  if (!res.ok) {
    const err = (json as { error?: { code?: string, message?: string } } | null)?.error
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText)
  }
  return json as T
}

export const api = {
  node: async (signal?: AbortSignal) => await call<NodeInfo>('GET', 'v1/node', undefined, signal),
  members: async (signal?: AbortSignal) => (await call<{ members: Member[] }>('GET', 'v1/members', undefined, signal)).members,
  sessions: async (signal?: AbortSignal) => (await call<{ sessions: Session[] }>('GET', 'v1/sessions', undefined, signal)).sessions,
  stats: async (signal?: AbortSignal) => await call<Stats>('GET', 'v1/stats', undefined, signal),
  topology: async (signal?: AbortSignal) => await call<Topology>('GET', 'v1/topology', undefined, signal),
  send: async (text: string, to?: string, signal?: AbortSignal) =>
    await call<{ id: string, to?: string }>('POST', 'v1/messages', to === undefined ? { text } : { text, to }, signal)
}
