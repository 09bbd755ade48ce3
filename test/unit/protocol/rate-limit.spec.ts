/**
 * The per-session token buckets, on an injected clock: a burst passes whole, the rate refills, frames
 * over it are dropped, and only excess that lasts rateExcessCutMs asks for a cut.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { frameClass, FrameLimiter, TokenBucket, Verdict } from '../../../src/protocol/rate-limit.ts'
import type { RateLimits } from '../../../src/protocol/rate-limit.ts'
import type { Frame } from '../../../src/protocol/frames.ts'

const LIMITS: RateLimits = { msgPerSecond: 10, msgBurst: 5, textMsgPerSecond: 2, textMsgBurst: 2, controlPerSecond: 100, controlBurst: 3, rateExcessCutMs: 1_000 }
const MSG: Frame = { type: 'MSG', text: 'x' }
const BEAT: Frame = { type: 'HEARTBEAT', beats: [] }

describe('rate-limit', () => {
  it('rate-limit - a bucket passes its burst at once, then one token per 1/rate seconds', () => {
    const b = new TokenBucket(10, 5, 0)
    assert.deepEqual(Array.from({ length: 6 }, () => b.take(0)), [true, true, true, true, true, false])
    assert.equal(b.take(99), false, 'not a whole token after 99 ms')
    assert.equal(b.take(100), true)
    assert.equal(b.take(100), false)
    assert.equal([...Array(20)].filter((_, i) => b.take(10_000 + i)).length, 5, 'a long rest refills only to the burst')
  })

  it('rate-limit - frames are sorted into message, control and unlimited classes', () => {
    assert.equal(frameClass(MSG), 'msg')
    assert.equal(frameClass({ type: 'ACK', id: 'a' }), 'msg')
    for (const f of [BEAT, { type: 'IHAVE', ids: [] }, { type: 'GRAFT', ids: [] }, { type: 'PRUNE' }] as Frame[]) assert.equal(frameClass(f), 'control')
    for (const f of [{ type: 'EXIT', name: 'a' }, { type: 'JOIN', name: 'a' }, { type: 'AUTH', token: 't' }] as Frame[]) assert.equal(frameClass(f), undefined)
  })

  it('rate-limit - the two buckets are separate: a message flood does not eat heartbeats', () => {
    const l = new FrameLimiter(LIMITS, 0)
    for (let i = 0; i < 5; i++) assert.equal(l.check(MSG, 0), Verdict.pass)
    assert.equal(l.check(MSG, 0), Verdict.drop)
    assert.equal(l.check(BEAT, 0), Verdict.pass)
    assert.equal(l.check({ type: 'EXIT', name: 'a' }, 0), Verdict.pass, 'EXIT is never limited')
  })

  it('rate-limit - a text session uses the text message bucket', () => {
    const l = new FrameLimiter(LIMITS, 0, true)
    assert.deepEqual([0, 0, 0].map(() => l.check(MSG, 0)), [Verdict.pass, Verdict.pass, Verdict.drop])
  })

  it('rate-limit - excess that lasts rateExcessCutMs asks for a cut; excess that stops does not', () => {
    const steady = new FrameLimiter(LIMITS, 0)
    let verdict: Verdict = Verdict.pass
    // 100 frames a second, ten times the rate, for up to 2 s.
    for (let t = 0; t <= 2_000 && verdict !== Verdict.cut; t += 10) verdict = steady.check(MSG, t)
    assert.equal(verdict, Verdict.cut)

    const brief = new FrameLimiter(LIMITS, 0)
    for (let t = 0; t < 900; t += 10) assert.notEqual(brief.check(MSG, t), Verdict.cut)
    // A pause long enough to refill the bucket to half, then the same excess again: the clock restarts.
    assert.equal(brief.check(MSG, 1_300), Verdict.pass)
    for (let t = 1_310; t < 2_200; t += 10) assert.notEqual(brief.check(MSG, t), Verdict.cut)
  })
})
