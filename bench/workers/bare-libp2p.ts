/**
 * Bare libp2p baseline worker: TCP + Noise + Yamux, no services.
 * Same commands as raw-tcp.ts, with a multiaddr instead of a port:
 *   listen {mode, request?, reply?}       -> listening {addr}
 *        with request and reply: the echo answers each `request` bytes with `reply` bytes
 *   expect {bytes, frames}                -> expecting
 *   send   {addr, msgSize, count, framed} -> sent {ns, bytes, msgs}
 *   rtt    {addr, size, reply?, warmupMs, warmupMin, count} -> rtt {us}
 *        reply: the bytes to wait for per message (default: `size`, a plain echo)
 *   dial   {addr, size, warmupMs, warmupMin, count} -> dial {totalUs, connectUs}
 *
 * Streams are used the way the project notes recommend for v3:
 *  - writer: `if (!stream.send(buf)) await pEvent(stream, 'drain', { rejectionEvents: ['close'] })`
 *  - reader: a synchronous 'message' listener (no for-await, no onDrain()).
 * Protocols: /bench/raw/1.0.0 (sink + 1-byte ack), /bench/echo/1.0.0 (echo, or the
 * request/reply sizes given to `listen`: the overlay's MSG and ACK, without its work).
 */
import { pEvent } from 'p-event'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Stream } from '@libp2p/interface'
import { runWorker, nowNs, onCleanup, warmUp } from '../lib/worker.ts'
import { createBareNode, loopbackAddr, assertLoopback, RAW_PROTOCOL, ECHO_PROTOCOL } from '../lib/libp2p.ts'
import { FrameCounter, frame, chunksOf } from '../lib/framing.ts'
import { latencySummary } from '../lib/stats.ts'

let listener: Libp2p | undefined
let dialer: Libp2p | undefined
let expectation = { bytes: 0, frames: 0 }
/** Set by `listen`: answer each `request` bytes with a `reply`-byte buffer instead of echoing. */
let shape: { request: number, reply: Uint8Array } | undefined

onCleanup(async () => {
  await dialer?.stop()
  await listener?.stop()
})

type Data = Uint8Array | { byteLength: number, [Symbol.iterator]: () => Iterator<Uint8Array> }

function payload (size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = i & 0xff
  return b
}

async function sendWithBackpressure (stream: Stream, buf: Uint8Array): Promise<void> {
  if (!stream.send(buf)) {
    await pEvent(stream as any, 'drain', { rejectionEvents: ['close'], timeout: 30_000 })
  }
}

async function getDialer (): Promise<Libp2p> {
  dialer ??= await createBareNode({ listen: false })
  return dialer
}

