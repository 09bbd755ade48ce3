/**
 * Membership lies from an authenticated member (issue 17, "What was seen", point 3): only a member
 * speaks for itself. A hub, an honest peer ("victim") and an honest leaf on loopback; a fake member
 * (fake-member.ts) with the token tells them lies. Each test ends with a fence: a signed MSG the
 * fake sends last, so once the honest nodes have it they have handled every lie before it.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { randomUUID } from 'node:crypto'
import { loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { trackDeliveries } from '../../helpers/delivery.ts'
import { Signer } from '../../../src/mesh/signing.ts'
import { FakeTracker, freshClaim } from '../../helpers/fake-member.ts'
import { FAST_MESH, fastConfig, incAt, record } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { FakeMember } from '../../helpers/fake-member.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { MemberFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const fakes = new FakeTracker()

interface Honest { hub: OverlayNode, victim: OverlayNode, leaf: OverlayNode, all: OverlayNode[] }

async function honestMesh (): Promise<Honest> {
  const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
  const victim = await startNode({ ...fastConfig(), mode: 'peer', name: 'victim', bootstrap: [loopbackAddr(hub)] })
  const leaf = await startNode({ ...fastConfig(), mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)] })
  const all = [hub, victim, leaf]
  await waitFor(() => all.every(n => n.members().filter(m => m.state === 'alive').length === 3), {
    timeout: 10_000,
    message: () => `hub, victim and leaf all see each other (${all.map(n => `${n.name}: ${n.members().map(m => `${m.name}=${m.state}`).join(',')}`).join('; ')})`
  })
  return { hub, victim, leaf, all }
}

/** A fresh identity of the attacker's: it can sign claims and messages as itself, and nothing more. */
interface Impostor { peerId: string, claim: (fields: Partial<MemberFrame> & { name: string }) => MemberFrame, msg: (text: string, from: string) => MsgFrame }
async function impostor (): Promise<Impostor> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const signer = new Signer(key)
  return {
    peerId,
    claim: fields => {
      const f: MemberFrame = { type: 'MEMBER', peerId, state: 'alive', inc: Date.now(), seq: 0, addrs: [], mode: 'peer', hops: 0, ...fields }
      return { ...f, sig: signer.sign(f) }
    },
    msg: (text, from) => {
      const f: MsgFrame = { type: 'MSG', id: randomUUID(), origin: peerId, from, ts: Date.now(), hops: 0, text }
      return { ...f, sig: signer.sign(f) }
    }
  }
}

/** Sends a signed MSG from `fake` last, and waits until every node in `nodes` has it. */
async function fence (fake: FakeMember, nodes: OverlayNode[], timeout = 10_000): Promise<void> {
  const log = trackDeliveries(nodes)
  const f = fake.signedMsg('fence')
  fake.send(f)
  try {
    await waitFor(() => nodes.every(n => log.count(n, f.id as string) === 1), {
      timeout,
      message: () => `the fence reaches ${nodes.map(n => `${n.name}(${n.fatalError?.code ?? 'up'})=${log.count(n, f.id as string)}`).join(' ')}`
    })
  } finally {
    log.detach()
  }
}

/** Every present member `n` lists under `name`, itself included: exactly one when names hold. */
const holdersOf = (n: OverlayNode, name: string): string[] =>
  n.members().filter(m => m.name === name && (m.state === 'alive' || m.state === 'suspect')).map(m => m.peerId)
const selfInc = (n: OverlayNode): number => n.members().find(m => m.self)?.since ?? -1

