import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EventRing } from '../../../src/api/ring.ts'

const ev = (n: number, text?: string): { type: string, n: number, text?: string } => text === undefined ? { type: 'joined', n } : { type: 'message', n, text }

describe('api ring', () => {
  it('ring - numbers events from 1 and replays those after an id', () => {
    const ring = new EventRing(10, 1 << 20)
    for (let i = 0; i < 5; i++) ring.push(ev(i))
    assert.equal(ring.lastId, 5)
    assert.deepEqual(ring.since(3).map(e => e.id), [4, 5])
    assert.deepEqual(ring.since(0).map(e => e.id), [1, 2, 3, 4, 5])
    assert.deepEqual(ring.since(5), [])
    assert.deepEqual(ring.since(undefined), [], 'no Last-Event-ID: nothing replayed')
  })

  it('ring - keeps at most maxEntries, dropping the oldest', () => {
    const ring = new EventRing(3, 1 << 20)
    for (let i = 0; i < 10; i++) ring.push(ev(i))
    assert.equal(ring.size, 3)
    assert.deepEqual(ring.since(0).map(e => e.id), [8, 9, 10])
    assert.deepEqual(ring.since(2).map(e => e.id), [8, 9, 10], 'a resume from before the ring gets what is kept')
  })

  it('ring - keeps at most about maxBytes of message texts, but always the newest event', () => {
    const ring = new EventRing(1000, 64 * 1024)
    for (let i = 0; i < 10; i++) ring.push(ev(i, 'x'.repeat(20_000)))
    assert.equal(ring.size, 3)
    ring.push(ev(99, 'y'.repeat(200_000)))
    assert.equal(ring.size, 1)
    assert.equal(ring.since(0)[0]?.id, 11)
  })

  it('ring - an id beyond the newest (an earlier run of the node) replays everything kept', () => {
    const ring = new EventRing(10, 1 << 20)
    ring.push(ev(1))
    ring.push(ev(2))
    assert.deepEqual(ring.since(500).map(e => e.id), [1, 2])
  })

  it('ring - subscribers get each new event once, until they unsubscribe', () => {
    const ring = new EventRing(10, 1 << 20)
    const got: number[] = []
    const off = ring.subscribe(e => got.push(e.id))
    ring.push(ev(1))
    ring.push(ev(2))
    off()
    ring.push(ev(3))
    assert.deepEqual(got, [1, 2])
  })
})
