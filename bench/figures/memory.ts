/**
 * Memory and fan-in (docs/BENCHMARKS.md 6, 7). 'RSS / conn' is the growth from C/5 to C connections: it
 * leaves out what the first ones cost once (V8 compiling the listener's code, first page touches).
 * Idle 'overlay' runs with the control API on, as users run it; 'overlay-api-off' without: the API's cost (issue 19).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startWorker, stopAfter, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { figure, runCount, fmt, type Collector, type RunOpts } from '../lib/results.ts'

interface Mem { rss: number, heapUsed: number, gc: boolean }
interface Outcome { ok: number, failed: number, firstError?: string }
const MiB = 2 ** 20
const gcArgs = { execArgv: ['--expose-gc'] }

/** Asks the dialer processes for `count` more connections between them. */
async function dialAll (ds: WorkerHandle[], target: Record<string, unknown>, count: number, prefix: string): Promise<Outcome> {
  const per = Math.ceil(count / ds.length)
  const rs = await Promise.all(ds.map(async (d, i) => await d.request<Msg & Outcome>(
    { type: 'connect', ...target, prefix: `${prefix}${i}-`, count: Math.max(0, Math.min(per, count - i * per)), concurrency: 16 }, 'connected', 150_000)))
  return { ok: rs.reduce((a, x) => a + x.ok, 0), failed: rs.reduce((a, x) => a + x.failed, 0), firstError: rs.map(x => x.firstError).find(Boolean) }
}

async function idle (opts: RunOpts, col: Collector, r: number, runs: number): Promise<void> {
  const kinds = ['node-process', 'libp2p', 'overlay', 'overlay-api-off'] as const
  const ws = kinds.map(kind => startWorker('memory.ts', { label: `idle-${kind}`, ...gcArgs }))
  await stopAfter(ws, async () => {
    const rs = await Promise.all(ws.map(async (w, i) => { await w.next('ready', 15_000); return await w.request<Msg & { mem: Mem }>({ type: 'idle', kind: kinds[i] }, 'idle', 30_000) }))
    rs.forEach(({ mem }, i) => {
      const kind = kinds[i] as string
      col.add('idle process', 'RSS', 'MiB', 'lower', kind, 'node-process', mem.rss / MiB, { ...mem })
      col.add('idle process', 'heapUsed', 'MiB', 'lower', kind, 'node-process', mem.heapUsed / MiB)
      opts.log(`idle run ${r + 1}/${runs} ${kind.padEnd(15)} RSS ${fmt(mem.rss / MiB)} MiB  heapUsed ${fmt(mem.heapUsed / MiB)} MiB${mem.gc ? '' : ' (no gc!)'}`)
    })
    opts.log(`idle run ${r + 1}/${runs} the control API, idle: ${fmt(((rs[2]?.mem.rss ?? 0) - (rs[3]?.mem.rss ?? 0)) / MiB)} MiB RSS (overlay - overlay-api-off)`)
  })
}

async function perConnection (kind: 'raw-tcp' | 'libp2p' | 'overlay', opts: RunOpts, col: Collector, r: number, runs: number): Promise<void> {
  const conns = opts.quick ? 50 : 500
  const dialers = opts.quick ? 1 : 4
  const settleMs = opts.quick ? 250 : 2000
  // two dial rounds of up to 150 s each, plus readings; the dialers start alongside and wait idle
  const listener = startWorker('memory.ts', { label: `hold-${kind}`, ...gcArgs, maxLifetimeMs: 360_000 })
  const ds = Array.from({ length: dialers }, (_, i) => startWorker('memory.ts', { label: `dialer-${kind}-${i}`, maxLifetimeMs: 360_000 }))
  await stopAfter([...ds, listener], async () => {
    await listener.next('ready', 15_000)
    const h = await listener.request<Msg & { port?: number, addr?: string }>({ type: 'hold', kind }, 'holding', 15_000)
    const measure = async (): Promise<Msg & { mem: Mem, connections: number }> => await listener.request({ type: 'measure', pauseMs: opts.quick ? 50 : 200 }, 'measured', 30_000)
    const before = await measure()
    await Promise.all(ds.map(async d => await d.next('ready', 15_000)))
    const t0 = Date.now()
    opts.log(`conn run ${r + 1}/${runs} ${kind.padEnd(7)} listener before: RSS ${fmt(before.mem.rss / MiB)} MiB; dialing ${conns} connections from ${dialers} processes, a fifth first`)
    const fifth = Math.round(conns / 5)
    const target = { kind, port: h.port, addr: h.addr }
    const first = await dialAll(ds, target, fifth, `leaf-${r}-a-`)
    await sleep(settleMs)
    const mid = await measure()
    const second = await dialAll(ds, target, conns - fifth, `leaf-${r}-b-`)
    await sleep(settleMs)
    const after = await measure()
    const n = after.connections
    const added = n - mid.connections
    if (n === 0 || added <= 0) throw new Error(`listener holds ${n} connections, ${mid.connections} after the first fifth (dialer errors: ${[first.firstError, second.firstError].filter(Boolean).join('; ')})`)
    const rssKiB = (after.mem.rss - mid.mem.rss) / 1024 / added
    const heapKiB = (after.mem.heapUsed - mid.mem.heapUsed) / 1024 / added
    const totalRssKiB = (after.mem.rss - before.mem.rss) / 1024 / n
    const failed = first.failed + second.failed
    const c = `${conns} conns`
    col.add(c, 'RSS / conn', 'KiB', 'lower', kind, 'raw-tcp', rssKiB, { connections: n, afterFirstFifth: mid.connections, requested: conns, dialOk: first.ok + second.ok, dialFailed: failed, secondsToAll: (Date.now() - t0) / 1000, totalRssKiBPerConn: totalRssKiB, before: before.mem, mid: mid.mem, after: after.mem, firstError: first.firstError ?? second.firstError })
    col.add(c, 'heapUsed / conn', 'KiB', 'lower', kind, 'raw-tcp', heapKiB)
    col.add(c, 'RSS / conn from 0', 'KiB', 'lower', kind, 'raw-tcp', totalRssKiB)
    opts.log(`conn run ${r + 1}/${runs} ${kind.padEnd(7)} ${n}/${conns} conns (${failed} failed): RSS ${fmt(before.mem.rss / MiB)} -> ${fmt(mid.mem.rss / MiB)} (${mid.connections}) -> ${fmt(after.mem.rss / MiB)} MiB = ${fmt(rssKiB)} KiB/conn after the first fifth (${fmt(totalRssKiB)} from 0), heapUsed ${fmt(heapKiB)} KiB/conn`)
  })
}

