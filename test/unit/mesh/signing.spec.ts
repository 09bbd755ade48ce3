import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signedBytes, Signer, Verifier } from '../../../src/mesh/signing.ts'
import type { MsgFrame } from '../../../src/protocol/frames.ts'

const key = await generateKeyPair('Ed25519')
const origin = peerIdFromPrivateKey(key).toString()
const otherKey = await generateKeyPair('Ed25519')
const otherOrigin = peerIdFromPrivateKey(otherKey).toString()
const secpKey = await generateKeyPair('secp256k1')
const secpOrigin = peerIdFromPrivateKey(secpKey).toString()
/** A well-formed RSA peer id (a public IPFS bootstrap node); its public key is not inlined. */
const RSA_ORIGIN = 'QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN'

const signer = new Signer(key)

function frame (over: Partial<MsgFrame> = {}): MsgFrame {
  return { type: 'MSG', text: 'hello mesh', id: 'msg-0001', origin, from: 'alice', ts: 1700000000000, hops: 0, ...over }
}

function signed (over: Partial<MsgFrame> = {}): MsgFrame {
  const f = frame(over)
  return { ...f, sig: signer.sign(f) }
}

describe('signing', () => {
  it('signing - a signed frame verifies', () => {
    assert.equal(new Verifier().verify(signed()), true)
  })

  it('signing - a signed direct message (with to) verifies', () => {
    assert.equal(new Verifier().verify(signed({ to: otherOrigin })), true)
  })

  it('signing - the signature is base64url of 64 bytes and deterministic', () => {
    const a = signer.sign(frame())
    assert.match(a, /^[A-Za-z0-9_-]{86}$/)
    assert.equal(Buffer.from(a, 'base64url').length, 64)
    assert.equal(signer.sign(frame()), a)
  })

  it('signing - the signature is a plain Ed25519 signature libp2p\'s own key verifies', async () => {
    const f = signed()
    assert.equal(await key.publicKey.verify(signedBytes(f), Buffer.from(f.sig as string, 'base64url')), true)
  })

  it('signing - signedBytes ignores hops and sig', () => {
    const base = frame()
    assert.deepEqual(signedBytes({ ...base, hops: 9, sig: 'x' }), signedBytes(base))
  })

  const alterations: Array<{ what: string, change: (f: MsgFrame) => MsgFrame }> = [
    { what: 'text', change: f => ({ ...f, text: f.text + '!' }) },
    { what: 'text (emptied)', change: f => ({ ...f, text: '' }) },
    { what: 'from', change: f => ({ ...f, from: 'mallory' }) },
    { what: 'from (removed)', change: f => { const { from: _from, ...rest } = f; return rest } },
    { what: 'ts', change: f => ({ ...f, ts: (f.ts as number) + 1 }) },
    { what: 'ts (removed)', change: f => { const { ts: _ts, ...rest } = f; return rest } },
    { what: 'to (added)', change: f => ({ ...f, to: otherOrigin }) },
    { what: 'id', change: f => ({ ...f, id: 'msg-0002' }) },
    { what: 'id (removed)', change: f => { const { id: _id, ...rest } = f; return rest } },
    { what: 'origin (another Ed25519 peer)', change: f => ({ ...f, origin: otherOrigin }) }
  ]
  for (const { what, change } of alterations) {
    it(`signing - altering ${what} breaks verification`, () => {
      assert.equal(new Verifier().verify(change(signed())), false)
    })
  }

  it('signing - a good signature remembered process-wide still binds its bytes and signer', () => {
    const f = signed({ text: 'remembered' })
    assert.equal(new Verifier().verify(f), true)
    assert.equal(new Verifier().verify(f), true, 'a second verifier (another node in this process) agrees')
    assert.equal(new Verifier().verify({ ...f, text: 'remembered!' }), false, 'same signature, other bytes')
    assert.equal(new Verifier().verifyBy(f, otherOrigin), false, 'same signature and bytes, another signer')
  })

  it('signing - altering to of a direct message breaks verification', () => {
    const f = signed({ to: otherOrigin })
    const v = new Verifier()
    assert.equal(v.verify({ ...f, to: origin }), false)
    const { to: _to, ...broadcast } = f
    assert.equal(v.verify(broadcast), false)
  })

  it('signing - adding an empty to to a broadcast breaks verification', () => {
    // A broadcast (no `to`) and a frame with `to: ""` are different messages to the mesh.
    assert.equal(new Verifier().verify({ ...signed(), to: '' }), false)
  })

  it('signing - moving characters between fields breaks verification', () => {
    const f = signed({ from: 'alice', text: 'bob' })
    assert.equal(new Verifier().verify({ ...f, from: 'alicebob', text: '' }), false)
    assert.equal(new Verifier().verify({ ...f, from: 'ali', text: 'cebob' }), false)
  })

  it('signing - changing hops keeps the signature valid', () => {
    const f = signed()
    const v = new Verifier()
    for (const hops of [1, 5, 16, 1000]) assert.equal(v.verify({ ...f, hops }), true, String(hops))
    const { hops: _hops, ...noHops } = f
    assert.equal(v.verify(noHops), true)
  })

  it('signing - a signature by another key fails', () => {
    const f = frame()
    const forged = { ...f, sig: new Signer(otherKey).sign(f) }
    assert.equal(new Verifier().verify(forged), false)
  })

  it('signing - a signature for another frame fails', () => {
    const sig = signer.sign(frame({ text: 'something else' }))
    assert.equal(new Verifier().verify({ ...frame(), sig }), false)
  })

  it('signing - a missing sig or origin fails', () => {
    const { sig: _sig, ...unsigned } = signed()
    assert.equal(new Verifier().verify(unsigned), false)
    const { origin: _origin, ...noOrigin } = signed()
    assert.equal(new Verifier().verify(noOrigin), false)
  })

  const garbageSigs = ['', 'garbage', '!!!not base64!!!', 'A', 'AAAA', 'A'.repeat(86), 'A'.repeat(200), '\u0000\uffff', 'ü'.repeat(90)]
  for (const sig of garbageSigs) {
    it(`signing - garbage sig ${JSON.stringify(sig.slice(0, 12))}${sig.length > 12 ? '…' : ''} (${sig.length} chars) returns false without throwing`, () => {
      assert.equal(new Verifier().verify({ ...frame(), sig }), false)
    })
  }

  it('signing - a truncated or extended real signature fails', () => {
    const f = signed()
    const raw = Buffer.from(f.sig as string, 'base64url')
    const v = new Verifier()
    assert.equal(v.verify({ ...f, sig: raw.subarray(0, 63).toString('base64url') }), false)
    assert.equal(v.verify({ ...f, sig: Buffer.concat([raw, Buffer.of(0)]).toString('base64url') }), false)
    const flipped = Buffer.from(raw)
    flipped[0] = (flipped[0] as number) ^ 1
    assert.equal(v.verify({ ...f, sig: flipped.toString('base64url') }), false)
  })

  const badOrigins: Array<{ what: string, origin: string }> = [
    { what: 'a secp256k1 peer id', origin: secpOrigin },
    { what: 'an RSA peer id', origin: RSA_ORIGIN },
    { what: 'an empty string', origin: '' },
    { what: 'garbage', origin: 'not-a-peer-id' },
    { what: 'a truncated peer id', origin: origin.slice(0, 20) },
    { what: 'a peer id with a changed character', origin: origin.slice(0, -1) + (origin.endsWith('a') ? 'b' : 'a') },
    { what: 'a multiaddr', origin: `/ip4/127.0.0.1/tcp/9000/p2p/${origin}` }
  ]
  for (const { what, origin: bad } of badOrigins) {
    it(`signing - origin that is ${what} returns false without throwing`, () => {
      const f = frame({ origin: bad })
      const v = new Verifier()
      assert.equal(v.verify({ ...f, sig: signer.sign(f) }), false)
      // Asked again, the cached answer is the same.
      assert.equal(v.verify({ ...f, sig: signer.sign(f) }), false)
    })
  }

  it('signing - a secp256k1 key signing with its own key still fails (only Ed25519 is supported)', async () => {
    const f = frame({ origin: secpOrigin })
    const sig = Buffer.from(await secpKey.sign(signedBytes(f))).toString('base64url')
    assert.equal(new Verifier().verify({ ...f, sig }), false)
  })

  it('signing - one verifier handles many origins (the key cache keys by origin)', () => {
    const v = new Verifier()
    const theirs = frame({ origin: otherOrigin })
    const theirsSigned = { ...theirs, sig: new Signer(otherKey).sign(theirs) }
    assert.equal(v.verify(signed()), true)
    assert.equal(v.verify(theirsSigned), true)
    assert.equal(v.verify({ ...theirsSigned, origin }), false)
    assert.equal(v.verify(signed()), true)
  })

  it('signing - a Signer refuses a non-Ed25519 key', () => {
    assert.throws(() => new Signer(secpKey), /Ed25519/)
  })
})
