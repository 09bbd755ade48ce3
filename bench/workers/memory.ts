/**
 * Memory worker. Roles:
 *   idle   {kind:'node-process'|'libp2p'|'overlay'} -> idle {mem}
 *       node-process: this worker with nothing else loaded (reference);
 *       libp2p: + one started bare libp2p node listening on 127.0.0.1;
 *       overlay: + one started createOverlayNode peer (loopback, no sessions).
 *   hold   {kind:'raw-tcp'|'libp2p'|'overlay'}      -> holding {port|addr}
 *       a listener that accepts connections and keeps them open
 *       (overlay: a hub; its "connections" are its sessions).
 *   measure                               -> measured {mem, connections}
 *   heap-snapshot {file}                  -> snapshot {file}   (after 3 x gc(); v8.writeHeapSnapshot)
 *   wait-sessions {count, timeoutMs}      -> sessions-reached {reachedNs|null, sessions, present, rejected}
 *       overlay hub: resolves when it lists `count` sessions and `count`
 *       present members (counted from its 'session', 'joined' and 'left' events)
 *   connect {kind, port|addr, count, concurrency} -> connected {ok, failed}
 *       dialer side: opens `count` connections to the listener and keeps
 *       them open until exit. libp2p: one fresh bare node (own peer id) per
 *       connection, so the listener sees `count` distinct peers.
 * libp2p modules are imported lazily so the node-process reference does not
 * pay for them. Memory is read after gc() (the parent starts measuring
 * processes with --expose-gc).
 */
import net from 'node:net'
import v8 from 'node:v8'
import { once } from 'node:events'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, onCleanup, sleep, tryGc, nowNs } from '../lib/worker.ts'

interface Mem { rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number, gc: boolean }

/** Memory after three gc() calls `pauseMs` apart (finalizers and freed pages get a moment between them). */
async function settledMemory (pauseMs = 200): Promise<Mem> {
  let gc = false
  for (let i = 0; i < 3; i++) {
    gc = tryGc()
    await sleep(pauseMs)
  }
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gc }
}

const nodes: Libp2p[] = []
const sockets = new Set<net.Socket>()
let server: net.Server | undefined
let countConnections: () => number = () => 0
let hub: import('../lib/overlay.ts').OverlayNode | undefined
let hubRejected = 0
// O(1) per event: counted from 'session' open/close and 'joined'/'left' events
let hubSessions = 0
let hubPresent = 0
let hubChanged: () => void = () => {}

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

async function pool (n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ ok: number, failed: number, firstError?: string }> {
  let next = 0
  let ok = 0
  let failed = 0
  let firstError: string | undefined
  const lanes = Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++
      try { await fn(i); ok++ } catch (err) { failed++; firstError ??= String(err) }
    }
  })
  await Promise.all(lanes)
  return { ok, failed, firstError }
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'idle': {
      if (msg.kind === 'libp2p') {
        const { createBareNode } = await import('../lib/libp2p.ts')
        const node = await createBareNode({ listen: true })
        nodes.push(node)
      } else if (msg.kind === 'overlay') {
        const { startBenchNode } = await import('../lib/overlay.ts')
        await startBenchNode({ mode: 'peer' })
      }
      await sleep(500)
      reply({ type: 'idle', mem: await settledMemory() })
      break
    }
    case 'hold': {
      if (msg.kind === 'raw-tcp') {
        server = net.createServer({ noDelay: true }, (s) => { track(s) })
        server.listen(0, '127.0.0.1', 1024)
        await once(server, 'listening')
        countConnections = () => sockets.size
        reply({ type: 'holding', port: (server.address() as net.AddressInfo).port })
      } else if (msg.kind === 'overlay') {
        const { startBenchNode, overlayAddr } = await import('../lib/overlay.ts')
        const h = await startBenchNode({ mode: 'hub', name: 'hub' })
        h.addEventListener('rejected', () => { hubRejected++ })
        h.addEventListener('session', (evt) => { hubSessions += evt.detail.action === 'open' ? 1 : -1; hubChanged() })
        h.addEventListener('joined', () => { hubPresent++; hubChanged() })
        h.addEventListener('left', () => { hubPresent--; hubChanged() })
        hub = h
        countConnections = () => h.sessions().length
        reply({ type: 'holding', addr: overlayAddr(h) })
      } else {
        const { createBareNode, loopbackAddr } = await import('../lib/libp2p.ts')
        const node = await createBareNode({ listen: true })
        nodes.push(node)
        countConnections = () => node.getConnections().length
        reply({ type: 'holding', addr: loopbackAddr(node) })
      }
      break
    }
    case 'measure': {
      const mem = await settledMemory(Math.min(1000, Number(msg.pauseMs ?? 200)))
      reply({ type: 'measured', mem, connections: countConnections() })
      break
    }
    case 'heap-snapshot': {
      await settledMemory()
      reply({ type: 'snapshot', file: v8.writeHeapSnapshot(String(msg.file)) })
      break
    }
    case 'wait-sessions': {
      const h = hub
      if (h === undefined) throw new Error('no overlay hub here')
      const count = Number(msg.count)
      const reachedNs = await new Promise<bigint | null>((resolve) => {
        const timer = setTimeout(() => { hubChanged = () => {}; resolve(null) }, Number(msg.timeoutMs ?? 60_000))
        hubChanged = () => {
          if (hubSessions < count || hubPresent < count) return
          const t = nowNs()
          clearTimeout(timer)
          hubChanged = () => {}
          resolve(t)
        }
        hubChanged()
      })
      const present = h.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')).length
      reply({ type: 'sessions-reached', reachedNs: reachedNs === null ? null : String(reachedNs), sessions: h.sessions().length, present, rejected: hubRejected })
      break
    }
    case 'connect': {
      const count = Number(msg.count)
      const concurrency = Number(msg.concurrency ?? 16)
      let res
      if (msg.kind === 'raw-tcp') {
        const port = Number(msg.port)
        res = await pool(count, concurrency, async () => {
          const s = net.connect({ host: '127.0.0.1', port, noDelay: true })
          track(s)
          await once(s, 'connect')
        })
      } else {
        const { createBareNode, assertLoopback } = await import('../lib/libp2p.ts')
        const { multiaddr } = await import('@multiformats/multiaddr')
        const addr = String(msg.addr)
        assertLoopback(addr)
        const ma = multiaddr(addr)
        res = await pool(count, concurrency, async () => {
          const node = await createBareNode({ listen: false })
          nodes.push(node)
          await node.dial(ma, { signal: AbortSignal.timeout(20_000) })
        })
      }
      reply({ type: 'connected', ...res })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
