/**
 * Hosts several overlay peer nodes in one process (the overlay counterpart of
 * gossip-host.ts), for the broadcast and membership figures. Default mesh
 * timings and limits; names are `n<index>`. Commands:
 *   create  {indices, bootstrap?, defer?} -> created {addrs}
 *        creates (and unless `defer`, starts) one node per index;
 *        `bootstrap` = addresses every node here bootstraps to
 *   start                              -> started {t0Ns, addrs}  (deferred nodes; t0 = just before start())
 *   connect {edges, addrs}             -> connected {ok, failed, firstError}
 *        for every edge [a, b] whose a lives here: a.openSession(addr of b)
 *   status                             -> status {nodes: [{index, degree, sessions, present, suspect}]}
 *   counters                           -> counters {delivered, duplicate, forged, stale, malformed, hopLimit, relayed, control}
 *        summed over this process's nodes (node.stats()), cpuUs (this process's CPU time) and heapUsed
 *   plan / publish / receipts          as gossip-host.ts; the text carries "<seq> <hrtimeNs> " padded to `size`
 *   watch   {name}                     -> watching; then asynchronously `all-seen {name, kind, lastNs, firstNs}`
 *        once every node here emitted `kind` ('joined', 'failed') for member `name`
 *   events                             -> events {false: {suspect, failed, left}, byKind}
 *        suspect/failed/left events about members other than the watched one since the last watch/reset
 *   reset                              -> reset  (clears the false-event counters)
 */
import { multiaddr } from '@multiformats/multiaddr'
import { runWorker, nowNs } from '../lib/worker.ts'
import { createBenchNode, overlayAddr, assertLoopbackAddr } from '../lib/overlay.ts'
import type { OverlayNode } from '../lib/overlay.ts'

const nodes = new Map<number, OverlayNode>()
const receipts: number[][] = []
let publishers: number[] = []
const localCount = new Map<number, number>()
let watched = ''
const seen = new Map<string, Map<number, bigint>>() // kind -> node index -> first time
const falseEvents = { suspect: 0, failed: 0, left: 0 }
const eventNames: Record<string, number> = {}

type Reply = (m: { type: string, [k: string]: unknown }) => void

function track (index: number, node: OverlayNode, reply: Reply): void {
  node.addEventListener('message', (evt) => {
    const t = nowNs()
    const text = evt.detail.text
    const a = text.indexOf(' ')
    const b = text.indexOf(' ', a + 1)
    if (a < 0 || b < 0) return
    const seq = Number(text.slice(0, a))
    const sent = BigInt(text.slice(a + 1, b))
    receipts.push([seq, index, Number(t - sent) / 1000])
    const c = (localCount.get(seq) ?? 0) + 1
    localCount.set(seq, c)
    const pub = publishers[seq]
    if (c === nodes.size - (pub != null && nodes.has(pub) ? 1 : 0)) reply({ type: 'local-done', seq })
  })
  for (const kind of ['joined', 'suspect', 'failed', 'left'] as const) {
    node.addEventListener(kind, (evt) => {
      const t = nowNs()
      const name = evt.detail.name
      eventNames[kind] = (eventNames[kind] ?? 0) + 1
      if (name !== watched) {
        if (kind !== 'joined') falseEvents[kind]++
        return
      }
      const m = seen.get(kind) ?? new Map<number, bigint>()
      seen.set(kind, m)
      if (m.has(index)) return
      m.set(index, t)
      if (m.size === nodes.size) {
        const times = [...m.values()]
        const max = times.reduce((x, y) => x > y ? x : y)
        const min = times.reduce((x, y) => x < y ? x : y)
        reply({ type: 'all-seen', name, kind, lastNs: String(max), firstNs: String(min) })
      }
    })
  }
}

function addrs (): Record<number, string> {
  const out: Record<number, string> = {}
  for (const [i, n] of nodes) out[i] = overlayAddr(n)
  return out
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'create': {
      const bootstrap = (msg.bootstrap as string[] | undefined) ?? []
      for (const index of msg.indices as number[]) {
        const node = await createBenchNode({ mode: 'peer', name: `n${index}`, bootstrap })
        track(index, node, reply)
        nodes.set(index, node)
        if (msg.defer !== true) await node.start()
      }
      reply({ type: 'created', addrs: msg.defer === true ? {} : addrs() })
      break
    }
    case 'start': {
      const t0 = nowNs()
      await Promise.all([...nodes.values()].map(async n => { await n.start() }))
      reply({ type: 'started', t0Ns: String(t0), addrs: addrs() })
      break
    }
    case 'connect': {
      const edges = msg.edges as Array<[number, number]>
      const all = msg.addrs as Record<string, string>
      const mine = edges.filter(([a]) => nodes.has(a))
      let ok = 0
      let failed = 0
      let firstError: string | undefined
      let next = 0
      const lanes = Array.from({ length: Math.min(16, mine.length) }, async () => {
        while (next < mine.length) {
          const [a, b] = mine[next++] as [number, number]
          try {
            const target = all[String(b)]
            if (target == null) throw new Error(`no address for node ${b}`)
            assertLoopbackAddr(target)
            await nodes.get(a)?.openSession(multiaddr(target), AbortSignal.timeout(20_000))
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
        const ms = n.members().filter(m => !m.self)
        return { index, degree: n.config.mesh.degree, sessions: n.sessions().length, present: ms.filter(m => m.state === 'alive' || m.state === 'suspect').length, suspect: ms.filter(m => m.state === 'suspect').length }
      })
      reply({ type: 'status', nodes: out })
      break
    }
    case 'counters': {
      const sum = { delivered: 0, duplicate: 0, forged: 0, stale: 0, malformed: 0, hopLimit: 0, relayed: 0, control: 0 }
      for (const n of nodes.values()) {
        const s = n.stats()
        for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += s[k]
      }
      const cpu = process.cpuUsage()
      reply({ type: 'counters', ...sum, cpuUs: cpu.user + cpu.system, heapUsed: process.memoryUsage().heapUsed })
      break
    }
    case 'plan': {
      publishers = msg.publishers as number[]
      localCount.clear()
      reply({ type: 'planned' })
      break
    }
    case 'publish': {
      const seq = Number(msg.seq)
      const node = nodes.get(Number(msg.index))
      if (node == null) throw new Error(`node ${String(msg.index)} is not hosted here`)
      const head = `${seq} ${nowNs()} `
      const text = head.padEnd(Math.max(Number(msg.size), head.length), 'x')
      try {
        await node.send(text)
        reply({ type: 'published', seq })
      } catch (err) {
        reply({ type: 'published', seq, error: String(err) })
      }
      break
    }
    case 'receipts': {
      reply({ type: 'receipts', rows: receipts.splice(0) })
      break
    }
    case 'watch': {
      watched = String(msg.name)
      seen.clear()
      reply({ type: 'watching' })
      break
    }
    case 'events': {
      reply({ type: 'events', false: { ...falseEvents }, byKind: { ...eventNames } })
      break
    }
    case 'reset': {
      falseEvents.suspect = 0; falseEvents.failed = 0; falseEvents.left = 0
      reply({ type: 'reset' })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
