import assert from 'node:assert/strict'
import { connect } from 'node:net'
import Fastify from 'fastify'
import { fastifySSE } from '@fastify/sse'
import { Counter, Registry } from 'prom-client'
import { EventRing } from '../../../src/api/ring.ts'
import { registerEvents } from '../../../src/api/sse.ts'
import { after, before, describe, it } from 'node:test'
import { apiOf, call } from '../../helpers/api.ts'
import { NodeTracker, loopbackAddr } from '../../helpers/create-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { StreamedEvent } from '../../../src/api/client.ts'
import type { NodeApi } from '../../helpers/api.ts'
import type { OverlayNode } from '../../../src/index.ts'

/** Follows /v1/events into an array until aborted. */
function follow (api: NodeApi, lastEventId?: string): { events: StreamedEvent[], stop: () => void, done: Promise<void> } {
  const ac = new AbortController()
  const events: StreamedEvent[] = []
  const done = (async () => {
    for await (const e of api.client.events({ signal: ac.signal, ...(lastEventId === undefined ? {} : { lastEventId }) })) events.push(e)
  })()
  return { events, stop: () => { ac.abort() }, done }
}

describe('api events (SSE)', () => {
  const nodes = new NodeTracker()
  let hub: OverlayNode
  let leaf: OverlayNode
  let api: NodeApi
  before(async () => {
    hub = await nodes.startNode({ mode: 'hub', name: 'hub' })
    api = await apiOf(hub)
  })
  after(async () => { await nodes.stopAll() })

  it('events - streams the node\'s events with ids, types and the --json objects', async () => {
    const stream = follow(api)
    nodes.onStop(async () => { stream.stop(); await stream.done })
    leaf = await nodes.startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => stream.events.some(e => e.type === 'joined' && e.event.name === 'leaf'), { timeout: 15_000, message: 'a joined event arrived' })
    await leaf.send('hello hub')
    await waitFor(() => stream.events.some(e => e.type === 'message'), { timeout: 10_000, message: 'a message event arrived' })
    const msg = stream.events.find(e => e.type === 'message') as StreamedEvent
    assert.equal(msg.event.type, 'message')
    assert.equal(msg.event.from, 'leaf')
    assert.equal(msg.event.text, 'hello hub')
    assert.equal(typeof msg.event.ts, 'number')
    const ids = stream.events.map(e => Number(e.id))
    assert.ok(ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1), `ids rise by one: ${ids.join(',')}`)
    stream.stop()
    await stream.done
  })

  it('events - Last-Event-ID resumes after that event from the ring, then follows', async () => {
    const all = follow(api, '0')
    await waitFor(() => all.events.some(e => e.type === 'message'), { timeout: 10_000, message: 'the replay reached the message' })
    all.stop()
    await all.done
    assert.equal(all.events[0]?.id, '1', 'Last-Event-ID 0 replays from the first event')
    assert.equal(all.events[0]?.type, 'listening')
    const mid = all.events[1] as StreamedEvent
    const resumed = follow(api, mid.id)
    nodes.onStop(async () => { resumed.stop(); await resumed.done })
    await waitFor(() => resumed.events.length >= all.events.length - 2, { timeout: 10_000, message: 'the resumed stream replayed the rest' })
    assert.deepEqual(resumed.events.slice(0, all.events.length - 2).map(e => e.id), all.events.slice(2).map(e => e.id))
    await leaf.send('after the resume')
    await waitFor(() => resumed.events.some(e => e.event.text === 'after the resume'), { timeout: 10_000, message: 'new events follow the replay' })
    resumed.stop()
    await resumed.done
  })

  it('events - x-overlay-replayed-through names the newest event when the stream opened: the replay ends there', async () => {
    const ac = new AbortController()
    const res = await fetch(`${api.url}/v1/events`, { headers: { authorization: `Bearer ${api.token}`, 'last-event-id': '0' }, signal: ac.signal })
    const through = Number(res.headers.get('x-overlay-replayed-through'))
    ac.abort()
    await res.body?.cancel().catch(() => {})
    const all = follow(api, '0')
    await waitFor(() => all.events.length >= through, { timeout: 10_000, message: `the replay reaches event ${through}` })
    all.stop()
    await all.done
    assert.ok(through > 0, 'the node had events')
    assert.equal(all.events[through - 1]?.id, String(through), 'the newest replayed event has that id')
  })

  it('events - a bad Last-Event-ID is a 400; more than api.maxEventClients streams get a 503', async () => {
    const bad = await call(api, 'GET', '/v1/events', { headers: { 'last-event-id': 'abc' } })
    assert.equal(bad.status, 400)
    const node = await nodes.startNode({ name: 'few-clients', api: { maxEventClients: 3 } })
    const api3 = await apiOf(node)
    const streams = [follow(api3, '0'), follow(api3, '0'), follow(api3, '0')]
    nodes.onStop(async () => { for (const s of streams) s.stop(); await Promise.all(streams.map(async s => { await s.done })) })
    await waitFor(() => streams.every(s => s.events.length > 0), { timeout: 10_000, message: 'three streams are open' })
    const fourth = await call(api3, 'GET', '/v1/events')
    assert.equal(fourth.status, 503)
    assert.equal(fourth.body.error.code, 'too_many_clients')
    streams[0]?.stop()
    await streams[0]?.done
    await waitFor(async () => {
      const ac = new AbortController()
      const res = await fetch(`${api3.url}/v1/events`, { headers: { authorization: `Bearer ${api3.token}` }, signal: ac.signal })
      ac.abort()
      return res.status === 200
    }, { timeout: 10_000, message: 'a closed stream frees its place' })
    for (const s of streams) s.stop()
    const metrics = await call(api3, 'GET', '/metrics')
    assert.match(metrics.text, /^overlay_api_refused_total\{reason="too_many_clients"\} 1$/m)
  })

  it('events - a stream ends when the node stops', async () => {
    const node = await nodes.startNode({ name: 'short-lived' })
    const stream = follow(await apiOf(node), '0')
    await waitFor(() => stream.events.length > 0, { timeout: 10_000, message: 'the stream started' })
    await node.stop()
    await stream.done
    assert.equal(stream.events[0]?.type, 'listening')
  })
})

