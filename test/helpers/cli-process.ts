/**
 * Runs the built CLI (dist/src/cli/bin.js) as real child processes and reads their output line by
 * line: stdout lines that are JSON objects become events, stderr is kept as text. Every wait is on
 * a condition (a line arriving, the process exiting) and bounded by a timeout. A CliTracker kills
 * whatever a test left running and removes its temp dirs.
 */
import { execFileSync, spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** The built CLI; `npm test` builds it before the tests run. */
export const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url))

export interface CliEvent { type: string, [key: string]: unknown }
export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface WaitOptions {
  timeout: number
  /** Only lines/events at or after this index count (from mark()/markLines()); default 0. */
  since?: number
  /** Starts the timeout error. */
  message?: string
}

/** One `overlay ...` process. */
export class CliProcess {
  readonly label: string
  readonly child: ChildProcess
  /** Every stdout line, in order. */
  readonly lines: string[] = []
  /** stdout lines that parsed as JSON objects with a string `type`, in order. */
  readonly events: CliEvent[] = []
  readonly stderrLines: string[] = []
  readonly exited: Promise<Exit>
  exit?: Exit
  private readonly changed = new EventEmitter()

  constructor (label: string, args: string[], opts: { env: Record<string, string | undefined>, stdin?: 'pipe' | 'ignore' }) {
    this.label = label
    this.changed.setMaxListeners(100)
    // stdin 'ignore' is /dev/null, as in a container without -i.
    this.child = spawn(process.execPath, [BIN, ...args], { env: opts.env, stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'] })
    this.child.stdin?.on('error', () => {}) // writing to a process that just exited
    createInterface({ input: this.child.stdout! }).on('line', line => { this.pushLine(line) })
    createInterface({ input: this.child.stderr! }).on('line', line => {
      this.stderrLines.push(line)
      this.changed.emit('change')
    })
    this.exited = new Promise(resolve => {
      this.child.once('error', err => { this.stderrLines.push(`spawn error: ${err.message}`); this.finish({ code: -1, signal: null }, resolve) })
      this.child.once('close', (code, signal) => { this.finish({ code, signal }, resolve) })
    })
  }

  get pid (): number { return this.child.pid ?? -1 }
  get running (): boolean { return this.exit === undefined }
  get stdout (): string { return this.lines.join('\n') }
  get stderr (): string { return this.stderrLines.join('\n') }

  /** Index into `events` to pass as `since`, so only later events count. */
  mark (): number { return this.events.length }

  /** Events of one type (optionally filtered), from `since` on. */
  of (type: string, pred: (e: CliEvent) => boolean = () => true, since = 0): CliEvent[] {
    return this.events.slice(since).filter(e => e.type === type && pred(e))
  }

  write (line: string): void { this.child.stdin?.write(line + '\n') }
  endStdin (): void { this.child.stdin?.end() }
  signal (sig: NodeJS.Signals): void { if (this.running) this.child.kill(sig) }

  /** Resolves with the first event of `type` matching `pred` (among those already printed, too). */
  async waitEvent (type: string, pred: (e: CliEvent) => boolean = () => true, opts: WaitOptions): Promise<CliEvent> {
    const since = opts.since ?? 0
    return await this.until(() => this.events.slice(since).find(e => e.type === type && pred(e)), opts, `a "${type}" event`)
  }

  /** Resolves with the first stdout line matching `pred`. */
  async waitLine (pred: (line: string) => boolean, opts: WaitOptions): Promise<string> {
    const since = opts.since ?? 0
    return await this.until(() => this.lines.slice(since).find(pred), opts, 'a matching stdout line')
  }

  /** Resolves with the first stderr line matching `pred`. */
  async waitStderr (pred: (line: string) => boolean, opts: WaitOptions): Promise<string> {
    return await this.until(() => this.stderrLines.find(pred), opts, 'a matching stderr line')
  }

  /** Resolves when `check()` holds (checked on every new line). */
  async waitUntil (check: () => boolean, opts: WaitOptions): Promise<void> {
    await this.until(() => check() ? true : undefined, opts, 'the condition')
  }

  /** Resolves with the exit code and signal; rejects if the process is still running after `timeout`. */
  async waitExit (timeout: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => { reject(new Error(`${this.label} did not exit within ${timeout} ms\n${this.describe()}`)) }, timeout)
        })
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop (graceMs = 5_000): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** The tail of the output, for error messages. */
  describe (): string {
    return `--- ${this.label} (pid ${this.pid}) stdout:\n${this.lines.slice(-30).join('\n')}\n--- stderr:\n${this.stderrLines.slice(-30).join('\n')}`
  }

