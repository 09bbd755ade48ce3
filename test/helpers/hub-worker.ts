/**
 * Child process that runs one hub, so a test can flood it or measure its memory without its own
 * clients sharing the hub's event loop. Driven over IPC (see hub-process.ts):
 *   { type: 'start', config }  -> { type: 'started', addr, peerId }
 *   { type: 'status' }         -> { type: 'status', stats, sessions, members, rss, events, uncaught }
 *   { type: 'gc' }             -> { type: 'gc', rss }   (a full collection first, when exposed)
 *   { type: 'stop' }           -> { type: 'stopped' }, then exits
 * `events` holds the hub's failed/left/suspect/rejected events and session closes with a code.
 * It exits by itself when the parent goes away (IPC disconnect), so no hub outlives the test.
 */
import { loopbackAddr, tracker } from './create-nodes.ts'
import type { OverlayNode, PartialConfig } from '../../src/index.ts'

interface Command { type: 'start' | 'status' | 'gc' | 'stop', config?: PartialConfig }

let hub: OverlayNode | undefined
const events: Array<Record<string, unknown>> = []
let uncaught = 0

function reply (msg: Record<string, unknown>): void {
  process.send?.(msg)
}

async function shutdown (code: number): Promise<void> {
  await tracker.stopAll().catch(() => {})
  process.exit(code)
}

process.on('disconnect', () => { void shutdown(0) })
process.on('uncaughtException', err => { uncaught++; process.stderr.write(`hub-worker uncaught: ${err.stack ?? String(err)}\n`) })
process.on('unhandledRejection', err => { uncaught++; process.stderr.write(`hub-worker unhandled: ${(err as Error).stack ?? String(err)}\n`) })

process.on('message', (msg: Command) => {
  void (async () => {
    try {
      switch (msg.type) {
        case 'start': {
          const node = await tracker.createNode({ mode: 'hub', name: 'hub', ...msg.config })
          for (const type of ['failed', 'left', 'suspect', 'rejected', 'session'] as const) {
            node.addEventListener(type, evt => {
              const detail = evt.detail as Record<string, unknown>
              if (type === 'session' && detail.code === undefined) return
              events.push({ type, ...detail })
            })
          }
          await node.start()
          hub = node
          reply({ type: 'started', addr: loopbackAddr(node), peerId: node.peerId })
          break
        }
        case 'status':
          reply({ type: 'status', stats: hub?.stats(), sessions: hub?.sessions(), members: hub?.members(), rss: process.memoryUsage().rss, events, uncaught })
          break
        case 'gc':
          globalThis.gc?.()
          reply({ type: 'gc', rss: process.memoryUsage().rss })
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
