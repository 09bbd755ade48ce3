/**
 * The baselines' ends, 127.0.0.1 only: raw TCP (node:net, noDelay on both ends) for `listen {transport: 'tcp'}`
 * and a port target, else bare libp2p. `listen {request, reply}` answers each `request` bytes with `reply` bytes.
 */
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { pEvent } from 'p-event'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { nowNs, usSince, payload, connectTcp, listenTcp, runPairWorker } from '../lib/worker.ts'
import { createBareNode, loopbackAddr, loopbackMultiaddr } from '../lib/libp2p.ts'
import { frame, sink } from '../lib/framing.ts'
import type { Msg } from '../lib/proc.ts'

const PROTOCOL = '/bench/1.0.0'
type Data = Uint8Array | Uint8ArrayList
/** A socket or stream: `write` returns a promise only when it must wait for drain. */
interface Link { write: (buf: Uint8Array) => Promise<unknown> | undefined, close: () => Promise<void> }
/** What a link tells its reader: each chunk, and its end. */
interface Reader { data: (d: Data) => void, closed: (err: Error) => void }

let expectation = { bytes: 0, frames: 0 }
let dialer: Promise<Libp2p> | undefined

function tcpLink (s: Socket, r: Reader): Link {
  s.on('data', r.data).on('close', () => { r.closed(new Error('socket closed')) })
  return { write: buf => s.write(buf) ? undefined : once(s, 'drain'), close: async () => { s.end() } }
}

function streamLink (stream: Stream, r: Reader): Link {
  stream.addEventListener('message', (evt) => { r.data(evt.data) })
  stream.addEventListener('close', (evt) => { r.closed(evt.error ?? new Error('stream closed')) })
  return {
    // always a promise: the libp2p sender awaits each write, as in the published runs
    write: async (buf) => { if (!stream.send(buf)) await pEvent(stream as any, 'drain', { rejectionEvents: ['close'], timeout: 30_000 }) },
    close: async () => { await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => { stream.abort(new Error('close timeout')) }) }
  }
}

/** A link to the pair's server: TCP to a port, a libp2p stream to an addr. */
async function connect (msg: Msg, r: Reader): Promise<Link> {
  if (msg.port !== undefined) return tcpLink(await connectTcp(msg.port), r)
  return streamLink(await (await (dialer ??= createBareNode(false))).dialProtocol(loopbackMultiaddr(msg.addr), PROTOCOL, { signal: AbortSignal.timeout(10_000) }), r)
}

/** `roundTrip(buf)` writes and resolves once `reply` bytes (default: as many as sent) came back. */
async function echoLink (open: (r: Reader) => Promise<Link>, reply?: number): Promise<{ link: Link, roundTrip: (buf: Uint8Array) => Promise<void> }> {
  let [got, expected] = [0, 0]
  let pending: (() => void) | undefined
  let failed: Error | undefined
  const wake = (): void => { const p = pending; pending = undefined; p?.() }
  const link = await open({ data: (d) => { got += d.byteLength; if (got >= expected) wake() }, closed: (err) => { failed = err; wake() } })
  return {
    link,
    roundTrip: async (buf) => {
      if (failed !== undefined) throw failed
      expected += reply ?? buf.length
      const p = new Promise<void>(resolve => { pending = resolve })
      await link.write(buf)
      await p
      if (got < expected && failed !== undefined) throw failed
    }
  }
}

/** The server's handler of one inbound link: a counting sink that acks with one byte, or an echo. */
function serve (listen: Msg, send: (d: Data) => void): (d: Data) => void {
  if (listen.mode !== 'echo') return sink(expectation, () => { send(Uint8Array.of(1)) })
  if (listen.request === undefined) return send
  const [request, reply] = [Number(listen.request), payload(Number(listen.reply))]
  let unanswered = 0
  return (d) => { for (unanswered += d.byteLength; unanswered >= request; unanswered -= request) send(reply) }
}

runPairWorker({
  async listen (msg) {
    if (msg.transport === 'tcp') {
      const port = await listenTcp((sock) => {
        sock.on('end', () => sock.end()).on('data', serve(msg, d => { sock.write(d as Uint8Array) }))
      })
      return { port }
    }
    const l = await createBareNode(true)
    await l.handle(PROTOCOL, (stream) => {
      const on = serve(msg, (d) => { try { stream.send(d) } catch { /* closed */ } })
      stream.addEventListener('message', (evt) => { on(evt.data) })
      stream.addEventListener('remoteCloseWrite', () => { stream.close().catch(() => {}) })
    })
    return { addr: loopbackAddr(l) }
  },
  expect (msg) { expectation = { bytes: Number(msg.bytes ?? 0), frames: Number(msg.frames ?? 0) } },
  async send (msg) {
    const count = Number(msg.count)
    const buf = msg.framed === true ? frame(payload(Number(msg.msgSize))) : payload(Number(msg.msgSize))
    let ack: Reader | undefined
    const acked = new Promise<void>((resolve, reject) => { ack = { data: () => { resolve() }, closed: reject } })
    const link = await connect(msg, ack as Reader)
    const t0 = nowNs()
    for (let i = 0; i < count; i++) {
      const drained = link.write(buf)
      if (drained !== undefined) await drained
    }
    await acked
    const ns = Number(nowNs() - t0)
    await link.close()
    return { ns, bytes: Number(msg.msgSize) * count, msgs: count }
  },
  async echo (msg) {
    const { link, roundTrip } = await echoLink(async r => await connect(msg, r), msg.reply === undefined ? undefined : Number(msg.reply))
    return { roundTrip, arg: payload(Number(msg.size)), close: async () => { await link.close().catch(() => {}); return undefined } }
  },
  async dialer (msg) {
    const buf = payload(Number(msg.size))
    const d = msg.port === undefined ? await createBareNode(false) : undefined // its own, so no connection from an earlier command is around
    let lingering = 0
    const once = async (): Promise<number[]> => {
      const t0 = nowNs()
      if (d === undefined) {
        const s = await connectTcp(msg.port)
        const connected = usSince(t0)
        await (await echoLink(async r => tcpLink(s, r))).roundTrip(buf)
        const total = usSince(t0)
        s.destroy()
        return [total, connected]
      }
      // force: never reuse a connection; every dial is a full TCP + Noise XX + yamux upgrade
      const c = await d.dial(loopbackMultiaddr(msg.addr), { force: true, signal: AbortSignal.timeout(10_000) })
      const connected = usSince(t0)
      await (await echoLink(async r => streamLink(await c.newStream(PROTOCOL, { signal: AbortSignal.timeout(10_000) }), r))).roundTrip(buf)
      const total = usSince(t0)
      await c.close().catch(() => { c.abort(new Error('close failed')) })
      for (let k = 0; k < 100 && d.getConnections().length > 0; k++) await sleep(5)
      if (d.getConnections().length > 0) lingering++
      return [total, connected]
    }
    return { once, done: async () => { await d?.stop(); return d === undefined ? {} : { lingering } } }
  }
})
