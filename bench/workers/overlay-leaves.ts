/**
 * A pool of overlay leaves in one process, all bootstrapping to one hub
 * (memory.ts 'hold' kind 'overlay'). Each leaf is its own createOverlayNode
 * (own identity, own libp2p node), default leaf settings. Commands:
 *   create  {count, addr, prefix}         -> created {count}      (not started)
 *   start                                 -> started {t0Ns, ms}   start() on every leaf at once
 *   connect {count, addr, prefix, concurrency} -> connected {ok, failed, firstError}
 *        memory figure: create + start leaves `concurrency` at a time, each
 *        waiting (<= 30 s) until its session with the hub is open
 *   stats                                 -> stats {leaves, withSession, attempts, failedAttempts, errors}
 */
import { runWorker, nowNs } from '../lib/worker.ts'
import { createBenchNode, waitUntil, assertLoopbackAddr } from '../lib/overlay.ts'
import type { OverlayNode } from '../lib/overlay.ts'

const leaves: OverlayNode[] = []
const outcome = { attempts: 0, failedAttempts: 0, errors: {} as Record<string, number> }

async function createLeaf (addr: string, name: string): Promise<OverlayNode> {
  assertLoopbackAddr(addr)
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
  switch (msg.type) {
    case 'create': {
      const count = Number(msg.count)
      for (let i = 0; i < count; i++) await createLeaf(String(msg.addr), `${String(msg.prefix)}${i}`)
      reply({ type: 'created', count })
      break
    }
    case 'start': {
      const t0 = nowNs()
      await Promise.all(leaves.map(async l => { await l.start() }))
      reply({ type: 'started', t0Ns: String(t0), ms: Number(nowNs() - t0) / 1e6 })
      break
    }
    case 'connect': {
      const count = Number(msg.count)
      let next = 0
      let ok = 0
      let failed = 0
      let firstError: string | undefined
      const lanes = Array.from({ length: Math.min(Number(msg.concurrency ?? 16), count) }, async () => {
        while (next < count) {
          const i = next++
          try {
            const leaf = await createLeaf(String(msg.addr), `${String(msg.prefix)}${i}`)
            await leaf.start()
            await waitUntil(() => leaf.sessions().length > 0, 30_000, `leaf ${i} session`, 20)
            ok++
          } catch (err) {
            failed++
            firstError ??= String(err)
          }
        }
      })
      await Promise.all(lanes)
      reply({ type: 'connected', ok, failed, firstError })
      break
    }
    case 'stats': {
      reply({ type: 'stats', leaves: leaves.length, withSession: leaves.filter(l => l.sessions().length > 0).length, ...outcome })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
