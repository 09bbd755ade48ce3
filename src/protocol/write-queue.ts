/**
 * A session's outgoing side. Frames wait here until a flush (now, at the end of the microtask, or
 * within LINGER_MS), then leave in one `send()`. What waits, here and in the stream's own write
 * buffer, counts against the session's limit and against the node-wide budget, so a peer that
 * stops reading costs a bounded amount of memory. (I/O: writes to the stream it is given.)
 */
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'

/** How long lingering frames may wait for company before they leave. */
export const LINGER_MS = 100

/**
 * When a queued frame leaves: with this call (direct messages, ACKs), at the end of the microtask
 * (the default), or within LINGER_MS, so bursts of news become one write (each write costs a Noise
 * frame and a syscall that wakes the reader: a hub taking 500 joins at once spent a third of its CPU
 * in socket writes).
 */
export const SendWhen = { now: 'now', soon: 'soon', linger: 'linger' } as const
export type SendWhen = typeof SendWhen[keyof typeof SendWhen]

/** What the queue tells its session. */
export interface QueueOwner {
  /** The stream refused the write (closing, closed or reset). */
  writeFailed: (err: Error) => void
  /** More bytes wait than allowed: `nodeWide` when the node's budget, not the session's own limit, was passed. */
  overflow: (queued: number, limit: number, nodeWide: boolean) => void
}

export class WriteQueue {
  readonly stream: Stream
  private readonly owner: QueueOwner
  private readonly budget: QueueBudget
  /** Frames not yet handed to the stream; created on first use. */
  private pending: Uint8Array[] | undefined
  private pendingBytes = 0
  private flushScheduled = false
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  /** @internal What the budget last counted for this queue. */
  reported = 0

  constructor (stream: Stream, owner: QueueOwner, budget: QueueBudget) {
    this.stream = stream
    this.owner = owner
    this.budget = budget
    budget.add(this)
  }

  /** Bytes waiting: ours, and those the stream holds because the remote's window is full. */
  get queuedBytes (): number {
    return this.closed ? 0 : this.pendingBytes + this.stream.writeBufferLength
  }

  /** Queues bytes; whatever is queued leaves in one write, in order, at the earliest time any frame asked for. */
  push (bytes: Uint8Array, when: SendWhen): void {
    if (this.closed) return
    if (this.pending === undefined) this.pending = [bytes]
    else this.pending.push(bytes)
    this.pendingBytes += bytes.byteLength
    if (when === SendWhen.now) {
      this.flush()
    } else if (when === SendWhen.soon) {
      if (this.flushScheduled) return
      this.flushScheduled = true
      queueMicrotask(() => { this.flush() })
    } else {
      // Linger: a flush already due (microtask or timer) takes this frame along; else start the timer.
      if (this.lingerTimer !== undefined || this.flushScheduled) return
      this.lingerTimer = setTimeout(WriteQueue.flushLingering, LINGER_MS, this)
    }
  }

  /** Static, with the queue as the timer's argument: no closure kept per session. */
  private static flushLingering (q: WriteQueue): void {
    q.flush()
  }

  /** Hands everything queued to the stream, then checks the limits. */
  flush (): void {
    this.flushScheduled = false
    this.clearLinger()
    const pending = this.pending
    if (this.closed || pending === undefined || pending.length === 0) return
    const batch = pending.length === 1 ? pending[0] as Uint8Array : new Uint8ArrayList(...pending)
    this.pending = undefined
    this.pendingBytes = 0
    try {
      this.stream.send(batch)
    } catch (err) {
      this.owner.writeFailed(err as Error)
      return
    }
    this.check()
  }

  /** Recounts what waits (after a write, or when the stream drained) against both limits. */
  check (): void {
    if (this.closed) return
    const queued = this.queuedBytes
    if (queued > this.budget.maxQueuedBytes) {
      this.owner.overflow(queued, this.budget.maxQueuedBytes, false)
      return
    }
    this.budget.update(this, queued)
  }

  /** Drops whatever waits and leaves the budget; nothing more is queued. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.pending = undefined
    this.pendingBytes = 0
    this.flushScheduled = false
    this.clearLinger()
    this.budget.remove(this)
  }

  /** @internal Called by the budget when this queue is among the largest past the node-wide cap. */
  cut (queued: number): void {
    if (this.closed) return
    this.owner.overflow(queued, this.budget.maxQueuedBytesTotal, true)
  }

  private clearLinger (): void {
    if (this.lingerTimer === undefined) return
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
  }
}

/**
 * Bytes waiting across all of a node's sessions. Each queue reports after its writes and drains, so
 * the running total only overestimates (a buffer that shrank unseen); past the cap it is recounted
 * exactly, and only then are the largest queues cut, until the rest fits.
 */
export class QueueBudget {
  readonly maxQueuedBytes: number
  readonly maxQueuedBytesTotal: number
  private readonly queues = new Set<WriteQueue>()
  private total = 0
  private enforcing = false

  constructor (maxQueuedBytes: number, maxQueuedBytesTotal: number) {
    this.maxQueuedBytes = maxQueuedBytes
    this.maxQueuedBytesTotal = maxQueuedBytesTotal
  }

  /** Bytes counted as waiting (an upper bound between recounts). */
  get queuedBytes (): number { return this.total }

  add (q: WriteQueue): void {
    this.queues.add(q)
  }

  remove (q: WriteQueue): void {
    if (!this.queues.delete(q)) return
    this.total -= q.reported
    q.reported = 0
  }

  update (q: WriteQueue, queued: number): void {
    if (!this.queues.has(q)) return
    this.total += queued - q.reported
    q.reported = queued
    if (this.total > this.maxQueuedBytesTotal) this.enforce()
  }

  /** Recounts every queue; while the total is over the cap, cuts the largest. */
  private enforce (): void {
    if (this.enforcing) return // a cut closes sessions, whose goodbyes reach other queues
    this.enforcing = true
    try {
      let total = 0
      const sizes: Array<[WriteQueue, number]> = []
      for (const q of this.queues) {
        const queued = q.queuedBytes
        q.reported = queued
        total += queued
        if (queued > 0) sizes.push([q, queued])
      }
      this.total = total
      if (total <= this.maxQueuedBytesTotal) return
      sizes.sort((a, b) => b[1] - a[1])
      for (const [q, queued] of sizes) {
        if (this.total <= this.maxQueuedBytesTotal) break
        q.cut(queued) // the owner closes the queue, which leaves the budget and lowers the total
        if (this.queues.has(q)) this.remove(q)
      }
    } finally {
      this.enforcing = false
    }
  }
}
