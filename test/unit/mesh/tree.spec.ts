import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BroadcastTree } from '../../../src/mesh/tree.ts'
import type { TreeOptions } from '../../../src/mesh/tree.ts'

const A = '12D3KooWPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const B = '12D3KooWPeerBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
const C = '12D3KooWPeerCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'
const D = '12D3KooWPeerDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD'

const GRAFT_AFTER = 500
const CACHE_MS = 10_000

function tree (over: Partial<TreeOptions> = {}): BroadcastTree {
  return new BroadcastTree({ graftAfterMs: GRAFT_AFTER, cacheMs: CACHE_MS, maxCacheBytes: 100, maxMissing: 10, ...over })
}

/** A tree holding these links, all eager. */
function withPeers (...peers: string[]): BroadcastTree {
  const t = tree()
  for (const p of peers) t.addPeer(p)
  return t
}

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)
const nothingKnown = (): boolean => false
/** dueGrafts as plain sorted entries, easier to compare. */
const grafts = (t: BroadcastTree, now: number, known: (id: string) => boolean = nothingKnown): Array<[string, string[]]> =>
  [...t.dueGrafts(now, known)].sort(([a], [b]) => a < b ? -1 : 1)

describe('tree links', () => {
  it('tree - a new link is eager; an unknown one is neither eager nor in the tree', () => {
    const t = withPeers(A)
    assert.equal(t.has(A), true)
    assert.equal(t.isEager(A), true)
    assert.equal(t.lazyPeers, 0)
    assert.equal(t.has(B), false)
    assert.equal(t.isEager(B), false)
  })

  it('tree - prune makes an eager link lazy once; graft makes it eager again', () => {
    const t = withPeers(A, B)
    assert.equal(t.prune(A), true)
    assert.equal(t.isEager(A), false)
    assert.equal(t.has(A), true, 'a lazy link is still a tree link')
    assert.equal(t.lazyPeers, 1)
    assert.equal(t.prune(A), false, 'already lazy')
    assert.equal(t.lazyPeers, 1)
    assert.equal(t.isEager(B), true, 'the other link is untouched')
    t.graft(A)
    assert.equal(t.isEager(A), true)
    assert.equal(t.lazyPeers, 0)
    assert.equal(t.prune(A), true, 'a grafted link can be pruned again')
  })

  it('tree - prune of a link that is not in the tree does nothing', () => {
    const t = withPeers(A)
    assert.equal(t.prune(B), false)
    assert.equal(t.lazyPeers, 0)
    assert.equal(t.has(B), false)
  })

  it('tree - a link that opens again starts eager', () => {
    const t = withPeers(A)
    t.prune(A)
    t.addPeer(A)
    assert.equal(t.isEager(A), true)
    assert.equal(t.lazyPeers, 0)
  })

  it('tree - removePeer returns the lazy peers left and forgets the link', () => {
    const t = withPeers(A, B, C, D)
    t.prune(B)
    t.prune(C)
    assert.deepEqual(t.removePeer(A).sort(), [B, C].sort())
    assert.equal(t.has(A), false)
    assert.equal(t.isEager(A), false)
    // A lazy link that closes is not among the peers to graft back.
    assert.deepEqual(t.removePeer(B), [C])
    assert.equal(t.has(B), false)
    assert.equal(t.lazyPeers, 1)
    assert.deepEqual(t.removePeer(D), [C])
    assert.deepEqual(withPeers(A, B).removePeer(A), [], 'no lazy links, nothing to graft')
  })

  it('tree - removePeer drops the announcements still queued for that link', () => {
    const t = withPeers(A, B)
    t.prune(A)
    t.prune(B)
    t.announce(A, 'm1')
    t.announce(B, 'm2')
    t.removePeer(A)
    assert.deepEqual(t.drainAnnouncements(), [[B, ['m2']]])
  })
})

