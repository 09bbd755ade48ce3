/**
 * The node everyone bootstrapped from leaves for good: the mesh it seeded must not depend on it.
 * Peers all bootstrap to one node and find each other by peer exchange (degree 4); once the seed
 * leaves, the rest stay one mesh, agree it left, and keep delivering broadcasts exactly once.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { loopbackAddr, startNode, stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { describeMembership, membershipConverged, sessionGraphConnected } from '../../helpers/topology.ts'
import { fastConfig, record, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { OverlayNode } from '../../../src/index.ts'

const PEERS = 7
const DEGREE = 4

describe('mesh - bootstrap node leaves', () => {
  afterEach(stopAll)

  it('mesh - when the bootstrap node leaves, the rest stay connected and keep delivering exactly once', { timeout: 45_000 }, async () => {
    const seed = await startNode({ ...fastConfig({ degree: DEGREE }), mode: 'peer', name: 'seed' })
    const peers: OverlayNode[] = []
    for (let i = 0; i < PEERS; i++) {
      peers.push(await startNode({ ...fastConfig({ degree: DEGREE }), mode: 'peer', name: `p${i}`, bootstrap: [loopbackAddr(seed)] }))
    }
    const all = [seed, ...peers]
    // Every peer reaches the degree through exchange, so the mesh minus the seed is connected:
    // each of its components would need more than DEGREE - 1 other members, and there are only PEERS.
    await waitFor(() => membershipConverged(all) && peers.every(p => p.sessions().length >= DEGREE) && sessionGraphConnected(peers), {
      timeout: 15_000,
      message: () => `peer exchange builds a mesh that does not need the seed (${describeMembership(all)}; sessions ${peers.map(p => p.sessions().length).join(',')})`
    })
    assert.ok(peers.every(p => p.sessions().some(s => s.peerId === seed.peerId)), 'every peer still holds its bootstrap session')

    const left = peers.map(p => record(p, 'left'))
    await seed.stop()

    await waitFor(() => peers.every(p => stateOf(p, seed.peerId) === 'left'), {
      timeout: 5_000,
      message: () => `every peer sees ${seed.name} left (${peers.map(p => stateOf(p, seed.peerId)).join(',')})`
    })
    peers.forEach((p, i) => {
      assert.deepEqual(left[i]?.list.filter(e => e.peerId === seed.peerId).map(e => e.reason), ['exit'], `${p.name}: ${seed.name} left (exit) once`)
    })
    assert.ok(sessionGraphConnected(peers), 'the peers are still one mesh without the seed')
    await waitFor(() => membershipConverged(peers), { timeout: 5_000, message: () => `membership without the seed (${describeMembership(peers)})` })

    const log = trackDeliveries(all)
    const { ids, senderOf } = await broadcastFrom([peers[0], peers[3], peers[6]] as OverlayNode[], 'after the seed left', 2)
    await log.waitAllDelivered(ids, peers, { except: senderOf, timeout: 10_000 })
    // The stopped seed is outside `peers`, so a delivery there would fail this too.
    log.assertExactlyOnce(ids, peers, { except: senderOf })
    assert.ok(peers.every(p => p.fatalError === undefined), 'no peer stopped itself after losing its bootstrap node')
    // Nobody lost a member other than the seed.
    assert.ok(left.every(l => l.list.every(e => e.peerId === seed.peerId)), 'only the seed left')
  })
})