  private pushLine (line: string): void {
    this.lines.push(line)
    try {
      const value = JSON.parse(line) as unknown
      if (typeof value === 'object' && value !== null && typeof (value as CliEvent).type === 'string') this.events.push(value as CliEvent)
    } catch {}
    this.changed.emit('change')
  }

  private finish (exit: Exit, resolve: (e: Exit) => void): void {
    if (this.exit !== undefined) return
    this.exit = exit
    resolve(exit)
    this.changed.emit('change')
  }

  private async until<T> (find: () => T | undefined, opts: WaitOptions, what: string): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.changed.off('change', check)
      }
      const check = (): void => {
        const found = find()
        if (found !== undefined) { done(); resolve(found); return }
        if (!this.running) {
          done()
          reject(new Error(`${opts.message ?? `waiting for ${what}`}: ${this.label} exited (${JSON.stringify(this.exit)}) first\n${this.describe()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${opts.message ?? `waiting for ${what}`}: not seen from ${this.label} within ${opts.timeout} ms\n${this.describe()}`))
      }, opts.timeout)
      this.changed.on('change', check)
      check()
    })
  }
}

/** Starts CLI processes and temp dirs for one test file, and cleans all of them up in stopAll(). */
export class CliTracker {
  private readonly procs = new Set<CliProcess>()
  private readonly pids = new Set<number>()
  private readonly dirs = new Set<string>()
  private home: string | undefined

  /** A fresh empty directory, removed by stopAll(). */
  async tempDir (prefix = 'overlay-cli-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.add(dir)
    return dir
  }

  /**
   * The children's environment: ours without OVERLAY_* variables, with XDG_DATA_HOME in a temp dir
   * (so a node without --data-dir never writes to the real home), plus `env`.
   */
  async env (env: Record<string, string> = {}): Promise<Record<string, string | undefined>> {
    this.home ??= await this.tempDir('overlay-cli-home-')
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OVERLAY_')))
    return { ...base, XDG_DATA_HOME: this.home, ...env }
  }

  /** Spawns `overlay <args>`. */
  async spawn (label: string, args: string[], env: Record<string, string> = {}, opts: { stdin?: 'pipe' | 'ignore' } = {}): Promise<CliProcess> {
    const proc = new CliProcess(label, args, { env: await this.env(env), ...opts })
    this.procs.add(proc)
    return proc
  }

  /** Runs `overlay <args>` to completion (bounded) and returns it. */
  async run (label: string, args: string[], opts: { timeout?: number, env?: Record<string, string> } = {}): Promise<CliProcess & { exit: Exit }> {
    const proc = await this.spawn(label, args, opts.env)
    proc.endStdin()
    await proc.waitExit(opts.timeout ?? 15_000)
    return proc as CliProcess & { exit: Exit }
  }

  /** Some other process (e.g. a demo's child) to kill in stopAll() if it still runs. */
  trackPid (pid: number): void { this.pids.add(pid) }

  async stopAll (): Promise<void> {
    // Children of what still runs (a demo's nodes) are killed too, should their parent not stop them.
    for (const p of this.procs) if (p.running) for (const pid of childPids(p.pid)) this.pids.add(pid)
    await Promise.all([...this.procs].map(async p => { await p.stop() }))
    this.procs.clear()
    for (const pid of this.pids) {
      if (pidAlive(pid)) { try { process.kill(pid, 'SIGKILL') } catch {} }
    }
    this.pids.clear()
    await Promise.all([...this.dirs].map(async d => { await rm(d, { recursive: true, force: true }) }))
    this.dirs.clear()
    this.home = undefined
  }
}

/** The pids whose parent is `pid`, from `ps -o pid= --ppid`. */
export function childPids (pid: number): number[] {
  let out = ''
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
  } catch {} // ps exits 1 when there are none
  return out.split('\n').map(s => Number.parseInt(s.trim(), 10)).filter(n => Number.isInteger(n))
}

export function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
