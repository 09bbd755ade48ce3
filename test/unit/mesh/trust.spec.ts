import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Roster } from '../../../src/mesh/roster.ts'
import { Signer, Verifier } from '../../../src/mesh/signing.ts'
import { checkMember, isPeerId, MemberDrop, nextInc, reportCeiling } from '../../../src/mesh/trust.ts'
import type { Member } from '../../../src/mesh/roster.ts'
import type { MemberFrame } from '../../../src/protocol/frames.ts'
import type { PrivateKey } from '@libp2p/interface'

interface Identity { key: PrivateKey, peerId: string, signer: Signer }
async function identity (): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  return { key, peerId: peerIdFromPrivateKey(key).toString(), signer: new Signer(key) }
}

const alice = await identity()
const bob = await identity()
const hub = await identity()
const verifier = new Verifier()
const verify = (f: MemberFrame, signer: string): boolean => verifier.verifyBy(f, signer)

function frame (who: Identity, over: Partial<MemberFrame> = {}): MemberFrame {
  return { type: 'MEMBER', peerId: who.peerId, name: 'alice', state: 'alive', inc: 1_000, seq: 0, addrs: [], mode: 'peer', hops: 0, ...over }
}
function signedBy (by: Identity, f: MemberFrame): MemberFrame {
  const out: MemberFrame = { ...f }
  delete out.sig
  return { ...out, sig: by.signer.sign(out) }
}
/** The roster entry after applying `f` (already checked). */
function known (f: MemberFrame): Member {
  const r = new Roster()
  r.apply(f, 0)
  return r.get(f.peerId) as Member
}

describe('trust - claims', () => {
  it('trust - a member\'s claim signed by its own key is accepted; signed by anyone else it is forged', () => {
    assert.equal(checkMember(signedBy(alice, frame(alice)), { known: undefined, verify }), undefined)
    assert.equal(checkMember(signedBy(bob, frame(alice)), { known: undefined, verify }), MemberDrop.forged)
    assert.equal(checkMember(frame(alice), { known: undefined, verify }), MemberDrop.forged, 'unsigned')
    assert.equal(checkMember(signedBy(alice, frame(alice, { state: 'left', reason: 'exit' })), { known: undefined, verify }), undefined)
  })

  it('trust - the signature covers name, state, inc, addrs, mode, host and reason, not seq or hops', () => {
    const good = signedBy(alice, frame(alice, { addrs: ['/ip4/127.0.0.1/tcp/1'] }))
    assert.equal(checkMember({ ...good, seq: 99, hops: 3 }, { known: undefined, verify }), undefined)
    const changes: Array<Partial<MemberFrame>> = [{ name: 'mallory' }, { inc: 2_000 }, { state: 'left' }, { addrs: ['/ip4/6.6.6.6/tcp/1'] }, { mode: 'hub' }, { host: hub.peerId }, { state: 'left', reason: 'disconnect' }]
    for (const change of changes) assert.equal(checkMember({ ...good, ...change }, { known: undefined, verify }), MemberDrop.forged, JSON.stringify(change))
  })

  it('trust - a heartbeat repeating the stored claim is not verified again; a changed one is', () => {
    const claim = signedBy(alice, frame(alice))
    const k = known(claim)
    let calls = 0
    const counting = (f: MemberFrame, s: string): boolean => { calls++; return verify(f, s) }
    assert.equal(checkMember({ ...claim, seq: 5 }, { known: k, verify: counting }), undefined)
    assert.equal(calls, 0)
    assert.equal(checkMember({ ...claim, addrs: ['/ip4/6.6.6.6/tcp/1'] }, { known: k, verify: counting }), MemberDrop.forged, 'same signature, other addrs')
    assert.equal(calls, 1)
  })

  it('trust - a member renames itself only with a new incarnation', () => {
    const k = known(signedBy(alice, frame(alice)))
    assert.equal(checkMember(signedBy(alice, frame(alice, { name: 'alicia' })), { known: k, verify }), MemberDrop.forged)
    assert.equal(checkMember(signedBy(alice, frame(alice, { name: 'alicia', inc: 1_001 })), { known: k, verify }), undefined)
  })

  it('trust - a hub speaks for a text client only with its own signature, naming itself as host', () => {
    const client = frame(alice, { mode: 'text', host: hub.peerId })
    assert.equal(checkMember(signedBy(hub, client), { known: undefined, verify }), undefined)
    assert.equal(checkMember(signedBy(bob, client), { known: undefined, verify }), MemberDrop.forged, 'another node cannot sign as the host')
    assert.equal(checkMember(signedBy(bob, { ...client, host: bob.peerId }), { known: undefined, verify }), undefined, 'a host signs for a client it names itself host of')
    assert.equal(checkMember(signedBy(hub, { ...client, mode: 'peer' }), { known: undefined, verify }), MemberDrop.forged, 'a host speaks for text clients only')
  })

  it('trust - no host may speak for a member that speaks for itself', () => {
    const k = known(signedBy(alice, frame(alice)))
    const takeover = signedBy(hub, frame(alice, { inc: 5_000, mode: 'text', host: hub.peerId }))
    assert.equal(checkMember(takeover, { known: k, verify }), MemberDrop.forged)
  })
})

