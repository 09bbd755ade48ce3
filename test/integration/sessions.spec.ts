/**
 * Session bookkeeping under races: two peers dialling each other at once, and peers that vanish
 * in the middle of a JSON frame.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, it } from 'node:test'
import { JSON_PROTOCOL, TEXT_PROTOCOL } from '../../src/index.ts'
import { createNode, freePort, hasSession, isMember, loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { challenge, connectJsonClient, jsonJoin } from '../helpers/json-client.ts'
import { nextEvent, recordEvents, waitFor } from '../helpers/wait-for.ts'
import type { OverlayNode } from '../../src/index.ts'
import type { TextClient } from '../helpers/text-client.ts'

afterEach(stopAll)

/** Overlay streams (either protocol) `node` holds with the peer `peerId`, over every connection. */
function overlayStreams (node: OverlayNode, peerId: string): number {
  return node.libp2p.getConnections().filter(c => c.remotePeer.toString() === peerId)
    .flatMap(c => c.streams).filter(s => s.protocol === JSON_PROTOCOL || s.protocol === TEXT_PROTOCOL).length
}

/** Half of a frame: a length prefix promising `size` bytes, then fewer. */
function halfFrame (size = 100): Uint8Array {
  const body = Buffer.from('{"type":"MSG","text":"cut')
  return Uint8Array.from([size, ...body]) // size < 128: a one-byte varint
}

describe('sessions - simultaneous dials', () => {
  it('sessions - two peers that dial each other at the same moment end with exactly one shared session, 5 runs in a row', async () => {
    for (let run = 1; run <= 5; run++) {
      const [keyA, keyB] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
      const idA = peerIdFromPrivateKey(keyA).toString()
      const idB = peerIdFromPrivateKey(keyB).toString()
      const addrA = `/ip4/127.0.0.1/tcp/${await freePort()}`
      const addrB = `/ip4/127.0.0.1/tcp/${await freePort()}`
      const a = await createNode({ mode: 'peer', name: `a${run}`, listen: [addrA], bootstrap: [`${addrB}/p2p/${idB}`] }, { privateKey: keyA })
      const b = await createNode({ mode: 'peer', name: `b${run}`, listen: [addrB], bootstrap: [`${addrA}/p2p/${idA}`] }, { privateKey: keyB })
      const logA = recordEvents(a)
      const logB = recordEvents(b)
      await Promise.all([a.start(), b.start()])

      const context = (): string => `run ${run}: a=${JSON.stringify(a.sessions())} b=${JSON.stringify(b.sessions())}`
      await waitFor(() => hasSession(a, b) && hasSession(b, a), { timeout: 10_000, message: `run ${run}: both hold a session` })
      // The losing duplicate (if both dials got through) must be closed on both ends.
      await waitFor(() => overlayStreams(a, idB) === 1 && overlayStreams(b, idA) === 1, {
        timeout: 5_000,
        message: `run ${run}: exactly one overlay stream each way (a: ${overlayStreams(a, idB)}, b: ${overlayStreams(b, idA)})`
      })
      assert.equal(a.sessions().length, 1, context())
      assert.equal(b.sessions().length, 1, context())
      // Both ends kept the same session: exactly one of them is the dialer (it sees the other's listen port).
      const aDialled = a.sessions()[0]?.remoteAddr.startsWith(`${addrB}/`) === true
      const bDialled = b.sessions()[0]?.remoteAddr.startsWith(`${addrA}/`) === true
      assert.notEqual(aDialled, bDialled, `both ends hold the same connection: ${context()}`)
      for (const log of [logA, logB]) {
        const opens = log.of('session', s => s.action === 'open').length
        const closes = log.of('session', s => s.action === 'close').length
        assert.equal(opens - closes, 1, `run ${run}: opens ${opens}, closes ${closes}`)
        // A loser may show up briefly on one end before the other end drops it (ERR duplicate_session).
        const reasons = log.of('session', s => s.action === 'close').map(s => s.reason)
        assert.ok(reasons.every(r => r === 'duplicate' || r === 'rejected'), `run ${run}: only duplicates closed: ${JSON.stringify(log.events)}`)
        assert.equal(log.of('joined').length, 1, `run ${run}: the other joined exactly once`)
        assert.deepEqual(log.of('left'), [])
        assert.deepEqual(log.of('error'), [])
      }

      // A message crosses exactly once (the second one is a barrier: same stream, in order).
      const barrier = nextEvent(b, 'message', m => m.text === `second ${run}`, { timeout: 5_000 })
      await a.send(`first ${run}`)
      await a.send(`second ${run}`)
      await barrier
      assert.equal(logB.of('message', m => m.text === `first ${run}`).length, 1)
      await stopAll()
    }
  })
})

