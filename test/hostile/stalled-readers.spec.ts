/**
 * Hostile peers: stalled readers. Three members from 127.0.0.8 join and stop reading; a fourth
 * broadcasts 60 MB. The hub must cut each stalled reader once its queue passes the limit
 * (`slow_consumer`) and remove its session and member like any disconnect: no crash, no ghost,
 * and its memory back once they are gone.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pEvent } from 'p-event'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll } from '../helpers/create-nodes.ts'
import { attackerIp, cameTrue, joinedTextClient, openArena, stopClients, underAttack } from '../helpers/hostile.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const STALLED = 3
/**
 * 1,000 lines of 60,000 bytes: 60 MB (the report saw the crash at about 36 MB), each line under the
 * 64 KiB frame limit, paced at 150 lines a second (a text client's rate limit allows 200). A paused
 * reader holds about 4 MiB in flight, so every stalled queue passes a 32 MiB limit well before the end.
 */
const BIG_LINES = 1_000
const LINES_PER_TICK = 15
const TICK_MS = 100
const LINE = new TextEncoder().encode(`MSG:${'x'.repeat(60_000)}\n`)

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
        const t0 = Date.now()
        for (; sent < BIG_LINES && !signal.aborted && talker.stream.status === 'open' && arena.hub.running; sent++) {
          // Pacing a sender (not waiting for a condition): line n goes out no earlier than its slot.
          const slot = t0 + Math.floor(sent / LINES_PER_TICK) * TICK_MS
          if (slot > Date.now()) await new Promise(resolve => setTimeout(resolve, slot - Date.now()))
          let ok: boolean
          try { ok = talker.write(LINE) } catch { break }
          if (!ok) await pEvent(talker.stream, 'drain', { rejectionEvents: ['close'], signal }).catch(() => {})
        }
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
