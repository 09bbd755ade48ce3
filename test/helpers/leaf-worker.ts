/**
 * Child process that hosts many leaves, so a fan-in test does not run every leaf in the hub's
 * event loop. Driven over IPC (see leaf-pool.ts):
 *   { type: 'create', count, bootstrap, prefix, config? } -> { type: 'created', peerIds }
 *   { type: 'start' }                                     -> { type: 'started', ms }
 *   { type: 'stats' }                                     -> { type: 'stats', attempts, failures, errors }
 *   { type: 'stop' }                                      -> { type: 'stopped' }, then exits
 * It exits by itself when the parent goes away (IPC disconnect), so no leaf outlives the test.
 */
import { tracker } from './create-nodes.ts'
import type { OverlayNode, PartialConfig } from '../../src/index.ts'

interface Command { type: 'create' | 'start' | 'stats' | 'stop', count?: number, bootstrap?: string[], prefix?: string, config?: PartialConfig }

const leaves: OverlayNode[] = []
/** Bootstrap outcomes: how many attempts each leaf needed, and why the failed ones failed. */
const outcome = { attempts: [] as number[], failures: 0, errors: {} as Record<string, number> }

function reply (msg: Record<string, unknown>): void {
  process.send?.(msg)
}

async function shutdown (code: number): Promise<void> {
  await tracker.stopAll().catch(() => {})
  process.exit(code)
}

process.on('disconnect', () => { void shutdown(0) })

process.on('message', (msg: Command) => {
  void (async () => {
    try {
      switch (msg.type) {
        case 'create':
          for (let i = 0; i < (msg.count ?? 0); i++) {
            const leaf = await tracker.createNode({ ...msg.config, mode: 'leaf', name: `${msg.prefix ?? 'leaf'}${i}`, bootstrap: msg.bootstrap ?? [] })
            leaf.addEventListener('bootstrap', evt => {
              if (evt.detail.ok) { outcome.attempts.push(evt.detail.attempt); return }
              outcome.failures++
              const why = (evt.detail.error ?? '').slice(0, 60)
              outcome.errors[why] = (outcome.errors[why] ?? 0) + 1
            })
            leaves.push(leaf)
          }
          reply({ type: 'created', peerIds: leaves.map(l => l.peerId) })
          break
        case 'start': {
          const t0 = performance.now()
          await Promise.all(leaves.map(async l => { await l.start() }))
          reply({ type: 'started', ms: performance.now() - t0 })
          break
        }
        case 'stats':
          reply({ type: 'stats', ...outcome })
          break
        case 'stop':
          await tracker.stopAll()
          reply({ type: 'stopped' })
          process.disconnect()
          break
      }
    } catch (err) {
      reply({ type: 'error', message: (err as Error).stack ?? String(err) })
    }
  })()
})

reply({ type: 'ready' })
