/**
 * Lines a leaf is asked to send while it holds no session (before its first join, or while it
 * reconnects). Bounded by count and bytes; what does not fit is dropped and counted, never silently.
 */
export interface OutboxLimits { messages: number, bytes: number }

export class Outbox {
  private readonly limits: OutboxLimits
  private readonly lines: string[] = []
  private head = 0
  private size = 0
  /** Lines refused because the queue was full, since the node started. */
  dropped = 0
  /** Lines sent after waiting here, since the node started. */
  sent = 0

  constructor (limits: OutboxLimits) {
    this.limits = limits
  }

  get length (): number { return this.lines.length - this.head }
  get bytes (): number { return this.size }

  /** Queues a line; false (and counted) when it does not fit. */
  push (text: string): boolean {
    const bytes = Buffer.byteLength(text)
    if (this.length + 1 > this.limits.messages || this.size + bytes > this.limits.bytes) {
      this.dropped++
      return false
    }
    this.lines.push(text)
    this.size += bytes
    return true
  }

  /** The oldest line, removed. */
  shift (): string | undefined {
    if (this.head >= this.lines.length) return undefined
    const text = this.lines[this.head++] as string
    this.size -= Buffer.byteLength(text)
    this.sent++
    if (this.head > 1024 && this.head * 2 > this.lines.length) { this.lines.splice(0, this.head); this.head = 0 }
    return text
  }
}
