/**
 * Hostile peers: silent streams and sockets. Raw TCP sockets that never start a handshake, libp2p
 * connections that never open a stream, and text streams that never say AUTH, all from 127.0.0.2.
 * The hub must cut each of them (the stalled handshake after a few seconds, the rest after the auth
 * deadline) while a newcomer from another address still gets in at once.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll } from '../helpers/create-nodes.ts'
import { attackerIp, bareConnections, destroyAll, joinedTextClient, openArena, rawSockets, stopClients, underAttack } from '../helpers/hostile.ts'
import { cameTrue } from '../helpers/wait-for.ts'
import { createTextClient } from '../helpers/text-client.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const AUTH_MS = 2_000
/** "An upgrade timeout of a few seconds": a handshake that has not finished by then is cut. */
const UPGRADE_CUT_MS = 8_000

describe('hostile silent', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - silent sockets, bare connections and mute streams are cut; a newcomer still gets in', async (t) => {
    const arena = await openArena(cli, { OVERLAY_TIMEOUTS_AUTH_MS: String(AUTH_MS) })
    const ip = attackerIp(2)
    const report = await underAttack(arena, 'silent streams and sockets', async ({ signal, expect }) => {
      // Mute streams first: a per-IP cap may refuse later connections, and only connected ones can be mute.
      const mute: TextClient[] = (await Promise.allSettled(Array.from({ length: 20 }, async () => {
        const c = await createTextClient({ localAddress: ip })
        return await c.connect(arena.addr)
      }))).flatMap(r => r.status === 'fulfilled' ? [r.value] : [])
      const bare = await bareConnections(arena.addr, 50, ip, signal)
      const raws = await rawSockets(arena.port, 200, ip, signal)
      try {
        const t0 = Date.now()
        const newcomer = await joinedTextClient(arena.addr, 'newcomer', '127.0.0.1')
        expect(Date.now() - t0 < 2_000, `a newcomer took ${Date.now() - t0} ms to join while the silent ones held`)
        await newcomer.stop()

        const muteCut = await cameTrue(() => mute.every(c => c.stream.status !== 'open'), { timeout: AUTH_MS + 3_000 })
        expect(muteCut, `mute text streams were closed within ${AUTH_MS + 3_000} ms (${mute.filter(c => c.stream.status === 'open').length} of ${mute.length} still open)`)
        const bareCut = await cameTrue(() => bare.every(c => c.node.getConnections().length === 0), { timeout: AUTH_MS + 3_000 })
        expect(bareCut, `connections without a stream were closed within ${AUTH_MS + 3_000} ms of the auth deadline (${bare.filter(c => c.node.getConnections().length > 0).length} of ${bare.length} still open)`)
        // Waits past the bound (15 s), so the report says how long they really held.
        await cameTrue(() => raws.every(r => r.closedAt !== undefined), { timeout: 15_000 })
        const slowest = Math.max(...raws.map(r => (r.closedAt ?? Date.now()) - r.openedAt))
        expect(slowest <= UPGRADE_CUT_MS, `raw sockets that never start a handshake were cut within ${UPGRADE_CUT_MS} ms (${raws.filter(r => r.closedAt === undefined).length} of ${raws.length} still open; the last held ${slowest} ms)`)
      } finally {
        destroyAll(raws)
        await stopClients([...bare, ...mute])
      }
    }, { timeoutMs: 40_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
