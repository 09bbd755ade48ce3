/**
 * Routed probes (src/mesh/failure-detector.ts, PROTOCOL.md 7.11): the answer to an indirect probe
 * passes through other members, so it counts only when signed by the member it answers for.
 * Driven through fake links on a virtual clock (sim/clock.ts).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultConfig } from '../../../src/config/defaults.ts'
import { MeshContext } from '../../../src/mesh/context.ts'
import { FailureDetector } from '../../../src/mesh/failure-detector.ts'
import { Membership } from '../../../src/mesh/membership.ts'
import type { MembershipHooks } from '../../../src/mesh/membership.ts'
import { Signer } from '../../../src/mesh/signing.ts'
import { VirtualClock } from '../../../sim/clock.ts'
import type { Link } from '../../../src/mesh/link.ts'
import type { Frame, MemberFrame, ProbeAckFrame, ProbeFrame } from '../../../src/protocol/frames.ts'
import type { PrivateKey } from '@libp2p/interface'

interface Identity { key: PrivateKey, peerId: string }
const identity = async (): Promise<Identity> => {
  const key = await generateKeyPair('Ed25519')
  return { key, peerId: peerIdFromPrivateKey(key).toString() }
}
const [me, helper, target] = [await identity(), await identity(), await identity()]

interface FakeLink extends Link { got: Frame[] }
function link (peer: string): FakeLink {
  const got: Frame[] = []
  return { peer, name: peer, wire: 'json', mode: 'peer', encryption: 'noise', got, send: (f) => { if (!(f instanceof Uint8Array)) got.push(f) }, close: () => {}, abort: () => {} }
}
const alive = (peerId: string): MemberFrame => ({ type: 'MEMBER', peerId, name: peerId.slice(-6), state: 'alive', inc: 1, seq: 0, addrs: [], mode: 'peer', hops: 0 })

/** `me`, a peer, on `clock`, with no links yet. */
function meOn (clock: VirtualClock, config = defaultConfig().mesh): MeshContext {
  const env = clock.env()
  return new MeshContext({
    peerId: me.peerId, name: 'me', mode: 'peer', privateKey: me.key,
    behaviour: { relays: true, watchesLiveness: true, keepsDegree: false, dials: ['hub', 'peer'] },
    config, maxFrameBytes: 1 << 20, addrs: () => [],
    emit: () => {}, dialMember: () => {}, pendingDials: () => 0, env
  }, env)
}

/** `me` holds a link to `helper` only; `target` is a member whose link closed, so it is probed through the helper. */
function setup (): { clock: VirtualClock, ctx: MeshContext, detector: FailureDetector, via: FakeLink, probe: ProbeFrame } {
  const clock = new VirtualClock(3)
  const ctx = meOn(clock)
  const via = link(helper.peerId)
  ctx.links.set(via.peer, via)
  ctx.roster.apply(alive(helper.peerId), clock.now())
  ctx.roster.apply(alive(target.peerId), clock.now())
  const hooks: MembershipHooks = { stateChanged: () => {}, confirm: () => false, refuted: () => {} }
  const membership = new Membership(ctx, hooks)
  const detector = new FailureDetector(ctx, membership)
  hooks.stateChanged = (m, by) => { detector.stateChanged(m, by) }
  detector.linkClosed(target.peerId, 'disconnect', [])
  detector.tick()
  const probe = via.got.find((f): f is ProbeFrame => f.type === 'PROBE' && f.target === target.peerId)
  assert.ok(probe !== undefined, 'a routed PROBE went to the helper')
  return { clock, ctx, detector, via, probe }
}

const stateOf = (ctx: MeshContext, peerId: string): string | undefined => ctx.roster.get(peerId)?.state

