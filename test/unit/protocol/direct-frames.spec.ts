/**
 * The JSON-free reading of the direct round trip's frames must agree with the generic path on every
 * input: the same frame for the canonical bytes, and nothing (so the generic path decides, error
 * included) for anything else.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { wireBytes } from '../../../src/mesh/unsigned.ts'
import { decodeDirect } from '../../../src/protocol/direct-frames.ts'
import { decodeFrameText, decodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/json-codec.ts'
import type { AckFrame, Frame, MsgFrame } from '../../../src/protocol/frames.ts'

const PEER = '12D3KooWSenderSenderSenderSenderSenderSenderSender1'
const dec = new TextDecoder()

/** The frame's text as a receiver sees it (prefix stripped, UTF-8 decoded). */
function textOf (bytes: Uint8Array): string {
  const bodies = new LengthPrefixDecoder(1 << 20).push(bytes)
  assert.equal(bodies.length, 1)
  return dec.decode(bodies[0])
}

/** The generic path's verdict: the frame, or the error's code. */
function generic (text: string): Frame | string {
  try {
    return decodeFrameText(text)
  } catch (err) {
    return (err as { code: string }).code
  }
}

const directMsg: MsgFrame = { type: 'MSG', id: 'V1StGXR8_Z5jdHi6B-myT', origin: PEER, from: 'alice', to: 'bob-peer', ts: 1700000000000, hops: 0, text: 'hi bob, { "quoted": 1 } \\ ok' }
const broadcastMsg: MsgFrame = { type: 'MSG', id: 'abc-DEF_123', origin: PEER, from: 'alice', ts: 0, hops: 0, text: '' }
const ack: AckFrame = { type: 'ACK', id: 'V1StGXR8_Z5jdHi6B-myT', from: 'bob', origin: 'bob-peer', to: PEER, hops: 0 }
const canonical = [wireBytes(directMsg), wireBytes(broadcastMsg), wireBytes(ack), wireBytes({ ...directMsg, text: 'ünïcödé ✓' })].map(textOf)

describe('direct frames', () => {
  it('direct-frames - reads the canonical direct MSG, unsigned broadcast MSG and ACK as the generic path does', () => {
    for (const text of canonical) {
      const fast = decodeDirect(text)
      assert.ok(fast !== undefined, `not recognised: ${text}`)
      assert.deepEqual(fast, generic(text))
    }
    assert.deepEqual(decodeDirect(canonical[0] as string), { type: 'MSG', id: directMsg.id, ts: directMsg.ts, to: '', text: directMsg.text })
    assert.deepEqual(decodeDirect(canonical[2] as string), { type: 'ACK', id: ack.id })
  })

  it('direct-frames - decodeJsonFrame gives the same frame with or without the JSON-free path', () => {
    for (const bytes of [wireBytes(directMsg), wireBytes(ack)]) {
      const body = new LengthPrefixDecoder(1 << 20).push(bytes)[0] as Uint8Array
      assert.deepEqual(decodeJsonFrame(body), generic(dec.decode(body)))
    }
  })

  it('direct-frames - every deletion, substitution and truncation of a canonical frame is read as the generic path reads it, or left to it', () => {
    const swaps = ['"', '\\', '0', '9', 'a', ' ', '\n', '\r', '}', '{', ',', ':', '-', 'é']
    let checked = 0
    let recognised = 0
    for (const text of canonical) {
      const variants: string[] = []
      for (let i = 0; i <= text.length; i++) {
        variants.push(text.slice(0, i), text.slice(0, i) + text.slice(i + 1))
        for (const c of swaps) variants.push(text.slice(0, i) + c + text.slice(i + 1), text.slice(0, i) + c + text.slice(i))
      }
      for (const v of variants) {
        const fast = decodeDirect(v)
        checked++
        if (fast === undefined) continue
        recognised++
        assert.deepEqual(fast, generic(v), `disagrees with the generic path on ${JSON.stringify(v)}`)
      }
    }
    assert.ok(checked > 5000 && recognised > 100 && recognised < checked, `${recognised} of ${checked}`)
  })

  it('direct-frames - leaves to the generic path what JSON refuses or reads differently', () => {
    const refused = [
      '{"type":"MSG","id":"a","ts":01,"to":""}\nx', // leading zero: not JSON
      '{"type":"MSG","id":"a","ts":1e3,"to":""}\nx', // an exponent: JSON, but not our form
      '{"type":"MSG","id":"a","ts":1234567890123456,"to":""}\nx', // 16 digits: may exceed 2^53
      '{"type":"MSG","id":"a\\u0062","ts":1,"to":""}\nx', // an escape in the id
      '{"type":"MSG","id":"","ts":1,"to":""}\nx', // an empty id
      `{"type":"MSG","id":"${'a'.repeat(129)}","ts":1,"to":""}\nx`, // an id over 128 characters
      '{"type":"MSG","id":"a","ts":1,"to":""}\nline\rbreak', // a CR in the text
      '{"type":"MSG","id":"a","ts":1,"to":"peer"}\nx', // `to` other than ""
      '{"type":"MSG","id":"a","ts":1,"to":""}', // no text separator
      '{"type":"ACK","id":"a","from":"b"}', // more fields
      '{"type":"ACK","id":"a"} ', // trailing space
      '{"type":"ACK","id":""}'
    ]
    for (const text of refused) assert.equal(decodeDirect(text), undefined, text)
  })
})
