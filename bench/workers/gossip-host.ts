/**
 * Hosts several gossipsub nodes (libp2p + identify + gossipsub, default
 * gossipsub parameters) in one process. Commands:
 *   create  {indices}                 -> created {addrs: {index: multiaddr}}
 *   connect {edges, addrs}            -> connected {ok, failed, firstError}
 *        dials every edge [a, b] whose dialer a lives here (a dials b)
 *   status                            -> status {nodes: [{index, subscribers, mesh, connections}]}
 *   counters                          -> counters {rpc, msg, ihave, iwant, graft, prune, idontwant, bytes, cpuUs}
 *        (cpuUs = this process's user + system CPU time so far)
 *   plan    {publishers}              -> planned   (publisher of each seq, for 'local-done')
 *   publish {index, seq, size}        -> published {seq, recipients, error?}
 *      and, asynchronously, local-done {seq} once every node of this process
 *      except the publisher has received broadcast seq
 *   receipts                          -> receipts {rows: [[seq, index, latencyUs], ...]}
 *
 * Latency: the publisher writes process.hrtime.bigint() (CLOCK_MONOTONIC on
 * Linux, one clock for all processes on the machine) into bytes 4..11 of the
 * payload immediately before publish(); a receiver subtracts it from its own
 * hrtime at the start of its 'message' handler.
 * Frames: one CountingRegister per process (summed over its nodes) counts
 * the RPCs gossipsub pushes on outbound streams (see lib/gossip.ts).
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { runWorker, nowNs, onCleanup } from '../lib/worker.ts'
import { loopbackAddr, assertLoopback } from '../lib/libp2p.ts'
import { createGossipNode, CountingRegister, BENCH_TOPIC } from '../lib/gossip.ts'
import type { GossipServices } from '../lib/gossip.ts'

const register = new CountingRegister()
const nodes = new Map<number, Libp2p<GossipServices>>()
const receipts: number[][] = []
let publishers: number[] = []
const localCount = new Map<number, number>()

onCleanup(async () => {
  await Promise.allSettled([...nodes.values()].map(async n => { await n.stop() }))
})

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'create': {
      const indices = msg.indices as number[]
      const addrs: Record<number, string> = {}
      for (const index of indices) {
        const node = await createGossipNode(register)
        const ps = node.services.pubsub
        ps.subscribe(BENCH_TOPIC)
        ps.addEventListener('message', (evt) => {
          const t = nowNs()
          const m = evt.detail
          if (m.topic !== BENCH_TOPIC || m.data.length < 12) return
          const dv = new DataView(m.data.buffer, m.data.byteOffset, m.data.byteLength)
          const seq = dv.getUint32(0)
          const sent = dv.getBigUint64(4)
          receipts.push([seq, index, Number(t - sent) / 1000])
          // tell the driver once every local node (except a local publisher) has it
          const c = (localCount.get(seq) ?? 0) + 1
          localCount.set(seq, c)
          const pub = publishers[seq]
          const expected = nodes.size - (pub != null && nodes.has(pub) ? 1 : 0)
          if (c === expected) reply({ type: 'local-done', seq })
        })
        nodes.set(index, node)
        addrs[index] = loopbackAddr(node)
      }
      reply({ type: 'created', addrs })
      break
    }
    case 'connect': {
      const edges = msg.edges as Array<[number, number]>
      const addrs = msg.addrs as Record<string, string>
      const mine = edges.filter(([a]) => nodes.has(a))
      let ok = 0
      let failed = 0
      let firstError: string | undefined
      let next = 0
      const lanes = Array.from({ length: Math.min(8, mine.length) }, async () => {
        while (next < mine.length) {
          const [a, b] = mine[next++] as [number, number]
          const target = addrs[String(b)]
          try {
            if (target == null) throw new Error(`no address for node ${b}`)
            assertLoopback(target)
            await nodes.get(a)?.dial(multiaddr(target), { signal: AbortSignal.timeout(20_000) })
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
    case 'status': {
      const out = [...nodes.entries()].map(([index, n]) => {
        // getMeshPeers and the stream maps exist on the implementation class, not on the exported interface
        const impl = n.services.pubsub as unknown as { getMeshPeers: (t: string) => string[], streamsOutbound?: Map<string, unknown>, streamsInbound?: Map<string, unknown> }
        return {
          index,
          subscribers: n.services.pubsub.getSubscribers(BENCH_TOPIC).length,
          mesh: impl.getMeshPeers(BENCH_TOPIC).length,
          connections: n.getConnections().length,
          outboundStreams: impl.streamsOutbound?.size ?? -1,
          inboundStreams: impl.streamsInbound?.size ?? -1
        }
      })
      reply({ type: 'status', nodes: out })
      break
    }
    case 'counters': {
      const g = (s: string): number => register.get(`gossipsub_rpc_sent_${s}`)
      reply({
        type: 'counters',
        rpc: g('count_total'),
        msg: g('message_total'),
        ihave: g('ihave_total'),
        iwant: g('iwant_total'),
        graft: g('graft_total'),
        prune: g('prune_total'),
        idontwant: g('idontwant_total'),
        bytes: g('bytes_total'),
        cpuUs: (({ user, system }) => user + system)(process.cpuUsage())
      })
      break
    }
    case 'plan': {
      publishers = msg.publishers as number[]
      localCount.clear()
      reply({ type: 'planned' })
      break
    }
    case 'publish': {
      const index = Number(msg.index)
      const seq = Number(msg.seq)
      const size = Math.max(12, Number(msg.size))
      const node = nodes.get(index)
      if (node == null) throw new Error(`node ${index} is not hosted here`)
      const data = new Uint8Array(size)
      for (let i = 12; i < size; i++) data[i] = (seq + i) & 0xff
      const dv = new DataView(data.buffer)
      dv.setUint32(0, seq)
      dv.setBigUint64(4, nowNs())
      try {
        const res = await node.services.pubsub.publish(BENCH_TOPIC, data)
        reply({ type: 'published', seq, recipients: res.recipients.length })
      } catch (err) {
        reply({ type: 'published', seq, recipients: 0, error: String(err) })
      }
      break
    }
    case 'receipts': {
      reply({ type: 'receipts', rows: receipts.splice(0) })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
