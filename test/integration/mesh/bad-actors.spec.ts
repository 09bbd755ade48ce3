/**
 * A member that knows the token but lies. A fake member (a bare libp2p node speaking the JSON
 * protocol by hand, see fake-member.ts) joins a small mesh and sends forged, altered, replayed,
 * stale and over-hop-limit frames: each must be dropped before delivery and relay (no `message`
 * event anywhere) and counted in stats(). Also: a name already held cannot be taken.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { randomUUID } from 'node:crypto'
import { afterEach, describe, it } from 'node:test'
import { createNode, loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { trackDeliveries } from '../../helpers/delivery.ts'
import { describeMembership, membershipConverged } from '../../helpers/topology.ts'
import { Signer } from '../../../src/mesh/signing.ts'
import { FakeTracker } from '../../helpers/fake-member.ts'
import { FAST_MESH, fastConfig, record, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { FakeMember } from '../../helpers/fake-member.ts'
import type { MeshStats, OverlayNode } from '../../../src/index.ts'
import type { AckFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const HOP_LIMIT = 8
/** The replay window is min(seenTtlMs, 60 s): keep it short so "old" is a few seconds. */
const SEEN_TTL_MS = 5_000
const config = (): ReturnType<typeof fastConfig> => fastConfig({ hopLimit: HOP_LIMIT, seenTtlMs: SEEN_TTL_MS })

const fakes = new FakeTracker()

type Counters = Pick<MeshStats, 'delivered' | 'duplicate' | 'forged' | 'stale' | 'hopLimit' | 'malformed'>
function counters (node: OverlayNode): Counters {
  const { delivered, duplicate, forged, stale, hopLimit, malformed } = node.stats()
  return { delivered, duplicate, forged, stale, hopLimit, malformed }
}
function delta (node: OverlayNode, before: Counters): Counters {
  const now = counters(node)
  return {
    delivered: now.delivered - before.delivered,
    duplicate: now.duplicate - before.duplicate,
    forged: now.forged - before.forged,
    stale: now.stale - before.stale,
    hopLimit: now.hopLimit - before.hopLimit,
    malformed: now.malformed - before.malformed
  }
}

/** Joins `fake` as a keep-alive member of `node` and returns it. */
async function joinAlive (node: OverlayNode, name: string, privateKey?: Awaited<ReturnType<typeof generateKeyPair>>): Promise<FakeMember> {
  return await fakes.joinAlive(node, { name, token: TEST_TOKEN, ...(privateKey === undefined ? {} : { privateKey }) }, FAST_MESH.heartbeatMs)
}

