import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPresent, newer, Roster, syncFrames, toFrame } from '../../../src/mesh/roster.ts'
import type { Member } from '../../../src/mesh/roster.ts'
import type { MemberFrame, MemberState } from '../../../src/protocol/frames.ts'

const P1 = '12D3KooWPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const P2 = '12D3KooWPeerBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
const P3 = '12D3KooWPeerCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'

function member (peerId: string, state: MemberState, inc: number, seq = 0, over: Partial<MemberFrame> = {}): MemberFrame {
  return { type: 'MEMBER', peerId, name: 'alice', state, inc, seq, addrs: ['/ip4/10.0.0.1/tcp/9000'], hops: 0, ...over }
}

/** The fields every node must agree on (not the local clocks `since`/`heardAt`). */
function gossiped (m: Member | undefined): MemberFrame | undefined {
  return m === undefined ? undefined : toFrame(m)
}

function permutations<T> (items: T[]): T[][] {
  if (items.length <= 1) return [items.slice()]
  const out: T[][] = []
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest])
  })
  return out
}

describe('roster ordering', () => {
  const newerCases: Array<[{ inc: number, state: MemberState }, { inc: number, state: MemberState }, boolean]> = [
    [{ inc: 2, state: 'alive' }, { inc: 1, state: 'left' }, true],
    [{ inc: 1, state: 'left' }, { inc: 2, state: 'alive' }, false],
    [{ inc: 1, state: 'suspect' }, { inc: 1, state: 'alive' }, true],
    [{ inc: 1, state: 'failed' }, { inc: 1, state: 'suspect' }, true],
    [{ inc: 1, state: 'left' }, { inc: 1, state: 'failed' }, true],
    [{ inc: 1, state: 'left' }, { inc: 1, state: 'alive' }, true],
    [{ inc: 1, state: 'alive' }, { inc: 1, state: 'suspect' }, false],
    [{ inc: 1, state: 'suspect' }, { inc: 1, state: 'failed' }, false],
    [{ inc: 1, state: 'failed' }, { inc: 1, state: 'left' }, false],
    [{ inc: 1, state: 'alive' }, { inc: 1, state: 'alive' }, false],
    [{ inc: 1, state: 'left' }, { inc: 1, state: 'left' }, false]
  ]
  for (const [a, b, expected] of newerCases) {
    it(`roster - newer(${a.inc}/${a.state}, ${b.inc}/${b.state}) is ${expected}`, () => {
      assert.equal(newer(a, b), expected)
    })
  }

  it('roster - isPresent is true for alive and suspect only', () => {
    assert.equal(isPresent('alive'), true)
    assert.equal(isPresent('suspect'), true)
    assert.equal(isPresent('failed'), false)
    assert.equal(isPresent('left'), false)
    assert.equal(isPresent(undefined), false)
  })

  it('roster - a first sighting is a state change without previous', () => {
    const r = new Roster()
    const applied = r.apply(member(P1, 'alive', 1, 0, { mode: 'peer' }), 100)
    assert.equal(applied.kind, 'state')
    assert.ok(applied.kind === 'state')
    assert.equal(applied.previous, undefined)
    assert.ok(!('previous' in applied))
    assert.deepEqual(applied.member, { peerId: P1, name: 'alice', state: 'alive', inc: 1, seq: 0, addrs: ['/ip4/10.0.0.1/tcp/9000'], mode: 'peer', since: 100, heardAt: 100 })
    assert.equal(r.size, 1)
    assert.equal(r.get(P1), applied.member)
  })

  it('roster - a higher incarnation wins over any state', () => {
    for (const state of ['alive', 'suspect', 'failed', 'left'] as const) {
      const r = new Roster()
      r.apply(member(P1, state, 1), 0)
      const applied = r.apply(member(P1, 'alive', 2), 10)
      assert.equal(applied.kind, 'state', state)
      assert.ok(applied.kind === 'state')
      assert.equal(applied.previous, state)
      assert.equal(r.get(P1)?.inc, 2)
      assert.equal(r.get(P1)?.state, 'alive')
    }
  })

  it('roster - a lower incarnation is stale, whatever its state', () => {
    for (const state of ['alive', 'suspect', 'failed', 'left'] as const) {
      const r = new Roster()
      r.apply(member(P1, 'alive', 5, 0), 0)
      assert.equal(r.apply(member(P1, state, 4, 99), 10).kind, 'stale', state)
      assert.deepEqual(gossiped(r.get(P1)), member(P1, 'alive', 5, 0))
    }
  })

  it('roster - at the same incarnation alive < suspect < failed < left', () => {
    const order: MemberState[] = ['alive', 'suspect', 'failed', 'left']
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j < order.length; j++) {
        if (i === j) continue
        const r = new Roster()
        r.apply(member(P1, order[i] as MemberState, 3), 0)
        const applied = r.apply(member(P1, order[j] as MemberState, 3), 10)
        assert.equal(applied.kind, j > i ? 'state' : 'stale', `${order[i]} then ${order[j]}`)
        assert.equal(r.get(P1)?.state, order[Math.max(i, j)])
      }
    }
  })

  it('roster - alive at the same incarnation with a higher seq is a refresh', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 1), 100)
    const applied = r.apply(member(P1, 'alive', 1, 2), 250)
    assert.equal(applied.kind, 'refresh')
    const m = r.get(P1)
    assert.equal(m?.seq, 2)
    assert.equal(m?.heardAt, 250)
    assert.equal(m?.since, 100)
  })

  it('roster - alive at the same incarnation with the same or a lower seq is stale', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 5), 100)
    assert.equal(r.apply(member(P1, 'alive', 1, 5), 200).kind, 'stale')
    assert.equal(r.apply(member(P1, 'alive', 1, 4), 200).kind, 'stale')
    assert.equal(r.get(P1)?.seq, 5)
    assert.equal(r.get(P1)?.heardAt, 100)
  })

  it('roster - an alive heartbeat cannot refute a suspicion at the same incarnation', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 1), 0)
    r.apply(member(P1, 'suspect', 1, 1), 10)
    assert.equal(r.apply(member(P1, 'alive', 1, 9), 20).kind, 'stale')
    assert.equal(r.get(P1)?.state, 'suspect')
    const refuted = r.apply(member(P1, 'alive', 2, 0), 30)
    assert.equal(refuted.kind, 'state')
    assert.ok(refuted.kind === 'state')
    assert.equal(refuted.previous, 'suspect')
  })

  it('roster - a repeated suspect or failed at the same incarnation is stale (seq does not matter)', () => {
    const r = new Roster()
    r.apply(member(P1, 'suspect', 1, 1), 0)
    assert.equal(r.apply(member(P1, 'suspect', 1, 7), 10).kind, 'stale')
    r.apply(member(P1, 'failed', 1, 1), 20)
    assert.equal(r.apply(member(P1, 'failed', 1, 7), 30).kind, 'stale')
  })

  it('roster - since is kept when the state stays the same across incarnations, reset when it changes', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 100)
    r.apply(member(P1, 'alive', 2), 200)
    assert.equal(r.get(P1)?.since, 100)
    assert.equal(r.get(P1)?.heardAt, 200)
    r.apply(member(P1, 'suspect', 2), 300)
    assert.equal(r.get(P1)?.since, 300)
  })

  it('roster - a state change takes the new frame\'s addrs, mode and host, and drops missing ones', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { mode: 'text', host: P2 }), 0)
    assert.equal(r.get(P1)?.host, P2)
    r.apply(member(P1, 'alive', 2, 0, { addrs: ['/ip4/10.0.0.2/tcp/1'] }), 10)
    const m = r.get(P1)
    assert.deepEqual(m?.addrs, ['/ip4/10.0.0.2/tcp/1'])
    assert.equal(m?.mode, undefined)
    assert.equal(m?.host, undefined)
  })

  it('roster - applying the same frame twice is idempotent', () => {
    const r = new Roster()
    const f = member(P1, 'alive', 1, 3)
    r.apply(f, 0)
    assert.equal(r.apply(f, 10).kind, 'stale')
    assert.deepEqual(gossiped(r.get(P1)), f)
  })
})

