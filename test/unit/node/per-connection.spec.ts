import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { loggerFor, unpinPeerId } from '../../../src/node/per-connection.ts'

describe('per-connection', () => {
  it('per-connection - without DEBUG libp2p gets one shared silent logger', () => {
    const { logger } = loggerFor({})
    assert.ok(logger !== undefined)
    const log = logger.forComponent('libp2p:yamux')
    assert.equal(log.enabled, false)
    assert.equal(log.newScope('stream'), log)
    assert.equal(logger.forComponent('libp2p:tcp'), log)
    log('nothing %s', 'happens')
    log.error('nor here')
    log.trace('nor here')
  })

  it('per-connection - with DEBUG set libp2p keeps its own logger', () => {
    assert.deepEqual(loggerFor({ DEBUG: 'libp2p:*' }), {})
    assert.ok(loggerFor({ DEBUG: '' }).logger !== undefined)
  })

  it('per-connection - unpinPeerId points the digest at its own bytes and keeps the peer id the same', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const mh = (peer as unknown as { multihash: { digest: Uint8Array, bytes: Uint8Array } }).multihash
    const text = peer.toString()
    const digest = Uint8Array.from(mh.digest)
    assert.ok(mh.digest.buffer.byteLength > mh.bytes.byteLength, 'libp2p pins a larger pool slab (if not, this test has nothing to check)')
    unpinPeerId(peer)
    assert.equal(mh.digest.buffer, mh.bytes.buffer)
    assert.deepEqual(Uint8Array.from(mh.digest), digest)
    assert.equal(peer.toString(), text)
    assert.ok(peer.equals(peerIdFromString(text)))
  })

  it('per-connection - unpinPeerId leaves an unpinned or unfamiliar peer id alone', () => {
    const peer = peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
    const mh = (peer as unknown as { multihash: { digest: Uint8Array } }).multihash
    const before = mh.digest
    unpinPeerId(peer)
    assert.equal(mh.digest, before)
    unpinPeerId({} as never)
  })
})
