import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Outbox } from '../../../src/node/outbox.ts'

describe('outbox', () => {
  it('outbox - keeps lines in order and counts what it sent', () => {
    const box = new Outbox({ messages: 10, bytes: 1000 })
    for (const t of ['a', 'b', 'c']) assert.equal(box.push(t), true)
    assert.equal(box.length, 3)
    assert.equal(box.bytes, 3)
    assert.deepEqual([box.shift(), box.shift(), box.shift(), box.shift()], ['a', 'b', 'c', undefined])
    assert.equal(box.sent, 3)
    assert.equal(box.bytes, 0)
  })

  it('outbox - beyond the count or the byte bound a line is refused and counted, never silently lost', () => {
    const byCount = new Outbox({ messages: 2, bytes: 1000 })
    assert.deepEqual(['x', 'y', 'z'].map(t => byCount.push(t)), [true, true, false])
    assert.equal(byCount.dropped, 1)
    const byBytes = new Outbox({ messages: 100, bytes: 4 })
    assert.deepEqual(['ab', 'üb', 'c'].map(t => byBytes.push(t)), [true, false, true], 'ü is 2 bytes in UTF-8')
    assert.equal(byBytes.dropped, 1)
    assert.equal(byBytes.bytes, 3)
  })

  it('outbox - a long queue drains in order after compaction', () => {
    const box = new Outbox({ messages: 5000, bytes: 1_000_000 })
    for (let i = 0; i < 3000; i++) box.push(`l${i}`)
    const out: string[] = []
    for (let t = box.shift(); t !== undefined; t = box.shift()) out.push(t)
    assert.deepEqual(out, Array.from({ length: 3000 }, (_, i) => `l${i}`))
  })
})
