/**
 * The broadcast tree (PROTOCOL.md 8.7) and batched heartbeat relays (7.4) between real nodes: on a
 * ring the first broadcasts flood and prune one link, after which broadcasts cost no duplicates;
 * a closed tree link is repaired by IHAVE/GRAFT or by re-grafting lazy links; heartbeats cross a
 * line of peers in HEARTBEAT batches; a client that sends tree frames about nothing harms nobody.
 * Degree 1 keeps the hand-built topologies exact. Which links are eager is private to each node's
 * mesh, so a few checks read it (like failure.spec.ts reads the heartbeat timer).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterEach, describe, it } from 'node:test'
import { stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { trackDeliveries } from '../../helpers/delivery.ts'
import { buildTopology, describeMembership, edgesUp, line, membershipConverged, ring } from '../../helpers/topology.ts'
import { FakeTracker } from '../../helpers/fake-member.ts'
import { fastConfig, record, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { BuiltTopology, Topology } from '../../helpers/topology.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { BroadcastTree } from '../../../src/mesh/tree.ts'
import type { Frame, GraftFrame, IHaveFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const fakes = new FakeTracker()

/** The node's broadcast tree (private to its mesh). */
function treeOf (node: OverlayNode): Pick<BroadcastTree, 'has' | 'isEager'> {
  const tree = (node as unknown as { mesh?: { tree?: BroadcastTree } }).mesh?.tree
  assert.ok(tree !== undefined && typeof tree.isEager === 'function' && typeof tree.has === 'function', 'OverlayNode.mesh.tree exists (src changed: update this test)')
  return tree
}

type LinkState = 'eager' | 'lazy' | 'mixed'
/** Each topology edge as both ends see it: eager on both, lazy on both, or one of each (in flux). */
function linkStates (built: BuiltTopology): Array<{ a: number, b: number, state: LinkState }> {
  return built.topology.edges.map(([a, b]) => {
    const na = built.nodes[a] as OverlayNode
    const nb = built.nodes[b] as OverlayNode
    const ea = treeOf(na).isEager(nb.peerId)
    const eb = treeOf(nb).isEager(na.peerId)
    return { a, b, state: ea && eb ? 'eager' : !ea && !eb ? 'lazy' : 'mixed' }
  })
}
const describeLinks = (built: BuiltTopology): string => linkStates(built).map(l => `${l.a}-${l.b}:${l.state}`).join(' ')

/** Whether the eager links, seen the same from both ends, form a spanning tree of the topology. */
function eagerSpanningTree (built: BuiltTopology): boolean {
  const links = linkStates(built)
  if (links.some(l => l.state === 'mixed')) return false
  const eager = links.filter(l => l.state === 'eager')
  if (eager.length !== built.topology.size - 1) return false
  const reached = new Set([0])
  for (let grew = true; grew;) {
    grew = false
    for (const { a, b } of eager) {
      if (reached.has(a) !== reached.has(b)) { reached.add(a); reached.add(b); grew = true }
    }
  }
  return reached.size === built.topology.size
}

const sum = (nodes: readonly OverlayNode[], key: 'duplicate' | 'control'): number => nodes.reduce((n, node) => n + node.stats()[key], 0)

async function converge (built: BuiltTopology, timeout = 15_000): Promise<void> {
  await waitFor(() => edgesUp(built), { timeout, message: () => `every edge of ${built.topology.label} is a session` })
  await waitFor(() => membershipConverged(built.nodes), {
    timeout,
    message: () => `membership of ${built.topology.label} converges (${describeMembership(built.nodes)})`
  })
}

/**
 * Broadcasts from each sender in turn, waiting until each message reached every one of `receivers`
 * (but its sender) before sending the next, and checks each was delivered exactly once.
 */
