/**
 * Ids that end up in HEARTBEAT, IHAVE and GRAFT lists (MEMBER peerId, MSG and ACK id) must be 1-128
 * characters, like the lists themselves allow. A peer that sends a longer one has that frame refused
 * (bad_frame, its own session closes); before this rule the ids were stored and passed on in lists
 * every neighbour refused, so one client could cut the sessions between honest nodes again and again.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { trackDeliveries } from '../../helpers/delivery.ts'
import { buildTopology, describeMembership, edgesUp, line, membershipConverged, ring } from '../../helpers/topology.ts'
import { FakeTracker } from '../../helpers/fake-member.ts'
import { fastConfig, record } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { BuiltTopology } from '../../helpers/topology.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { Mesh } from '../../../src/mesh/mesh.ts'
import type { Roster } from '../../../src/mesh/roster.ts'

const fakes = new FakeTracker()
const LONG = 129

type TreeView = Mesh['tree']

function meshOf (node: OverlayNode): { roster: Roster, tree: TreeView } {
  const mesh = (node as unknown as { mesh?: { roster?: Roster, tree?: TreeView } }).mesh
  assert.ok(mesh?.roster !== undefined && mesh.tree !== undefined, 'OverlayNode.mesh.roster / tree exist (src changed: update this test)')
  return mesh as { roster: Roster, tree: TreeView }
}

async function converge (built: BuiltTopology): Promise<void> {
  await waitFor(() => edgesUp(built) && membershipConverged(built.nodes), { timeout: 15_000, message: () => `${built.topology.label} converges (${describeMembership(built.nodes)})` })
}

/** Session closes between the given real nodes, as "a - b (reason)". */
function watchCloses (nodes: OverlayNode[]): { list: string[], stop: () => void } {
  const ids = new Map(nodes.map(n => [n.peerId, n.name]))
  const recs = nodes.map(n => ({ n, r: record(n, 'session') }))
  return {
    get list () { return recs.flatMap(({ n, r }) => r.list.filter(e => e.action === 'close' && ids.has(e.peerId)).map(e => `${n.name} - ${ids.get(e.peerId)} (${e.reason ?? '?'})`)) },
    stop: () => { for (const { r } of recs) r.stop() }
  }
}

describe('mesh - over-long ids', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it(`mesh - a member with a ${LONG}-character peer id harms no session between honest nodes`, { timeout: 30_000 }, async () => {
    const built = await buildTopology(line(3), { config: fastConfig() })
    await converge(built)
    const [first, middle, last] = built.nodes as [OverlayNode, OverlayNode, OverlayNode]
    const closes = watchCloses(built.nodes)
    const { fake: mallory, outcome } = await fakes.join(middle, { name: 'mallory', token: TEST_TOKEN })
    assert.deepEqual(outcome, { ok: true })
    mallory.keepAlive(200)

    // A member with a 129-character peer id, then one plain heartbeat of it: both refused.
    const ghost = 'G'.repeat(LONG)
    const inc = Date.now()
    mallory.send({ type: 'MEMBER', peerId: ghost, name: 'ghost', state: 'alive', inc, seq: 0, addrs: [], mode: 'peer', hops: 0 })
    mallory.send({ type: 'MEMBER', peerId: ghost, name: 'ghost', state: 'alive', inc, seq: 1, addrs: [], mode: 'peer', hops: 0 })
    const fence = mallory.signedMsg('fence')
    mallory.send(fence)
    const log = trackDeliveries([middle])
    await waitFor(() => log.count(middle, fence.id as string) === 1 || !middle.sessions().some(s => s.peerId === mallory.peerId), { timeout: 10_000, message: 'the middle node handled the ghost frames' })

    // The honest nodes keep probing each other (PROBE/PROBEACK), and no session between them closes.
    const probesNow = last.stats().probes + first.stats().probes
    await waitFor(() => closes.list.length > 0 || last.stats().probes + first.stats().probes >= probesNow + 4, {
      timeout: 10_000,
      message: () => `${first.name} and ${last.name} send four more probes`
    })
    closes.stop()
    assert.deepEqual(closes.list, [], 'no session between honest nodes closes because of the ghost')
  })

  it(`mesh - a broadcast with a ${LONG}-character id does not get the IHAVE on a lazy link refused`, { timeout: 30_000 }, async () => {
    // A ring of 5 pruned by a broadcast from node 0 (signed: not every member is its neighbour).
    const built = await buildTopology(ring(5), { config: fastConfig({ hopLimit: 16 }) })
    await converge(built)
    const zero = built.nodes[0] as OverlayNode
    const warm = trackDeliveries(built.nodes)
    const { id } = await zero.send('warm-up')
    await warm.waitAllDelivered([id], built.nodes, { except: () => zero })
    const lazyEnds = (): [OverlayNode, OverlayNode] | undefined => {
      for (const [a, b] of built.topology.edges) {
        const na = built.nodes[a] as OverlayNode
        const nb = built.nodes[b] as OverlayNode
        if (!meshOf(na).tree.isEager(nb.peerId) && !meshOf(nb).tree.isEager(na.peerId)) return [na, nb]
      }
      return undefined
    }
    await waitFor(() => lazyEnds() !== undefined, { timeout: 5_000, message: 'the first flood prunes a link of the ring' })
    const [one, two] = lazyEnds() as [OverlayNode, OverlayNode]

    const { fake: mallory, outcome } = await fakes.join(zero, { name: 'mallory', token: TEST_TOKEN })
    assert.deepEqual(outcome, { ok: true })
    mallory.keepAlive(200)
    const closes = watchCloses(built.nodes)
    const controlBefore = one.stats().control + two.stats().control
    // Validly signed by mallory, but the id is one character too long.
    const msg = mallory.signedMsg('long id', { id: 'i'.repeat(LONG) })
    const log = trackDeliveries(built.nodes)
    mallory.send(msg)
    await waitFor(() => !zero.sessions().some(s => s.peerId === mallory.peerId), { timeout: 10_000, message: 'the frame with the long id is refused and its sender dropped' })
    // The next broadcast still crosses the ring, and the lazy link still carries its IHAVE.
    const next = await zero.send('after')
    await log.waitAllDelivered([next.id], built.nodes, { except: () => zero })
    await waitFor(() => closes.list.length > 0 || one.stats().control + two.stats().control > controlBefore, {
      timeout: 10_000,
      message: () => `an IHAVE crosses the lazy link ${one.name} - ${two.name}`
    })
    closes.stop()
    assert.deepEqual(closes.list, [], 'no session between honest nodes closes because of the id')
    assert.equal(built.nodes.reduce((n, node) => n + log.count(node, msg.id as string), 0), 0, 'the long-id message was never delivered')
  })
})
