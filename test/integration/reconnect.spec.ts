/**
 * Leaves reconnect like NATS clients (issue 18): a hub down for 30 s, real processes. Every leaf is
 * back afterwards with its identity and name, and every line typed in the gap reaches the hub.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliTracker } from '../helpers/cli-process.ts'
import { freePort } from '../helpers/create-nodes.ts'
import type { CliProcess } from '../helpers/cli-process.ts'

const TOKEN = 'letmein123'
const T = 20_000
/** The outage itself is the scenario (the issue asks for 30 s), not a wait for a condition. */
const OUTAGE_MS = 30_000
const cli = new CliTracker()
afterEach(async () => { await cli.stopAll() })

describe('reconnect', () => {
  it('reconnect - a hub down for 30 s: every leaf comes back with its name and peer id, and nothing typed in the gap is lost', { timeout: 120_000 }, async () => {
    const port = await freePort()
    const hubDir = await cli.tempDir()
    const hubArgs = ['start', '--mode', 'hub', '--name', 'hub', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--token', TOKEN, '--data-dir', hubDir, '--json']
    let hub = await cli.spawn('hub', hubArgs)
    await hub.waitEvent('listening', () => true, { timeout: T })
    // Back-off capped at 2 s so the test does not wait out the default 30 s cap after the hub returns.
    const env = { OVERLAY_RETRY_MAX_INTERVAL_MS: '2000', OVERLAY_RETRY_JITTER_MS: '500' }
    const leaves: CliProcess[] = []
    for (const name of ['a', 'b']) {
      leaves.push(await cli.spawn(name, ['start', '--mode', 'leaf', '--name', name, '--bootstrap', `127.0.0.1:${port}`, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'], env))
    }
    for (const name of ['a', 'b']) await hub.waitEvent('joined', e => e.name === name, { timeout: T })
    const peerIds = new Map(hub.of('joined').map(e => [e.name, e.peerId]))

    hub.signal('SIGKILL')
    await hub.waitExit(T)
    for (const leaf of leaves) await leaf.waitEvent('session', e => e.action === 'close', { timeout: T })
    const typed = new Map<string, string[]>()
    for (const [i, leaf] of leaves.entries()) {
      const lines = Array.from({ length: 50 }, (_, n) => `gap-${leaf.label}-${n}`)
      typed.set(leaf.label, lines)
      for (const [n, line] of lines.entries()) {
        leaf.write(line)
        if (n % 10 === 9) await sleep(OUTAGE_MS / 12) // typed across the outage, not all at once
      }
      void i
    }
    await sleep(OUTAGE_MS - OUTAGE_MS / 12 * 10)
    for (const leaf of leaves) {
      const steps = leaf.of('reconnecting')
      assert.ok(steps.length >= 5, `${leaf.label} kept trying: ${steps.length} back-off steps`)
      for (const s of steps) assert.ok(typeof s.attempt === 'number' && typeof s.delayMs === 'number' && (s.delayMs as number) <= 2_500, JSON.stringify(s))
      assert.equal(leaf.running, true, leaf.describe())
    }

    hub = await cli.spawn('hub-again', hubArgs)
    await hub.waitEvent('listening', () => true, { timeout: T })
    for (const leaf of leaves) {
      const back = await leaf.waitEvent('reconnected', () => true, { timeout: T })
      assert.ok((back.downMs as number) >= OUTAGE_MS, JSON.stringify(back))
      await hub.waitEvent('joined', e => e.name === leaf.label && e.peerId === peerIds.get(leaf.label), { timeout: T, message: `${leaf.label} back with its name and peer id` })
    }
    for (const [name, lines] of typed) {
      await hub.waitUntil(() => hub.of('message', e => e.from === name).length >= lines.length, { timeout: T, message: `the lines ${name} typed in the gap` })
      assert.deepEqual(hub.of('message', e => e.from === name).map(e => e.text), lines)
    }
    // The two leaves hear each other again.
    leaves[0]?.write('after the outage')
    await leaves[1]?.waitEvent('message', e => e.text === 'after the outage', { timeout: T })
  })
})
