/**
 * Round trip of a 100-byte message on an open stream (docs/BENCHMARKS.md, 2): one message in
 * flight, echoed back (overlay: `await node.sendTo(hub, text)`, resolved by the hub's ACK). Every
 * pair stays up for the whole figure and each run times one block of each, in an order that
 * flips every run, so the blocks a run compares are seconds apart. A pair's first block warms it
 * up (>= warmupMin round trips and warmupMs), later ones briefly (REWARM_MS). Full mode adds
 * libp2p-sized: the bare echo sending as many bytes as the overlay's MSG and answering with as
 * many as its ACK (measured by the overlay's leaf after its first block).
 */
import { REWARM_MS, startEchoPair, stopPairs, timeBlock, type Pair } from '../lib/echo-pair.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Summary } from '../lib/stats.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'
import { PAIR_VARIANTS } from './pairs.ts'

const VARIANTS = [...PAIR_VARIANTS, { variant: 'libp2p-sized', file: 'bare-libp2p.ts' }] as const
type Variant = typeof VARIANTS[number]['variant']
interface Wire { msgBytes: number, ackBytes: number }

export const figure: Figure = {
  id: 'rtt',
  title: 'Round trip of a 100-byte message on an open stream / session (overlay: sendTo + ACK)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('rtt')
    const runs = runCount(opts, 5, 1)
    const size = 100
    const warmupMs = opts.quick ? 700 : 2000
    const warmupMin = 500
    const count = opts.quick ? 1500 : 5000
    const c = `${size} B`
    // quick mode leaves out the shaped echo: it explains the target rather than checking it
    const variants = VARIANTS.filter(v => !opts.quick || v.variant !== 'libp2p-sized')
    const pairs = new Map<Variant, Pair>()
    let wire: Wire | undefined
    try {
      for (const v of PAIR_VARIANTS) pairs.set(v.variant, await startEchoPair(v.file, v.variant))
      for (let r = 0; r < runs; r++) {
        for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
          const shaped = v.variant === 'libp2p-sized'
          if (shaped && wire === undefined) throw new Error('rtt: the overlay reported no MSG/ACK sizes for libp2p-sized')
          // the shaped echo starts once the overlay has measured its sizes (first run: it comes after)
          let pair = pairs.get(v.variant)
          if (pair === undefined) pairs.set(v.variant, pair = await startEchoPair(v.file, v.variant, { request: wire?.msgBytes, reply: wire?.ackBytes }))
          const sent = shaped ? { size: wire?.msgBytes, reply: wire?.ackBytes } : { size }
          const res = await timeBlock<Msg & { us: Summary, warmup: { iterations: number }, wire?: Wire }>(pair, { ...sent, warmupMin, count }, warmupMs)
          if (v.variant === 'overlay') wire ??= res.wire
          const bytes = v.variant === 'overlay' ? res.wire : shaped ? wire : undefined
          col.add(c, 'RTT median', 'µs', 'lower', v.variant, 'raw-tcp', res.us.median, { ...res.us, warmupRoundTrips: res.warmup.iterations, ...bytes })
          col.add(c, 'RTT p99', 'µs', 'lower', v.variant, 'raw-tcp', res.us.p99)
          opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(12)} median ${fmt(res.us.median)} µs  p99 ${fmt(res.us.p99)} µs  max ${fmt(res.us.max)} µs (n=${res.us.n}, after ${res.warmup.iterations} warm-up)`)
        }
      }
    } finally {
      await stopPairs(pairs.values())
    }
    for (const m of ['RTT median', 'RTT p99']) {
      for (const v of VARIANTS) {
        const sent = v.variant === 'libp2p-sized' ? { size: 'msgBytes out, ackBytes back: the overlay\'s MSG and ACK, measured after its first block (perRun)' } : { size }
        col.setDetails(c, m, v.variant, { ...sent, warmupMs, rewarmMs: REWARM_MS, warmupMin, count, interleaved: true, perRunStatistic: m === 'RTT median' ? 'median' : 'p99' })
      }
    }
    return col.results()
  }
}
