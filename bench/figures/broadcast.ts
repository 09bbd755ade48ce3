/**
 * Figure: broadcast to N nodes with gossipsub (baseline for the overlay's send()).
 *
 * Setup per run (fresh processes every run):
 *  - topology = generateTopology(N, seed=42, degree 6) from lib/topology.ts
 *    (random spanning tree + random extra edges, mean degree 6); edge [a,b]:
 *    node a dials node b. The overlay figure must use the same call.
 *  - W worker processes host the N nodes round-robin (node i -> worker i % W);
 *    W = 2 for N <= 10, 3 for N <= 25, else 4. A process per node is not
 *    feasible on 2 cores; nodes in one process share its event loop, which
 *    adds queueing delay to the latencies (documented in docs/BENCHMARKS.md).
 *  - every node: libp2p (TCP+Noise+yamux) + identify + gossipsub with default
 *    parameters (D=6, heartbeat 1 s, StrictSign, floodPublish), subscribed to
 *    one topic; then wait until every node knows all its neighbours as
 *    subscribers and has a mesh of >= min(degree, D_lo=4) peers (max 20 s).
 *  - idle window: RPC counters over 3 s (quick: 1 s) with no publishing
 *    (heartbeat background), scaled to the broadcast phase's duration.
 *  - broadcast phase: B broadcasts of 100 bytes from publishers drawn with a
 *    seeded PRNG, ONE AT A TIME: broadcast k+1 is published 20 ms after every
 *    worker reported that all its nodes received k (or after 2 s). On 2 cores
 *    a fixed publish rate saturated N=50 and measured queueing instead of
 *    delivery. Then a 2 s settle (quick: 1 s) for late/IWANT deliveries.
 *
 * Metrics per run: delivery ratio = receipts / (B * (N-1)); latency to the
 * last member = per broadcast, max over receivers of (receive - publish)
 * on the shared monotonic clock, p50 and p99 over the B broadcasts (over the
 * receivers it reached, if a broadcast was not fully delivered); frames per
 * broadcast = gossipsub RPCs sent by all nodes during the broadcast phase / B
 * (gross), and the same minus the idle window's RPCs (net); message copies
 * per broadcast = messages carried in those RPCs / B.
 *
 * EXTENSION POINT (overlay): add variant 'overlay' with the same topology
 * (generateTopology(N, 42)), the same worker split, publishers and payload:
 * overlay nodes configured with the edge list as peers, send(text) from the
 * publisher, receipt time in the 'message' event; frames = overlay frames
 * written to sessions. Push values with the same (case, metric) keys.
 */
