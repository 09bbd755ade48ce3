/**
 * Child-side IPC helper for bench/workers/*.ts.
 *
 *   runWorker(async (msg, reply) => { ... })
 *
 * - Commands arrive as `{ type, ... }`; handlers run one at a time, in order.
 * - `reply(m)` sends a message to the parent.
 * - A handler that throws sends `{ type: 'error', message }` to the parent.
 * - `{ type: 'exit' }` runs the registered cleanup hooks, then exits.
 * - The process exits by itself when the parent disconnects, and after
 *   BENCH_WORKER_MAX_MS (hard lifetime cap, set by bench/lib/proc.ts).
 */
import type { Msg } from './proc.ts'

export type Reply = (m: Msg) => void
export type Handler = (msg: Msg, reply: Reply) => Promise<void> | void

const cleanups: Array<() => Promise<void> | void> = []

export function onCleanup (fn: () => Promise<void> | void): void {
  cleanups.push(fn)
}

export const reply: Reply = (m: Msg): void => {
  if (process.send != null && process.connected) process.send(m)
}

export function log (message: string): void {
  reply({ type: 'log', message })
}

async function shutdown (code: number): Promise<never> {
  const hard = setTimeout(() => process.exit(code), 3000)
  hard.unref()
  for (const fn of cleanups.splice(0).reverse()) {
    try { await fn() } catch { /* best effort */ }
  }
  process.exit(code)
}

export function runWorker (handler: Handler): void {
  if (process.send == null) {
    console.error('this is a benchmark worker: start it through bench/run.ts')
    process.exit(2)
  }
  const maxMs = Number(process.env.BENCH_WORKER_MAX_MS ?? '120000')
  const cap = setTimeout(() => {
    console.error(`worker ${process.argv[1] ?? ''}: lifetime cap ${maxMs} ms reached, exiting`)
    void shutdown(3)
  }, maxMs)
  cap.unref()
  process.on('disconnect', () => { void shutdown(0) })
  process.on('uncaughtException', (err) => {
    reply({ type: 'error', message: `uncaught: ${err.stack ?? String(err)}` })
    void shutdown(1)
  })
  process.on('unhandledRejection', (err) => {
    reply({ type: 'error', message: `unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` })
    void shutdown(1)
  })
  let chain: Promise<void> = Promise.resolve()
  process.on('message', (msg: Msg) => {
    if (msg.type === 'exit') {
      void chain.finally(() => { void shutdown(0) })
      return
    }
    chain = chain.then(async () => {
      try {
        await handler(msg, reply)
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
      }
    })
  })
  reply({ type: 'ready', pid: process.pid })
}

/** Monotonic clock in nanoseconds. On Linux libuv reads CLOCK_MONOTONIC, which
 *  is one system-wide clock, so values are comparable between processes on
 *  the same machine (used for one-way broadcast latency). */
export function nowNs (): bigint {
  return process.hrtime.bigint()
}

export async function sleep (ms: number): Promise<void> {
  await new Promise<void>(resolve => setTimeout(resolve, ms))
}

/** gc() if the process runs with --expose-gc. Returns whether it ran. */
export function tryGc (): boolean {
  const g = (globalThis as { gc?: () => void }).gc
  if (typeof g === 'function') { g(); return true }
  return false
}

/**
 * Warm-up loop: run `fn` until at least `minIters` iterations AND `minMs`
 * milliseconds are done, but never more than `maxIters` iterations.
 * V8 needs a few thousand round trips before the libp2p stack is optimised
 * (measured: RTT median 290 µs in the first 2000 round trips of a fresh
 * process, 130 µs after ~5000), so warm-up is time-based, not count-based.
 */
export async function warmUp (fn: (i: number) => Promise<void>, opts: { minIters: number, minMs: number, maxIters: number }): Promise<{ iterations: number, ms: number }> {
  const t0 = performance.now()
  let i = 0
  while (i < opts.maxIters && (i < opts.minIters || performance.now() - t0 < opts.minMs)) {
    await fn(i)
    i++
  }
  return { iterations: i, ms: performance.now() - t0 }
}
