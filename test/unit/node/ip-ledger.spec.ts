import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IpLedger, IpRefusal, ipKey } from '../../../src/node/ip-ledger.ts'
import type { IpLimits } from '../../../src/node/ip-ledger.ts'

const LIMITS: IpLimits = { maxConnectionsPerIp: 4, maxUnauthenticatedPerIp: 2, maxAuthFailuresPerIp: 3, failureWindowMs: 1_000, banMs: 5_000 }
const A = '10.0.0.1'
const B = '10.0.0.2'

describe('ip-ledger', () => {
  it('ip-ledger - unauthenticated connections are capped per address; another address is unaffected', () => {
    const l = new IpLedger(LIMITS)
    assert.equal(l.admit(A, 0), undefined)
    assert.equal(l.admit(A, 0), undefined)
    assert.equal(l.admit(A, 0), IpRefusal.perIpUnauthenticated)
    assert.equal(l.admit(B, 0), undefined)
    assert.deepEqual(l.usage(A), { open: 2, unauthenticated: 2 })
    assert.deepEqual(l.usage(B), { open: 1, unauthenticated: 1 })
    assert.equal(l.counters.refused.perIpUnauthenticated, 1)
  })

  it('ip-ledger - authenticated connections free their unauthenticated slot but still count against the per-address cap', () => {
    const l = new IpLedger(LIMITS)
    for (let i = 0; i < 4; i++) {
      assert.equal(l.admit(A, 0), undefined, `connection ${i}`)
      l.authenticated(A)
    }
    assert.deepEqual(l.usage(A), { open: 4, unauthenticated: 0 })
    assert.equal(l.admit(A, 0), IpRefusal.perIpConnections)
    l.release(A, true, 0)
    assert.equal(l.admit(A, 0), undefined)
    assert.equal(l.counters.refused.perIpConnections, 1)
  })

  it('ip-ledger - release undoes admit, and an address with nothing left is forgotten', () => {
    const l = new IpLedger(LIMITS)
    l.admit(A, 0)
    l.admit(A, 0)
    l.authenticated(A)
    l.release(A, true, 0)
    assert.deepEqual(l.usage(A), { open: 1, unauthenticated: 1 })
    l.release(A, false, 0)
    assert.deepEqual(l.usage(A), { open: 0, unauthenticated: 0 })
    assert.equal(l.totals(0).trackedIps, 0)
    l.release(A, false, 0) // a stray release never goes negative
    assert.deepEqual(l.totals(0), { open: 0, unauthenticated: 0, bannedIps: 0, trackedIps: 0 })
  })

  it('ip-ledger - failed authentications within the window start a ban; the banned address is refused until it ends', () => {
    const l = new IpLedger(LIMITS)
    assert.equal(l.authFailed(A, 0), false)
    assert.equal(l.authFailed(A, 100), false)
    assert.equal(l.authFailed(A, 200), true, 'the third failure within 1 s starts the ban')
    assert.equal(l.authFailed(A, 300), false, 'failures while banned do not start another ban')
    assert.equal(l.counters.ipBans, 1)
    assert.equal(l.counters.authFailures, 4)
    assert.equal(l.admit(A, 300), IpRefusal.ipBanned)
    assert.equal(l.admit(B, 300), undefined, 'other addresses still connect')
    assert.equal(l.banned(A, 5_199), true)
    assert.equal(l.totals(300).bannedIps, 1)
    assert.equal(l.admit(A, 5_200), undefined, 'the ban ends after banMs')
    assert.equal(l.counters.refused.ipBanned, 1)
  })

  it('ip-ledger - failures spread over more than one window never add up to a ban', () => {
    const l = new IpLedger(LIMITS)
    for (let t = 0; t < 10_000; t += 600) assert.equal(l.authFailed(A, t), false, `at ${t} ms`)
    assert.equal(l.counters.ipBans, 0)
  })

  it('ip-ledger - prune forgets addresses once their ban and failure window are over', () => {
    const l = new IpLedger(LIMITS)
    l.authFailed(B, 0)
    for (let i = 0; i < 3; i++) l.authFailed(A, 0)
    l.prune(500)
    assert.equal(l.totals(500).trackedIps, 2)
    l.prune(1_000)
    assert.equal(l.totals(1_000).trackedIps, 1, 'B: window over')
    l.prune(5_000)
    assert.equal(l.totals(5_000).trackedIps, 0, 'A: ban over')
  })

  it('ip-ledger - IPv4-mapped IPv6 counts as IPv4, and IPv6 is counted per /64', () => {
    assert.equal(ipKey('10.1.2.3'), '10.1.2.3')
    assert.equal(ipKey('::ffff:10.1.2.3'), '10.1.2.3')
    assert.equal(ipKey('2001:db8:0:1::7'), '2001:db8:0:1::/64')
    assert.equal(ipKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64')
    assert.equal(ipKey('::1'), '0:0:0:0::/64')
    assert.equal(ipKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
    const l = new IpLedger(LIMITS)
    l.admit('2001:db8:0:1::7', 0)
    l.admit('2001:db8:0:1:ffff::9', 0)
    assert.equal(l.admit('2001:db8:0:1::8', 0), IpRefusal.perIpUnauthenticated, 'one /64 is one address')
    assert.equal(l.admit('2001:db8:0:2::1', 0), undefined)
  })
})