describe('mesh - bad actors', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it('mesh - forged, altered, replayed, stale and over-hop-limit messages are dropped and counted', { timeout: 30_000 }, async () => {
    // a - b is a mesh; c stands alone. The fake "mallory" joins both a and c with one identity, so it
    // sits on the only path from b to c and can tamper with b's broadcasts in transit.
    const a = await startNode({ ...config(), mode: 'peer', name: 'a' })
    const b = await startNode({ ...config(), mode: 'peer', name: 'b', bootstrap: [loopbackAddr(a)] })
    const c = await startNode({ ...config(), mode: 'peer', name: 'c' })
    const key = await generateKeyPair('Ed25519')
    const viaA = await joinAlive(a, 'mallory', key)
    const viaC = await joinAlive(c, 'mallory', key)
    const nodes = [a, b, c]
    await waitFor(() => stateOf(b, viaA.peerId) === 'alive' && stateOf(a, b.peerId) === 'alive' && stateOf(c, viaC.peerId) === 'alive', {
      timeout: 10_000,
      message: 'a and b know each other and mallory; c knows mallory'
    })

    const log = trackDeliveries(nodes)
    const failedEvents = nodes.map(n => record(n, 'failed'))
    const before = new Map(nodes.map(n => [n, counters(n)]))

    // A genuine broadcast from b, signed (b has a member it is not connected to), reaches mallory through a.
    const { id: genuineId } = await b.send('genuine from b')
    const genuine = await viaA.waitFrame(f => f.type === 'MSG' && f.id === genuineId) as MsgFrame
    assert.ok(genuine.sig !== undefined && genuine.origin === b.peerId, 'b signs what others relay')

    const dropped: string[] = []
    const now = Date.now()
    // 1. Forged origin: claims to be b, signed with mallory's key.
    const forged = viaA.sign({ type: 'MSG', id: randomUUID(), origin: b.peerId, from: 'b', ts: now, hops: 0, text: 'forged as b' })
    viaA.send(forged)
    dropped.push(forged.id as string)
    // 2. Mallory's own session, someone else's name: "from b" straight from mallory.
    const impersonation = viaA.signedMsg('I am b, honest', { from: 'b' })
    viaA.send(impersonation)
    dropped.push(impersonation.id as string)
    // 3. Altered in transit: b's signed message with new text, passed to c, who has not seen it yet.
    viaC.send({ ...genuine, text: 'altered in transit', hops: (genuine.hops ?? 0) + 1 })
    // 4. Stale: validly signed, but stamped further back than the replay window.
    const stale = viaA.signedMsg('from long ago', { ts: now - 2 * SEEN_TTL_MS })
    viaA.send(stale)
    dropped.push(stale.id as string)
    // 5. Replay: b's message again, same id, to a, who already delivered it.
    viaA.send({ ...genuine, hops: (genuine.hops ?? 0) + 1 })
    // 6. Over the hop limit: a signed MSG, and a MEMBER rumour that would fail b.
    const tooFar = viaA.signedMsg('too many hops', { hops: HOP_LIMIT + 1 })
    viaA.send(tooFar)
    dropped.push(tooFar.id as string)
    const aboutB = viaA.latestMember(b.peerId)
    assert.ok(aboutB !== undefined, 'mallory has heard about b')
    viaA.send({ ...aboutB, state: 'failed', hops: HOP_LIMIT + 1 })
    // 7. The untouched message reaches c once; a second copy is a duplicate.
    viaC.send({ ...genuine, hops: (genuine.hops ?? 0) + 1 })
    viaC.send({ ...genuine, hops: (genuine.hops ?? 0) + 1 })

    // Fences: one honest message per session. Frames on a session are handled in order, so once
    // these arrive everywhere, every frame above was handled (and relayed, had it been accepted).
    const fenceA = viaA.signedMsg('fence via a')
    const fenceC = viaC.signedMsg('fence via c')
    viaA.send(fenceA)
    viaC.send(fenceC)
    await log.waitAllDelivered([fenceA.id as string], [a, b])
    await log.waitAllDelivered([fenceC.id as string], [c])

    log.assertNeverDelivered(dropped)
    assert.deepEqual(log.deliveriesOf(genuineId).map(d => [d.at, d.text]).sort(), [['a', 'genuine from b'], ['c', 'genuine from b']], 'b\'s message: once at a, once at c, never altered')
    log.assertExactlyOnce([genuineId], [a, c], { except: () => b })
    assert.ok(nodes.every(n => log.at(n).every(d => !/altered|forged|honest|long ago|too many/.test(d.text))), 'no tampered text was delivered')

    assert.deepEqual(delta(a, before.get(a) as Counters), { delivered: 2, duplicate: 1, forged: 2, stale: 1, hopLimit: 2, malformed: 0 }, 'a: genuine + fence delivered; forged x2, replay, stale, hop limit x2 dropped')
    assert.deepEqual(delta(c, before.get(c) as Counters), { delivered: 2, duplicate: 1, forged: 1, stale: 0, hopLimit: 0, malformed: 0 }, 'c: genuine + fence delivered; the altered copy forged, the second copy a duplicate')
    assert.deepEqual(delta(b, before.get(b) as Counters), { delivered: 1, duplicate: 0, forged: 0, stale: 0, hopLimit: 0, malformed: 0 }, 'b: only the fence; nothing bad was relayed to it')
    assert.ok(failedEvents.every(f => f.list.length === 0), 'the over-hop-limit rumour failed nobody')
    assert.equal(stateOf(a, b.peerId), 'alive')
  })

  it('mesh - a signed frame may not leave out what only its signature vouches for: to "", an ACK without from or hops', { timeout: 30_000 }, async () => {
    const a = await startNode({ ...config(), mode: 'peer', name: 'a' })
    const mallory = await joinAlive(a, 'mallory')
    await waitFor(() => stateOf(a, mallory.peerId) === 'alive', { timeout: 10_000, message: 'a knows mallory' })
    const log = trackDeliveries([a])
    const before = counters(a)

    // "" stands for the receiver only in an unsigned MSG, which comes straight from its origin (PROTOCOL.md 8.3).
    const toNobody = mallory.signedMsg('to whom?', { to: '' })
    mallory.send(toNobody)
    const signer = new Signer(mallory.privateKey)
    const ack: AckFrame = { type: 'ACK', id: 'some-id', from: 'mallory', origin: mallory.peerId, to: a.peerId, hops: 0 }
    const { from: _from, ...noFrom } = ack
    const { hops: _hops, ...noHops } = ack
    for (const f of [noFrom, noHops]) mallory.send({ ...f, sig: signer.sign(f) })
    const fence = mallory.signedMsg('fence')
    mallory.send(fence)
    await log.waitAllDelivered([fence.id as string], [a])

    log.assertNeverDelivered([toNobody.id as string])
    assert.deepEqual(delta(a, before), { delivered: 1, duplicate: 0, forged: 0, stale: 0, hopLimit: 0, malformed: 3 }, 'the fence delivered; the MSG and both ACKs malformed')
    assert.equal(stateOf(a, mallory.peerId), 'alive', 'dropped, not disconnected')
  })

  it('mesh - a message altered by its own origin after signing is dropped by the first hop, not delivered there', { timeout: 30_000 }, async () => {
    const a = await startNode({ ...config(), mode: 'peer', name: 'a' })
    const b = await startNode({ ...config(), mode: 'peer', name: 'b', bootstrap: [loopbackAddr(a)] })
    const mallory = await joinAlive(a, 'mallory')
    await waitFor(() => stateOf(b, mallory.peerId) === 'alive' && stateOf(a, b.peerId) === 'alive', { timeout: 10_000, message: 'a, b and mallory know each other' })
    const log = trackDeliveries([a, b])
    const before = new Map([a, b].map(n => [n, counters(n)]))

    // Validly signed by mallory, then the text changed: the signature no longer covers the frame.
    const signed = mallory.signedMsg('what I signed')
    mallory.send({ ...signed, text: 'what I changed it to' })
    const fence = mallory.signedMsg('fence')
    mallory.send(fence)
    await log.waitAllDelivered([fence.id as string], [a, b])

    // Either every node or none may deliver a message; b can only drop it (the signature is wrong),
    // so a must drop it too, rather than deliver it and relay a frame that its other neighbours refuse.
    log.assertNeverDelivered([signed.id as string])
    assert.equal(delta(a, before.get(a) as Counters).forged, 1, 'a counts the altered message as forged')
    assert.equal(delta(b, before.get(b) as Counters).forged, 0, 'the altered message was never relayed to b')
  })

  it('mesh - joining with a name that is already held is refused with name_taken', { timeout: 30_000 }, async () => {
    const a = await startNode({ ...config(), mode: 'peer', name: 'a' })
    const b = await startNode({ ...config(), mode: 'peer', name: 'b', bootstrap: [loopbackAddr(a)] })
    await waitFor(() => membershipConverged([a, b]), { timeout: 10_000, message: 'a and b converge' })

    // At JOIN, by hand: the node answers ERR name_taken.
    const { outcome } = await fakes.join(a, { name: 'b', token: TEST_TOKEN })
    assert.equal(outcome.ok, false)
    assert.equal(outcome.ok ? undefined : outcome.error.code, 'name_taken')

    // A real node with the same name: its bootstrap is refused with name_taken, which is final: it stops.
    const impostor = await createNode({ ...config(), mode: 'peer', name: 'b', bootstrap: [loopbackAddr(a)] })
    const attempts = record(impostor, 'bootstrap')
    await impostor.start()
    await impostor.stopped
    assert.equal(impostor.fatalError?.code, 'name_taken', JSON.stringify(impostor.fatalError))
    assert.match(impostor.fatalError?.message ?? '', /refused the name: "b" is taken in the mesh/)
    assert.deepEqual(impostor.sessions(), [], 'the impostor holds no session')
    assert.deepEqual(attempts.list, [], 'a refusal is not a failed attempt to retry')
    assert.equal(a.members().find(m => m.name === 'b' && !m.self)?.peerId, b.peerId, 'the name stays with the member that holds it')
    assert.ok(membershipConverged([a, b]), describeMembership([a, b]))
  })

  it('mesh - two members with one name meeting through a third: neither stops, each node keeps the holder it knew first', { timeout: 30_000 }, async () => {
    // first stands alone; a mesh {a, second} grows elsewhere under the same name.
    const first = await startNode({ ...config(), mode: 'peer', name: 'dup' })
    const a = await startNode({ ...config(), mode: 'peer', name: 'a' })
    const second = await startNode({ ...config(), mode: 'peer', name: 'dup', bootstrap: [loopbackAddr(a)] })
    await waitFor(() => stateOf(a, second.peerId) === 'alive', { timeout: 10_000, message: 'a knows the second "dup"' })
    const errors = [record(first, 'error'), record(second, 'error')]

    // bridge joins both, and gossip brings the two "dup"s together.
    const bridge = await startNode({ ...config(), mode: 'peer', name: 'bridge', bootstrap: [loopbackAddr(first), loopbackAddr(a)] })
    const all = [first, a, second, bridge]
    const conflicts = (): number => all.reduce((n, node) => n + node.stats().nameConflicts, 0)
    await waitFor(() => bridge.sessions().length === 2 && conflicts() > 0, { timeout: 10_000, message: () => `the clash is seen and counted (${conflicts()})` })
    const holderAt = (n: OverlayNode): string | undefined => n.members().find(m => !m.self && m.name === 'dup' && (m.state === 'alive' || m.state === 'suspect'))?.peerId
    const bridgeHolder = holderAt(bridge)
    assert.ok(bridgeHolder === first.peerId || bridgeHolder === second.peerId, 'bridge maps "dup" to one of them')
    // Several heartbeats later (each re-announces both), nothing has moved and nobody stopped.
    const inc = first.members().find(m => m.self)?.since
    // Each period bridge probes a neighbour or spares one that just probed it.
    const turns = (): number => bridge.stats().probes + bridge.stats().probesSpared
    const before = turns()
    await waitFor(() => turns() >= before + 4, { timeout: 5_000, message: 'four more probe periods of bridge pass' })
    assert.equal(first.members().find(m => m.self)?.since, inc, 'the clash did not raise the first dup\'s incarnation')
    assert.equal(holderAt(a), second.peerId, 'a keeps the "dup" it knew first')
    assert.equal(holderAt(bridge), bridgeHolder, 'bridge keeps the "dup" it knew first')
    for (const n of [first, second]) assert.equal(n.fatalError, undefined, `${n.name} keeps running`)
    assert.deepEqual(errors.flatMap(e => e.list).map(e => e.code), [], 'no name_taken, no error')
  })
})
