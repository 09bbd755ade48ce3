/**
 * Figure (opt-in, `--soak[=SECONDS]`, default 600 s): no false failure while idle.
 *
 * N = 50 overlay peers with default mesh timings on the broadcast topology
 * (lib/mesh.ts, 4 host processes), built and made ready as in the membership
 * figure; then nothing happens for the soak time. Every 'suspect', 'failed'
 * and 'left' event any node emits about any member is a false one (nobody
 * leaves or dies). Progress is logged every 60 s. One run. Also reported:
 * the CPU time the host processes used while idle, in % of one core, and
 * per 60 s interval the CPU share and the hosts' heapUsed (details).
 */
import { stopAll } from '../lib/proc.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, fmt } from '../lib/results.ts'
import { generateTopology } from '../lib/topology.ts'
import { OVERLAY, startHosts, buildMesh, status } from '../lib/mesh.ts'
import { TOPOLOGY_SEED, TOPOLOGY_DEGREE } from './broadcast.ts'
import { falseEvents } from './membership.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

export const SOAK_N = 50

export const figure: Figure = {
  id: 'soak',
  title: 'Soak: false suspect/failed events in an idle overlay mesh of 50 (opt-in: --soak)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('soak')
    const seconds = opts.soakSec ?? 600
    const n = SOAK_N
    const topo = generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE })
    const ws = startHosts(OVERLAY, n, 'soak', (seconds + 180) * 1000)
    try {
      const mesh = await buildMesh(OVERLAY, ws, topo, opts.log)
      await Promise.all(ws.map(async w => await w.request({ type: 'reset' }, 'reset', 10_000)))
      opts.log(`N=${n}: ${mesh.ready ? 'ready' : 'NOT ready'} after ${mesh.setupSec.toFixed(1)} s (${mesh.text}); idle for ${seconds} s`)
      const counters = async (): Promise<{ cpu: number, heap: number }> => (await Promise.all(ws.map(async w => await w.request<Msg & { cpuUs: number, heapUsed: number }>({ type: 'counters' }, 'counters', 10_000))))
        .reduce((a, c) => ({ cpu: a.cpu + c.cpuUs, heap: a.heap + c.heapUsed }), { cpu: 0, heap: 0 })
      const cpuUs = async (): Promise<number> => (await counters()).cpu
      const cpu0 = await cpuUs()
      const t0 = Date.now()
      const cpuPerInterval: number[] = []
      const heapPerInterval: number[] = []
      let last = { cpu: cpu0, t: t0 }
      for (let k = 0; k < 10_000 && Date.now() - t0 < seconds * 1000; k++) {
        await new Promise(resolve => setTimeout(resolve, Math.min(60_000, seconds * 1000 - (Date.now() - t0))))
        const fe = await falseEvents(ws)
        const c = await counters()
        const now = { cpu: c.cpu, t: Date.now() }
        cpuPerInterval.push((now.cpu - last.cpu) / 1000 / (now.t - last.t) * 100)
        heapPerInterval.push(c.heap / 2 ** 20)
        last = now
        opts.log(`${((now.t - t0) / 1000).toFixed(0)} s: false suspect ${fe.suspect}, failed ${fe.failed}, left ${fe.left}; host CPU ${fmt(cpuPerInterval[cpuPerInterval.length - 1] as number)} % of a core, host heapUsed ${fmt(c.heap / 2 ** 20)} MiB`)
      }
      const cpuPct = (await cpuUs() - cpu0) / 1000 / (Date.now() - t0) * 100
      const fe = await falseEvents(ws)
      const st = await status(ws)
      const c = `N=${n}, ${seconds} s idle`
      const details = { nodes: n, seconds, ready: mesh.ready, ...mesh.details, cpuPercentPerInterval: cpuPerInterval, heapUsedMiBPerInterval: heapPerInterval, presentAtEnd: st.map(s => s.present), suspectAtEnd: st.reduce((a, s) => a + (s.suspect ?? 0), 0) }
      col.add(c, 'false suspect', 'events', 'lower', 'overlay', 'overlay', fe.suspect, details)
      col.add(c, 'false failed', 'events', 'lower', 'overlay', 'overlay', fe.failed)
      col.add(c, 'false left', 'events', 'lower', 'overlay', 'overlay', fe.left)
      col.add(c, 'host CPU', '% of a core', 'lower', 'overlay', 'overlay', cpuPct)
      opts.log(`done: false suspect ${fe.suspect}, failed ${fe.failed}, left ${fe.left}; the ${ws.length} host processes used ${fmt(cpuPct)} % of a core on average`)
    } finally {
      await stopAll(ws, 5000)
    }
    return col.results()
  }
}
