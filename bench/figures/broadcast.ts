/**
 * Broadcast to N nodes, overlay vs gossipsub (docs/BENCHMARKS.md 4). Overlay frames are counted where
 * they arrive: a MSG ends as one of delivered, duplicate, forged, stale, malformed; a tree frame in `control`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { stopAfter, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { figure, meshSizes, runCount, fmt, type Collector, type RunOpts } from '../lib/results.ts'
import { mulberry32 } from '../lib/random.ts'
import { quantile } from '../lib/stats.ts'
import { GOSSIPSUB, OVERLAY, TOPOLOGY_SEED, ask, startHosts, buildMesh, sumCounters, type Counters, type MeshSide } from '../lib/mesh.ts'

const diff = (a: Counters, b: Counters): Counters => Object.fromEntries(Object.keys(b).map(k => [k, (b[k] ?? 0) - (a[k] ?? 0)]))

function framesOf (side: MeshSide, c: Counters): { frames: number, copies: number } {
  if (side.variant === 'gossipsub') return { frames: c.rpc ?? 0, copies: c.msg ?? 0 }
  const copies = ['delivered', 'duplicate', 'forged', 'stale', 'malformed'].reduce((a, k) => a + (c[k] ?? 0), 0)
  return { frames: copies + (c.control ?? 0), copies }
}

/** Waits until every host reported 'local-done' for broadcast `seq`; false after `timeoutMs`. */
async function allDone (ws: WorkerHandle[], seq: number, timeoutMs: number): Promise<boolean> {
  const done = await Promise.all(ws.map(async w => await w.next<Msg & { seq: number }>('local-done', timeoutMs, m => m.seq === seq).then(() => true, () => false)))
  return done.every(Boolean)
}

