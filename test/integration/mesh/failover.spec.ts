/**
 * Hub failover for leaves: a leaf that knows two meshed hubs moves to the second when its hub goes
 * away (a clean stop, or a crash), keeps its name, and its broadcasts keep reaching a leaf on the
 * other hub exactly once.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { loopbackAddr, startNode, stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { describeMembership, membershipConverged } from '../../helpers/topology.ts'
import { crash, DETECTION_MS, fastConfig, record, stateOf, waitState } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { OverlayNode } from '../../../src/index.ts'

const holds = (node: OverlayNode, other: OverlayNode): boolean => node.sessions().some(s => s.peerId === other.peerId)

for (const how of ['stop', 'crash'] as const) {
  describe(`mesh - leaf failover (${how})`, () => {
    afterEach(stopAll)

    it(`mesh - a leaf whose hub goes away (${how}) moves to the other hub, keeps its name and keeps reaching leaves there`, { timeout: 30_000 }, async () => {
      const hub1 = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub1' })
      const hub2 = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub2', bootstrap: [loopbackAddr(hub1)] })
      const leafA = await startNode({ ...fastConfig(), mode: 'leaf', name: 'leafA', bootstrap: [loopbackAddr(hub1), loopbackAddr(hub2)] })
      const leafB = await startNode({ ...fastConfig(), mode: 'leaf', name: 'leafB', bootstrap: [loopbackAddr(hub2)] })
      const all = [hub1, hub2, leafA, leafB]
      await waitFor(() => holds(hub1, hub2) && holds(leafA, hub1) && holds(leafB, hub2) && membershipConverged(all), {
        timeout: 10_000,
        message: () => `two hubs, a leaf on each (${describeMembership(all)})`
      })
      assert.deepEqual(leafA.sessions().map(s => s.name), ['hub1'], 'leafA starts on its first hub only')

      const log = trackDeliveries(all)
      const before = await broadcastFrom([leafA], 'before failover')
      await log.waitAllDelivered(before.ids, all, { except: before.senderOf })

      const leafErrors = record(leafA, 'error')
      const bLeft = record(leafB, 'left')
      if (how === 'stop') await hub1.stop()
      else await crash(hub1)

      await waitFor(() => holds(leafA, hub2) && holds(hub2, leafA), { timeout: 10_000, message: 'leafA fails over to hub2' })
      assert.deepEqual(leafA.sessions().map(s => s.name), ['hub2'], 'a leaf holds one upstream at a time')
      assert.equal(leafA.name, 'leafA')
      assert.equal(leafA.fatalError, undefined, 'the leaf did not give up')
      assert.deepEqual(leafErrors.list.filter(e => e.code === 'name_taken'), [], 'the leaf kept its name: hub2 took it back under it')
      assert.equal(hub2.sessions().find(s => s.peerId === leafA.peerId)?.name, 'leafA')

      const survivors = [hub2, leafA, leafB]
      // hub1 is gone (left on a clean stop, failed after a crash); leafA is alive for everyone still here.
      await waitState([hub2, leafB], leafA, 'alive', 5_000)
      await waitState([hub2, leafA, leafB], hub1, how === 'stop' ? 'left' : 'failed', DETECTION_MS + 5_000)
      assert.ok(membershipConverged(survivors), describeMembership(survivors))

      const after = await broadcastFrom([leafA], 'after failover', 3)
      const back = await broadcastFrom([leafB], 'reply after failover')
      const ids = [...after.ids, ...back.ids]
      const senderOf = (id: string): OverlayNode | string | undefined => after.senderOf(id) ?? back.senderOf(id)
      await log.waitAllDelivered(ids, survivors, { except: senderOf, timeout: 10_000, message: 'messages cross hub2 after the failover' })
      log.assertExactlyOnce(ids, survivors, { except: senderOf })
      log.assertExactlyOnce(before.ids, all, { except: before.senderOf })
      assert.equal(stateOf(leafB, leafA.peerId), 'alive')
      assert.deepEqual(bLeft.list.filter(e => e.peerId === leafA.peerId), [], 'leafB never saw leafA leave')
    })
  })
}