describe('roster convergence', () => {
  /** Applies every permutation of `updates` to a fresh roster; returns the distinct final states. */
  function finals (updates: MemberFrame[]): Map<string, number> {
    const seen = new Map<string, number>()
    for (const order of permutations(updates)) {
      const r = new Roster()
      for (const f of order) r.apply(f, 1000)
      const key = JSON.stringify(gossiped(r.get(P1)))
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    return seen
  }

  it('roster - five updates for one member give the same final state in all 120 orders', () => {
    const updates = [
      member(P1, 'alive', 1, 1),
      member(P1, 'alive', 1, 4),
      member(P1, 'suspect', 1, 4),
      member(P1, 'alive', 2, 0),
      member(P1, 'alive', 2, 3)
    ]
    const result = finals(updates)
    assert.equal([...result.values()].reduce((a, b) => a + b), 120)
    assert.deepEqual([...result.keys()], [JSON.stringify(member(P1, 'alive', 2, 3))])
  })

  it('roster - five updates ending in a departure converge in all 120 orders', () => {
    const updates = [
      member(P1, 'alive', 1, 2),
      member(P1, 'suspect', 1, 2),
      member(P1, 'failed', 1, 2),
      member(P1, 'alive', 2, 0),
      member(P1, 'left', 2, 0, { reason: 'exit' })
    ]
    const result = finals(updates)
    assert.deepEqual([...result.keys()], [JSON.stringify(member(P1, 'left', 2, 0))])
  })

  it('roster - every permutation also reports exactly one first sighting and never goes backwards', () => {
    const updates = [
      member(P1, 'alive', 1, 1),
      member(P1, 'alive', 1, 2),
      member(P1, 'suspect', 1, 2),
      member(P1, 'failed', 1, 2),
      member(P1, 'alive', 3, 0)
    ]
    for (const order of permutations(updates)) {
      const r = new Roster()
      let firsts = 0
      let prev: MemberFrame | undefined
      for (const f of order) {
        const a = r.apply(f, 0)
        if (a.kind === 'state' && a.previous === undefined) firsts++
        const now = gossiped(r.get(P1)) as MemberFrame
        if (prev !== undefined) assert.ok(!newer(prev, now), `went back from ${JSON.stringify(prev)} to ${JSON.stringify(now)}`)
        prev = now
      }
      assert.equal(firsts, 1)
    }
  })

  it('roster - heartbeats that carry new addrs converge on the freshest addrs in all 120 orders', () => {
    // The same incarnation announces new listen addresses from seq 3 on (e.g. a port became known):
    // the freshest heartbeat's addrs must win, whatever order the gossip arrives in.
    const fresh = ['/ip4/10.0.0.1/tcp/9000', '/ip4/192.168.1.5/tcp/9000']
    const updates = [
      member(P1, 'alive', 1, 1, { addrs: [] }),
      member(P1, 'alive', 1, 2, { addrs: [] }),
      member(P1, 'alive', 1, 3, { addrs: fresh }),
      member(P1, 'alive', 1, 4, { addrs: fresh }),
      member(P1, 'alive', 1, 5, { addrs: fresh })
    ]
    const result = finals(updates)
    assert.deepEqual([...result.keys()], [JSON.stringify(member(P1, 'alive', 1, 5, { addrs: fresh }))])
  })

  it('roster - two members with independent updates converge in every order', () => {
    const updates = [
      member(P1, 'alive', 1, 0, { name: 'alice' }),
      member(P1, 'suspect', 1, 0, { name: 'alice' }),
      member(P2, 'alive', 1, 0, { name: 'bob' }),
      member(P2, 'left', 1, 0, { name: 'bob' }),
      member(P1, 'alive', 2, 0, { name: 'alice' })
    ]
    const states = new Set<string>()
    for (const order of permutations(updates)) {
      const r = new Roster()
      for (const f of order) r.apply(f, 0)
      states.add(JSON.stringify([gossiped(r.get(P1)), gossiped(r.get(P2)), r.byName('alice')?.peerId]))
    }
    assert.equal(states.size, 1)
  })
})

describe('roster names', () => {
  it('roster - byName finds a present member', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    assert.equal(r.byName('alice')?.peerId, P1)
    assert.equal(r.byName('bob'), undefined)
  })

  it('roster - the present holder keeps a contested name', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 5), 0)
    const applied = r.apply(member(P2, 'alive', 7), 10)
    assert.equal(applied.kind, 'conflict')
    assert.ok(applied.kind === 'conflict')
    assert.equal(applied.holder.peerId, P1)
    assert.equal(r.get(P2), undefined)
    assert.equal(r.byName('alice')?.peerId, P1)
  })

  it('roster - a challenger cannot take a present holder\'s name with an earlier incarnation (it picks its own)', () => {
    const r = new Roster()
    r.apply(member(P2, 'alive', 7), 0)
    assert.equal(r.apply(member(P1, 'alive', 0), 10).kind, 'conflict')
    assert.equal(r.apply(member(P1, 'alive', 7), 10).kind, 'conflict', 'nor with the same one and a lower peer id')
    assert.equal(r.byName('alice')?.peerId, P2)
  })

  it('roster - the first claim to arrive keeps the name, in every order', () => {
    for (const order of permutations([member(P2, 'alive', 7), member(P1, 'alive', 5), member(P3, 'alive', 6)])) {
      const r = new Roster()
      for (const f of order) r.apply(f, 0)
      assert.equal(r.byName('alice')?.peerId, order[0]?.peerId, order.map(f => f.inc).join(','))
    }
  })

  it('roster - a report about a known member changes its state, never its name, addrs, mode or host', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 5, 0, { name: 'alice', mode: 'peer' }), 0)
    r.apply(member(P2, 'alive', 5, 0, { name: 'bob' }), 0)
    const applied = r.apply(member(P2, 'suspect', 5, 0, { name: 'alice', addrs: ['/ip4/6.6.6.6/tcp/1'], mode: 'hub', host: P3 }), 10)
    assert.equal(applied.kind, 'state')
    assert.deepEqual(gossiped(r.get(P2)), member(P2, 'suspect', 5, 0, { name: 'bob' }))
    assert.equal(r.byName('alice')?.peerId, P1)
  })

  it('roster - a signed claim is kept and goes out again as said; a suspicion after it goes with it', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 5, 3, { sig: 'SIG5' }), 0)
    assert.equal(gossiped(r.get(P1))?.sig, 'SIG5', 'the claim keeps its signature')
    assert.deepEqual(syncFrames(r.get(P1) as Member), [member(P1, 'alive', 5, 3, { sig: 'SIG5' })])
    r.apply(member(P1, 'suspect', 6, 3), 10)
    const [claim, report] = syncFrames(r.get(P1) as Member)
    assert.deepEqual(claim, member(P1, 'alive', 5, 3, { sig: 'SIG5' }))
    assert.deepEqual(report, member(P1, 'suspect', 6, 3))
    // Gone without its own signed left (failed, or an EXIT seen here): the failure report alone.
    r.apply(member(P1, 'failed', 6, 3), 20)
    assert.deepEqual(syncFrames(r.get(P1) as Member), [member(P1, 'failed', 6, 3)])
    assert.equal(r.get(P1)?.claim?.sig, 'SIG5')
    // Its own signed left goes as said.
    r.apply(member(P1, 'left', 7, 0, { reason: 'exit', sig: 'SIG7' }), 30)
    assert.deepEqual(syncFrames(r.get(P1) as Member), [member(P1, 'left', 7, 0, { reason: 'exit', sig: 'SIG7' })])
  })

  it('roster - the same peer id coming back with a new incarnation is not a conflict', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 5), 0)
    assert.equal(r.apply(member(P1, 'alive', 9), 10).kind, 'state')
    r.apply(member(P1, 'left', 9), 20)
    assert.equal(r.apply(member(P1, 'alive', 10), 30).kind, 'state')
    assert.equal(r.byName('alice')?.peerId, P1)
    assert.equal(r.nameAvailable('alice', P1), true)
  })

  for (const state of ['failed', 'left'] as const) {
    it(`roster - a ${state} holder frees the name`, () => {
      const r = new Roster()
      r.apply(member(P1, 'alive', 1), 0)
      r.apply(member(P1, state, 1), 10)
      assert.equal(r.nameAvailable('alice', P2), true)
      assert.equal(r.apply(member(P2, 'alive', 9), 20).kind, 'state')
      assert.equal(r.byName('alice')?.peerId, P2)
    })
  }

  it('roster - a suspect holder still holds the name', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.apply(member(P1, 'suspect', 1), 10)
    assert.equal(r.nameAvailable('alice', P2), false)
    assert.equal(r.apply(member(P2, 'alive', 9), 20).kind, 'conflict')
  })

  it('roster - a departing challenger is no conflict and does not take the name', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    assert.equal(r.apply(member(P2, 'left', 9), 10).kind, 'state')
    assert.equal(r.byName('alice')?.peerId, P1)
  })

  it('roster - nameAvailable: free, held by the same peer, held by another present peer', () => {
    const r = new Roster()
    assert.equal(r.nameAvailable('alice', P1), true)
    r.apply(member(P1, 'alive', 1), 0)
    assert.equal(r.nameAvailable('alice', P1), true)
    assert.equal(r.nameAvailable('alice', P2), false)
    assert.equal(r.nameAvailable('bob', P2), true)
  })

  it('roster - renaming frees the old name', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'alice' }), 0)
    r.apply(member(P1, 'alive', 2, 0, { name: 'alicia' }), 10)
    assert.equal(r.byName('alice'), undefined)
    assert.equal(r.byName('alicia')?.peerId, P1)
  })

  it('roster - a failed holder is still found by name until the name is taken', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.apply(member(P1, 'failed', 1), 10)
    assert.equal(r.byName('alice')?.state, 'failed')
    r.apply(member(P2, 'alive', 5), 20)
    assert.equal(r.byName('alice')?.peerId, P2)
    // The old holder's later updates do not steal the name back while it is gone.
    r.apply(member(P1, 'left', 1), 30)
    assert.equal(r.byName('alice')?.peerId, P2)
  })

  it('roster - present() and all() list members by state', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'suspect', 1, 0, { name: 'b' }), 0)
    r.apply(member(P3, 'left', 1, 0, { name: 'c' }), 0)
    assert.deepEqual(r.all().map(m => m.peerId).sort(), [P1, P2, P3].sort())
    assert.deepEqual(r.present().map(m => m.peerId).sort(), [P1, P2].sort())
  })
})

