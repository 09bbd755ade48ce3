/** The events /v1/events streams: numbered from 1 per node run, the latest kept for resumption (Last-Event-ID). */
import { OVERLAY_EVENT_TYPES } from '../events.ts'
import type { OverlayNode } from '../node/create-node.ts'

/** Every event type the node emits is streamed. */
export const STREAMED_EVENTS = OVERLAY_EVENT_TYPES

/** A rough size, to bound the ring in bytes as well as in count (message texts can be large). */
const OVERHEAD_BYTES = 256

export interface RingEntry {
  id: number
  event: { type: string } & Record<string, unknown>
  bytes: number
}

export class EventRing {
  private readonly entries: RingEntry[] = []
  private readonly maxEntries: number
  private readonly maxBytes: number
  private bytes = 0
  private next = 1
  private readonly subscribers = new Set<(entry: RingEntry) => void>()

  constructor (maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries
    this.maxBytes = maxBytes
  }

  get lastId (): number { return this.next - 1 }
  get size (): number { return this.entries.length }

  push (event: RingEntry['event']): void {
    const text = event.text
    const entry: RingEntry = { id: this.next++, event, bytes: OVERHEAD_BYTES + (typeof text === 'string' ? text.length : 0) }
    this.entries.push(entry)
    this.bytes += entry.bytes
    while (this.entries.length > this.maxEntries || (this.bytes > this.maxBytes && this.entries.length > 1)) {
      this.bytes -= (this.entries.shift() as RingEntry).bytes
    }
    for (const fn of this.subscribers) fn(entry)
  }

  /** The kept entry with this id, if it is still kept. */
  get (id: number): RingEntry | undefined {
    const first = this.entries[0]
    return first === undefined ? undefined : this.entries[id - first.id]
  }

  /**
   * Entries after `lastId`. An id beyond the newest comes from an earlier run of the node (ids
   * restart at 1): everything kept is sent. Entries that fell off the ring are lost.
   */
  since (lastId: number | undefined): RingEntry[] {
    if (lastId === undefined) return []
    if (lastId > this.lastId) return [...this.entries]
    return this.entries.filter(e => e.id > lastId)
  }

  subscribe (fn: (entry: RingEntry) => void): () => void {
    this.subscribers.add(fn)
    return () => { this.subscribers.delete(fn) }
  }
}

/** Feeds the node's events into the ring; returns the unsubscribe function. */
export function recordEvents (node: OverlayNode, ring: EventRing): () => void {
  const listeners = STREAMED_EVENTS.map(type => {
    const fn = (evt: Event): void => { ring.push({ type, ...(evt as CustomEvent<Record<string, unknown>>).detail }) }
    node.addEventListener(type, fn)
    return () => { node.removeEventListener(type, fn) }
  })
  return () => { for (const off of listeners) off() }
}
