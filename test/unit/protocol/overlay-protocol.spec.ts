/**
 * Session's write path against a fake stream: frames go out as they are while the stream keeps up,
 * and as copies of their own once it holds unsent data (encoded frames are views into Node's shared
 * Buffer pool, which a slow reader's queue must not pin).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { JSON_PROTOCOL } from '../../../src/constants.ts'
import { AuthRole } from '../../../src/protocol/auth.ts'
import { encodeJsonFrame } from '../../../src/protocol/json-codec.ts'
import { Session } from '../../../src/protocol/overlay-protocol.ts'
import { Purpose } from '../../../src/protocol/session.ts'
import type { SessionHost } from '../../../src/protocol/overlay-protocol.ts'

class FakeStream extends EventTarget {
  readonly protocol = JSON_PROTOCOL
  writeBufferLength = 0
  readonly writableNeedsDrain = false
  readonly sent: Array<Uint8Array | Uint8ArrayList> = []
  send (data: Uint8Array | Uint8ArrayList): boolean { this.sent.push(data); return true }
  async close (): Promise<void> {}
  abort (): void {}
}

const host: SessionHost = {
  token: 't',
  acceptsJoins: true,
  acceptText: false,
  authTimeoutMs: 5_000,
  maxFrameBytes: 64 * 1024,
  localMode: 'peer',
  localName: () => 'a',
  nameAvailable: () => true,
  onOpen: () => true,
  onFrame: () => {},
  onClose: () => {},
  onPing: () => ({ type: 'PONG', name: 'a', mode: 'peer', sessions: 0, members: 0 }),
  onRejected: () => {}
}

function session (): { s: Session, stream: FakeStream } {
  const stream = new FakeStream()
  const connection = { remotePeer: { toString: () => 'peer-b' }, encryption: 'noise', remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' } }
  return { s: new Session(stream as never, connection as never, host, AuthRole.listener, Purpose.join), stream }
}

const frame = (id: string): Uint8Array => encodeJsonFrame({ type: 'MSG', id, text: 'x'.repeat(100) })
const bytesOf = (data: Uint8Array | Uint8ArrayList): Uint8Array => data instanceof Uint8Array ? data : data.subarray()

describe('overlay-protocol session writes', () => {
  it('overlay-protocol - a frame goes out as it is while the stream has nothing unsent', () => {
    const { s, stream } = session()
    const f = frame('a')
    s.sendEncoded(f, true)
    assert.equal(stream.sent.length, 1)
    assert.equal(stream.sent[0], f, 'the very same view, no copy')
  })

  it('overlay-protocol - behind unsent data a frame goes out as a copy that owns its whole buffer', () => {
    const { s, stream } = session()
    stream.writeBufferLength = 1_000
    const f = frame('b')
    assert.notEqual(f.byteLength, f.buffer.byteLength, 'the encoded frame is a view into a larger (pool) buffer')
    s.sendEncoded(f, true)
    const sent = stream.sent[0] as Uint8Array
    assert.ok(sent instanceof Uint8Array)
    assert.notEqual(sent.buffer, f.buffer)
    assert.equal(sent.byteLength, sent.buffer.byteLength)
    assert.deepEqual(sent, f)
  })

  it('overlay-protocol - frames batched in one microtask behind unsent data go out as one copy', async () => {
    const { s, stream } = session()
    stream.writeBufferLength = 1_000
    const f1 = frame('c')
    const f2 = frame('d')
    s.sendEncoded(f1)
    s.sendEncoded(f2)
    await Promise.resolve()
    assert.equal(stream.sent.length, 1)
    const sent = bytesOf(stream.sent[0] as Uint8Array | Uint8ArrayList)
    assert.notEqual(sent.buffer, f1.buffer)
    assert.equal(sent.byteLength, sent.buffer.byteLength)
    assert.deepEqual(sent, new Uint8ArrayList(f1, f2).subarray())
  })
})