describe('tree duplicates', () => {
  it('tree - a duplicate over an eager link prunes it once, then returns false', () => {
    const t = withPeers(A, B)
    t.received('m1', B)
    assert.equal(t.duplicate('m1', A), true)
    assert.equal(t.isEager(A), false)
    assert.equal(t.duplicate('m1', A), false, 'the same duplicate again')
    assert.equal(t.duplicate('m2', A), false, 'another duplicate over the now lazy link')
    assert.equal(t.isEager(B), true)
  })

  it('tree - a duplicate from a link outside the tree prunes nothing', () => {
    const t = withPeers(A)
    t.received('m1', A)
    assert.equal(t.duplicate('m1', C), false)
    assert.equal(t.isEager(A), true)
  })

  it('tree - no prune when the first copy came over a lazy link', () => {
    const t = withPeers(A, B)
    t.prune(B)
    t.received('m1', B) // first copy over lazy B (a push that crossed our PRUNE)
    assert.equal(t.duplicate('m1', A), false, 'the late eager copy is from the tree parent')
    assert.equal(t.isEager(A), true)
    // The rule is per message: another message first received over eager A still prunes on its duplicate.
    t.received('m2', A)
    t.graft(B)
    assert.equal(t.duplicate('m2', B), true)
    assert.equal(t.isEager(A), true)
  })

  it('tree - a first copy over an eager link does not protect the duplicate link', () => {
    const t = withPeers(A, B)
    t.received('m1', A)
    assert.equal(t.duplicate('m1', B), true)
  })

  it('tree - the first-via-lazy memory is bounded by maxMissing, oldest forgotten first', () => {
    const t = new BroadcastTree({ graftAfterMs: GRAFT_AFTER, cacheMs: CACHE_MS, maxCacheBytes: 100, maxMissing: 3 })
    t.addPeer(A)
    t.addPeer(B)
    t.prune(B)
    for (const id of ['m1', 'm2', 'm3', 'm4']) t.received(id, B)
    assert.equal(t.duplicate('m2', A), false, 'm2 is still remembered')
    assert.equal(t.isEager(A), true)
    assert.equal(t.duplicate('m1', A), true, 'm1 was forgotten, so its duplicate prunes')
  })
})

describe('tree announcements', () => {
  it('tree - drainAnnouncements gives each peer its ids in order, then clears', () => {
    const t = withPeers(A, B)
    t.prune(A)
    t.prune(B)
    for (const id of ['1', '2', '3', '4', '5']) t.announce(A, id)
    t.announce(B, 'x')
    assert.deepEqual(t.drainAnnouncements(), [[A, ['1', '2', '3', '4', '5']], [B, ['x']]])
    assert.deepEqual(t.drainAnnouncements(), [], 'a second drain has nothing')
  })

  it('tree - 1000 announcements make one entry', () => {
    const t = withPeers(A)
    t.prune(A)
    const ids = Array.from({ length: 1000 }, (_, i) => `id-${i}`)
    for (const id of ids) t.announce(A, id)
    const out = t.drainAnnouncements()
    assert.equal(out.length, 1)
    assert.deepEqual(out[0], [A, ids])
    t.announce(A, 'one more')
    assert.deepEqual(t.drainAnnouncements(), [[A, ['one more']]], 'announcing after a drain starts a new batch')
  })

  it('tree - nothing announced drains to []', () => {
    assert.deepEqual(withPeers(A).drainAnnouncements(), [])
  })
})

describe('tree cache', () => {
  it('tree - hold keeps a frame until it expires', () => {
    const t = tree()
    const f = bytes(10)
    t.hold('m1', f, 1000)
    assert.equal(t.cached('m1'), f)
    assert.equal(t.cachedBytes, 10)
    t.expire(1000 + CACHE_MS - 1)
    assert.equal(t.cached('m1'), f)
    t.expire(1000 + CACHE_MS)
    assert.equal(t.cached('m1'), undefined)
    assert.equal(t.cachedBytes, 0)
    assert.equal(t.cached('never'), undefined)
  })

  it('tree - expire drops only the frames past their time', () => {
    const t = tree()
    t.hold('old', bytes(10), 0)
    t.hold('new', bytes(20), 5000)
    t.expire(CACHE_MS)
    assert.equal(t.cached('old'), undefined)
    assert.ok(t.cached('new') !== undefined)
    assert.equal(t.cachedBytes, 20)
  })

  it('tree - holding the same id twice keeps the first and counts it once', () => {
    const t = tree()
    const first = bytes(10, 1)
    t.hold('m1', first, 0)
    t.hold('m1', bytes(30, 2), 100)
    assert.equal(t.cached('m1'), first)
    assert.equal(t.cachedBytes, 10)
  })

  it('tree - the byte cap evicts the oldest frames first', () => {
    const t = tree({ maxCacheBytes: 100 })
    t.hold('a', bytes(40), 0)
    t.hold('b', bytes(40), 1)
    assert.equal(t.cachedBytes, 80)
    t.hold('c', bytes(40), 2)
    assert.equal(t.cached('a'), undefined, 'the oldest went')
    assert.ok(t.cached('b') !== undefined)
    assert.ok(t.cached('c') !== undefined)
    assert.equal(t.cachedBytes, 80)
    t.hold('d', bytes(90), 3)
    assert.deepEqual(['a', 'b', 'c', 'd'].map(id => t.cached(id) !== undefined), [false, false, false, true])
    assert.equal(t.cachedBytes, 90)
  })

  it('tree - a frame of exactly the cap is kept, one byte bigger is not cached and evicts nothing', () => {
    const t = tree({ maxCacheBytes: 100 })
    t.hold('small', bytes(10), 0)
    t.hold('huge', bytes(101), 1)
    assert.equal(t.cached('huge'), undefined)
    assert.ok(t.cached('small') !== undefined, 'an uncacheable frame does not evict others')
    assert.equal(t.cachedBytes, 10)
    t.hold('full', bytes(100), 2)
    assert.ok(t.cached('full') !== undefined)
    assert.equal(t.cached('small'), undefined)
    assert.equal(t.cachedBytes, 100)
  })
})

