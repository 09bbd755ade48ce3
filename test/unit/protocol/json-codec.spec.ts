import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder, MAX_LIST, splitList } from '../../../src/protocol/json-codec.ts'
import type { Frame } from '../../../src/protocol/frames.ts'

const FIXTURES = join(import.meta.dirname, '../../fixtures/frames')
const enc = new TextEncoder()
const dec = new TextDecoder()

/** Runs fn and checks it throws an InvalidFrameError with `code`. */
function throwsInvalidFrame (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'expected an Error')
    assert.equal(err.name, 'InvalidFrameError')
    assert.equal((err as Error & { code: string }).code, code, err.message)
    return true
  })
}

const body = (json: string): Uint8Array => enc.encode(json)
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** One frame of every type, with optional fields both set and unset. */
const EVERY_FRAME: Frame[] = [
  { type: 'AUTH', token: 'letmein123' },
  { type: 'AUTH', step: 'challenge', nonce: 'n'.repeat(43) },
  { type: 'AUTH', step: 'response', nonce: 'm'.repeat(43), proof: 'p'.repeat(43) },
  { type: 'AUTH', step: 'proof', proof: 'q'.repeat(43) },
  { type: 'JOIN', name: 'alice' },
  { type: 'JOIN', name: 'alice', mode: 'peer' },
  { type: 'EXIT', name: 'alice' },
  { type: 'MSG', text: 'hello' },
  { type: 'MSG', text: 'héllo 👋 "quoted" \\ \t', id: 'id-1', origin: '12D3KooWabc', from: 'alice', ts: 1700000000000, hops: 3, to: '12D3KooWdef', sig: 'c2ln' },
  { type: 'ACK', id: 'id-1', from: 'bob', origin: '12D3KooWabc', to: '12D3KooWabc', hops: 0 },
  { type: 'MEMBER', peerId: '12D3KooWabc', name: 'alice', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 },
  { type: 'MEMBER', peerId: '12D3KooWabc', name: 'alice', state: 'suspect', inc: 2, seq: 5, addrs: ['/ip4/1.2.3.4/tcp/9000'], mode: 'hub', hops: 4 },
  { type: 'MEMBER', peerId: '12D3KooWabc', name: 'alice', state: 'failed', inc: 2, seq: 5, addrs: [], hops: 1 },
  { type: 'MEMBER', peerId: '12D3KooWabc', name: 'carol', state: 'left', inc: 9, seq: 1, addrs: [], mode: 'text', host: '12D3KooWhub', reason: 'exit', hops: 2 },
  { type: 'MEMBER', peerId: '12D3KooWabc', name: 'carol', state: 'left', inc: 9, seq: 1, addrs: [], reason: 'disconnect', hops: 2 },
  { type: 'OK', of: 'AUTH' },
  { type: 'OK', of: 'JOIN' },
  { type: 'ERR', code: 'bad_token', message: 'wrong token' },
  { type: 'PING' },
  { type: 'PONG', name: 'hub-1', mode: 'hub', sessions: 3, members: 7 },
  { type: 'HEARTBEAT', beats: [] },
  { type: 'HEARTBEAT', beats: [['12D3KooWabc', 1700000000000, 0], ['12D3KooWdef', 2, 9007199254740991]] },
  { type: 'IHAVE', ids: [] },
  { type: 'IHAVE', ids: ['id-1', 'f47ac10b-58cc-4372-a567-0e02b2c3d479'] },
  { type: 'GRAFT', ids: [] },
  { type: 'GRAFT', ids: ['id-1'] },
  { type: 'PRUNE' }
]