import { startWorker, stopAll } from '../lib/proc.ts'
import type { Msg, WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import { generateTopology, degrees, diameter, mulberry32 } from '../lib/topology.ts'
import { quantile } from '../lib/stats.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

export const TOPOLOGY_SEED = 42
export const TOPOLOGY_DEGREE = 6

export function workersFor (n: number): number {
  return n <= 10 ? 2 : n <= 25 ? 3 : 4
}

interface Counters { rpc: number, msg: number, ihave: number, iwant: number, graft: number, prune: number, idontwant: number, bytes: number }

async function sumCounters (ws: WorkerHandle[]): Promise<Counters> {
  const all = await Promise.all(ws.map(async w => await w.request<Msg & Counters>({ type: 'counters' }, 'counters', 10_000)))
  const out: Counters = { rpc: 0, msg: 0, ihave: 0, iwant: 0, graft: 0, prune: 0, idontwant: 0, bytes: 0 }
  for (const c of all) for (const k of Object.keys(out) as Array<keyof Counters>) out[k] += c[k]
  return out
}

function diff (a: Counters, b: Counters): Counters {
  const out = { ...b }
  for (const k of Object.keys(out) as Array<keyof Counters>) out[k] = b[k] - a[k]
  return out
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function runOnce (n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const topo = generateTopology(n, TOPOLOGY_SEED, { degree: TOPOLOGY_DEGREE })
  const deg = degrees(topo)
  const W = workersFor(n)
  const B = opts.quick ? 30 : 100
  const gapMs = 20
  const perBroadcastTimeoutMs = 2000
  const settleMs = opts.quick ? 1000 : 2000
  const idleMs = opts.quick ? 1000 : 3000
  const size = 100
  const c = `N=${n}`
  const ws: WorkerHandle[] = []
  const t0 = Date.now()
  try {
    for (let w = 0; w < W; w++) ws.push(startWorker('gossip-host.ts', { label: `gossip-${n}-w${w}`, maxLifetimeMs: 240_000 }))
    await Promise.all(ws.map(async w => await w.next('ready', 20_000)))
    const owner = (i: number): WorkerHandle => ws[i % W] as WorkerHandle
    const created = await Promise.all(ws.map(async (w, k) => await w.request<Msg & { addrs: Record<string, string> }>(
      { type: 'create', indices: Array.from({ length: n }, (_, i) => i).filter(i => i % W === k) }, 'created', 60_000)))
    const addrs: Record<string, string> = Object.assign({}, ...created.map(x => x.addrs))
    const conn = await Promise.all(ws.map(async w => await w.request<Msg & { ok: number, failed: number, firstError?: string }>(
      { type: 'connect', edges: topo.edges, addrs }, 'connected', 90_000)))
    const dialSec = (Date.now() - t0) / 1000
    const dialFailed = conn.reduce((a, x) => a + x.failed, 0)
    if (dialFailed > 0) opts.log(`N=${n}: ${dialFailed} dials failed: ${conn.map(x => x.firstError).find(Boolean) ?? ''}`)

    // wait for subscriptions + mesh (bounded)
    let ready = false
    let meshSizes: number[] = []
    const meshDeadline = Date.now() + 20_000
    while (Date.now() < meshDeadline) {
      const st = (await Promise.all(ws.map(async w => await w.request<Msg & { nodes: Array<{ index: number, subscribers: number, mesh: number }> }>({ type: 'status' }, 'status', 10_000)))).flatMap(s => s.nodes)
      meshSizes = st.sort((a, b) => a.index - b.index).map(s => s.mesh)
      ready = st.length === n && st.every(s => s.subscribers >= (deg[s.index] ?? 0) && s.mesh >= Math.min(deg[s.index] ?? 0, 4))
      if (ready) break
      await sleep(250)
    }
    const setupSec = (Date.now() - t0) / 1000
    opts.log(`N=${n} run ${run}: ${n} nodes in ${W} processes, ${topo.edges.length} edges, setup ${setupSec.toFixed(1)} s (dials done at ${dialSec.toFixed(1)} s), mesh ${ready ? 'ready' : 'NOT ready (timeout)'} (sizes ${Math.min(...meshSizes)}..${Math.max(...meshSizes)})`)

    // the publishers are fixed in advance (seeded), so each worker knows how
    // many of its own nodes must receive broadcast k and can report 'local-done'
    const rand = mulberry32(TOPOLOGY_SEED * 1000 + run)
    const publishers = Array.from({ length: B }, () => Math.floor(rand() * n))
    await Promise.all(ws.map(async w => await w.request({ type: 'plan', publishers }, 'planned', 10_000)))

    // idle window (background control traffic, nothing published)
    const idle0 = await sumCounters(ws)
    const idleT0 = performance.now()
    await sleep(idleMs)
    const idle = diff(idle0, await sumCounters(ws))
    const idleMeasuredMs = performance.now() - idleT0

    // broadcast phase: one broadcast at a time; the next one starts when every
    // worker reported all its nodes reached (or after perBroadcastTimeoutMs),
    // plus gapMs. Latency is therefore that of a lone broadcast, not of a queue.
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
      const w = owner(publishers[k] as number)
      const m = await w.next<Msg & { error?: string }>('published', 30_000)
      if (m.error != null) publishErrors++
    }
    const rows = (await Promise.all(ws.map(async w => await w.request<Msg & { rows: number[][] }>({ type: 'receipts' }, 'receipts', 30_000)))).flatMap(r => r.rows)

    // per-broadcast last-member latency
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
    const rpcGross = used.rpc / B
    const rpcNet = (used.rpc - idle.rpc * (phaseMs / idleMeasuredMs)) / B
    const copies = used.msg / B
    const details = {
      nodes: n, workers: W, edges: topo.edges.length, diameter: diameter(topo), broadcasts: B, gapMs, perBroadcastTimeoutMs, payloadBytes: size,
      meshReady: ready, meshSizes, dialFailed, publishErrors, fullyDelivered: full, timedOutBroadcasts: timedOut,
      perReceiverLatencyMs: { p50: quantile(allMs, 0.5), p99: quantile(allMs, 0.99) },
      countersBroadcastPhase: used, countersIdleWindow: idle, idleWindowMs: idleMeasuredMs, broadcastPhaseMs: phaseMs, setupSec
    }
    col.add(c, 'delivery', 'ratio', 'higher', 'gossipsub', 'gossipsub', delivery, details)
    col.add(c, 'last-member p50', 'ms', 'lower', 'gossipsub', 'gossipsub', p50)
    col.add(c, 'last-member p99', 'ms', 'lower', 'gossipsub', 'gossipsub', p99)
    col.add(c, 'frames/bcast', 'RPCs', 'lower', 'gossipsub', 'gossipsub', rpcGross)
    col.add(c, 'frames/bcast net', 'RPCs', 'lower', 'gossipsub', 'gossipsub', rpcNet)
    col.add(c, 'msg copies/bcast', 'copies', 'lower', 'gossipsub', 'gossipsub', copies)
    opts.log(`N=${n} run ${run}: delivery ${(delivery * 100).toFixed(2)}% (${full}/${B} complete, ${timedOut} waits timed out), last-member p50 ${fmt(p50)} ms p99 ${fmt(p99)} ms, RPCs/bcast ${fmt(rpcGross)} (net ${fmt(rpcNet)}; idle window ${idle.rpc}), msg copies/bcast ${fmt(copies)}`)
  } finally {
    await stopAll(ws, 5000)
  }
}

export const figure: Figure = {
  id: 'broadcast',
  title: 'Broadcast to N nodes: gossipsub baseline (delivery, latency to last member, frames)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('broadcast')
    const sizes = opts.quick ? [10] : [10, 25, 50]
    const runs = runCount(opts, 3, 2)
    for (const n of sizes) {
      for (let r = 1; r <= runs; r++) {
        await runOnce(n, r, opts, col)
      }
    }
    return col.results()
  }
}
