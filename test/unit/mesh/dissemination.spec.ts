/**
 * Membership news (src/mesh/dissemination.ts): a few neighbours at once, the rest riding on the
 * probes failure detection sends, each update at most λ·ceil(log10(N + 1)) times. Driven through
 * fake links that record what they were given, on a fixed clock.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultConfig } from '../../../src/config/defaults.ts'
import { MeshContext } from '../../../src/mesh/context.ts'
import { Dissemination, GOSSIP_FANOUT, GOSSIP_INTERVAL_MS, GOSSIP_QUEUE_MAX, PIGGYBACK_MAX, RETRANSMIT_MULT } from '../../../src/mesh/dissemination.ts'
import { VirtualClock } from '../../../sim/clock.ts'
import { FailureDetector } from '../../../src/mesh/failure-detector.ts'
import { Membership } from '../../../src/mesh/membership.ts'
import { decodeJsonFrame } from '../../../src/protocol/json-codec.ts'
import { mulberry32 } from '../../../bench/lib/random.ts'
import type { Env } from '../../../src/mesh/env.ts'
import type { Link } from '../../../src/mesh/link.ts'
import type { Frame, MemberFrame } from '../../../src/protocol/frames.ts'

const key = await generateKeyPair('Ed25519')
const self = peerIdFromPrivateKey(key).toString()

interface FakeLink extends Link { got: Frame[] }

function link (peer: string, mode = 'peer'): FakeLink {
  const got: Frame[] = []
  return {
    peer, name: peer, wire: 'json', mode, encryption: 'noise', got,
    send: (f) => { got.push(f instanceof Uint8Array ? decodeJsonFrame(f.subarray(1)) : f) },
    close: () => {},
    abort: () => {}
  }
}

function member (peerId: string, over: Partial<MemberFrame> = {}): MemberFrame {
  return { type: 'MEMBER', peerId, name: peerId, state: 'alive', inc: 1, seq: 0, addrs: [], mode: 'peer', hops: 0, ...over }
}

/** A context holding `others` present members (so N = others + 1) and the given links; timers never fire unless `env` says. */
function context (others: number, links: FakeLink[], env: Env = { now: () => 1_000, setTimeout: () => undefined, clearTimeout: () => {}, random: mulberry32(5) }): MeshContext {
  const ctx = new MeshContext({
    peerId: self, name: 'me', mode: 'peer', privateKey: key,
    behaviour: { relays: true, watchesLiveness: true, keepsDegree: false, dials: ['hub', 'peer'] },
    config: defaultConfig().mesh, maxFrameBytes: 1 << 20, addrs: () => [],
    emit: () => {}, dialMember: () => {}, pendingDials: () => 0, env
  }, env)
  for (let i = 0; i < others; i++) ctx.roster.apply(member(`m${i}`), 0)
  for (const l of links) {
    ctx.links.set(l.peer, l)
    ctx.roster.apply(member(l.peer), 0)
  }
  return ctx
}

const news = (l: FakeLink, peerId: string): number => l.got.filter(f => f.type === 'MEMBER' && f.peerId === peerId).length

