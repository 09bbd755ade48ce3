/**
 * Child process that opens an overlay node on the data dir given as argv[2] and holds it until the
 * parent disconnects (or sends 'stop'). Lets tests meet a data dir locked by another live process.
 * Replies over IPC: { type: 'ready', peerId } or { type: 'error', name, message }.
 */
import { createOverlayNode } from '../../src/index.ts'

const dataDir = process.argv[2]
try {
  const node = await createOverlayNode({ mode: 'peer', name: 'holder', dataDir, token: 'letmein123', listen: ['/ip4/127.0.0.1/tcp/0'] })
  const stop = async (): Promise<void> => {
    await node.stop().catch(() => {})
    process.exit(0)
  }
  process.on('disconnect', () => { void stop() })
  process.on('message', msg => { if (msg === 'stop') void stop() })
  process.send?.({ type: 'ready', peerId: node.peerId })
} catch (err) {
  process.send?.({ type: 'error', name: (err as Error).name, message: (err as Error).message })
  process.disconnect()
}
