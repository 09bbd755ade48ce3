import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { authProof, AuthRole, generateToken, newNonce, proofValid, tokensEqual } from '../../../src/protocol/auth.ts'
import type { AuthBinding } from '../../../src/protocol/auth.ts'

const TOKEN = 'letmein123'
const BINDING: AuthBinding = {
  dialerNonce: 'dialer-nonce-0123456789abcdef',
  listenerNonce: 'listener-nonce-0123456789abcdef',
  dialerPeerId: '12D3KooWDialerDialerDialerDialerDialerDialerDialer',
  listenerPeerId: '12D3KooWListenerListenerListenerListenerListenerLi'
}

describe('auth tokensEqual', () => {
  it('auth - tokensEqual accepts the same token', () => {
    assert.equal(tokensEqual(TOKEN, TOKEN), true)
    assert.equal(tokensEqual('', ''), true)
    assert.equal(tokensEqual('ünïcødé 🔑', 'ünïcødé 🔑'), true)
  })

  const different: Array<[string, string]> = [
    ['letmein123', 'letmein124'],
    ['letmein123', 'letmein12'],
    ['letmein123', 'letmein1234'],
    ['letmein123', 'LETMEIN123'],
    ['letmein123', ''],
    ['', 'letmein123'],
    ['letmein123', ' letmein123'],
    ['letmein123', 'letmein123\n'],
    ['a'.repeat(1000), 'a'.repeat(999)]
  ]
  for (const [a, b] of different) {
    it(`auth - tokensEqual rejects ${JSON.stringify(a.slice(0, 20))} vs ${JSON.stringify(b.slice(0, 20))}`, () => {
      assert.equal(tokensEqual(a, b), false)
      assert.equal(tokensEqual(b, a), false)
    })
  }

  it('auth - tokensEqual works for very different lengths without throwing', () => {
    assert.equal(tokensEqual('x', 'y'.repeat(100_000)), false)
  })
})

describe('auth proofs', () => {
  const base = authProof(TOKEN, AuthRole.dialer, BINDING)

  it('auth - a proof is deterministic for the same inputs', () => {
    assert.equal(authProof(TOKEN, AuthRole.dialer, { ...BINDING }), base)
  })

  it('auth - a proof is base64url and does not contain the token', () => {
    assert.match(base, /^[A-Za-z0-9_-]{43}$/)
    assert.ok(!base.includes(TOKEN))
  })

  it('auth - proofs differ by role', () => {
    assert.notEqual(authProof(TOKEN, AuthRole.listener, BINDING), base)
  })

  const fields: Array<keyof AuthBinding> = ['dialerNonce', 'listenerNonce', 'dialerPeerId', 'listenerPeerId']
  for (const field of fields) {
    it(`auth - proofs differ by ${field}`, () => {
      for (const role of [AuthRole.dialer, AuthRole.listener]) {
        const changed = { ...BINDING, [field]: BINDING[field] + 'x' }
        assert.notEqual(authProof(TOKEN, role, changed), authProof(TOKEN, role, BINDING), role)
      }
    })
  }

  it('auth - swapping the two nonces or the two peer ids changes the proof', () => {
    const nonces = { ...BINDING, dialerNonce: BINDING.listenerNonce, listenerNonce: BINDING.dialerNonce }
    const peers = { ...BINDING, dialerPeerId: BINDING.listenerPeerId, listenerPeerId: BINDING.dialerPeerId }
    assert.notEqual(authProof(TOKEN, AuthRole.dialer, nonces), base)
    assert.notEqual(authProof(TOKEN, AuthRole.dialer, peers), base)
  })

  it('auth - proofs differ by token', () => {
    assert.notEqual(authProof('letmein124', AuthRole.dialer, BINDING), base)
  })

  it('auth - proofValid accepts the right proof', () => {
    assert.equal(proofValid(TOKEN, AuthRole.dialer, BINDING, base), true)
    assert.equal(proofValid(TOKEN, AuthRole.listener, BINDING, authProof(TOKEN, AuthRole.listener, BINDING)), true)
  })

  it('auth - proofValid rejects the other role\'s proof (no reflection)', () => {
    assert.equal(proofValid(TOKEN, AuthRole.listener, BINDING, base), false)
    assert.equal(proofValid(TOKEN, AuthRole.dialer, BINDING, authProof(TOKEN, AuthRole.listener, BINDING)), false)
  })

  it('auth - proofValid rejects a proof made with another token', () => {
    assert.equal(proofValid(TOKEN, AuthRole.dialer, BINDING, authProof('wrong', AuthRole.dialer, BINDING)), false)
  })

  for (const field of fields) {
    it(`auth - proofValid rejects a proof bound to another ${field}`, () => {
      const other = { ...BINDING, [field]: BINDING[field] + 'x' }
      assert.equal(proofValid(TOKEN, AuthRole.dialer, other, base), false)
    })
  }

  it('auth - proofValid rejects tampered, truncated, empty and garbage proofs', () => {
    const flipped = (base[0] === 'A' ? 'B' : 'A') + base.slice(1)
    for (const bad of [flipped, base.slice(0, -1), base + 'A', '', TOKEN, 'not base64 !!!', base.toUpperCase()]) {
      if (bad === base) continue
      assert.equal(proofValid(TOKEN, AuthRole.dialer, BINDING, bad), false, JSON.stringify(bad))
    }
  })
})

describe('auth randomness', () => {
  it('auth - newNonce is 32 random bytes in base64url, fresh each call', () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce))
    assert.equal(nonces.size, 50)
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{43}$/)
  })

  it('auth - generateToken is 256 bits in base64url, fresh each call', () => {
    const a = generateToken()
    assert.match(a, /^[A-Za-z0-9_-]{43}$/)
    assert.notEqual(generateToken(), a)
  })
})
