/**
 * libp2p's own metrics (@libp2p/prometheus-metrics) keep a process-global map of metric objects,
 * so only one node per process can have them (docs/API.md). The first node that asks gets them,
 * in its own registry, until it stops; other nodes run without. Clearing the global prom-client
 * registry on each claim (the module always does, unless told to preserve) drops the previous
 * holder's stale entries; this package never uses the global registry.
 */
import type { Metrics } from '@libp2p/interface'
import type { Registry } from 'prom-client'

let held = false

export async function claimLibp2pMetrics (registry: Registry): Promise<{ metrics: (components: any) => Metrics, release: () => void } | undefined> {
  if (held) return undefined
  held = true
  const { prometheusMetrics } = await import('@libp2p/prometheus-metrics')
  let released = false
  return {
    metrics: prometheusMetrics({ registry, collectDefaultMetrics: false }),
    release: () => {
      if (released) return
      released = true
      held = false
    }
  }
}
