/** Throughput, RTT and dial (docs/BENCHMARKS.md 1-3): raw TCP (reference), bare libp2p and the overlay, two processes each. */
import { startWorker, stopAll, type Msg, type WorkerHandle } from '../lib/proc.ts'
import { figure, onlyCase, runCount, fmt, type RunOpts } from '../lib/results.ts'
import type { Summary } from '../lib/stats.ts'

const VARIANTS = [
  { variant: 'raw-tcp', file: 'baseline.ts', transport: 'tcp' },
  { variant: 'libp2p', file: 'baseline.ts', transport: 'libp2p' },
  { variant: 'overlay', file: 'overlay-pair.ts', transport: 'overlay' }
] as const
interface Variant { variant: string, file: string, transport: string }
const MiB = 2 ** 20

/** Two workers of one variant, a server and a client aimed at it. `target`: a port (raw TCP) or a multiaddr (and the hub's name). */
interface Pair { server: WorkerHandle, client: WorkerHandle, target: { port?: number, addr?: string, name?: string } }

/** Starts `v`'s worker twice; the server gets `listen` (mode and extra fields). */
async function startPair (v: Variant, listen: Record<string, unknown>, maxLifetimeMs = 120_000): Promise<Pair> {
  const [server, client] = ['server', 'client'].map(end => startWorker(v.file, { label: `${v.variant}-${end}`, maxLifetimeMs })) as [WorkerHandle, WorkerHandle]
  try {
    await Promise.all([server.next('ready', 15_000), client.next('ready', 15_000)])
    const l = await server.request<Msg & Pair['target']>({ type: 'listen', transport: v.transport, ...listen }, 'listening', 15_000)
    return { server, client, target: l.port !== undefined ? { port: l.port } : { addr: l.addr, name: l.name } }
  } catch (err) {
    await stopAll([server, client])
    throw err
  }
}

const stopPairs = async (pairs: Iterable<Pair>): Promise<void> => { await stopAll([...pairs].flatMap(p => [p.server, p.client])) }

/** Runs `fn` on a fresh pair of every variant, run after run. */
async function eachPair (opts: RunOpts, listen: Record<string, unknown>, fn: (v: Variant, pair: Pair, run: string) => Promise<void>): Promise<void> {
  const runs = runCount(opts, 5, 1)
  for (let r = 0; r < runs; r++) {
    for (const v of VARIANTS) {
      const pair = await startPair(v, listen)
      try { await fn(v, pair, `run ${r + 1}/${runs} ${v.variant.padEnd(7)}`) } finally { await stopPairs([pair]) }
    }
  }
}

interface Case { name: string, msgSize: number, count: number, framed: boolean }

/** One transfer; overlay: `await node.send(text)` per message, timed to the hub's last 'message' (one monotonic clock). */
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

export const throughput = figure('throughput', 'Throughput of one stream (64 KiB chunks and 1 KiB framed messages)', async (opts, col) => {
  const cases = onlyCase([
    { name: '64 KiB', msgSize: 65536, count: (opts.quick ? 32 : 256) * MiB / 65536, framed: false },
    { name: '1 KiB', msgSize: 1024, count: (opts.quick ? 8 : 64) * MiB / 1024, framed: true }
  ], c => c.name)
  const warmupMs = opts.quick ? 400 : 1500
  const warmupCount = (c: Case): number => Math.max(64, Math.floor(c.count / 4))
  await eachPair(opts, { mode: 'sink' }, async (v, pair, run) => {
    for (const c of cases) {
      // 2..40 untimed transfers of a quarter of the size, for >= warmupMs
      let wn = 0
      for (const w0 = performance.now(); wn < 40 && (wn < 2 || performance.now() - w0 < warmupMs); wn++) await transfer(v.variant === 'overlay', pair, c, warmupCount(c))
      const res = await transfer(v.variant === 'overlay', pair, c, c.count)
      const sec = res.ns / 1e9
      col.add(c.name, 'MiB/s', 'MiB/s', 'higher', v.variant, 'raw-tcp', res.bytes / MiB / sec, { sec, bytes: res.bytes, warmupTransfers: wn })
      col.add(c.name, 'msgs/s', 'msgs/s', 'higher', v.variant, 'raw-tcp', res.msgs / sec)
      const framing = v.variant === 'overlay' ? 'overlay JSON MSG frame per send(text)' : c.framed ? 'varint length prefix, one write/send() per message' : 'none (bulk)'
      col.setDetails(c.name, v.variant, { msgSize: c.msgSize, messagesPerRun: c.count, bytesPerRun: c.msgSize * c.count, framing, warmupMessagesPerTransfer: warmupCount(c), warmupMs })
      opts.log(`${run} ${c.name.padEnd(6)} ${fmt(res.bytes / MiB / sec)} MiB/s  ${fmt(res.msgs / sec)} msgs/s  (${(res.bytes / MiB).toFixed(0)} MiB in ${sec.toFixed(2)} s, after ${wn} warm-up transfers)`)
    }
  })
})

