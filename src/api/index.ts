/**
 * The control API: an HTTP server (fastify) on every node unless `api.listen` is "off".
 * prepareApi runs before libp2p is created (libp2p's metrics must be passed in then);
 * startApi runs once the node listens. Heavy modules load only when the API is on.
 */
import { claimLibp2pMetrics } from './libp2p-metrics.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { OverlayNode } from '../node/create-node.ts'
import type { Metrics } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export interface ApiPrep {
  config: OverlayConfig['api']
  /** This node's own registry: overlay metrics, process defaults and (if claimed) libp2p's. */
  registry: Registry
  /** Passed to createLibp2p when this node holds the process's libp2p metrics. */
  libp2pMetrics?: (components: any) => Metrics
  /** The UI's files; default dist/ui/ when it holds an index.html (tests point elsewhere). */
  uiDir?: string
  release: () => void
}

export interface ApiServer {
  url: string
  /** url + `/?token=…`: opens the UI and sets its cookie. */
  uiUrl: string
  /** Every route the server answers (method and path), for the docs test. Builds the app if needed. */
  routes: () => Promise<Array<{ method: string, url: string }>>
  close: () => Promise<void>
}

export async function prepareApi (config: OverlayConfig): Promise<ApiPrep | undefined> {
  if (config.api.listen === 'off') return undefined
  const { Registry } = await import('prom-client')
  const registry = new Registry()
  const claim = config.api.libp2pMetrics ? await claimLibp2pMetrics(registry) : undefined
  return {
    config: config.api,
    registry,
    ...(claim === undefined ? {} : { libp2pMetrics: claim.metrics }),
    release: () => { claim?.release() }
  }
}

export async function startApi (node: OverlayNode, prep: ApiPrep): Promise<ApiServer> {
  const { startServer } = await import('./server.ts')
  return await startServer(node, prep)
}