describe('api events (SSE) flow control', () => {
  it('events - a client that stops reading is disconnected once api.maxEventQueueBytes wait for it', async () => {
    const ring = new EventRing(10, 1 << 20)
    const refused = new Counter({ name: 'refused_total', help: 'x', labelNames: ['reason'], registers: [new Registry()] })
    const app = Fastify()
    await app.register(fastifySSE)
    registerEvents(app, { ring, maxClients: 5, maxQueuedBytes: 64 * 1024, textChars: 1024, refused })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    const socket = connect(port, '127.0.0.1')
    try {
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
      socket.write(`GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`)
      socket.pause() // never read: the kernel buffers fill, then the server's
      let tail = ''
      let ended = false
      socket.on('data', (b: Buffer) => { tail = (tail + b.toString('latin1')).slice(-16) })
      socket.on('end', () => { ended = true })
      socket.on('error', () => {})
      // Under textChars, so every event goes out whole.
      const text = 'x'.repeat(1_000)
      // Bounded: 100,000 events of 1 kB (100 MB) far exceed loopback socket buffers.
      for (let i = 0; i < 100_000 && (await refused.get()).values.length === 0; i++) {
        ring.push({ type: 'message', text })
        if (i % 50 === 0) await new Promise(resolve => setImmediate(resolve))
      }
      const values = (await refused.get()).values
      assert.deepEqual(values.map(v => [v.labels.reason, v.value]), [['slow_client', 1]])
      // The server ended the response (the chunked terminator), or the connection.
      socket.resume()
      await waitFor(() => ended || tail.endsWith('0\r\n\r\n'), { timeout: 10_000, message: 'the server ended the slow stream' })
    } finally {
      socket.destroy()
      await app.close()
    }
  })
})

