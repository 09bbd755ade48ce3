/**
 * (I/O) The HTTP server of one node's API. It listens at once; the fastify app behind it
 * (app.ts) is built on the first request, so an API nobody calls costs little memory.
 * Events and metrics are recorded from the start either way. See index.ts for the lifecycle.
 */
import { createRequire } from 'node:module'
import { createServer } from 'node:http'
import { parseListen } from '../config/schema.ts'
import { loadOrCreateApiToken, removeApiInfo, writeApiInfo } from './files.ts'
import { createMetrics } from './metrics.ts'
import { EventRing, recordEvents } from './ring.ts'
import type { FastifyInstance } from 'fastify'
import type { OverlayNode } from '../node/create-node.ts'
import type { ApiPrep, ApiServer } from './index.ts'

type RouteList = Array<{ method: string, url: string }>

export async function startServer (node: OverlayNode, prep: ApiPrep): Promise<ApiServer> {
  const cfg = prep.config
  const listen = parseListen(cfg.listen) as { host: string, port: number }
  const token = await loadOrCreateApiToken(node.dataDir)
  const version = packageVersion()
  const ring = new EventRing(cfg.eventRing, cfg.eventRingBytes)
  const stopRecording = recordEvents(node, ring)
  const metrics = createMetrics(node, prep.registry, version)

  let port = listen.port
  let built: Promise<{ app: FastifyInstance, routes: RouteList }> | undefined
  const build = async (): Promise<{ app: FastifyInstance, routes: RouteList }> => {
    built ??= import('./app.ts').then(async ({ buildApp }) => await buildApp({ node, prep, token, version, ring, metrics, listen, port: () => port }))
    return await built
  }
  const server = createServer((req, res) => {
    build().then(({ app }) => { app.routing(req, res) }, () => {
      res.statusCode = 500
      res.end()
    })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
    })
  } catch (err) {
    stopRecording()
    metrics.stop()
    throw err
  }
  const address = server.address()
  port = typeof address === 'object' && address !== null ? address.port : listen.port
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  await writeApiInfo(node.dataDir, { url, pid: process.pid })
  return {
    url,
    uiUrl: `${url}/?token=${encodeURIComponent(token)}`,
    routes: async () => (await build()).routes,
    close: async () => {
      stopRecording()
      metrics.stop()
      await removeApiInfo(node.dataDir)
      // /v1/events streams never end by themselves: close them with the rest.
      const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
      server.closeAllConnections()
      await closed
      if (built !== undefined) await (await built).app.close()
    }
  }
}

function packageVersion (): string {
  const require = createRequire(import.meta.url)
  for (const path of ['../../package.json', '../../../package.json']) {
    try { return (require(path) as { version: string }).version } catch {}
  }
  return 'unknown'
}
