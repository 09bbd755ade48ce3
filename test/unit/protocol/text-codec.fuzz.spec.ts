/**
 * Property-based tests of the text codec: any bytes, cut anywhere, only raise InvalidFrameError and
 * decode the same as when whole; every valid client frame round-trips through encode and decode.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeClientLine, decodeNodeLine, encodeTextLine, LineDecoder } from '../../../src/protocol/text-codec.ts'
import { bytesArb, concat, cutAt, cutsArb, fc, fuzzParams, typedError } from '../../helpers/fuzz.ts'
import type { TextClientFrame, TextNodeFrame } from '../../../src/protocol/text-codec.ts'

const encoder = new TextEncoder()

/** Feeds `chunks` to a fresh decoder; returns the lines it gave and the typed error that stopped it. */
function decodeLines (chunks: Uint8Array[], max: number): { lines: string[], code?: string } {
  const decoder = new LineDecoder(max)
  const lines: string[] = []
  const err = typedError(() => {
    for (const c of chunks) decoder.each(c, l => { lines.push(l) })
    decoder.end()
  })
  return err === undefined ? { lines } : { lines, code: err.code }
}

/** Payload text that may sit in a line: any Unicode but CR and LF. */
const payload = fc.string({ unit: 'grapheme', maxLength: 60 }).map(s => s.replace(/[\r\n]/g, ' '))
const clientFrame: fc.Arbitrary<TextClientFrame> = fc.oneof(
  payload.map(token => ({ type: 'AUTH' as const, token })),
  payload.map(name => ({ type: 'JOIN' as const, name })),
  payload.map(text => ({ type: 'MSG' as const, text })),
  payload.map(name => ({ type: 'EXIT' as const, name }))
)
const nameArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/)
const nodeFrame: fc.Arbitrary<TextNodeFrame> = fc.oneof(
  fc.constantFrom('AUTH', 'JOIN', 'EXIT').map(of => ({ type: 'OK' as const, of })),
  fc.record({ code: fc.constantFrom('bad_token', 'bad_frame', 'name_taken'), message: payload }).map(r => ({ type: 'ERR' as const, ...r })),
  nameArb.map(name => ({ type: 'JOIN' as const, name })),
  nameArb.map(name => ({ type: 'EXIT' as const, name })),
  fc.record({ from: nameArb, text: payload }).map(r => ({ type: 'MSG' as const, ...r }))
)

describe('text codec fuzz', () => {
  it('text codec - arbitrary bytes cut anywhere raise only InvalidFrameError', () => {
    fc.assert(fc.property(bytesArb, cutsArb, fc.integer({ min: 1, max: 300 }), (bytes, cuts, max) => {
      const { lines } = decodeLines(cutAt(bytes, cuts), max)
      for (const line of lines) {
        typedError(() => decodeClientLine(line))
        typedError(() => decodeNodeLine(line))
      }
    }), fuzzParams())
  })

  it('text codec - cutting the input never changes the lines or the error', () => {
    fc.assert(fc.property(bytesArb, cutsArb, fc.integer({ min: 1, max: 300 }), (bytes, cuts, max) => {
      assert.deepEqual(decodeLines(cutAt(bytes, cuts), max), decodeLines([bytes], max))
    }), fuzzParams())
  })

  it('text codec - a valid client frame round-trips, also cut at any point', () => {
    fc.assert(fc.property(fc.array(clientFrame, { minLength: 1, maxLength: 8 }), fc.boolean(), cutsArb, (frames, crlf, cuts) => {
      const text = frames.map(f => { const l = encodeTextLine(f); return crlf ? l.replace(/\n$/, '\r\n') : l }).join('')
      const { lines, code } = decodeLines(cutAt(encoder.encode(text), cuts), 64 * 1024)
      assert.equal(code, undefined)
      assert.deepEqual(lines.map(decodeClientLine), frames)
    }), fuzzParams())
  })

  it('text codec - a valid node frame round-trips', () => {
    fc.assert(fc.property(fc.array(nodeFrame, { minLength: 1, maxLength: 8 }), cutsArb, (frames, cuts) => {
      const bytes = concat(frames.map(f => encoder.encode(encodeTextLine(f))))
      const { lines, code } = decodeLines(cutAt(bytes, cuts), 64 * 1024)
      assert.equal(code, undefined)
      assert.deepEqual(lines.map(decodeNodeLine), frames)
    }), fuzzParams())
  })

  it('text codec - a payload with a line break is refused by the encoder, never split into two frames', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('\n', '\r'), fc.string({ maxLength: 40 }), (a, br, b) => {
      const err = typedError(() => encodeTextLine({ type: 'MSG', text: a + br + b }))
      assert.equal(err?.code, 'bad_frame')
    }), fuzzParams())
  })
})