describe('json-codec encode/decode', () => {
  for (const frame of EVERY_FRAME) {
    it(`json-codec - ${frame.type} ${JSON.stringify(frame).slice(0, 60)} round trips`, () => {
      const wire = encodeJsonFrame(frame)
      const bodies = new LengthPrefixDecoder(1024).push(wire)
      assert.equal(bodies.length, 1)
      assert.deepEqual(decodeJsonFrame(bodies[0] as Uint8Array), frame)
    })
  }

  it('json-codec - the prefix is the body length as an unsigned varint', () => {
    const small = encodeJsonFrame({ type: 'PING' })
    assert.equal(small[0], small.length - 1)
    const big = encodeJsonFrame({ type: 'MSG', text: 'x'.repeat(300) })
    const len = big.length - 2
    assert.equal(big[0], (len & 0x7f) | 0x80)
    assert.equal(big[1], len >> 7)
    assert.equal(dec.decode(big.subarray(2)), '{"type":"MSG"}\n' + 'x'.repeat(300))
  })

  it('json-codec - frames are plain Uint8Arrays (never Buffers) that own their buffer (never a slice of the shared Buffer pool)', () => {
    const small = encodeJsonFrame({ type: 'MSG', id: 'a', text: 'x'.repeat(100) })
    const big = encodeJsonFrame({ type: 'MSG', id: 'c', text: 'z'.repeat(10_000) })
    for (const f of [small, big]) {
      assert.equal(Object.getPrototypeOf(f), Uint8Array.prototype)
      assert.equal(f.buffer.byteLength, f.byteLength)
    }
    assert.equal(dec.decode(small.subarray(1)), '{"type":"MSG","id":"a"}\n' + 'x'.repeat(100))
  })

  it('json-codec - the body is UTF-8, length counted in bytes', () => {
    const frame: Frame = { type: 'EXIT', name: '€€€' }
    const wire = encodeJsonFrame(frame)
    const json = JSON.stringify(frame)
    assert.equal(wire[0], enc.encode(json).length)
    assert.notEqual(wire[0], json.length)
  })

  it('json-codec - a MSG goes out as its JSON without text, a line feed, then the raw UTF-8 text', () => {
    const wire = encodeJsonFrame({ type: 'MSG', id: 'i', hops: 0, text: 'héllo "x" \\ 👋' })
    assert.equal(dec.decode(wire.subarray(1)), '{"type":"MSG","id":"i","hops":0}\nhéllo "x" \\ 👋')
    assert.equal(wire[0], wire.length - 1)
  })

  it('json-codec - a lone surrogate in the text goes out as U+FFFD, and the prefix counts its 3 bytes', () => {
    const wire = encodeJsonFrame({ type: 'MSG', id: 'i', hops: 0, text: 'a\udc00b' })
    assert.equal(dec.decode(wire.subarray(1)), '{"type":"MSG","id":"i","hops":0}\na\ufffdb')
    assert.equal(wire[0], wire.length - 1)
  })

  for (const text of ['x'.repeat(70_000), `${'x'.repeat(70_000)}é`, `é${'x'.repeat(70_000)}`]) {
    // eslint-disable-next-line no-control-regex -- \x00-\x7f is the ASCII range, on purpose
    it(`json-codec - a ${text.length}-character text, ASCII ${/^[\x00-\x7f]*$/.test(text) ? 'only' : 'but one character'}, comes back whole`, () => {
      const wire = encodeJsonFrame({ type: 'MSG', id: 'i', hops: 0, text })
      const frames = new LengthPrefixDecoder(1 << 20).push(wire)
      assert.equal(frames.length, 1)
      assert.equal((decodeJsonFrame(frames[0] as Uint8Array) as { text: string }).text, text)
    })
  }

  it('json-codec - a MSG with its text inside the JSON is still accepted', () => {
    assert.deepEqual(decodeJsonFrame(body('{"type":"MSG","id":"i","text":"hi"}')), { type: 'MSG', id: 'i', text: 'hi' })
  })

  it('json-codec - a MSG with an empty text after the line feed has text ""', () => {
    assert.deepEqual(decodeJsonFrame(body('{"type":"MSG"}\n')), { type: 'MSG', text: '' })
  })

  for (const [what, json] of [
    ['a frame other than MSG with text after its JSON', '{"type":"JOIN","name":"a"}\nhello'],
    ['a JSON frame with a raw line feed inside it', '{"type":"JOIN",\n"name":"a"}'],
    ['a MSG with text both in the JSON and after it', '{"type":"MSG","text":"a"}\nb'],
    ['a MSG whose text has a second line feed', '{"type":"MSG"}\nline\nbreak'],
    ['a MSG whose text has a carriage return', '{"type":"MSG"}\nline\rbreak'],
    ['a MSG whose header is not JSON', '{"type":"MSG"\nhello'],
    ['a MSG whose header has a bad field', '{"type":"MSG","hops":-1}\nhello']
  ] as const) {
    it(`json-codec - ${what} is bad_frame`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(body(json)), 'bad_frame')
    })
  }

  it('json-codec - invalid UTF-8 in the text after the line feed is bad_utf8', () => {
    throwsInvalidFrame(() => decodeJsonFrame(concat([body('{"type":"MSG"}\nok '), Uint8Array.of(0xc3)])), 'bad_utf8')
  })

  it('json-codec - an unsigned ACK may be just its id; the mesh decides what a signed one needs', () => {
    assert.deepEqual(decodeJsonFrame(body('{"type":"ACK","id":"i"}')), { type: 'ACK', id: 'i' })
    assert.deepEqual(decodeJsonFrame(body('{"type":"ACK","id":"i","from":"bob","hops":0}')), { type: 'ACK', id: 'i', from: 'bob', hops: 0 })
  })

  it('json-codec - an unsigned direct MSG may carry to as "" (the receiver) and leave out hops', () => {
    assert.deepEqual(decodeJsonFrame(body('{"type":"MSG","id":"i","ts":1,"to":""}\nhi')), { type: 'MSG', id: 'i', ts: 1, to: '', text: 'hi' })
  })

  it('json-codec - unknown fields are kept (forward compatibility)', () => {
    const f = decodeJsonFrame(body('{"type":"JOIN","name":"a","future":{"x":1}}'))
    assert.deepEqual(f, { type: 'JOIN', name: 'a', future: { x: 1 } })
  })
})