describe('sessions - a peer vanishing mid-frame', () => {
  /** Hub plus a real leaf, so "consistent" means: the leaf stays, the vanished peer leaves no trace. */
  async function hubWithLeaf (): Promise<{ hub: OverlayNode, leaf: OverlayNode }> {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const leaf = await startNode({ mode: 'leaf', name: 'steady', bootstrap: [loopbackAddr(hub)] })
    // Both: the session opens before the leaf's MEMBER makes it a member (and emits 'joined').
    await waitFor(() => hasSession(hub, leaf) && isMember(hub, leaf.peerId), { timeout: 10_000, message: 'the leaf joined' })
    return { hub, leaf }
  }

  it('sessions - half a frame during AUTH, then a reset: nothing is listed and no stream lingers', async () => {
    const { hub, leaf } = await hubWithLeaf()
    const log = recordEvents(hub)
    const client = await connectJsonClient(loopbackAddr(hub))
    await waitFor(() => overlayStreams(hub, client.peerId) === 1, { timeout: 5_000, message: 'the hub accepted the stream' })
    client.write(halfFrame())
    client.abort('vanish')
    await waitFor(() => overlayStreams(hub, client.peerId) === 0, { timeout: 5_000, message: 'the hub dropped the stream' })
    await client.close()
    assert.deepEqual(hub.sessions().map(s => s.peerId), [leaf.peerId])
    assert.deepEqual(log.of('session'), [])
    assert.deepEqual(log.of('joined'), [])
  })

  it('sessions - an open JSON session cut mid-frame by a connection abort closes exactly once', async () => {
    const { hub, leaf } = await hubWithLeaf()
    const client = await connectJsonClient(loopbackAddr(hub))
    await jsonJoin(client, { listenerPeerId: hub.peerId, token: TEST_TOKEN, name: 'flaky' })
    await waitFor(() => hasSession(hub, client.peerId), { timeout: 5_000, message: 'the raw peer joined' })
    const log = recordEvents(hub)
    const closed = nextEvent(hub, 'session', s => s.peerId === client.peerId && s.action === 'close', { timeout: 5_000 })
    client.write(halfFrame())
    client.connection.abort(new Error('vanish'))
    assert.equal((await closed).reason, 'disconnect')
    await waitFor(() => overlayStreams(hub, client.peerId) === 0, { timeout: 5_000, message: 'no stream lingers' })
    assert.deepEqual(hub.sessions().map(s => s.peerId), [leaf.peerId])
    assert.equal(log.of('session', s => s.peerId === client.peerId).length, 1, 'one close event, no more')
    assert.equal(hub.stats().sessions, 1)
  })

  it('sessions - an open JSON session that ends cleanly mid-frame gets ERR:truncated and closes exactly once', async () => {
    const { hub, leaf } = await hubWithLeaf()
    const client = await connectJsonClient(loopbackAddr(hub))
    await jsonJoin(client, { listenerPeerId: hub.peerId, token: TEST_TOKEN, name: 'cutoff' })
    await waitFor(() => hasSession(hub, client.peerId), { timeout: 5_000, message: 'the raw peer joined' })
    const log = recordEvents(hub)
    const closed = nextEvent(hub, 'session', s => s.peerId === client.peerId && s.action === 'close', { timeout: 5_000 })
    client.write(halfFrame())
    await client.end()
    await closed
    const err = await client.waitFrame(f => f.type === 'ERR')
    assert.equal(err.type === 'ERR' ? err.code : '', 'truncated')
    await client.closed
    assert.deepEqual(hub.sessions().map(s => s.peerId), [leaf.peerId])
    assert.equal(log.of('session', s => s.peerId === client.peerId).length, 1)
    assert.equal(log.of('message', m => m.text.startsWith('cut')).length, 0)
  })

  it('sessions - twenty peers vanishing mid-frame at once leave the session list exactly as before', async () => {
    const { hub, leaf } = await hubWithLeaf()
    const log = recordEvents(hub)
    const clients: TextClient[] = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const client = await connectJsonClient(loopbackAddr(hub))
      if (i % 4 === 0) {
        await challenge(client) // stuck in AUTH
      } else {
        await jsonJoin(client, { listenerPeerId: hub.peerId, token: TEST_TOKEN, name: `crowd${i}` })
      }
      return client
    }))
    const joined = clients.filter((_, i) => i % 4 !== 0).map(c => c.peerId)
    await waitFor(() => joined.every(p => hasSession(hub, p)), { timeout: 10_000, message: 'the joiners are listed' })
    assert.equal(hub.sessions().length, 1 + joined.length)

    clients.forEach((client, i) => {
      client.write(halfFrame())
      if (i % 2 === 0) client.connection.abort(new Error('vanish'))
      else client.abort('vanish')
    })
    await waitFor(() => hub.sessions().length === 1, { timeout: 10_000, message: () => `back to the leaf only (have ${hub.sessions().length})` })
    await waitFor(() => clients.every(c => overlayStreams(hub, c.peerId) === 0), { timeout: 5_000, message: 'no stream lingers' })
    assert.deepEqual(hub.sessions().map(s => s.peerId), [leaf.peerId])
    for (const peerId of joined) {
      assert.deepEqual(log.of('session', s => s.peerId === peerId).map(s => s.action), ['open', 'close'], `${peerId}: opened once, closed once`)
    }
    assert.ok(hasSession(leaf, hub.peerId), 'the leaf is unaffected')
    const ping = nextEvent(leaf, 'message', m => m.text === 'still fine', { timeout: 5_000 })
    await hub.send('still fine')
    await ping
  })
})
