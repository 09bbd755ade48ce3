/**
 * Figure: memory.
 *
 * (a) idle: RSS of a process holding one started, idle bare libp2p node
 *     (listening on 127.0.0.1, no connections) vs the same worker process
 *     without libp2p loaded ('node-process', reference). Read after 3 x gc().
 * (b) per connection: a listener process (--expose-gc) holds C inbound
 *     connections opened by D separate dialer processes (libp2p: one fresh
 *     node = distinct peer id per connection). Listener RSS and V8 heapUsed
 *     are read after 3 x gc() before the dials and again after all C are up
 *     plus a 2 s settle (quick: 1 s); cost = delta / C. Variants: raw-tcp (node:net
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

/**
 * BENCH_HEAP_SNAPSHOT=<dir>: the per-connection listeners also write a heap
 * snapshot right after each memory reading. Diagnostic only: writing the
 * first snapshot inflates the second RSS reading (heapUsed stays valid).
 * Compare the two with bench/tools/heapsnapshot-diff.ts.
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
    const dialers = opts.quick ? 2 : 4

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

    // (b) per-connection cost
    const c = `${conns} conns`
    for (let r = 0; r < connRuns; r++) {
      for (const kind of ['raw-tcp', 'libp2p', 'overlay'] as const) {
        const listener = startWorker('memory.ts', { label: `hold-${kind}`, execArgv: ['--expose-gc'], maxLifetimeMs: 180_000 })
        const ds: WorkerHandle[] = []
        try {
          await listener.next('ready', 15_000)
          const h = await listener.request<Msg & { port?: number, addr?: string }>({ type: 'hold', kind }, 'holding', 15_000)
          const before = await listener.request<Msg & { mem: Mem, connections: number }>({ type: 'measure' }, 'measured', 30_000)
          await snapshot(listener, `${kind}-${conns}-run${r + 1}-before`)
          for (let i = 0; i < dialers; i++) ds.push(startWorker(kind === 'overlay' ? 'overlay-leaves.ts' : 'memory.ts', { label: `dialer-${kind}-${i}`, maxLifetimeMs: 180_000 }))
          await Promise.all(ds.map(async d => await d.next('ready', 15_000)))
          const per = Math.ceil(conns / dialers)
          const t0 = Date.now()
          opts.log(`conn run ${r + 1}/${connRuns} ${kind.padEnd(7)} listener before: RSS ${fmt(before.mem.rss / MiB)} MiB; dialing ${conns} connections from ${dialers} processes`)
          const rs = await Promise.all(ds.map(async (d, i) => await d.request<Msg & { ok: number, failed: number, firstError?: string }>(
            { type: 'connect', kind, port: h.port, addr: h.addr, prefix: `leaf-${r}-${i}-`, count: Math.min(per, conns - i * per), concurrency: 16 }, 'connected', 150_000)))
          const ok = rs.reduce((a, x) => a + x.ok, 0)
          const failed = rs.reduce((a, x) => a + x.failed, 0)
          await new Promise(resolve => setTimeout(resolve, opts.quick ? 1000 : 2000))
          const after = await listener.request<Msg & { mem: Mem, connections: number }>({ type: 'measure' }, 'measured', 30_000)
          await snapshot(listener, `${kind}-${conns}-run${r + 1}-after`)
          const n = after.connections
          if (n === 0) throw new Error(`listener holds no connections (dialer errors: ${rs.map(x => x.firstError).filter(Boolean).join('; ')})`)
          const rssKiB = (after.mem.rss - before.mem.rss) / 1024 / n
          const heapKiB = (after.mem.heapUsed - before.mem.heapUsed) / 1024 / n
          const details = { connections: n, requested: conns, dialOk: ok, dialFailed: failed, dialSeconds: (Date.now() - t0) / 1000, before: before.mem, after: after.mem, firstError: rs.map(x => x.firstError).find(Boolean) }
          col.add(c, 'RSS / conn', 'KiB', 'lower', kind, 'raw-tcp', rssKiB, details)
          col.add(c, 'heapUsed / conn', 'KiB', 'lower', kind, 'raw-tcp', heapKiB)
          opts.log(`conn run ${r + 1}/${connRuns} ${kind.padEnd(7)} ${n}/${conns} conns (${failed} failed): RSS ${fmt(before.mem.rss / MiB)} -> ${fmt(after.mem.rss / MiB)} MiB = ${fmt(rssKiB)} KiB/conn, heapUsed ${fmt(heapKiB)} KiB/conn`)
        } finally {
          await stopAll([...ds, listener])
        }
      }
    }
    return col.results()
  }
}