describe('json-codec golden bytes', () => {
  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'frames.json'), 'utf8')) as Record<string, Frame>

  it('json-codec - the fixture set covers JOIN and the AUTH challenge', () => {
    assert.ok('join' in manifest)
    assert.ok('auth-challenge' in manifest)
    assert.ok(Object.keys(manifest).length >= 2)
  })

  for (const [name, frame] of Object.entries(manifest)) {
    it(`json-codec - encodeJsonFrame matches the golden bytes of ${name}.bin`, () => {
      const golden = new Uint8Array(readFileSync(join(FIXTURES, `${name}.bin`)))
      assert.deepEqual(encodeJsonFrame(frame), golden)
    })
    it(`json-codec - ${name}.bin decodes to its frame`, () => {
      const golden = new Uint8Array(readFileSync(join(FIXTURES, `${name}.bin`)))
      const d = new LengthPrefixDecoder(64 * 1024)
      const bodies = d.push(golden)
      d.end()
      assert.equal(bodies.length, 1)
      assert.deepEqual(decodeJsonFrame(bodies[0] as Uint8Array), frame)
    })
  }

  it('json-codec - the JOIN golden bytes are literally 0x2c then the JSON', () => {
    const golden = new Uint8Array(readFileSync(join(FIXTURES, 'join.bin')))
    const json = '{"type":"JOIN","name":"alice","mode":"peer"}'
    assert.equal(json.length, 0x2c)
    assert.deepEqual(golden, concat([Uint8Array.of(0x2c), enc.encode(json)]))
  })

  it('json-codec - the AUTH challenge golden bytes carry no token', () => {
    const golden = dec.decode(readFileSync(join(FIXTURES, 'auth-challenge.bin')).subarray(1))
    assert.equal(golden, JSON.stringify(manifest['auth-challenge']))
    assert.doesNotMatch(golden, /token/)
  })

  it('json-codec - frames longer than 127 bytes have a two-byte prefix in the fixtures', () => {
    const golden = new Uint8Array(readFileSync(join(FIXTURES, 'member.bin')))
    assert.ok((golden[0] as number) & 0x80)
    assert.equal((golden[1] as number) & 0x80, 0)
    assert.equal(((golden[0] as number) & 0x7f) + ((golden[1] as number) << 7), golden.length - 2)
  })
})

