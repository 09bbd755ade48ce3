/**
 * Fairness under floods. One text client sends 100,000 MSG lines to a hub (in its own process) while
 * an honest leaf and an honest text client ping each other through it: the round trip stays bounded,
 * the honest leaf is never suspected or failed, the excess is dropped and counted, and the hub's RSS
 * returns near its level before. A client that keeps going over its rate is cut with rate_limited.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { isMember, loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { HubProcess } from '../../helpers/node-process.ts'
import { connectTextClient } from '../../helpers/text-client.ts'
import { nextEvent, recordEvents, waitFor } from '../../helpers/wait-for.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { TextClient } from '../../helpers/text-client.ts'

const MiB = 1024 * 1024
/** Quiet round trips on loopback are a few ms; below this, 5x of it is timer noise on a shared machine. */
const QUIET_FLOOR_MS = 5
const FLOOD_LINES = 100_000

async function joinText (addr: string, name: string): Promise<TextClient> {
  const client = await connectTextClient(addr)
  client.write(`AUTH:${TEST_TOKEN}\nJOIN:${name}\n`)
  await client.waitLine('OK:JOIN')
  return client
}

/** Makes `client` answer every `MSG:<from>:ping-N` line with `MSG:pong-N`. */
function answerPings (client: TextClient): void {
  let seen = 0
  client.stream.addEventListener('message', () => { // after the client's own listener: its lines are in
    for (; seen < client.lines.length; seen++) {
      const m = /^MSG:[^:]+:ping-(\d+)$/.exec(client.lines[seen] ?? '')
      if (m !== null) client.write(`MSG:pong-${m[1] ?? ''}\n`)
    }
  })
}

