/**
 * Parent-side control of worker processes.
 *
 * Every worker is a separate OS process started with `child_process.fork`
 * using `process.execPath` (the Node 22 that runs bench/run.ts), so the two
 * ends of a pairwise figure never share an event loop. Commands and replies
 * travel over the IPC channel as plain JSON objects `{ type, ... }`.
 *
 * Safety nets:
 *  - every `request()`/`next()` has a timeout;
 *  - every worker gets BENCH_WORKER_MAX_MS and exits by itself after it;
 *  - workers exit when the IPC channel closes (parent died);
 *  - `killAll()` (also installed on exit/SIGINT/SIGTERM) kills every child
 *    this process started, by pid.
 *
 * Profiling: with BENCH_CPU_PROF=<dir>, workers whose file name contains one
 * of BENCH_CPU_PROF_WORKERS (comma list, default "overlay-") run with
 * `--cpu-prof --cpu-prof-dir=<dir>`; the profile is written when the worker
 * exits normally, so stop() then waits up to 15 s before SIGKILL.
 * Summarise a profile with `node bench/tools/cpuprofile-top.ts <file>`.
 * (BENCH_CASE='1 KiB' or 'N=50' limits the throughput or broadcast figure to one case.)
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

export interface Msg {
  type: string
  [key: string]: unknown
}

const WORKERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers')

const live = new Set<ChildProcess>()
const PROFILING = process.env.BENCH_CPU_PROF != null && process.env.BENCH_CPU_PROF !== ''
/** Upper bound on stop()'s grace (see capStopGrace). */
let graceCapMs = Infinity

/**
 * Caps how long stop() waits for a worker to exit by itself before SIGKILL. Quick mode sets it
 * low: a worker has sent its results before it is stopped, and the driver removes
 * BENCH_TMP_DIR itself, so a graceful node.stop() there only costs time. Profiling ignores it.
 */
export function capStopGrace (ms: number): void {
  graceCapMs = ms
}
let profiled = 0

/** Whether the worker `file` is named by the comma list in env `listVar` (default `fallback`): any entry it contains. */
function selected (file: string, listVar: string, fallback: string): boolean {
  return (process.env[listVar] ?? fallback).split(',').map(s => s.trim()).filter(Boolean).some(w => file.includes(w))
}

