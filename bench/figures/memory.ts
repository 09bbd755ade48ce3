/**
 * Figure: memory.
 *
 * (a) idle: RSS of a process holding one started, idle bare libp2p node
 *     (listening on 127.0.0.1, no connections) vs the same worker process
 *     without libp2p loaded ('node-process', reference). Read after 3 x gc().
 * (b) per connection: a listener process (--expose-gc) holds C inbound
 *     connections opened by D separate dialer processes (libp2p: one fresh
 *     node = distinct peer id per connection), first C/5, then the rest. Listener
 *     RSS and V8 heapUsed are read after 3 x gc(): before the dials, and after
 *     the first C/5 and after all C, each after a 2 s settle (quick: 0.25 s).
 *     'RSS / conn' = the growth between the last two readings / the
 *     connections added between them. The slope leaves out what the first
 *     connections cost only once: V8 compiling the listener's connection code,
 *     first touches of heap and malloc arenas. 'RSS / conn from 0' (growth
 *     since the first reading / C) is reported too. Variants: raw-tcp (node:net
 *     server, reference), libp2p (bare node, TCP+Noise+yamux) and overlay:
 *     a hub (createOverlayNode, mode hub) holding C leaf sessions, the leaves
 *     being C separate createOverlayNode leaves (own identity each) in D
 *     processes (bench/workers/overlay-leaves.ts); C = sessions the hub lists.
 *     The overlay's cost includes everything a session brings: the libp2p
 *     connection, the session stream, the roster entry, 1 heartbeat/s in.
 * (a) overlay: one started createOverlayNode peer, no sessions.
 */
import path from 'node:path'
import { startWorker, stopAll } from '../lib/proc.ts'
import type { Msg, WorkerHandle } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

interface Mem { rss: number, heapUsed: number, external: number, arrayBuffers: number, gc: boolean }
const MiB = 2 ** 20

interface DialOutcome { ok: number, failed: number, firstError?: string }

/** Asks the dialer processes for `count` more connections between them (names start with `prefix`). */
async function dialAll (ds: WorkerHandle[], target: { kind: string, port?: number, addr?: string }, count: number, prefix: string): Promise<DialOutcome> {
  const per = Math.ceil(count / ds.length)
  const rs = await Promise.all(ds.map(async (d, i) => await d.request<Msg & DialOutcome>(
    { type: 'connect', ...target, prefix: `${prefix}${i}-`, count: Math.max(0, Math.min(per, count - i * per)), concurrency: 16 }, 'connected', 150_000)))
  return { ok: rs.reduce((a, x) => a + x.ok, 0), failed: rs.reduce((a, x) => a + x.failed, 0), firstError: rs.map(x => x.firstError).find(Boolean) }
}

/**
 * BENCH_HEAP_SNAPSHOT=<dir>: the per-connection listeners also write a heap
 * snapshot right after each memory reading (before, mid, after). Diagnostic only: writing a
 * snapshot inflates the RSS readings after it (heapUsed stays valid). Diff mid -> after with
 * `--per=<connections added>` (bench/tools/heapsnapshot-diff.ts) for what the slope measures.
 */
async function snapshot (w: WorkerHandle, name: string): Promise<void> {
  const dir = process.env.BENCH_HEAP_SNAPSHOT
  if (dir == null || dir === '') return
  await w.request({ type: 'heap-snapshot', file: path.join(dir, `${name}.heapsnapshot`) }, 'snapshot', 120_000)
}

