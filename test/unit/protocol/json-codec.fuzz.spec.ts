/**
 * Property-based tests of the JSON codec: any bytes, cut anywhere, only raise InvalidFrameError and
 * give the same bodies as when whole; every valid frame round-trips through encode and decode.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeFrameText, decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder, splitList } from '../../../src/protocol/json-codec.ts'
import { bytesArb, concat, cutAt, cutsArb, fc, fuzzParams, typedError } from '../../helpers/fuzz.ts'
import type { Frame } from '../../../src/protocol/frames.ts'

/** Feeds `chunks` to a fresh decoder (as one Uint8ArrayList when `asList`); the bodies and the typed error that stopped it. */
function decodeBodies (chunks: Uint8Array[], max: number, asList = false): { bodies: number[][], code?: string } {
  const decoder = new LengthPrefixDecoder(max)
  const bodies: number[][] = []
  const err = typedError(() => {
    if (asList) decoder.each(new Uint8ArrayList(...chunks), b => { bodies.push([...b]) })
    else for (const c of chunks) decoder.each(c, b => { bodies.push([...b]) })
    decoder.end()
  })
  return err === undefined ? { bodies } : { bodies, code: err.code }
}

/** Bodies with prefixes, some well formed: the prefix bytes are where decoders break. */
const framedArb = fc.array(fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map(b => encodeWithPrefix(b)),
  fc.uint8Array({ maxLength: 8 })
), { maxLength: 6 }).map(concat)

function encodeWithPrefix (body: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let n = body.length
  do { prefix.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7 } while (n > 0)
  return concat([Uint8Array.from(prefix), body])
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 })
const lineText = text.map(s => s.replace(/[\r\n]/g, ' '))
const id = fc.oneof(fc.stringMatching(/^[\w-]{1,128}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter(s => s.length <= 128))
const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/)
const int = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat())
const ids = fc.array(id, { maxLength: 20 })

/** Every frame type with valid fields; optional fields absent or present. */
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('AUTH'), token: text, step: fc.constantFrom('challenge', 'response', 'proof'), nonce: text, proof: text }, { requiredKeys: ['type'], noNullPrototype: true }),
  fc.record({ type: fc.constant('JOIN'), name: text, mode: text }, { requiredKeys: ['type', 'name'], noNullPrototype: true }),
  fc.record({ type: fc.constant('EXIT'), name: text }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('MSG'), text: lineText, id, origin: text, from: name, ts: int, hops: int, to: text, sig: text }, { requiredKeys: ['type', 'text'], noNullPrototype: true }),
  fc.record({ type: fc.constant('ACK'), id, from: name, origin: text, to: text, hops: int, sig: text }, { requiredKeys: ['type', 'id'], noNullPrototype: true }),
  fc.record({
    type: fc.constant('MEMBER'),
    peerId: id,
    name,
    state: fc.constantFrom('alive', 'suspect', 'failed', 'left'),
    inc: int,
    seq: int,
    addrs: fc.array(text, { maxLength: 64 }),
    mode: text,
    host: text,
    reason: fc.constantFrom('exit', 'disconnect'),
    hops: int
  }, { requiredKeys: ['type', 'peerId', 'name', 'state', 'inc', 'seq', 'addrs', 'hops'], noNullPrototype: true }),
  fc.record({ type: fc.constant('OK'), of: text }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('ERR'), code: text, message: text }, { noNullPrototype: true }),
  fc.constant({ type: 'PING' }),
  fc.record({ type: fc.constant('PONG'), name: text, mode: text, sessions: int, members: int }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('HEARTBEAT'), beats: fc.array(fc.tuple(id, int, int), { maxLength: 20 }) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('IHAVE'), ids }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('GRAFT'), ids }, { noNullPrototype: true }),
  fc.constant({ type: 'PRUNE' })
) as fc.Arbitrary<Frame>

const MAX = 64 * 1024

describe('json codec fuzz', () => {
  it('json codec - arbitrary bytes cut anywhere raise only InvalidFrameError', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, framedArb), cutsArb, fc.integer({ min: 0, max: 100 }), (bytes, cuts, max) => {
      const { bodies } = decodeBodies(cutAt(bytes, cuts), max)
      for (const body of bodies) typedError(() => decodeJsonFrame(Uint8Array.from(body)))
    }), fuzzParams())
  })

  it('json codec - cutting the input, or passing it as a list, never changes the bodies or the error', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, framedArb), cutsArb, fc.integer({ min: 0, max: 100 }), (bytes, cuts, max) => {
      const whole = decodeBodies([bytes], max)
      assert.deepEqual(decodeBodies(cutAt(bytes, cuts), max), whole)
      assert.deepEqual(decodeBodies(cutAt(bytes, cuts), max, true), whole)
    }), fuzzParams())
  })

  it('json codec - any JSON value as a frame body raises only InvalidFrameError', () => {
    const body = fc.oneof(
      fc.json(),
      fc.record({ type: fc.constantFrom('AUTH', 'JOIN', 'EXIT', 'MSG', 'ACK', 'MEMBER', 'OK', 'ERR', 'PING', 'PONG', 'HEARTBEAT', 'IHAVE', 'GRAFT', 'PRUNE', 'toString', '__proto__'), rest: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue()) })
        .map(({ type, rest }) => JSON.stringify({ ...rest, type })),
      fc.tuple(fc.json(), fc.string({ maxLength: 40 })).map(([j, t]) => `${j}\n${t}`)
    )
    fc.assert(fc.property(body, json => {
      typedError(() => decodeFrameText(json))
      typedError(() => decodeJsonFrame(new TextEncoder().encode(json)))
    }), fuzzParams())
  })

  it('json codec - a valid frame round-trips, also cut at any point', () => {
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), cutsArb, (frames, cuts) => {
      const bytes = concat(frames.map(encodeJsonFrame))
      const { bodies, code } = decodeBodies(cutAt(bytes, cuts), MAX)
      assert.equal(code, undefined)
      assert.deepEqual(bodies.map(b => decodeJsonFrame(Uint8Array.from(b))), frames)
    }), fuzzParams())
  })

  it('json codec - a frame over the limit fails once its prefix is in, before its body', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 5000 }), (max, over) => {
      const prefix = encodeWithPrefix(new Uint8Array(max + over)).subarray(0, -(max + over))
      const err = typedError(() => { new LengthPrefixDecoder(max).each(prefix, () => { assert.fail('no body expected') }) })
      assert.equal(err?.code, 'frame_too_large')
    }), fuzzParams())
  })

  it('json codec - splitList keeps every entry, in order, within the limits', () => {
    fc.assert(fc.property(ids, fc.integer({ min: 200, max: 4096 }), (list, max) => {
      const runs = splitList(list, max)
      assert.deepEqual(runs.flat(), list)
      for (const run of runs) {
        assert.ok(run.length >= 1 && run.length <= 1000)
        if (run.length > 1) assert.ok(encodeJsonFrame({ type: 'IHAVE', ids: run }).length <= max)
      }
    }), fuzzParams())
  })
})
