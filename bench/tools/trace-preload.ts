/**
 * BENCH_TRACE=<dir>: loaded into benchmark workers with `--import` (bench/lib/proc.ts), it stamps
 * every loopback TCP read, every socket write and every 'message' event dispatch with
 * process.hrtime, one row per read (bench/lib/trace.ts), and appends the rows to
 * <dir>/<worker>-<pid>.jsonl in batches. The first BENCH_TRACE_SKIP reads (default 2000: the
 * warm-up's start) are not kept, nor any after BENCH_TRACE_MAX rows (default 40000).
 * Diagnostic only: each stamp costs about 0.1-0.3 µs, and the figure's own numbers move with it.
 */
import { appendFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type { Row } from '../lib/trace.ts'

const dir = process.env.BENCH_TRACE ?? '.'
const skip = Number(process.env.BENCH_TRACE_SKIP ?? 2000)
const max = Number(process.env.BENCH_TRACE_MAX ?? 40_000)
const file = path.join(dir, `${path.basename(process.argv[1] ?? 'worker', '.ts')}-${process.pid}.jsonl`)
const now = process.hrtime.bigint

let reads = 0
let kept = 0
let start = 0n
let row: Row | undefined
let batch: Row[] = []

function flush (): void {
  if (batch.length > 0) appendFileSync(file, batch.map(r => JSON.stringify(r)).join('\n') + '\n')
  batch = []
}

function stamp (label: string): void {
  row?.push(label, Number(now() - start) / 1000)
}

const isLoopback = (s: net.Socket): boolean => s.remoteAddress === '127.0.0.1' || s.remoteAddress === '::1'

const emit = net.Socket.prototype.emit
net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'data' && isLoopback(this)) {
    if (row !== undefined && kept < max) { batch.push(row); kept++ }
    if (batch.length >= 2000 || (kept >= max && batch.length > 0)) flush()
    row = ++reads > skip && kept < max ? [`R${(args[0] as Uint8Array).byteLength}`, 0] : undefined
    start = now()
  }
  return (emit as (...a: unknown[]) => boolean).call(this, event, ...args)
} as typeof emit

const write = net.Socket.prototype.write
net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]): boolean {
  if (isLoopback(this)) stamp(`W${(args[0] as Uint8Array).byteLength ?? 0}`)
  return (write as (...a: unknown[]) => boolean).apply(this, args)
} as typeof write

const dispatch = EventTarget.prototype.dispatchEvent
EventTarget.prototype.dispatchEvent = function (this: EventTarget, event: Event): boolean {
  if (event.type !== 'message' || row === undefined) return dispatch.call(this, event)
  const name = this.constructor.name
  stamp(`>${name}`)
  try {
    return dispatch.call(this, event)
  } finally {
    stamp(`<${name}`)
  }
}

process.on('exit', flush)
