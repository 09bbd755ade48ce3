/** The memory and fan-in worker; libp2p and the overlay load lazily, so the node-process reference does not pay for them. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, reply, nowNs, settledMemory, attempts, connectTcp, listenTcp, trackedSockets } from '../lib/worker.ts'
import type { OverlayNode } from '../lib/overlay.ts'

const leaves: OverlayNode[] = []
let countConnections = (): number => 0
let hub: OverlayNode | undefined
const hubCount = { sessions: 0, present: 0, rejected: 0 } // O(1) per event
const outcome = { attempts: 0, failedAttempts: 0, errors: {} as Record<string, number> }

const bareNode = async (listen: boolean): Promise<Libp2p> => await (await import('../lib/libp2p.ts')).createBareNode(listen)

async function leaf (addr: string, name: string): Promise<OverlayNode> {
  const l = await (await import('../lib/overlay.ts')).createBenchNode({ mode: 'leaf', name, bootstrap: [addr] })
  l.addEventListener('bootstrap', ({ detail }) => {
    outcome.attempts++
    if (detail.ok) return
    outcome.failedAttempts++
    const why = (detail.error ?? '').slice(0, 60)
    outcome.errors[why] = (outcome.errors[why] ?? 0) + 1
  })
  leaves.push(l)
  return l
}

/** The listener of `hold`: a raw TCP server, a bare libp2p node or an overlay hub counting its sessions and members. */
async function hold (kind: unknown): Promise<{ port?: number, addr?: string }> {
  if (kind === 'raw-tcp') {
    countConnections = trackedSockets
    return { port: await listenTcp(() => {}, 1024) }
  }
  const { loopbackAddr } = await import('../lib/libp2p.ts')
  if (kind === 'overlay') {
    const h = hub = await (await import('../lib/overlay.ts')).startBenchNode({ mode: 'hub', name: 'hub' })
    h.addEventListener('rejected', () => { hubCount.rejected++ })
    h.addEventListener('session', (evt) => { hubCount.sessions += evt.detail.action === 'open' ? 1 : -1 })
    h.addEventListener('joined', () => { hubCount.present++ })
    h.addEventListener('left', () => { hubCount.present-- })
    countConnections = () => h.sessions().length
    return { addr: loopbackAddr(h) }
  }
  const node = await bareNode(true)
  countConnections = () => node.getConnections().length
  return { addr: loopbackAddr(node) }
}

/** One connection of `connect` to `msg`'s listener: a raw TCP socket, an overlay leaf with its session, or a bare libp2p dial. */
async function connector (msg: Record<string, unknown>): Promise<(i: number) => Promise<unknown>> {
  if (msg.kind === 'raw-tcp') return async () => await connectTcp(msg.port)
  if (msg.kind === 'overlay') { // createBenchNode refuses a bootstrap address that is not loopback
    const { waitFor } = await import('../../test/helpers/wait-for.ts')
    return async (i) => {
      const l = await leaf(String(msg.addr), `${String(msg.prefix)}${i}`)
      await l.start()
      await waitFor(() => l.sessions().length > 0, { timeout: 30_000, message: `leaf ${i} session` })
    }
  }
  const ma = (await import('../lib/libp2p.ts')).loopbackMultiaddr(msg.addr)
  return async () => await (await bareNode(false)).dial(ma, { signal: AbortSignal.timeout(20_000) })
}

runWorker(async (msg) => {
  switch (msg.type) {
    case 'idle':
      if (msg.kind === 'libp2p') await bareNode(true)
      else if (msg.kind === 'overlay') await (await import('../lib/overlay.ts')).startBenchNode({ mode: 'peer' })
      else if (msg.kind === 'overlay-api-off') await (await import('../lib/overlay.ts')).startBenchNode({ mode: 'peer', api: { listen: 'off' } })
      await sleep(500)
      return reply({ type: 'idle', mem: await settledMemory() })
    case 'hold':
      return reply({ type: 'holding', ...await hold(msg.kind) })
    case 'measure':
      return reply({ type: 'measured', mem: await settledMemory(Math.min(1000, Number(msg.pauseMs ?? 200))), connections: countConnections() })
    case 'wait-sessions': {
      const h = hub
      if (h === undefined) throw new Error('no overlay hub here')
      const { pEvent } = await import('p-event')
      const all = (): boolean => hubCount.sessions >= Number(msg.count) && hubCount.present >= Number(msg.count)
      // the hub's counting listeners were added first, so they have run when `all` is asked
      const reached = all() || await pEvent(h as any, ['session', 'joined'], { filter: all, timeout: Number(msg.timeoutMs ?? 60_000) }).then(() => true, () => false)
      const reachedNs = reached ? nowNs() : null
      const present = h.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')).length
      return reply({ type: 'sessions-reached', reachedNs: reachedNs === null ? null : String(reachedNs), sessions: h.sessions().length, present, rejected: hubCount.rejected })
    }
    case 'connect':
      return reply({ type: 'connected', ...await attempts(Number(msg.count), Number(msg.concurrency ?? 16), await connector(msg)) })
    case 'create':
      for (let i = 0; i < Number(msg.count); i++) await leaf(String(msg.addr), `${String(msg.prefix)}${i}`)
      return reply({ type: 'created', count: Number(msg.count) })
    case 'start': {
      const t0 = nowNs()
      await Promise.all(leaves.map(async l => { await l.start() }))
      return reply({ type: 'started', t0Ns: String(t0), ms: Number(nowNs() - t0) / 1e6 })
    }
    case 'stats':
      return reply({ type: 'stats', leaves: leaves.length, withSession: leaves.filter(l => l.sessions().length > 0).length, ...outcome })
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
