/**
 * Fan-in, overlay only (docs/BENCHMARKS.md, 7): L leaves in P processes (created first, not
 * started) connect to one hub (memory.ts `hold` 'overlay') at the same moment. Time until all
 * joined = the earliest leaf process's start until the hub lists L sessions and L present
 * members (<= 60 s); success rate = the sessions it lists then / L. Leaves retry a failed
 * bootstrap dial (5 attempts, 1 s apart); failed attempts are in the details.
 */
import { startWorker, stopAll, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

interface Reached { reachedNs: string | null, sessions: number, present: number, rejected: number }
interface LeafStats { leaves: number, withSession: number, attempts: number, failedAttempts: number, errors: Record<string, number> }

async function runOnce (leavesN: number, procs: number, run: number, opts: RunOpts, col: Collector): Promise<void> {
  const c = `${leavesN} leaves`
  const hub = startWorker('memory.ts', { label: 'fanin-hub', maxLifetimeMs: 180_000 })
  const ps: WorkerHandle[] = Array.from({ length: procs }, (_, i) => startWorker('memory.ts', { label: `fanin-leaves-${i}`, maxLifetimeMs: 180_000 }))
  try {
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
  } finally {
    await stopAll([...ps, hub], 5000)
  }
}

export const figure: Figure = {
  id: 'fanin',
  title: 'Fan-in: leaves connecting to one hub at once (time until all joined, success rate)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('fanin')
    const leaves = opts.quick ? 100 : 500
    const procs = opts.quick ? 2 : 4
    const runs = runCount(opts, 3, 1)
    for (let r = 1; r <= runs; r++) await runOnce(leaves, procs, r, opts, col)
    return col.results()
  }
}