export const memory = figure('memory', 'Memory: idle node RSS and per-connection (overlay: per-session) cost on a listener/hub', async (opts, col) => {
  const runs = runCount(opts, 3, 1)
  for (let r = 0; r < runs; r++) await idle(opts, col, r, runs)
  for (let r = 0; r < runs; r++) for (const kind of ['raw-tcp', 'libp2p', 'overlay'] as const) await perConnection(kind, opts, col, r, runs)
})

/** Fan-in: L leaves in P processes, created first, start at once; timed until the hub lists L sessions and members. */
interface Reached { reachedNs: string | null, sessions: number, present: number, rejected: number }
interface LeafStats { leaves: number, withSession: number, attempts: number, failedAttempts: number, errors: Record<string, number> }

async function runOnce (leavesN: number, procs: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const c = `${leavesN} leaves`
  const hub = startWorker('memory.ts', { label: 'fanin-hub', maxLifetimeMs: 180_000 })
  const ps: WorkerHandle[] = Array.from({ length: procs }, (_, i) => startWorker('memory.ts', { label: `fanin-leaves-${i}`, maxLifetimeMs: 180_000 }))
  await stopAfter([...ps, hub], async () => {
    await Promise.all([hub, ...ps].map(async w => await w.next('ready', 20_000)))
    const h = await hub.request<Msg & { addr: string }>({ type: 'hold', kind: 'overlay' }, 'holding', 20_000)
    const per = Math.ceil(leavesN / procs)
    const c0 = Date.now()
    await Promise.all(ps.map(async (p, i) => await p.request({ type: 'create', count: Math.min(per, leavesN - i * per), addr: h.addr, prefix: `r${run}-p${i}-` }, 'created', 120_000)))
    const createSec = (Date.now() - c0) / 1000
    const reached = hub.request<Msg & Reached>({ type: 'wait-sessions', count: leavesN, timeoutMs: 60_000 }, 'sessions-reached', 90_000)
    const started = await Promise.all(ps.map(async p => await p.request<Msg & { t0Ns: string, ms: number }>({ type: 'start' }, 'started', 90_000)))
    const r = await reached
    const t0 = started.map(s => BigInt(s.t0Ns)).reduce((a, b) => a < b ? a : b)
    const stats = await Promise.all(ps.map(async p => await p.request<Msg & LeafStats>({ type: 'stats' }, 'stats', 20_000)))
    const failedAttempts = stats.reduce((a, s) => a + s.failedAttempts, 0)
    const errors: Record<string, number> = {}
    for (const s of stats) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v
    const success = r.sessions / leavesN
    const ms = r.reachedNs === null ? Number.NaN : Number(BigInt(r.reachedNs) - t0) / 1e6
    const details = { leaves: leavesN, processes: procs, createSec, startCallMs: started.map(s => s.ms), hubSessions: r.sessions, hubPresent: r.present, hubRejected: r.rejected, leavesWithSession: stats.reduce((a, s) => a + s.withSession, 0), failedAttempts, errors, timedOut: r.reachedNs === null }
    if (r.reachedNs !== null) col.add(c, 'all joined', 'ms', 'lower', 'overlay', 'overlay', ms, details)
    col.add(c, 'success rate', 'ratio', 'higher', 'overlay', 'overlay', success, details)
    opts.log(`run ${run}: ${leavesN} leaves from ${procs} processes: ${r.reachedNs === null ? 'NOT all joined within 60 s' : `all joined in ${fmt(ms)} ms`}; hub lists ${r.sessions} sessions, ${r.present} present (${(success * 100).toFixed(1)}%); ${failedAttempts} failed bootstrap attempts (retried)${failedAttempts > 0 ? ` ${JSON.stringify(errors)}` : ''}`)
  }, 5000)
}

export const fanin = figure('fanin', 'Fan-in: leaves connecting to one hub at once (time until all joined, success rate)', async (opts, col) => {
  const leaves = opts.quick ? 100 : 500
  const procs = opts.quick ? 2 : 4
  const runs = runCount(opts, 3, 1)
  for (let r = 1; r <= runs; r++) await runOnce(leaves, procs, r, opts, col)
})
