/**
 * The mesh driven through fake links (sim/network.ts) on virtual time: no sockets, no wall clock,
 * and only public API (links, roster, members, stats, events).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SimNet } from '../../../sim/network.ts'
import type { SimNode } from '../../../sim/network.ts'
import type { OverlayEvent } from '../../../src/events.ts'

const CONFIG = { degree: 3, heartbeatMs: 1_000, suspectAfterMs: 2_500, failAfterMs: 1_500, hopLimit: 16, directTimeoutMs: 5_000, seenTtlMs: 120_000 }

async function mesh (n: number, seed = 7, events?: Array<{ node: string, e: OverlayEvent }>): Promise<SimNet> {
  const net = new SimNet({ seed, config: CONFIG, latencyMs: [1, 5], loss: 0, onEvent: (node, e) => { events?.push({ node: node.name, e }) } })
  await net.addNode()
  for (let i = 1; i < n; i++) await net.addNode([net.nodes[i - 1] as SimNode])
  net.clock.runUntil(net.clock.now() + 10_000)
  return net
}

const stateAt = (node: SimNode, peerId: string): string | undefined => node.mesh.members().find(m => m.peerId === peerId)?.state

describe('mesh (fake links)', () => {
  it('mesh - nodes joined in a line learn every member and open degree links each', async () => {
    const net = await mesh(12)
    for (const n of net.nodes) {
      assert.equal(n.mesh.roster.present().length, 11, `${n.name} knows the 11 others`)
      assert.ok(n.mesh.links.size >= CONFIG.degree, `${n.name} holds ${n.mesh.links.size} links`)
    }
  })

  it('mesh - a crashed member is failed on every live node, and a leaving one is left', async () => {
    const events: Array<{ node: string, e: OverlayEvent }> = []
    const net = await mesh(10, 3, events)
    const [victim, leaver] = [net.nodes[4] as SimNode, net.nodes[7] as SimNode]
    net.crash(victim)
    net.leave(leaver)
    net.clock.runUntil(net.clock.now() + 8_000)
    for (const n of net.live()) {
      assert.equal(stateAt(n, victim.peerId), 'failed', `${n.name} sees ${victim.name} failed`)
      assert.equal(stateAt(n, leaver.peerId), 'left', `${n.name} sees ${leaver.name} left`)
    }
    assert.ok(events.some(x => x.e.type === 'left' && x.e.peerId === leaver.peerId && x.e.reason === 'exit'))
  })

  it('mesh - a member that missed a join learns it by anti-entropy (DIGEST, then the rosters)', async () => {
    const net = await mesh(8, 11)
    const deaf = net.nodes[3] as SimNode
    let hearing = false
    // While it joins, `deaf` loses every frame about the newcomer.
    net.opts = { ...net.opts, deliverIf: (_from, to, f) => hearing || to !== deaf || f.type !== 'MEMBER' || f.peerId !== newcomer.peerId }
    const newcomer = await net.addNode([net.nodes[0] as SimNode])
    net.clock.runUntil(net.clock.now() + 3_000)
    assert.equal(stateAt(deaf, newcomer.peerId), undefined, 'deaf missed the join')
    hearing = true
    net.clock.runUntil(net.clock.now() + 65_000)
    assert.equal(stateAt(deaf, newcomer.peerId), 'alive', 'deaf knows the newcomer now')
    assert.ok(net.nodes.reduce((n, x) => n + x.mesh.stats.syncs, 0) > 0, 'a DIGEST mismatch made someone send its roster')
  })

  it('mesh - each side of a partition marks the other failed, and all are alive again after it heals', async () => {
    // Seed 3: a member with no session across the cut is found failed only through a route learned
    // over a cut link; in some topologies (4 of seeds 1-10 today) none exists (docs/SCALE.md, "Partitions").
    const net = await mesh(12, 3)
    const [left, right] = [net.nodes.slice(0, 6), net.nodes.slice(6)]
    net.partition([left, right])
    net.clock.runUntil(net.clock.now() + 15_000)
    for (const [mine, theirs] of [[left, right], [right, left]] as const) {
      for (const n of mine) {
        for (const o of theirs) assert.equal(stateAt(n, o.peerId), 'failed', `${n.name} sees ${o.name} failed`)
        for (const o of mine) if (o !== n) assert.equal(stateAt(n, o.peerId), 'alive', `${n.name} still sees ${o.name} alive`)
      }
    }
    net.heal()
    net.clock.runUntil(net.clock.now() + 30_000)
    for (const n of net.nodes) for (const o of net.nodes) if (o !== n) assert.equal(stateAt(n, o.peerId), 'alive', `${n.name} sees ${o.name} alive after the heal`)
  })

  it('mesh - DIGEST floods from one peer get one roster back per half anti-entropy period (syncs, syncLimited)', async () => {
    const net = await mesh(6, 13)
    const node = net.nodes[2] as SimNode
    const link = [...node.mesh.links.values()][0]
    assert.ok(link !== undefined)
    const sent = (): number => node.sent.frames
    const before = { syncs: node.mesh.stats.syncs, limited: node.mesh.stats.syncLimited, frames: sent() }
    for (let i = 0; i < 5; i++) node.mesh.onFrame(link, { type: 'DIGEST', h: `not-a-match-${i}` })
    assert.equal(node.mesh.stats.syncs - before.syncs, 1, 'one roster sent')
    assert.equal(node.mesh.stats.syncLimited - before.limited, 4, 'four held back')
    assert.equal(sent() - before.frames, 1 + 5 + 5, 'one roster (its claim and the 5 others), and a digest in reply to each')
  })

  it('mesh - a node that stalls 3 s accuses nobody: its late probe timers are waited again (probeStalls), and nobody fails', async () => {
    const events: Array<{ node: string, e: OverlayEvent }> = []
    const net = await mesh(8, 5, events)
    const slow = net.nodes[3] as SimNode
    for (let i = 0; i < 5; i++) {
      net.stall(slow, 3_000)
      net.clock.runUntil(net.clock.now() + 10_000)
    }
    assert.ok(slow.mesh.stats.probeStalls > 0, 'the stalled node saw its own stalls')
    const accusedBySlow = events.filter(x => x.node === slow.name && x.e.type === 'suspect' && x.e.reason === 'silent')
    assert.deepEqual(accusedBySlow, [], 'it suspected nobody')
    assert.deepEqual(events.filter(x => x.e.type === 'failed'), [], 'nobody failed')
  })

  it('mesh - a broadcast reaches every node once', async () => {
    const events: Array<{ node: string, e: OverlayEvent }> = []
    const net = await mesh(10, 5, events)
    const from = net.nodes[0] as SimNode
    const sent = from.mesh.broadcast('hello')
    net.clock.runUntil(net.clock.now() + 2_000)
    const got = events.filter(x => x.e.type === 'message' && x.e.id === sent.id).map(x => x.node).sort()
    assert.deepEqual(got, net.nodes.slice(1).map(n => n.name).sort())
  })
})