describe('trust - reports', () => {
  it('trust - anyone may report suspicion or failure about a known member, unsigned', () => {
    const k = known(signedBy(alice, frame(alice)))
    assert.equal(checkMember(frame(alice, { state: 'suspect' }), { known: k, verify }), undefined)
    assert.equal(checkMember(frame(alice, { state: 'failed', inc: 1_001 }), { known: k, verify }), undefined)
  })

  it('trust - a report may not raise the incarnation past the member\'s latest claim + 1', () => {
    const k = known(signedBy(alice, frame(alice)))
    assert.equal(reportCeiling(k), 1_001)
    assert.equal(checkMember(frame(alice, { state: 'suspect', inc: 1_002 }), { known: k, verify }), MemberDrop.badInc)
    assert.equal(checkMember(frame(alice, { state: 'failed', inc: Number.MAX_SAFE_INTEGER }), { known: k, verify }), MemberDrop.badInc)
    // Reports do not move the ceiling: only the member's own claims do.
    const r = new Roster()
    r.apply(signedBy(alice, frame(alice)), 0)
    r.apply(frame(alice, { state: 'suspect', inc: 1_001 }), 1)
    assert.equal(reportCeiling(r.get(alice.peerId) as Member), 1_001)
  })

  it('trust - a report about a member nobody claimed is dropped: it would create one', () => {
    assert.equal(checkMember(frame(alice, { state: 'suspect' }), { known: undefined, verify }), MemberDrop.unknown)
  })
})

describe('trust - ids, leaves, incarnations', () => {
  it('trust - peer ids in MEMBER frames must parse as peer ids', () => {
    assert.equal(isPeerId(alice.peerId), true)
    for (const bad of ['ghost-1', '12D3KooWPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '', 'Qm']) assert.equal(isPeerId(bad), false, bad)
    assert.equal(checkMember(frame(alice, { peerId: 'invented-1' }), { known: undefined, verify }), MemberDrop.badPeerId)
    assert.equal(checkMember(signedBy(alice, frame(alice, { host: 'not-a-peer' })), { known: undefined, verify }), MemberDrop.badPeerId)
  })

  it('trust - a leaf speaks only of itself, and for no client', () => {
    const own = signedBy(alice, frame(alice, { mode: 'leaf' }))
    assert.equal(checkMember(own, { known: undefined, leaf: alice.peerId, verify }), undefined)
    assert.equal(checkMember(signedBy(bob, frame(bob)), { known: undefined, leaf: alice.peerId, verify }), MemberDrop.leafOther)
    assert.equal(checkMember(frame(bob, { state: 'suspect' }), { known: known(signedBy(bob, frame(bob))), leaf: alice.peerId, verify }), MemberDrop.leafOther)
    assert.equal(checkMember(signedBy(alice, frame(alice, { host: alice.peerId })), { known: undefined, leaf: alice.peerId, verify }), MemberDrop.leafOther)
  })

  it('trust - nextInc never leaves the safe integers', () => {
    assert.equal(nextInc(5), 6)
    assert.equal(nextInc(Number.MAX_SAFE_INTEGER - 1), Number.MAX_SAFE_INTEGER)
    assert.equal(nextInc(Number.MAX_SAFE_INTEGER), undefined)
  })
})
