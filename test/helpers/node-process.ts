/**
 * Overlay nodes in child processes (node-worker.ts), so the test's own clients and attackers do not
 * share their event loop and their RSS is their own: a hub (HubProcess), many leaves spread over a
 * few processes (LeafPool), the hostile suite's honest pair (HonestPair). Each process is stopped by
 * the tracker's stopAll(), and killed if it does not exit in time, so no test leaves one behind.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tracker } from './create-nodes.ts'
import type { ChildProcess } from 'node:child_process'
import type { MemberInfo, PartialConfig, SessionInfo } from '../../src/index.ts'

const WORKER = fileURLToPath(new URL('./node-worker.ts', import.meta.url))

type Reply = Record<string, unknown>

/** One node-worker process: `call` sends a command and resolves with its reply. */
export class NodeProcess {
  readonly child: ChildProcess
  /** Everything the process wrote to stderr, when it is captured. */
  readonly stderr: string[] = []

  private constructor (child: ChildProcess) {
    this.child = child
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr.push(chunk) })
  }

  /** Forks a worker and waits until it listens for commands. `gc` exposes global.gc; `captureStderr` keeps stderr in `stderr`. */
  static async fork (opts: { gc?: boolean, captureStderr?: boolean, timeout?: number } = {}): Promise<NodeProcess> {
    const child = fork(WORKER, [], {
      execPath: process.execPath,
      execArgv: opts.gc === true ? ['--expose-gc'] : [],
      stdio: ['ignore', 'inherit', opts.captureStderr === true ? 'pipe' : 'inherit', 'ipc']
    })
    const proc = new NodeProcess(child)
    tracker.onStop(async () => { await proc.stop() })
    try {
      await proc.reply('ready', opts.timeout ?? 30_000)
    } catch (err) {
      await proc.stop()
      throw err
    }
    return proc
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** Runs one node-worker command and resolves with its reply (rejects on an `error` reply, exit or timeout). */
  async call (type: string, args: Reply = {}, timeout = 10_000): Promise<Reply> {
    const reply = this.reply(type, timeout)
    this.child.send({ ...args, type })
    return await reply
  }

  private async reply (type: string, timeout: number): Promise<Reply> {
    const child = this.child
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new Error(`worker ${child.pid}: no "${type}" within ${timeout} ms`)) }, timeout)
      const onMessage = (reply: Reply): void => {
        if (reply.type === 'error') { done(); reject(new Error(`worker ${child.pid}: ${String(reply.message)}`)); return }
        if (reply.type !== type) return
        done()
        resolve(reply)
      }
      const onExit = (code: number | null): void => { done(); reject(new Error(`worker ${child.pid} exited (${code}) before "${type}"`)) }
      const done = (): void => {
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
      }
      child.on('message', onMessage)
      child.on('exit', onExit)
    })
  }

  /** Stops its nodes and waits for the process to exit (SIGKILL after `timeout`). */
  async stop (timeout = 15_000): Promise<void> {
    const child = this.child
    if (!this.alive) return
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeout)
    try {
      if (child.connected) child.send({ type: 'stop' })
      else child.kill('SIGTERM')
    } catch {
      child.kill('SIGKILL')
    }
    await exited
    clearTimeout(timer)
  }
}

export interface HubStatus {
  stats: Record<string, number>
  sessions: SessionInfo[]
  members: MemberInfo[]
  rss: number
  /** failed, left, suspect and rejected events, and session closes that carry a code. */
  events: Array<{ type: string, [key: string]: unknown }>
  /** Uncaught exceptions and unhandled rejections in the hub's process. */
  uncaught: number
}

/** A started hub in its own process; its stderr is kept in `proc.stderr`. */
export class HubProcess {
  readonly proc: NodeProcess
  readonly addr: string
  readonly peerId: string

  private constructor (proc: NodeProcess, started: Reply) {
    this.proc = proc
    this.addr = started.addr as string
    this.peerId = started.peerId as string
  }

  /** Forks a hub with `config` (over the test defaults) and starts it. */
  static async start (config: PartialConfig = {}, timeout = 30_000): Promise<HubProcess> {
    const proc = await NodeProcess.fork({ gc: true, captureStderr: true, timeout })
    return new HubProcess(proc, await proc.call('hub', { config }, timeout))
  }

  get alive (): boolean { return this.proc.alive }

  async status (timeout = 10_000): Promise<HubStatus> {
    return await this.proc.call('status', {}, timeout) as unknown as HubStatus
  }