describe('json-codec LengthPrefixDecoder', () => {
  const wires = EVERY_FRAME.map(encodeJsonFrame)
  const all = concat(wires)

  it('json-codec - every frame in one chunk comes out in order', () => {
    const d = new LengthPrefixDecoder(1024)
    const bodies = d.push(all)
    d.end()
    assert.deepEqual(bodies.map(decodeJsonFrame), EVERY_FRAME)
  })

  it('json-codec - byte-at-a-time feeding gives the same frames', () => {
    const d = new LengthPrefixDecoder(1024)
    const bodies: Uint8Array[] = []
    for (let i = 0; i < all.length; i++) bodies.push(...d.push(all.subarray(i, i + 1)))
    d.end()
    assert.deepEqual(bodies.map(decodeJsonFrame), EVERY_FRAME)
  })

  it('json-codec - every two-chunk split gives the same frames', () => {
    const some = concat(wires.slice(0, 4))
    for (let cut = 0; cut <= some.length; cut++) {
      const d = new LengthPrefixDecoder(1024)
      const bodies = [...d.push(some.subarray(0, cut)), ...d.push(some.subarray(cut))]
      d.end()
      assert.deepEqual(bodies.map(decodeJsonFrame), EVERY_FRAME.slice(0, 4), `cut at ${cut}`)
    }
  })

  it('json-codec - a two-byte prefix split between chunks still works', () => {
    const wire = encodeJsonFrame({ type: 'MSG', text: 'x'.repeat(200) })
    const d = new LengthPrefixDecoder(1024)
    assert.deepEqual(d.push(wire.subarray(0, 1)), [])
    assert.deepEqual(d.push(wire.subarray(1, 2)), [])
    const bodies = d.push(wire.subarray(2))
    assert.deepEqual(bodies.map(decodeJsonFrame), [{ type: 'MSG', text: 'x'.repeat(200) }])
  })

  it('json-codec - each() joins frames split across pieces, also with two decoders taking turns', () => {
    const texts = ['a'.repeat(3000), 'b'.repeat(100), `c${'é'.repeat(2000)}`, 'd'.repeat(5000)]
    const wire = concat(texts.map(text => encodeJsonFrame({ type: 'MSG', id: 'i', hops: 0, text })))
    const cut = (at: number[]): Uint8Array[] => [0, ...at].map((a, i) => wire.subarray(a, at[i] ?? wire.length))
    const decoders = [new LengthPrefixDecoder(1 << 16), new LengthPrefixDecoder(1 << 16)]
    const seen: string[][] = [[], []]
    // pieces of 1,000 bytes: every frame but the short one is joined; both decoders share the join buffer
    const pieces = cut(Array.from({ length: Math.floor(wire.length / 1000) }, (_, i) => (i + 1) * 1000))
    pieces.forEach((piece, i) => {
      for (const d of [0, 1]) decoders[d]?.each(i % 2 === 0 ? piece : new Uint8ArrayList(piece.subarray(0, 7), piece.subarray(7)), body => { seen[d]?.push((decodeJsonFrame(body) as { text: string }).text) })
    })
    assert.deepEqual(seen, [texts, texts])
  })

  it('json-codec - each() hands over whole frames as views of their piece, and copies only a frame that straddles two', () => {
    const wire = concat(EVERY_FRAME.slice(0, 6).map(encodeJsonFrame))
    const cut = (wires[0] as Uint8Array).length + (wires[1] as Uint8Array).length + 5 // inside the third frame
    const first = Uint8Array.from(wire.subarray(0, cut))
    const second = Uint8Array.from(wire.subarray(cut))
    const owners: string[] = []
    const frames: Frame[] = []
    new LengthPrefixDecoder(1024).each(new Uint8ArrayList(first, second), body => {
      owners.push(body.buffer === first.buffer ? 'first' : body.buffer === second.buffer ? 'second' : 'joined')
      frames.push(decodeJsonFrame(body))
    })
    assert.deepEqual(frames, EVERY_FRAME.slice(0, 6))
    assert.deepEqual(owners, ['first', 'first', 'joined', 'second', 'second', 'second'])
  })

  it('json-codec - accepts a Uint8ArrayList chunk', () => {
    const list = new Uint8ArrayList(wires[0] as Uint8Array, wires[1] as Uint8Array)
    const bodies = new LengthPrefixDecoder(1024).push(list)
    assert.deepEqual(bodies.map(decodeJsonFrame), EVERY_FRAME.slice(0, 2))
  })

  it('json-codec - a returned body stays intact after later pushes', () => {
    const d = new LengthPrefixDecoder(1024)
    const [first] = d.push(concat([wires[0] as Uint8Array, (wires[1] as Uint8Array).subarray(0, 3)]))
    const copy = Uint8Array.from(first as Uint8Array)
    d.push((wires[1] as Uint8Array).subarray(3))
    d.push(concat(wires.slice(2)))
    assert.deepEqual(first, copy)
  })

  it('json-codec - a frame of exactly maxFrameBytes is accepted', () => {
    const wire = encodeJsonFrame({ type: 'MSG', text: 'x'.repeat(100) })
    const size = wire.length - 1
    const bodies = new LengthPrefixDecoder(size).push(wire)
    assert.equal(bodies.length, 1)
  })

  it('json-codec - an oversize length prefix is frame_too_large before the body arrives', () => {
    const d = new LengthPrefixDecoder(100)
    // 101 = 0x65: one prefix byte, no body bytes at all.
    throwsInvalidFrame(() => d.push(Uint8Array.of(101)), 'frame_too_large')
  })

  it('json-codec - a multi-byte oversize prefix is frame_too_large as soon as the prefix is complete', () => {
    const d = new LengthPrefixDecoder(64 * 1024)
    // 2^32 - 1 in five varint bytes.
    assert.deepEqual(d.push(Uint8Array.of(0xff, 0xff, 0xff)), [])
    throwsInvalidFrame(() => d.push(Uint8Array.of(0xff, 0x0f)), 'frame_too_large')
  })

  it('json-codec - an oversize frame after a good one in the same chunk is frame_too_large', () => {
    const d = new LengthPrefixDecoder(64)
    throwsInvalidFrame(() => d.push(concat([wires[0] as Uint8Array, Uint8Array.of(0x80, 0x01)])), 'frame_too_large')
  })

  it('json-codec - a length prefix longer than 5 bytes is bad_frame', () => {
    const d = new LengthPrefixDecoder(64 * 1024)
    throwsInvalidFrame(() => d.push(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), 'bad_frame')
  })

  it('json-codec - byte-at-a-time, an over-long prefix fails on its fifth continuation byte', () => {
    const d = new LengthPrefixDecoder(64 * 1024)
    for (let i = 0; i < 4; i++) assert.deepEqual(d.push(Uint8Array.of(0x80)), [])
    throwsInvalidFrame(() => d.push(Uint8Array.of(0x80)), 'bad_frame')
  })

  it('json-codec - a five-byte (non-minimal) prefix is still a prefix', () => {
    const json = enc.encode('{"type":"PING"}')
    const prefix = Uint8Array.of(0x80 | json.length, 0x80, 0x80, 0x80, 0x00)
    const bodies = new LengthPrefixDecoder(1024).push(concat([prefix, json]))
    assert.deepEqual(bodies.map(decodeJsonFrame), [{ type: 'PING' }])
  })

  it('json-codec - end() with nothing buffered is fine', () => {
    const d = new LengthPrefixDecoder(1024)
    d.end()
    d.push(wires[0] as Uint8Array)
    d.end()
  })

  it('json-codec - end() mid-body is truncated', () => {
    const d = new LengthPrefixDecoder(1024)
    const wire = wires[4] as Uint8Array
    assert.deepEqual(d.push(wire.subarray(0, wire.length - 1)), [])
    throwsInvalidFrame(() => { d.end() }, 'truncated')
  })

  it('json-codec - end() mid-prefix is truncated', () => {
    const d = new LengthPrefixDecoder(1024)
    d.push(Uint8Array.of(0x80))
    throwsInvalidFrame(() => { d.end() }, 'truncated')
  })

  it('json-codec - end() after a whole frame and part of the next is truncated', () => {
    const d = new LengthPrefixDecoder(1024)
    assert.equal(d.push(concat([wires[0] as Uint8Array, (wires[1] as Uint8Array).subarray(0, 2)])).length, 1)
    throwsInvalidFrame(() => { d.end() }, 'truncated')
  })

  it('json-codec - a zero-length frame is an empty body, which is not a frame', () => {
    const bodies = new LengthPrefixDecoder(1024).push(Uint8Array.of(0))
    assert.equal(bodies.length, 1)
    assert.equal(bodies[0]?.length, 0)
    throwsInvalidFrame(() => decodeJsonFrame(bodies[0] as Uint8Array), 'bad_frame')
  })
})