describe('dissemination - membership news', () => {
  it('dissemination - an update goes to GOSSIP_FANOUT neighbours at once, then rides on probes until sent λ·ceil(log10(N + 1)) times', () => {
    const core = Array.from({ length: 20 }, (_, i) => link(`c${i}`))
    const leaves = [link('leaf0', 'leaf'), link('leaf1', 'leaf')]
    const ctx = context(78, [...core, ...leaves]) // N = 78 + 22 + 1 = 101
    const d = new Dissemination(ctx)
    const budget = RETRANSMIT_MULT * Math.ceil(Math.log10(101 + 1))
    assert.equal(d.budget(), budget)
    const source = core[0] as FakeLink
    d.publish(member('news', { state: 'suspect', inc: 2, by: 'c0' }), source)
    const sent = (): number => core.reduce((n, l) => n + news(l, 'news'), 0)
    assert.equal(sent(), GOSSIP_FANOUT, 'at once: the fan-out only')
    for (const l of leaves) assert.equal(news(l, 'news'), 1, 'leaves never pass news on: each gets it at once')
    for (let round = 0; round < 3; round++) for (const l of core) d.piggyback(l)
    assert.equal(sent(), budget, 'sent exactly the budget in all')
    assert.equal(d.size, 0, 'then it leaves the queue')
    assert.equal(news(source, 'news'), 0, 'never back to where it came from')
    for (const l of core) assert.ok(news(l, 'news') <= 1, `${l.peer} got it at most once (a session is reliable)`)
    assert.equal(ctx.stats.piggybacked, budget - GOSSIP_FANOUT)
    assert.equal(ctx.stats.gossiped, 1)
  })

  it('dissemination - an update every neighbour has (sent, or heard from it) leaves the queue before its budget', () => {
    const core = [link('a'), link('b'), link('c'), link('d'), link('e')]
    const ctx = context(500, core)
    const d = new Dissemination(ctx)
    const f = member('x', { state: 'failed' })
    d.publish(f, core[0])
    assert.equal(d.size, 1, 'one neighbour still lacks it')
    const lacking = core.filter(l => l !== core[0] && news(l, 'x') === 0)
    assert.equal(lacking.length, 4 - GOSSIP_FANOUT)
    d.heard(f, lacking[0] as FakeLink)
    assert.equal(d.size, 0, 'it came from the last one too: nobody needs it from us')
    for (const l of core) d.piggyback(l)
    assert.equal(core.reduce((n, l) => n + news(l, 'x'), 0), GOSSIP_FANOUT, 'nothing more sent')
  })

  it('dissemination - a neighbour greeted with our roster has every queued update: none is sent to it again', () => {
    const core = [link('a'), link('b'), link('c'), link('d'), link('e')]
    const ctx = context(500, core)
    const d = new Dissemination(ctx)
    d.publish(member('x', { state: 'failed' }), core[0])
    assert.equal(d.size, 1, 'one neighbour still lacks it')
    const newcomer = link('newcomer')
    ctx.links.set(newcomer.peer, newcomer)
    d.greeted(newcomer)
    assert.equal(d.size, 1, 'the neighbour that lacked it still does')
    for (const l of [...core, newcomer]) d.piggyback(l)
    assert.equal(news(newcomer, 'x'), 0, 'the roster told the newcomer already')
    assert.equal(d.size, 0, 'the last neighbour got it: it leaves the queue')
  })

  it('dissemination - a newer update about a member replaces the queued one; suspicions by different accusers queue apart', () => {
    const ctx = context(10, [])
    const d = new Dissemination(ctx)
    d.publish(member('x', { state: 'suspect', by: 'p' }), undefined)
    d.publish(member('x', { state: 'suspect', by: 'q' }), undefined)
    assert.equal(d.size, 2)
    d.publish(member('y'), undefined)
    d.publish(member('y', { inc: 2 }), undefined)
    assert.equal(d.size, 3)
    const l = link('late')
    ctx.links.set(l.peer, l)
    d.piggyback(l)
    assert.deepEqual(l.got.map(f => f.type === 'MEMBER' ? `${f.peerId}:${f.inc}` : f.type), ['x:1', 'x:1', 'y:2'])
  })

  it('dissemination - one probe carries at most PIGGYBACK_MAX updates, the least sent first', () => {
    const ctx = context(10, [])
    const d = new Dissemination(ctx)
    for (let i = 0; i < PIGGYBACK_MAX + 3; i++) d.publish(member(`n${i}`), undefined)
    const l = link('late')
    ctx.links.set(l.peer, l)
    d.piggyback(l)
    assert.equal(l.got.length, PIGGYBACK_MAX)
    const again = link('later')
    ctx.links.set(again.peer, again)
    d.piggyback(again)
    assert.deepEqual(again.got.slice(0, 3).map(f => f.type === 'MEMBER' ? f.peerId : ''), [`n${PIGGYBACK_MAX}`, `n${PIGGYBACK_MAX + 1}`, `n${PIGGYBACK_MAX + 2}`], 'the three never sent go first')
  })

  it('dissemination - while updates wait, a gossip round every GOSSIP_INTERVAL_MS gives them to GOSSIP_FANOUT sessions that lack them; an idle node arms no timer', () => {
    const clock = new VirtualClock(9)
    const core = Array.from({ length: 9 }, (_, i) => link(`c${i}`))
    const ctx = context(40, core, clock.env())
    const d = new Dissemination(ctx)
    d.publish(member('news', { state: 'failed' }), undefined)
    const have = (): number => core.filter(l => news(l, 'news') > 0).length
    assert.equal(have(), GOSSIP_FANOUT, 'at once')
    clock.runUntil(clock.now() + GOSSIP_INTERVAL_MS)
    assert.equal(have(), 2 * GOSSIP_FANOUT, 'one round later')
    assert.equal(ctx.stats.gossipRounds, 1)
    clock.runUntil(clock.now() + 10 * GOSSIP_INTERVAL_MS)
    assert.equal(have(), 8, 'the budget (4·ceil(log10(51))) spent: one session never got it from us')
    assert.equal(d.size, 0)
    const rounds = ctx.stats.gossipRounds
    clock.runUntil(clock.now() + 10 * GOSSIP_INTERVAL_MS)
    assert.equal(ctx.stats.gossipRounds, rounds, 'nothing queued: no more rounds')
  })

  it('dissemination - no gossip round runs while no core neighbour lacks a queued update (a hub holding only leaves, or the one that lacked it left)', () => {
    const clock = new VirtualClock(4)
    const leaves = [link('leaf0', 'leaf'), link('leaf1', 'leaf')]
    const ctx = context(10, leaves, clock.env())
    const d = new Dissemination(ctx)
    d.publish(member('news', { state: 'failed' }), undefined)
    clock.runUntil(clock.now() + 20 * GOSSIP_INTERVAL_MS)
    assert.equal(ctx.stats.gossipRounds, 0, 'only leaves: they got it at once, nobody to gossip to')

    const core = Array.from({ length: 4 }, (_, i) => link(`c${i}`))
    for (const l of core) ctx.links.set(l.peer, l)
    d.publish(member('later', { state: 'failed' }), undefined)
    const lacking = core.find(l => news(l, 'later') === 0) as FakeLink
    ctx.links.delete(lacking.peer) // the one core neighbour that lacked it goes away before a round
    clock.runUntil(clock.now() + 20 * GOSSIP_INTERVAL_MS)
    assert.ok(ctx.stats.gossipRounds <= 1, `one round at most finds nobody lacking it, then no timer (${ctx.stats.gossipRounds} rounds)`)
  })

  it('dissemination - the queue holds at most GOSSIP_QUEUE_MAX updates; the oldest goes first (gossipDropped)', () => {
    const ctx = context(10, [])
    const d = new Dissemination(ctx)
    for (let i = 0; i <= GOSSIP_QUEUE_MAX; i++) d.publish(member(`n${i}`), undefined)
    assert.equal(d.size, GOSSIP_QUEUE_MAX)
    assert.equal(ctx.stats.gossipDropped, 1)
  })

  it('dissemination - a probe takes queued news with it, ahead of the PROBE, and a PROBEACK does too', () => {
    const ctx = context(30, [])
    const membership = new Membership(ctx, { stateChanged: () => {}, confirm: () => false, refuted: () => {} })
    const detector = new FailureDetector(ctx, membership)
    membership.gossip.publish(member('m1', { state: 'failed' }), undefined) // no links yet: it waits
    const [a, b] = [link('a'), link('b')]
    for (const l of [a, b]) { ctx.links.set(l.peer, l); ctx.roster.apply(member(l.peer), 0) }
    detector.tick() // probes ceil(2 / 2) = 1 neighbour
    const probed = [a, b].find(l => l.got.some(f => f.type === 'PROBE')) as FakeLink
    assert.deepEqual(probed.got.map(f => f.type), ['MEMBER', 'PROBE'], 'the news, then the probe (one write)')
    const other = probed === a ? b : a
    detector.onProbe(other, { type: 'PROBE', n: 7 })
    assert.deepEqual(other.got.map(f => f.type), ['MEMBER', 'PROBEACK'], 'the news, then the answer')
    assert.equal(membership.gossip.size, 0, 'both neighbours have it')
    assert.equal(ctx.stats.piggybacked, 2)
    detector.stop()
  })
})