describe('failure detector - routed probes', () => {
  it('failure detector - a routed PROBEACK forged by a relay does not clear the probe: the silent member is suspected (probeForged)', () => {
    const { clock, ctx, detector, via, probe } = setup()
    // The helper answers for the target, which is dead: unsigned, then signed with its own key.
    const forged: ProbeAckFrame = { type: 'PROBEACK', n: probe.n, target: me.peerId, origin: target.peerId, hops: 1 }
    detector.onProbeAck(via, forged)
    const selfSigned = { ...forged, sig: new Signer(helper.key).sign(forged) }
    detector.onProbeAck(via, selfSigned)
    assert.equal(ctx.stats.probeForged, 2)
    clock.runUntil(clock.now() + ctx.cfg.suspectAfterMs)
    assert.notEqual(stateOf(ctx, target.peerId), 'alive', 'no answer counted: suspected (or failed by now)')
    detector.stop()
  })

  it('failure detector - a routed PROBEACK signed by the probed member clears the probe, whoever relays it', () => {
    const { clock, ctx, detector, via, probe } = setup()
    const ack: ProbeAckFrame = { type: 'PROBEACK', n: probe.n, target: me.peerId, origin: target.peerId, hops: 0 }
    const signed = { ...ack, sig: new Signer(target.key).sign(ack) }
    detector.onProbeAck(via, { ...signed, hops: 2 }) // hops are not signed: relays raise them
    assert.equal(ctx.stats.probeForged, 0)
    clock.runUntil(clock.now() + ctx.cfg.suspectAfterMs)
    assert.equal(stateOf(ctx, target.peerId), 'alive', 'the answer counted')
    assert.notEqual(stateOf(ctx, helper.peerId), 'alive', 'while the helper, probed directly and silent here, is not (the clock ran)')
    detector.stop()
  })

  it('failure detector - a member answers a routed PROBE for itself with a PROBEACK signed by its key', () => {
    const { ctx, detector, via } = setup()
    via.got.length = 0
    detector.onProbe(via, { type: 'PROBE', n: 42, target: me.peerId, origin: target.peerId, hops: 1 })
    const ack = via.got.find((f): f is ProbeAckFrame => f.type === 'PROBEACK')
    assert.ok(ack?.sig !== undefined, 'signed')
    assert.deepEqual({ ...ack, sig: undefined }, { type: 'PROBEACK', n: 42, target: target.peerId, origin: me.peerId, hops: 0, sig: undefined })
    assert.ok(ctx.verifier.verifyBy(ack, me.peerId), 'by our key')
    detector.stop()
  })

  it('failure detector - a direct PROBEACK gives the neighbour a smoothed round trip; a closed link forgets it', () => {
    const { clock, detector, via } = setup()
    const answer = (afterMs: number): void => {
      const probe = via.got.findLast((f): f is ProbeFrame => f.type === 'PROBE' && f.target === undefined)
      assert.ok(probe !== undefined, 'the helper was probed directly')
      clock.runUntil(clock.now() + afterMs)
      detector.onProbeAck(via, { type: 'PROBEACK', n: probe.n })
    }
    assert.equal(detector.rttOf(helper.peerId), undefined, 'no answer yet')
    answer(7)
    assert.equal(detector.rttOf(helper.peerId), 7, 'the first sample as it is')
    clock.runUntil(clock.now() + 2 * defaultConfig().mesh.heartbeatMs)
    via.got.length = 0
    detector.tick()
    answer(15)
    assert.equal(detector.rttOf(helper.peerId), 8, 'then smoothed: 7 + (15 - 7) / 8')
    detector.linkClosed(helper.peerId, 'disconnect', [])
    assert.equal(detector.rttOf(helper.peerId), undefined)
    detector.stop()
  })
})

describe('failure detector - probe rate', () => {
  /** Direct probes sent in `periods` periods by a node holding `sessions` sessions with peers, each answered at once. */
  async function probesSent (sessions: number, periods: number): Promise<number> {
    const clock = new VirtualClock(5)
    const config = { ...defaultConfig().mesh, degree: 4 }
    const ctx = meOn(clock, config)
    const links: FakeLink[] = []
    for (let i = 0; i < sessions; i++) {
      const l = link((await identity()).peerId)
      links.push(l)
      ctx.links.set(l.peer, l)
      ctx.roster.apply(alive(l.peer), clock.now())
    }
    const detector = new FailureDetector(ctx, new Membership(ctx, { stateChanged: () => {}, confirm: () => false, refuted: () => {} }))
    let sent = 0
    for (let p = 0; p < periods; p++) {
      detector.tick()
      for (const l of links) {
        for (const f of l.got.splice(0)) {
          if (f.type !== 'PROBE') continue
          sent++
          detector.onProbeAck(l, { type: 'PROBEACK', n: f.n })
        }
      }
      clock.runUntil(clock.now() + config.heartbeatMs)
    }
    return sent
  }

  it('failure detector - a node probes max(1, sessions / degree) neighbours a period on average, the fraction carried over', async () => {
    assert.equal(await probesSent(3, 20), 20, 'below the degree: one a period')
    assert.equal(await probesSent(4, 20), 20, 'at the degree: one a period')
    // ceil(6 / 4) = 2 a period would be 40.
    assert.equal(await probesSent(6, 20), 30, 'six sessions at degree 4: 1.5 a period')
  })
})
