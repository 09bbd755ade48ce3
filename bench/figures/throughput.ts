/**
 * Throughput of one stream, sender and receiver in separate processes (docs/BENCHMARKS.md, 1):
 * 64 KiB unframed chunks, and 1 KiB messages each with its own varint prefix and write (overlay:
 * `await node.send(text)` each). Per run and variant a fresh pair, untimed warm-up transfers of a
 * quarter of the size each for >= warmupMs, then the timed one, up to the receiver's 1-byte ack
 * (overlay: the hub's last 'message', on the shared monotonic clock).
 */
import { startPair, stopPairs, type Pair } from '../lib/echo-pair.ts'
import type { Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'
import { PAIR_VARIANTS } from './pairs.ts'

interface Case { name: string, msgSize: number, count: number, framed: boolean }
const MiB = 2 ** 20
const cases = (quick: boolean): Case[] => [
  { name: '64 KiB', msgSize: 65536, count: (quick ? 32 : 256) * MiB / 65536, framed: false },
  { name: '1 KiB', msgSize: 1024, count: (quick ? 8 : 64) * MiB / 1024, framed: true }
]

async function transfer (overlay: boolean, { server, client, target }: Pair, c: Case, count: number): Promise<{ ns: number, bytes: number, msgs: number }> {
  if (overlay) {
    await server.request({ type: 'expect', msgs: count, bytes: c.msgSize * count }, 'expecting', 10_000)
    const received = server.next<Msg & { endNs: string, bytes: number, msgs: number }>('received', 180_000)
    const sent = await client.request<Msg & { t0Ns: string }>({ type: 'send', ...target, msgSize: c.msgSize, count }, 'sent', 180_000)
    const r = await received
    return { ns: Number(BigInt(r.endNs) - BigInt(sent.t0Ns)), bytes: r.bytes, msgs: r.msgs }
  }
  await server.request(c.framed ? { type: 'expect', frames: count } : { type: 'expect', bytes: c.msgSize * count }, 'expecting', 10_000)
  return await client.request<Msg & { ns: number, bytes: number, msgs: number }>({ type: 'send', ...target, msgSize: c.msgSize, count, framed: c.framed }, 'sent', 120_000)
}

export const figure: Figure = {
  id: 'throughput',
  title: 'Throughput of one stream (64 KiB chunks and 1 KiB framed messages)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('throughput')
    const runs = runCount(opts, 5, 1)
    // BENCH_CASE='64 KiB' runs one case only (to profile one case at a time)
    const cs = cases(opts.quick).filter(c => process.env.BENCH_CASE == null || process.env.BENCH_CASE === c.name)
    const warmupMs = opts.quick ? 400 : 1500
    const warmupCount = (c: Case): number => Math.max(64, Math.floor(c.count / 4))
    for (let r = 0; r < runs; r++) {
      for (const v of PAIR_VARIANTS) {
        const pair = await startPair(v.file, v.variant, { mode: 'sink' })
        try {
          for (const c of cs) {
            // 2..40 untimed transfers of a quarter of the size, for >= warmupMs
            let wn = 0
            for (const w0 = performance.now(); wn < 40 && (wn < 2 || performance.now() - w0 < warmupMs); wn++) await transfer(v.variant === 'overlay', pair, c, warmupCount(c))
            const res = await transfer(v.variant === 'overlay', pair, c, c.count)
            const sec = res.ns / 1e9
            col.add(c.name, 'MiB/s', 'MiB/s', 'higher', v.variant, 'raw-tcp', res.bytes / MiB / sec, { sec, bytes: res.bytes, warmupTransfers: wn })
            col.add(c.name, 'msgs/s', 'msgs/s', 'higher', v.variant, 'raw-tcp', res.msgs / sec)
            opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(7)} ${c.name.padEnd(6)} ${fmt(res.bytes / MiB / sec)} MiB/s  ${fmt(res.msgs / sec)} msgs/s  (${(res.bytes / MiB).toFixed(0)} MiB in ${sec.toFixed(2)} s, after ${wn} warm-up transfers)`)
          }
        } finally {
          await stopPairs([pair])
        }
      }
    }
    for (const c of cs) {
      for (const v of PAIR_VARIANTS) {
        const framing = v.variant === 'overlay' ? 'overlay JSON MSG frame per send(text)' : c.framed ? 'varint length prefix, one write/send() per message' : 'none (bulk)'
        for (const m of ['MiB/s', 'msgs/s']) col.setDetails(c.name, m, v.variant, { msgSize: c.msgSize, messagesPerRun: c.count, bytesPerRun: c.msgSize * c.count, framing, warmupMessagesPerTransfer: warmupCount(c), warmupMs })
      }
    }
    // msgs/s has the ratio of MiB/s (same message count): table only
    return col.results().map(r => r.metric === 'msgs/s' ? { ...r, chart: false } : r)
  }
}
