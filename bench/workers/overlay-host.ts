/**
 * Hosts several overlay peers (default mesh timings, names `n<index>`) in one process, the
 * overlay counterpart of gossip-host.ts, for the broadcast, membership and soak figures.
 * Commands, besides lib/host.ts's (connect: a.openSession(b)):
 *   create {indices, bootstrap?, defer?} -> created {addrs}   (starts them unless `defer`)
 *   start                                -> started {t0Ns, addrs}   (t0 = just before start())
 *   status                               -> status {nodes: [{index, degree, sessions, present, suspect}]}
 *   counters   -> counters {delivered, duplicate, forged, stale, malformed, hopLimit, relayed, control, cpuUs, heapUsed}
 *   publish {index, seq, size}           -> published {seq, error?}; the text is "<seq> <hrtimeNs> " padded
 *   watch {name}  -> watching; later `all-seen {name, kind, lastNs, firstNs}` once every node here emitted `kind` for it
 *   events        -> events {false: {suspect, failed, left}, byKind}: about members other than the watched one
 *   reset         -> reset (clears the false-event counters)
 */
import { multiaddr } from '@multiformats/multiaddr'
import { runWorker, nowNs } from '../lib/worker.ts'
import { createBenchNode } from '../lib/overlay.ts'
import { loopbackAddr } from '../lib/libp2p.ts'
import type { OverlayNode } from '../lib/overlay.ts'
import { meshHost } from '../lib/host.ts'
import type { Reply } from '../lib/worker.ts'

const nodes = new Map<number, OverlayNode>()
const host = meshHost(nodes, async (a, addr) => await nodes.get(a)?.openSession(multiaddr(addr), AbortSignal.timeout(20_000)), 16)
let watched = ''
const seen = new Map<string, Map<number, bigint>>() // kind -> node index -> first time
const falseEvents = { suspect: 0, failed: 0, left: 0 }
const byKind: Record<string, number> = {}

function track (index: number, node: OverlayNode, reply: Reply): void {
  node.addEventListener('message', (evt) => {
    const t = nowNs()
    const [seq, sent] = evt.detail.text.split(' ', 2)
    if (seq !== undefined && sent !== undefined) host.received(Number(seq), index, BigInt(sent), t)
  })
  for (const kind of ['joined', 'suspect', 'failed', 'left'] as const) {
    node.addEventListener(kind, (evt) => {
      const t = nowNs()
      byKind[kind] = (byKind[kind] ?? 0) + 1
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
}

const addrs = (): Record<number, string> => Object.fromEntries([...nodes].map(([i, n]) => [i, loopbackAddr(n)]))

runWorker(async (msg, reply) => {
  if (await host.handle(msg)) return
  switch (msg.type) {
    case 'create': {
      for (const index of msg.indices as number[]) {
        const node = await createBenchNode({ mode: 'peer', name: `n${index}`, bootstrap: (msg.bootstrap as string[] | undefined) ?? [] })
        track(index, node, reply)
        nodes.set(index, node)
        if (msg.defer !== true) await node.start()
      }
      return reply({ type: 'created', addrs: msg.defer === true ? {} : addrs() })
    }
    case 'start': {
      const t0 = nowNs()
      await Promise.all([...nodes.values()].map(async n => { await n.start() }))
      return reply({ type: 'started', t0Ns: String(t0), addrs: addrs() })
    }
    case 'status':
      return reply({
        type: 'status',
        nodes: [...nodes].map(([index, n]) => {
          const ms = n.members().filter(m => !m.self)
          return { index, degree: n.config.mesh.degree, sessions: n.sessions().length, present: ms.filter(m => m.state === 'alive' || m.state === 'suspect').length, suspect: ms.filter(m => m.state === 'suspect').length }
        })
      })
    case 'counters': {
      const sum = { delivered: 0, duplicate: 0, forged: 0, stale: 0, malformed: 0, hopLimit: 0, relayed: 0, control: 0 }
      for (const n of nodes.values()) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += n.stats()[k]
      const cpu = process.cpuUsage()
      return reply({ type: 'counters', ...sum, cpuUs: cpu.user + cpu.system, heapUsed: process.memoryUsage().heapUsed })
    }
    case 'publish': {
      const seq = Number(msg.seq)
      const node = nodes.get(Number(msg.index))
      if (node == null) throw new Error(`node ${String(msg.index)} is not hosted here`)
      const head = `${seq} ${nowNs()} `
      try {
        await node.send(head.padEnd(Math.max(Number(msg.size), head.length), 'x'))
        reply({ type: 'published', seq })
      } catch (err) {
        reply({ type: 'published', seq, error: String(err) })
      }
      return
    }
    case 'watch':
      watched = String(msg.name)
      seen.clear()
      return reply({ type: 'watching' })
    case 'events':
      return reply({ type: 'events', false: { ...falseEvents }, byKind: { ...byKind } })
    case 'reset':
      Object.assign(falseEvents, { suspect: 0, failed: 0, left: 0 })
      return reply({ type: 'reset' })
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
