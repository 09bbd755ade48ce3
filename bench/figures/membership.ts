/**
 * Figure: membership (overlay only; the reference point is Serf's defaults,
 * which take ~8-48 s to declare a node dead at N=100, quoted, not measured).
 *
 * Per run (fresh processes): N overlay peers with DEFAULT mesh timings
 * (heartbeat 1 s, suspect after 2.5 s, failed 1.5 s later) on the broadcast
 * figure's topology (generateTopology(N, 42), same W host processes, same
 * readiness rule, lib/mesh.ts). Then a new peer `n<N>` is created ALONE in
 * its own process, bootstrapping to one existing node (seeded choice), and:
 *  - join seen everywhere = from just before the new node's start() (its
 *    process's clock) until the last of the N existing nodes emitted 'joined'
 *    for it (their clocks; one CLOCK_MONOTONIC on the machine);
 *  - after a settle (3 s, quick 1 s), its process is SIGKILLed (no EXIT);
 *    failure seen everywhere = from just before the kill (the driver's clock)
 *    until the last of the N nodes emitted 'failed' for it.
 *  - false events = 'suspect' / 'failed' / 'left' events about any OTHER
 *    member, counted from readiness to the end of the run (on 2 shared cores
 *    event-loop stalls can cause them).
 * The 10-minute idle check is the separate opt-in figure 'soak' (--soak).
 */
import { startWorker, stopAll } from '../lib/proc.ts'
import type { Msg, WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import { generateTopology, mulberry32 } from '../lib/topology.ts'
import { OVERLAY, startHosts, buildMesh } from '../lib/mesh.ts'
import { TOPOLOGY_SEED, TOPOLOGY_DEGREE } from './broadcast.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

type Seen = Msg & { lastNs: string, firstNs: string }
interface FalseEvents { suspect: number, failed: number, left: number }

async function allSeen (ws: WorkerHandle[], kind: string, timeoutMs: number): Promise<{ last: bigint, first: bigint }> {
  const rs = await Promise.all(ws.map(async w => {
    while (true) {
      const m = await w.next<Seen>('all-seen', timeoutMs)
      if (m.kind === kind) return m
    }
  }))
  const last = rs.map(r => BigInt(r.lastNs)).reduce((a, b) => a > b ? a : b)
  const first = rs.map(r => BigInt(r.firstNs)).reduce((a, b) => a < b ? a : b)
  return { last, first }
}

export async function falseEvents (ws: WorkerHandle[]): Promise<FalseEvents> {
  const all = await Promise.all(ws.map(async w => await w.request<Msg & { false: FalseEvents }>({ type: 'events' }, 'events', 10_000)))
  return all.reduce((a, x) => ({ suspect: a.suspect + x.false.suspect, failed: a.failed + x.false.failed, left: a.left + x.false.left }), { suspect: 0, failed: 0, left: 0 })
}

async function runOnce (n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const topo = generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE })
  const c = `N=${n}`
  const ws = startHosts(OVERLAY, n, `members-${n}`)
  const victim = startWorker('overlay-host.ts', { label: `new-member-${n}`, maxLifetimeMs: 120_000 })
  try {
    const mesh = await buildMesh(OVERLAY, ws, topo, opts.log)
    await Promise.all(ws.map(async w => await w.request({ type: 'reset' }, 'reset', 10_000)))
    const via = Math.floor(mulberry32(TOPOLOGY_SEED * 7 + run)() * n)
    const name = `n${n}`
    await victim.next('ready', 20_000)
    await victim.request({ type: 'create', indices: [n], bootstrap: [mesh.addrs[String(via)]], defer: true }, 'created', 30_000)
    await Promise.all(ws.map(async w => await w.request({ type: 'watch', name }, 'watching', 10_000)))

    const started = await victim.request<Msg & { t0Ns: string }>({ type: 'start' }, 'started', 30_000)
    const joined = await allSeen(ws, 'joined', 15_000)
    const joinMs = Number(joined.last - BigInt(started.t0Ns)) / 1e6

    await new Promise(resolve => setTimeout(resolve, opts.quick ? 1000 : 3000))
    const tKill = process.hrtime.bigint()
    victim.kill()
    const failed = await allSeen(ws, 'failed', 30_000)
    const failMs = Number(failed.last - tKill) / 1e6
    const firstFailMs = Number(failed.first - tKill) / 1e6
    const fe = await falseEvents(ws)

    const details = { nodes: n, workers: ws.length, bootstrapVia: via, ready: mesh.ready, setupSec: mesh.setupSec, ...mesh.details, firstJoinedMs: Number(joined.first - BigInt(started.t0Ns)) / 1e6, firstFailedMs: firstFailMs, falseEvents: fe }
    col.add(c, 'join seen everywhere', 'ms', 'lower', 'overlay', 'overlay', joinMs, details)
    col.add(c, 'failure seen everywhere', 'ms', 'lower', 'overlay', 'overlay', failMs)
    col.add(c, 'false suspect+failed', 'events', 'lower', 'overlay', 'overlay', fe.suspect + fe.failed)
    opts.log(`N=${n} run ${run}: ${mesh.ready ? 'ready' : 'NOT ready'} after ${mesh.setupSec.toFixed(1)} s (${mesh.text}); join seen by all ${n} in ${fmt(joinMs)} ms; failure seen by all in ${fmt(failMs)} ms (first ${fmt(firstFailMs)} ms); false events: ${fe.suspect} suspect, ${fe.failed} failed, ${fe.left} left`)
  } finally {
    await stopAll([victim, ...ws], 5000)
  }
}

export const figure: Figure = {
  id: 'membership',
  title: 'Membership: new member seen everywhere; killed member failed everywhere (default timings)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('membership')
    const sizes = opts.quick ? [10] : [10, 25, 50]
    const runs = runCount(opts, 3, 1)
    for (const n of sizes) {
      for (let r = 1; r <= runs; r++) await runOnce(n, r, opts, col)
    }
    return col.results()
  }
}
