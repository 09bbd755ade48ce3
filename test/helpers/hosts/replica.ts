/**
 * One replica of a compose service: a host (network namespace) that runs the service's command.
 * It can be started, stopped, killed and restarted; its data dirs and its event log survive restarts.
 */
import { HostProcess, type Exit, type HostEvent, type WaitOptions } from './host-process.ts'
import type { ReplicaSpec } from './compose-model.ts'

export interface ReplicaInit extends ReplicaSpec {
  ns: string
  /** Host-side veth end in the switch namespace (for linkDown/linkUp). */
  veth: string
  argv: string[]
  env: Record<string, string>
  cwd: string
  /** Container path → host dir, e.g. { '/data': '/tmp/ovlh123-leaf-1-data-XXXX' }. */
  dirs: Record<string, string>
  stopGraceMs: number
}

export class Replica {
  readonly service: string
  readonly index: number
  readonly name: string
  readonly ip: string
  readonly ns: string
  readonly veth: string
  readonly argv: string[]
  readonly env: Record<string, string>
  readonly dirs: Record<string, string>
  private readonly cwd: string
  private readonly stopGraceMs: number
  /** Every run, oldest first. */
  readonly runs: HostProcess[] = []

  constructor (init: ReplicaInit) {
    this.service = init.service
    this.index = init.index
    this.name = init.name
    this.ip = init.ip
    this.ns = init.ns
    this.veth = init.veth
    this.argv = init.argv
    this.env = init.env
    this.cwd = init.cwd
    this.dirs = init.dirs
    this.stopGraceMs = init.stopGraceMs
  }

  /** The current (or last) run. */
  get proc (): HostProcess {
    const p = this.runs.at(-1)
    if (p === undefined) throw new Error(`${this.name} was never started`)
    return p
  }

  get running (): boolean { return this.runs.at(-1)?.running ?? false }

  /** Starts the service command; `env` overrides single variables for this run only. */
  start (opts: { env?: Record<string, string> } = {}): HostProcess {
    if (this.running) throw new Error(`${this.name} is already running`)
    const run = this.runs.length + 1
    const proc = new HostProcess(`${this.name}#${run}`, this.ns, this.argv, { env: { ...this.env, ...opts.env }, cwd: this.cwd })
    this.runs.push(proc)
    return proc
  }

  /** SIGTERM, then SIGKILL after the service's stop_grace_period (like `docker stop`). */
  async stop (): Promise<Exit> {
    const p = this.runs.at(-1)
    if (p === undefined) return { code: null, signal: null }
    p.signal('SIGTERM')
    return await p.waitExit(this.stopGraceMs)
  }

  /** kill -9 (like `docker kill`). */
  async kill (): Promise<Exit> {
    const p = this.runs.at(-1)
    if (p === undefined) return { code: null, signal: null }
    p.signal('SIGKILL')
    return await p.waitExit(5_000)
  }

  async restart (opts: { env?: Record<string, string> } = {}): Promise<HostProcess> {
    await this.stop()
    return this.start(opts)
  }

  /** Waits on the current run's events (since its start, or since `opts.since` of this run). */
  async waitForEvent (pred: (e: HostEvent) => boolean, opts: WaitOptions): Promise<HostEvent> {
    return await this.proc.waitForEvent(pred, opts)
  }

  writeLine (text: string): void { this.proc.writeLine(text) }

  /** Index into the current run's events; pass as `since`. */
  mark (): number { return this.proc.mark() }

  /** Events of every run so far. */
  allEvents (): HostEvent[] { return this.runs.flatMap(p => p.events) }
}
