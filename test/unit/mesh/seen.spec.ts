import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SeenCache } from '../../../src/mesh/seen.ts'

describe('seen cache', () => {
  it('seen - add is true the first time and false while the id is remembered', () => {
    const s = new SeenCache(100)
    assert.equal(s.add('a', 0), true)
    assert.equal(s.add('a', 0), false)
    assert.equal(s.add('a', 99), false)
    assert.equal(s.size, 1)
  })

  it('seen - has reports remembered ids only', () => {
    const s = new SeenCache(100)
    assert.equal(s.has('a', 0), false)
    s.add('a', 0)
    assert.equal(s.has('a', 0), true)
    assert.equal(s.has('a', 99), true)
    assert.equal(s.has('b', 0), false)
  })

  it('seen - has does not record the id', () => {
    const s = new SeenCache(100)
    s.has('a', 0)
    assert.equal(s.size, 0)
    assert.equal(s.add('a', 0), true)
  })

  it('seen - an id is forgotten exactly ttlMs after it was added', () => {
    const s = new SeenCache(100)
    s.add('a', 1000)
    assert.equal(s.has('a', 1099), true)
    assert.equal(s.has('a', 1100), false)
    assert.equal(s.add('a', 1100), true)
    assert.equal(s.has('a', 1199), true)
  })

  it('seen - a duplicate add does not extend the TTL', () => {
    const s = new SeenCache(100)
    s.add('a', 0)
    assert.equal(s.add('a', 90), false)
    assert.equal(s.has('a', 100), false)
  })

  it('seen - ids are independent', () => {
    const s = new SeenCache(100)
    s.add('a', 0)
    s.add('b', 50)
    assert.equal(s.has('a', 120), false)
    assert.equal(s.has('b', 120), true)
  })

  it('seen - prune drops expired ids and keeps live ones', () => {
    const s = new SeenCache(100)
    s.add('a', 0)
    s.add('b', 10)
    s.add('c', 200)
    s.prune(150)
    assert.equal(s.size, 1)
    assert.equal(s.has('c', 150), true)
  })

  it('seen - prune with nothing expired keeps everything', () => {
    const s = new SeenCache(100)
    s.add('a', 0)
    s.add('b', 10)
    s.prune(50)
    assert.equal(s.size, 2)
  })

  it('seen - prune of an empty cache is harmless', () => {
    const s = new SeenCache(100)
    s.prune(0)
    s.prune(0, true)
    assert.equal(s.size, 0)
  })

  it('seen - prune drops every expired id, even when an id was re-added after it expired', () => {
    const s = new SeenCache(100)
    s.add('a', 0) // until 100
    s.add('b', 50) // until 150
    assert.equal(s.add('a', 120), true) // expired, seen anew: until 220
    s.prune(160)
    // b expired at 150; only a is live.
    assert.equal(s.has('a', 160), true)
    assert.equal(s.size, 1)
  })

  it('seen - maxEntries bounds the size', () => {
    const s = new SeenCache(1_000_000, 3)
    for (let i = 0; i < 10; i++) s.add(`id-${i}`, i)
    assert.equal(s.size, 3)
  })

  it('seen - at maxEntries the oldest live id is evicted first', () => {
    const s = new SeenCache(1000, 3)
    s.add('a', 0)
    s.add('b', 1)
    s.add('c', 2)
    assert.equal(s.add('d', 3), true)
    assert.equal(s.has('a', 3), false)
    for (const id of ['b', 'c', 'd']) assert.equal(s.has(id, 3), true, id)
  })

  it('seen - at maxEntries expired ids go before any live one', () => {
    const s = new SeenCache(100, 3)
    s.add('a', 0)
    s.add('b', 10)
    s.add('c', 150)
    // a and b are expired at 200; c is live and must survive.
    s.add('d', 200)
    assert.equal(s.has('c', 200), true)
    assert.equal(s.has('d', 200), true)
    assert.ok(s.size <= 3)
  })

  it('seen - at maxEntries the evicted id is the oldest even after an id was re-added', () => {
    const s = new SeenCache(100, 3)
    s.add('a', 0) // until 100
    s.add('b', 50) // until 150
    assert.equal(s.add('a', 120), true) // a expired and was seen anew: until 220
    s.add('c', 130) // until 230
    s.add('d', 140) // full: the oldest live entry is b (added at 50), not a (added at 120)
    assert.equal(s.has('a', 140), true, 'a was added 20 ms ago and must still be remembered')
    assert.equal(s.has('c', 140), true)
    assert.equal(s.has('d', 140), true)
    assert.ok(s.size <= 3)
  })

  it('seen - a duplicate add at maxEntries evicts nothing', () => {
    const s = new SeenCache(1000, 2)
    s.add('a', 0)
    s.add('b', 1)
    assert.equal(s.add('b', 2), false)
    assert.equal(s.has('a', 2), true)
    assert.equal(s.size, 2)
  })

  it('seen - ids that recur after expiring are fresh each time, and prune keeps only live ones', () => {
    const s = new SeenCache(50, 1000)
    let fresh = 0
    for (let t = 0; t < 500; t++) {
      if (s.add(`m-${t % 100}`, t)) fresh++
      if (t % 10 === 0) s.prune(t)
    }
    // Each id recurs every 100 ms and the TTL is 50 ms, so every add is fresh.
    assert.equal(fresh, 500)
    s.prune(499)
    // Live at 499: the ids added at 450..499.
    assert.equal(s.size, 50)
  })
})