describe('roster failure detection', () => {
  const SUSPECT_AFTER = 2500
  const FAIL_AFTER = 1500
  const all = (): boolean => true

  it('roster - an alive member turns suspect only after suspectAfterMs of silence', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 3, 7, { mode: 'peer' }), 1000)
    assert.deepEqual(r.expire(1000 + SUSPECT_AFTER, SUSPECT_AFTER, FAIL_AFTER, all), [])
    assert.deepEqual(r.expire(1000 + SUSPECT_AFTER + 1, SUSPECT_AFTER, FAIL_AFTER, all), [member(P1, 'suspect', 3, 7, { mode: 'peer' })])
  })

  it('roster - expire only returns frames; the roster changes when they are applied', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.expire(10_000, SUSPECT_AFTER, FAIL_AFTER, all)
    assert.equal(r.get(P1)?.state, 'alive')
  })

  it('roster - a heartbeat refresh postpones suspicion', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0), 0)
    r.apply(member(P1, 'alive', 1, 1), 2000)
    assert.deepEqual(r.expire(4000, SUSPECT_AFTER, FAIL_AFTER, all), [])
    assert.equal(r.expire(4501, SUSPECT_AFTER, FAIL_AFTER, all).length, 1)
  })

  it('roster - a suspect turns failed failAfterMs after it became suspect', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 2), 0)
    const [suspect] = r.expire(3000, SUSPECT_AFTER, FAIL_AFTER, all)
    assert.ok(suspect !== undefined)
    r.apply(suspect, 3000)
    assert.equal(r.get(P1)?.state, 'suspect')
    assert.deepEqual(r.expire(3000 + FAIL_AFTER, SUSPECT_AFTER, FAIL_AFTER, all), [])
    const [failed] = r.expire(3000 + FAIL_AFTER + 1, SUSPECT_AFTER, FAIL_AFTER, all)
    assert.deepEqual(failed, member(P1, 'failed', 1, 2))
    r.apply(failed as MemberFrame, 4600)
    assert.equal(r.get(P1)?.state, 'failed')
  })

  it('roster - a suspicion heard from others is timed from when it arrived here', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.apply(member(P1, 'suspect', 1), 5000)
    assert.deepEqual(r.expire(6000, SUSPECT_AFTER, FAIL_AFTER, all), [])
    assert.equal(r.expire(6501, SUSPECT_AFTER, FAIL_AFTER, all)[0]?.state, 'failed')
  })

  it('roster - failUnrefuted fails overdue suspects and never suspects anyone', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'suspect', 1, 0, { name: 'b' }), 1000)
    assert.deepEqual(r.failUnrefuted(1000 + FAIL_AFTER, FAIL_AFTER, all), [])
    assert.deepEqual(r.failUnrefuted(1_000_000, FAIL_AFTER, all).map(f => [f.peerId, f.state]), [[P2, 'failed']])
    assert.deepEqual(r.failUnrefuted(1_000_000, FAIL_AFTER, () => false), [])
  })

  it('roster - nextFailureAt is the earliest watched suspect\'s deadline not before now', () => {
    const r = new Roster()
    assert.equal(r.nextFailureAt(0, FAIL_AFTER, all), undefined)
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    assert.equal(r.nextFailureAt(0, FAIL_AFTER, all), undefined, 'alive members have no deadline')
    r.apply(member(P2, 'suspect', 1, 0, { name: 'b' }), 2000)
    r.apply(member(P3, 'suspect', 1, 0, { name: 'c' }), 1000)
    assert.equal(r.nextFailureAt(1000, FAIL_AFTER, all), 1000 + FAIL_AFTER)
    assert.equal(r.nextFailureAt(1000, FAIL_AFTER, m => m.peerId !== P3), 2000 + FAIL_AFTER, 'unwatched suspects do not count')
    assert.equal(r.nextFailureAt(1000 + FAIL_AFTER + 1, FAIL_AFTER, all), 2000 + FAIL_AFTER, 'an overdue suspect is the tick\'s to handle')
    assert.equal(r.nextFailureAt(2000 + FAIL_AFTER + 1, FAIL_AFTER, all), undefined)
  })

  it('roster - failed and left members produce no frames', () => {
    const r = new Roster()
    r.apply(member(P1, 'failed', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'left', 1, 0, { name: 'b' }), 0)
    assert.deepEqual(r.expire(1_000_000, SUSPECT_AFTER, FAIL_AFTER, all), [])
  })

  it('roster - the watched predicate decides who is checked', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'alive', 1, 0, { name: 'b', host: P3 }), 0)
    r.apply(member(P3, 'suspect', 1, 0, { name: 'c' }), 0)
    const asked: string[] = []
    const frames = r.expire(10_000, SUSPECT_AFTER, FAIL_AFTER, m => { asked.push(m.peerId); return m.host === undefined && m.peerId !== P3 })
    assert.deepEqual(asked.sort(), [P1, P2, P3].sort())
    assert.deepEqual(frames.map(f => [f.peerId, f.state]), [[P1, 'suspect']])
    assert.deepEqual(r.expire(10_000, SUSPECT_AFTER, FAIL_AFTER, () => false), [])
  })

  it('roster - a hosted member\'s frame keeps its host', () => {
    const r = new Roster()
    r.apply(member(P2, 'alive', 1, 0, { host: P3, mode: 'text', addrs: [] }), 0)
    assert.deepEqual(r.expire(10_000, SUSPECT_AFTER, FAIL_AFTER, all), [member(P2, 'suspect', 1, 0, { host: P3, mode: 'text', addrs: [] })])
  })
})