/** One round trip: the leaf sends ping-N straight to `name`, which answers with a broadcast pong-N. */
async function roundTrip (leaf: OverlayNode, name: string, n: number): Promise<number> {
  const started = performance.now()
  const pong = nextEvent(leaf, 'message', m => m.from === name && m.text === `pong-${n}`, { timeout: 5_000, message: `pong-${n}` })
  leaf.sendTo(name, `ping-${n}`).catch(() => {}) // the pong is what counts
  await pong
  return performance.now() - started
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

describe('hardening - floods', () => {
  afterEach(stopAll)

  it('flood - 100,000 MSG lines from one text client: the honest round trip stays bounded, the honest leaf is never suspected, the excess is counted, RSS returns', async () => {
    const hub = await HubProcess.start()
    const leaf = await startNode({ mode: 'leaf', name: 'leaf0', bootstrap: [hub.addr] })
    const leafLog = recordEvents(leaf)
    const honest = await joinText(hub.addr, 'honest')
    answerPings(honest)
    await waitFor(() => isMember(leaf, 'honest'), { timeout: 10_000, message: 'the leaf knows honest' })

    let n = 0
    const quiet: number[] = []
    for (let i = 0; i < 30; i++) quiet.push(await roundTrip(leaf, 'honest', n++))
    const rssBefore = await hub.rssAfterGc()

    const flooder = await joinText(hub.addr, 'flooder')
    const lines = Array.from({ length: FLOOD_LINES }, (_, i) => `MSG:flood-${i}\n`)
    for (let i = 0; i < FLOOD_LINES; i += 1000) flooder.write(lines.slice(i, i + 1000).join(''))
    const flooded: number[] = []
    let status = await hub.status()
    const processed = (): number => (status.stats.delivered ?? 0) + (status.stats.droppedMsgs ?? 0)
    // Ping until the hub has taken every flood line (bounded: 2,000 round trips of at most 5 s).
    for (let i = 0; i < 2_000 && processed() < FLOOD_LINES + quiet.length && status.stats.rateLimited === 0; i++) {
      flooded.push(await roundTrip(leaf, 'honest', n++))
      status = await hub.status()
    }
    for (let i = 0; i < 10; i++) flooded.push(await roundTrip(leaf, 'honest', n++))
    const rssDuring = status.rss

    const quietMedian = median(quiet)
    const report = `quiet median ${quietMedian.toFixed(1)} ms, max ${Math.max(...quiet).toFixed(1)}; flood median ${median(flooded).toFixed(1)} ms, max ${Math.max(...flooded).toFixed(1)} over ${flooded.length}; stats ${JSON.stringify(status.stats)}`
    console.log(report)
    assert.ok(processed() >= FLOOD_LINES || status.stats.rateLimited === 1, `the hub took every line, or cut the flooder: ${report}`)
    assert.ok((status.stats.droppedMsgs ?? 0) > 0, `the excess was dropped and counted: ${report}`)
    assert.ok(median(flooded) <= 5 * Math.max(quietMedian, QUIET_FLOOR_MS), `median round trip under flood: ${report}`)
    assert.ok(Math.max(...flooded) <= 1_000, `max round trip under flood: ${report}`)
    const aboutLeaf = status.events.filter(e => (e.type === 'failed' || e.type === 'suspect' || e.type === 'left') && e.name === 'leaf0')
    assert.deepEqual(aboutLeaf, [], 'the hub never suspected the honest leaf')
    assert.deepEqual(leafLog.of('failed'), [], 'the leaf saw nobody fail')
    assert.deepEqual(leafLog.of('suspect'), [], 'the leaf suspected nobody')
    assert.equal(status.uncaught, 0)

    await flooder.close()
    let rssAfter = 0
    await waitFor(async () => (rssAfter = await hub.rssAfterGc()) <= rssBefore + 32 * MiB, {
      timeout: 20_000, interval: 500, message: `hub RSS back near ${(rssBefore / MiB).toFixed(0)} MiB (during ${(rssDuring / MiB).toFixed(0)}, now ${(rssAfter / MiB).toFixed(0)})`
    })
    console.log(`hub RSS before ${(rssBefore / MiB).toFixed(1)} MiB, during ${(rssDuring / MiB).toFixed(1)}, after ${(rssAfter / MiB).toFixed(1)}`)
    assert.ok(hub.alive)
  })

  it('flood - a text client that keeps going over its rate is cut with rate_limited; frames over the rate are dropped and counted', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { textMsgPerSecond: 100, textMsgBurst: 100, rateExcessCutMs: 500 } })
    const log = recordEvents(hub)
    const client = await joinText(loopbackAddr(hub), 'greedy')
    const delivered = (): number => log.of('message', m => m.from === 'greedy').length
    const cut = nextEvent(hub, 'session', s => s.action === 'close' && s.name === 'greedy', { timeout: 10_000 })
    const started = performance.now()
    // 400 lines a second, four times the rate, for at most 5 s: paced load, not a wait.
    let sent = 0
    for (let i = 0; i < 100 && client.stream.writeStatus === 'writable' && hub.sessions().length > 0; i++) {
      client.write(Array.from({ length: 20 }, () => `MSG:more-${sent++}\n`).join(''))
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const closed = await cut
    const elapsed = performance.now() - started
    assert.equal(closed.code, 'rate_limited')
    await client.waitLine(l => l.startsWith('ERR:rate_limited:'))
    const stats = hub.stats()
    assert.equal(stats.rateLimited, 1)
    assert.ok(stats.droppedMsgs > 0)
    assert.ok(delivered() <= 100 + 100 * elapsed / 1000 + 1, `at most the burst plus the rate passed: ${delivered()} in ${elapsed.toFixed(0)} ms`)
    assert.ok(elapsed >= 500, 'not before rateExcessCutMs')
    assert.ok(!isMember(hub, 'greedy'))
  })

  it('flood - a burst within the bucket passes whole and cuts nobody', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { textMsgPerSecond: 100, textMsgBurst: 500, rateExcessCutMs: 500 } })
    const log = recordEvents(hub)
    const client = await joinText(loopbackAddr(hub), 'bursty')
    client.write(Array.from({ length: 500 }, (_, i) => `MSG:b-${i}\n`).join(''))
    await waitFor(() => log.of('message', m => m.from === 'bursty').length === 500, { timeout: 10_000, message: 'all 500 delivered' })
    assert.equal(hub.stats().droppedMsgs, 0)
    assert.ok(isMember(hub, 'bursty'))
  })
})
