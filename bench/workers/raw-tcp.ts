/** Raw TCP baseline (node:net, noDelay on both ends, 127.0.0.1 only), for lib/pair-worker.ts. */
import net from 'node:net'
import { once } from 'node:events'
import { nowNs, usSince, onCleanup, payload, track } from '../lib/worker.ts'
import { runPairWorker } from '../lib/pair-worker.ts'
import { frame, sink, echoClient } from '../lib/framing.ts'

let expectation = { bytes: 0, frames: 0 }
async function connect (port: unknown): Promise<net.Socket> {
  const s = track(net.connect({ host: '127.0.0.1', port: Number(port), noDelay: true }).setNoDelay(true))
  await once(s, 'connect')
  return s
}

function client (s: net.Socket): (buf: Uint8Array) => Promise<void> {
  const c = echoClient(buf => { s.write(buf) })
  s.on('data', (d: Buffer) => { c.received(d.length) })
  return c.roundTrip
}

runPairWorker({
  async listen (msg) {
    const server = net.createServer({ noDelay: true }, (sock) => {
      track(sock.setNoDelay(true)).on('end', () => sock.end())
      sock.on('data', msg.mode === 'echo' ? (d: Buffer) => { sock.write(d) } : sink(expectation, () => { sock.write(Buffer.of(1)) }))
    })
    onCleanup(() => { server.close() })
    await once(server.listen(0, '127.0.0.1'), 'listening')
    return { port: (server.address() as net.AddressInfo).port }
  },
  expect (msg) { expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) } },
  async send (msg) {
    const count = Number(msg.count)
    const buf = msg.framed === true ? frame(payload(Number(msg.msgSize))) : payload(Number(msg.msgSize))
    const s = await connect(msg.port)
    const ack = once(s, 'data')
    const t0 = nowNs()
    for (let i = 0; i < count; i++) if (!s.write(buf)) await once(s, 'drain')
    await ack
    const ns = Number(nowNs() - t0)
    s.end()
    return { ns, bytes: Number(msg.msgSize) * count, msgs: count }
  },
  async echo (msg) {
    const s = await connect(msg.port)
    const rt = client(s)
    return { roundTrip: rt, arg: payload(Number(msg.size)), close: async () => { s.end(); return undefined } }
  },
  async dialer (msg) {
    const buf = payload(Number(msg.size))
    const once = async (): Promise<number[]> => {
      const t0 = nowNs()
      const s = await connect(msg.port)
      const connected = usSince(t0)
      await client(s)(buf)
      const total = usSince(t0)
      s.destroy()
      return [total, connected]
    }
    return { once, done: async () => ({}) }
  }
})
