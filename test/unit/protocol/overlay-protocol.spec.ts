/**
 * The protocol service against fake components, as @libp2p/ping is tested: a registrar that keeps
 * handlers, a connection manager whose connections open streamPair() streams to the other service's
 * handler. Sessions run for real over those streams (AUTH, JOIN, PING).
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { JSON_PROTOCOL, TEXT_PROTOCOL } from '../../../src/constants.ts'
import { SessionRejectedError } from '../../../src/errors.ts'
import { ErrorCode } from '../../../src/protocol/frames.ts'
import { overlayProtocol } from '../../../src/protocol/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { MeshFrame } from '../../../src/protocol/frames.ts'
import type { OverlayProtocol, OverlayProtocolInit } from '../../../src/protocol/overlay-protocol.ts'
import type { SessionEvents, SessionPolicy } from '../../../src/protocol/port.ts'
import type { Session } from '../../../src/protocol/stream-session.ts'
import type { Connection, PeerId, StreamHandler } from '@libp2p/interface'

const TOKEN = 'letmein123'
const fakePeerId = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId

interface Side {
  peerId: PeerId
  protocol: OverlayProtocol
  handlers: Map<string, StreamHandler>
  dials: Array<{ target: unknown, protocols: string[] }>
  events: { frames: MeshFrame[], closed: string[], rejected: Array<{ code: string, ban: boolean }> }
}

const sides: Side[] = []
const sessions: Session[] = []
afterEach(async () => {
  await Promise.all(sessions.splice(0).map(async s => { await s.exit() }))
  await Promise.all(sides.splice(0).map(async s => { await s.protocol.stop() }))
})

/** A service named `name` whose dials reach `remote`'s handlers (when given). */
function side (name: string, init: Partial<OverlayProtocolInit>, remote?: Side): Side {
  const handlers = new Map<string, StreamHandler>()
  const dials: Side['dials'] = []
  const events: Side['events'] = { frames: [], closed: [], rejected: [] }
  const peerId = fakePeerId(`peer-${name}`)
  const connectionTo = (remotePeer: PeerId): Connection => ({
    remotePeer,
    encryption: '/noise',
    remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' },
    close: async () => {},
    abort: () => {}
  }) as unknown as Connection
  const connectionManager = {
    openConnection: async (target: unknown) => {
      const conn = connectionTo(remote?.peerId ?? fakePeerId('peer-nobody'))
      return Object.assign(conn, {
        newStream: async (protocols: string | string[]) => {
          const list = typeof protocols === 'string' ? [protocols] : protocols
          dials.push({ target, protocols: list })
          const handler = remote?.handlers.get(list[0] ?? '')
          if (handler === undefined) throw new Error('protocol not supported')
          const [outbound, inbound] = await streamPair({ protocol: list[0] ?? '' })
          await handler(inbound, connectionTo(peerId))
          return outbound
        }
      })
    }
  }
  const registrar = {
    handle: async (protocol: string, handler: StreamHandler) => { handlers.set(protocol, handler) },
    unhandle: async (protocol: string) => { handlers.delete(protocol) }
  }
  const protocol = overlayProtocol({ token: TOKEN, ...init })({ peerId, registrar, connectionManager })
  const policy: SessionPolicy = {
    localName: () => name,
    nameAvailable: () => true,
    bannedMs: () => 0,
    sessions: () => 0,
    admit: s => { sessions.push(s); return true },
    pong: () => ({ type: 'PONG', name, mode: 'hub', sessions: 3, members: 4 })
  }
  const sessionEvents: SessionEvents = {
    frame: (_s, f) => { events.frames.push(f) },
    closed: (_s, reason) => { events.closed.push(reason) },
    rejected: (_peer, code, _message, ban) => { events.rejected.push({ code, ban }) }
  }
  protocol.bind(policy, sessionEvents)
  const s = { peerId, protocol, handlers, dials, events }
  sides.push(s)
  return s
}

describe('overlay-protocol service', () => {
  it('overlay-protocol - start registers the JSON handler (text only when asked) and stop removes them, both idempotent', async () => {
    const json = side('a', { acceptsJoins: true })
    const both = side('b', { acceptsJoins: true, acceptText: true })
    await json.protocol.start()
    await json.protocol.start()
    await both.protocol.start()
    assert.deepEqual([...json.handlers.keys()], [JSON_PROTOCOL])
    assert.deepEqual([...both.handlers.keys()], [JSON_PROTOCOL, TEXT_PROTOCOL])
    assert.equal(both.protocol.isStarted(), true)
    await both.protocol.stop()
    await both.protocol.stop()
    assert.deepEqual([...both.handlers.keys()], [])
    assert.equal(both.protocol.isStarted(), false)
  })

  it('overlay-protocol - join opens a connection, then a JSON stream on it, and resolves with the open session', async () => {
    const hub = side('hub', { acceptsJoins: true, localMode: 'hub' })
    const leaf = side('leaf', { localMode: 'leaf' }, hub)
    await hub.protocol.start()
    const session = await leaf.protocol.join(fakePeerId('peer-hub'), { signal: AbortSignal.timeout(5_000) })
    assert.equal(session.name, 'hub')
    assert.equal(session.remoteMode, 'hub')
    assert.deepEqual(leaf.dials.map(d => d.protocols), [[JSON_PROTOCOL]])
    await waitFor(() => sessions.length === 2, { timeout: 5_000, message: 'both ends admitted the session' })
    session.send({ type: 'PRUNE' })
    await waitFor(() => hub.events.frames.length === 1, { timeout: 5_000, message: 'the hub got the frame' })
    assert.deepEqual(hub.events.frames, [{ type: 'PRUNE' }])
  })

  it('overlay-protocol - health resolves with the listener\'s PONG and opens no session', async () => {
    const hub = side('hub', { acceptsJoins: true, localMode: 'hub' })
    const probe = side('probe', { localMode: 'health' }, hub)
    await hub.protocol.start()
    const pong = await probe.protocol.health(fakePeerId('peer-hub'), { signal: AbortSignal.timeout(5_000) })
    assert.deepEqual(pong, { type: 'PONG', name: 'hub', mode: 'hub', sessions: 3, members: 4 })
    assert.equal(sessions.length, 0)
  })

  it('overlay-protocol - a dialer with the wrong token is refused with bad_token, and the listener reports it for a ban', async () => {
    const hub = side('hub', { acceptsJoins: true, banMs: 60_000 })
    const stranger = side('stranger', { token: 'not-the-token' }, hub)
    await hub.protocol.start()
    await assert.rejects(stranger.protocol.join(fakePeerId('peer-hub'), { signal: AbortSignal.timeout(5_000) }), (err: Error) => {
      assert.equal(err.name, SessionRejectedError.name)
      assert.equal((err as SessionRejectedError).code, ErrorCode.badToken)
      return true
    })
    await waitFor(() => hub.events.rejected.length === 1, { timeout: 5_000, message: 'the hub reported the stranger' })
    assert.deepEqual(hub.events.rejected, [{ code: ErrorCode.badToken, ban: true }])
  })

  it('overlay-protocol - an aborted signal rejects join before anything is dialled', async () => {
    const hub = side('hub', { acceptsJoins: true })
    const leaf = side('leaf', {}, hub)
    await hub.protocol.start()
    await assert.rejects(leaf.protocol.join(fakePeerId('peer-hub'), { signal: AbortSignal.abort(new Error('gave up')) }), /gave up/)
    assert.deepEqual(leaf.dials, [])
  })
})
