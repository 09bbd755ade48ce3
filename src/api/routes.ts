/** The versioned JSON routes (/v1/…) and the health probes. */
import * as S from './schemas.ts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { OverlayNode } from '../node/create-node.ts'

export interface RouteContext { node: OverlayNode, version: string }

const fail = async (reply: FastifyReply, status: number, code: string, message: string): Promise<FastifyReply> =>
  await reply.code(status).send({ error: { code, message } })

const errors = (...codes: number[]): Record<number, typeof S.errorSchema> => Object.fromEntries(codes.map(c => [c, S.errorSchema]))

export function registerRoutes (app: FastifyInstance, { node, version }: RouteContext): void {
  app.get('/healthz', { schema: { response: { 200: S.healthSchema, 503: S.healthSchema } } }, async (_req, reply) =>
    node.live() ? { status: 'ok' } : await reply.code(503).send({ status: 'down', reason: 'libp2p is not running' }))

  app.get('/readyz', { schema: { response: { 200: S.healthSchema, 503: S.healthSchema } } }, async (_req, reply) => {
    const r = node.readiness()
    return r.ready ? { status: 'ready' } : await reply.code(503).send({ status: 'not_ready', reason: r.reason })
  })

  app.get('/v1/node', { schema: { response: { 200: S.nodeSchema } } }, async () => {
    const startedAt = node.startedAt ?? Date.now()
    return {
      peerId: node.peerId,
      name: node.name,
      mode: node.mode,
      addrs: node.getMultiaddrs(),
      version,
      uptimeMs: Date.now() - startedAt,
      startedAt,
      joinCommand: joinCommand(node)
    }
  })

  app.get<{ Querystring: { state?: string, mode?: string, name?: string } }>('/v1/members', {
    schema: { querystring: S.membersQuery, response: { 200: S.membersSchema, ...errors(400) } }
  }, async req => {
    const { state, mode, name } = req.query
    // Loaded on first use: most nodes are never asked for a name pattern.
    const match = name === undefined ? undefined : (await import('picomatch')).default(name)
    const members = node.members().filter(m =>
      (state === undefined || m.state === state) &&
      (mode === undefined || (m.mode ?? 'peer') === mode) &&
      (match === undefined || match(m.name)))
    return { members }
  })

  app.get('/v1/sessions', { schema: { response: { 200: S.sessionsSchema } } }, async () => ({ sessions: node.sessions() }))

  app.get('/v1/stats', { schema: { response: { 200: S.statsSchema } } }, async () => node.stats())

  app.get('/v1/topology', { schema: { response: { 200: S.topologySchema } } }, async () => {
    const members = node.members()
    const nodes = members.map(m => ({ peerId: m.peerId, name: m.name, state: m.state, mode: m.mode ?? 'peer' }))
    const known = new Set(nodes.map(n => n.peerId))
    const sessions = node.sessions()
    for (const s of sessions) if (!known.has(s.peerId)) nodes.push({ peerId: s.peerId, name: s.name, state: 'alive', mode: s.mode })
    const edges = [
      ...sessions.map(s => ({ from: node.peerId, to: s.peerId, kind: 'session' as const })),
      ...node.routes().map(r => ({ from: r.via, to: r.target, kind: 'route' as const }))
    ]
    return { self: node.peerId, nodes, edges }
  })

  app.post<{ Body: { text: string, to?: string } }>('/v1/messages', {
    schema: {
      body: S.messageBody(node.config.limits.maxFrameBytes),
      response: { 200: S.directSchema, 202: S.broadcastSchema, ...errors(400, 404, 503, 504) }
    }
  }, async (req, reply) => {
    const { text, to } = req.body
    // Stop waiting for an acknowledgement when the caller hangs up.
    const gone = new AbortController()
    reply.raw.once('close', () => { gone.abort() })
    try {
      if (to === undefined) {
        const { id } = await node.send(text, { signal: gone.signal })
        return await reply.code(202).send({ id })
      }
      if (to === node.name) return await fail(reply, 400, 'self', `"${to}" is this node; send to another member`)
      const { id } = await node.sendTo(to, text, { signal: gone.signal })
      return { id, to }
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e.name === 'DeliveryError') {
        const status = e.code === 'unknown_member' ? 404 : e.code === 'unreachable' ? 504 : 503
        return await fail(reply, status, e.code as string, e.message)
      }
      if (e.name === 'TypeError') return await fail(reply, 400, 'bad_text', e.message)
      if (e.name === 'AbortError') return await fail(reply, 503, 'aborted', 'the request was abandoned')
      throw err
    }
  })

  app.post('/v1/leave', { schema: { response: { 202: S.leaveSchema } } }, async (_req, reply) => {
    // Stop once the answer is out, so the caller hears it.
    reply.raw.once('finish', () => { void node.stop() })
    return await reply.code(202).send({ status: 'leaving' })
  })
}

function joinCommand (node: OverlayNode): string {
  const addr = node.getMultiaddrs().find(a => !a.includes('/ip4/127.') && !a.includes('/ip6/::1/')) ?? node.getMultiaddrs()[0] ?? '<address>'
  const token = node.token.file === undefined ? '--token <token>' : `--token-file ${node.token.file}`
  return `overlay start --bootstrap ${addr} ${token}`
}
