/**
 * Raw TCP baseline worker (node:net, noDelay on both ends, 127.0.0.1 only).
 *
 * Commands (one process plays one role per run):
 *   listen {mode:'sink'|'echo'}          -> listening {port}
 *   expect {bytes, frames}               -> expecting     (sink: what the next connection will carry)
 *   send   {port, msgSize, count, framed} -> sent {ns, bytes, msgs}
 *   rtt    {port, size, warmupMs, warmupMin, count} -> rtt {us summary}
 *   dial   {port, size, warmupMs, warmupMin, count} -> dial {totalUs, connectUs summaries}
 * (warm-up: at least warmupMin iterations and warmupMs milliseconds, untimed)
 *
 * Sink: counts bytes (framed=false) or complete varint-prefixed frames
 * (framed=true); once the expected amount is in, writes a 1-byte ack.
 */
import net from 'node:net'
import { once } from 'node:events'
import { runWorker, nowNs, onCleanup, warmUp } from '../lib/worker.ts'
import { FrameCounter, frame } from '../lib/framing.ts'
import { latencySummary } from '../lib/stats.ts'

let server: net.Server | undefined
let expectation = { bytes: 0, frames: 0 }
const sockets = new Set<net.Socket>()

onCleanup(() => {
  for (const s of sockets) s.destroy()
  server?.close()
})

function track (s: net.Socket): net.Socket {
  sockets.add(s)
  s.on('close', () => sockets.delete(s))
  s.on('error', () => {})
  return s
}

async function connect (port: number): Promise<net.Socket> {
  const s = track(net.connect({ host: '127.0.0.1', port, noDelay: true }))
  await once(s, 'connect')
  s.setNoDelay(true)
  return s
}

function payload (size: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = i & 0xff
  return b
}

/** Echo client: one outstanding message at a time; resolves when `size` more bytes came back. */
function echoClient (s: net.Socket): (buf: Uint8Array) => Promise<void> {
  let received = 0
  let expected = 0
  let pending: (() => void) | null = null
  s.on('data', (d: Buffer) => {
    received += d.length
    if (pending != null && received >= expected) { const p = pending; pending = null; p() }
  })
  return async (buf) => {
    expected += buf.length
    const p = new Promise<void>(resolve => { pending = resolve })
    s.write(buf)
    await p
  }
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      const mode = msg.mode as 'sink' | 'echo'
      server = net.createServer({ noDelay: true }, (sock) => {
        track(sock)
        sock.setNoDelay(true)
        if (mode === 'echo') {
          sock.on('data', (d: Buffer) => { sock.write(d) })
          sock.on('end', () => sock.end())
          return
        }
        const exp = expectation
        const counter = new FrameCounter()
        let bytes = 0
        let acked = false
        sock.on('data', (d: Buffer) => {
          if (exp.frames > 0) counter.push(d)
          else bytes += d.length
          if (!acked && (exp.frames > 0 ? counter.frames >= exp.frames : bytes >= exp.bytes)) {
            acked = true
            sock.write(Buffer.of(1))
          }
        })
        sock.on('end', () => sock.end())
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const addr = server.address() as net.AddressInfo
      reply({ type: 'listening', port: addr.port })
      break
    }
    case 'expect': {
      expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) }
      reply({ type: 'expecting' })
      break
    }
    case 'send': {
      const msgSize = Number(msg.msgSize)
      const count = Number(msg.count)
      const framed = msg.framed === true
      const buf = framed ? Buffer.from(frame(payload(msgSize))) : payload(msgSize)
      const s = await connect(Number(msg.port))
      const ack = once(s, 'data')
      const t0 = nowNs()
      for (let i = 0; i < count; i++) {
        if (!s.write(buf)) await once(s, 'drain')
      }
      await ack
      const ns = Number(nowNs() - t0)
      s.end()
      reply({ type: 'sent', ns, bytes: msgSize * count, wireBytes: buf.length * count, msgs: count })
      break
    }
    case 'rtt': {
      const size = Number(msg.size)
      const warmupMs = Number(msg.warmupMs ?? 0)
      const warmupMin = Number(msg.warmupMin ?? 0)
      const count = Number(msg.count)
      const s = await connect(Number(msg.port))
      const rt = echoClient(s)
      const buf = payload(size)
      const samples = new Float64Array(count)
      const wu = await warmUp(async () => { await rt(buf) }, { minIters: warmupMin, minMs: warmupMs, maxIters: 200_000 })
      for (let i = 0; i < count; i++) {
        const t0 = nowNs()
        await rt(buf)
        samples[i] = Number(nowNs() - t0) / 1000
      }
      s.end()
      reply({ type: 'rtt', us: latencySummary(samples), warmup: wu })
      break
    }
    case 'dial': {
      const size = Number(msg.size)
      const warmupMs = Number(msg.warmupMs ?? 0)
      const warmupMin = Number(msg.warmupMin ?? 0)
      const count = Number(msg.count)
      const port = Number(msg.port)
      const buf = payload(size)
      const once1 = async (): Promise<[number, number]> => {
        const t0 = nowNs()
        const s = await connect(port)
        const t1 = nowNs()
        await echoClient(s)(buf)
        const t2 = nowNs()
        s.destroy()
        return [Number(t2 - t0) / 1000, Number(t1 - t0) / 1000]
      }
      const wu = await warmUp(async () => { await once1() }, { minIters: warmupMin, minMs: warmupMs, maxIters: 2000 })
      const total = new Float64Array(count)
      const conn = new Float64Array(count)
      for (let i = 0; i < count; i++) {
        const [a, b] = await once1()
        total[i] = a
        conn[i] = b
      }
      reply({ type: 'dial', totalUs: latencySummary(total), connectUs: latencySummary(conn), warmup: wu })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