async function runOnce (side: MeshSide, n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const [B, gapMs, perBroadcastTimeoutMs, size] = [opts.quick ? 30 : 100, 20, 2000, 100]
  const c = `N=${n}`
  const v = side.variant
  const ws = startHosts(n, `${v}-${n}`)
  await stopAfter(ws, async () => {
    const mesh = await buildMesh(side, ws, n, opts.log)
    opts.log(`N=${n} run ${run} ${v.padEnd(9)}: ${n} nodes in ${ws.length} processes, ${mesh.topo.edges.length} edges, setup ${mesh.setupSec.toFixed(1)} s, ${mesh.ready ? 'ready' : 'NOT ready (timeout)'} (${mesh.text})`)
    // publishers fixed in advance (seeded, the same for both sides in run r)
    const rand = mulberry32(TOPOLOGY_SEED * 1000 + run)
    const publishers = Array.from({ length: B }, () => Math.floor(rand() * n))
    const owner = (k: number): WorkerHandle => ws[(publishers[k] as number) % ws.length] as WorkerHandle
    await ask(ws, { type: 'plan', publishers }, 'planned')
    const idle0 = await sumCounters(ws)
    const idleT0 = performance.now()
    await sleep(opts.quick ? 1000 : 3000)
    const idle = diff(idle0, await sumCounters(ws))
    const idleMs = performance.now() - idleT0
    // one broadcast at a time: the latency of a lone broadcast, not of a queue
    const c0 = await sumCounters(ws)
    const start = performance.now()
    let timedOut = 0
    for (let k = 0; k < B; k++) {
      owner(k).send({ type: 'publish', index: publishers[k], seq: k, size })
      if (!await allDone(ws, k, perBroadcastTimeoutMs)) timedOut++
      await sleep(gapMs)
    }
    await sleep(opts.quick ? 500 : 2000)
    const phaseMs = performance.now() - start
    const used = diff(c0, await sumCounters(ws))
    let publishErrors = 0
    for (let k = 0; k < B; k++) if ((await owner(k).next<Msg & { error?: string }>('published', 30_000)).error != null) publishErrors++
    const rows = (await ask<Msg & { rows: number[][] }>(ws, { type: 'receipts' }, 'receipts', 30_000)).flatMap(r => r.rows)
    // latency to the last member: per broadcast, the max over its receivers
    const last = new Map<number, { count: number, max: number }>()
    for (const [seq, , us] of rows) {
      const e = last.get(seq as number) ?? { count: 0, max: 0 }
      last.set(seq as number, { count: e.count + 1, max: Math.max(e.max, us as number) })
    }
    const lastMs = [...last.values()].map(e => e.max / 1000)
    const full = [...last.values()].filter(e => e.count >= n - 1).length
    const allMs = rows.map(r => (r[2] as number) / 1000)
    const delivery = rows.length / (B * (n - 1))
    const [p50, p99] = [quantile(lastMs, 0.5), quantile(lastMs, 0.99)]
    const fUsed = framesOf(side, used)
    const framesGross = fUsed.frames / B
    const framesNet = (fUsed.frames - framesOf(side, idle).frames * (phaseMs / idleMs)) / B
    const copies = fUsed.copies / B
    // background load: CPU time of all host processes in the idle window, in % of one core
    const idleCpu = (idle.cpuUs ?? 0) / 1000 / idleMs * 100
    // overlay: stats().relayed counts frames passed on; idle = heartbeats only
    const idleRelaysPerSec = v === 'overlay' ? (idle.relayed ?? 0) / idleMs * 1000 : undefined
    const details = {
      nodes: n, workers: ws.length, edges: mesh.topo.edges.length, broadcasts: B, gapMs, perBroadcastTimeoutMs, payloadBytes: size,
      ready: mesh.ready, ...mesh.details, dialFailed: mesh.dialFailed, publishErrors, fullyDelivered: full, timedOutBroadcasts: timedOut,
      perReceiverLatencyMs: { p50: quantile(allMs, 0.5), p99: quantile(allMs, 0.99) },
      countersBroadcastPhase: used, countersIdleWindow: idle, idleWindowMs: idleMs, idleCpuPercentOfCore: idleCpu, idleRelaysPerSec, broadcastPhaseMs: phaseMs, setupSec: mesh.setupSec
    }
    const unit = v === 'gossipsub' ? 'RPCs' : 'frames'
    col.add(c, 'delivery', 'ratio', 'higher', v, 'gossipsub', delivery, details)
    col.add(c, 'last-member p50', 'ms', 'lower', v, 'gossipsub', p50)
    col.add(c, 'last-member p99', 'ms', 'lower', v, 'gossipsub', p99)
    if (v === 'gossipsub') col.add(c, 'frames/bcast', unit, 'lower', v, 'gossipsub', framesGross)
    col.add(c, 'frames/bcast net', unit, 'lower', v, 'gossipsub', framesNet)
    col.add(c, 'msg copies/bcast', 'copies', 'lower', v, 'gossipsub', copies)
    col.add(c, 'idle CPU', '% of a core', 'lower', v, 'gossipsub', idleCpu)
    opts.log(`N=${n} run ${run} ${v.padEnd(9)}: delivery ${(delivery * 100).toFixed(2)}% (${full}/${B} complete, ${timedOut} waits timed out), last-member p50 ${fmt(p50)} ms p99 ${fmt(p99)} ms, frames/bcast ${fmt(framesGross)} (net ${fmt(framesNet)}), msg copies/bcast ${fmt(copies)}, idle CPU ${fmt(idleCpu)} % of a core${idleRelaysPerSec === undefined ? '' : ` (${fmt(idleRelaysPerSec)} heartbeat relays/s)`}`)
  }, 5000)
}

export const broadcast = figure('broadcast', 'Broadcast to N nodes: overlay vs gossipsub (delivery, latency to last member, frames)', async (opts, col) => {
  const runs = runCount(opts, 3, 1)
  for (const n of meshSizes(opts, [10, 25, 50])) for (let r = 1; r <= runs; r++) for (const side of [GOSSIPSUB, OVERLAY]) await runOnce(side, n, r, opts, col)
})
