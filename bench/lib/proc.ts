/** Parent side of the workers: a process each, JSON over IPC, a timeout on every wait, killAll() by pid. BENCH_VERBOSE=1: their stderr; BENCH_CPU_PROF=DIR: a --cpu-prof each. */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import os from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { EventEmitter, once } from 'node:events'

export interface Msg { type: string, [key: string]: unknown }
export interface WorkerOptions { execArgv?: string[], maxLifetimeMs?: number, label?: string }

const VERBOSE = process.env.BENCH_VERBOSE != null
const PROF = process.env.BENCH_CPU_PROF
const live = new Set<ChildProcess>()
let graceCapMs = Infinity

/** Caps how long stop() waits before SIGKILL: quick mode does not wait for graceful node.stop(). */
export const capStopGrace = (ms: number): void => { graceCapMs = ms }

export class WorkerHandle {
  readonly label: string
  readonly child: ChildProcess
  private readonly inbox: Msg[] = []
  /** 'message' on each arrival; 'error' (the worker reported one, or exited) fails every wait in progress. */
  private readonly arrivals = new EventEmitter().setMaxListeners(0)
  private exitInfo: string | undefined
  private stderrTail = ''
  private readonly exited: Promise<void>
  constructor (file: string, opts: WorkerOptions = {}) {
    this.label = opts.label ?? file
    const env = { ...process.env, BENCH_WORKER_MAX_MS: String(opts.maxLifetimeMs ?? 120_000) }
    this.child = fork(path.join(import.meta.dirname, '..', 'workers', file), [], { execArgv: ['--disable-warning=ExperimentalWarning', ...(PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROF}`]), ...(opts.execArgv ?? [])], env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
    live.add(this.child)
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)
      if (VERBOSE) process.stderr.write(`[${this.label}] ${d.toString()}`)
    })
    this.child.on('message', (m: Msg) => {
      if (m.type === 'error') return this.fail(new Error(`worker ${this.label} reported: ${String(m.message)}`))
      this.inbox.push(m)
      this.arrivals.emit('message')
    })
    this.child.on('error', () => { /* reported through exit */ })
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child)
        this.exitInfo = `exited code=${String(code)} signal=${String(signal)}`
        this.fail(this.error(this.exitInfo))
        resolve()
      })
    })
  }

  private error (what: string): Error {
    return new Error(`worker ${this.label}: ${what}${this.stderrTail !== '' ? `\n--- stderr tail ---\n${this.stderrTail}` : ''}`)
  }

  private fail (err: Error): void { if (this.arrivals.listenerCount('error') > 0) this.arrivals.emit('error', err) }

  send (m: Msg): void {
    if (this.exitInfo !== undefined) throw this.error(this.exitInfo)
    this.child.send(m)
  }

  /** The next message of `type` that `where` accepts (or one already queued). */
  async next<T extends Msg = Msg>(type: string, timeoutMs: number, where?: (m: T) => boolean): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs)
    for (;;) { // ends by a match, the worker's exit or error, or the timeout
      const i = this.inbox.findIndex(m => m.type === type && (where?.(m as T) ?? true))
      if (i >= 0) return this.inbox.splice(i, 1)[0] as T
      if (this.exitInfo !== undefined) throw this.error(this.exitInfo)
      await once(this.arrivals, 'message', { signal }).catch((err: Error) => {
        throw err.name === 'AbortError' ? this.error(`timeout after ${timeoutMs} ms waiting for '${type}'`) : err
      })
    }
  }

  async request<T extends Msg = Msg>(m: Msg, replyType: string, timeoutMs: number): Promise<T> {
    const p = this.next<T>(replyType, timeoutMs)
    this.send(m)
    return await p
  }

  /** Asks the worker to exit; SIGKILL after graceMs. */
  async stop (graceMs = 2000): Promise<void> {
    if (this.exitInfo !== undefined) return
    try { this.child.send({ type: 'exit' }) } catch { /* channel gone */ }
    const t = setTimeout(() => { this.kill() }, Math.min(graceMs, graceCapMs))
    await this.exited
    clearTimeout(t)
  }

  kill (): void {
    try { if (this.exitInfo === undefined && this.child.pid != null) process.kill(this.child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

export const startWorker = (file: string, opts: WorkerOptions = {}): WorkerHandle => new WorkerHandle(file, opts)

/** Stops all given workers (graceful, then SIGKILL). Never throws. */
export async function stopAll (workers: WorkerHandle[], graceMs = 2000): Promise<void> {
  await Promise.all(workers.map(async w => { try { await w.stop(graceMs) } catch { w.kill() } }))
}

/** Runs `body`, then stops `workers` whether it threw or not. */
export async function stopAfter (workers: WorkerHandle[], body: () => Promise<void>, graceMs?: number): Promise<void> {
  try { await body() } finally { await stopAll(workers, graceMs) }
}

/** Kills every child this process started that is still alive, by pid. */
export function killAll (): number {
  const n = [...live].filter(c => { try { return c.pid != null && process.kill(c.pid, 'SIGKILL') } catch { return false } }).length
  live.clear()
  return n
}

export const liveCount = (): number => live.size

/** Children die with us, on exit and on signals; so does BENCH_TMP_DIR, made here, where overlay workers keep their nodes' data. */
export function installCleanup (prefix: string): void {
  const tmp = process.env.BENCH_TMP_DIR = mkdtempSync(path.join(os.tmpdir(), prefix))
  process.once('exit', () => {
    killAll()
    try { rmSync(tmp, { recursive: true, force: true }) } catch { /* best effort */ }
  })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => { console.error(`\nbench: received ${sig}, killed ${killAll()} worker process(es)`); process.exit(130) })
}
