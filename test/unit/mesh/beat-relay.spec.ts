import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BeatRelay } from '../../../src/mesh/beat-relay.ts'

const P1 = '12D3KooWPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const P2 = '12D3KooWPeerBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
const P3 = '12D3KooWPeerCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'
const L1 = '12D3KooWLinkLinkLinkLinkLinkLinkLinkLinkLinkLink01'
const L2 = '12D3KooWLinkLinkLinkLinkLinkLinkLinkLinkLinkLink02'
const L3 = '12D3KooWLinkLinkLinkLinkLinkLinkLinkLinkLinkLink03'

describe('beat-relay', () => {
  it('beat-relay - an empty relay drains to [] whatever the links', () => {
    const r = new BeatRelay()
    assert.equal(r.size, 0)
    assert.deepEqual(r.drain([L1, L2]), [])
    assert.deepEqual(r.drain([]), [])
  })

  it('beat-relay - a beat is passed to every link but the one it came from', () => {
    const r = new BeatRelay()
    r.queue(P1, 7, 3, L1)
    assert.equal(r.size, 1)
    assert.deepEqual(r.drain([L1, L2, L3]), [[L2, [[P1, 7, 3]]], [L3, [[P1, 7, 3]]]])
  })

  it('beat-relay - a member\'s own beat is not sent back to it', () => {
    const r = new BeatRelay()
    // L2's heartbeat, heard from L1: neither L1 (it brought it) nor L2 (its own) gets it.
    r.queue(L2, 1, 5, L1)
    assert.deepEqual(r.drain([L1, L2, L3]), [[L3, [[L2, 1, 5]]]])
  })

  it('beat-relay - a beat we speak for (no source link) goes to every link but its member', () => {
    const r = new BeatRelay()
    r.queue(P1, 1, 1, undefined)
    r.queue(L3, 1, 1, undefined)
    assert.deepEqual(r.drain([L1, L2, L3]), [
      [L1, [[P1, 1, 1], [L3, 1, 1]]],
      [L2, [[P1, 1, 1], [L3, 1, 1]]],
      [L3, [[P1, 1, 1]]]
    ])
  })

  it('beat-relay - each link gets one list without what it brought', () => {
    const r = new BeatRelay()
    r.queue(P1, 1, 1, L1)
    r.queue(P2, 2, 2, L2)
    r.queue(P3, 3, 3, undefined)
    assert.deepEqual(r.drain([L1, L2]), [
      [L1, [[P2, 2, 2], [P3, 3, 3]]],
      [L2, [[P1, 1, 1], [P3, 3, 3]]]
    ])
  })

  it('beat-relay - a link with nothing to get has no entry, not an empty list', () => {
    const r = new BeatRelay()
    r.queue(P1, 1, 1, L1)
    assert.deepEqual(r.drain([L1]), [])
    assert.equal(r.size, 0, 'drained even though nobody got it')
  })

  it('beat-relay - the latest queued beat of a member wins, with its source link', () => {
    const r = new BeatRelay()
    r.queue(P1, 1, 5, L1)
    r.queue(P1, 1, 6, L1)
    assert.equal(r.size, 1)
    assert.deepEqual(r.drain([L1, L2]), [[L2, [[P1, 1, 6]]]])
    r.queue(P1, 1, 7, L1)
    r.queue(P1, 1, 8, L2)
    assert.deepEqual(r.drain([L1, L2]), [[L1, [[P1, 1, 8]]]], 'seq 8 came from L2, so L1 gets it and L2 does not')
  })

  it('beat-relay - each link gets all its beats in one entry, in queue order (splitList makes the frames)', () => {
    const r = new BeatRelay()
    const members = Array.from({ length: 5 }, (_, i) => `12D3KooWMember${i}`)
    members.forEach((m, i) => { r.queue(m, 1, i, undefined) })
    const all = members.map((m, i) => [m, 1, i])
    assert.deepEqual(r.drain([L1, L2]), [[L1, all], [L2, all]])
  })

  it('beat-relay - 1000 beats make one entry per link', () => {
    const r = new BeatRelay()
    for (let i = 0; i < 1000; i++) r.queue(`12D3KooWMember${i}`, 1, i, L2)
    const out = r.drain([L1, L2])
    assert.equal(out.length, 1)
    assert.equal(out[0]?.[0], L1)
    assert.equal(out[0]?.[1].length, 1000)
  })

  it('beat-relay - drain clears the queue', () => {
    const r = new BeatRelay()
    r.queue(P1, 1, 1, undefined)
    r.queue(P2, 1, 1, L1)
    assert.equal(r.size, 2)
    assert.equal(r.drain([L1, L2]).length, 2)
    assert.equal(r.size, 0)
    assert.deepEqual(r.drain([L1, L2]), [])
    r.queue(P3, 1, 1, undefined)
    assert.deepEqual(r.drain([L1]), [[L1, [[P3, 1, 1]]]], 'only what was queued after the last drain')
  })
})