  /** The hub's RSS after a full garbage collection. */
  async rssAfterGc (timeout = 10_000): Promise<number> {
    return (await this.proc.call('gc', {}, timeout)).rss as number
  }

  async stop (timeout = 15_000): Promise<void> { await this.proc.stop(timeout) }
}

/** Many leaves spread over a few processes. */
export class LeafPool {
  readonly peerIds: string[] = []
  private readonly procs: NodeProcess[] = []

  /** Forks `workers` processes and creates `count` leaves among them (not started). */
  static async create (opts: { count: number, workers: number, bootstrap: string[], config?: PartialConfig, timeout?: number }): Promise<LeafPool> {
    const pool = new LeafPool()
    const timeout = opts.timeout ?? 60_000
    const per = Math.ceil(opts.count / opts.workers)
    await Promise.all(Array.from({ length: opts.workers }, async (_, w) => {
      const count = Math.min(per, opts.count - w * per)
      if (count <= 0) return
      const proc = await NodeProcess.fork({ timeout })
      pool.procs.push(proc)
      const created = await proc.call('leaves', { count, bootstrap: opts.bootstrap, prefix: `w${w}-leaf`, config: opts.config ?? {} }, timeout)
      pool.peerIds.push(...created.peerIds as string[])
    }))
    return pool
  }

  /** Tells every process to start all its leaves at once; resolves when each has called start() on all. */
  async start (timeout = 60_000): Promise<void> {
    await Promise.all(this.procs.map(async p => await p.call('start', {}, timeout)))
  }

  /** Bootstrap outcomes summed over the processes: attempts each successful leaf needed, failures by error. */
  async stats (timeout = 10_000): Promise<{ attempts: number[], failures: number, errors: Record<string, number> }> {
    const replies = await Promise.all(this.procs.map(async p => await p.call('bootstraps', {}, timeout)))
    const total = { attempts: [] as number[], failures: 0, errors: {} as Record<string, number> }
    for (const r of replies) {
      total.attempts.push(...r.attempts as number[])
      total.failures += r.failures as number
      for (const [why, n] of Object.entries(r.errors as Record<string, number>)) total.errors[why] = (total.errors[why] ?? 0) + n
    }
    return total
  }

  async stop (timeout = 30_000): Promise<void> {
    await Promise.all(this.procs.splice(0).map(async p => { await p.stop(timeout) }))
  }
}

export interface PairReport {
  /** Round trips (ms) of the pings sent in the window. */
  rtts: number[]
  /** Pings of the window that got no pong within 2 s. */
  lost: number[]
  /** Pings of the window without a pong yet. */
  pending: number[]
  /** Disconnects, ERR lines, and suspicion or failure of the hub or the partner, as seen by the pair. */
  trouble: string[]
}

/** The hostile suite's honest pair: a leaf and a text client pinging each other through the hub. */
export class HonestPair {
  readonly leafName = 'honest-leaf'
  readonly textName = 'honest-text'
  leafPeerId = ''
  textPeerId = ''
  private readonly proc: NodeProcess

  private constructor (proc: NodeProcess) {
    this.proc = proc
  }

  /** Forks the worker, starts the leaf and the text client against `hubAddr`, and starts the pings. */
  static async start (opts: { hubAddr: string, hubName: string, token: string, timeout?: number }): Promise<HonestPair> {
    const timeout = opts.timeout ?? 20_000
    const pair = new HonestPair(await NodeProcess.fork({ timeout }))
    try {
      const started = await pair.proc.call('pair', { hubAddr: opts.hubAddr, hubName: opts.hubName, token: opts.token, leafName: pair.leafName, textName: pair.textName }, timeout)
      pair.leafPeerId = started.leafPeerId as string
      pair.textPeerId = started.textPeerId as string
    } catch (err) {
      await pair.stop()
      throw err
    }
    return pair
  }

  get names (): string[] { return [this.leafName, this.textName] }
  get peerIds (): string[] { return [this.leafPeerId, this.textPeerId] }

  /** What happened to the pings sent between `since` and `until` (epoch ms). */
  async report (since: number, until = Date.now()): Promise<PairReport> {
    const r = await this.proc.call('report', { since, until })
    return { rtts: r.rtts as number[], lost: r.lost as number[], pending: r.pending as number[], trouble: r.trouble as string[] }
  }

  async stop (timeout = 15_000): Promise<void> { await this.proc.stop(timeout) }
}
