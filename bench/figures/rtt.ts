/**
 * Figure: round trip of a 100-byte message on an already open connection/stream.
 *
 * Echo server process + client process. The client keeps exactly one message
 * in flight: write 100 bytes, wait until 100 bytes came back, repeat.
 * Each run: untimed warm-up round trips (at least warmupMin and warmupMs,
 * V8 needs that long to optimise the libp2p path), then `count` timed ones measured
 * with process.hrtime. Per run we take the median and p99 of the samples;
 * the figure reports the median over runs of those, with min/max over runs.
 *
 * Variants: raw-tcp (reference; node:net echo), libp2p (/bench/echo/1.0.0 on
 * one yamux stream, 'message' listener, send() with 'drain' backpressure),
 * overlay (bench/workers/overlay-pair.ts): a leaf times
 * `await node.sendTo(hubName, text)` with a 100-character text; it resolves
 * on the hub's acknowledgement (both unsigned: leaf and hub are direct neighbours,
 * PROTOCOL.md 8.3), so one sample = one message + its acknowledgement.
 * Full mode adds libp2p-sized: the bare echo protocol shaped like the overlay's
 * traffic, sending as many bytes as the overlay's MSG and answering with as
 * many as its ACK (measured by the overlay's leaf in the same run, after its
 * timed loop). It separates what the overlay's bytes cost from what its work does.
 */
import { startWorker, stopAll } from '../lib/proc.ts'
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

interface Wire { msgBytes: number, ackBytes: number }

function sizesFrom (wire: Wire | undefined): Wire {
  if (wire === undefined) throw new Error('rtt: the overlay reported no MSG/ACK sizes for libp2p-sized')
  return wire
}

export const figure: Figure = {
  id: 'rtt',
  title: 'Round trip of a 100-byte message on an open stream / session (overlay: sendTo + ACK)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('rtt')
    const runs = runCount(opts, 5, 1)
    const size = 100
    // warm-up is time-based: the libp2p stack needs ~5000 round trips to be optimised by V8
    const warmupMs = opts.quick ? 700 : 2000
    const warmupMin = 500
    const count = opts.quick ? 1500 : 5000
    const c = `${size} B`
    // Quick mode leaves out the shaped echo: it explains the target rather than checking it.
    const variants = VARIANTS.filter(v => !opts.quick || v.variant !== 'libp2p-sized')
    for (let r = 0; r < runs; r++) {
      let wire: Wire | undefined
      for (const v of variants) {
        const shape = v.variant === 'libp2p-sized' ? sizesFrom(wire) : undefined
        const server = startWorker(v.file, { label: `${v.variant}-echo` })
        const client = startWorker(v.file, { label: `${v.variant}-client` })
        try {
          await Promise.all([server.next('ready', 15_000), client.next('ready', 15_000)])
          const shaped = shape === undefined ? {} : { request: shape.msgBytes, reply: shape.ackBytes }
          const l = await server.request<Msg & { port?: number, addr?: string, name?: string }>({ type: 'listen', mode: 'echo', ...shaped }, 'listening', 15_000)
          const target = v.variant === 'raw-tcp' ? { port: l.port } : { addr: l.addr, name: l.name }
          const sent = shape === undefined ? { size } : { size: shape.msgBytes, reply: shape.ackBytes }
          const res = await client.request<Msg & { us: LatencySummary, warmup: { iterations: number, ms: number }, wire?: Wire }>({ type: 'rtt', ...target, ...sent, warmupMs, warmupMin, count }, 'rtt', 120_000)
          if (v.variant === 'overlay') wire = res.wire
          const bytes = v.variant === 'overlay' ? res.wire : shape
          col.add(c, 'RTT median', 'µs', 'lower', v.variant, 'raw-tcp', res.us.median, { ...res.us, warmupRoundTrips: res.warmup.iterations, ...bytes })
          col.add(c, 'RTT p99', 'µs', 'lower', v.variant, 'raw-tcp', res.us.p99)
          opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(12)} median ${fmt(res.us.median)} µs  p99 ${fmt(res.us.p99)} µs  max ${fmt(res.us.max)} µs (n=${res.us.n}, after ${res.warmup.iterations} warm-up)`)
        } finally {
          await stopAll([server, client])
        }
      }
    }
    for (const m of ['RTT median', 'RTT p99']) {
      for (const v of VARIANTS) {
        const sent = v.variant === 'libp2p-sized' ? { size: 'msgBytes out, ackBytes back: the overlay\'s MSG and ACK in the same run (perRun)' } : { size }
        col.setDetails(c, m, v.variant, { ...sent, warmupMs, warmupMin, count, perRunStatistic: m === 'RTT median' ? 'median' : 'p99' })
      }
    }
    return col.results()
  }
}
