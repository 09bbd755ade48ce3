/**
 * Hostile peers: stalled readers. Three members from 127.0.0.8 join and stop reading; a fourth
 * broadcasts half again the queue limit plus what a paused reader holds in flight. The hub must cut each stalled reader once its queue passes the limit
 * (`slow_consumer`) and remove its session and member like any disconnect: no crash, no ghost,
 * and its memory back once they are gone.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pEvent } from 'p-event'
import { DEFAULT_MAX_QUEUED_BYTES } from '../../src/constants.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll } from '../helpers/create-nodes.ts'
import { attackerIp, cameTrue, joinedTextClient, openArena, stopClients, underAttack } from '../helpers/hostile.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const STALLED = 3
/**
 * Lines of 60,000 bytes (each under the 64 KiB frame limit), paced at 150 lines a second (a text
 * client's rate limit allows 200). A paused reader holds up to about IN_FLIGHT bytes outside the
 * hub's queue (its yamux window, both kernels' socket buffers), so sending half again the queue limit
 * plus that passes every stalled queue's limit well before the end. (No more: relaying the volume
 * itself, to the honest pair too, costs the hub CPU and memory that no limit on stalled readers saves.)
 */
const LINE = new TextEncoder().encode(`MSG:${'x'.repeat(60_000)}\n`)
const IN_FLIGHT = 8 * 1024 * 1024
const BIG_LINES = Math.ceil(1.5 * (DEFAULT_MAX_QUEUED_BYTES + IN_FLIGHT) / LINE.length)
const LINES_PER_TICK = 15
const TICK_MS = 100

describe('hostile stalled readers', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - members that stop reading are cut as slow consumers, not kept as ghosts', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(8)
    const report = await underAttack(arena, 'stalled readers', async ({ signal, expect }) => {
      const clients: TextClient[] = []
      try {
        const stalled = await Promise.all(Array.from({ length: STALLED }, async (_, i) => await joinedTextClient(arena.addr, `stalled-${i}`, ip)))
        clients.push(...stalled)
        for (const c of stalled) c.stream.pause()
        const talker = await joinedTextClient(arena.addr, 'talker', ip)
        clients.push(talker)
        talker.keepChunks = false
        const mark = arena.hub.mark()
        let sent = 0
        let allCutAt: number | undefined
        const t0 = Date.now()
        for (; sent < BIG_LINES && !signal.aborted && talker.stream.status === 'open' && arena.hub.running; sent++) {
          // Pacing a sender (not waiting for a condition): line n goes out no earlier than its slot.
          const slot = t0 + Math.floor(sent / LINES_PER_TICK) * TICK_MS
          if (slot > Date.now()) await new Promise(resolve => setTimeout(resolve, slot - Date.now()))
          let ok: boolean
          try { ok = talker.write(LINE) } catch { break }
          if (!ok) await pEvent(talker.stream, 'drain', { rejectionEvents: ['close'], signal }).catch(() => {})
          if (allCutAt === undefined && sent % LINES_PER_TICK === 0 && arena.hub.of('left', e => String(e.name).startsWith('stalled-'), mark).length === STALLED) allCutAt = sent
        }
        t.diagnostic(JSON.stringify({ lines: BIG_LINES, lineBytes: LINE.length, allCutAtLine: allCutAt }))
        expect(sent === BIG_LINES, `the talker, a member that reads, sent all its ${BIG_LINES} lines (sent ${sent}; got ${talker.lines.find(l => l.startsWith('ERR:')) ?? 'no ERR'}; stream ${talker.stream.status})`)
        // Cut: the hub closed each stalled session and announced its member left (a paused stream may not see the close).
        const gone = await cameTrue(() => stalled.every((_, i) => arena.hub.of('left', e => e.name === `stalled-${i}`, mark).length > 0), 15_000)
        expect(gone, `the hub cut every stalled reader and announced it left (${arena.hub.of('left', e => String(e.name).startsWith('stalled-'), mark).length} of ${STALLED}, after ${sent} lines of ${LINE.length} bytes)`)
      } finally {
        await stopClients(clients)
      }
    }, { timeoutMs: 90_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
