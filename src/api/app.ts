/** The fastify app of one node's API: hooks, routes, events, metrics, UI. Loaded on the first request (server.ts). */
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import { fastifySSE as sse } from '@fastify/sse'
import { createAuth } from './auth.ts'
import { exposition } from './metrics.ts'
import { registerRoutes } from './routes.ts'
import { registerEvents } from './sse.ts'
import { registerUi } from './static.ts'
import type { FastifyError, FastifyInstance } from 'fastify'
import type { OverlayNode } from '../node/create-node.ts'
import type { ApiMetrics } from './metrics.ts'
import type { ApiPrep } from './index.ts'
import type { EventRing } from './ring.ts'

/** Fastify error codes that are the client's fault, and the code our error body gives each. */
const CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request'
}

export interface AppInit {
  node: OverlayNode
  prep: ApiPrep
  token: string
  version: string
  ring: EventRing
  metrics: ApiMetrics
  listen: { host: string, port: number }
  /** The port actually bound (the configured one may be 0). */
  port: () => number
}

export type RouteList = Array<{ method: string, url: string }>

export async function buildApp (init: AppInit): Promise<{ app: FastifyInstance, routes: RouteList }> {
  const { node, prep, token, version, ring, metrics, listen } = init
  const cfg = prep.config
  const app = Fastify({
    logger: false,
    bodyLimit: cfg.maxBodyBytes,
    // Bad bodies are refused, not trimmed or coerced into something else.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } }
  })
  app.setErrorHandler(async (err: FastifyError, _req, reply) => {
    if (err.validation !== undefined) return await reply.code(400).send({ error: { code: 'bad_request', message: err.message } })
    const code = CLIENT_ERRORS[err.code]
    const status = err.statusCode ?? 500
    if (code === 'body_too_large') metrics.refused.inc({ reason: code })
    if (code !== undefined || (status >= 400 && status < 500)) return await reply.code(status >= 400 && status < 500 ? status : 400).send({ error: { code: code ?? 'bad_request', message: err.message } })
    return await reply.code(500).send({ error: { code: 'internal', message: err.message } })
  })
  app.setNotFoundHandler(async (req, reply) => await reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?', 1)[0] ?? ''}` } }))

  const routes: RouteList = []
  app.addHook('onRoute', r => { for (const method of [r.method].flat()) routes.push({ method, url: r.url }) })
  await app.register(cookie)
  await app.register(sse, { heartbeatInterval: 15_000 })
  app.addHook('onRequest', async (_req, reply) => {
    // The UI must not be framed by another site (clickjacking), nor leak its URL, nor be cached.
    void reply.headers({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
  })
  app.addHook('onRequest', createAuth({
    token,
    get port () { return init.port() },
    listenHost: listen.host.includes(':') ? `[${listen.host}]` : listen.host,
    allowedHosts: cfg.allowedHosts,
    openMetrics: cfg.openMetrics,
    onRefused: reason => { metrics.refused.inc({ reason }) }
  }))

  registerRoutes(app, { node, version })
  registerEvents(app, { ring, maxClients: cfg.maxEventClients, maxQueuedBytes: cfg.maxEventQueueBytes, textChars: cfg.eventTextChars, refused: metrics.refused })
  app.get('/metrics', async (_req, reply) => {
    const { contentType, text } = await exposition(prep.registry)
    return await reply.type(contentType).send(text)
  })
  await registerUi(app, { node, version }, prep.uiDir)

  await app.ready()
  return { app, routes }
}