export const figure: Figure = {
  id: 'memory',
  title: 'Memory: idle node RSS and per-connection (overlay: per-session) cost on a listener/hub',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('memory')
    const idleRuns = runCount(opts, 3, 1)
    const connRuns = runCount(opts, 3, 1)
    const conns = opts.quick ? 50 : 500
    const dialers = opts.quick ? 1 : 4

    // (a) idle RSS
    // the two idle processes of a run are started side by side (RSS is per process)
    for (let r = 0; r < idleRuns; r++) {
      const kinds = ['node-process', 'libp2p', 'overlay'] as const
      const ws = kinds.map(kind => startWorker('memory.ts', { label: `idle-${kind}`, execArgv: ['--expose-gc'] }))
      try {
        const rs = await Promise.all(ws.map(async (w, i) => {
          await w.next('ready', 15_000)
          return await w.request<Msg & { mem: Mem }>({ type: 'idle', kind: kinds[i] }, 'idle', 30_000)
        }))
        rs.forEach((res, i) => {
          const kind = kinds[i] as string
          col.add('idle process', 'RSS', 'MiB', 'lower', kind, 'node-process', res.mem.rss / MiB, { ...res.mem })
          col.add('idle process', 'heapUsed', 'MiB', 'lower', kind, 'node-process', res.mem.heapUsed / MiB)
          opts.log(`idle run ${r + 1}/${idleRuns} ${kind.padEnd(12)} RSS ${fmt(res.mem.rss / MiB)} MiB  heapUsed ${fmt(res.mem.heapUsed / MiB)} MiB${res.mem.gc ? '' : ' (no gc!)'}`)
        })
      } finally {
        await stopAll(ws)
      }
    }

    // (b) per-connection cost: the slope between C/5 and C connections
    const c = `${conns} conns`
    const settleMs = opts.quick ? 250 : 2000
    for (let r = 0; r < connRuns; r++) {
      for (const kind of ['raw-tcp', 'libp2p', 'overlay'] as const) {
        // two dial rounds of up to 150 s each, plus readings
        const listener = startWorker('memory.ts', { label: `hold-${kind}`, execArgv: ['--expose-gc'], maxLifetimeMs: 360_000 })
        // the dialers start alongside (they wait idle until 'connect'; RSS is per process)
        const ds: WorkerHandle[] = Array.from({ length: dialers }, (_, i) => startWorker(kind === 'overlay' ? 'overlay-leaves.ts' : 'memory.ts', { label: `dialer-${kind}-${i}`, maxLifetimeMs: 360_000 }))
        try {
          await listener.next('ready', 15_000)
          const h = await listener.request<Msg & { port?: number, addr?: string }>({ type: 'hold', kind }, 'holding', 15_000)
          const measure = async (): Promise<Msg & { mem: Mem, connections: number }> => await listener.request({ type: 'measure', pauseMs: opts.quick ? 50 : 200 }, 'measured', 30_000)
          const before = await measure()
          await snapshot(listener, `${kind}-${conns}-run${r + 1}-before`)
          await Promise.all(ds.map(async d => await d.next('ready', 15_000)))
          const t0 = Date.now()
          opts.log(`conn run ${r + 1}/${connRuns} ${kind.padEnd(7)} listener before: RSS ${fmt(before.mem.rss / MiB)} MiB; dialing ${conns} connections from ${dialers} processes, a fifth first`)
          const fifth = Math.round(conns / 5)
          const first = await dialAll(ds, { kind, port: h.port, addr: h.addr }, fifth, `leaf-${r}-a-`)
          await new Promise(resolve => setTimeout(resolve, settleMs))
          const mid = await measure()
          await snapshot(listener, `${kind}-${conns}-run${r + 1}-mid`)
          const second = await dialAll(ds, { kind, port: h.port, addr: h.addr }, conns - fifth, `leaf-${r}-b-`)
          await new Promise(resolve => setTimeout(resolve, settleMs))
          const after = await measure()
          await snapshot(listener, `${kind}-${conns}-run${r + 1}-after`)
          const n = after.connections
          const added = n - mid.connections
          if (n === 0 || added <= 0) throw new Error(`listener holds ${n} connections, ${mid.connections} after the first fifth (dialer errors: ${[first.firstError, second.firstError].filter(Boolean).join('; ')})`)
          const rssKiB = (after.mem.rss - mid.mem.rss) / 1024 / added
          const heapKiB = (after.mem.heapUsed - mid.mem.heapUsed) / 1024 / added
          const totalRssKiB = (after.mem.rss - before.mem.rss) / 1024 / n
          const failed = first.failed + second.failed
          const details = { connections: n, afterFirstFifth: mid.connections, requested: conns, dialOk: first.ok + second.ok, dialFailed: failed, secondsToAll: (Date.now() - t0) / 1000, totalRssKiBPerConn: totalRssKiB, before: before.mem, mid: mid.mem, after: after.mem, firstError: first.firstError ?? second.firstError }
          col.add(c, 'RSS / conn', 'KiB', 'lower', kind, 'raw-tcp', rssKiB, details)
          col.add(c, 'heapUsed / conn', 'KiB', 'lower', kind, 'raw-tcp', heapKiB)
          col.add(c, 'RSS / conn from 0', 'KiB', 'lower', kind, 'raw-tcp', totalRssKiB)
          opts.log(`conn run ${r + 1}/${connRuns} ${kind.padEnd(7)} ${n}/${conns} conns (${failed} failed): RSS ${fmt(before.mem.rss / MiB)} -> ${fmt(mid.mem.rss / MiB)} (${mid.connections}) -> ${fmt(after.mem.rss / MiB)} MiB = ${fmt(rssKiB)} KiB/conn after the first fifth (${fmt(totalRssKiB)} from 0), heapUsed ${fmt(heapKiB)} KiB/conn`)
        } finally {
          await stopAll([...ds, listener])
        }
      }
    }
    return col.results()
  }
}
