/**
 * Mutual authentication on the JSON protocol, and the encrypter a dialer negotiates.
 * The JSON handshake is driven by hand from a bare libp2p node to see exactly what crosses the wire.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { authProof, AuthRole } from '../../src/protocol/auth.ts'
import { createNode, hasSession, isMember, knowsMember, loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { challenge, connectJsonClient, dialerProof, jsonJoin, sendFrame } from '../helpers/json-client.ts'
import { nextEvent, recordEvents, waitFor } from '../helpers/wait-for.ts'
import type { AuthFrame } from '../../src/protocol/frames.ts'
import type { TextClient } from '../helpers/text-client.ts'

afterEach(stopAll)

/** Every byte the raw client received, as text (JSON frames are UTF-8 after their prefix). */
const received = (client: TextClient): string => Buffer.concat(client.chunks).toString('latin1')

describe('auth - JSON mutual authentication', () => {
  it('auth - a hub with another token refuses the leaf\'s proof (rejected bad_token about the leaf) and never proves itself; the leaf is refused', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', token: 'the-hubs-own-token' })
    const hubLog = recordEvents(hub)
    const leaf = await createNode({ mode: 'leaf', name: 'careful', bootstrap: [loopbackAddr(hub)] })
    const leafLog = recordEvents(leaf)
    const rejected = nextEvent(hub, 'rejected', () => true, { timeout: 10_000 })
    const refused = nextEvent(leaf, 'error', () => true, { timeout: 10_000 })
    await leaf.start()

    const r = await rejected
    assert.equal(r.peerId, leaf.peerId)
    assert.equal(r.code, 'bad_token')
    // A refusal is final: the leaf stops with it instead of retrying.
    const first = await refused
    assert.equal(first.code, 'bad_token')
    await leaf.stopped
    assert.deepEqual(leafLog.of('bootstrap'), [])
    assert.deepEqual(leafLog.of('session'), [])
    assert.deepEqual(leafLog.of('rejected'), [], 'the leaf was refused; it refused nobody')
    assert.equal(knowsMember(leaf, hub.peerId), false)
    assert.equal(hasSession(hub, leaf), false)
    assert.equal(knowsMember(hub, leaf.peerId), false)
    assert.deepEqual(hubLog.of('session'), [])
    assert.deepEqual(hubLog.of('joined'), [])
  })

  it('auth - a peer with the right token joins the hub, both ways', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const peer = await startNode({ mode: 'peer', name: 'peer0', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => hasSession(hub, peer) && hasSession(peer, hub), { timeout: 10_000, message: 'the peer and the hub hold a session' })
    await waitFor(() => isMember(hub, peer.peerId) && isMember(peer, hub.peerId), { timeout: 5_000, message: 'both are members' })
    assert.equal(hub.sessions()[0]?.mode, 'peer')
    assert.equal(peer.sessions()[0]?.mode, 'hub')
  })

  it('auth - the listener answers a challenge with a fresh nonce only: nothing derived from the token before the dialer proves', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const client = await connectJsonClient(loopbackAddr(hub))
    const { dialerNonce, response } = await challenge(client)
    assert.equal(response.type, 'AUTH')
    assert.equal(response.step, 'response')
    assert.equal(response.token, undefined, 'no token field')
    assert.equal(response.proof, undefined, 'no proof before the dialer has proven itself')
    assert.equal(typeof response.nonce, 'string')
    assert.ok((response.nonce ?? '').length >= 16)
    assert.notEqual(response.nonce, dialerNonce)
    assert.deepEqual(hub.sessions(), [], 'a challenge alone opens nothing')
  })

  it('auth - a full hand-driven JSON handshake: the listener proves after the dialer, bound to both peers, and the token never travels', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const client = await connectJsonClient(loopbackAddr(hub))
    const nonces = await jsonJoin(client, { listenerPeerId: hub.peerId, token: TEST_TOKEN, name: 'handmade' })
    await waitFor(() => hasSession(hub, client.peerId), { timeout: 5_000, message: 'the hub lists the raw JSON peer' })
    assert.equal(hub.sessions()[0]?.name, 'handmade')
    assert.ok(!received(client).includes(TEST_TOKEN), 'the token bytes never crossed the wire')
    const frames = client.frames()
    assert.ok(frames.every(f => f.type !== 'AUTH' || (f as AuthFrame).token === undefined), 'no AUTH frame carries a token')
    assert.deepEqual(frames.slice(0, 3).map(f => [f.type, (f as AuthFrame).step]), [['AUTH', 'response'], ['AUTH', 'proof'], ['JOIN', undefined]])
    const proof = frames[1] as AuthFrame
    const expected = authProof(TEST_TOKEN, AuthRole.listener, { ...nonces, dialerPeerId: client.peerId, listenerPeerId: hub.peerId })
    assert.equal(proof.proof, expected, 'the proof is the HMAC of the token over both nonces and peer ids')
  })

  it('auth - a wrong proof gets ERR:bad_token, a rejected event and a closed connection', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const client = await connectJsonClient(loopbackAddr(hub))
    const { dialerNonce, response } = await challenge(client)
    const rejected = nextEvent(hub, 'rejected', r => r.peerId === client.peerId, { timeout: 5_000 })
    sendFrame(client, { type: 'AUTH', step: 'proof', proof: dialerProof(client, hub.peerId, 'a-guess', dialerNonce, response.nonce as string) })
    const err = await client.waitFrame(f => f.type === 'ERR')
    assert.equal(err.type === 'ERR' ? err.code : '', 'bad_token')
    assert.equal((await rejected).code, 'bad_token')
    await client.connectionClosed
    assert.deepEqual(hub.sessions(), [])
    assert.deepEqual(client.frames().filter(f => f.type === 'AUTH').map(f => (f as AuthFrame).step), ['response'], 'the listener never sent its proof')
  })

  it('auth - a proof replayed on another connection is refused (it is bound to the nonces and peer ids)', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const first = await connectJsonClient(loopbackAddr(hub))
    const a = await challenge(first)
    const validForFirst = dialerProof(first, hub.peerId, TEST_TOKEN, a.dialerNonce, a.response.nonce as string)
    const second = await connectJsonClient(loopbackAddr(hub))
    await challenge(second, a.dialerNonce) // even with the same dialer nonce, the listener picks a fresh one
    sendFrame(second, { type: 'AUTH', step: 'proof', proof: validForFirst })
    const err = await second.waitFrame(f => f.type === 'ERR')
    assert.equal(err.type === 'ERR' ? err.code : '', 'bad_token')
    assert.deepEqual(hub.sessions(), [])
  })
})