describe('roster reap', () => {
  it('roster - reap forgets failed and left members after afterMs', () => {
    const r = new Roster()
    r.apply(member(P1, 'failed', 1, 0, { name: 'a' }), 1000)
    r.apply(member(P2, 'left', 1, 0, { name: 'b' }), 2000)
    r.reap(1000 + 5000, 5000)
    assert.equal(r.size, 2)
    r.reap(1000 + 5001, 5000)
    assert.equal(r.get(P1), undefined)
    assert.ok(r.get(P2) !== undefined)
    r.reap(2000 + 5001, 5000)
    assert.equal(r.size, 0)
  })

  it('roster - reap frees the name of a forgotten member', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.apply(member(P1, 'left', 1), 10)
    r.reap(100, 50)
    assert.equal(r.byName('alice'), undefined)
  })

  it('roster - reap never forgets alive or suspect members', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'suspect', 1, 0, { name: 'b' }), 0)
    r.reap(1e12, 0)
    assert.equal(r.size, 2)
  })

  it('roster - reaping an old holder keeps the name of its successor', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    r.apply(member(P1, 'failed', 1), 10)
    r.apply(member(P2, 'alive', 5), 20)
    r.reap(1000, 100)
    assert.equal(r.get(P1), undefined)
    assert.equal(r.byName('alice')?.peerId, P2)
  })
})

