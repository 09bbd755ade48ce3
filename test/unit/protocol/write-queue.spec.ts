/**
 * The write queue's limits against fake streams whose write buffers the test fills: a queue past
 * its own limit reports overflow once, the node-wide budget cuts the largest queues first until the
 * rest fits, and a closed queue leaves the budget.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { QueueBudget, SendWhen, WriteQueue } from '../../../src/protocol/write-queue.ts'
import type { QueueOwner } from '../../../src/protocol/write-queue.ts'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A stream that keeps everything it is sent: the remote never reads. */
class StalledStream {
  writeBufferLength = 0
  send (data: Uint8Array | Uint8ArrayList): boolean { this.writeBufferLength += data.byteLength; return false }
}

class Owner implements QueueOwner {
  readonly overflows: Array<{ queued: number, nodeWide: boolean }> = []
  queue!: WriteQueue
  writeFailed (): void {}
  overflow (queued: number, _limit: number, nodeWide: boolean): void {
    this.overflows.push({ queued, nodeWide })
    this.queue.close() // what a session does: cut, and the queue leaves the budget
  }
}

function queue (budget: QueueBudget): { q: WriteQueue, owner: Owner, stream: StalledStream } {
  const stream = new StalledStream()
  const owner = new Owner()
  const q = new WriteQueue(stream as never, owner, budget)
  owner.queue = q
  return { q, owner, stream }
}

const bytes = (n: number): Uint8Array => new Uint8Array(n)

describe('write-queue', () => {
  it('write-queue - a queue past its own limit overflows once, is emptied and counts for nothing', () => {
    const budget = new QueueBudget(1_000, 10_000)
    const { q, owner } = queue(budget)
    q.push(bytes(600), SendWhen.now)
    assert.equal(budget.queuedBytes, 600)
    q.push(bytes(600), SendWhen.now)
    assert.deepEqual(owner.overflows, [{ queued: 1_200, nodeWide: false }])
    q.push(bytes(600), SendWhen.now)
    assert.equal(owner.overflows.length, 1, 'a closed queue takes nothing more')
    assert.equal(q.queuedBytes, 0)
    assert.equal(budget.queuedBytes, 0)
  })

  it('write-queue - past the node-wide cap the largest queues are cut first, until the rest fits', () => {
    const budget = new QueueBudget(1_000, 2_000)
    const a = queue(budget)
    const b = queue(budget)
    const c = queue(budget)
    a.q.push(bytes(900), SendWhen.now)
    b.q.push(bytes(500), SendWhen.now)
    c.q.push(bytes(400), SendWhen.now)
    assert.equal(budget.queuedBytes, 1_800)
    c.q.push(bytes(300), SendWhen.now) // 2,100 in all: cutting a (900) is enough
    assert.deepEqual(a.owner.overflows, [{ queued: 900, nodeWide: true }])
    assert.deepEqual(b.owner.overflows, [])
    assert.deepEqual(c.owner.overflows, [])
    assert.equal(budget.queuedBytes, 1_200)
  })

  it('write-queue - the budget recounts before it cuts: buffers that drained unseen save their queues', () => {
    const budget = new QueueBudget(1_000, 1_500)
    const a = queue(budget)
    const b = queue(budget)
    a.q.push(bytes(900), SendWhen.now)
    a.stream.writeBufferLength = 0 // the remote read it all; no drain was reported
    b.q.push(bytes(800), SendWhen.now) // 1,700 by the running total, 800 in truth
    assert.deepEqual(a.owner.overflows, [])
    assert.deepEqual(b.owner.overflows, [])
    assert.equal(budget.queuedBytes, 800)
  })

  it('write-queue - frames queued soon leave together in one write at the end of the microtask', async () => {
    const budget = new QueueBudget(1_000, 2_000)
    const { q, stream } = queue(budget)
    q.push(bytes(10), SendWhen.soon)
    q.push(bytes(20), SendWhen.soon)
    assert.equal(stream.writeBufferLength, 0)
    await Promise.resolve()
    assert.equal(stream.writeBufferLength, 30)
    assert.equal(budget.queuedBytes, 30)
    q.close()
    assert.equal(budget.queuedBytes, 0)
  })
})
