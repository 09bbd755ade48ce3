/**
 * Figure: round trip of a 100-byte message on an already open connection/stream.
 *
 * Per variant an echo server process and a client process. The client keeps exactly one
 * message in flight: write 100 bytes, wait until 100 bytes came back, repeat.
 * All pairs stay up for the whole figure, and each run times one block of each pair in
 * turn, in an order that flips every run, so the blocks a run compares are seconds apart
 * (this machine moves between a quick and a slow phase within a minute). A pair's first
 * block warms it up (at least warmupMin round trips and warmupMs: V8 needs that long to
 * optimise the libp2p path), later ones briefly (rewarmMs). Each block times `count` round
 * trips with process.hrtime; per run we take the block's median and p99; the figure
 * reports the median over runs of those, with min/max over runs.
 *
 * Variants: raw-tcp (reference; node:net echo), libp2p (/bench/echo/1.0.0 on
 * one yamux stream, 'message' listener, send() with 'drain' backpressure),
 * overlay (bench/workers/overlay-pair.ts): a leaf times
 * `await node.sendTo(hubName, text)` with a 100-character text; it resolves
 * on the hub's acknowledgement (both unsigned: leaf and hub are direct neighbours,
 * PROTOCOL.md 8.3), so one sample = one message + its acknowledgement.
 * Full mode adds libp2p-sized: the bare echo protocol shaped like the overlay's
 * traffic, sending as many bytes as the overlay's MSG and answering with as
 * many as its ACK (measured by the overlay's leaf after its first block). It
 * separates what the overlay's bytes cost from what its work does.
 */
import { REWARM_MS, startEchoPair, stopPairs, timeBlock } from '../lib/echo-pair.ts'
import type { EchoPair } from '../lib/echo-pair.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { LatencySummary } from '../lib/stats.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

const VARIANTS = [
  { variant: 'raw-tcp', file: 'raw-tcp.ts' },
  { variant: 'libp2p', file: 'bare-libp2p.ts' },
  { variant: 'overlay', file: 'overlay-pair.ts' },
  { variant: 'libp2p-sized', file: 'bare-libp2p.ts' }
] as const
type Variant = typeof VARIANTS[number]

interface Wire { msgBytes: number, ackBytes: number }

function sizesFrom (wire: Wire | undefined): Wire {
  if (wire === undefined) throw new Error('rtt: the overlay reported no MSG/ACK sizes for libp2p-sized')
  return wire
}

/** One variant's pair, kept up for the whole figure; libp2p-sized's carries the sizes it echoes. */
type Pair = EchoPair & { shape?: Wire }

async function startPair (v: Variant, shape: Wire | undefined): Promise<Pair> {
  if (shape === undefined) return await startEchoPair(v.file, v.variant)
  return { ...await startEchoPair(v.file, v.variant, { request: shape.msgBytes, reply: shape.ackBytes }), shape }
}

export const figure: Figure = {
  id: 'rtt',
  title: 'Round trip of a 100-byte message on an open stream / session (overlay: sendTo + ACK)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('rtt')
    const runs = runCount(opts, 5, 1)
    const size = 100
    // warm-up is time-based: the libp2p stack needs ~5000 round trips to be optimised by V8;
    // a pair's later blocks only need to wake its code up again
    const warmupMs = opts.quick ? 700 : 2000
    const warmupMin = 500
    const count = opts.quick ? 1500 : 5000
    const c = `${size} B`
    // Quick mode leaves out the shaped echo: it explains the target rather than checking it.
    const variants = VARIANTS.filter(v => !opts.quick || v.variant !== 'libp2p-sized')
    const pairs = new Map<Variant['variant'], Pair>()
    let wire: Wire | undefined
    try {
      for (const v of variants) if (v.variant !== 'libp2p-sized') pairs.set(v.variant, await startPair(v, undefined))
      for (let r = 0; r < runs; r++) {
        // Every pair stays up and each run times one block of each, in an order that flips every
        // run: the blocks compared in a run are seconds apart, not a whole figure apart.
        const order = r % 2 === 0 ? variants : [...variants].reverse()
        for (const v of order) {
          // The shaped echo starts once the overlay has measured its sizes (first run: it comes after).
          let pair = pairs.get(v.variant)
          if (pair === undefined) {
            pair = await startPair(v, sizesFrom(wire))
            pairs.set(v.variant, pair)
          }
          const sent = pair.shape === undefined ? { size } : { size: pair.shape.msgBytes, reply: pair.shape.ackBytes }
          const res = await timeBlock<Msg & { us: LatencySummary, warmup: { iterations: number, ms: number }, wire?: Wire }>(pair, { ...sent, warmupMin, count }, warmupMs)
          if (v.variant === 'overlay') wire ??= res.wire
          const bytes = v.variant === 'overlay' ? res.wire : pair.shape
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
