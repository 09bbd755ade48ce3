/**
 * The honest pair of the hostile-peer suite, run in a child process (honest-pair-worker.ts) so the
 * attackers' load on the test's own event loop never shows in its round trips.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { request } from './leaf-pool.ts'
import type { ChildProcess } from 'node:child_process'

const WORKER = fileURLToPath(new URL('./honest-pair-worker.ts', import.meta.url))

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

export class HonestPair {
  readonly leafName = 'honest-leaf'
  readonly textName = 'honest-text'
  leafPeerId = ''
  textPeerId = ''
  private readonly child: ChildProcess

  private constructor (child: ChildProcess) {
    this.child = child
  }

  /** Forks the worker, starts the leaf and the text client against `hubAddr`, and starts the pings. */
  static async start (opts: { hubAddr: string, hubName: string, token: string, timeout?: number }): Promise<HonestPair> {
    const child = fork(WORKER, [], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const pair = new HonestPair(child)
    try {
      await request(child, undefined, 'ready', opts.timeout ?? 20_000)
      const started = await request(child, { type: 'start', hubAddr: opts.hubAddr, hubName: opts.hubName, token: opts.token, leafName: pair.leafName, textName: pair.textName }, 'started', opts.timeout ?? 20_000)
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
    const r = await request(this.child, { type: 'report', since, until }, 'report', 10_000)
    return { rtts: r.rtts as number[], lost: r.lost as number[], pending: r.pending as number[], trouble: r.trouble as string[] }
  }

  /** Stops both ends and waits for the worker to exit (SIGKILL after `timeout`). */
  async stop (timeout = 15_000): Promise<void> {
    const child = this.child
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeout)
    try {
      if (child.connected) child.send({ type: 'stop', textName: this.textName })
      else child.kill('SIGTERM')
    } catch {
      child.kill('SIGKILL')
    }
    await exited
    clearTimeout(timer)
  }
}
