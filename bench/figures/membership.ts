/**
 * Membership, overlay only, default timings (docs/BENCHMARKS.md, 5): N peers on the broadcast
 * topology (lib/mesh.ts); a new peer in its own process bootstraps to one seeded node. Join seen
 * everywhere = its start() until the last of the N emitted 'joined'; after a settle its process is
 * SIGKILLed (no EXIT), and failure seen everywhere = the kill until the last 'failed'. False events
 * = 'suspect'/'failed'/'left' about any other member meanwhile (one monotonic clock for all).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startWorker, stopAll, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import { generateTopology } from '../lib/topology.ts'
import { mulberry32 } from '../lib/random.ts'
import { OVERLAY, ask, hostOf, startHosts, buildMesh } from '../lib/mesh.ts'
import { TOPOLOGY_SEED, TOPOLOGY_DEGREE } from './broadcast.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

interface FalseEvents { suspect: number, failed: number, left: number }

/** The first and last time any host saw `kind` for the watched member on all its nodes. */
async function allSeen (ws: WorkerHandle[], kind: string, timeoutMs: number): Promise<{ last: bigint, first: bigint }> {
  const rs = await Promise.all(ws.map(async w => {
    for (;;) {
      const m = await w.next<Msg & { lastNs: string, firstNs: string }>('all-seen', timeoutMs)
      if (m.kind === kind) return m
    }
  }))
  const last = rs.map(r => BigInt(r.lastNs)).reduce((a, b) => a > b ? a : b)
  return { last, first: rs.map(r => BigInt(r.firstNs)).reduce((a, b) => a < b ? a : b) }
}

export async function falseEvents (ws: WorkerHandle[]): Promise<FalseEvents> {
  return (await ask<Msg & { false: FalseEvents }>(ws, { type: 'events' }, 'events'))
    .reduce((a, x) => ({ suspect: a.suspect + x.false.suspect, failed: a.failed + x.false.failed, left: a.left + x.false.left }), { suspect: 0, failed: 0, left: 0 })
}

async function runOnce (n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const topo = generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE })
  const ws = startHosts(n, `members-${n}`)
  const victim = startWorker('mesh-host.ts', { label: `new-member-${n}` })
  try {
    const mesh = await buildMesh(OVERLAY, ws, topo, opts.log)
    await ask(ws, { type: 'reset' }, 'reset')
    const via = Math.floor(mulberry32(TOPOLOGY_SEED * 7 + run)() * n)
    await hostOf(OVERLAY, victim)
    await victim.request({ type: 'create', indices: [n], bootstrap: [mesh.addrs[String(via)]], defer: true }, 'created', 30_000)
    await ask(ws, { type: 'watch', name: `n${n}` }, 'watching')

    const started = BigInt((await victim.request<Msg & { t0Ns: string }>({ type: 'start' }, 'started', 30_000)).t0Ns)
    const joined = await allSeen(ws, 'joined', 15_000)
    const joinMs = Number(joined.last - started) / 1e6

    await sleep(opts.quick ? 1000 : 3000)
    const tKill = process.hrtime.bigint()
    victim.kill()
    const failed = await allSeen(ws, 'failed', 30_000)
    const [failMs, firstFailMs] = [Number(failed.last - tKill) / 1e6, Number(failed.first - tKill) / 1e6]
    const fe = await falseEvents(ws)

    const c = `N=${n}`
    col.add(c, 'join seen everywhere', 'ms', 'lower', 'overlay', 'overlay', joinMs, { nodes: n, workers: ws.length, bootstrapVia: via, ready: mesh.ready, setupSec: mesh.setupSec, ...mesh.details, firstJoinedMs: Number(joined.first - started) / 1e6, firstFailedMs: firstFailMs, falseEvents: fe })
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
    const runs = runCount(opts, 3, 1)
    for (const n of opts.quick ? [10] : [10, 25, 50]) for (let r = 1; r <= runs; r++) await runOnce(n, r, opts, col)
    return col.results()
  }
}
