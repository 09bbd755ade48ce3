/**
 * Hostile peers: floods. A member from 127.0.0.7 sends 100,000 MSG lines as fast as its stream takes
 * them. Per-session rate limits must drop the excess and cut the flooder with `rate_limited`, and the
 * hub must keep serving the honest pair (input processing yields, so heartbeats never starve).
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pEvent } from 'p-event'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll } from '../helpers/create-nodes.ts'
import { attackerIp, cameTrue, joinedTextClient, openArena, stopClients, underAttack } from '../helpers/hostile.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const LINES = 100_000
const PER_WRITE = 1_000
const enc = new TextEncoder()

/** Writes `count` MSG lines, `PER_WRITE` per send, waiting for drain; stops early if the stream closes or `signal` aborts. */
async function flood (c: TextClient, count: number, signal: AbortSignal): Promise<number> {
  let sent = 0
  while (sent < count && !signal.aborted && c.stream.status === 'open') {
    const n = Math.min(PER_WRITE, count - sent)
    let chunk = ''
    for (let i = 0; i < n; i++) chunk += `MSG:flood-${sent + i}\n`
    let ok: boolean
    try { ok = c.write(enc.encode(chunk)) } catch { break }
    sent += n
    if (!ok) await pEvent(c.stream, 'drain', { rejectionEvents: ['close'], signal }).catch(() => {})
  }
  return sent
}

describe('hostile floods', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - a member flooding 100,000 messages is rate limited and cut; the honest pair never notices', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(7)
    const report = await underAttack(arena, 'floods', async ({ signal, expect }) => {
      const flooder = await joinedTextClient(arena.addr, 'flooder', ip)
      flooder.keepChunks = false
      try {
        const mark = arena.hub.mark()
        const sent = await flood(flooder, LINES, signal)
        // Cut: the hub closed its session (the flooder's own stream may stay half open).
        const cut = await cameTrue(() => arena.hub.of('left', e => e.name === 'flooder', mark).length > 0, 10_000)
        const err = flooder.lines.find(l => l.startsWith('ERR:'))
        expect(cut && err?.startsWith('ERR:rate_limited') === true, `the flooder is cut with ERR:rate_limited (sent ${sent} lines; got ${err ?? 'no ERR'}; ${cut ? '' : 'not '}announced left)`)
      } finally {
        await stopClients([flooder])
      }
    }, { timeoutMs: 60_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
