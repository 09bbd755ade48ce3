/**
 * Idle CPU per node, overlay vs bare libp2p (docs/BENCHMARKS.md 9; issue 22's method): N processes of
 * one node each, connected by the same topology; once converged and settled, the CPU time (user +
 * system) each process spent over a window of idle seconds.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startWorker, stopAfter, type Msg } from '../lib/proc.ts'
import { figure, fmt, meshSizes, runCount } from '../lib/results.ts'
import { median } from '../lib/stats.ts'
import { BARE, OVERLAY, ask, buildMesh } from '../lib/mesh.ts'

/** After the mesh is ready: the last joins' syncs and the first anti-entropy rounds settle. */
const SETTLE_MS = 10_000

export const idle = figure('idle', 'Idle CPU per node: overlay vs bare libp2p, one process per node', async (opts, col) => {
  // Long: V8's memory reducer shrinks the start-up heap once, 60-110 s after start (two full GCs a
  // process), and 30 s windows read 0.43-0.78 % a node by whether they caught it; 120 s dilute it.
  const seconds = opts.quick ? 10 : 120
  // With --runs, the sides alternate, so a noisy minute of the shared machine hits both.
  for (const n of meshSizes(opts, [10, 50])) {
    for (const side of Array.from({ length: runCount(opts, 1, 1) }, () => [OVERLAY, BARE]).flat()) {
      const ws = Array.from({ length: n }, (_, i) => startWorker('mesh-host.ts', { label: `idle-${side.variant}-${i}`, maxLifetimeMs: 600_000 }))
      await stopAfter(ws, async () => {
        const mesh = await buildMesh(side, ws, n, opts.log, { loading: 4, connecting: 5 })
        await sleep(SETTLE_MS)
        const counters = async (): Promise<Array<{ cpuUs: number, probes?: number }>> => await ask<Msg & { cpuUs: number, probes?: number }>(ws, { type: 'counters' }, 'counters')
        const [before, t0] = [await counters(), performance.now()]
        await sleep(seconds * 1000)
        const [after, ms] = [await counters(), performance.now() - t0]
        const perNode = after.map((x, i) => (x.cpuUs - (before[i]?.cpuUs ?? 0)) / 10 / ms)
        // Each direct probe is a PROBE and its PROBEACK: the overlay's idle membership frames, but for a DIGEST every 30 s.
        const probeFrames = after.reduce((a, x, i) => a + 2 * ((x.probes ?? 0) - (before[i]?.probes ?? 0)), 0) / n / ms * 1000
        const all = perNode.reduce((a, b) => a + b, 0)
        col.add(`N=${n}`, 'CPU per node', '% of a core', 'lower', side.variant, 'libp2p', median(perNode), { nodes: n, seconds, ready: mesh.ready, perNode, ...mesh.details })
        col.add(`N=${n}`, 'CPU, all nodes', '% of a core', 'lower', side.variant, 'libp2p', all)
        if (side === OVERLAY) col.add(`N=${n}`, 'probe frames per node', 'frames/s', 'lower', side.variant, 'overlay', probeFrames)
        opts.log(`${side.variant} N=${n}: ${mesh.ready ? 'ready' : 'NOT ready'} (${mesh.text}); idle ${seconds} s: median ${fmt(median(perNode))} % of a core per node, ${fmt(all)} % for all ${n}${side === OVERLAY ? `; ${fmt(probeFrames)} PROBE+PROBEACK frames per node per s` : ''}`)
      }, 5000)
    }
  }
})
