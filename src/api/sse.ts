/**
 * GET /v1/events: the node's events as Server-Sent Events; GET /v1/events/{id}: one kept event whole.
 * @fastify/sse opens the stream (headers, heartbeats, Last-Event-ID, close); the events are framed
 * here, once per event for all clients, and each client gets at most one write per FLUSH_MS, not one
 * per event: a write per event woke the client's process once per message, and on two cores that
 * cost the data path up to half its throughput.
 * Message texts longer than api.eventTextChars come cut (`truncated`, `textChars`) unless the client
 * asks for `?text=full`: a follower of the default stream must not double what a node moves.
 */
import type { FastifyInstance } from 'fastify'
import type { Counter } from 'prom-client'
import type { EventRing, RingEntry } from './ring.ts'

/** Events wait at most this long (ms) to leave together. */
const FLUSH_MS = 10

export interface EventsInit {
  ring: EventRing
  maxClients: number
  maxQueuedBytes: number
  /** api.eventTextChars */
  textChars: number
  refused: Counter<'reason'>
}

/** The newest event id when the stream opened: events up to it were replayed from the ring. */
const REPLAY_HEADER = 'x-overlay-replayed-through'

/** `id`, `event` and `data` lines of an entry; message texts cut to `textChars` unless undefined. */
function sseFrame (e: RingEntry, textChars?: number): string {
  const text = e.event.text
  let data: Record<string, unknown> = e.event
  if (textChars !== undefined && typeof text === 'string' && text.length > textChars) {
    // Never end on half a surrogate pair.
    const end = /[\uD800-\uDBFF]/.test(text.charAt(textChars - 1)) ? textChars - 1 : textChars
    data = { ...e.event, text: text.slice(0, end), truncated: true, textChars: text.length }
  }
  // JSON.stringify leaves no raw newline, so the data is one line.
  return `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(data)}\n\n`
}

export function registerEvents (app: FastifyInstance, init: EventsInit): void {
  let clients = 0
  // The latest entry framed each way: every client gets it in turn, so it is framed once, and the
  // ring does not keep a framed copy of what it holds.
  const last = { full: { e: undefined as RingEntry | undefined, s: '' }, cut: { e: undefined as RingEntry | undefined, s: '' } }
  const framed = (e: RingEntry, full: boolean): string => {
    const slot = full ? last.full : last.cut
    if (slot.e !== e) { slot.e = e; slot.s = sseFrame(e, full ? undefined : init.textChars) }
    return slot.s
  }

  app.get<{ Params: { id: string } }>('/v1/events/:id', {
    schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } }, required: ['id'] } }
  }, async (req, reply) => {
    const e = init.ring.get(Number(req.params.id))
    if (e === undefined) return await reply.code(404).send({ error: { code: 'gone', message: `event ${req.params.id} is not kept (api.eventRing, api.eventRingBytes)` } })
    return { id: e.id, event: e.event }
  })

  app.get<{ Querystring: { text?: 'cut' | 'full' } }>('/v1/events', {
    sse: { kind: 'only' },
    schema: {
      headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      querystring: { type: 'object', properties: { text: { type: 'string', enum: ['cut', 'full'] } }, additionalProperties: false }
    },
    preHandler: async (_req, reply) => {
      if (clients < init.maxClients) return
      init.refused.inc({ reason: 'too_many_clients' })
      await reply.code(503).send({ error: { code: 'too_many_clients', message: `${init.maxClients} event streams are open (api.maxEventClients)` } })
    }
  }, async (req, reply) => {
    const sse = reply.sse
    const full = req.query.text === 'full'
    sse.keepAlive()
    clients++
    const lastId = sse.lastEventId === null ? undefined : Number(sse.lastEventId)
    let pending: string[] = []
    let pendingChars = 0
    const flush = (): void => {
      const out = pending
      pending = []
      pendingChars = 0
      if (sse.isConnected && out.length > 0) reply.raw.write(out.join(''))
    }
    const write = (e: RingEntry): void => {
      if (!sse.isConnected) return
      // A client that does not read must not make the node hold its events without bound.
      if (reply.raw.writableLength + (reply.raw.socket?.writableLength ?? 0) + pendingChars > init.maxQueuedBytes) {
        init.refused.inc({ reason: 'slow_client' })
        pending = []
        sse.close()
        return
      }
      const s = framed(e, full)
      if (pending.length === 0) setTimeout(flush, FLUSH_MS)
      pending.push(s)
      pendingChars += s.length
    }
    // Which of what follows happened before the client looked (the UI counts no unread for those).
    reply.raw.setHeader(REPLAY_HEADER, String(init.ring.lastId))
    sse.sendHeaders()
    reply.raw.flushHeaders() // a client with nothing to replay learns at once that the stream is open
    for (const e of init.ring.since(lastId)) write(e)
    const unsubscribe = init.ring.subscribe(write)
    sse.onClose(() => {
      unsubscribe()
      clients--
    })
  })
}
