/**
 * Figure: broadcast to N nodes, overlay send() vs gossipsub publish().
 *
 * Setup per run and variant (fresh processes every run, lib/mesh.ts):
 *  - topology = generateTopology(N, seed=42, degree 6) from lib/topology.ts
 *    (random spanning tree + random extra edges, mean degree 6); edge [a,b]:
 *    node a dials node b. Both variants use this very call.
 *  - W worker processes host the N nodes round-robin (node i -> worker i % W);
 *    W = 2 for N <= 10, 3 for N <= 25, else 4. A process per node is not
 *    feasible on 2 cores; nodes in one process share its event loop, which
 *    adds queueing delay to the latencies (documented in docs/BENCHMARKS.md).
 *  - gossipsub: libp2p (TCP+Noise+yamux) + identify + gossipsub with default
 *    parameters (D=6, heartbeat 1 s, StrictSign, floodPublish, P6 off), one
 *    topic. overlay: createOverlayNode peers with default mesh settings; each
 *    edge is a.openSession(b). Readiness rules: see lib/mesh.ts.
 *  - idle window: counters over 3 s (quick: 1 s) with no publishing,
 *    scaled to the broadcast phase's duration.
 *  - broadcast phase: B broadcasts of 100 bytes from publishers drawn with a
 *    seeded PRNG (the same for both variants in run r), ONE AT A TIME:
 *    broadcast k+1 goes 20 ms after every worker reported that all its nodes
 *    received k (or after 2 s). Then a 2 s settle (quick: 0.5 s).
 *  - runs alternate: gossipsub run r, overlay run r, gossipsub run r+1, ...
 *
 * Metrics per run: delivery ratio = receipts / (B * (N-1)); latency to the
 * last member = per broadcast, max over receivers of (receive - publish) on
 * the shared monotonic clock, p50 and p99 over the B broadcasts.
 * Frames per broadcast:
 *  - gossipsub: RPCs sent by all nodes in the broadcast phase / B (gross),
 *    minus the idle window's (net), counted by gossipsub's own metrics hook;
 *    msg copies = messages carried in those RPCs / B.
 *  - overlay: no public frame counter exists, so frames are counted where
 *    they arrive: every MSG frame a node receives ends as exactly one of
 *    stats().delivered ('message' event), duplicate, forged, stale or
 *    malformed, and every broadcast-tree frame (IHAVE, GRAFT, PRUNE) adds one
 *    to stats().control. frames/bcast = (MSG + tree frames received over all
 *    nodes, delta over the phase, minus the idle window's) / B; 'msg copies/bcast'
 *    counts the MSG frames only. Heartbeat (MEMBER) frames are not counted, as
 *    they are not caused by the broadcast (like gossipsub's idle-window
 *    subtraction).
 * idle CPU = user+system CPU time of all N nodes' host processes during the
 * idle window / its length, in % of one core: the mesh's background load
 * (gossipsub heartbeats; overlay heartbeats, relayed mesh-wide), which the
 * broadcast latencies queue behind on a 2-core machine.
 */
