/**
 * Membership convergence and exactly-once broadcast over hand-built topologies: a line, a ring, a
 * random sparse graph of 32 peers and a star of meshed hubs with leaves. Degree 1 keeps peer
 * exchange from adding edges, so broadcasts really cross multi-hop paths.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { adjacency, buildTopology, describeMembership, diameter, edgesUp, line, membershipConverged, randomSparse, ring, starOfHubs } from '../../helpers/topology.ts'
import { fastConfig } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { BuildOptions, BuiltTopology, Topology } from '../../helpers/topology.ts'
import type { OverlayNode } from '../../../src/index.ts'

async function converge (built: BuiltTopology, timeout: number): Promise<void> {
  await waitFor(() => edgesUp(built), { timeout, message: () => `every edge of ${built.topology.label} is a session` })
  await waitFor(() => membershipConverged(built.nodes), {
    timeout,
    message: () => `membership of ${built.topology.label} converges (${describeMembership(built.nodes)})`
  })
}

/** Each node holds sessions exactly along its topology edges: peer exchange added nothing. */
function assertExactEdges (built: BuiltTopology): void {
  const adj = adjacency(built.topology)
  built.nodes.forEach((node, i) => {
    const want = (adj[i] ?? []).map(j => (built.nodes[j] as OverlayNode).peerId).sort()
    assert.deepEqual(node.sessions().map(s => s.peerId).sort(), want, `${node.name}'s sessions are its ${built.topology.label} edges`)
  })
}

async function broadcastExactlyOnce (built: BuiltTopology, senders: OverlayNode[], rounds: number, timeout: number): Promise<void> {
  const log = trackDeliveries(built.nodes)
  const { ids, senderOf } = await broadcastFrom(senders, built.topology.label, rounds)
  await log.waitAllDelivered(ids, built.nodes, { except: senderOf, timeout, message: `broadcasts over ${built.topology.label}` })
  log.assertExactlyOnce(ids, built.nodes, { except: senderOf })
  const duplicates = built.nodes.reduce((n, node) => n + node.stats().duplicate, 0)
  assert.ok(built.nodes.every(n => n.stats().forged === 0 && n.stats().hopLimit === 0), 'no frame was dropped as forged or over the hop limit')
  log.detach()
  // On a graph with cycles, flooding always brings some node a second copy: the seen cache must drop it.
  if (built.topology.edges.length >= built.topology.size) assert.ok(duplicates > 0, `a topology with cycles (${built.topology.label}) makes relays meet duplicates`)
}

/**
 * A hop limit no path can exceed (a simple path has fewer than `size` hops). Flooding relays the
 * first copy to arrive, which under load may have taken a long way round, so a limit fitted to the
 * diameter could drop frames by timing alone.
 */
const noHopLimit = (topo: Topology): number => Math.max(16, topo.size + 2, diameter(topo))

async function build (topo: Topology, options: BuildOptions = {}): Promise<BuiltTopology> {
  return await buildTopology(topo, { config: fastConfig({ hopLimit: noHopLimit(topo) }), ...options })
}

describe('mesh - topologies', () => {
  afterEach(stopAll)

  it('mesh - a line of 8 peers converges and delivers every broadcast exactly once', { timeout: 60_000 }, async () => {
    const built = await build(line(8))
    await converge(built, 15_000)
    assertExactEdges(built)
    const [first, , , middle, , , , last] = built.nodes as [OverlayNode, OverlayNode, OverlayNode, OverlayNode, OverlayNode, OverlayNode, OverlayNode, OverlayNode]
    await broadcastExactlyOnce(built, [first, middle, last], 2, 10_000)
    assertExactEdges(built)
  })

  it('mesh - a ring of 10 peers converges and delivers every broadcast exactly once', { timeout: 60_000 }, async () => {
    const built = await build(ring(10))
    await converge(built, 15_000)
    assertExactEdges(built)
    const senders = [0, 3, 7].map(i => built.nodes[i] as OverlayNode)
    await broadcastExactlyOnce(built, senders, 2, 10_000)
    assertExactEdges(built)
  })

  it('mesh - a random sparse graph of 32 peers converges and delivers every broadcast exactly once', { timeout: 90_000 }, async () => {
    const topo = randomSparse(32, 0x5eed)
    assert.equal(topo.edges.length, 48)
    // Many nodes in one process on two cores: slower heartbeats keep the event loop from lagging into false suspicion.
    const built = await buildTopology(topo, {
      config: { ...fastConfig(), mesh: { heartbeatMs: 500, suspectAfterMs: 4_000, failAfterMs: 2_000, degree: 1, hopLimit: noHopLimit(topo) } }
    })
    await converge(built, 30_000)
    assertExactEdges(built)
    const senders = [0, 9, 17, 31].map(i => built.nodes[i] as OverlayNode)
    await broadcastExactlyOnce(built, senders, 2, 15_000)
  })

  it('mesh - a star of 3 meshed hubs with 3 leaves each converges and delivers every broadcast exactly once', { timeout: 60_000 }, async () => {
    const topo = starOfHubs(3, 3)
    const built = await build(topo, { roleConfig: { hub: { mesh: { degree: 2 } } } })
    await converge(built, 15_000)
    assertExactEdges(built)
    const hubs = built.nodes.slice(0, 3)
    const leaves = built.nodes.slice(3)
    assert.ok(leaves.every(l => l.sessions().length === 1 && l.sessions()[0]?.mode === 'hub'), 'each leaf holds one session, to a hub')
    // A leaf on each hub and one hub send; every other node (hubs and leaves) delivers once.
    const senders = [leaves[0], leaves[4], leaves[8], hubs[1]] as OverlayNode[]
    await broadcastExactlyOnce(built, senders, 2, 10_000)
  })
})
