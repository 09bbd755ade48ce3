/**
 * A network partition and its healing. A test-only connection gater (createOverlayNode's
 * `connectionGater` option) refuses every connection across the cut while `partitioned` is set, and
 * the cross connections are hung up. Each side must declare the other failed; once the cut heals,
 * nodes re-dial failed members (no bootstrap address crosses the cut, so nothing else can), membership
 * reconverges and broadcasts cross again, exactly once.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, it } from 'node:test'
import { loopbackAddr, stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { buildTopology, describeMembership, edgesUp, membershipConverged, ring } from '../../helpers/topology.ts'
import { DETECTION_MS, fastConfig, record, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { BuiltTopology } from '../../helpers/topology.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { ConnectionGater, PeerId, PrivateKey } from '@libp2p/interface'

const LEFT = new Set([0, 1, 2])
/** Cross edges, opened by hand (not bootstrap addresses), so only the mesh's own healing can restore them. */
const CROSS: Array<[number, number]> = [[0, 3], [2, 5]]

/** A cut between two sets of peer ids: while `partitioned`, nobody dials or accepts across it. */
class Cut {
  partitioned = false
  private readonly side = new Map<string, 'left' | 'right'>()

  assign (peerId: string, side: 'left' | 'right'): void { this.side.set(peerId, side) }

  across (a: string, b: string): boolean {
    const sa = this.side.get(a)
    const sb = this.side.get(b)
    return sa !== undefined && sb !== undefined && sa !== sb
  }

  /** The gater for the node `self`. */
  gater (self: string): ConnectionGater {
    const deny = async (peer: PeerId): Promise<boolean> => this.partitioned && this.across(self, peer.toString())
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny
    }
  }
}

describe('mesh - partition', () => {
  afterEach(stopAll)

  it('mesh - each side of a partition declares the other failed, and the mesh reconverges when it heals', { timeout: 60_000 }, async () => {
    const keys: PrivateKey[] = await Promise.all(Array.from({ length: 6 }, async () => await generateKeyPair('Ed25519')))
    const cut = new Cut()
    keys.forEach((k, i) => { cut.assign(peerIdFromPrivateKey(k).toString(), LEFT.has(i) ? 'left' : 'right') })
    // Two triangles, {L0, L1, L2} and {R3, R4, R5}, each built from its own bootstrap lists.
    const side = async (offset: number): Promise<BuiltTopology> => await buildTopology(ring(3), {
      config: fastConfig({ degree: 2 }),
      name: i => `${offset === 0 ? 'L' : 'R'}${i + offset}`,
      createOptions: i => {
        const privateKey = keys[i + offset] as PrivateKey
        return { privateKey, connectionGater: cut.gater(peerIdFromPrivateKey(privateKey).toString()) }
      }
    })
    const leftSide = await side(0)
    const rightSide = await side(3)
    const left = leftSide.nodes
    const right = rightSide.nodes
    const nodes = [...left, ...right]
    await waitFor(() => edgesUp(leftSide) && edgesUp(rightSide), { timeout: 10_000, message: 'both triangles are up' })
    // Join them with two cross sessions that no bootstrap list names: after the cut, only the
    // periodic re-dial of failed members (peer exchange's healing) can bring them back.
    for (const [l, r] of CROSS) {
      await (nodes[l] as OverlayNode).openSession(multiaddr(loopbackAddr(nodes[r] as OverlayNode)), AbortSignal.timeout(5_000))
    }
    await waitFor(() => membershipConverged(nodes), { timeout: 10_000, message: () => `the joined mesh converges (${describeMembership(nodes)})` })

    // Cut: refuse new connections across, and hang up the ones that exist.
    const failed = nodes.map(n => record(n, 'failed'))
    cut.partitioned = true
    for (const l of left) {
      for (const r of right) await l.libp2p.hangUp(peerIdFromString(r.peerId))
    }
    assert.ok(left.every(l => l.sessions().every(s => !right.some(r => r.peerId === s.peerId))), 'no session crosses the cut')

    const sidesFailed = (): boolean => nodes.every((n, i) => {
      const otherSide = LEFT.has(i) ? right : left
      return otherSide.every(o => failed[i]?.list.some(e => e.peerId === o.peerId) === true && stateOf(n, o.peerId) === 'failed')
    })
    await waitFor(sidesFailed, {
      timeout: DETECTION_MS + 5_000,
      message: () => `each side declares the other failed (${describeMembership(nodes)})`
    })
    // Each side is still a healthy mesh of its own.
    assert.ok(membershipConverged(left), describeMembership(left))
    assert.ok(membershipConverged(right), describeMembership(right))
    assert.ok(left.every(l => l.sessions().every(s => !right.some(r => r.peerId === s.peerId))), 'the gater kept the cut closed')
    nodes.forEach((n, i) => {
      const own = LEFT.has(i) ? left : right
      assert.ok(own.every(o => o === n || failed[i]?.list.every(e => e.peerId !== o.peerId)), `${n.name} declared nobody on its own side failed`)
    })

    // Heal: failed members with addresses get re-dialled; incarnations settle who is alive.
    cut.partitioned = false
    await waitFor(() => membershipConverged(nodes) && left.some(l => l.sessions().some(s => right.some(r => r.peerId === s.peerId))), {
      timeout: 15_000,
      message: () => `membership reconverges after the partition heals (${describeMembership(nodes)})`
    })

    const log = trackDeliveries(nodes)
    const { ids, senderOf } = await broadcastFrom([nodes[1], nodes[4]] as OverlayNode[], 'after healing', 2)
    await log.waitAllDelivered(ids, nodes, { except: senderOf, timeout: 10_000, message: 'broadcasts cross the healed cut' })
    log.assertExactlyOnce(ids, nodes, { except: senderOf })
  })
})
