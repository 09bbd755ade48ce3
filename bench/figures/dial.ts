/**
 * A new connection plus one 100-byte round trip (docs/BENCHMARKS.md, 3): raw TCP connect; libp2p
 * dial with `force: true` (TCP + Noise XX + yamux), a new echo stream; the overlay's openSession
 * (+ AUTH + JOIN both ways), then hang up. Untimed warm-up dials, then `count` timed ones.
 */
import { startPair, stopPairs } from '../lib/echo-pair.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Summary } from '../lib/stats.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'
import { PAIR_VARIANTS } from './pairs.ts'

export const figure: Figure = {
  id: 'dial',
  title: 'Dial latency: new connection + one 100-byte round trip (overlay: + AUTH + JOIN)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('dial')
    const runs = runCount(opts, 5, 1)
    const settings = { warmupMs: opts.quick ? 300 : 1500, warmupMin: opts.quick ? 5 : 20, count: opts.quick ? 30 : 200, size: 100 }
    const c = 'dial+RT'
    const ms = (us: number): number => us / 1000
    for (let r = 0; r < runs; r++) {
      for (const v of PAIR_VARIANTS) {
        const pair = await startPair(v.file, v.variant, { mode: 'echo' })
        try {
          const res = await pair.client.request<Msg & { totalUs: Summary, connectUs: Summary, lingering?: number, retries?: number, warmup: { iterations: number } }>(
            { type: 'dial', port: pair.target.port, addr: pair.target.addr, ...settings }, 'dial', 180_000)
          col.add(c, 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.median), { totalUs: res.totalUs, connectUs: res.connectUs, lingering: res.lingering ?? 0, retries: res.retries ?? 0, warmupDials: res.warmup.iterations })
          col.add(c, 'p99', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.p99))
          col.add('connect only', 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.connectUs.median))
          opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(7)} dial+RT median ${fmt(ms(res.totalUs.median))} ms  p99 ${fmt(ms(res.totalUs.p99))} ms  (connect ${fmt(ms(res.connectUs.median))} ms, n=${res.totalUs.n}, after ${res.warmup.iterations} warm-up)`)
        } finally {
          await stopPairs([pair])
        }
      }
    }
    for (const v of PAIR_VARIANTS) col.setDetails(c, 'median', v.variant, settings)
    return col.results()
  }
}
