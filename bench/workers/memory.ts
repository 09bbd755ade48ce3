/**
 * Memory worker (started with --expose-gc when it measures). Roles:
 *   idle {kind: 'node-process'|'libp2p'|'overlay'} -> idle {mem}: this process alone (reference),
 *       + one started bare libp2p node, or + one started overlay peer (no sessions)
 *   hold {kind: 'raw-tcp'|'libp2p'|'overlay'}      -> holding {port|addr}: a listener that keeps
 *       what connects (overlay: a hub; its connections are its sessions)
 *   measure {pauseMs}                 -> measured {mem, connections}: after 3 x gc()
 *   wait-sessions {count, timeoutMs}  -> sessions-reached {reachedNs|null, sessions, present, rejected}:
 *       the hub lists `count` sessions and present members (counted from its events)
 *   connect {kind, port|addr, count, concurrency} -> connected {ok, failed, firstError}: opens
 *       and keeps `count` connections (libp2p: one fresh node, so one peer id, per connection)
 * libp2p and the overlay load lazily, so the node-process reference does not pay for them.
 */
import net from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, onCleanup, nowNs, settledMemory, attempts, assertLoopback } from '../lib/worker.ts'
import type { OverlayNode } from '../lib/overlay.ts'

const nodes: Libp2p[] = []
const sockets = new Set<net.Socket>()
let server: net.Server | undefined
let countConnections = (): number => 0
let hub: OverlayNode | undefined
const hubCount = { sessions: 0, present: 0, rejected: 0 } // O(1) per event
let hubChanged = (): void => {}

onCleanup(async () => {
  for (const s of sockets) s.destroy()
  server?.close()
  await Promise.allSettled(nodes.map(async n => { await n.stop() }))
})

function track (s: net.Socket): void {
  sockets.add(s)
  s.on('close', () => sockets.delete(s))
  s.on('error', () => {})
}

async function bareNode (listen: boolean): Promise<Libp2p> {
  const { createBareNode } = await import('../lib/libp2p.ts')
  const node = await createBareNode(listen)
  nodes.push(node)
  return node
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'idle':
      if (msg.kind === 'libp2p') await bareNode(true)
      else if (msg.kind === 'overlay') await (await import('../lib/overlay.ts')).startBenchNode({ mode: 'peer' })
      await sleep(500)
      return reply({ type: 'idle', mem: await settledMemory() })
    case 'hold': {
      if (msg.kind === 'raw-tcp') {
        server = net.createServer({ noDelay: true }, track)
        server.listen(0, '127.0.0.1', 1024)
        await once(server, 'listening')
        countConnections = () => sockets.size
        return reply({ type: 'holding', port: (server.address() as net.AddressInfo).port })
      }
      const { loopbackAddr } = await import('../lib/libp2p.ts')
      if (msg.kind === 'overlay') {
        const h = hub = await (await import('../lib/overlay.ts')).startBenchNode({ mode: 'hub', name: 'hub' })
        h.addEventListener('rejected', () => { hubCount.rejected++ })
        h.addEventListener('session', (evt) => { hubCount.sessions += evt.detail.action === 'open' ? 1 : -1; hubChanged() })
        h.addEventListener('joined', () => { hubCount.present++; hubChanged() })
        h.addEventListener('left', () => { hubCount.present--; hubChanged() })
        countConnections = () => h.sessions().length
        return reply({ type: 'holding', addr: loopbackAddr(h) })
      }
      const node = await bareNode(true)
      countConnections = () => node.getConnections().length
      return reply({ type: 'holding', addr: loopbackAddr(node) })
    }
    case 'measure':
      return reply({ type: 'measured', mem: await settledMemory(Math.min(1000, Number(msg.pauseMs ?? 200))), connections: countConnections() })
    case 'wait-sessions': {
      const h = hub
      if (h === undefined) throw new Error('no overlay hub here')
      const count = Number(msg.count)
      const reachedNs = await new Promise<bigint | null>((resolve) => {
        const timer = setTimeout(() => { hubChanged = () => {}; resolve(null) }, Number(msg.timeoutMs ?? 60_000))
        hubChanged = () => {
          if (hubCount.sessions < count || hubCount.present < count) return
          const t = nowNs()
          clearTimeout(timer)
          hubChanged = () => {}
          resolve(t)
        }
        hubChanged()
      })
      const present = h.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')).length
      return reply({ type: 'sessions-reached', reachedNs: reachedNs === null ? null : String(reachedNs), sessions: h.sessions().length, present, rejected: hubCount.rejected })
    }
    case 'connect': {
      const count = Number(msg.count)
      const concurrency = Number(msg.concurrency ?? 16)
      if (msg.kind === 'raw-tcp') {
        return reply({ type: 'connected', ...await attempts(count, concurrency, async () => { const s = net.connect({ host: '127.0.0.1', port: Number(msg.port), noDelay: true }); track(s); await once(s, 'connect') }) })
      }
      assertLoopback(String(msg.addr))
      const { multiaddr } = await import('@multiformats/multiaddr')
      const ma = multiaddr(String(msg.addr))
      return reply({ type: 'connected', ...await attempts(count, concurrency, async () => { await (await bareNode(false)).dial(ma, { signal: AbortSignal.timeout(20_000) }) }) })
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