describe('mesh - membership lies', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it('mesh trust - a member claiming another member\'s name does not get it: the victim keeps its name and its messages are delivered', { timeout: 30_000 }, async () => {
    const { hub, victim, leaf, all } = await honestMesh()
    const mallory = await fakes.joinAlive(hub, { name: 'mallory', token: TEST_TOKEN }, FAST_MESH.heartbeatMs)
    const log = trackDeliveries(all)

    // A validly signed claim by a fresh identity of mallory's, with the victim's name and an
    // incarnation lower than the victim's, then a message signed by that identity "from" the victim.
    const imp = await impostor()
    mallory.send(imp.claim({ name: 'victim', inc: 1 }))
    const lie = imp.msg('I am the victim', 'victim')
    mallory.send(lie)
    await fence(mallory, [hub, victim, leaf])

    for (const n of all) assert.deepEqual(holdersOf(n, 'victim'), [victim.peerId], `${n.name} knows only the victim as "victim"`)
    assert.ok(all.every(n => !n.members().some(m => m.peerId === imp.peerId)), 'the impostor is a member nowhere')
    assert.equal(all.reduce((c, n) => c + log.count(n, lie.id as string), 0), 0, 'the message in the victim\'s name is delivered nowhere')
    assert.ok(hub.stats().nameConflicts >= 1, 'the hub counted the clash')

    const real = await victim.send('the real victim')
    await log.waitAllDelivered([real.id], [hub, leaf])
    assert.deepEqual([hub, leaf].map(n => log.at(n).find(d => d.id === real.id)?.from), ['victim', 'victim'])
  })

  it('mesh trust - a member claiming the hub\'s name at inc 0: the hub stays up, keeps its name and incarnation', { timeout: 30_000 }, async () => {
    const { hub, victim, leaf, all } = await honestMesh()
    const errors = all.map(n => record(n, 'error'))
    const mallory = await fakes.joinAlive(hub, { name: 'mallory', token: TEST_TOKEN }, FAST_MESH.heartbeatMs)
    const incBefore = selfInc(hub)

    const imp = await impostor()
    mallory.send(imp.claim({ name: 'hub', inc: 0, mode: 'hub' }))
    // The same lie unsigned, about mallory itself.
    mallory.send({ type: 'MEMBER', peerId: mallory.peerId, name: 'hub', state: 'alive', inc: 0, seq: 0, addrs: [], mode: 'hub', hops: 0 })
    await fence(mallory, [hub, victim, leaf])

    assert.equal(hub.fatalError, undefined, 'the hub did not stop')
    assert.equal(hub.members().find(m => m.self)?.name, 'hub')
    assert.equal(selfInc(hub), incBefore, 'the hub\'s incarnation did not move')
    for (const n of all) assert.deepEqual(holdersOf(n, 'hub'), [hub.peerId], `${n.name} knows only the hub as "hub"`)
    assert.ok(hub.stats().nameConflicts >= 1, 'the clash is counted')
    assert.deepEqual(errors.flatMap(e => e.list), [], 'no node reports an error')
    const log = trackDeliveries(all)
    const { id } = await leaf.send('still here')
    await log.waitAllDelivered([id], [hub, victim])
  })

  it('mesh trust - claiming the hub\'s peer id at inc 2^53-1 moves nothing: sane incarnation, no reconnect storm', { timeout: 30_000 }, async () => {
    const { hub, victim, leaf, all } = await honestMesh()
    const leafSessions = record(leaf, 'session')
    const victimSessions = record(victim, 'session')
    const mallory = await fakes.joinAlive(hub, { name: 'mallory', token: TEST_TOKEN }, FAST_MESH.heartbeatMs)
    const incBefore = selfInc(hub)
    const max = Number.MAX_SAFE_INTEGER
    const aboutHub = (over: Partial<MemberFrame>): MemberFrame => ({ type: 'MEMBER', peerId: hub.peerId, name: 'hub', state: 'alive', inc: max, seq: 0, addrs: [], mode: 'hub', hops: 0, ...over })

    mallory.send(aboutHub({}))                                  // unsigned claim
    mallory.send(mallory.signMember(aboutHub({})))              // signed, but by mallory
    mallory.send(aboutHub({ state: 'suspect' }))                // a report far past the hub's incarnation
    mallory.send(aboutHub({ state: 'failed', inc: max - 1 }))
    // The same against the victim, relayed by the hub.
    mallory.send({ ...aboutHub({ state: 'suspect' }), peerId: victim.peerId, name: 'victim', mode: 'peer' })
    await fence(mallory, [hub, victim, leaf])

    assert.equal(hub.fatalError, undefined)
    assert.equal(selfInc(hub), incBefore, 'the hub\'s incarnation did not move')
    assert.ok(Number.isSafeInteger(selfInc(victim)) && selfInc(victim) < max - 1, 'nor the victim\'s')
    const s = hub.stats()
    assert.ok(s.memberForged >= 2 && s.memberBadInc >= 2, `the lies are counted (forged ${s.memberForged}, badInc ${s.memberBadInc})`)
    for (const n of all) assert.deepEqual(holdersOf(n, 'hub'), [hub.peerId])

    // A report within bounds (the hub's own incarnation) is refuted with exactly one more.
    mallory.send(aboutHub({ state: 'suspect', inc: incBefore }))
    await fence(mallory, [hub, victim, leaf])
    assert.equal(selfInc(hub), incBefore + 1, 'refuted with inc + 1')

    // The honest pair still talks, over the sessions it had before the attack.
    const log = trackDeliveries(all)
    const { id } = await leaf.send('no storm')
    await log.waitAllDelivered([id], [hub, victim])
    assert.deepEqual([...leafSessions.list, ...victimSessions.list].map(e => `${e.action} ${e.name}`), [], 'no session of the victim or the leaf closed or reopened')
  })

  it('mesh trust - a leaf announcing 10,000 invented members: dropped and counted, nobody is told they joined', { timeout: 60_000 }, async () => {
    const { hub, victim, leaf, all } = await honestMesh()
    const joined = all.map(n => record(n, 'joined'))
    const { fake: badLeaf, outcome } = await fakes.join(hub, { name: 'badleaf', token: TEST_TOKEN, mode: 'leaf' })
    assert.deepEqual(outcome, { ok: true })
    badLeaf.keepAlive(FAST_MESH.heartbeatMs)
    await waitFor(() => holdersOf(victim, 'badleaf')[0] === badLeaf.peerId, { timeout: 5_000, message: 'the bad leaf itself is a member (it may speak of itself)' })

    const COUNT = 10_000
    const inc = Date.now()
    for (let i = 0; i < COUNT; i++) badLeaf.send({ type: 'MEMBER', peerId: `ghost-${i}`, name: `ghost${i}`, state: 'alive', inc, seq: 0, addrs: [], mode: 'peer', hops: 0 })
    // Real identities' own signed claims too: a leaf does not pass anyone's word on.
    const real = await Promise.all(Array.from({ length: 3 }, async (_, i) => await freshClaim({ name: `relayed${i}` })))
    for (const f of real) badLeaf.send(f)
    const liedInc = selfInc(victim) + 1_000_000
    badLeaf.send({ type: 'HEARTBEAT', beats: [[victim.peerId, liedInc, 1]] })
    await fence(badLeaf, [hub, victim, leaf], 30_000)
    assert.equal(hub.stats().leafOther, COUNT + real.length + 1, 'every frame about another member is counted')

    // A peer may relay, but ids that are not peer ids are still dropped and counted.
    const mallory = await fakes.joinAlive(hub, { name: 'mallory', token: TEST_TOKEN }, FAST_MESH.heartbeatMs)
    for (let i = 0; i < 1_000; i++) mallory.send({ type: 'MEMBER', peerId: `ghost-${i}`, name: `ghost${i}`, state: 'alive', inc, seq: 0, addrs: [], mode: 'peer', hops: 0 })
    await fence(mallory, [hub, victim, leaf])
    assert.equal(hub.stats().memberBadId, 1_000)

    const invented = (name: string): boolean => name.startsWith('ghost') || name.startsWith('relayed')
    all.forEach((n, i) => {
      assert.deepEqual(joined[i]?.list.filter(e => invented(e.name)).map(e => e.name), [], `${n.name} was told of no invented member`)
      assert.equal(n.members().filter(m => invented(m.name)).length, 0, `${n.name} lists no invented member`)
    })
    // (Under this flood the victim may have had to refute a suspicion, at + 1: never the lie's + 1,000,000.)
    for (const n of [hub, leaf]) assert.ok(incAt(n, victim.peerId) < liedInc, `the heartbeat from the leaf raised nothing at ${n.name}`)
  })
})