import { stopAll } from '../lib/proc.ts'
import type { Msg, WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import { generateTopology, diameter, mulberry32 } from '../lib/topology.ts'
import { quantile } from '../lib/stats.ts'
import { GOSSIPSUB, OVERLAY, startHosts, buildMesh } from '../lib/mesh.ts'
import type { MeshSide } from '../lib/mesh.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

export const TOPOLOGY_SEED = 42
export const TOPOLOGY_DEGREE = 6

type Counters = Record<string, number>

async function sumCounters (ws: WorkerHandle[]): Promise<Counters> {
  const all = await Promise.all(ws.map(async w => await w.request<Msg & Counters>({ type: 'counters' }, 'counters', 10_000)))
  const out: Counters = {}
  for (const c of all) for (const [k, v] of Object.entries(c)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v
  return out
}

function diff (a: Counters, b: Counters): Counters {
  const out: Counters = {}
  for (const k of Object.keys(b)) out[k] = (b[k] ?? 0) - (a[k] ?? 0)
  return out
}

/** gossipsub: RPC counters; overlay: MSG and broadcast-tree frames received (see header). */
function framesOf (side: MeshSide, c: Counters): { frames: number, copies: number } {
  if (side.variant === 'gossipsub') return { frames: c.rpc ?? 0, copies: c.msg ?? 0 }
  const copies = (c.delivered ?? 0) + (c.duplicate ?? 0) + (c.forged ?? 0) + (c.stale ?? 0) + (c.malformed ?? 0)
  return { frames: copies + (c.control ?? 0), copies }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function runOnce (side: MeshSide, n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const topo = generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE })
  const B = opts.quick ? 30 : 100
  const gapMs = 20
  const perBroadcastTimeoutMs = 2000
  const settleMs = opts.quick ? 500 : 2000
  const idleMs = opts.quick ? 1000 : 3000
  const size = 100
  const c = `N=${n}`
  const v = side.variant
  const ws = startHosts(side, n, `${v}-${n}`)
  try {
    const mesh = await buildMesh(side, ws, topo, opts.log)
    const W = ws.length
    const owner = (i: number): WorkerHandle => ws[i % W] as WorkerHandle
    opts.log(`N=${n} run ${run} ${v.padEnd(9)}: ${n} nodes in ${W} processes, ${topo.edges.length} edges, setup ${mesh.setupSec.toFixed(1)} s, ${mesh.ready ? 'ready' : 'NOT ready (timeout)'} (${mesh.text})`)

    // publishers fixed in advance (seeded): each worker knows how many of its nodes must receive k
    const rand = mulberry32(TOPOLOGY_SEED * 1000 + run)
    const publishers = Array.from({ length: B }, () => Math.floor(rand() * n))
    await Promise.all(ws.map(async w => await w.request({ type: 'plan', publishers }, 'planned', 10_000)))

    const idle0 = await sumCounters(ws)
    const idleT0 = performance.now()
    await sleep(idleMs)
    const idle = diff(idle0, await sumCounters(ws))
    const idleMeasuredMs = performance.now() - idleT0

    // one broadcast at a time: the latency of a lone broadcast, not of a queue
    const c0 = await sumCounters(ws)
    const start = performance.now()
    let timedOut = 0
    for (let k = 0; k < B; k++) {
      const p = publishers[k] as number
      owner(p).send({ type: 'publish', index: p, seq: k, size })
      const deadline = performance.now() + perBroadcastTimeoutMs
      const done = await Promise.all(ws.map(async w => {
        while (true) {
          const left = deadline - performance.now()
          if (left <= 0) return false
          try {
            const m = await w.next<Msg & { seq: number }>('local-done', left)
            if (m.seq === k) return true
          } catch {
            return false
          }
        }
      }))
      if (!done.every(Boolean)) timedOut++
      await sleep(gapMs)
    }
    await sleep(settleMs)
    const phaseMs = performance.now() - start
    const used = diff(c0, await sumCounters(ws))
    let publishErrors = 0
    for (let k = 0; k < B; k++) {
      const m = await owner(publishers[k] as number).next<Msg & { error?: string }>('published', 30_000)
      if (m.error != null) publishErrors++
    }
    const rows = (await Promise.all(ws.map(async w => await w.request<Msg & { rows: number[][] }>({ type: 'receipts' }, 'receipts', 30_000)))).flatMap(r => r.rows)

    const perSeq = new Map<number, { count: number, max: number }>()
    for (const [seq, , us] of rows) {
      const e = perSeq.get(seq as number) ?? { count: 0, max: 0 }
      e.count++
      e.max = Math.max(e.max, us as number)
      perSeq.set(seq as number, e)
    }
    const lastMs: number[] = []
    let full = 0
    for (let k = 0; k < B; k++) {
      const e = perSeq.get(k)
      if (e == null) continue
      lastMs.push(e.max / 1000)
      if (e.count >= n - 1) full++
    }
    const allMs = rows.map(r => (r[2] as number) / 1000)
    const delivery = rows.length / (B * (n - 1))
    const p50 = quantile(lastMs, 0.5)
    const p99 = quantile(lastMs, 0.99)
    const fUsed = framesOf(side, used)
    const fIdle = framesOf(side, idle)
    const framesGross = fUsed.frames / B
    const framesNet = (fUsed.frames - fIdle.frames * (phaseMs / idleMeasuredMs)) / B
    const copies = fUsed.copies / B
    // background load: CPU time of all host processes in the idle window, in % of one core
    const idleCpu = (idle.cpuUs ?? 0) / 1000 / idleMeasuredMs * 100
    // overlay: stats().relayed counts frames passed on (each to all other sessions); idle = heartbeats only
    const idleRelaysPerSec = v === 'overlay' ? (idle.relayed ?? 0) / idleMeasuredMs * 1000 : undefined
    const details = {
      nodes: n, workers: W, edges: topo.edges.length, diameter: diameter(topo), broadcasts: B, gapMs, perBroadcastTimeoutMs, payloadBytes: size,
      ready: mesh.ready, ...mesh.details, dialFailed: mesh.dialFailed, publishErrors, fullyDelivered: full, timedOutBroadcasts: timedOut,
      perReceiverLatencyMs: { p50: quantile(allMs, 0.5), p99: quantile(allMs, 0.99) },
      countersBroadcastPhase: used, countersIdleWindow: idle, idleWindowMs: idleMeasuredMs, idleCpuPercentOfCore: idleCpu, idleRelaysPerSec, broadcastPhaseMs: phaseMs, setupSec: mesh.setupSec
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
  } finally {
    await stopAll(ws, 5000)
  }
}

export const figure: Figure = {
  id: 'broadcast',
  title: 'Broadcast to N nodes: overlay vs gossipsub (delivery, latency to last member, frames)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('broadcast')
    // BENCH_CASE='N=50' runs one size only (used to profile one case at a time)
    const sizes = (opts.quick ? [10] : [10, 25, 50]).filter(n => process.env.BENCH_CASE == null || process.env.BENCH_CASE === `N=${n}`)
    const runs = runCount(opts, 3, 1)
    for (const n of sizes) {
      for (let r = 1; r <= runs; r++) {
        for (const side of [GOSSIPSUB, OVERLAY]) await runOnce(side, n, r, opts, col)
      }
    }
    // table only: msg copies duplicate the overlay's frames; gross RPCs have no overlay counterpart
    return col.results().map(r => r.metric === 'msg copies/bcast' || r.metric === 'frames/bcast' ? { ...r, chart: false } : r)
  }
}