export const dial = figure('dial', 'Dial latency: new connection + one 100-byte round trip (overlay: + AUTH + JOIN)', async (opts, col) => {
  const settings = { warmupMs: opts.quick ? 300 : 1500, warmupMin: opts.quick ? 5 : 20, count: opts.quick ? 30 : 200, size: 100 }
  const ms = (us: number): number => us / 1000
  await eachPair(opts, { mode: 'echo' }, async (v, { client, target }, run) => {
    const res = await client.request<Msg & { totalUs: Summary, connectUs: Summary, lingering?: number, retries?: number, warmup: { iterations: number } }>({ type: 'dial', port: target.port, addr: target.addr, ...settings }, 'dial', 180_000)
    col.add('dial+RT', 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.median), { totalUs: res.totalUs, connectUs: res.connectUs, lingering: res.lingering ?? 0, retries: res.retries ?? 0, warmupDials: res.warmup.iterations })
    col.add('dial+RT', 'p99', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.totalUs.p99))
    col.add('connect only', 'median', 'ms', 'lower', v.variant, 'raw-tcp', ms(res.connectUs.median))
    col.setDetails('dial+RT', v.variant, settings)
    opts.log(`${run} dial+RT median ${fmt(ms(res.totalUs.median))} ms  p99 ${fmt(ms(res.totalUs.p99))} ms  (connect ${fmt(ms(res.connectUs.median))} ms, n=${res.totalUs.n}, after ${res.warmup.iterations} warm-up)`)
  })
})

/** Full mode adds libp2p-sized: the bare echo sending as many bytes as the overlay's MSG, answered by as many as its ACK. */
const RTT_VARIANTS = [...VARIANTS, { variant: 'libp2p-sized', file: 'baseline.ts', transport: 'libp2p' }] as const
interface Wire { msgBytes: number, ackBytes: number }
/** How long a pair's later blocks warm up: its code is optimised already, only cold again. */
const REWARM_MS = 300
const RTT_PAIR_LIFETIME_MS = 30 * 60_000

export const rtt = figure('rtt', 'Round trip of a 100-byte message on an open stream / session (overlay: sendTo + ACK)', async (opts, col) => {
  const runs = runCount(opts, 5, 1)
  const [size, warmupMs, warmupMin, count] = [100, opts.quick ? 700 : 2000, 500, opts.quick ? 1500 : 5000]
  const c = `${size} B`
  // quick mode leaves out the shaped echo: it explains the target rather than checking it
  const variants = RTT_VARIANTS.filter(v => !opts.quick || v.variant !== 'libp2p-sized')
  const pairs = new Map<string, Pair>()
  let wire: Wire | undefined // the overlay's MSG and ACK sizes, from its first block
  try {
    // every pair stays up across the runs; a pair's first block, in run 1, warms it up fully
    for (const v of VARIANTS) pairs.set(v.variant, await startPair(v, { mode: 'echo' }, RTT_PAIR_LIFETIME_MS))
    for (let r = 0; r < runs; r++) {
      for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
        const shaped = v.variant === 'libp2p-sized'
        if (shaped && wire === undefined) throw new Error('rtt: the overlay reported no MSG/ACK sizes for libp2p-sized')
        let pair = pairs.get(v.variant)
        if (pair === undefined) pairs.set(v.variant, pair = await startPair(v, { mode: 'echo', request: wire?.msgBytes, reply: wire?.ackBytes }, RTT_PAIR_LIFETIME_MS))
        const sent = shaped ? { size: wire?.msgBytes, reply: wire?.ackBytes } : { size }
        const res = await pair.client.request<Msg & { us: Summary, warmup: { iterations: number }, wire?: Wire }>(
          { type: 'rtt', ...pair.target, ...sent, warmupMin, count, warmupMs: r === 0 ? warmupMs : REWARM_MS }, 'rtt', 120_000)
        if (v.variant === 'overlay') wire ??= res.wire
        col.add(c, 'RTT median', 'µs', 'lower', v.variant, 'raw-tcp', res.us.median, { ...res.us, warmupRoundTrips: res.warmup.iterations, ...(v.variant === 'overlay' ? res.wire : shaped ? wire : undefined) })
        col.add(c, 'RTT p99', 'µs', 'lower', v.variant, 'raw-tcp', res.us.p99)
        const what = shaped ? 'msgBytes out, ackBytes back: the overlay\'s MSG and ACK, measured after its first block (perRun)' : size
        col.setDetails(c, v.variant, { size: what, warmupMs, rewarmMs: REWARM_MS, warmupMin, count, interleaved: true })
        opts.log(`run ${r + 1}/${runs} ${v.variant.padEnd(12)} median ${fmt(res.us.median)} µs  p99 ${fmt(res.us.p99)} µs  max ${fmt(res.us.max)} µs (n=${res.us.n}, after ${res.warmup.iterations} warm-up)`)
      }
    }
  } finally {
    await stopPairs(pairs.values())
  }
})
