/**
 * Bare libp2p baseline (lib/libp2p.ts): the commands of raw-tcp.ts with a multiaddr instead of a port;
 * `listen {request?, reply?}` makes the echo answer each `request` bytes with `reply` bytes (the
 * overlay's MSG and ACK, without its work), and `rtt {reply?}` waits for that many bytes.
 * Streams as the project notes recommend for v3: `if (!stream.send(buf)) await pEvent(stream, 'drain')`,
 * and a synchronous 'message' listener.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { pEvent } from 'p-event'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Stream } from '@libp2p/interface'
import { runWorker, nowNs, usSince, onCleanup, payload, timeLoop, assertLoopback } from '../lib/worker.ts'
import { createBareNode, loopbackAddr, RAW_PROTOCOL, ECHO_PROTOCOL } from '../lib/libp2p.ts'
import { frame, sink, echoClient } from '../lib/framing.ts'
import type { Msg } from '../lib/proc.ts'

const nodes: Libp2p[] = []
let expectation = { bytes: 0, frames: 0 }
onCleanup(async () => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) })

async function node (listen: boolean): Promise<Libp2p> {
  const n = await createBareNode(listen)
  nodes.push(n)
  return n
}

async function write (stream: Stream, buf: Uint8Array): Promise<void> {
  if (!stream.send(buf)) await pEvent(stream as any, 'drain', { rejectionEvents: ['close'], timeout: 30_000 })
}

function client (stream: Stream, reply?: number): (buf: Uint8Array) => Promise<void> {
  const c = echoClient(async buf => { await write(stream, buf) }, reply)
  stream.addEventListener('message', (evt) => { c.received(evt.data.byteLength) })
  stream.addEventListener('close', (evt) => { c.closed(evt.error ?? new Error('stream closed')) })
  return c.roundTrip
}

async function target (msg: Msg): Promise<ReturnType<typeof multiaddr>> {
  assertLoopback(String(msg.addr))
  return multiaddr(String(msg.addr))
}

let dialer: Promise<Libp2p> | undefined

runWorker(async (msg, reply) => {
  switch (msg.type) {
    case 'listen': {
      const l = await node(true)
      const closeOnEnd = (s: Stream): void => { s.addEventListener('remoteCloseWrite', () => { s.close().catch(() => {}) }) }
      await l.handle(RAW_PROTOCOL, (stream) => {
        const onData = sink(expectation, () => { try { stream.send(Uint8Array.of(1)) } catch { /* closed */ } })
        stream.addEventListener('message', (evt) => { onData(evt.data) })
        closeOnEnd(stream)
      })
      const shape = msg.request === undefined ? undefined : { request: Number(msg.request), reply: payload(Number(msg.reply)) }
      await l.handle(ECHO_PROTOCOL, (stream) => {
        let unanswered = 0
        stream.addEventListener('message', (evt) => {
          try {
            if (shape === undefined) return void stream.send(evt.data)
            for (unanswered += evt.data.byteLength; unanswered >= shape.request; unanswered -= shape.request) stream.send(shape.reply)
          } catch { /* closed */ }
        })
        closeOnEnd(stream)
      })
      return reply({ type: 'listening', addr: loopbackAddr(l) })
    }
    case 'expect':
      expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) }
      return reply({ type: 'expecting' })
    case 'send': {
      const count = Number(msg.count)
      const buf = msg.framed === true ? frame(payload(Number(msg.msgSize))) : payload(Number(msg.msgSize))
      const stream = await (await (dialer ??= node(false))).dialProtocol(await target(msg), RAW_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const ack = pEvent(stream as any, 'message', { rejectionEvents: ['close'], timeout: 120_000 })
      const t0 = nowNs()
      for (let i = 0; i < count; i++) await write(stream, buf)
      await ack
      const ns = Number(nowNs() - t0)
      await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => { stream.abort(new Error('close timeout')) })
      return reply({ type: 'sent', ns, bytes: Number(msg.msgSize) * count, msgs: count })
    }
    case 'rtt': {
      const stream = await (await (dialer ??= node(false))).dialProtocol(await target(msg), ECHO_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const rt = client(stream, msg.reply === undefined ? undefined : Number(msg.reply))
      const buf = payload(Number(msg.size))
      const { summaries, warmup } = await timeLoop(async () => { const t0 = nowNs(); await rt(buf); return [usSince(t0)] }, msg, 200_000)
      await stream.close().catch(() => {})
      return reply({ type: 'rtt', us: summaries[0], warmup })
    }
    case 'dial': {
      const ma = await target(msg)
      // a dedicated dialer, so no connection from an earlier command is around
      const d = await node(false)
      const buf = payload(Number(msg.size))
      let lingering = 0
      const { summaries, warmup } = await timeLoop(async () => {
        const t0 = nowNs()
        // force: never reuse a connection; every dial is a full TCP + Noise XX + yamux upgrade
        const c = await d.dial(ma, { force: true, signal: AbortSignal.timeout(10_000) })
        const connected = usSince(t0)
        await client(await c.newStream(ECHO_PROTOCOL, { signal: AbortSignal.timeout(10_000) }))(buf)
        const total = usSince(t0)
        await c.close().catch(() => { c.abort(new Error('close failed')) })
        for (let k = 0; k < 100 && d.getConnections().length > 0; k++) await sleep(5)
        if (d.getConnections().length > 0) lingering++
        return [total, connected]
      }, msg, 2000)
      await d.stop()
      return reply({ type: 'dial', totalUs: summaries[0], connectUs: summaries[1], lingering, warmup })
    }
    default:
      throw new Error(`unknown command ${msg.type}`)
  }
})
