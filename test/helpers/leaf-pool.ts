/**
 * Spreads many leaves over a few child processes (leaf-worker.ts). stopAll() stops them, and kills
 * a child that does not exit in time, so a failed test leaves no process behind.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { tracker } from './create-nodes.ts'
import type { ChildProcess } from 'node:child_process'
import type { PartialConfig } from '../../src/index.ts'

const WORKER = fileURLToPath(new URL('./leaf-worker.ts', import.meta.url))

export interface Reply { type: string, message?: string, [key: string]: unknown }

export async function request (child: ChildProcess, msg: Record<string, unknown> | undefined, expect: string, timeout: number): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error(`worker ${child.pid}: no "${expect}" within ${timeout} ms`)) }, timeout)
    const onMessage = (reply: Reply): void => {
      if (reply.type === 'error') { done(); reject(new Error(`worker ${child.pid}: ${reply.message ?? ''}`)); return }
      if (reply.type !== expect) return
      done()
      resolve(reply)
    }
    const onExit = (code: number | null): void => { done(); reject(new Error(`worker ${child.pid} exited (${code}) before "${expect}"`)) }
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

export class LeafPool {
  readonly peerIds: string[] = []
  private readonly children: ChildProcess[] = []

  /** Forks `workers` children and creates `count` leaves among them (not started). */
  static async create (opts: { count: number, workers: number, bootstrap: string[], config?: PartialConfig, timeout?: number }): Promise<LeafPool> {
    const pool = new LeafPool()
    tracker.onStop(async () => { await pool.stop() })
    const timeout = opts.timeout ?? 60_000
    const per = Math.ceil(opts.count / opts.workers)
    await Promise.all(Array.from({ length: opts.workers }, async (_, w) => {
      const count = Math.min(per, opts.count - w * per)
      if (count <= 0) return
      const child = fork(WORKER, [], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      pool.children.push(child)
      await request(child, undefined, 'ready', timeout)
      const created = await request(child, { type: 'create', count, bootstrap: opts.bootstrap, prefix: `w${w}-leaf`, config: opts.config ?? {} }, 'created', timeout)
      pool.peerIds.push(...created.peerIds as string[])
    }))
    return pool
  }

  /** Tells every child to start all its leaves at once; resolves when each has called start() on all. */
  async start (timeout = 60_000): Promise<void> {
    await Promise.all(this.children.map(async c => await request(c, { type: 'start' }, 'started', timeout)))
  }

  /** Bootstrap outcomes summed over the children: attempts each successful leaf needed, failures by error. */
  async stats (timeout = 10_000): Promise<{ attempts: number[], failures: number, errors: Record<string, number> }> {
    const replies = await Promise.all(this.children.map(async c => await request(c, { type: 'stats' }, 'stats', timeout)))
    const total = { attempts: [] as number[], failures: 0, errors: {} as Record<string, number> }
    for (const r of replies) {
      total.attempts.push(...r.attempts as number[])
      total.failures += r.failures as number
      for (const [why, n] of Object.entries(r.errors as Record<string, number>)) total.errors[why] = (total.errors[why] ?? 0) + n
    }
    return total
  }

  /** Stops every leaf and waits for the children to exit (SIGKILL after `timeout`). */
  async stop (timeout = 30_000): Promise<void> {
    const children = this.children.splice(0)
    await Promise.all(children.map(async child => {
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
    }))
  }
}
