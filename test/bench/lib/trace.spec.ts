import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { shapes, turnaround } from '../../../bench/lib/trace.ts'
import type { Row } from '../../../bench/lib/trace.ts'

// An echo server's read of a data frame: the answer (W2 + W128), then yamux's window update (W2 + W28).
const answer = (at: number): Row => ['R130', 0, '>YamuxStream', 5, 'W2', at, 'W128', at + 7, '<YamuxStream', at + 15, 'W2', at + 18, 'W28', at + 25]
// A window update arriving alone: no stream data, no answer.
const update: Row = ['R30', 0, '>EncryptedMessageStream', 4, '<EncryptedMessageStream', 5]

describe('bench trace analysis', () => {
  it('trace - shapes groups rows by their labels, most frequent first, with each label\'s median offset', () => {
    const got = shapes([answer(10), update, answer(20), answer(12)])
    assert.deepEqual(got.map(s => s.count), [3, 1])
    assert.deepEqual(got[0]?.labels, ['R130', '>YamuxStream', 'W2', 'W128', '<YamuxStream', 'W2', 'W28'])
    assert.deepEqual(got[0]?.medianUs, [0, 5, 12, 19, 27, 30, 37])
    assert.deepEqual(got[1]?.medianUs, [0, 4, 5])
  })

  it('trace - turnaround: from a read with stream data to its last write above 30 bytes, not a window update', () => {
    assert.deepEqual(turnaround([answer(10), update, answer(20), answer(12)]), { medianUs: 19, reads: 3 })
    // A client reading an echo writes the window update first and its next message last.
    const client: Row = ['R130', 0, '>YamuxStream', 5, '<YamuxStream', 6, 'W2', 9, 'W28', 16, 'W2', 38, 'W128', 45]
    assert.deepEqual(turnaround([client]), { medianUs: 45, reads: 1 })
  })

  it('trace - turnaround has no value when no read carried stream data that got an answer', () => {
    const noAnswer: Row = ['R130', 0, '>YamuxStream', 5, '<YamuxStream', 6, 'W2', 9, 'W28', 16]
    const t = turnaround([update, noAnswer])
    assert.equal(t.reads, 0)
    assert.ok(Number.isNaN(t.medianUs))
  })
})
