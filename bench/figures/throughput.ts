/**
 * Figure: one-stream throughput, sender and receiver in separate processes.
 *
 * Cases
 *  - 64 KiB: bulk transfer, 64 KiB chunks, no framing (receiver counts bytes).
 *  - 1 KiB : message protocol, each 1 KiB payload is its own write/send() call
 *            with a varint length prefix; the receiver parses frames and counts
 *            messages. The raw TCP side uses the very same framing.
 * Per run and variant a fresh receiver + sender process pair first does
 * untimed warm-up transfers (1/4 of the size each, repeated for >= warmupMs:
 * V8 needs ~256 MiB before the libp2p path runs at full speed), each on its
 * own connection/stream, then the timed transfer. Time = first write .. 1-byte ack from the receiver
 * after it has counted everything. Variants are interleaved run by run.
 *
 * Variants: raw-tcp (reference), libp2p (TCP+Noise+yamux, /bench/raw/1.0.0),
 * overlay (bench/workers/overlay-pair.ts): a hub process and a leaf process;
 * the leaf does `await node.send(text)` per message over its one session (a
 * 2-node session sends broadcasts unsigned: every member is a neighbour), the
 * hub counts its 'message' events' text bytes and reports the monotonic time
 * of the last one over IPC. Time = sender's t0 .. receiver's last 'message'
 * (one CLOCK_MONOTONIC for all processes). Warm-up as for the others.
 */
import { startWorker, stopAll } from '../lib/proc.ts'
import type { WorkerHandle, Msg } from '../lib/proc.ts'
import { Collector, runCount, fmt } from '../lib/results.ts'
import type { Figure, Result, RunOpts } from '../lib/types.ts'

interface Case { name: string, msgSize: number, count: number, framed: boolean }

const MiB = 2 ** 20

function cases (quick: boolean): Case[] {
  return quick
    ? [
        { name: '64 KiB', msgSize: 65536, count: (32 * MiB) / 65536, framed: false },
        { name: '1 KiB', msgSize: 1024, count: (8 * MiB) / 1024, framed: true }
      ]
    : [
        { name: '64 KiB', msgSize: 65536, count: (256 * MiB) / 65536, framed: false },
        { name: '1 KiB', msgSize: 1024, count: (64 * MiB) / 1024, framed: true }
      ]
}

const VARIANTS = [
  { variant: 'raw-tcp', file: 'raw-tcp.ts' },
  { variant: 'libp2p', file: 'bare-libp2p.ts' },
  { variant: 'overlay', file: 'overlay-pair.ts' }
] as const
type Variant = typeof VARIANTS[number]['variant']

async function transfer (v: Variant, recv: WorkerHandle, send: WorkerHandle, target: Record<string, unknown>, c: Case, count: number): Promise<{ ns: number, bytes: number, msgs: number }> {
  if (v === 'overlay') {
    await recv.request({ type: 'expect', msgs: count, bytes: c.msgSize * count }, 'expecting', 10_000)
    const received = recv.next<Msg & { endNs: string, bytes: number, msgs: number }>('received', 180_000)
    const sent = await send.request<Msg & { t0Ns: string }>({ type: 'send', ...target, msgSize: c.msgSize, count }, 'sent', 180_000)
    const r = await received
    return { ns: Number(BigInt(r.endNs) - BigInt(sent.t0Ns)), bytes: r.bytes, msgs: r.msgs }
  }
  await recv.request(c.framed ? { type: 'expect', frames: count } : { type: 'expect', bytes: c.msgSize * count }, 'expecting', 10_000)
  return await send.request<Msg & { ns: number, bytes: number, msgs: number }>(
    { type: 'send', ...target, msgSize: c.msgSize, count, framed: c.framed }, 'sent', 120_000)
}

export const figure: Figure = {
  id: 'throughput',
  title: 'Throughput of one stream (64 KiB chunks and 1 KiB framed messages)',
  async run (opts: RunOpts): Promise<Result[]> {
    const col = new Collector('throughput')
    const runs = runCount(opts, 5, 1)
    // BENCH_CASE='64 KiB' runs one case only (used to profile one case at a time)
    const cs = cases(opts.quick).filter(c => process.env.BENCH_CASE == null || process.env.BENCH_CASE === c.name)
    const warmupMs = opts.quick ? 400 : 1500
    const warmupCount = (c: Case): number => Math.max(64, Math.floor(c.count / 4))
    for (let r = 0; r < runs; r++) {
      for (const v of VARIANTS) {
        const recv = startWorker(v.file, { label: `${v.variant}-recv` })
        const send = startWorker(v.file, { label: `${v.variant}-send` })
        try {
          await Promise.all([recv.next('ready', 15_000), send.next('ready', 15_000)])
          const l = await recv.request<Msg & { port?: number, addr?: string }>({ type: 'listen', mode: 'sink' }, 'listening', 15_000)
          const target = v.variant === 'raw-tcp' ? { port: l.port } : { addr: l.addr }
          for (const c of cs) {
            // warm-up: repeated untimed transfers of 1/4 size for >= warmupMs (2..40 of them)
            const w0 = performance.now()
            let wn = 0
            while (wn < 40 && (wn < 2 || performance.now() - w0 < warmupMs)) {
              await transfer(v.variant, recv, send, target, c, warmupCount(c))
              wn++
            }
            const res = await transfer(v.variant, recv, send, target, c, c.count)
            const sec = res.ns / 1e9
            const mibps = res.bytes / MiB / sec
            const mps = res.msgs / sec
            col.add(c.name, 'MiB/s', 'MiB/s', 'higher', v.variant, 'raw-tcp', mibps, { sec, bytes: res.bytes, warmupTransfers: wn })
            col.add(c.name, 'msgs/s', 'msgs/s', 'higher', v.variant, 'raw-tcp', mps)
            opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(7)} ${c.name.padEnd(6)} ${fmt(mibps)} MiB/s  ${fmt(mps)} msgs/s  (${(res.bytes / MiB).toFixed(0)} MiB in ${sec.toFixed(2)} s, after ${wn} warm-up transfers)`)
          }
        } finally {
          await stopAll([recv, send])
        }
      }
    }
    for (const c of cs) {
      for (const m of ['MiB/s', 'msgs/s']) {
        for (const v of VARIANTS) {
          const framing = v.variant === 'overlay' ? 'overlay JSON MSG frame per send(text)' : c.framed ? 'varint length prefix, one write/send() per message' : 'none (bulk)'
          col.setDetails(c.name, m, v.variant, { msgSize: c.msgSize, messagesPerRun: c.count, bytesPerRun: c.msgSize * c.count, framing, warmupMessagesPerTransfer: warmupCount(c), warmupMs })
        }
      }
    }
    // msgs/s carries the same ratio as MiB/s (same message count): table only, not the chart
    return col.results().map(r => r.metric === 'msgs/s' ? { ...r, chart: false } : r)
  }
}
