/**
 * Hostile peers: reconnect storms, from 127.0.0.10. Three text clients join and drop their connection
 * without EXIT 20 times each, and a JSON leaf opens a new session before its last one is gone, 20
 * times. Every drop must be cleaned up (no ghost session or member), every comeback let in, and the
 * honest pair left alone.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JSON_PROTOCOL, TEXT_PROTOCOL } from '../../src/index.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { attackerIp, openArena, stopClients, underAttack } from '../helpers/hostile.ts'
import { jsonJoin } from '../helpers/json-client.ts'
import { createTextClient, TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const STORMERS = 3
const CYCLES = 20

describe('hostile reconnect storms', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - members that drop and come back in a storm leave no ghosts and are let back in', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(10)
    const report = await underAttack(arena, 'reconnect storms', async ({ signal, expect }) => {
      const nodes = await Promise.all(Array.from({ length: STORMERS + 1 }, async () => await createTextClient({ localAddress: ip })))
      try {
        let joined = 0
        await Promise.all(nodes.slice(0, STORMERS).map(async (node, i) => {
          for (let n = 0; n < CYCLES && !signal.aborted; n++) {
            const c = new TextClient(node.node)
            try {
              await c.connect(arena.addr, TEXT_PROTOCOL, 5_000)
              c.write(`AUTH:${TEST_TOKEN}\nJOIN:storm-${i}\n`)
              await c.waitLine('OK:JOIN', 5_000)
              joined++
            } catch {}
            c.connection?.abort(new Error('storm'))
          }
        }))
        expect(joined >= STORMERS * CYCLES * 0.9, `text clients that dropped without EXIT were let back in (${joined} of ${STORMERS * CYCLES} joins)`)

        const leafNode = nodes[STORMERS] as TextClient
        let leafJoined = 0
        let previous: TextClient | undefined
        for (let n = 0; n < CYCLES && !signal.aborted; n++) {
          const c = new TextClient(leafNode.node)
          try {
            // A new stream on the same connection while the last session may still be open.
            await c.connect(arena.addr, JSON_PROTOCOL, 5_000)
            await jsonJoin(c, { listenerPeerId: arena.peerId, token: TEST_TOKEN, name: 'storm-leaf', mode: 'leaf' })
            leafJoined++
          } catch {}
          previous?.abort('storm')
          previous = c
          if (n % 4 === 3) c.connection?.abort(new Error('storm'))
        }
        previous?.abort('storm')
        expect(leafJoined >= CYCLES * 0.9, `a leaf reopening its session was let back in (${leafJoined} of ${CYCLES})`)
      } finally {
        await stopClients(nodes)
      }
    }, { timeoutMs: 90_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