async function broadcastOneByOne (senders: readonly OverlayNode[], receivers: readonly OverlayNode[], label: string, timeout = 10_000): Promise<string[]> {
  const log = trackDeliveries(receivers)
  const ids: string[] = []
  const senderOf = new Map<string, OverlayNode>()
  try {
    for (const [i, sender] of senders.entries()) {
      const { id } = await sender.send(`${label} ${i} from ${sender.name}`)
      ids.push(id)
      senderOf.set(id, sender)
      await log.waitAllDelivered([id], receivers, { except: () => sender, timeout, message: `${label} ${i} from ${sender.name} reaches everyone` })
    }
    log.assertExactlyOnce(ids, receivers, { except: id => senderOf.get(id) })
  } finally {
    log.detach()
  }
  return ids
}

/**
 * Refuses connections between blocked pairs of nodes: every edge of a built topology is a bootstrap
 * address, which its node dials again as soon as the session closes, so a hung-up link would come back.
 */
class Blocklist {
  private readonly pairs = new Set<string>()
  /** Peer ids by node index, filled in once the nodes exist. */
  readonly ids: string[] = []

  block (a: string, b: string): void {
    this.pairs.add(`${a}|${b}`)
    this.pairs.add(`${b}|${a}`)
  }

  gater (index: number): ConnectionGater {
    const deny = async (peer: PeerId): Promise<boolean> => this.pairs.has(`${this.ids[index]}|${peer.toString()}`)
    return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
  }
}

/** A ring whose first broadcasts have pruned it into a spanning tree; returns the one lazy edge. */
async function prunedRing (n: number, blocklist = new Blocklist()): Promise<{ built: BuiltTopology, lazy: { a: number, b: number } }> {
  const topo: Topology = ring(n)
  const built = await buildTopology(topo, { config: fastConfig({ hopLimit: 16 }), createOptions: i => ({ connectionGater: blocklist.gater(i) }) })
  built.nodes.forEach((node, i) => { blocklist.ids[i] = node.peerId })
  await converge(built)
  const nodes = built.nodes
  // A flood around a ring always meets itself: the first broadcast makes a duplicate, which prunes a link.
  await broadcastOneByOne([nodes[0] as OverlayNode], nodes, `${topo.label} warm-up`)
  await waitFor(() => sum(nodes, 'duplicate') > 0 && sum(nodes, 'control') > 0, {
    timeout: 5_000,
    message: () => `the first flood over ${topo.label} meets a duplicate and sends PRUNE (duplicate ${sum(nodes, 'duplicate')}, control ${sum(nodes, 'control')})`
  })
  await waitFor(() => eagerSpanningTree(built), { timeout: 5_000, message: () => `the eager links of ${topo.label} form a spanning tree (${describeLinks(built)})` })
  const lazy = linkStates(built).filter(l => l.state === 'lazy')
  assert.equal(lazy.length, 1, `exactly one link of ${topo.label} was pruned (${describeLinks(built)})`)
  return { built, lazy: lazy[0] as { a: number, b: number } }
}

