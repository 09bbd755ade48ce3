/** GET /v1/events: the node's events as Server-Sent Events (@fastify/sse does the framing). */
import type { FastifyInstance } from 'fastify'
import type { Counter } from 'prom-client'
import type { EventRing, RingEntry } from './ring.ts'

export interface EventsInit {
  ring: EventRing
  maxClients: number
  maxQueuedBytes: number
  refused: Counter<'reason'>
}

export function registerEvents (app: FastifyInstance, init: EventsInit): void {
  let clients = 0
  app.get('/v1/events', {
    sse: { kind: 'only' },
    schema: { headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } } },
    preHandler: async (_req, reply) => {
      if (clients < init.maxClients) return
      init.refused.inc({ reason: 'too_many_clients' })
      await reply.code(503).send({ error: { code: 'too_many_clients', message: `${init.maxClients} event streams are open (api.maxEventClients)` } })
    }
  }, async (_req, reply) => {
    const sse = reply.sse
    sse.keepAlive()
    clients++
    const last = sse.lastEventId === null ? undefined : Number(sse.lastEventId)
    const write = (e: RingEntry): void => {
      if (!sse.isConnected) return
      // A client that does not read must not make the node hold its events without bound.
      if (reply.raw.writableLength + (reply.raw.socket?.writableLength ?? 0) > init.maxQueuedBytes) {
        init.refused.inc({ reason: 'slow_client' })
        sse.close()
        return
      }
      sse.send({ id: String(e.id), event: e.event.type, data: e.event }).catch(() => {})
    }
    sse.sendHeaders()
    reply.raw.flushHeaders() // a client with nothing to replay learns at once that the stream is open
    for (const e of init.ring.since(last)) write(e)
    const unsubscribe = init.ring.subscribe(write)
    sse.onClose(() => {
      unsubscribe()
      clients--
    })
  })
}
