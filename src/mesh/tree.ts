/**
 * The broadcast tree (Plumtree: Leitão et al., "Epidemic Broadcast Trees", 2007). Broadcasts are
 * pushed only over eager links; a link that delivers a duplicate is pruned to lazy, and lazy links
 * get batched IHAVE announcements instead. A node that hears of a message it still lacks after
 * `graftAfterMs` GRAFTs the link back to eager and fetches it from the announcer's cache.
 * Pure bookkeeping: the clock is passed in and the mesh does the sending.
 */

export interface TreeOptions {
  /** Wait this long after an IHAVE before asking for a message the tree has not brought. */
  graftAfterMs: number
  /** Keep relayed frames this long, so GRAFTs can be answered. */
  cacheMs: number
  /** And at most this many bytes of them (oldest dropped first). */
  maxCacheBytes: number
  /** Announced ids we wait for at most at once; beyond it, announcements are ignored. */
  maxMissing: number
}

interface Missing { announcers: string[], since: number }

export class BroadcastTree {
  private readonly opts: TreeOptions
  private readonly lazy = new Set<string>()
  private readonly peers = new Set<string>()
  /** Lazy peer -> ids to announce at the next flush. */
  private readonly unannounced = new Map<string, string[]>()
  private readonly missing = new Map<string, Missing>()
  private readonly cache = new Map<string, { bytes: Uint8Array, until: number }>()
  /** Recent ids whose first copy came over a lazy link (a push that crossed our PRUNE). */
  private readonly firstViaLazy = new Set<string>()
  private cacheBytes = 0

  constructor (opts: TreeOptions) {
    this.opts = opts
  }

  /** A new link starts eager: the first broadcasts flood, and duplicates prune the redundant links. */
  addPeer (peerId: string): void {
    this.peers.add(peerId)
    this.lazy.delete(peerId)
  }

  /** Forgets a link. Returns the lazy peers, which the mesh grafts back so no branch stays cut off. */
  removePeer (peerId: string): string[] {
    this.peers.delete(peerId)
    this.lazy.delete(peerId)
    this.unannounced.delete(peerId)
    return [...this.lazy]
  }

  has (peerId: string): boolean { return this.peers.has(peerId) }
  /** Tree links (peers and hubs; leaves and text clients are outside the tree). */
  get size (): number { return this.peers.size }
  isEager (peerId: string): boolean { return this.peers.has(peerId) && !this.lazy.has(peerId) }

  /** Makes a link lazy. True when it was eager. */
  prune (peerId: string): boolean {
    if (!this.isEager(peerId)) return false
    this.lazy.add(peerId)
    return true
  }

  graft (peerId: string): void {
    this.lazy.delete(peerId)
  }

  /** Queues an IHAVE for a lazy peer that was not pushed message `id`. */
  announce (peerId: string, id: string): void {
    const ids = this.unannounced.get(peerId)
    if (ids === undefined) this.unannounced.set(peerId, [id])
    else ids.push(id)
  }

  /** Takes the queued announcements: each lazy peer with its ids, in order (splitList cuts them into frames). */
  drainAnnouncements (): Array<[string, string[]]> {
    const out = [...this.unannounced]
    this.unannounced.clear()
    return out
  }

  /** Keeps a relayed frame's bytes for GRAFT requests. */
  hold (id: string, bytes: Uint8Array, now: number): void {
    if (bytes.length > this.opts.maxCacheBytes || this.cache.has(id)) return
    this.cache.set(id, { bytes, until: now + this.opts.cacheMs })
    this.cacheBytes += bytes.length
    for (const [oldId, entry] of this.cache) {
      if (this.cacheBytes <= this.opts.maxCacheBytes) break
      this.drop(oldId, entry.bytes)
    }
  }

  cached (id: string): Uint8Array | undefined { return this.cache.get(id)?.bytes }

  /** An IHAVE arrived: remember who has the ids we lack. */
  announced (peerId: string, ids: string[], now: number, known: (id: string) => boolean): void {
    for (const id of ids) {
      if (known(id)) continue
      const m = this.missing.get(id)
      if (m === undefined) {
        if (this.missing.size < this.opts.maxMissing) this.missing.set(id, { announcers: [peerId], since: now })
      } else if (!m.announcers.includes(peerId)) m.announcers.push(peerId)
    }
  }

  /** The message arrived (first copy) from `peerId`: no GRAFT needed. */
  received (id: string, peerId: string): void {
    this.missing.delete(id)
    if (!this.lazy.has(peerId)) return
    this.firstViaLazy.add(id)
    if (this.firstViaLazy.size > this.opts.maxMissing) this.firstViaLazy.delete(this.firstViaLazy.values().next().value as string)
  }

  /**
   * A duplicate of `id` came from `peerId`: prune that link, unless the first copy came over a lazy
   * link. Then the eager copy is our tree parent's, arriving late; pruning it could cut us off.
   * True when the link was pruned (the mesh then sends PRUNE).
   */
  duplicate (id: string, peerId: string): boolean {
    if (this.firstViaLazy.has(id)) return false
    return this.prune(peerId)
  }

  /**
   * Ids still missing `graftAfterMs` after they were announced, grouped by the announcer to GRAFT.
   * Each retry goes to the next announcer; with none left the id is given up.
   */
  dueGrafts (now: number, known: (id: string) => boolean): Map<string, string[]> {
    const grafts = new Map<string, string[]>()
    for (const [id, m] of this.missing) {
      if (m.since + this.opts.graftAfterMs > now) continue
      const announcer = m.announcers.shift()
      if (known(id) || announcer === undefined) { this.missing.delete(id); continue }
      m.since = now
      const ids = grafts.get(announcer)
      if (ids === undefined) grafts.set(announcer, [id])
      else ids.push(id)
    }
    return grafts
  }

  /** Drops cached frames past their time. */
  expire (now: number): void {
    for (const [id, entry] of this.cache) {
      if (entry.until > now) break
      this.drop(id, entry.bytes)
    }
  }

  get lazyPeers (): number { return this.lazy.size }
  get cachedBytes (): number { return this.cacheBytes }

  private drop (id: string, bytes: Uint8Array): void {
    this.cache.delete(id)
    this.cacheBytes -= bytes.length
  }
}
