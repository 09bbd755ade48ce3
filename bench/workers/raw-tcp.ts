/**
 * Raw TCP baseline (node:net, noDelay on both ends, 127.0.0.1 only). One role per process:
 *   listen {mode: 'sink'|'echo'}          -> listening {port}
 *   expect {bytes, frames}                -> expecting   (what the sink's next connection carries; then a 1-byte ack)
 *   send   {port, msgSize, count, framed} -> sent {ns, bytes, msgs}
 *   rtt    {port, size, warmupMs, warmupMin, count} -> rtt {us, warmup}
 *   dial   {port, size, warmupMs, warmupMin, count} -> dial {totalUs, connectUs, warmup}
 */
import net from 'node:net'
import { once } from 'node:events'
import { runWorker, nowNs, usSince, onCleanup, payload, timeLoop } from '../lib/worker.ts'
import { frame, sink, echoClient } from '../lib/framing.ts'

let server: net.Server | undefined
let expectation = { bytes: 0, frames: 0 }
const sockets = new Set<net.Socket>()
onCleanup(() => { for (const s of sockets) s.destroy(); server?.close() })

function track (s: net.Socket): net.Socket {
  sockets.add(s)
  s.on('close', () => sockets.delete(s))
  s.on('error', () => {})
  s.setNoDelay(true)
  return s
}

async function connect (port: number): Promise<net.Socket> {
  const s = track(net.connect({ host: '127.0.0.1', port, noDelay: true }))
  await once(s, 'connect')
  return s
}

function client (s: net.Socket): (buf: Uint8Array) => Promise<void> {
  const c = echoClient(buf => { s.write(buf) })
  s.on('data', (d: Buffer) => { c.received(d.length) })
  return c.roundTrip
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      server = net.createServer({ noDelay: true }, (sock) => {
        track(sock)
        sock.on('end', () => sock.end())
        if (msg.mode === 'echo') { sock.on('data', (d: Buffer) => { sock.write(d) }); return }
        sock.on('data', sink(expectation, () => { sock.write(Buffer.of(1)) }))
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      return reply({ type: 'listening', port: (server.address() as net.AddressInfo).port })
    }
    case 'expect':
      expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) }
      return reply({ type: 'expecting' })
    case 'send': {
      const count = Number(msg.count)
      const buf = msg.framed === true ? frame(payload(Number(msg.msgSize))) : payload(Number(msg.msgSize))
      const s = await connect(Number(msg.port))
      const ack = once(s, 'data')
      const t0 = nowNs()
      for (let i = 0; i < count; i++) if (!s.write(buf)) await once(s, 'drain')
      await ack
      const ns = Number(nowNs() - t0)
      s.end()
      return reply({ type: 'sent', ns, bytes: Number(msg.msgSize) * count, msgs: count })
    }
    case 'rtt': {
      const s = await connect(Number(msg.port))
      const rt = client(s)
      const buf = payload(Number(msg.size))
      const { summaries, warmup } = await timeLoop(async () => { const t0 = nowNs(); await rt(buf); return [usSince(t0)] }, msg, 200_000)
      s.end()
      return reply({ type: 'rtt', us: summaries[0], warmup })
    }
    case 'dial': {
      const buf = payload(Number(msg.size))
      const { summaries, warmup } = await timeLoop(async () => {
        const t0 = nowNs()
        const s = await connect(Number(msg.port))
        const connected = usSince(t0)
        await client(s)(buf)
        const total = usSince(t0)
        s.destroy()
        return [total, connected]
      }, msg, 2000)
      return reply({ type: 'dial', totalUs: summaries[0], connectUs: summaries[1], warmup })
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
