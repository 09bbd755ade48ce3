/**
 * Hostile peers: stream spam. Three clients from 127.0.0.5 each open 200 streams of both protocols
 * and reset them at once, and hold 10 at a time (over the per-peer stream limit of 2). The hub must
 * shrug it off: extra streams refused, nothing left behind, and, since a stream that ends before
 * AUTH without a partial line is no offence, the same identities can still authenticate.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { JSON_PROTOCOL, TEXT_PROTOCOL } from '../../src/index.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { attackerIp, openArena, stopClients, underAttack, why } from '../helpers/hostile.ts'
import { cameTrue } from '../helpers/wait-for.ts'
import { createTextClient, TextClient } from '../helpers/text-client.ts'
import type { Stream } from '@libp2p/interface'

const cli = new CliTracker()
const CLIENTS = 3
const OPENS = 200
const HELD = 10
const MAX_STREAMS_PER_PEER = 2

describe('hostile stream spam', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - hundreds of streams opened and reset leave nothing behind and ban no one', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(5)
    const report = await underAttack(arena, 'stream spam', async ({ signal, expect }) => {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => await createTextClient({ localAddress: ip })))
      const target = multiaddr(arena.addr)
      try {
        let opened = 0
        await Promise.all(clients.map(async c => {
          for (let i = 0; i < OPENS && !signal.aborted; i++) {
            const s = await c.node.dialProtocol(target, i % 2 === 0 ? TEXT_PROTOCOL : JSON_PROTOCOL, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) }).catch(() => undefined)
            if (s === undefined) continue
            opened++
            s.abort(new Error('spam'))
          }
        }))
        // The attack happened (per-IP defences may refuse part of it, which is fine).
        expect(opened >= CLIENTS * OPENS / 2, `the spam got at least half its streams opened (${opened} of ${CLIENTS * OPENS})`)

        const held: Stream[][] = await Promise.all(clients.map(async c => {
          const streams = await Promise.all(Array.from({ length: HELD }, async () => await c.node.dialProtocol(target, TEXT_PROTOCOL, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined)))
          return streams.filter((s): s is Stream => s !== undefined)
        }))
        const within = await cameTrue(() => held.every(ss => ss.filter(s => s.status === 'open').length <= MAX_STREAMS_PER_PEER), { timeout: 5_000 })
        expect(within, `each peer keeps at most ${MAX_STREAMS_PER_PEER} open streams (held: ${held.map(ss => ss.filter(s => s.status === 'open').length).join(',')})`)
        for (const ss of held) for (const s of ss) s.abort(new Error('spam'))

        // Not banned: the same identity authenticates on a fresh stream.
        const replies = await Promise.all(clients.map(async c => {
          const again = new TextClient(c.node)
          try {
            await again.connect(arena.addr, TEXT_PROTOCOL, 5_000)
            again.write(`AUTH:${TEST_TOKEN}\n`)
            return await again.waitLine(l => l.startsWith('OK:') || l.startsWith('ERR:'), 5_000)
          } catch (err) {
            return `refused: ${why(err, 100)}`
          }
        }))
        const accepted = replies.filter(r => r === 'OK:AUTH').length
        expect(accepted === CLIENTS, `after resetting streams before AUTH, every spammer can still authenticate (${accepted} of ${CLIENTS}; e.g. "${replies.find(r => r !== 'OK:AUTH') ?? ''}")`)
      } finally {
        await stopClients(clients)
      }
    }, { timeoutMs: 90_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
