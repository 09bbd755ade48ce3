/**
 * Hostile peers: wrong tokens from fresh IDs. Peer IDs cost nothing, so a ban by peer ID alone does
 * not stop guessing: 60 fresh identities from 127.0.0.4 each try a wrong token. A per-IP budget of
 * failed authentications must then refuse that address, even with the right token, while a client
 * from another address still authenticates.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { attackerIp, joinedTextClient, openArena, underAttack, why } from '../helpers/hostile.ts'
import { createTextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const GUESSES = 60

/** A fresh identity from `ip` says AUTH with `token`; resolves with the first reply line, or why there was none. */
async function tryToken (addr: string, ip: string, token: string): Promise<string> {
  const client = await createTextClient({ localAddress: ip })
  try {
    await client.connect(addr, undefined, 3_000)
    client.write(`AUTH:${token}\n`)
    await Promise.race([
      client.waitLine(l => l.startsWith('OK:') || l.startsWith('ERR:'), 3_000),
      client.closed
    ])
    return client.lines.find(l => l.startsWith('OK:') || l.startsWith('ERR:')) ?? 'closed without a reply'
  } catch (err) {
    return `refused: ${why(err, 120)}`
  } finally {
    await client.stop().catch(() => {})
  }
}

describe('hostile wrong tokens', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - wrong tokens from fresh IDs spend a per-IP budget; other addresses are unaffected', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(4)
    const report = await underAttack(arena, 'wrong tokens from fresh IDs', async ({ signal, expect }) => {
      const replies: string[] = []
      for (let i = 0; i < GUESSES && !signal.aborted; i++) replies.push(await tryToken(arena.addr, ip, `guess-${i}`))
      expect(!replies.some(r => r.startsWith('OK:')), `no wrong token was accepted (${replies.filter(r => r.startsWith('OK:')).length} were)`)
      const withRightToken = await tryToken(arena.addr, ip, TEST_TOKEN)
      expect(!withRightToken.startsWith('OK:'), `after ${GUESSES} failed authentications from ${ip}, a fresh identity from there is refused, even with the right token (it got "${withRightToken}")`)
      const t0 = Date.now()
      const other = await joinedTextClient(arena.addr, 'newcomer', '127.0.0.1')
      expect(Date.now() - t0 < 2_000, `a client from 127.0.0.1 authenticated at once (took ${Date.now() - t0} ms)`)
      await other.stop()
      t.diagnostic(`replies from ${ip}: ${JSON.stringify(Object.entries(replies.reduce<Record<string, number>>((acc, r) => { acc[r.slice(0, 40)] = (acc[r.slice(0, 40)] ?? 0) + 1; return acc }, {})))}`)
    }, { timeoutMs: 90_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
