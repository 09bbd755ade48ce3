/**
 * Nodes of one side (gossipsub or overlay) in one process. A payload carries its seq and the publisher's
 * clock; `local-done`: every node here but the publisher has it; `all-seen`: all saw a member event.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, nowNs, attempts, reply } from '../lib/worker.ts'
import { loopbackAddr, loopbackMultiaddr } from '../lib/libp2p.ts'
import type { GossipServices } from '../lib/gossip.ts'
import type { OverlayNode } from '../lib/overlay.ts'

interface Node { start: () => Promise<void> | void, getMultiaddrs: () => Array<{ toString: () => string }> }
/** A side's calls get the node itself; methods, so a side of a narrower node type is still a Side. */
interface Side<N extends Node = Node> {
  create (index: number, bootstrap: string[]): Promise<N>, dial (node: N, addr: Multiaddr): Promise<unknown>
  publish (node: N, seq: number, size: number): Promise<unknown>, status (node: N): Record<string, number>, counters (nodes: N[]): Record<string, number>
}

const nodes = new Map<number, Node>() // stopped at exit by the modules that made them
const rows: number[][] = []
const perSeq = new Map<number, number>()
let publishers: number[] = []
let watched = ''
const seen = new Map<string, Map<number, bigint>>() // kind -> node index -> first time
const falseEvents = { suspect: 0, failed: 0, left: 0 }
let side: Side | undefined
let concurrency = 16

/** `atNs`: taken first thing in the receiver's handler. */
function received (seq: number, index: number, sentNs: bigint, atNs: bigint): void {
  rows.push([seq, index, Number(atNs - sentNs) / 1000])
  perSeq.set(seq, (perSeq.get(seq) ?? 0) + 1)
  const pub = publishers[seq]
  if (perSeq.get(seq) === nodes.size - (pub !== undefined && nodes.has(pub) ? 1 : 0)) reply({ type: 'local-done', seq })
}

const dialLibp2p = async (node: Libp2p, addr: Multiaddr): Promise<unknown> => await node.dial(addr, { signal: AbortSignal.timeout(20_000) })

// each side loads its own modules only
async function gossipsubSide (): Promise<Side<Libp2p<GossipServices>>> {
  const { createGossipNode, CountingRegister, BENCH_TOPIC } = await import('../lib/gossip.ts')
  const register = new CountingRegister()
  return {
    async create (index) {
      const node = await createGossipNode(register)
      node.services.pubsub.subscribe(BENCH_TOPIC)
      node.services.pubsub.addEventListener('message', (evt) => {
        const t = nowNs()
        const { topic, data } = evt.detail
        if (topic !== BENCH_TOPIC || data.length < 12) return
        const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
        received(dv.getUint32(0), index, dv.getBigUint64(4), t)
      })
      return node
    },
    dial: dialLibp2p,
    status (node) {
      // getMeshPeers exists on the implementation class, not on the exported interface
      const ps = node.services.pubsub as unknown as { getSubscribers: (t: string) => unknown[], getMeshPeers: (t: string) => unknown[] }
      return { subscribers: ps.getSubscribers(BENCH_TOPIC).length, mesh: ps.getMeshPeers(BENCH_TOPIC).length }
    },
    counters: () => Object.fromEntries(['rpc:count', 'msg:message', 'ihave', 'iwant', 'graft', 'prune', 'idontwant', 'bytes'].map(k => [k.split(':')[0], register.get(`gossipsub_rpc_sent_${k.split(':').at(-1) ?? k}_total`)])),
    async publish (node, seq, size) {
      const data = new Uint8Array(Math.max(12, size)).map((_, i) => (seq + i) & 0xff)
      const dv = new DataView(data.buffer)
      dv.setUint32(0, seq)
      dv.setBigUint64(4, nowNs())
      return (await node.services.pubsub.publish(BENCH_TOPIC, data)).recipients.length
    }
  }
}

