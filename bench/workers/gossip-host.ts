/**
 * Hosts several gossipsub nodes in one process (lib/gossip.ts). Commands, besides lib/host.ts's:
 *   create {indices}         -> created {addrs: {index: multiaddr}}
 *   status                   -> status {nodes: [{index, subscribers, mesh, connections}]}
 *   counters                 -> counters {rpc, msg, ihave, iwant, graft, prune, idontwant, bytes, cpuUs}
 *   publish {index, seq, size} -> published {seq, recipients, error?}
 * The publisher writes its monotonic clock into bytes 4..11 of the payload just before publish().
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, nowNs, onCleanup } from '../lib/worker.ts'
import { loopbackAddr } from '../lib/libp2p.ts'
import { createGossipNode, CountingRegister, BENCH_TOPIC } from '../lib/gossip.ts'
import type { GossipServices } from '../lib/gossip.ts'
import { meshHost } from '../lib/host.ts'

const register = new CountingRegister()
const nodes = new Map<number, Libp2p<GossipServices>>()
const host = meshHost(nodes, async (a, addr) => await nodes.get(a)?.dial(multiaddr(addr), { signal: AbortSignal.timeout(20_000) }), 8)
onCleanup(async () => { await Promise.allSettled([...nodes.values()].map(async n => { await n.stop() })) })

runWorker(async (msg, reply) => {
  if (await host.handle(msg)) return
  switch (msg.type) {
    case 'create': {
      const addrs: Record<number, string> = {}
      for (const index of msg.indices as number[]) {
        const node = await createGossipNode(register)
        node.services.pubsub.subscribe(BENCH_TOPIC)
        node.services.pubsub.addEventListener('message', (evt) => {
          const t = nowNs()
          const m = evt.detail
          if (m.topic !== BENCH_TOPIC || m.data.length < 12) return
          const dv = new DataView(m.data.buffer, m.data.byteOffset, m.data.byteLength)
          host.received(dv.getUint32(0), index, dv.getBigUint64(4), t)
        })
        nodes.set(index, node)
        addrs[index] = loopbackAddr(node)
      }
      return reply({ type: 'created', addrs })
    }
    case 'status': {
      // getMeshPeers exists on the implementation class, not on the exported interface
      const meshOf = (n: Libp2p<GossipServices>): number => (n.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(BENCH_TOPIC).length
      return reply({ type: 'status', nodes: [...nodes].map(([index, n]) => ({ index, subscribers: n.services.pubsub.getSubscribers(BENCH_TOPIC).length, mesh: meshOf(n), connections: n.getConnections().length })) })
    }
    case 'counters': {
      const names = ['count', 'message', 'ihave', 'iwant', 'graft', 'prune', 'idontwant', 'bytes'] as const
      const c = Object.fromEntries(names.map(s => [s === 'count' ? 'rpc' : s === 'message' ? 'msg' : s, register.get(`gossipsub_rpc_sent_${s}_total`)]))
      const cpu = process.cpuUsage()
      return reply({ type: 'counters', ...c, cpuUs: cpu.user + cpu.system })
    }
    case 'publish': {
      const seq = Number(msg.seq)
      const node = nodes.get(Number(msg.index))
      if (node == null) throw new Error(`node ${String(msg.index)} is not hosted here`)
      const data = new Uint8Array(Math.max(12, Number(msg.size)))
      for (let i = 12; i < data.length; i++) data[i] = (seq + i) & 0xff
      const dv = new DataView(data.buffer)
      dv.setUint32(0, seq)
      dv.setBigUint64(4, nowNs())
      try {
        reply({ type: 'published', seq, recipients: (await node.services.pubsub.publish(BENCH_TOPIC, data)).recipients.length })
      } catch (err) {
        reply({ type: 'published', seq, recipients: 0, error: String(err) })
      }
      return
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