function profileArgs (file: string, label: string): string[] {
  if (!PROFILING || !selected(file, 'BENCH_CPU_PROF_WORKERS', 'overlay-')) return []
  const name = `${String(++profiled).padStart(3, '0')}-${label.replace(/[^A-Za-z0-9_.-]/g, '_')}.cpuprofile`
  return ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF ?? '.'}`, `--cpu-prof-name=${name}`]
}

const TRACE_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'trace-preload.ts')

/** BENCH_TRACE=<dir>: the workers whose file name contains one of BENCH_TRACE_WORKERS get the trace preload. */
function traceArgs (file: string): string[] {
  if ((process.env.BENCH_TRACE ?? '') === '' || !selected(file, 'BENCH_TRACE_WORKERS', 'overlay-pair,bare-libp2p')) return []
  return [`--import=${TRACE_PRELOAD}`]
}

export interface WorkerOptions {
  /** extra node flags, e.g. ['--expose-gc'] */
  execArgv?: string[]
  /** hard lifetime of the worker process (it exits by itself after this) */
  maxLifetimeMs?: number
  /** extra argv for the worker */
  args?: string[]
  /** label used in errors and logs */
  label?: string
}

export class WorkerHandle {
  readonly label: string
  readonly child: ChildProcess
  private readonly inbox: Msg[] = []
  private readonly waiters: Array<{ type: string, resolve: (m: Msg) => void, reject: (e: Error) => void }> = []
  private exited = false
  private exitInfo = ''
  private stderrTail = ''
  readonly exitPromise: Promise<void>

  constructor (file: string, opts: WorkerOptions = {}) {
    this.label = opts.label ?? file
    const maxMs = opts.maxLifetimeMs ?? 120_000
    this.child = fork(path.join(WORKERS_DIR, file), opts.args ?? [], {
      execPath: process.execPath,
      execArgv: ['--disable-warning=ExperimentalWarning', ...(opts.execArgv ?? []), ...profileArgs(file, this.label), ...traceArgs(file)],
      env: { ...process.env, BENCH_WORKER_MAX_MS: String(maxMs) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'json'
    })
    live.add(this.child)
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)
      if (process.env.BENCH_VERBOSE != null) process.stderr.write(`[${this.label}] ${d.toString()}`)
    })
    this.child.on('message', (m: Msg) => { this.deliver(m) })
    this.exitPromise = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child)
        this.exited = true
        this.exitInfo = `exited code=${String(code)} signal=${String(signal)}`
        const err = new Error(`worker ${this.label} ${this.exitInfo}${this.stderrTail !== '' ? `\n--- stderr tail ---\n${this.stderrTail}` : ''}`)
        for (const w of this.waiters.splice(0)) w.reject(err)
        resolve()
      })
    })
    this.child.on('error', () => { /* reported through exit */ })
  }

  private deliver (m: Msg): void {
    if (m.type === 'error') {
      const err = new Error(`worker ${this.label} reported: ${String(m.message)}`)
      for (const w of this.waiters.splice(0)) w.reject(err)
      return
    }
    if (m.type === 'log') {
      if (process.env.BENCH_VERBOSE != null) console.log(`  [${this.label}] ${String(m.message)}`)
      return
    }
    const i = this.waiters.findIndex(w => w.type === m.type)
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1)
      w?.resolve(m)
    } else {
      this.inbox.push(m)
    }
  }

  send (m: Msg): void {
    if (this.exited) throw new Error(`worker ${this.label} already ${this.exitInfo}`)
    this.child.send(m)
  }

  /** Wait for the next message of `type` (or one already queued). */
  async next<T extends Msg = Msg>(type: string, timeoutMs: number): Promise<T> {
    const i = this.inbox.findIndex(m => m.type === type)
    if (i >= 0) return this.inbox.splice(i, 1)[0] as T
    if (this.exited) throw new Error(`worker ${this.label} already ${this.exitInfo}\n${this.stderrTail}`)
    return await new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: Msg) => { clearTimeout(timer); resolve(m as T) },
        reject: (e: Error) => { clearTimeout(timer); reject(e) }
      }
      const timer = setTimeout(() => {
        const k = this.waiters.indexOf(waiter)
        if (k >= 0) this.waiters.splice(k, 1)
        reject(new Error(`timeout after ${timeoutMs} ms waiting for '${type}' from ${this.label}${this.stderrTail !== '' ? `\n--- stderr tail ---\n${this.stderrTail}` : ''}`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  /** Send a command and wait for the reply of `replyType`. */
  async request<T extends Msg = Msg>(m: Msg, replyType: string, timeoutMs: number): Promise<T> {
    const p = this.next<T>(replyType, timeoutMs)
    this.send(m)
    return await p
  }

  /** Ask the worker to exit; SIGKILL it if it has not exited after graceMs. */
  async stop (graceMs = 2000): Promise<void> {
    if (this.exited) return
    try { this.child.send({ type: 'exit' }) } catch { /* channel gone */ }
    const t = setTimeout(() => { this.kill() }, PROFILING ? Math.max(graceMs, 15_000) : Math.min(graceMs, graceCapMs))
    await this.exitPromise
    clearTimeout(t)
  }

  kill (): void {
    if (this.exited || this.child.pid == null) return
    try { process.kill(this.child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

export function startWorker (file: string, opts: WorkerOptions = {}): WorkerHandle {
  return new WorkerHandle(file, opts)
}

/** Wait for `type` from every worker (typically 'ready'). */
export async function allNext<T extends Msg = Msg>(workers: WorkerHandle[], type: string, timeoutMs: number): Promise<T[]> {
  return await Promise.all(workers.map(async w => await w.next<T>(type, timeoutMs)))
}

/** Stop all given workers (graceful, then SIGKILL). Never throws. */
export async function stopAll (workers: WorkerHandle[], graceMs = 2000): Promise<void> {
  await Promise.all(workers.map(async w => { try { await w.stop(graceMs) } catch { w.kill() } }))
}

/** Kill every child process this process started that is still alive, by pid. */
export function killAll (): number {
  let n = 0
  for (const c of live) {
    if (c.pid != null) {
      try { process.kill(c.pid, 'SIGKILL'); n++ } catch { /* gone */ }
    }
  }
  live.clear()
  return n
}

export function liveCount (): number {
  return live.size
}

let installed = false
/** Make sure children die with us: on normal exit and on SIGINT/SIGTERM; then run `after` (sync). */
export function installCleanup (after?: () => void): void {
  if (installed) return
  installed = true
  process.on('exit', () => {
    killAll()
    try { after?.() } catch { /* best effort */ }
  })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      const n = killAll()
      console.error(`\nbench: received ${sig}, killed ${n} worker process(es)`)
      process.exit(130)
    })
  }
}