describe('roster toFrame', () => {
  it('roster - toFrame copies the gossiped fields and sets hops', () => {
    const r = new Roster()
    const f = member(P1, 'alive', 4, 9, { mode: 'hub', host: P2 })
    r.apply(f, 0)
    const m = r.get(P1) as Member
    assert.deepEqual(toFrame(m), f)
    assert.deepEqual(toFrame(m, 'failed', 3), { ...f, state: 'failed', hops: 3 })
  })

  it('roster - toFrame leaves out mode and host when the member has none', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1), 0)
    const frame = toFrame(r.get(P1) as Member)
    assert.ok(!('mode' in frame))
    assert.ok(!('host' in frame))
    assert.ok(!('reason' in frame))
  })
})

describe('roster heartbeats', () => {
  it('roster - beat refreshes a known alive member with the same inc and a higher seq', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 4, 2, { mode: 'peer' }), 100)
    const m = r.beat(P1, 4, 3, 250)
    assert.equal(m, r.get(P1), 'returns the stored member')
    assert.equal(m?.seq, 3)
    assert.equal(m?.heardAt, 250)
    assert.equal(m?.since, 100, 'a refresh is no state change')
    assert.deepEqual(gossiped(m), member(P1, 'alive', 4, 3, { mode: 'peer' }), 'name, addrs and mode are kept')
    assert.equal(r.beat(P1, 4, 10, 300)?.seq, 10, 'seq may jump')
  })

  it('roster - beat postpones suspicion like a MEMBER refresh', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0), 0)
    r.beat(P1, 1, 1, 2000)
    assert.deepEqual(r.expire(4000, 2500, 1500, () => true), [])
    assert.equal(r.expire(4501, 2500, 1500, () => true).length, 1)
  })

  it('roster - beat ignores an unknown member and does not add it', () => {
    const r = new Roster()
    assert.equal(r.beat(P1, 1, 1, 10), undefined)
    assert.equal(r.size, 0)
    assert.equal(r.get(P1), undefined)
  })

  for (const state of ['suspect', 'failed', 'left'] as const) {
    it(`roster - beat ignores a ${state} member (state changes travel as MEMBER only)`, () => {
      const r = new Roster()
      r.apply(member(P1, state, 3, 2), 100)
      assert.equal(r.beat(P1, 3, 9, 200), undefined)
      const m = r.get(P1)
      assert.equal(m?.state, state)
      assert.equal(m?.seq, 2)
      assert.equal(m?.heardAt, 100)
    })
  }

  for (const inc of [2, 4]) {
    it(`roster - beat ignores another incarnation (${inc} for a member at 3)`, () => {
      const r = new Roster()
      r.apply(member(P1, 'alive', 3, 2), 100)
      assert.equal(r.beat(P1, inc, 9, 200), undefined)
      assert.deepEqual(gossiped(r.get(P1)), member(P1, 'alive', 3, 2))
      assert.equal(r.get(P1)?.heardAt, 100)
    })
  }

  for (const seq of [5, 4, 0]) {
    it(`roster - beat ignores seq ${seq} for a member at seq 5`, () => {
      const r = new Roster()
      r.apply(member(P1, 'alive', 3, 5), 100)
      assert.equal(r.beat(P1, 3, seq, 200), undefined)
      assert.equal(r.get(P1)?.seq, 5)
      assert.equal(r.get(P1)?.heardAt, 100)
    })
  }

  it('roster - beat touches only its member', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 0, { name: 'a' }), 0)
    r.apply(member(P2, 'alive', 1, 0, { name: 'b' }), 0)
    r.beat(P1, 1, 1, 50)
    assert.equal(r.get(P2)?.seq, 0)
    assert.equal(r.get(P2)?.heardAt, 0)
  })
})

