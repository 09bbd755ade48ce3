/** Bare libp2p ends; `listen {request, reply}` answers each `request` bytes with `reply` bytes (the overlay's MSG, ACK). */
import { setTimeout as sleep } from 'node:timers/promises'
import { pEvent } from 'p-event'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Stream } from '@libp2p/interface'
import { nowNs, usSince, onCleanup, payload, assertLoopback } from '../lib/worker.ts'
import { runPairWorker } from '../lib/pair-worker.ts'
import { createBareNode, loopbackAddr, RAW_PROTOCOL, ECHO_PROTOCOL } from '../lib/libp2p.ts'
import { frame, sink, echoClient } from '../lib/framing.ts'
import type { Msg } from '../lib/proc.ts'

const nodes: Libp2p[] = []
let expectation = { bytes: 0, frames: 0 }
let dialer: Promise<Libp2p> | undefined
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

function target (msg: Msg): ReturnType<typeof multiaddr> {
  assertLoopback(String(msg.addr))
  return multiaddr(String(msg.addr))
}

const open = async (msg: Msg, protocol: string): Promise<Stream> => await (await (dialer ??= node(false))).dialProtocol(target(msg), protocol, { signal: AbortSignal.timeout(10_000) })

runPairWorker({
  async listen (msg) {
    const l = await node(true)
    const handle = async (protocol: string, onMessage: (stream: Stream) => (data: Uint8Array | Iterable<Uint8Array> & { byteLength: number }) => void): Promise<void> => {
      await l.handle(protocol, (stream) => {
        const on = onMessage(stream)
        stream.addEventListener('message', (evt) => { on(evt.data) })
        stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
      })
    }
    await handle(RAW_PROTOCOL, stream => sink(expectation, () => { try { stream.send(Uint8Array.of(1)) } catch { /* closed */ } }))
    const shape = msg.request === undefined ? undefined : { request: Number(msg.request), reply: payload(Number(msg.reply)) }
    await handle(ECHO_PROTOCOL, (stream) => {
      let unanswered = 0
      return (data) => {
        try {
          if (shape === undefined) { stream.send(data as Uint8Array); return }
          for (unanswered += data.byteLength; unanswered >= shape.request; unanswered -= shape.request) stream.send(shape.reply)
        } catch { /* closed */ }
      }
    })
    return { addr: loopbackAddr(l) }
  },
  expect (msg) { expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) } },
  async send (msg) {
    const count = Number(msg.count)
    const buf = msg.framed === true ? frame(payload(Number(msg.msgSize))) : payload(Number(msg.msgSize))
    const stream = await open(msg, RAW_PROTOCOL)
    const ack = pEvent(stream as any, 'message', { rejectionEvents: ['close'], timeout: 120_000 })
    const t0 = nowNs()
    for (let i = 0; i < count; i++) await write(stream, buf)
    await ack
    const ns = Number(nowNs() - t0)
    await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => { stream.abort(new Error('close timeout')) })
    return { ns, bytes: Number(msg.msgSize) * count, msgs: count }
  },
  async echo (msg) {
    const stream = await open(msg, ECHO_PROTOCOL)
    const rt = client(stream, msg.reply === undefined ? undefined : Number(msg.reply))
    return { roundTrip: rt, arg: payload(Number(msg.size)), close: async () => { await stream.close().catch(() => {}); return undefined } }
  },
  async dialer (msg) {
    const ma = target(msg)
    const d = await node(false) // its own, so no connection from an earlier command is around
    const buf = payload(Number(msg.size))
    let lingering = 0
    const once = async (): Promise<number[]> => {
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
    }
    return { once, done: async () => { await d.stop(); return { lingering } } }
  }
})