describe('tree missing ids and grafts', () => {
  it('tree - announced ignores ids already known', () => {
    const t = withPeers(A)
    t.announced(A, ['known', 'new'], 0, id => id === 'known')
    assert.deepEqual(grafts(t, GRAFT_AFTER), [[A, ['new']]])
  })

  it('tree - dueGrafts waits graftAfterMs after the first announcement', () => {
    const t = withPeers(A)
    t.announced(A, ['m1'], 1000, nothingKnown)
    assert.deepEqual(grafts(t, 1000), [])
    assert.deepEqual(grafts(t, 1000 + GRAFT_AFTER - 1), [])
    assert.deepEqual(grafts(t, 1000 + GRAFT_AFTER), [[A, ['m1']]])
  })

  it('tree - asks the first announcer, then the next at a later call, then gives up', () => {
    const t = withPeers(A, B, C)
    t.announced(A, ['m1'], 0, nothingKnown)
    t.announced(B, ['m1'], 100, nothingKnown) // a later announcer does not restart the wait
    t.announced(A, ['m1'], 200, nothingKnown) // nor does the same announcer again, and it is listed once
    assert.deepEqual(grafts(t, GRAFT_AFTER), [[A, ['m1']]])
    assert.deepEqual(grafts(t, GRAFT_AFTER + 1), [], 'the retry waits graftAfterMs again')
    assert.deepEqual(grafts(t, 2 * GRAFT_AFTER - 1), [])
    assert.deepEqual(grafts(t, 2 * GRAFT_AFTER), [[B, ['m1']]])
    assert.deepEqual(grafts(t, 3 * GRAFT_AFTER), [], 'no announcer left: given up')
    assert.deepEqual(grafts(t, 100 * GRAFT_AFTER), [])
    // Given up means forgotten: a new announcement starts a fresh wait.
    t.announced(C, ['m1'], 10_000, nothingKnown)
    assert.deepEqual(grafts(t, 10_000 + GRAFT_AFTER - 1), [])
    assert.deepEqual(grafts(t, 10_000 + GRAFT_AFTER), [[C, ['m1']]])
  })

  it('tree - grafts are grouped by announcer', () => {
    const t = withPeers(A, B)
    t.announced(A, ['m1', 'm2'], 0, nothingKnown)
    t.announced(B, ['m3'], 0, nothingKnown)
    t.announced(B, ['m1'], 0, nothingKnown)
    assert.deepEqual(grafts(t, GRAFT_AFTER), [[A, ['m1', 'm2']], [B, ['m3']]])
    assert.deepEqual(grafts(t, 2 * GRAFT_AFTER), [[B, ['m1']]])
  })

  it('tree - an id that became known by the time it is due is dropped, not grafted', () => {
    const t = withPeers(A, B)
    t.announced(A, ['m1', 'm2'], 0, nothingKnown)
    t.announced(B, ['m1'], 0, nothingKnown)
    assert.deepEqual(grafts(t, GRAFT_AFTER, id => id === 'm1'), [[A, ['m2']]])
    // m1 is gone for good (B is not asked later), m2 has no announcer left.
    assert.deepEqual(grafts(t, 10 * GRAFT_AFTER), [])
  })

  it('tree - received cancels a missing id', () => {
    const t = withPeers(A, B)
    t.announced(A, ['m1', 'm2'], 0, nothingKnown)
    t.received('m1', B)
    assert.deepEqual(grafts(t, GRAFT_AFTER), [[A, ['m2']]])
  })

  it('tree - announced respects maxMissing, but still adds announcers to ids it waits for', () => {
    const t = new BroadcastTree({ graftAfterMs: GRAFT_AFTER, cacheMs: CACHE_MS, maxCacheBytes: 100, maxMissing: 3 })
    t.addPeer(A)
    t.addPeer(B)
    t.announced(A, ['1', '2', '3', '4', '5'], 0, nothingKnown)
    t.announced(B, ['1', '6'], 0, nothingKnown)
    assert.deepEqual(grafts(t, GRAFT_AFTER), [[A, ['1', '2', '3']]])
    assert.deepEqual(grafts(t, 2 * GRAFT_AFTER), [[B, ['1']]])
    // Once given up, there is room again.
    assert.deepEqual(grafts(t, 3 * GRAFT_AFTER), [])
    t.announced(A, ['4'], 5000, nothingKnown)
    assert.deepEqual(grafts(t, 5000 + GRAFT_AFTER), [[A, ['4']]])
  })

  it('tree - nothing announced, nothing to graft', () => {
    assert.equal(withPeers(A).dueGrafts(1e12, nothingKnown).size, 0)
  })
})