/** Echo client on one stream: one outstanding message at a time, answered by `reply` bytes (default: its own size). */
function echoClient (stream: Stream, reply?: number): (buf: Uint8Array) => Promise<void> {
  let received = 0
  let expected = 0
  let pending: (() => void) | null = null
  let failed: Error | null = null
  stream.addEventListener('message', (evt) => {
    received += (evt.data as Data).byteLength
    if (pending != null && received >= expected) { const p = pending; pending = null; p() }
  })
  stream.addEventListener('close', (evt) => {
    failed = evt.error ?? new Error('stream closed')
    if (pending != null) { const p = pending; pending = null; p() }
  })
  return async (buf) => {
    if (failed != null) throw failed
    expected += reply ?? buf.length
    const p = new Promise<void>(resolve => { pending = resolve })
    await sendWithBackpressure(stream, buf)
    await p
    if (received < expected && failed != null) throw failed
  }
}

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      listener = await createBareNode({ listen: true })
      await listener.handle(RAW_PROTOCOL, (stream) => {
        const exp = expectation
        const counter = new FrameCounter()
        let bytes = 0
        let acked = false
        stream.addEventListener('message', (evt) => {
          const data = evt.data as Data
          if (exp.frames > 0) {
            for (const c of chunksOf(data as Uint8Array)) counter.push(c)
          } else {
            bytes += data.byteLength
          }
          if (!acked && (exp.frames > 0 ? counter.frames >= exp.frames : bytes >= exp.bytes)) {
            acked = true
            try { stream.send(Uint8Array.of(1)) } catch { /* closed */ }
          }
        })
        stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
      })
      shape = msg.request === undefined ? undefined : { request: Number(msg.request), reply: payload(Number(msg.reply)) }
      await listener.handle(ECHO_PROTOCOL, (stream) => {
        const sized = shape
        let unanswered = 0
        stream.addEventListener('message', (evt) => {
          try {
            if (sized === undefined) { stream.send(evt.data); return }
            unanswered += (evt.data as Data).byteLength
            for (; unanswered >= sized.request; unanswered -= sized.request) stream.send(sized.reply)
          } catch { /* closed */ }
        })
        stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
      })
      reply({ type: 'listening', addr: loopbackAddr(listener) })
      break
    }
    case 'expect': {
      expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) }
      reply({ type: 'expecting' })
      break
    }
    case 'send': {
      const addr = String(msg.addr)
      assertLoopback(addr)
      const msgSize = Number(msg.msgSize)
      const count = Number(msg.count)
      const framed = msg.framed === true
      const buf = framed ? frame(payload(msgSize)) : payload(msgSize)
      const node = await getDialer()
      const stream = await node.dialProtocol(multiaddr(addr), RAW_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const ack = pEvent(stream as any, 'message', { rejectionEvents: ['close'], timeout: 120_000 })
      const t0 = nowNs()
      for (let i = 0; i < count; i++) {
        await sendWithBackpressure(stream, buf)
      }
      await ack
      const ns = Number(nowNs() - t0)
      await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => { stream.abort(new Error('close timeout')) })
      reply({ type: 'sent', ns, bytes: msgSize * count, wireBytes: buf.length * count, msgs: count })
      break
    }
    case 'rtt': {
      const addr = String(msg.addr)
      assertLoopback(addr)
      const size = Number(msg.size)
      const warmupMs = Number(msg.warmupMs ?? 0)
      const warmupMin = Number(msg.warmupMin ?? 0)
      const count = Number(msg.count)
      const node = await getDialer()
      const stream = await node.dialProtocol(multiaddr(addr), ECHO_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const rt = echoClient(stream, msg.reply === undefined ? undefined : Number(msg.reply))
      const buf = payload(size)
      const samples = new Float64Array(count)
      const wu = await warmUp(async () => { await rt(buf) }, { minIters: warmupMin, minMs: warmupMs, maxIters: 200_000 })
      for (let i = 0; i < count; i++) {
        const t0 = nowNs()
        await rt(buf)
        samples[i] = Number(nowNs() - t0) / 1000
      }
      await stream.close().catch(() => {})
      reply({ type: 'rtt', us: latencySummary(samples), warmup: wu })
      break
    }
    case 'dial': {
      const addr = String(msg.addr)
      assertLoopback(addr)
      const ma = multiaddr(addr)
      const size = Number(msg.size)
      const warmupMs = Number(msg.warmupMs ?? 0)
      const warmupMin = Number(msg.warmupMin ?? 0)
      const count = Number(msg.count)
      // a dedicated dialer node, so no connection from an earlier command is around
      const node = await createBareNode({ listen: false })
      const buf = payload(size)
      let lingering = 0
      const once1 = async (): Promise<[number, number]> => {
        const t0 = nowNs()
        // force: never reuse a connection, every iteration is a full TCP + Noise XX + yamux upgrade
        const c = await node.dial(ma, { force: true, signal: AbortSignal.timeout(10_000) })
        const t1 = nowNs()
        const stream = await c.newStream(ECHO_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        await echoClient(stream)(buf)
        const t2 = nowNs()
        await c.close().catch(() => { c.abort(new Error('close failed')) })
        // make sure nothing is left open before the next dial (bounded wait)
        for (let k = 0; k < 100 && node.getConnections().length > 0; k++) {
          await new Promise(resolve => setTimeout(resolve, 5))
        }
        if (node.getConnections().length > 0) lingering++
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
      await node.stop()
      reply({ type: 'dial', totalUs: latencySummary(total), connectUs: latencySummary(conn), lingering, warmup: wu })
      break
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
