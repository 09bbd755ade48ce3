/**
 * A hub in its own process (hub-worker.ts): the test's clients do not share its event loop, and its
 * RSS is its own. stopAll() stops it, and kills it if it does not exit in time.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tracker } from './create-nodes.ts'
import type { ChildProcess } from 'node:child_process'
import type { MemberInfo, PartialConfig, SessionInfo } from '../../src/index.ts'

const WORKER = fileURLToPath(new URL('./hub-worker.ts', import.meta.url))

interface Reply { type: string, message?: string, [key: string]: unknown }

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

async function request (child: ChildProcess, msg: Record<string, unknown> | undefined, expect: string, timeout: number): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error(`hub ${child.pid}: no "${expect}" within ${timeout} ms`)) }, timeout)
    const onMessage = (reply: Reply): void => {
      if (reply.type === 'error') { done(); reject(new Error(`hub ${child.pid}: ${reply.message ?? ''}`)); return }
      if (reply.type !== expect) return
      done()
      resolve(reply)
    }
    const onExit = (code: number | null): void => { done(); reject(new Error(`hub ${child.pid} exited (${code}) before "${expect}"`)) }
    const done = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
    if (msg !== undefined) child.send(msg)
  })
}

export class HubProcess {
  readonly child: ChildProcess
  addr = ''
  peerId = ''
  /** Everything the hub wrote to stderr. */
  readonly stderr: string[] = []
  exitCode: number | null = null

  private constructor (child: ChildProcess) {
    this.child = child
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr.push(chunk) })
    child.once('exit', code => { this.exitCode = code })
  }

  /** Forks a hub with `config` (over the test defaults) and starts it. */
  static async start (config: PartialConfig = {}, timeout = 30_000): Promise<HubProcess> {
    const child = fork(WORKER, [], { execPath: process.execPath, execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
    const hub = new HubProcess(child)
    tracker.onStop(async () => { await hub.stop() })
    await request(child, undefined, 'ready', timeout)
    const started = await request(child, { type: 'start', config }, 'started', timeout)
    hub.addr = started.addr as string
    hub.peerId = started.peerId as string
    return hub
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  async status (timeout = 10_000): Promise<HubStatus> {
    return await request(this.child, { type: 'status' }, 'status', timeout) as unknown as HubStatus
  }

  /** The hub's RSS after a full garbage collection. */
  async rssAfterGc (timeout = 10_000): Promise<number> {
    return (await request(this.child, { type: 'gc' }, 'gc', timeout)).rss as number
  }

  /** Stops the hub and waits for its process to exit (SIGKILL after `timeout`). */
  async stop (timeout = 15_000): Promise<void> {
    const child = this.child
    if (child.exitCode !== null || child.signalCode !== null) return
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