describe('roster refresh changes', () => {
  const base = { mode: 'peer', addrs: ['/ip4/10.0.0.1/tcp/9000'] }

  /** Applies `base` at seq 1, then `over` at seq 2, and returns what the second did. */
  function refresh (over: Partial<MemberFrame>, first: Partial<MemberFrame> = base): ReturnType<Roster['apply']> & { r: Roster } {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 1, first), 0)
    return { ...r.apply(member(P1, 'alive', 1, 2, { ...base, ...over }), 10), r }
  }

  it('roster - a plain heartbeat (same addrs, mode and host) is a refresh that changed nothing', () => {
    const applied = refresh({})
    assert.equal(applied.kind, 'refresh')
    assert.ok(applied.kind === 'refresh')
    assert.equal(applied.changed, false)
    assert.equal(applied.r.get(P1)?.seq, 2)
  })

  it('roster - a heartbeat without mode or host keeps them and changed nothing', () => {
    const applied = refresh({ mode: undefined, host: undefined }, { ...base, host: P3 })
    assert.ok(applied.kind === 'refresh')
    assert.equal(applied.changed, false)
    assert.equal(applied.r.get(P1)?.mode, 'peer')
    assert.equal(applied.r.get(P1)?.host, P3)
  })

  const changes: Array<[string, Partial<MemberFrame>]> = [
    ['new addrs', { addrs: ['/ip4/10.0.0.2/tcp/9000'] }],
    ['one more addr', { addrs: ['/ip4/10.0.0.1/tcp/9000', '/ip4/10.0.0.2/tcp/9000'] }],
    ['no addrs any more', { addrs: [] }],
    ['another port', { addrs: ['/ip4/10.0.0.1/tcp/9001'] }],
    ['a new mode', { mode: 'hub' }],
    ['a new host', { host: P2 }]
  ]
  for (const [what, over] of changes) {
    it(`roster - a heartbeat with ${what} is a refresh that changed something, and is stored`, () => {
      const applied = refresh(over)
      assert.ok(applied.kind === 'refresh')
      assert.equal(applied.changed, true)
      const m = applied.r.get(P1)
      assert.deepEqual(m?.addrs, over.addrs ?? base.addrs)
      assert.equal(m?.mode, over.mode ?? base.mode)
      if (over.host !== undefined) assert.equal(m?.host, over.host)
    })
  }

  it('roster - reordered addrs count as a change', () => {
    const two = ['/ip4/10.0.0.1/tcp/9000', '/ip4/10.0.0.2/tcp/9000']
    const applied = refresh({ addrs: [...two].reverse() }, { ...base, addrs: two })
    assert.ok(applied.kind === 'refresh')
    assert.equal(applied.changed, true)
  })

  it('roster - a stale frame is not a refresh and reports no change', () => {
    const r = new Roster()
    r.apply(member(P1, 'alive', 1, 5, base), 0)
    assert.deepEqual(r.apply(member(P1, 'alive', 1, 5, { ...base, addrs: ['/ip4/10.0.0.9/tcp/1'] }), 10), { kind: 'stale' })
    assert.deepEqual(r.get(P1)?.addrs, base.addrs)
  })
})
