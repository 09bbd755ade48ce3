/**
 * Overlay worker for the pairwise figures (throughput, rtt, dial): a hub in
 * one process, a leaf in another (the original client/server shape), both
 * built with createOverlayNode. Commands (same names as bare-libp2p.ts):
 *   listen {}                             -> listening {addr, name}    (hub)
 *   expect {bytes, msgs}                  -> expecting; later, asynchronously,
 *        received {endNs, bytes, msgs} once that many 'message' events came in
 *   send   {addr, msgSize, count}         -> sent {t0Ns, loopNs, bytes, msgs}
 *        leaf: `await node.send(text)` count times (send() applies backpressure)
 *   rtt    {addr, name, size, warmupMs, warmupMin, count} -> rtt {us, warmup, wire}
 *        leaf: `await node.sendTo(name, text)` = MSG + the hub's ACK; afterwards, untimed,
 *        wire = the MSG's and the ACK's bytes in the stream (directFrameSizes)
 *   dial   {addr, warmupMs, warmupMin, count} -> dial {totalUs, connectUs, ...}
 *        a leaf (no listener, no bootstrap) calls node.openSession(addr):
 *        TCP + Noise + yamux + AUTH challenge/response/proof + JOIN both ways,
 *        resolved when the session is open; then node.libp2p.hangUp(addr).
 * The same pre-built text is sent every time, so string building is not timed.
 * limits.maxFrameBytes is 1 MiB on both ends: a 64 KiB text plus its envelope
 * (id, names, ts, hops) does not fit the 64 KiB default.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { runWorker, nowNs, warmUp } from '../lib/worker.ts'
import { latencySummary } from '../lib/stats.ts'
import { startBenchNode, overlayAddr, waitUntil, isMember, textOf, assertLoopbackAddr, directFrameSizes } from '../lib/overlay.ts'
import type { OverlayNode } from '../lib/overlay.ts'

const LIMITS = { maxFrameBytes: 1024 * 1024 }

let hub: OverlayNode | undefined
let leaf: OverlayNode | undefined
let expectation = { bytes: 0, msgs: 0 }
let got = { bytes: 0, msgs: 0 }
let done = true

/** The leaf for send/rtt: bootstraps to the hub and waits until the session is open and the hub is a member. */
async function leafFor (addr: string, hubName?: string): Promise<OverlayNode> {
  if (leaf === undefined) {
    assertLoopbackAddr(addr)
    leaf = await startBenchNode({ mode: 'leaf', name: `leaf-${process.pid}`, listen: [], bootstrap: [addr], limits: LIMITS })
  }
  const l = leaf
  await waitUntil(() => l.sessions().length > 0 && (hubName === undefined || isMember(l, hubName)), 15_000, 'leaf session with the hub')
  return l
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      hub = await startBenchNode({ mode: 'hub', name: `hub-${process.pid}`, limits: LIMITS })
      hub.addEventListener('message', (evt) => {
        if (done) return
        got.bytes += evt.detail.text.length // ASCII: characters = bytes
        got.msgs++
        if (got.msgs >= expectation.msgs) {
          done = true
          reply({ type: 'received', endNs: String(nowNs()), ...got })
        }
      })
      reply({ type: 'listening', addr: overlayAddr(hub), name: hub.name })
      break
    }
    case 'expect': {
      expectation = { bytes: Number(msg.bytes ?? 0), msgs: Number(msg.msgs ?? 0) }
      got = { bytes: 0, msgs: 0 }
      done = false
      reply({ type: 'expecting' })
      break
    }
    case 'send': {
      const node = await leafFor(String(msg.addr))
      const msgSize = Number(msg.msgSize)
      const count = Number(msg.count)
      const text = textOf(msgSize)
      const t0 = nowNs()
      for (let i = 0; i < count; i++) await node.send(text)
      const loopNs = Number(nowNs() - t0)
      reply({ type: 'sent', t0Ns: String(t0), loopNs, bytes: msgSize * count, msgs: count })
      break
    }
    case 'rtt': {
      const name = String(msg.name)
      const node = await leafFor(String(msg.addr), name)
      const count = Number(msg.count)
      const text = textOf(Number(msg.size))
      const samples = new Float64Array(count)
      const wu = await warmUp(async () => { await node.sendTo(name, text) }, { minIters: Number(msg.warmupMin ?? 0), minMs: Number(msg.warmupMs ?? 0), maxIters: 200_000 })
      for (let i = 0; i < count; i++) {
        const t0 = nowNs()
        await node.sendTo(name, text)
        samples[i] = Number(nowNs() - t0) / 1000
      }
      const wire = await directFrameSizes(node, async () => { await node.sendTo(name, text) })
      reply({ type: 'rtt', us: latencySummary(samples), warmup: wu, wire })
      break
    }
    case 'dial': {
      const addr = String(msg.addr)
      assertLoopbackAddr(addr)
      const ma = multiaddr(addr)
      const count = Number(msg.count)
      // a dedicated leaf that neither listens nor bootstraps: every session is one we open here
      const node = await startBenchNode({ mode: 'leaf', name: `dialer-${process.pid}`, listen: [] })
      let connOpenAt = 0n
      node.libp2p.addEventListener('connection:open', () => { connOpenAt = nowNs() })
      let lingering = 0
      let retries = 0
      const once1 = async (): Promise<[number, number]> => {
        for (let attempt = 0; ; attempt++) {
          connOpenAt = 0n
          const t0 = nowNs()
          try {
            await node.openSession(ma, AbortSignal.timeout(10_000))
          } catch (err) {
            // the hub may still hold the previous session for a moment (duplicate_session): retry, untimed
            if (attempt >= 20) throw err
            retries++
            await new Promise(resolve => setTimeout(resolve, 5))
            continue
          }
          const t2 = nowNs()
          const t1 = connOpenAt === 0n ? t2 : connOpenAt
          await node.libp2p.hangUp(ma).catch(() => {})
          for (let k = 0; k < 100 && (node.libp2p.getConnections().length > 0 || node.sessions().length > 0); k++) {
            await new Promise(resolve => setTimeout(resolve, 5))
          }
          if (node.libp2p.getConnections().length > 0) lingering++
          return [Number(t2 - t0) / 1000, Number(t1 - t0) / 1000]
        }
      }
      const wu = await warmUp(async () => { await once1() }, { minIters: Number(msg.warmupMin ?? 0), minMs: Number(msg.warmupMs ?? 0), maxIters: 2000 })
      const total = new Float64Array(count)
      const conn = new Float64Array(count)
      for (let i = 0; i < count; i++) {
        const [a, b] = await once1()
        total[i] = a
        conn[i] = b
      }
      reply({ type: 'dial', totalUs: latencySummary(total), connectUs: latencySummary(conn), lingering, retries, warmup: wu })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
