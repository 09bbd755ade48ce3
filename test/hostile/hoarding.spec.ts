/**
 * Hostile peers: connection hoarding. From 127.0.0.3, more libp2p connections than the hub's
 * maxConnections (that never open a stream), then more raw sockets than its pending-connection
 * limit (that never start a handshake). Under each hoard a client from another address must still
 * connect and join at once: per-IP caps keep one address from taking every slot.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll } from '../helpers/create-nodes.ts'
import { attackerIp, bareConnections, destroyAll, joinedTextClient, openArena, rawSockets, stopClients, underAttack, why } from '../helpers/hostile.ts'
import type { RawSocket } from '../helpers/hostile.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
/**
 * A small hub, so a hoard past maxConnections stays cheap: today maxConnections is maxSessions + 64
 * (128) and the pending limit maxSessions (64). The per-IP keys (ignored where they do not exist
 * yet) keep one address well under both; the hoard exceeds maxConnections either way.
 */
const HUB_ENV = {
  OVERLAY_LIMITS_MAX_SESSIONS: '64',
  OVERLAY_LIMITS_MAX_CONNECTIONS_PER_IP: '64',
  OVERLAY_LIMITS_MAX_UNAUTHENTICATED_PER_IP: '32',
  OVERLAY_LIMITS_MAX_PENDING_CONNECTIONS: '64'
}
const BARE = 200
const RAW = 300
const AT_ONCE_MS = 2_000

async function newcomerJoins (addr: string, name: string): Promise<{ ok: boolean, ms: number, why?: string }> {
  const t0 = Date.now()
  try {
    const c = await Promise.race([
      joinedTextClient(addr, name, '127.0.0.1'),
      new Promise<never>((_resolve, reject) => { setTimeout(() => { reject(new Error('no OK:JOIN in time')) }, AT_ONCE_MS + 3_000).unref() })
    ])
    const ms = Date.now() - t0
    await c.stop()
    return { ok: ms <= AT_ONCE_MS, ms }
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, why: why(err, 200) }
  }
}

describe('hostile hoarding', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - a hoard of connections and sockets from one address locks no one else out', async (t) => {
    const arena = await openArena(cli, HUB_ENV)
    const ip = attackerIp(3)
    const report = await underAttack(arena, 'connection hoarding', async ({ signal, expect }) => {
      let bare: TextClient[] = []
      let raws: RawSocket[] = []
      try {
        bare = await bareConnections(arena.addr, BARE, ip, signal)
        const first = await newcomerJoins(arena.addr, 'newcomer-1')
        expect(first.ok, `under ${BARE} bare connections from ${ip}, a newcomer from 127.0.0.1 joined within ${AT_ONCE_MS} ms (took ${first.ms} ms${first.why === undefined ? '' : `: ${first.why}`})`)
        await stopClients(bare)
        raws = await rawSockets(arena.port, RAW, ip, signal)
        const second = await newcomerJoins(arena.addr, 'newcomer-2')
        expect(second.ok, `under ${RAW} silent raw sockets from ${ip}, a newcomer from 127.0.0.1 joined within ${AT_ONCE_MS} ms (took ${second.ms} ms${second.why === undefined ? '' : `: ${second.why}`})`)
      } finally {
        destroyAll(raws)
        await stopClients(bare)
      }
    }, { timeoutMs: 60_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
