import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultConfig } from '../../../src/config/defaults.ts'
import { backoffDelay, FINAL_REFUSALS } from '../../../src/node/bootstrap.ts'
import { describeDialError } from '../../../src/node/dial-errors.ts'

describe('bootstrap', () => {
  it('bootstrap - back-off doubles from intervalMs, is capped at maxIntervalMs, and adds up to jitterMs', () => {
    const retry = { ...defaultConfig().retry, intervalMs: 1000, maxIntervalMs: 8000, jitterMs: 500 }
    assert.deepEqual([1, 2, 3, 4, 5, 40].map(step => backoffDelay(retry, step, () => 0)), [1000, 2000, 4000, 8000, 8000, 8000])
    assert.equal(backoffDelay(retry, 1, () => 0.999), 1500)
    assert.equal(backoffDelay({ ...retry, jitterMs: 0 }, 3, () => 0.7), 4000)
  })

  it('bootstrap - wrong token, a taken name and a ban are final refusals', () => {
    assert.deepEqual([...FINAL_REFUSALS].sort(), ['bad_token', 'banned', 'name_taken'])
  })

  it('bootstrap - dial errors read as words: no class names, never "undefined"', () => {
    const cases: Array<[unknown, string]> = [
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'connection refused'],
      [new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'All promises were rejected'), 'connection refused'],
      [Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'no answer within 5000 ms'],
      [Object.assign(new Error('stream closed after reading 0/1 bytes'), { name: 'UnexpectedEOFError' }), 'the remote closed the connection before the session opened'],
      [undefined, 'the dial failed'],
      [{}, 'the dial failed']
    ]
    for (const [err, words] of cases) assert.equal(describeDialError(err, 5000), words)
  })
})
