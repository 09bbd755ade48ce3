/**
 * Property-based tests of the direct-frame fast path: whenever it reads a frame, the generic path
 * reads the same one; the bytes a neighbour sends always take the fast path; nothing it is given
 * makes it throw.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { wireBytes } from '../../../src/mesh/unsigned.ts'
import { decodeDirect } from '../../../src/protocol/direct-frames.ts'
import { decodeFrameText, decodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/json-codec.ts'
import { fc, fuzzParams, typedError } from '../../helpers/fuzz.ts'
import type { MsgFrame } from '../../../src/protocol/frames.ts'

const plainId = fc.stringMatching(/^[\w-]{1,128}$/)
const anyId = fc.oneof(plainId, fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('', 'a"b', 'a\\"b', '\\u0041', 'é'))
const ts = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat(), fc.constant(999_999_999_999_999), fc.constant(1_000_000_000_000_000))
const tsText = fc.oneof(ts.map(String), fc.constantFrom('0', '00', '01', '-1', '1e3', '1.5', '', '9'.repeat(16), '9'.repeat(15), ' 1'))
const text = fc.string({ unit: 'grapheme', maxLength: 40 })
const tail = fc.constantFrom(',"to":""}\n', '}\n', ',"to":"x"}\n', ' }\n', '}', ',"to":""}', '}\r\n', ',"to":"" }\n')

/** Strings near the canonical forms: the fast path's edges. */
const nearCanonical = fc.oneof(
  fc.tuple(anyId, tsText, tail, text).map(([id, t, end, body]) => `{"type":"MSG","id":"${id}","ts":${t}${end}${body}`),
  fc.tuple(anyId, fc.constantFrom('"}', '" }', '"', '"}\n', '","from":"x"}')).map(([id, end]) => `{"type":"ACK","id":"${id}${end}`),
  fc.tuple(plainId, ts, text, fc.nat(), fc.string({ maxLength: 3 })).map(([id, t, body, at, insert]) => {
    const s = `{"type":"MSG","id":"${id}","ts":${t},"to":""}\n${body}`
    const i = at % (s.length + 1)
    return s.slice(0, i) + insert + s.slice(i + (insert.length === 0 ? 1 : 0))
  })
)

describe('direct frames fuzz', () => {
  it('direct frames - the fast path agrees with the generic path on whatever it reads', () => {
    fc.assert(fc.property(fc.oneof(nearCanonical, fc.string({ maxLength: 80 })), json => {
      let fast: ReturnType<typeof decodeDirect>
      assert.doesNotThrow(() => { fast = decodeDirect(json) })
      if (fast === undefined) return
      assert.deepEqual(fast, decodeFrameText(json))
    }), fuzzParams())
  })

  it('direct frames - a neighbour\'s unsigned MSG and ACK take the fast path and decode to what was sent', () => {
    const line = text.map(s => s.replace(/[\r\n]/g, ' '))
    fc.assert(fc.property(plainId, fc.maxSafeNat(), line, fc.boolean(), (id, t, body, direct) => {
      const sent: MsgFrame = direct ? { type: 'MSG', id, ts: t, to: 'ignored', text: body } : { type: 'MSG', id, ts: t, text: body }
      const decoder = new LengthPrefixDecoder(1 << 20)
      const [frameBody] = decoder.push(wireBytes(sent))
      assert.ok(frameBody !== undefined)
      const all = new TextDecoder().decode(frameBody)
      const expected = direct ? { type: 'MSG', id, ts: t, to: '', text: body } : { type: 'MSG', id, ts: t, text: body }
      // The generic path reads every safe integer; the fast path stops at 15 digits.
      if (String(t).length <= 15) assert.deepEqual(decodeDirect(all), expected)
      assert.deepEqual(decodeJsonFrame(frameBody), expected)
      const [ackBody] = decoder.push(wireBytes({ type: 'ACK', id, from: 'x' }))
      assert.deepEqual(decodeDirect(new TextDecoder().decode(ackBody)), { type: 'ACK', id })
    }), fuzzParams())
  })

  it('direct frames - where the fast path declines, decoding still raises only typed errors', () => {
    fc.assert(fc.property(nearCanonical, json => {
      typedError(() => decodeJsonFrame(new TextEncoder().encode(json)))
    }), fuzzParams())
  })
})
