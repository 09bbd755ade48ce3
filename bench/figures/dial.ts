/**
 * Figure: cost of a new connection = dial + one 100-byte stream round trip.
 *
 * Listener (echo) process + dialer process. One iteration:
 *   t0 -> connect (raw: TCP connect; libp2p: node.dial(addr, {force:true}) =
 *   TCP + multistream + Noise XX + multistream + yamux) -> t1 -> open a
 *   stream (libp2p: newStream('/bench/echo/1.0.0'), a multistream-select
 *   negotiation) -> send 100 bytes -> wait for the echo -> t2 -> close the
 *   connection and wait until the dialer has no connection left.
 * `force: true` guarantees no connection is reused; the same dialer node
 * (same peer id) dials every time ("hang up between runs"). The dialer has
 * no services (no identify), so nothing else runs on connect.
 * Untimed warm-up iterations first (>= warmupMin and >= warmupMs), then
 * `count` timed ones. Reported: median and p99 of (t2 - t0) per run, and
 * median of (t1 - t0).
 *
 * Variants: raw-tcp (reference), libp2p, overlay (bench/workers/overlay-pair.ts):
 * a started leaf with no listener calls node.openSession(hubAddr): TCP +
 * Noise + yamux + stream negotiation + AUTH challenge/response/proof/OK +
 * JOIN both ways; t2 = openSession resolved (the session is open and usable),
 * t1 = libp2p's 'connection:open' event. Then node.libp2p.hangUp(hubAddr) and
 * a bounded wait until the leaf holds no connection and no session.
 */
import { startWorker, stopAll } from '../lib/proc.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { LatencySummary } from '../lib/stats.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

const VARIANTS = [
  { variant: 'raw-tcp', file: 'raw-tcp.ts' },
  { variant: 'libp2p', file: 'bare-libp2p.ts' },
  { variant: 'overlay', file: 'overlay-pair.ts' }
] as const

export const figure: Figure = {
  id: 'dial',
  title: 'Dial latency: new connection + one 100-byte round trip (overlay: + AUTH + JOIN)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('dial')
    const runs = runCount(opts, 5, 1)
    const warmupMs = opts.quick ? 300 : 1500
    const warmupMin = opts.quick ? 5 : 20
    const count = opts.quick ? 30 : 200
    const c = 'dial+RT'
    for (let r = 0; r < runs; r++) {
      for (const v of VARIANTS) {
        const server = startWorker(v.file, { label: `${v.variant}-listener` })
        const client = startWorker(v.file, { label: `${v.variant}-dialer` })
        try {
          await Promise.all([server.next('ready', 15_000), client.next('ready', 15_000)])
          const l = await server.request<Msg & { port?: number, addr?: string }>({ type: 'listen', mode: 'echo' }, 'listening', 15_000)
          const target = v.variant === 'raw-tcp' ? { port: l.port } : { addr: l.addr }
          const res = await client.request<Msg & { totalUs: LatencySummary, connectUs: LatencySummary, lingering?: number, retries?: number, warmup: { iterations: number } }>(
            { type: 'dial', ...target, size: 100, warmupMs, warmupMin, count }, 'dial', 180_000)
          const ms = (us: number): number => us / 1000
          col.add(c, 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.median), { totalUs: res.totalUs, connectUs: res.connectUs, lingering: res.lingering ?? 0, retries: res.retries ?? 0, warmupDials: res.warmup.iterations })
          col.add(c, 'p99', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.p99))
          col.add('connect only', 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.connectUs.median))
          opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(7)} dial+RT median ${fmt(ms(res.totalUs.median))} ms  p99 ${fmt(ms(res.totalUs.p99))} ms  (connect ${fmt(ms(res.connectUs.median))} ms, n=${res.totalUs.n}, after ${res.warmup.iterations} warm-up)`)
        } finally {
          await stopAll([server, client])
        }
      }
    }
    for (const v of VARIANTS) col.setDetails(c, 'median', v.variant, { warmupMs, warmupMin, count, size: 100 })
    return col.results()
  }
}
