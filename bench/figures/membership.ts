/** Membership and the opt-in idle soak, overlay only, default timings (docs/BENCHMARKS.md 5 and 8). */
import { setTimeout as sleep } from 'node:timers/promises'
import { startWorker, stopAfter, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { figure, meshSizes, runCount, fmt, type Collector, type RunOpts } from '../lib/results.ts'
import { mulberry32 } from '../lib/random.ts'
import { OVERLAY, TOPOLOGY_SEED, ask, hostOf, startHosts, buildMesh, status, sumCounters } from '../lib/mesh.ts'

interface FalseEvents { suspect: number, failed: number, left: number }

/** The first and last time any host saw `kind` for the watched member on all its nodes. */
async function allSeen (ws: WorkerHandle[], kind: string, timeoutMs: number): Promise<{ last: bigint, first: bigint }> {
  const rs = await Promise.all(ws.map(async w => await w.next<Msg & { lastNs: string, firstNs: string }>('all-seen', timeoutMs, m => m.kind === kind)))
  const last = rs.map(r => BigInt(r.lastNs)).reduce((a, b) => a > b ? a : b)
  return { last, first: rs.map(r => BigInt(r.firstNs)).reduce((a, b) => a < b ? a : b) }
}

async function falseEvents (ws: WorkerHandle[]): Promise<FalseEvents> {
  return (await ask<Msg & { false: FalseEvents }>(ws, { type: 'events' }, 'events'))
    .reduce((a, x) => ({ suspect: a.suspect + x.false.suspect, failed: a.failed + x.false.failed, left: a.left + x.false.left }), { suspect: 0, failed: 0, left: 0 })
}

async function runOnce (n: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const ws = startHosts(n, `members-${n}`)
  const victim = startWorker('mesh-host.ts', { label: `new-member-${n}` })
  await stopAfter([victim, ...ws], async () => {
    const mesh = await buildMesh(OVERLAY, ws, n, opts.log)
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
  }, 5000)
}

export const membership = figure('membership', 'Membership: new member seen everywhere; killed member failed everywhere (default timings)', async (opts, col) => {
  const runs = runCount(opts, 3, 1)
  for (const n of meshSizes(opts, [10, 25, 50])) for (let r = 1; r <= runs; r++) await runOnce(n, r, opts, col)
})

export const soak = figure('soak', 'Soak: false suspect/failed events in an idle overlay mesh of 50 (opt-in: --soak)', async (opts, col) => {
  const seconds = opts.soakSec ?? 600
  const n = 50
  const ws = startHosts(n, 'soak', (seconds + 180) * 1000)
  await stopAfter(ws, async () => {
    const mesh = await buildMesh(OVERLAY, ws, n, opts.log)
    await ask(ws, { type: 'reset' }, 'reset')
    opts.log(`N=${n}: ${mesh.ready ? 'ready' : 'NOT ready'} after ${mesh.setupSec.toFixed(1)} s (${mesh.text}); idle for ${seconds} s`)
    const counters = async (): Promise<{ cpuUs: number, heapUsed: number, t: number }> =>
      ({ cpuUs: 0, heapUsed: 0, ...await sumCounters(ws), t: Date.now() })
    const first = await counters()
    const cpuPerInterval: number[] = []
    const heapPerInterval: number[] = []
    for (let last = first, k = 0; k < 10_000 && Date.now() - first.t < seconds * 1000; k++) {
      await sleep(Math.min(60_000, seconds * 1000 - (Date.now() - first.t)))
      const fe = await falseEvents(ws)
      const now = await counters()
      cpuPerInterval.push((now.cpuUs - last.cpuUs) / 1000 / (now.t - last.t) * 100)
      heapPerInterval.push(now.heapUsed / 2 ** 20)
      last = now
      opts.log(`${((now.t - first.t) / 1000).toFixed(0)} s: false suspect ${fe.suspect}, failed ${fe.failed}, left ${fe.left}; host CPU ${fmt(cpuPerInterval.at(-1) as number)} % of a core, host heapUsed ${fmt(now.heapUsed / 2 ** 20)} MiB`)
    }
    const end = await counters()
    const cpuPct = (end.cpuUs - first.cpuUs) / 1000 / (end.t - first.t) * 100
    const fe = await falseEvents(ws)
    const st = await status(ws)
    const c = `N=${n}, ${seconds} s idle`
    col.add(c, 'false suspect', 'events', 'lower', 'overlay', 'overlay', fe.suspect, { nodes: n, seconds, ready: mesh.ready, ...mesh.details, cpuPercentPerInterval: cpuPerInterval, heapUsedMiBPerInterval: heapPerInterval, presentAtEnd: st.map(s => s.present), suspectAtEnd: st.reduce((a, s) => a + (s.suspect ?? 0), 0) })
    col.add(c, 'false failed', 'events', 'lower', 'overlay', 'overlay', fe.failed)
    col.add(c, 'false left', 'events', 'lower', 'overlay', 'overlay', fe.left)
    col.add(c, 'host CPU', '% of a core', 'lower', 'overlay', 'overlay', cpuPct)
    opts.log(`done: false suspect ${fe.suspect}, failed ${fe.failed}, left ${fe.left}; the ${ws.length} host processes used ${fmt(cpuPct)} % of a core on average`)
  }, 5000)
}, { optIn: true })
