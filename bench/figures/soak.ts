/**
 * Opt-in (`--soak[=SECONDS]`, default 600): 50 overlay peers, built as for membership, left idle.
 * Every 'suspect', 'failed' or 'left' event is a false one. Every 60 s: progress, the hosts' CPU
 * share and heapUsed (details). Also reported: the hosts' CPU time while idle, in % of one core.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { stopAll, type Msg } from '../lib/proc.ts'
import { Collector, fmt } from '../lib/results.ts'
import { generateTopology } from '../lib/topology.ts'
import { OVERLAY, ask, startHosts, buildMesh, status } from '../lib/mesh.ts'
import { TOPOLOGY_SEED, TOPOLOGY_DEGREE } from './broadcast.ts'
import { falseEvents } from './membership.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

export const figure: Figure = {
  id: 'soak',
  title: 'Soak: false suspect/failed events in an idle overlay mesh of 50 (opt-in: --soak)',
  optIn: true,
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('soak')
    const seconds = opts.soakSec ?? 600
    const n = 50
    const ws = startHosts(n, 'soak', (seconds + 180) * 1000)
    try {
      const mesh = await buildMesh(OVERLAY, ws, generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE }), opts.log)
      await ask(ws, { type: 'reset' }, 'reset')
      opts.log(`N=${n}: ${mesh.ready ? 'ready' : 'NOT ready'} after ${mesh.setupSec.toFixed(1)} s (${mesh.text}); idle for ${seconds} s`)
      const counters = async (): Promise<{ cpu: number, heap: number, t: number }> => (await ask<Msg & { cpuUs: number, heapUsed: number }>(ws, { type: 'counters' }, 'counters'))
        .reduce((a, c) => ({ ...a, cpu: a.cpu + c.cpuUs, heap: a.heap + c.heapUsed }), { cpu: 0, heap: 0, t: Date.now() })
      const first = await counters()
      const cpuPerInterval: number[] = []
      const heapPerInterval: number[] = []
      for (let last = first, k = 0; k < 10_000 && Date.now() - first.t < seconds * 1000; k++) {
        await sleep(Math.min(60_000, seconds * 1000 - (Date.now() - first.t)))
        const fe = await falseEvents(ws)
        const now = await counters()
        cpuPerInterval.push((now.cpu - last.cpu) / 1000 / (now.t - last.t) * 100)
        heapPerInterval.push(now.heap / 2 ** 20)
        last = now
        opts.log(`${((now.t - first.t) / 1000).toFixed(0)} s: false suspect ${fe.suspect}, failed ${fe.failed}, left ${fe.left}; host CPU ${fmt(cpuPerInterval.at(-1) as number)} % of a core, host heapUsed ${fmt(now.heap / 2 ** 20)} MiB`)
      }
      const end = await counters()
      const cpuPct = (end.cpu - first.cpu) / 1000 / (end.t - first.t) * 100
      const fe = await falseEvents(ws)
      const st = await status(ws)
      const c = `N=${n}, ${seconds} s idle`
      col.add(c, 'false suspect', 'events', 'lower', 'overlay', 'overlay', fe.suspect, { nodes: n, seconds, ready: mesh.ready, ...mesh.details, cpuPercentPerInterval: cpuPerInterval, heapUsedMiBPerInterval: heapPerInterval, presentAtEnd: st.map(s => s.present), suspectAtEnd: st.reduce((a, s) => a + (s.suspect ?? 0), 0) })
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
