/**
 * The package's node factories: a node (src/node/) with its control API (src/api/) beside it,
 * unless the config turns the API off. The one module that joins the two layers.
 */
import { prepareApi, startApi } from './api/index.ts'
import { loadConfig } from './config/load.ts'
import { createNodeCore } from './node/create-node.ts'
import type { OverlayConfig } from './config/defaults.ts'
import type { PartialConfig } from './config/load.ts'
import type { Companion, CreateOptions, OverlayNode } from './node/create-node.ts'

/** Builds a node from a (partial) config: merged over defaults, validated, with identity and token resolved. */
export async function createOverlayNode (partial: PartialConfig = {}, options: CreateOptions = {}): Promise<OverlayNode> {
  const config = await loadConfig({ flags: partial, env: options.env ?? {} })
  return await createOverlayNodeFromConfig(config, options)
}

export async function createOverlayNodeFromConfig (config: OverlayConfig, options: CreateOptions = {}): Promise<OverlayNode> {
  return await createNodeCore(config, { companion: controlApi, ...options })
}

/** The control API as the node's companion, or none when `api.listen` is "off". */
async function controlApi (config: OverlayConfig): Promise<Companion | undefined> {
  const prep = await prepareApi(config)
  if (prep === undefined) return undefined
  return {
    ...(prep.libp2pMetrics === undefined ? {} : { libp2pMetrics: prep.libp2pMetrics }),
    start: async node => await startApi(node, prep),
    release: prep.release
  }
}
