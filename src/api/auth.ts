/**
 * Who may call the API. Every route but /healthz and /readyz (and /metrics when api.openMetrics)
 * needs the API token, on loopback too, because any web page can reach loopback:
 * - `Host` must name this server (DNS rebinding: a hostile name resolving to 127.0.0.1);
 * - an `Origin`, when sent, must be this same origin (cross-site requests);
 * - the token comes as `Authorization: Bearer …`, or as the cookie set once by `?token=`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

const COOKIE_PREFIX = 'overlay_api_token_'
/** Cookies are per host, not per port: each node's cookie carries its port, so two UIs in one browser do not clash. */
const cookieName = (port: number): string => `${COOKIE_PREFIX}${port}`

const OPEN_PATHS = new Set(['/healthz', '/readyz'])

const Refusal = { host: 'bad_host', origin: 'bad_origin', token: 'unauthorized' } as const
type Refusal = typeof Refusal[keyof typeof Refusal]

export interface AuthInit {
  token: string
  port: number
  /** The listen host as written in a Host header ("127.0.0.1", "[::1]", "example.org"). */
  listenHost: string
  allowedHosts: string[]
  openMetrics: boolean
  onRefused: (reason: Refusal) => void
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function createAuth (init: AuthInit): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const want = digest(init.token)
  const sameToken = (given: string | undefined): boolean => given !== undefined && timingSafeEqual(digest(given), want)
  const names = new Set(['localhost', '127.0.0.1', '[::1]', init.listenHost.toLowerCase()])
  const extra = new Set(init.allowedHosts.map(h => h.toLowerCase()))
  const hostOk = (host: string | undefined): boolean => {
    if (host === undefined) return false
    const h = host.toLowerCase()
    if (extra.has(h)) return true
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h)
    if (m === null) return false
    const name = m[1] as string
    return (names.has(name) && Number(m[2] ?? 80) === init.port) || extra.has(name)
  }
  const refuse = async (reply: FastifyReply, status: number, reason: Refusal, message: string): Promise<void> => {
    init.onRefused(reason)
    await reply.code(status).send({ error: { code: reason, message } })
  }

  return async (request, reply) => {
    const path = request.url.split('?', 1)[0] as string
    if (OPEN_PATHS.has(path) || (init.openMetrics && path === '/metrics')) return
    const host = request.headers.host
    if (!hostOk(host)) return await refuse(reply, 403, Refusal.host, `Host "${host ?? ''}" is not this server; add it to api.allowedHosts to allow it`)
    const origin = request.headers.origin
    if (origin !== undefined && origin !== `http://${host as string}`) return await refuse(reply, 403, Refusal.origin, `cross-origin request from ${origin} refused`)

    const query = request.query as Record<string, unknown> | undefined
    const fromQuery = typeof query?.token === 'string' ? query.token : undefined
    if (fromQuery !== undefined && request.method === 'GET') {
      if (!sameToken(fromQuery)) return await refuse(reply, 401, Refusal.token, 'wrong API token in ?token=')
      // Keep the token out of the address bar and history: set the cookie, then reload without it.
      const url = new URL(request.url, 'http://x')
      url.searchParams.delete('token')
      reply.setCookie(cookieName(init.port), init.token, { httpOnly: true, sameSite: 'strict', path: '/' })
      await reply.redirect(url.pathname + url.search, 302)
      return
    }
    const auth = request.headers.authorization
    const bearer = auth?.startsWith('Bearer ') === true ? auth.slice(7).trim() : undefined
    const cookie = request.cookies[cookieName(init.port)]
    if (sameToken(bearer) || sameToken(cookie)) return
    const message = bearer === undefined && cookie === undefined
      ? 'missing API token: send "Authorization: Bearer <token>" (the token is in the data dir\'s api-token file) or open the URL that `overlay start` prints'
      : 'wrong API token'
    return await refuse(reply, 401, Refusal.token, message)
  }
}
