/** (I/O) Builds and starts the fastify server for one node; see index.ts for the lifecycle. */
import { createRequire } from 'node:module'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import { fastifySSE as sse } from '@fastify/sse'
import { parseListen } from '../config/schema.ts'
import { cookieName, createAuth } from './auth.ts'
import { loadOrCreateApiToken, removeApiInfo, writeApiInfo } from './files.ts'
import { createMetrics, exposition } from './metrics.ts'
import { EventRing, recordEvents } from './ring.ts'
import { registerRoutes } from './routes.ts'
import { registerEvents } from './sse.ts'
import { registerUi } from './static.ts'
import type { FastifyError } from 'fastify'
import type { OverlayNode } from '../node/create-node.ts'
import type { ApiPrep, ApiServer } from './index.ts'

/** Fastify error codes that are the client's fault, and the code our error body gives each. */
const CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request'
}

export async function startServer (node: OverlayNode, prep: ApiPrep): Promise<ApiServer> {
  const cfg = prep.config
  const listen = parseListen(cfg.listen) as { host: string, port: number }
  const token = await loadOrCreateApiToken(node.dataDir)
  const version = packageVersion()
  const ring = new EventRing(cfg.eventRing, cfg.eventRingBytes)
  const stopRecording = recordEvents(node, ring)
  const metrics = createMetrics(node, prep.registry, version)

  const app = Fastify({
    logger: false,
    bodyLimit: cfg.maxBodyBytes,
    // /v1/events streams never end by themselves; close() must not wait for them.
    forceCloseConnections: true,
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

  const routes: ApiServer['routes'] = []
  app.addHook('onRoute', r => { for (const method of [r.method].flat()) routes.push({ method, url: r.url }) })
  await app.register(cookie)
  await app.register(sse, { heartbeatInterval: 15_000 })
  let port = listen.port
  app.addHook('onRequest', async (_req, reply) => {
    // The UI must not be framed by another site (clickjacking), nor leak its URL, nor be cached.
    void reply.headers({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
  })
  app.addHook('onRequest', createAuth({
    token,
    get port () { return port },
    listenHost: listen.host.includes(':') ? `[${listen.host}]` : listen.host,
    allowedHosts: cfg.allowedHosts,
    openMetrics: cfg.openMetrics,
    onRefused: reason => { metrics.refused.inc({ reason }) }
  }))

  registerRoutes(app, { node, version })
  registerEvents(app, { ring, maxClients: cfg.maxEventClients, maxQueuedBytes: cfg.maxEventQueueBytes, refused: metrics.refused })
  app.get('/metrics', async (_req, reply) => {
    const { contentType, text } = await exposition(prep.registry)
    return await reply.type(contentType).send(text)
  })
  await registerUi(app, { node, version }, prep.uiDir)

  try {
    await app.listen({ host: listen.host, port: listen.port })
  } catch (err) {
    stopRecording()
    metrics.stop()
    throw err
  }
  const address = app.server.address()
  port = typeof address === 'object' && address !== null ? address.port : listen.port
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  await writeApiInfo(node.dataDir, { url, pid: process.pid })
  return {
    url,
    uiUrl: `${url}/?token=${encodeURIComponent(token)}`,
    routes,
    close: async () => {
      stopRecording()
      metrics.stop()
      await removeApiInfo(node.dataDir)
      await app.close()
    }
  }
}

/** The cookie the UI gets (exported for tests and docs). */
export { cookieName }

function packageVersion (): string {
  const require = createRequire(import.meta.url)
  for (const path of ['../../package.json', '../../../package.json']) {
    try { return (require(path) as { version: string }).version } catch {}
  }
  return 'unknown'
}