async function overlaySide (): Promise<Side<OverlayNode>> {
  const { createBenchNode } = await import('../lib/overlay.ts')
  return {
    async create (index, bootstrap) {
      const node = await createBenchNode({ mode: 'peer', name: `n${index}`, bootstrap })
      node.addEventListener('message', (evt) => {
        const t = nowNs()
        const [seq, sent] = evt.detail.text.split(' ', 2)
        if (seq !== undefined && sent !== undefined) received(Number(seq), index, BigInt(sent), t)
      })
      for (const kind of ['joined', 'suspect', 'failed', 'left'] as const) {
        node.addEventListener(kind, (evt) => {
          const t = nowNs()
          if (evt.detail.name !== watched) { if (kind !== 'joined') falseEvents[kind]++; return }
          const m = seen.get(kind) ?? new Map<number, bigint>()
          seen.set(kind, m)
          if (m.has(index)) return
          m.set(index, t)
          if (m.size !== nodes.size) return
          const times = [...m.values()]
          reply({ type: 'all-seen', name: watched, kind, lastNs: String(times.reduce((x, y) => x > y ? x : y)), firstNs: String(times.reduce((x, y) => x < y ? x : y)) })
        })
      }
      return node
    },
    dial: async (node, addr) => await node.openSession(addr, AbortSignal.timeout(20_000)),
    status (n) {
      const ms = n.members().filter(m => !m.self)
      return { degree: n.config.mesh.degree, sessions: n.sessions().length, present: ms.filter(m => m.state === 'alive' || m.state === 'suspect').length, suspect: ms.filter(m => m.state === 'suspect').length }
    },
    counters (all) {
      const sum = { delivered: 0, duplicate: 0, forged: 0, stale: 0, malformed: 0, hopLimit: 0, relayed: 0, control: 0, probes: 0, syncs: 0 }
      for (const n of all) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += n.stats()[k]
      return sum
    },
    async publish (node, seq, size) {
      const head = `${seq} ${nowNs()} `
      await node.send(head.padEnd(Math.max(size, head.length), 'x'))
    }
  }
}

/** Bare libp2p (TCP + Noise + yamux, default connection monitor): the idle figure's baseline. */
async function bareSide (): Promise<Side<Libp2p>> {
  const { createBareNode } = await import('../lib/libp2p.ts')
  return {
    create: async () => await createBareNode(),
    dial: dialLibp2p,
    status: (n) => ({ connections: n.getConnections().length }),
    counters: () => ({}),
    publish: async () => { throw new Error('bare libp2p nodes only idle') }
  }
}

const addrs = (): Record<number, string> => Object.fromEntries([...nodes].map(([i, n]) => [i, loopbackAddr(n)]))

runWorker(async (msg) => {
  if (msg.type === 'side') {
    [side, concurrency] = msg.side === 'gossipsub' ? [await gossipsubSide(), 8] : msg.side === 'libp2p' ? [await bareSide(), 16] : [await overlaySide(), 16]
    return reply({ type: 'side' })
  }
  const s = side
  if (s === undefined) throw new Error('no side chosen')
  switch (msg.type) {
    case 'create':
      for (const index of msg.indices as number[]) {
        const node = await s.create(index, (msg.bootstrap as string[] | undefined) ?? [])
        nodes.set(index, node)
        if (msg.defer !== true) await node.start()
      }
      return reply({ type: 'created', addrs: msg.defer === true ? {} : addrs() })
    case 'start': {
      const t0 = nowNs()
      await Promise.all([...nodes.values()].map(async n => { await n.start() }))
      return reply({ type: 'started', t0Ns: String(t0), addrs: addrs() })
    }
    case 'connect': {
      const all = msg.addrs as Record<string, string>
      const mine = (msg.edges as Array<[number, number]>).filter(([a]) => nodes.has(a))
      return reply({
        type: 'connected',
        ...await attempts(mine.length, concurrency, async (i) => {
          const [a, b] = mine[i] as [number, number]
          const addr = all[String(b)]
          if (addr === undefined) throw new Error(`no address for node ${b}`)
          await s.dial(nodes.get(a) as Node, loopbackMultiaddr(addr))
        })
      })
    }
    case 'status':
      return reply({ type: 'status', nodes: [...nodes].map(([index, n]) => ({ index, ...s.status(n) })) })
    case 'counters': {
      const cpu = process.cpuUsage()
      return reply({ type: 'counters', ...s.counters([...nodes.values()]), cpuUs: cpu.user + cpu.system, heapUsed: process.memoryUsage().heapUsed })
    }
    case 'plan':
      publishers = msg.publishers as number[]
      perSeq.clear()
      return reply({ type: 'planned' })
    case 'publish': {
      const [node, seq] = [nodes.get(Number(msg.index)), Number(msg.seq)]
      if (node === undefined) throw new Error(`node ${String(msg.index)} is not hosted here`)
      try {
        return reply({ type: 'published', seq, recipients: await s.publish(node, seq, Number(msg.size)) })
      } catch (err) {
        return reply({ type: 'published', seq, error: String(err) })
      }
    }
    case 'receipts':
      return reply({ type: 'receipts', rows: rows.splice(0) })
    case 'watch':
      watched = String(msg.name)
      seen.clear()
      return reply({ type: 'watching' })
    case 'events':
      return reply({ type: 'events', false: { ...falseEvents } })
    case 'reset':
      Object.assign(falseEvents, { suspect: 0, failed: 0, left: 0 })
      return reply({ type: 'reset' })
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