describe('api events (SSE) message texts and batching', () => {
  const nodes = new NodeTracker()
  let hub: OverlayNode
  let api: NodeApi
  before(async () => {
    hub = await nodes.startNode({ mode: 'hub', name: 'hub', api: { eventTextChars: 64 } })
    api = await apiOf(hub)
  })
  after(async () => { await nodes.stopAll() })

  it('events - a text over api.eventTextChars comes cut (truncated, textChars); whole with ?text=full and at /v1/events/{id}', async () => {
    const cut = follow(api)
    const whole = (() => {
      const ac = new AbortController()
      const events: StreamedEvent[] = []
      const done = (async () => { for await (const e of api.client.events({ signal: ac.signal, fullText: true })) events.push(e) })()
      return { events, stop: () => { ac.abort() }, done }
    })()
    nodes.onStop(async () => { cut.stop(); whole.stop(); await Promise.all([cut.done, whole.done]) })
    const leaf = await nodes.startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)] })
    const long = `${'é'.repeat(63)}😀${'z'.repeat(100)}` // the cut falls inside the emoji's surrogate pair
    await leaf.send('short')
    await leaf.send(long)
    const got = (s: { events: StreamedEvent[] }, text: string): StreamedEvent | undefined => s.events.find(e => e.type === 'message' && String(e.event.text).startsWith(text.slice(0, 10)) && e.event.from === 'leaf' && (text === 'short') === (e.event.text === 'short'))
    await waitFor(() => got(cut, long) !== undefined && got(whole, long) !== undefined, { timeout: 10_000, message: 'both streams got the long message' })
    const c = got(cut, long) as StreamedEvent
    assert.equal(c.event.text, 'é'.repeat(63), 'cut before the surrogate pair, never inside it')
    assert.equal(c.event.truncated, true)
    assert.equal(c.event.textChars, long.length)
    assert.equal(got(whole, long)?.event.text, long)
    assert.equal(got(whole, long)?.event.truncated, undefined)
    assert.equal(got(cut, 'short')?.event.text, 'short', 'a short text comes whole')
    assert.equal(got(cut, 'short')?.event.truncated, undefined)
    const byId = await call(api, 'GET', `/v1/events/${c.id}`)
    assert.equal(byId.status, 200, byId.text)
    assert.equal(byId.body.event.text, long)
    assert.equal(byId.body.id, Number(c.id))
    const gone = await call(api, 'GET', '/v1/events/999999')
    assert.equal(gone.status, 404)
    assert.equal(gone.body.error.code, 'gone')
    assert.equal((await call(api, 'GET', '/v1/events/0')).status, 400)
    cut.stop()
    whole.stop()
  })

  it('events - 5,000 events raised in one turn reach a client all, in order, each once', async () => {
    const stream = follow(api)
    nodes.onStop(async () => { stream.stop(); await stream.done })
    await waitFor(async () => (await call(api, 'GET', '/v1/stats')).status === 200, { timeout: 5_000, message: 'the API answers' })
    // Let the stream subscribe: its first event is the marker below.
    await waitFor(() => { hub.dispatchEvent(new CustomEvent('error', { detail: { type: 'error', code: 'marker', message: 'marker' } })); return stream.events.some(e => e.event.code === 'marker') }, { timeout: 10_000, interval: 100, message: 'the stream follows' })
    const from = stream.events.length
    for (let i = 0; i < 5_000; i++) hub.dispatchEvent(new CustomEvent('error', { detail: { type: 'error', code: 'burst', message: String(i) } }))
    await waitFor(() => stream.events.filter(e => e.event.code === 'burst').length >= 5_000, { timeout: 20_000, message: 'all 5,000 arrived' })
    const burst = stream.events.slice(from).filter(e => e.event.code === 'burst')
    assert.deepEqual(burst.map(e => e.event.message), Array.from({ length: 5_000 }, (_, i) => String(i)))
    const ids = burst.map(e => Number(e.id))
    assert.ok(ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1), 'ids rise by one')
    stream.stop()
  })
})
