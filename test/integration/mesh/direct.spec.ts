/**
 * Routed direct messages: delivered once, only at the target, and acknowledged across several hops;
 * refused at once for an unknown name; reported unreachable within mesh.directTimeoutMs when the
 * target died before failure detection noticed.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { trackDeliveries } from '../../helpers/delivery.ts'
import { buildTopology, describeMembership, edgesUp, line, membershipConverged } from '../../helpers/topology.ts'
import { FakeTracker } from '../../helpers/fake-member.ts'
import { crash, FAST_MESH, fastConfig, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { BuiltTopology } from '../../helpers/topology.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { MsgFrame } from '../../../src/protocol/frames.ts'

const DIRECT_TIMEOUT_MS = 1_000

async function lineOf4 (): Promise<BuiltTopology> {
  const built = await buildTopology(line(4), { config: fastConfig({ directTimeoutMs: DIRECT_TIMEOUT_MS }), name: i => ['a', 'b', 'c', 'd'][i] as string })
  await waitFor(() => edgesUp(built) && membershipConverged(built.nodes), { timeout: 10_000, message: () => `line a-b-c-d converges (${describeMembership(built.nodes)})` })
  return built
}

async function rejection (p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  assert.fail('expected a rejection')
}

const fakes = new FakeTracker()

describe('mesh - direct messages', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it('mesh - a direct message crosses 3 hops, is delivered once at the target only, and is acknowledged', { timeout: 20_000 }, async () => {
    const built = await lineOf4()
    const [a, b, c, d] = built.nodes as [OverlayNode, OverlayNode, OverlayNode, OverlayNode]
    assert.ok(!a.sessions().some(s => s.peerId === d.peerId), 'a and d are not neighbours')
    const log = trackDeliveries(built.nodes)

    const { id } = await a.sendTo('d', 'just for d')
    // sendTo resolved, so d's ACK travelled back; d delivered before acknowledging.
    assert.equal(log.count(d, id), 1)
    const [delivery] = log.at(d)
    assert.equal(delivery?.text, 'just for d')
    assert.equal(delivery?.from, 'a')
    assert.equal(delivery?.origin, a.peerId)
    assert.equal(delivery?.to, d.peerId, 'the delivery is marked as direct, to d')
    for (const other of [a, b, c]) assert.equal(log.count(other, id), 0, `${other.name} does not deliver a message for d`)

    // And back the other way, with the relays' stats showing it was routed, not broadcast.
    const relayedBefore = b.stats().relayed + c.stats().relayed
    const back = await d.sendTo('a', 'and back')
    assert.equal(log.count(a, back.id), 1)
    for (const other of [b, c, d]) assert.equal(log.count(other, back.id), 0)
    assert.ok(b.stats().relayed + c.stats().relayed > relayedBefore, 'b and c relayed the message and its ACK')
    assert.deepEqual(log.deliveriesOf(id).map(x => x.at), ['d'])
    assert.deepEqual(log.deliveriesOf(back.id).map(x => x.at), ['a'])
  })

  it('mesh - between neighbours a direct MSG and its ACK leave out what the session says, both ways (PROTOCOL.md 8.3)', { timeout: 20_000 }, async () => {
    const a = await startNode({ ...fastConfig(), mode: 'peer', name: 'a' })
    const nb = await fakes.joinAlive(a, { name: 'nb', token: TEST_TOKEN }, FAST_MESH.heartbeatMs)
    await waitFor(() => stateOf(a, nb.peerId) === 'alive', { timeout: 10_000, message: 'a knows nb' })
    const log = trackDeliveries([a])

    // a to nb: no origin, from or hops, and "" for nb itself; nb's ACK is just the id.
    const sent = a.sendTo('nb', 'hello nb')
    const msg = await nb.waitFrame(f => f.type === 'MSG' && f.text === 'hello nb') as MsgFrame
    assert.deepEqual(Object.keys(msg).sort(), ['id', 'text', 'to', 'ts', 'type'])
    assert.equal(msg.to, '')
    assert.ok(msg.id !== undefined && msg.id.length >= 21, `a random id of at least 21 characters: ${String(msg.id)}`)
    nb.send({ type: 'ACK', id: msg.id })
    assert.deepEqual(await sent, { id: msg.id })

    // nb to a in the same form: a direct message to a, from nb, answered with just the id.
    nb.send({ type: 'MSG', id: 'nb-1', ts: Date.now(), to: '', text: 'hello a' })
    assert.deepEqual(await nb.waitFrame(f => f.type === 'ACK'), { type: 'ACK', id: 'nb-1' })
    const [delivery] = log.at(a)
    assert.deepEqual(delivery && [delivery.id, delivery.text, delivery.from, delivery.origin, delivery.to], ['nb-1', 'hello a', 'nb', nb.peerId, a.peerId])
    assert.equal(a.stats().malformed, 0)
  })

  it('mesh - a direct message to an unknown name fails at once with unknown_member', { timeout: 20_000 }, async () => {
    const built = await lineOf4()
    const a = built.nodes[0] as OverlayNode
    const log = trackDeliveries(built.nodes)
    const started = Date.now()
    const err = await rejection(a.sendTo('nobody', 'hello?'))
    const took = Date.now() - started
    assert.equal(err.name, 'DeliveryError')
    assert.equal(err.code, 'unknown_member')
    assert.ok(took < DIRECT_TIMEOUT_MS / 4, `rejected in ${took} ms, without waiting for the direct timeout`)
    assert.equal(log.total, 0, 'nothing was delivered anywhere')
  })

  it('mesh - sendTo refuses by rejecting, never by throwing: a multi-line text, an unknown name, an aborted signal', { timeout: 20_000 }, async () => {
    const built = await lineOf4()
    const a = built.nodes[0] as OverlayNode
    const log = trackDeliveries(built.nodes)
    // Each call is made first and awaited after: a synchronous throw would escape the call itself.
    const calls = [a.sendTo('d', 'two\nlines'), a.sendTo('nobody', 'hi'), a.sendTo('d', 'late', { signal: AbortSignal.abort(new Error('caller gave up')) })]
    const [text, name, aborted] = await Promise.all(calls.map(rejection))
    assert.equal(text?.name, 'TypeError')
    assert.equal(name?.code, 'unknown_member')
    assert.equal(aborted?.message, 'caller gave up')
    assert.equal(log.total, 0, 'nothing was delivered anywhere')
  })

  it('mesh - a direct message to a member that just died fails with unreachable within directTimeoutMs', { timeout: 20_000 }, async () => {
    const built = await lineOf4()
    const [a, b, c, d] = built.nodes as [OverlayNode, OverlayNode, OverlayNode, OverlayNode]
    const log = trackDeliveries(built.nodes)
    await crash(d)
    // Failure detection has not caught up yet: d is still a present member for a.
    assert.ok(['alive', 'suspect'].includes(stateOf(a, d.peerId) ?? ''), `a still lists d (${stateOf(a, d.peerId)})`)

    const started = Date.now()
    const err = await rejection(a.sendTo('d', 'are you there?'))
    const took = Date.now() - started
    assert.equal(err.name, 'DeliveryError')
    assert.equal(err.code, 'unreachable')
    assert.ok(took >= DIRECT_TIMEOUT_MS - 50, `waited for the acknowledgement (${took} ms)`)
    assert.ok(took <= DIRECT_TIMEOUT_MS + 1_000, `gave up within mesh.directTimeoutMs (${took} ms, limit ${DIRECT_TIMEOUT_MS} ms plus slack)`)
    assert.equal(log.total, 0, 'nobody else delivered it')
    assert.ok([b, c].every(n => n.fatalError === undefined))
  })
})
