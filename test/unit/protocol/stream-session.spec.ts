/**
 * Session's write timing against a fake stream and mocked timers: lingering frames wait up to
 * LINGER_MS for company, a sooner frame takes them along ahead of itself, and a session that ends
 * sends them first while one that closed sends nothing more.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { Uint8ArrayList } from 'uint8arraylist'
import { JSON_PROTOCOL } from '../../../src/constants.ts'
import { AuthRole } from '../../../src/protocol/auth.ts'
import { ErrorCode } from '../../../src/protocol/frames.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/json-codec.ts'
import { Purpose } from '../../../src/protocol/session.ts'
import { Session, SessionShared } from '../../../src/protocol/stream-session.ts'
import { LINGER_MS, SendWhen } from '../../../src/protocol/write-queue.ts'

class FakeStream extends EventTarget {
  readonly protocol = JSON_PROTOCOL
  readonly writeBufferLength = 0
  readonly writableNeedsDrain = false
  readonly sent: Array<Uint8Array | Uint8ArrayList> = []
  send (data: Uint8Array | Uint8ArrayList): boolean { this.sent.push(data); return true }
  async close (): Promise<void> {}
  abort (): void {}
}

const shared = new SessionShared(
  { token: 't', localMode: 'peer', acceptsJoins: true, authTimeoutMs: 5_000, maxFrameBytes: 64 * 1024, banMs: undefined },
  { localName: () => 'a', nameAvailable: () => true, bannedMs: () => 0, sessions: () => 0, admit: () => true, pong: () => ({ type: 'PONG', name: 'a', mode: 'peer', sessions: 0, members: 0 }) },
  { frame: () => {}, closed: () => {}, rejected: () => {} }
)

/** A listener session whose first write (its AUTH nonce) has left and is forgotten. */
async function session (): Promise<{ s: Session, stream: FakeStream }> {
  const stream = new FakeStream()
  const connection = { remotePeer: { toString: () => 'peer-b' }, encryption: 'noise', remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' }, close: async () => {}, abort: () => {} }
  const s = new Session(stream as never, connection as never, shared, AuthRole.listener, Purpose.join)
  s.begin('peer-a')
  await Promise.resolve()
  assert.deepEqual(writes(stream), [['AUTH']], 'the listener\'s nonce leaves at once')
  stream.sent.length = 0
  return { s, stream }
}

const news = (name: string): Uint8Array => encodeJsonFrame({ type: 'MEMBER', peerId: `id-${name}`, name, state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 })
const msg = (id: string): Uint8Array => encodeJsonFrame({ type: 'MSG', id, text: 'x' })

/** The frames of each write, in order, each as its type and (for MEMBER) name or (for MSG) id. */
function writes (stream: FakeStream): string[][] {
  return stream.sent.map(data => {
    const bytes = data instanceof Uint8Array ? data : data.subarray()
    return new LengthPrefixDecoder(64 * 1024).push(bytes).map(decodeJsonFrame).map(f => f.type === 'MEMBER' ? `MEMBER ${f.name}` : f.type === 'MSG' ? `MSG ${f.id as string}` : f.type)
  })
}

const microtask = async (): Promise<void> => { await Promise.resolve() }

describe('stream-session writes', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout'] }) })
  afterEach(() => { mock.timers.reset() })

  it('stream-session - lingering frames leave together, in order, LINGER_MS after the first', async () => {
    const { s, stream } = await session()
    s.sendEncoded(news('n1'), SendWhen.linger)
    mock.timers.tick(LINGER_MS / 2)
    s.sendEncoded(news('n2'), SendWhen.linger)
    await microtask()
    mock.timers.tick(LINGER_MS / 2 - 1)
    assert.deepEqual(writes(stream), [], 'nothing before LINGER_MS')
    mock.timers.tick(1)
    assert.deepEqual(writes(stream), [['MEMBER n1', 'MEMBER n2']])
    await s.drop(ErrorCode.unexpectedFrame, 'end of test')
  })

  it('stream-session - a frame sent soon or now takes the lingering ones along, ahead of itself', async () => {
    const { s, stream } = await session()
    s.sendEncoded(news('n1'), SendWhen.linger)
    s.sendEncoded(msg('m1'))
    await microtask()
    s.sendEncoded(news('n2'), SendWhen.linger)
    s.sendEncoded(msg('m2'), SendWhen.now)
    mock.timers.tick(LINGER_MS)
    assert.deepEqual(writes(stream), [['MEMBER n1', 'MSG m1'], ['MEMBER n2', 'MSG m2']], 'no write left for the timer')
    await s.drop(ErrorCode.unexpectedFrame, 'end of test')
  })

  it('stream-session - a frame queued behind a pending flush rides with it instead of lingering', async () => {
    const { s, stream } = await session()
    s.sendEncoded(msg('m1'))
    s.sendEncoded(news('n1'), SendWhen.linger)
    await microtask()
    assert.deepEqual(writes(stream), [['MSG m1', 'MEMBER n1']])
    mock.timers.tick(LINGER_MS)
    assert.equal(stream.sent.length, 1)
    await s.drop(ErrorCode.unexpectedFrame, 'end of test')
  })

  it('stream-session - a session that ends sends its lingering frames first, then nothing more', async () => {
    const { s, stream } = await session()
    s.sendEncoded(news('n1'), SendWhen.linger)
    await s.drop(ErrorCode.unexpectedFrame, 'closing')
    mock.timers.tick(LINGER_MS)
    assert.deepEqual(writes(stream), [['MEMBER n1', 'ERR']])
  })

  it('stream-session - a stream that closed under a session gets no lingering write', async () => {
    const { s, stream } = await session()
    s.sendEncoded(news('n1'), SendWhen.linger)
    stream.dispatchEvent(new Event('close'))
    mock.timers.tick(LINGER_MS)
    assert.deepEqual(writes(stream), [])
    s.sendEncoded(news('n2'), SendWhen.now)
    assert.deepEqual(writes(stream), [], 'a closed session sends nothing')
  })
})
