/** Child side of the workers: commands one at a time; a throw replies `error`; exits after BENCH_WORKER_MAX_MS or with its parent. Pairwise ends: runPairWorker. */
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'
import { summarize, type Summary } from './stats.ts'
import type { Msg } from './proc.ts'
import net, { type Socket } from 'node:net'
import { once } from 'node:events'

const cleanups: Array<() => Promise<void> | void> = []
export const onCleanup = (fn: () => Promise<void> | void): void => { cleanups.push(fn) }
export const reply = (m: Msg): void => { if (process.send != null && process.connected) process.send(m) }

async function shutdown (code: number): Promise<never> {
  setTimeout(() => process.exit(code), 3000).unref()
  for (const fn of cleanups.splice(0).reverse()) {
    try { await fn() } catch { /* best effort */ }
  }
  process.exit(code)
}

export function runWorker (handler: (msg: Msg) => Promise<void> | void): void {
  if (process.send == null) {
    console.error('this is a benchmark worker: start it through bench/run.ts')
    process.exit(2)
  }
  const maxMs = Number(process.env.BENCH_WORKER_MAX_MS ?? '120000')
  setTimeout(() => { console.error(`worker ${process.argv[1] ?? ''}: lifetime cap ${maxMs} ms reached`); void shutdown(3) }, maxMs).unref()
  const fail = (err: unknown): void => { reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }) }
  process.on('disconnect', () => { void shutdown(0) })
  process.on('uncaughtException', (err) => { fail(err); void shutdown(1) })
  process.on('unhandledRejection', (err) => { fail(err); void shutdown(1) })
  let chain: Promise<void> = Promise.resolve()
  process.on('message', (msg: Msg) => {
    if (msg.type === 'exit') { void chain.finally(() => { void shutdown(0) }); return }
    chain = chain.then(async () => { try { await handler(msg) } catch (err) { fail(err) } })
  })
  reply({ type: 'ready', pid: process.pid })
}

const sockets = new Set<Socket>()
onCleanup(() => { for (const s of sockets) s.destroy() })
/** Keeps a raw TCP socket until it closes (destroyed at exit); its errors are the peer going away. */
function track (s: Socket): Socket {
  sockets.add(s)
  s.on('close', () => sockets.delete(s)).on('error', () => {})
  return s
}

export const trackedSockets = (): number => sockets.size

/** The raw-TCP ends, 127.0.0.1 only, Nagle off: a tracked connection to `port`. */
export async function connectTcp (port: unknown): Promise<Socket> {
  const s = track(net.connect({ host: '127.0.0.1', port: Number(port), noDelay: true }).setNoDelay(true))
  await once(s, 'connect')
  return s
}

/** A server (closed at exit) handing each tracked socket to `onSocket`; resolves to its port. */
export async function listenTcp (onSocket: (s: Socket) => void, backlog?: number): Promise<number> {
  const server = net.createServer({ noDelay: true }, (s) => { onSocket(track(s.setNoDelay(true))) })
  onCleanup(() => { server.close() })
  await once(server.listen(0, '127.0.0.1', backlog), 'listening')
  return (server.address() as net.AddressInfo).port
}

/** Monotonic clock in ns. On Linux it reads CLOCK_MONOTONIC, one clock for every process on the machine. */
export const nowNs = (): bigint => process.hrtime.bigint()
export const usSince = (t0: bigint): number => Number(nowNs() - t0) / 1000

/** Guard used by every dialer: refuse anything that is not loopback. */
export function assertLoopback (addr: string): void {
  if (!(addr.startsWith('/ip4/127.') || addr.startsWith('/ip6/::1/'))) throw new Error(`refusing to dial non-loopback address ${addr}`)
}

export const payload = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => i & 0xff)

/** gc() three times `pauseMs` apart (the process runs with --expose-gc), then process.memoryUsage(). */
export async function settledMemory (pauseMs = 200): Promise<NodeJS.MemoryUsage & { gc: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) { gc?.(); await sleep(pauseMs) }
  return { ...process.memoryUsage(), gc: gc !== undefined }
}

/** Runs `fn(i)` for i < n, `concurrency` at a time; counts the outcomes and keeps the first error. */
export async function attempts (n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<{ ok: number, failed: number, firstError?: string }> {
  const limit = pLimit(concurrency)
  const rs = await Promise.allSettled(Array.from({ length: n }, async (_, i) => await limit(async () => await fn(i))))
  const bad = rs.filter(r => r.status === 'rejected')
  return { ok: n - bad.length, failed: bad.length, ...(bad[0] === undefined ? {} : { firstError: String(bad[0].reason) }) }
}

/**
 * Untimed warm-up (>= warmupMin iterations and warmupMs: V8 optimises the libp2p path only after a few
 * thousand round trips), then `count` timed iterations of `once`, which returns its samples in µs.
 */
async function timeLoop (once: () => Promise<number[]>, msg: Msg, maxIters: number): Promise<{ summaries: Summary[], warmup: { iterations: number, ms: number } }> {
  const t0 = performance.now()
  let i = 0
  while (i < maxIters && (i < Number(msg.warmupMin ?? 0) || performance.now() - t0 < Number(msg.warmupMs ?? 0))) { await once(); i++ }
  const warmup = { iterations: i, ms: performance.now() - t0 }
  const series: number[][] = []
  for (let k = 0; k < Number(msg.count); k++) (await once()).forEach((v, j) => (series[j] ??= []).push(v))
  return { summaries: series.map(summarize), warmup }
}

/** The pairwise workers' commands (listen, expect, send, rtt, dial), run the same way for every variant's ends. */
export interface PairEnds {
  listen: (msg: Msg) => Promise<Record<string, unknown>>
  expect: (msg: Msg) => void
  send: (msg: Msg) => Promise<Record<string, unknown>>
  /** An open stream (session): `roundTrip(arg)` is timed as is (no wrapper in the timed region); `close` adds to the reply. */
  echo: (msg: Msg) => Promise<{ roundTrip: (arg: any) => Promise<unknown>, arg: unknown, close: () => Promise<Record<string, unknown> | undefined> }>
  /** `once` dials, does one round trip and hangs up: [µs to done, µs to connected]; `done` adds to the reply. */
  dialer: (msg: Msg) => Promise<{ once: () => Promise<number[]>, done: () => Promise<Record<string, unknown>> }>
}

export function runPairWorker (ends: PairEnds): void {
  runWorker(async (msg) => {
    switch (msg.type) {
      case 'listen': return reply({ type: 'listening', ...await ends.listen(msg) })
      case 'expect': ends.expect(msg); return reply({ type: 'expecting' })
      case 'send': return reply({ type: 'sent', ...await ends.send(msg) })
      case 'rtt': {
        const { roundTrip, arg, close } = await ends.echo(msg)
        const { summaries, warmup } = await timeLoop(async () => { const t0 = nowNs(); await roundTrip(arg); return [usSince(t0)] }, msg, 200_000)
        return reply({ type: 'rtt', us: summaries[0], warmup, ...await close() })
      }
      case 'dial': {
        const { once, done } = await ends.dialer(msg)
        const { summaries, warmup } = await timeLoop(once, msg, 2000)
        return reply({ type: 'dial', totalUs: summaries[0], connectUs: summaries[1], warmup, ...await done() })
      }
      default: throw new Error(`unknown command ${msg.type}`)
    }
  })
}
