/**
 * Heartbeats to pass on, batched: every flush sends each link one HEARTBEAT frame with the news it
 * did not bring, instead of one MEMBER frame per heartbeat per link. Pure bookkeeping.
 */
export type Beat = [peerId: string, inc: number, seq: number]

export class BeatRelay {
  /** Member -> its latest heartbeat, and the link it came from (undefined: a member we speak for). */
  private readonly pending = new Map<string, { inc: number, seq: number, from: string | undefined }>()

  get size (): number { return this.pending.size }

  queue (peerId: string, inc: number, seq: number, from: string | undefined): void {
    this.pending.set(peerId, { inc, seq, from })
  }

  /** Takes the queued beats: for each link, all but those it told us and its own (splitList cuts them into frames). */
  drain (links: string[]): Array<[string, Beat[]]> {
    const out: Array<[string, Beat[]]> = []
    if (this.pending.size === 0) return out
    for (const link of links) {
      const beats: Beat[] = []
      for (const [peerId, b] of this.pending) if (b.from !== link && peerId !== link) beats.push([peerId, b.inc, b.seq])
      if (beats.length > 0) out.push([link, beats])
    }
    this.pending.clear()
    return out
  }
}
