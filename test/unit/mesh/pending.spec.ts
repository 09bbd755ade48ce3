import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { afterEach, describe, it, mock } from 'node:test'
import { AckOutcome, PendingAcks } from '../../../src/mesh/pending.ts'

const opts = { timeoutMs: 1_000, name: 'bob' }

describe('pending acks', () => {
  afterEach(() => { mock.timers.reset() })

  it('pending - an ACK from the acker settles the wait once, with the caller\'s result; a second ACK finds nothing', async () => {
    const p = new PendingAcks()
    const done = p.wait('m1', 'bob-id', opts, { id: 'm1' })
    assert.equal(p.size, 1)
    assert.equal(p.ack('m1', 'bob-id'), AckOutcome.settled)
    assert.deepEqual(await done, { id: 'm1' })
    assert.equal(p.size, 0)
    assert.equal(p.ack('m1', 'bob-id'), AckOutcome.unknown)
  })

  it('pending - an ACK from anyone else is refused and the wait goes on', async () => {
    const p = new PendingAcks()
    const done = p.wait('m1', 'bob-id', opts, undefined)
    assert.equal(p.ack('m1', 'mallory-id'), AckOutcome.wrongAcker)
    assert.equal(p.size, 1)
    assert.equal(p.ack('m1', 'bob-id'), AckOutcome.settled)
    await done
  })

  it('pending - the deadline rejects with unreachable, names the target and forgets the id', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    const p = new PendingAcks()
    const done = p.wait('m1', 'bob-id', opts, undefined)
    mock.timers.tick(999)
    assert.equal(p.size, 1)
    mock.timers.tick(1)
    await assert.rejects(done, (err: Error) => err.name === 'DeliveryError' && (err as Error & { code: string }).code === 'unreachable' && err.message.includes('"bob"'))
    assert.equal(p.size, 0)
  })

  it('pending - a settled wait is never rejected later: a later wait with the same id keeps its own deadline', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    const p = new PendingAcks()
    const first = p.wait('m1', 'bob-id', opts, undefined)
    p.ack('m1', 'bob-id')
    await first
    mock.timers.tick(500)
    const second = p.wait('m1', 'bob-id', opts, undefined)
    mock.timers.tick(600) // past the first wait's deadline, not the second's
    assert.equal(p.size, 1, 'the first wait\'s deadline did not end the second')
    assert.equal(p.ack('m1', 'bob-id'), AckOutcome.settled)
    await second
  })

  it('pending - one timer serves every wait: each rejects at its own deadline, also one earlier than those before it', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    const p = new PendingAcks()
    const failed: string[] = []
    const watch = (id: string, timeoutMs: number): void => { p.wait(id, 'bob-id', { ...opts, timeoutMs }, undefined).catch(() => { failed.push(id) }) }
    watch('slow', 1_000) // due at 1000
    mock.timers.tick(300)
    watch('quick', 200) // due at 500, before the armed deadline
    watch('late', 1_500) // due at 1800
    const flush = async (): Promise<void> => { await new Promise(resolve => { queueMicrotask(() => { resolve(undefined) }) }) }
    mock.timers.tick(199); await flush()
    assert.deepEqual(failed, [])
    mock.timers.tick(1); await flush()
    assert.deepEqual(failed, ['quick'])
    mock.timers.tick(500); await flush()
    assert.deepEqual(failed, ['quick', 'slow'])
    mock.timers.tick(799); await flush()
    assert.deepEqual(failed, ['quick', 'slow'])
    mock.timers.tick(1); await flush()
    assert.deepEqual(failed, ['quick', 'slow', 'late'])
    assert.equal(p.size, 0)
  })

  it('pending - aborting rejects with the reason; an already aborted signal rejects at once', async () => {
    const p = new PendingAcks()
    const ac = new AbortController()
    const done = p.wait('m1', 'bob-id', { ...opts, signal: ac.signal }, undefined)
    ac.abort(new Error('caller gave up'))
    await assert.rejects(done, /caller gave up/)
    assert.equal(p.size, 0)
    await assert.rejects(p.wait('m2', 'bob-id', { ...opts, signal: ac.signal }, undefined), /caller gave up/)
    assert.equal(p.size, 0)
  })

  it('pending - a signal reused for many sends keeps no listener once each settles', async () => {
    const p = new PendingAcks()
    const signal = new AbortController().signal
    for (let i = 0; i < 20; i++) {
      const done = p.wait(`m${i}`, 'bob-id', { ...opts, signal }, undefined)
      assert.equal(getEventListeners(signal, 'abort').length, 1)
      p.ack(`m${i}`, 'bob-id')
      await done
    }
    assert.equal(getEventListeners(signal, 'abort').length, 0)
  })

  it('pending - failAll rejects every wait with the given error', async () => {
    const p = new PendingAcks()
    const waits = ['a', 'b', 'c'].map(id => p.wait(id, 'bob-id', opts, undefined))
    p.failAll(new Error('stopping'))
    for (const w of waits) await assert.rejects(w, /stopping/)
    assert.equal(p.size, 0)
  })
})
