/**
 * PROTOCOL.md 8.3 both ways: what an unsigned frame leaves out on the wire, and that the receiver's
 * fill-in gives back the frame the sender meant. Signed frames and MEMBER frames go whole.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inboundAck, inboundMsg, wireBytes } from '../../../src/mesh/unsigned.ts'
import { decodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/index.ts'
import type { AckFrame, DirectMsg, Frame, MemberFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const SENDER = '12D3KooWSenderSenderSenderSenderSenderSenderSender1'
const RECEIVER = '12D3KooWReceiverReceiverReceiverReceiverReceiver12'
const session = { peer: SENDER, name: 'alice' }

/** What the receiver decodes from the bytes. */
function received (bytes: Uint8Array): Frame {
  const bodies = new LengthPrefixDecoder(1 << 20).push(bytes)
  assert.equal(bodies.length, 1)
  return decodeJsonFrame(bodies[0] as Uint8Array)
}

const direct: DirectMsg = { type: 'MSG', id: 'V1StGXR8_Z5jdHi6B-myT', origin: SENDER, from: 'alice', to: RECEIVER, ts: 1700000000000, hops: 0, text: 'hi bob' }

describe('unsigned frames', () => {
  it('unsigned - a direct MSG goes as id, ts, to "" and its text, and is filled back to what was sent', () => {
    const got = received(wireBytes(direct)) as MsgFrame
    assert.deepEqual(got, { type: 'MSG', id: direct.id, ts: direct.ts, to: '', text: 'hi bob' })
    assert.deepEqual(inboundMsg(got, session, RECEIVER), direct)
  })

  it('unsigned - a broadcast MSG goes without to, and stays a broadcast', () => {
    const { to: _to, ...broadcast } = direct
    const got = received(wireBytes(broadcast)) as MsgFrame
    assert.equal('to' in got, false)
    const filled = inboundMsg(got, session, RECEIVER)
    assert.deepEqual(filled, broadcast)
    assert.equal(filled !== undefined && 'to' in filled, false)
  })

  it('unsigned - an ACK goes as its id alone, and is filled with the session peer, the receiver and hops 0', () => {
    const ack: AckFrame = { type: 'ACK', id: direct.id, from: 'bob', origin: SENDER, to: RECEIVER, hops: 0 }
    const got = received(wireBytes(ack)) as AckFrame
    assert.deepEqual(got, { type: 'ACK', id: direct.id })
    const { from: _from, ...filled } = ack
    assert.deepEqual(inboundAck(got, session, RECEIVER), filled)
  })

  it('unsigned - the fill-in keeps what a frame did carry', () => {
    const relayed: MsgFrame = { ...direct, origin: 'someone-else', from: 'carol', hops: 2, to: 'a-third-peer' }
    const got = inboundMsg(relayed, session, RECEIVER)
    assert.deepEqual([got?.origin, got?.from, got?.hops, got?.to], ['someone-else', 'carol', 2, 'a-third-peer'])
  })

  it('unsigned - a signed frame gets nothing filled in: a missing field, or to "", makes it malformed (undefined)', () => {
    const signed: MsgFrame = { ...direct, sig: 'c2lnbmF0dXJl' }
    assert.deepEqual(inboundMsg(signed, session, RECEIVER), signed)
    assert.equal(inboundMsg({ ...signed, to: '' }, session, RECEIVER), undefined)
    const { origin: _o, ...noOrigin } = signed
    assert.equal(inboundMsg(noOrigin, session, RECEIVER), undefined)
    const { id: _i, ...noId } = direct
    assert.equal(inboundMsg(noId, session, RECEIVER), undefined, 'an unsigned MSG needs its id')
    const signedAck: AckFrame = { type: 'ACK', id: 'x', from: 'bob', origin: SENDER, to: RECEIVER, hops: 1, sig: 'c2ln' }
    assert.deepEqual(inboundAck(signedAck, session, RECEIVER), signedAck)
    const { from: _f, ...noFrom } = signedAck
    const { hops: _h, ...noHops } = signedAck
    assert.equal(inboundAck(noFrom, session, RECEIVER), undefined)
    assert.equal(inboundAck(noHops, session, RECEIVER), undefined)
  })

  it('unsigned - signed frames and MEMBER frames go whole', () => {
    const signedMsg: MsgFrame = { ...direct, sig: 'c2lnbmF0dXJl' }
    const signedAck: AckFrame = { type: 'ACK', id: 'x', from: 'bob', origin: RECEIVER, to: SENDER, hops: 1, sig: 'c2ln' }
    const member: MemberFrame = { type: 'MEMBER', peerId: SENDER, name: 'alice', state: 'alive', inc: 1, seq: 2, addrs: [], hops: 0 }
    for (const f of [signedMsg, signedAck, member]) assert.deepEqual(received(wireBytes(f)), f, f.type)
  })
})
