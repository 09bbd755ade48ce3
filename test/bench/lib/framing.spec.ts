import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { frame, FrameCounter, sink } from '../../../bench/lib/framing.ts'

function payloadOf (length: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + salt) & 0xff)
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

describe('framing frame', () => {
  const lengths: Array<[number, number]> = [[0, 1], [1, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [70000, 3]]
  for (const [len, prefixLen] of lengths) {
    it(`framing - frame() of ${len} bytes has the uint8-varint prefix (${prefixLen} byte${prefixLen === 1 ? '' : 's'})`, () => {
      const payload = payloadOf(len, 7)
      const f = frame(payload)
      const expected = varint.encode(len)
      assert.equal(expected.length, prefixLen)
      assert.equal(f.length, prefixLen + len)
      assert.deepEqual(f.subarray(0, prefixLen), expected)
      assert.deepEqual(f.subarray(prefixLen), payload)
      assert.equal(varint.decode(f), len)
    })
  }
})

describe('framing FrameCounter', () => {
  // several frames, including empty ones, one with a 2-byte prefix, back to back
  const payloads = [payloadOf(5, 1), payloadOf(0), payloadOf(200, 2), payloadOf(1, 3), payloadOf(0), payloadOf(130, 4)]
  const frames = payloads.map(frame)
  const stream = concat(frames)
  const totalPayload = payloads.reduce((s, p) => s + p.length, 0)
  // for each frame: where its payload starts and where the frame ends in the stream
  const spans: Array<{ payloadStart: number, end: number }> = []
  {
    let o = 0
    for (const f of frames) {
      const payloadLen = varint.decode(f)
      spans.push({ payloadStart: o + f.length - payloadLen, end: o + f.length })
      o += f.length
    }
  }
  /** frames and payload bytes complete after the first `k` bytes of the stream */
  const expectedAt = (k: number): { frames: number, payloadBytes: number } => ({
    frames: spans.filter(s => s.end <= k).length,
    payloadBytes: spans.reduce((sum, s) => sum + Math.max(0, Math.min(k, s.end) - s.payloadStart), 0)
  })

  it('framing - the test stream is what it claims to be', () => {
    assert.equal(stream.length, 1 + 5 + 1 + 2 + 200 + 1 + 1 + 1 + 2 + 130)
    assert.deepEqual(expectedAt(stream.length), { frames: 6, payloadBytes: 336 })
  })

  it('framing - FrameCounter counts the stream fed in one chunk', () => {
    const c = new FrameCounter()
    c.push(stream)
    assert.equal(c.frames, 6)
    assert.equal(c.payloadBytes, totalPayload)
  })

  it('framing - FrameCounter counts the stream in every split into two chunks', () => {
    for (let k = 0; k <= stream.length; k++) {
      const c = new FrameCounter()
      c.push(stream.subarray(0, k))
      assert.deepEqual({ frames: c.frames, payloadBytes: c.payloadBytes }, expectedAt(k), `after the first chunk, split at ${k}`)
      c.push(stream.subarray(k))
      assert.equal(c.frames, 6, `split at ${k}`)
      assert.equal(c.payloadBytes, totalPayload, `split at ${k}`)
    }
  })

  it('framing - FrameCounter counts the stream fed byte by byte', () => {
    const c = new FrameCounter()
    for (let i = 0; i < stream.length; i++) {
      c.push(stream.subarray(i, i + 1))
      assert.deepEqual({ frames: c.frames, payloadBytes: c.payloadBytes }, expectedAt(i + 1), `after byte ${i}`)
    }
    assert.equal(c.frames, 6)
    assert.equal(c.payloadBytes, totalPayload)
  })

  it('framing - FrameCounter ignores empty chunks and keeps counting across streams', () => {
    const c = new FrameCounter()
    c.push(new Uint8Array(0))
    c.push(stream)
    c.push(new Uint8Array(0))
    c.push(stream)
    assert.equal(c.frames, 12)
    assert.equal(c.payloadBytes, 2 * totalPayload)
  })

  it('framing - FrameCounter throws on a frame above maxFrame, as soon as its length is known', () => {
    const ok = new FrameCounter(100)
    ok.push(frame(payloadOf(100)))
    assert.equal(ok.frames, 1)
    assert.equal(ok.payloadBytes, 100)
    const c = new FrameCounter(100)
    assert.throws(() => { c.push(varint.encode(101)) }, /frame of 101 bytes exceeds 100/)
    const d = new FrameCounter()
    assert.throws(() => { d.push(frame(payloadOf((1 << 20) + 1))) }, /exceeds 1048576/)
  })

  it('framing - FrameCounter throws on an over-long varint, also split across chunks', () => {
    const c = new FrameCounter()
    assert.throws(() => { c.push(new Uint8Array(10).fill(0x80)) }, /varint too long/)
    const d = new FrameCounter(Number.MAX_SAFE_INTEGER)
    d.push(new Uint8Array(3).fill(0xff))
    assert.throws(() => { d.push(new Uint8Array(3).fill(0xff)) }, /varint too long/)
  })
})

describe('framing sink', () => {
  it('framing - sink counts frames over Uint8Arrays and Uint8ArrayLists alike and acks once, when the last is in', () => {
    const [a, b, c] = [frame(payloadOf(3)), frame(payloadOf(200)), frame(payloadOf(0))]
    let acks = 0
    const on = sink({ bytes: 0, frames: 3 }, () => { acks++ })
    on(a.subarray(0, 2))
    on(new Uint8ArrayList(a.subarray(2), b.subarray(0, 100)))
    on(new Uint8ArrayList(b.subarray(100)))
    assert.equal(acks, 0)
    on(c)
    on(frame(payloadOf(1)))
    assert.equal(acks, 1)
  })

  it('framing - sink without frames counts bytes', () => {
    let acks = 0
    const on = sink({ bytes: 10, frames: 0 }, () => { acks++ })
    on(new Uint8Array(4))
    on(new Uint8ArrayList(new Uint8Array(5)))
    assert.equal(acks, 0)
    on(new Uint8Array(1))
    assert.equal(acks, 1)
  })
})