describe('auth - encryption', () => {
  it('encryption - a dialer configured for TLS negotiates /tls/1.0.0; the default negotiates /noise', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const tlsLeaf = await createNode({ mode: 'leaf', name: 'tls-leaf', encryption: 'tls', bootstrap: [loopbackAddr(hub)] })
    const tlsOpen = nextEvent(hub, 'session', s => s.peerId === tlsLeaf.peerId && s.action === 'open', { timeout: 10_000 })
    const tlsOpenAtLeaf = nextEvent(tlsLeaf, 'session', s => s.action === 'open', { timeout: 10_000 })
    await tlsLeaf.start()
    assert.equal((await tlsOpen).encryption, '/tls/1.0.0')
    assert.equal((await tlsOpenAtLeaf).encryption, '/tls/1.0.0')

    const noiseLeaf = await createNode({ mode: 'leaf', name: 'noise-leaf', bootstrap: [loopbackAddr(hub)] })
    const noiseOpen = nextEvent(hub, 'session', s => s.peerId === noiseLeaf.peerId && s.action === 'open', { timeout: 10_000 })
    await noiseLeaf.start()
    assert.equal((await noiseOpen).encryption, '/noise')
    assert.deepEqual(hub.sessions().map(s => [s.name, s.encryption]).sort(), [['noise-leaf', '/noise'], ['tls-leaf', '/tls/1.0.0']])
  })
})
