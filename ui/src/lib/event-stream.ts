/**
 * Follows /v1/events and reconnects on its own. fetch + eventsource-parser rather than
 * EventSource: we see every event type (not only the ones we registered), we learn when the
 * API refuses us (401), and each reconnect sends Last-Event-ID so the node replays what we missed.
 */
import { createParser } from 'eventsource-parser'

export type Connection = 'connecting' | 'online' | 'offline' | 'unauthorized'

export interface StreamHandlers {
  /** `replayed`: sent from the node's ring when we first connected (it happened before we looked). */
  onEvent: (data: Record<string, unknown>, seq: number | undefined, replayed: boolean) => void
  onConnection: (state: Connection) => void
  /** Called on every (re)connection, before any event: refetch snapshots. */
  onOpen: () => void
}

const FIRST_RETRY_MS = 250
const MAX_RETRY_MS = 2_000
const UNAUTHORIZED_RETRY_MS = 5_000
/** The node names the newest event it had when the stream opened: up to it, events are replay. */
const REPLAY_HEADER = 'x-overlay-replayed-through'

export function followEvents (url: string, h: StreamHandlers): () => void {
  const stop = new AbortController()
  // "0" asks for every event the node still keeps: the event log and chat start with some history.
  let lastId = '0'
  let first = true
  void (async () => {
    let delay = FIRST_RETRY_MS
    while (!stop.signal.aborted) {
      try {
        const res = await fetch(url, {
          credentials: 'same-origin',
          headers: { accept: 'text/event-stream', 'last-event-id': lastId },
          signal: stop.signal,
          cache: 'no-store'
        })
        if (res.status === 401 || res.status === 403) {
          h.onConnection('unauthorized')
          await sleep(UNAUTHORIZED_RETRY_MS, stop.signal)
          continue
        }
        if (!res.ok || res.body === null) throw new Error(`events: HTTP ${res.status}`)
        delay = FIRST_RETRY_MS
        h.onConnection('online')
        h.onOpen()
        // Only the first connection's replay is old news; after a reconnect it is what we missed.
        const replayedThrough = first ? Number(res.headers.get(REPLAY_HEADER) ?? 0) : 0
        first = false
        const parser = createParser({
          onEvent: ev => {
            if (ev.id !== undefined) lastId = ev.id
            let data: unknown
            try { data = JSON.parse(ev.data) } catch { return }
            if (data === null || typeof data !== 'object') return
            const obj = data as Record<string, unknown>
            if (typeof obj.type !== 'string' && ev.event !== undefined) obj.type = ev.event
            const seq = ev.id === undefined ? undefined : Number(ev.id)
            h.onEvent(obj, Number.isFinite(seq) ? seq : undefined, seq !== undefined && seq <= replayedThrough)
          }
        })
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          parser.feed(value)
        }
        throw new Error('events: stream ended')
      } catch {
        if (stop.signal.aborted) return
        h.onConnection('offline')
        await sleep(delay, stop.signal)
        delay = Math.min(delay * 2, MAX_RETRY_MS)
      }
    }
  })()
  return () => { stop.abort() }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}
