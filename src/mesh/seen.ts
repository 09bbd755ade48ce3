/** Remembers ids for a while, so each broadcast is delivered and relayed once. Pure: clock passed in. */
export class SeenCache {
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly expiry = new Map<string, number>()

  constructor (ttlMs: number, maxEntries = 1_000_000) {
    this.ttlMs = ttlMs
    this.maxEntries = maxEntries
  }

  get size (): number { return this.expiry.size }

  has (id: string, now: number): boolean {
    const until = this.expiry.get(id)
    return until !== undefined && until > now
  }

  /** True the first time an id is seen within the TTL. */
  add (id: string, now: number): boolean {
    const until = this.expiry.get(id)
    if (until !== undefined && until > now) return false
    this.expiry.delete(id) // re-insert at the end, so the Map stays ordered by expiry
    if (this.expiry.size >= this.maxEntries) this.prune(now, true)
    this.expiry.set(id, now + this.ttlMs)
    return true
  }

  /** Drops expired ids (Map keeps insertion order, so the oldest come first). */
  prune (now: number, force = false): void {
    for (const [id, until] of this.expiry) {
      if (until > now && !force) break
      this.expiry.delete(id)
      force = false
    }
  }
}
