/** The overlay's ends, a hub and a leaf; maxFrameBytes 1 MiB, as a 64 KiB text and its envelope exceed the default. */
import { setTimeout as sleep } from 'node:timers/promises'
import { nowNs, usSince, reply, runPairWorker } from '../lib/worker.ts'
import { waitFor } from '../../test/helpers/wait-for.ts'
import { isMember } from '../../test/helpers/create-nodes.ts'
import { startBenchNode, textOf, directFrameSizes, type OverlayNode } from '../lib/overlay.ts'
import { loopbackAddr, loopbackMultiaddr } from '../lib/libp2p.ts'

const limits = { maxFrameBytes: 1024 * 1024 }
let leaf: OverlayNode | undefined
let expectation = { bytes: 0, msgs: 0 }
let got = { bytes: 0, msgs: 0 }
let done = true

/** The leaf for send/rtt: bootstrapped to the hub, with its session open (and the hub a member, if named). */
async function leafFor (addr: unknown, hubName?: string): Promise<OverlayNode> {
  const l = leaf ??= await startBenchNode({ mode: 'leaf', name: `leaf-${process.pid}`, listen: [], bootstrap: [String(addr)], limits })
  await waitFor(() => l.sessions().length > 0 && (hubName === undefined || isMember(l, hubName)), { timeout: 15_000, interval: 10, message: 'leaf session with the hub' })
  return l
}

runPairWorker({
  async listen () {
    const hub = await startBenchNode({ mode: 'hub', name: `hub-${process.pid}`, limits })
    hub.addEventListener('message', (evt) => {
      if (done) return
      got.bytes += evt.detail.text.length // ASCII: characters = bytes
      if (++got.msgs < expectation.msgs) return
      done = true
      reply({ type: 'received', endNs: String(nowNs()), ...got })
    })
    return { addr: loopbackAddr(hub), name: hub.name }
  },
  expect (msg) { [expectation, got, done] = [{ bytes: Number(msg.bytes ?? 0), msgs: Number(msg.msgs ?? 0) }, { bytes: 0, msgs: 0 }, false] },
  async send (msg) {
    const node = await leafFor(msg.addr)
    const count = Number(msg.count)
    const text = textOf(Number(msg.msgSize))
    const t0 = nowNs()
    for (let i = 0; i < count; i++) await node.send(text)
    return { t0Ns: String(t0), bytes: text.length * count, msgs: count }
  },
  async echo (msg) {
    const name = String(msg.name)
    const node = await leafFor(msg.addr, name)
    const text = textOf(Number(msg.size))
    return { roundTrip: node.sendTo.bind(node, name), arg: text, close: async () => ({ wire: await directFrameSizes(node, async () => { await node.sendTo(name, text) }) }) }
  },
  async dialer (msg) {
    const ma = loopbackMultiaddr(msg.addr)
    const node = await startBenchNode({ mode: 'leaf', name: `dialer-${process.pid}`, listen: [] })
    let connOpenAt = 0n
    node.libp2p.addEventListener('connection:open', () => { connOpenAt = nowNs() })
    let [lingering, retries] = [0, 0]
    const once = async (): Promise<number[]> => {
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
    }
    return { once, done: async () => ({ lingering, retries }) }
  }
})