describe('mesh - broadcast tree', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it('mesh - on a ring the first flood prunes one link, then broadcasts from anyone cost no duplicates', { timeout: 30_000 }, async () => {
    const { built, lazy } = await prunedRing(8)
    const nodes = built.nodes
    const duplicates = sum(nodes, 'duplicate')
    const control = sum(nodes, 'control')

    // Senders all around the ring, on both sides of the lazy link: one shared tree serves them all.
    const senders = [0, 3, 5, 7, 2, 6].map(i => nodes[i] as OverlayNode)
    await broadcastOneByOne(senders, nodes, 'tree')
    assert.equal(sum(nodes, 'duplicate'), duplicates, `no node received a second copy once the tree formed (${describeLinks(built)})`)
    assert.ok(nodes.every(n => n.stats().forged === 0 && n.stats().hopLimit === 0 && n.stats().malformed === 0))

    // The lazy link still hears of every broadcast, as IHAVEs; they name ids already held, so nobody grafts.
    await waitFor(() => sum(nodes, 'control') > control, { timeout: 5_000, message: `the ends of the lazy link ${lazy.a}-${lazy.b} exchange IHAVEs` })
    assert.ok(eagerSpanningTree(built), `the tree did not change (${describeLinks(built)})`)
    assert.deepEqual(linkStates(built).filter(l => l.state !== 'eager').map(l => [l.a, l.b]), [[lazy.a, lazy.b]])
  })

  it('mesh - when a middle node of the tree stops, IHAVE and GRAFT carry the next broadcasts across the lazy link', { timeout: 30_000 }, async () => {
    const n = 6
    const { built, lazy } = await prunedRing(n)
    const nodes = built.nodes
    // The lazy link is x - x+1 (mod n). Node x+3 has two eager links and neither neighbour touches
    // the lazy link, so its neighbours have nothing to re-graft: the rest is the line
    // x+4 - x+5 - x ~ x+1 - x+2, two eager halves joined only by the lazy link.
    const x = (lazy.b === (lazy.a + 1) % n) ? lazy.a : lazy.b
    const at = (k: number): OverlayNode => nodes[(x + k) % n] as OverlayNode
    const victim = at(3)
    const rest = nodes.filter(node => node !== victim)
    assert.ok(treeOf(at(2)).isEager(victim.peerId) && treeOf(at(4)).isEager(victim.peerId), 'both links of the stopped node are tree links')

    await victim.stop()
    await waitFor(() => stateOf(at(2), victim.peerId) === 'left' && stateOf(at(4), victim.peerId) === 'left', { timeout: 5_000, message: `${victim.name}'s neighbours see it leave` })
    assert.ok(!treeOf(at(0)).isEager(at(1).peerId) && !treeOf(at(1)).isEager(at(0).peerId), `the link ${at(0).name} - ${at(1).name} is still lazy`)

    // From one half: x announces it to x+1, which GRAFTs it 500 ms later and passes it on to x+2.
    const controlBefore = at(1).stats().control
    await broadcastOneByOne([at(4)], rest, 'after the stop', 10_000)
    assert.ok(at(1).stats().control > controlBefore, `${at(1).name} heard of the broadcast in an IHAVE`)
    assert.ok(treeOf(at(0)).isEager(at(1).peerId) && treeOf(at(1)).isEager(at(0).peerId), `the GRAFT made ${at(0).name} - ${at(1).name} eager on both ends`)
    // And from the other half, then both again: the repaired tree carries them once each.
    await broadcastOneByOne([at(2), at(5), at(1)], rest, 'repaired', 10_000)
  })

  it('mesh - a hung-up tree link makes its node re-graft its lazy link at once, before any broadcast', { timeout: 30_000 }, async () => {
    const n = 6
    const blocklist = new Blocklist()
    const { built, lazy } = await prunedRing(n, blocklist)
    const nodes = built.nodes
    // The lazy link is x - y. Hang up x's other link (a tree link): x must turn x - y eager by itself.
    const x = nodes[lazy.a] as OverlayNode
    const y = nodes[lazy.b] as OverlayNode
    const otherIndex = (lazy.a + 1) % n === lazy.b ? (lazy.a + n - 1) % n : (lazy.a + 1) % n
    const other = nodes[otherIndex] as OverlayNode
    assert.ok(treeOf(x).isEager(other.peerId), `${x.name} - ${other.name} is a tree link`)
    const duplicates = sum(nodes, 'duplicate')

    const connection = x.libp2p.getConnections().find(c => c.remotePeer.toString() === other.peerId)
    assert.ok(connection !== undefined, `${x.name} has a connection to ${other.name}`)
    blocklist.block(x.peerId, other.peerId)
    await x.libp2p.hangUp(connection.remotePeer)
    await waitFor(() => !x.sessions().some(s => s.peerId === other.peerId) && !other.sessions().some(s => s.peerId === x.peerId), {
      timeout: 5_000,
      message: `the session ${x.name} - ${other.name} closes`
    })
    // No broadcast was sent, so no IHAVE could ask for a GRAFT: only the re-graft on close does this.
    await waitFor(() => treeOf(x).isEager(y.peerId) && treeOf(y).isEager(x.peerId), {
      timeout: 5_000,
      message: `${x.name} re-grafts ${y.name} when its tree link closes (${describeLinks(built)})`
    })

    // The ring is now a line, all of it eager: broadcasts from both ends and the middle arrive once each.
    const senders = [other, x, nodes[(otherIndex + 3) % n] as OverlayNode]
    await broadcastOneByOne(senders, nodes, 'after the hang-up', 10_000)
    assert.equal(sum(nodes, 'duplicate'), duplicates, 'a line makes no duplicates')
    assert.ok(membershipConverged(nodes), `everyone is still alive everywhere (${describeMembership(nodes)})`)
    assert.ok(!x.sessions().some(s => s.peerId === other.peerId), `the link ${x.name} - ${other.name} stayed down: the test saw a line`)
  })

  it('mesh - probes alone keep every member of a line of 6 alive: no HEARTBEAT, no MEMBER frame per period', { timeout: 30_000 }, async () => {
    const PERIOD_MS = 200
    const config = { ...fastConfig(), mesh: { heartbeatMs: PERIOD_MS, suspectAfterMs: 1_500, failAfterMs: 1_000, degree: 1, hopLimit: 16 } }
    const built = await buildTopology(line(6), { config })
    await converge(built)
    const nodes = built.nodes
    const first = nodes[0] as OverlayNode
    const last = nodes[5] as OverlayNode
    const suspects = nodes.map(node => record(node, 'suspect'))

    // An observer at the far end: the last node probes it in turn with its other neighbour.
    const { fake: observer, outcome } = await fakes.join(last, { name: 'observer', token: TEST_TOKEN })
    assert.deepEqual(outcome, { ok: true })
    observer.keepAlive(60_000)
    const probes = (): number => observer.received.filter(f => f.type === 'PROBE').length
    // 8 probes of the observer take about 16 periods (3 s): twice the suspicion window.
    await waitFor(() => probes() >= 8, { timeout: 15_000, message: () => `the observer is probed 8 times (got ${probes()})` })

    for (const s of suspects) s.stop()
    assert.deepEqual(suspects.flatMap((s, i) => s.list.map(e => `${nodes[i]?.name} suspected ${e.name} (${e.reason})`)), [], 'nobody suspected anybody')
    assert.ok(nodes.every(node => nodes.every(other => other === node || stateOf(node, other.peerId) === 'alive')), describeMembership(nodes))
    assert.equal(observer.received.filter(f => f.type === 'HEARTBEAT').length, 0, 'no HEARTBEAT frames')
    const memberFrames = observer.received.filter(f => f.type === 'MEMBER' && f.peerId === first.peerId).length
    assert.ok(memberFrames <= 1, `${first.name} was announced once, not every period (${memberFrames} MEMBER frames)`)
  })

  it('mesh - tree and heartbeat frames about nothing from a hostile client harm neither the node nor delivery', { timeout: 30_000 }, async () => {
    const a = await buildTopology(line(2), { config: fastConfig() })
    const [nodeA, nodeB] = a.nodes as [OverlayNode, OverlayNode]
    await converge(a)
    const { fake: mallory, outcome } = await fakes.join(nodeA, { name: 'mallory', token: TEST_TOKEN })
    assert.deepEqual(outcome, { ok: true })
    mallory.keepAlive(200)
    await waitFor(() => stateOf(nodeB, mallory.peerId) === 'alive', { timeout: 10_000, message: 'b knows mallory' })
    const errors = [record(nodeA, 'error'), record(nodeB, 'error')]
    const suspects = [record(nodeA, 'suspect'), record(nodeB, 'suspect')]
    const controlBefore = nodeA.stats().control

    // 1000 ids nobody has, a GRAFT for ids nobody has, a PRUNE, and heartbeats of members nobody knows.
    const unknownIds = Array.from({ length: 1000 }, () => randomUUID())
    const ghosts = Array.from({ length: 1000 }, (_, i) => `12D3KooWGhost${String(i).padStart(39, '0')}`)
    mallory.send({ type: 'IHAVE', ids: unknownIds })
    mallory.send({ type: 'GRAFT', ids: ['no-such-id', randomUUID()] })
    mallory.send({ type: 'PRUNE' })
    mallory.send({ type: 'HEARTBEAT', beats: ghosts.map((g, i): [string, number, number] => [g, 1, i]) })
    mallory.send({ type: 'HEARTBEAT', beats: [[nodeB.peerId, 1, 1_000_000]] }) // b, but not its incarnation (a clock in ms)

    // a asks the only announcer for the ids it lacks (500 ms after the IHAVE), all in one GRAFT.
    const grafted = await mallory.waitFrame(f => f.type === 'GRAFT' && f.ids.length > 0, 10_000) as GraftFrame
    assert.deepEqual([...grafted.ids].sort(), [...unknownIds].sort(), 'a GRAFTs exactly the announced ids it lacks')

    // Delivery between the real nodes still works, both ways, exactly once.
    await broadcastOneByOne([nodeB, nodeA, nodeB], [nodeA, nodeB], 'after the junk', 10_000)
    assert.equal(nodeA.stats().control - controlBefore, 3, 'a counted the IHAVE, GRAFT and PRUNE')

    // The link is lazy again after a PRUNE: b's next broadcast reaches mallory as an IHAVE (the MSG
    // would have come first on the same stream had it been pushed), and a GRAFT fetches it from a's cache.
    mallory.send({ type: 'PRUNE' })
    const seenBefore = mallory.received.length
    const { id } = await nodeB.send('for the lazy link')
    const ihave = await mallory.waitFrame(f => f.type === 'IHAVE' && f.ids.includes(id), 10_000) as IHaveFrame
    assert.ok(ihave.ids.includes(id))
    const msgsOf = (msgId: string): Frame[] => mallory.received.filter(f => f.type === 'MSG' && f.id === msgId)
    assert.equal(msgsOf(id).length, 0, 'a lazy link gets the id, not the message')
    assert.ok(mallory.received.length > seenBefore)
    mallory.send({ type: 'GRAFT', ids: [id] })
    const fetched = await mallory.waitFrame(f => f.type === 'MSG' && f.id === id, 10_000) as MsgFrame
    assert.equal(fetched.text, 'for the lazy link')
    assert.equal(fetched.origin, nodeB.peerId)
    // Grafted: the next broadcast is pushed again.
    const { id: next } = await nodeB.send('pushed again')
    await mallory.waitFrame(f => f.type === 'MSG' && f.id === next, 10_000)

    assert.equal(nodeA.fatalError, undefined)
    assert.equal(nodeB.fatalError, undefined)
    assert.deepEqual(errors.flatMap(e => e.list), [], 'no error events')
    assert.deepEqual(suspects.flatMap(e => e.list), [], 'the heartbeat with a wrong incarnation silenced nobody')
    assert.ok(mallory.received.every(f => f.type !== 'ERR'), 'mallory was not refused')
    assert.deepEqual(nodeA.sessions().map(s => s.name).sort(), ['mallory', nodeB.name].sort(), 'a keeps both sessions')
    for (const node of [nodeA, nodeB]) {
      assert.ok(node.members().every(m => !m.peerId.startsWith('12D3KooWGhost')), `${node.name} did not learn of any ghost`)
      assert.equal(stateOf(node, mallory.peerId), 'alive')
    }
    assert.equal(stateOf(nodeA, nodeB.peerId), 'alive')
    assert.equal(nodeB.stats().control, 0, 'no tree frame reached b: a line of two has no lazy link, and junk is not passed on')
  })
})