describe('json-codec decodeJsonFrame rejects', () => {
  const notObjects = ['null', '[]', '[{"type":"PING"}]', '1', '"PING"', 'true', 'false']
  for (const json of notObjects) {
    it(`json-codec - non-object JSON ${json} is bad_frame`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(body(json)), 'bad_frame')
    })
  }

  const notJson = ['', '{', '{"type":"PING"', "{'type':'PING'}", '{"type":"PING"} x', 'PING', '\u0000']
  for (const text of notJson) {
    it(`json-codec - invalid JSON ${JSON.stringify(text)} is bad_frame`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(body(text)), 'bad_frame')
    })
  }

  const badTypes = [
    '{}',
    '{"type":null}',
    '{"type":1}',
    '{"type":["PING"]}',
    '{"type":{"x":1}}',
    '{"type":"ping"}',
    '{"type":"NOPE"}',
    '{"type":""}',
    '{"type":"__proto__"}',
    '{"type":"constructor"}',
    '{"type":"toString"}',
    '{"type":"hasOwnProperty"}',
    '{"type":"valueOf"}',
    '{"__proto__":{"type":"PING"}}'
  ]
  for (const json of badTypes) {
    it(`json-codec - unknown or missing type ${json} is bad_frame`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(body(json)), 'bad_frame')
    })
  }

  const wrongFields = [
    '{"type":"AUTH","token":1}',
    '{"type":"AUTH","step":"bogus"}',
    '{"type":"AUTH","step":null}',
    '{"type":"AUTH","step":"challenge","nonce":123}',
    '{"type":"AUTH","step":"proof","proof":["x"]}',
    '{"type":"JOIN"}',
    '{"type":"JOIN","name":42}',
    '{"type":"JOIN","name":"a","mode":false}',
    '{"type":"EXIT"}',
    '{"type":"EXIT","name":null}',
    '{"type":"MSG"}',
    '{"type":"MSG","text":1}',
    '{"type":"MSG","text":"t","ts":"1"}',
    '{"type":"MSG","text":"t","ts":1.5}',
    '{"type":"MSG","text":"t","ts":-1}',
    '{"type":"MSG","text":"t","hops":-1}',
    '{"type":"MSG","text":"t","hops":9007199254740992}',
    '{"type":"MSG","text":"t","id":1}',
    '{"type":"MSG","text":"t","origin":{}}',
    '{"type":"MSG","text":"t","from":null}',
    '{"type":"MSG","text":"line\\nbreak"}',
    '{"type":"MSG","text":"line\\rbreak"}',
    '{"type":"MSG","text":"t","from":"a b"}',
    '{"type":"MSG","text":"t","from":""}',
    '{"type":"MSG","text":"t","from":"x\\nJOIN:ghost"}',
    '{"type":"ACK","id":"i","from":"a\\nb","origin":"o","to":"t","hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"a\\nJOIN:ghost","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"ü","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0}',
    `{"type":"MEMBER","peerId":"p","name":"${'a'.repeat(65)}","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0}`,
    '{"type":"MSG","text":"t","to":7}',
    '{"type":"MSG","text":"t","sig":true}',
    '{"type":"ACK","id":"i","from":"f","origin":"o","to":"t","hops":"0"}',
    '{"type":"ACK","from":"f","origin":"o","to":"t","hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"zombie","inc":1,"seq":0,"addrs":[],"hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":-1,"seq":0,"addrs":[],"hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0.5,"addrs":[],"hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":"x","hops":0}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":[1],"hops":0}',
    `{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":${JSON.stringify(Array(65).fill('/ip4/1.2.3.4'))},"hops":0}`,
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":[]}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"left","inc":1,"seq":0,"addrs":[],"hops":0,"reason":"bored"}',
    '{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0,"host":1}',
    '{"type":"MEMBER","name":"n","state":"alive","inc":1,"seq":0,"addrs":[],"hops":0}',
    '{"type":"OK"}',
    '{"type":"OK","of":1}',
    '{"type":"ERR","code":"bad_token"}',
    '{"type":"ERR","message":"m"}',
    '{"type":"PONG","name":"n","mode":"hub","sessions":-1,"members":0}',
    '{"type":"PONG","name":"n","mode":"hub","sessions":0}',
    '{"type":"IHAVE"}',
    '{"type":"IHAVE","ids":null}',
    '{"type":"IHAVE","ids":"id-1"}',
    '{"type":"IHAVE","ids":{"0":"id-1"}}',
    '{"type":"IHAVE","ids":[""]}',
    '{"type":"IHAVE","ids":["ok",""]}',
    '{"type":"IHAVE","ids":[1]}',
    '{"type":"IHAVE","ids":[null]}',
    '{"type":"IHAVE","ids":[["id-1"]]}',
    `{"type":"IHAVE","ids":["${'i'.repeat(129)}"]}`,
    `{"type":"IHAVE","ids":${JSON.stringify(Array.from({ length: 1001 }, (_, i) => `x${i}`))}}`,
    '{"type":"GRAFT"}',
    '{"type":"GRAFT","ids":"id-1"}',
    '{"type":"GRAFT","ids":[""]}',
    '{"type":"GRAFT","ids":[7]}',
    `{"type":"GRAFT","ids":["${'g'.repeat(129)}"]}`,
    `{"type":"GRAFT","ids":${JSON.stringify(Array.from({ length: 1001 }, (_, i) => `y${i}`))}}`,
    '{"type":"HEARTBEAT"}',
    '{"type":"HEARTBEAT","beats":null}',
    '{"type":"HEARTBEAT","beats":"p,1,2"}',
    '{"type":"HEARTBEAT","beats":{"p":[1,2]}}',
    '{"type":"HEARTBEAT","beats":["p"]}',
    '{"type":"HEARTBEAT","beats":[[]]}',
    '{"type":"HEARTBEAT","beats":[["p",1]]}',
    '{"type":"HEARTBEAT","beats":[["p",1,2,3]]}',
    '{"type":"HEARTBEAT","beats":[{"0":"p","1":1,"2":2}]}',
    '{"type":"HEARTBEAT","beats":[[1,1,2]]}',
    '{"type":"HEARTBEAT","beats":[["",1,2]]}',
    `{"type":"HEARTBEAT","beats":[["${'p'.repeat(129)}",1,2]]}`,
    '{"type":"HEARTBEAT","beats":[["p",-1,2]]}',
    '{"type":"HEARTBEAT","beats":[["p",1,-2]]}',
    '{"type":"HEARTBEAT","beats":[["p",1.5,2]]}',
    '{"type":"HEARTBEAT","beats":[["p",1,"2"]]}',
    '{"type":"HEARTBEAT","beats":[["p",null,2]]}',
    '{"type":"HEARTBEAT","beats":[["p",9007199254740992,2]]}',
    '{"type":"HEARTBEAT","beats":[["p",1,2],["q",1]]}',
    `{"type":"HEARTBEAT","beats":${JSON.stringify(Array.from({ length: 1001 }, (_, i) => [`z${i}`, 1, i]))}}`
  ]
  for (const json of wrongFields) {
    it(`json-codec - wrong or missing field ${json.slice(0, 90)} is bad_frame`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(body(json)), 'bad_frame')
    })
  }

  it('json-codec - IHAVE and GRAFT with exactly 1000 ids of 128 characters are accepted', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(i).padStart(128, 'x'))
    for (const type of ['IHAVE', 'GRAFT'] as const) {
      assert.deepEqual(decodeJsonFrame(body(JSON.stringify({ type, ids }))), { type, ids })
    }
  })

  it('json-codec - HEARTBEAT with exactly 1000 beats is accepted', () => {
    const beats = Array.from({ length: 1000 }, (_, i) => [`12D3KooW${i}`.padEnd(128, 'p'), i, Number.MAX_SAFE_INTEGER - i])
    assert.deepEqual(decodeJsonFrame(body(JSON.stringify({ type: 'HEARTBEAT', beats }))), { type: 'HEARTBEAT', beats })
  })

  it('json-codec - a one-character id is accepted', () => {
    assert.deepEqual(decodeJsonFrame(body('{"type":"GRAFT","ids":["x"]}')), { type: 'GRAFT', ids: ['x'] })
    assert.deepEqual(decodeJsonFrame(body('{"type":"HEARTBEAT","beats":[["x",0,0]]}')), { type: 'HEARTBEAT', beats: [['x', 0, 0]] })
  })

  it('json-codec - MEMBER with exactly 64 addrs is accepted', () => {
    const json = `{"type":"MEMBER","peerId":"p","name":"n","state":"alive","inc":1,"seq":0,"addrs":${JSON.stringify(Array(64).fill('/ip4/1.2.3.4'))},"hops":0}`
    assert.equal((decodeJsonFrame(body(json)) as { addrs: string[] }).addrs.length, 64)
  })

  const badUtf8 = [
    Uint8Array.of(0xff),
    concat([body('{"type":"MSG","text":"'), Uint8Array.of(0xff), body('"}')]),
    concat([body('{"type":"MSG","text":"'), Uint8Array.of(0xc3), body('"}')]),
    concat([body('{"type":"MSG","text":"'), Uint8Array.of(0xed, 0xa0, 0x80), body('"}')])
  ]
  badUtf8.forEach((bytes, i) => {
    it(`json-codec - invalid UTF-8 (case ${i + 1}) is bad_utf8`, () => {
      throwsInvalidFrame(() => decodeJsonFrame(bytes), 'bad_utf8')
    })
  })

  it('json-codec - decoding errors keep the parser error as cause', () => {
    assert.throws(() => decodeJsonFrame(body('{')), (err: unknown) => {
      assert.ok(err instanceof Error)
      assert.ok(err.cause instanceof SyntaxError)
      return true
    })
  })
})

