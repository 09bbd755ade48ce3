/**
 * Overlay leaves in one process, each its own createOverlayNode, all bootstrapping to one hub
 * (memory.ts `hold` kind 'overlay'). Commands:
 *   create {count, addr, prefix}              -> created {count}   (not started)
 *   start                                     -> started {t0Ns, ms}: start() on every leaf at once
 *   connect {count, addr, prefix, concurrency} -> connected {ok, failed, firstError}: create and start
 *       leaves `concurrency` at a time, each waiting (<= 30 s) until its session with the hub is open
 *   stats -> stats {leaves, withSession, attempts, failedAttempts, errors}
 */
import { runWorker, nowNs, attempts } from '../lib/worker.ts'
import { createBenchNode, waitUntil, type OverlayNode } from '../lib/overlay.ts'

const leaves: OverlayNode[] = []
const outcome = { attempts: 0, failedAttempts: 0, errors: {} as Record<string, number> }

async function createLeaf (addr: string, name: string): Promise<OverlayNode> {
  const leaf = await createBenchNode({ mode: 'leaf', name, bootstrap: [addr] })
  leaf.addEventListener('bootstrap', (evt) => {
    outcome.attempts++
    if (evt.detail.ok) return
    outcome.failedAttempts++
    const why = (evt.detail.error ?? '').slice(0, 60)
    outcome.errors[why] = (outcome.errors[why] ?? 0) + 1
  })
  leaves.push(leaf)
  return leaf
}

runWorker(async (msg, reply) => {
  const name = (i: number): string => `${String(msg.prefix)}${i}`
  switch (msg.type) {
    case 'create':
      for (let i = 0; i < Number(msg.count); i++) await createLeaf(String(msg.addr), name(i))
      return reply({ type: 'created', count: Number(msg.count) })
    case 'start': {
      const t0 = nowNs()
      await Promise.all(leaves.map(async l => { await l.start() }))
      return reply({ type: 'started', t0Ns: String(t0), ms: Number(nowNs() - t0) / 1e6 })
    }
    case 'connect':
      return reply({
        type: 'connected',
        ...await attempts(Number(msg.count), Number(msg.concurrency ?? 16), async (i) => {
          const leaf = await createLeaf(String(msg.addr), name(i))
          await leaf.start()
          await waitUntil(() => leaf.sessions().length > 0, 30_000, `leaf ${i} session`, 20)
        })
      })
    case 'stats':
      return reply({ type: 'stats', leaves: leaves.length, withSession: leaves.filter(l => l.sessions().length > 0).length, ...outcome })
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
