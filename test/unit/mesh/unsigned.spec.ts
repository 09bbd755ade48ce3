/**
 * PROTOCOL.md 8.3 both ways: what an unsigned frame leaves out on the wire, and that the receiver's
 * fill-in gives back the frame the sender meant. Signed frames and MEMBER frames go whole.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fillAck, fillMsg, wireBytes } from '../../../src/mesh/unsigned.ts'
import { decodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/index.ts'
import type { AckFrame, Frame, MemberFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const SENDER = '12D3KooWSenderSenderSenderSenderSenderSenderSender1'
const RECEIVER = '12D3KooWReceiverReceiverReceiverReceiverReceiver12'
const session = { peer: SENDER, name: 'alice' }

/** What the receiver decodes from the bytes. */
function received (bytes: Uint8Array): Frame {
  const bodies = new LengthPrefixDecoder(1 << 20).push(bytes)
  assert.equal(bodies.length, 1)
  return decodeJsonFrame(bodies[0] as Uint8Array)
}

const direct: MsgFrame = { type: 'MSG', id: 'V1StGXR8_Z5jdHi6B-myT', origin: SENDER, from: 'alice', to: RECEIVER, ts: 1700000000000, hops: 0, text: 'hi bob' }

describe('unsigned frames', () => {
  it('unsigned - a direct MSG goes as id, ts, to "" and its text, and is filled back to what was sent', () => {
    const got = received(wireBytes(direct)) as MsgFrame
    assert.deepEqual(got, { type: 'MSG', id: direct.id, ts: direct.ts, to: '', text: 'hi bob' })
    fillMsg(got, session, RECEIVER)
    assert.deepEqual(got, direct)
  })

  it('unsigned - a broadcast MSG goes without to, and stays a broadcast', () => {
    const { to: _to, ...broadcast } = direct
    const got = received(wireBytes(broadcast)) as MsgFrame
    assert.equal('to' in got, false)
    fillMsg(got, session, RECEIVER)
    assert.deepEqual(got, broadcast)
  })

  it('unsigned - an ACK goes as its id alone, and is filled with the session peer, the receiver and hops 0', () => {
    const ack: AckFrame = { type: 'ACK', id: direct.id as string, from: 'bob', origin: SENDER, to: RECEIVER, hops: 0 }
    const got = received(wireBytes(ack)) as AckFrame
    assert.deepEqual(got, { type: 'ACK', id: direct.id })
    fillAck(got, session, RECEIVER)
    const { from: _from, ...filled } = ack
    assert.deepEqual(got, filled)
  })

  it('unsigned - the fill-in keeps what a frame did carry', () => {
    const relayed: MsgFrame = { ...direct, origin: 'someone-else', from: 'carol', hops: 2, to: 'a-third-peer' }
    fillMsg(relayed, session, RECEIVER)
    assert.deepEqual([relayed.origin, relayed.from, relayed.hops, relayed.to], ['someone-else', 'carol', 2, 'a-third-peer'])
  })

  it('unsigned - signed frames and MEMBER frames go whole', () => {
    const signedMsg: MsgFrame = { ...direct, sig: 'c2lnbmF0dXJl' }
    const signedAck: AckFrame = { type: 'ACK', id: 'x', from: 'bob', origin: RECEIVER, to: SENDER, hops: 1, sig: 'c2ln' }
    const member: MemberFrame = { type: 'MEMBER', peerId: SENDER, name: 'alice', state: 'alive', inc: 1, seq: 2, addrs: [], hops: 0 }
    for (const f of [signedMsg, signedAck, member]) assert.deepEqual(received(wireBytes(f)), f, f.type)
  })
})