describe('json-codec splitList', () => {
  /** A 52-character Ed25519-style peer id, as libp2p prints them. */
  const peerId = (i: number): string => `12D3KooW${String(i).padStart(44, 'A')}`
  const fits = (frame: Frame, max: number): boolean => {
    try { return new LengthPrefixDecoder(max).push(encodeJsonFrame(frame)).length === 1 } catch { return false }
  }

  it('json-codec - 1000 heartbeats of real-length peer ids split into frames that each fit 64 KiB, none lost', () => {
    const beats: Array<[string, number, number]> = Array.from({ length: 1000 }, (_, i) => [peerId(i), 1_764_000_000_000, 1000 + i])
    const parts = splitList(beats, 64 * 1024)
    assert.ok(parts.length > 1, 'one frame of 1000 such beats would be about 76 KB')
    assert.deepEqual(parts.flat(), beats)
    for (const part of parts) assert.ok(fits({ type: 'HEARTBEAT', beats: part }, 64 * 1024))
  })

  it('json-codec - 1000 ids of 128 characters split into IHAVE frames that each fit, in order', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(i).padStart(128, 'i'))
    const parts = splitList(ids, 64 * 1024)
    assert.deepEqual(parts.flat(), ids)
    for (const part of parts) assert.ok(fits({ type: 'IHAVE', ids: part }, 64 * 1024))
  })

  it('json-codec - a small frame limit gives small frames; never more than MAX_LIST entries', () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `m${i}`)
    for (const part of splitList(ids, 1024)) assert.ok(fits({ type: 'GRAFT', ids: part }, 1024))
    const big = splitList(ids, 1024 * 1024)
    assert.deepEqual(big.map(p => p.length), [MAX_LIST, MAX_LIST, 500])
    assert.deepEqual(splitList([], 1024), [])
  })
})

describe('json codec - byte-order marks', () => {
  it('json codec - a body that starts with a byte-order mark is bad_frame, with or without other non-ASCII text', () => {
    for (const json of ['{"type":"PING"}', '{"type":"EXIT","name":"é"}']) {
      const body = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(json)])
      assert.throws(() => decodeJsonFrame(body), (err: Error & { code?: string }) => err.name === 'InvalidFrameError' && err.code === 'bad_frame', json)
    }
  })
})
