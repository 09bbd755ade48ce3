/**
 * The overlay side of the pairwise figures (throughput, rtt, dial): a hub in one process, a leaf
 * in another, both createOverlayNode. Commands as in bare-libp2p.ts:
 *   listen                          -> listening {addr, name}   (hub)
 *   expect {bytes, msgs}            -> expecting; later `received {endNs, bytes, msgs}` after that many 'message' events
 *   send {addr, msgSize, count}     -> sent {t0Ns, bytes, msgs}: `await node.send(text)` count times
 *   rtt {addr, name, size, ...}     -> rtt {us, warmup, wire}: `await node.sendTo(name, text)` = MSG + the hub's ACK;
 *                                      then, untimed, the bytes of that MSG and ACK in the stream (directFrameSizes)
 *   dial {addr, ...}                -> dial {totalUs, connectUs, lingering, retries, warmup}: a leaf that neither
 *                                      listens nor bootstraps calls openSession(addr), then libp2p.hangUp(addr)
 * The same pre-built text is sent every time. maxFrameBytes is 1 MiB: a 64 KiB text and its envelope exceed the default.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { runWorker, nowNs, usSince, timeLoop, assertLoopback } from '../lib/worker.ts'
import { startBenchNode, waitUntil, isMember, textOf, directFrameSizes, type OverlayNode } from '../lib/overlay.ts'
import { loopbackAddr } from '../lib/libp2p.ts'

const limits = { maxFrameBytes: 1024 * 1024 }
let leaf: OverlayNode | undefined
let expectation = { bytes: 0, msgs: 0 }
let got = { bytes: 0, msgs: 0 }
let done = true

/** The leaf for send/rtt: bootstrapped to the hub, with its session open (and the hub a member, if named). */
async function leafFor (addr: string, hubName?: string): Promise<OverlayNode> {
  const l = leaf ??= await startBenchNode({ mode: 'leaf', name: `leaf-${process.pid}`, listen: [], bootstrap: [addr], limits })
  await waitUntil(() => l.sessions().length > 0 && (hubName === undefined || isMember(l, hubName)), 15_000, 'leaf session with the hub')
  return l
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      const hub = await startBenchNode({ mode: 'hub', name: `hub-${process.pid}`, limits })
      hub.addEventListener('message', (evt) => {
        if (done) return
        got.bytes += evt.detail.text.length // ASCII: characters = bytes
        if (++got.msgs < expectation.msgs) return
        done = true
        reply({ type: 'received', endNs: String(nowNs()), ...got })
      })
      return reply({ type: 'listening', addr: loopbackAddr(hub), name: hub.name })
    }
    case 'expect':
      expectation = { bytes: Number(msg.bytes ?? 0), msgs: Number(msg.msgs ?? 0) }
      got = { bytes: 0, msgs: 0 }
      done = false
      return reply({ type: 'expecting' })
    case 'send': {
      const node = await leafFor(String(msg.addr))
      const count = Number(msg.count)
      const text = textOf(Number(msg.msgSize))
      const t0 = nowNs()
      for (let i = 0; i < count; i++) await node.send(text)
      return reply({ type: 'sent', t0Ns: String(t0), bytes: text.length * count, msgs: count })
    }
    case 'rtt': {
      const name = String(msg.name)
      const node = await leafFor(String(msg.addr), name)
      const text = textOf(Number(msg.size))
      const { summaries, warmup } = await timeLoop(async () => { const t0 = nowNs(); await node.sendTo(name, text); return [usSince(t0)] }, msg, 200_000)
      const wire = await directFrameSizes(node, async () => { await node.sendTo(name, text) })
      return reply({ type: 'rtt', us: summaries[0], warmup, wire })
    }
    case 'dial': {
      assertLoopback(String(msg.addr))
      const ma = multiaddr(String(msg.addr))
      const node = await startBenchNode({ mode: 'leaf', name: `dialer-${process.pid}`, listen: [] })
      let connOpenAt = 0n
      node.libp2p.addEventListener('connection:open', () => { connOpenAt = nowNs() })
      let lingering = 0
      let retries = 0
      const { summaries, warmup } = await timeLoop(async () => {
        for (let attempt = 0; ; attempt++) {
          connOpenAt = 0n
          const t0 = nowNs()
          try {
            await node.openSession(ma, AbortSignal.timeout(10_000))
          } catch (err) {
            // the hub may still hold the previous session for a moment (duplicate_session): retry, untimed
            if (attempt >= 20) throw err
            retries++
            await sleep(5)
            continue
          }
          const total = usSince(t0)
          const connected = connOpenAt === 0n ? total : Number(connOpenAt - t0) / 1000
          await node.libp2p.hangUp(ma).catch(() => {})
          for (let k = 0; k < 100 && (node.libp2p.getConnections().length > 0 || node.sessions().length > 0); k++) await sleep(5)
          if (node.libp2p.getConnections().length > 0) lingering++
          return [total, connected]
        }
      }, msg, 2000)
      return reply({ type: 'dial', totalUs: summaries[0], connectUs: summaries[1], lingering, retries, warmup })
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
