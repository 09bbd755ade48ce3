/**
 * Slow consumers: text clients that authenticate, join and then stop reading while a leaf broadcasts.
 * The hub stays up, cuts each stalled session with slow_consumer (per-session limit, or the node-wide
 * cap, largest queue first), and removes its session and member like any other disconnect.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { createNodes, hasSession, isMember, loopbackAddr, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { connectTextClient } from '../../helpers/text-client.ts'
import { nextEvent, recordEvents, waitFor } from '../../helpers/wait-for.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { TextClient } from '../../helpers/text-client.ts'

const TEXT = 'x'.repeat(16_000)
const MiB = 1024 * 1024

/** A text client that joins as `name`, reads the snapshot, then stops reading (its stream paused). */
async function stalledReader (hub: OverlayNode, leaf: OverlayNode, name: string): Promise<TextClient> {
  const client = await reader(hub, leaf, name)
  // Holds whatever its window lets in rather than resetting at libp2p's 4 MiB: the hub must cut it.
  client.stream.maxReadBufferLength = 64 * MiB
  client.stream.pause()
  return client
}

/** A text client joined as `name`, once the leaf knows it (a leaf that sees nobody else sends unrelayed broadcasts). */
async function reader (hub: OverlayNode, leaf: OverlayNode, name: string): Promise<TextClient> {
  const client = await connectTextClient(loopbackAddr(hub))
  client.write(`AUTH:${TEST_TOKEN}\nJOIN:${name}\n`)
  await client.waitLine('JOIN:hub')
  await waitFor(() => hasSession(hub, client.peerId) && isMember(leaf, name), { timeout: 5_000, message: `the hub and the leaf list ${name}` })
  return client
}

/** Broadcasts about `bytes` from `leaf` in 16 kB messages; returns how many messages. */
async function broadcast (leaf: OverlayNode, bytes: number): Promise<number> {
  const count = Math.ceil(bytes / TEXT.length)
  for (let i = 0; i < count; i++) await leaf.send(TEXT, { signal: AbortSignal.timeout(30_000) })
  return count
}

const received = (client: TextClient): number => client.lines.filter(l => l.startsWith('MSG:leaf0:')).length

describe('hardening - slow consumers', () => {
  afterEach(stopAll)

  it('slow consumer - a stalled reader under a 52 MB broadcast is cut with slow_consumer; the hub stays up, an honest reader gets everything, nothing ghosts', async () => {
    const { hub, leaves: [leaf] } = await createNodes({ hub: 1, leaf: 1 })
    assert.ok(hub !== undefined && leaf !== undefined)
    const log = recordEvents(hub)
    const honest = await reader(hub, leaf, 'honest')
    const slow = await stalledReader(hub, leaf, 'slow')
    const cut = nextEvent(hub, 'session', s => s.action === 'close' && s.peerId === slow.peerId, { timeout: 60_000 })

    // 36 MB past the 32 MiB limit, plus room for what the reader's yamux window (up to 16 MiB) takes in.
    const sent = await broadcast(leaf, 52_000_000)
    const closed = await cut.catch(err => { throw new Error(`${(err as Error).message}; sent ${sent}, hub ${JSON.stringify(hub.stats())}, slow reader holds ${slow.stream.readBufferLength}, honest got ${received(honest)} ${(() => { const ls = (hub as any).mesh.sessions.get(leaf.peerId); const hs = (leaf as any).mesh.sessions.get(hub.peerId); return JSON.stringify([ls.stream.readStatus, ls.stream.state, ls.stream.recvWindow, ls.stream.recvWindowCapacity, ls.stream.readBufferLength, ls.backlog?.length, ls.pumpScheduled, ls.framesIn, ls.closed, hs.stream.sendWindowCapacity, hs.stream.writeBufferLength, hs.stream.writableNeedsDrain, hs.out.pendingBytes]) })()} hub events ${JSON.stringify(log.events.filter(e => e.type !== 'message').slice(-20))}`) })
    assert.equal(closed.code, 'slow_consumer')
    assert.equal(hub.stats().slowConsumers, 1)
    assert.ok((await slow.closed).error !== undefined, 'the stalled stream was reset')

    await waitFor(() => !isMember(hub, 'slow') && !isMember(leaf, 'slow'), { timeout: 10_000, message: 'slow is gone from both rosters' })
    assert.equal(hasSession(hub, slow.peerId), false)
    assert.equal(log.of('session', s => s.peerId === slow.peerId && s.action === 'close').length, 1, 'cut once')
    assert.deepEqual(log.of('left', l => l.name === 'slow').map(l => l.reason), ['disconnect'])

    await waitFor(() => received(honest) === sent, { timeout: 30_000, message: `the honest reader gets all ${sent} messages` })
    assert.ok(hasSession(hub, honest.peerId) && hasSession(hub, leaf))
    assert.deepEqual(hub.sessions().map(s => s.name).sort(), ['honest', 'leaf0'])
    assert.equal(hub.stats().slowConsumers, 1)
    await waitFor(() => hub.stats().queuedBytes < MiB, { timeout: 10_000, message: 'the queued bytes are released' })
  })

  it('slow consumer - ten stalled readers: every one is cut, none stays listed as session or member', async () => {
    const { hub, leaves: [leaf] } = await createNodes({ hub: 1, leaf: 1 }, { hub: { limits: { maxQueuedBytes: 1 * MiB } } })
    assert.ok(hub !== undefined && leaf !== undefined)
    const log = recordEvents(hub)
    const slow = await Promise.all(Array.from({ length: 10 }, async (_, i) => await stalledReader(hub, leaf, `slow${i}`)))
    assert.equal(hub.sessions().length, 11)

    await broadcast(leaf, 20_000_000) // past any reader's yamux window (16 MiB at most) plus its 1 MiB
    await waitFor(() => hub.sessions().length === 1, { timeout: 60_000, message: () => `only the leaf keeps a session (${JSON.stringify(hub.sessions().map(x => x.name))}, ${JSON.stringify(hub.stats())})` })
    const cuts = log.of('session', s => s.action === 'close')
    assert.equal(cuts.length, 10)
    assert.ok(cuts.every(c => c.code === 'slow_consumer'), JSON.stringify(cuts.map(c => c.code)))
    assert.equal(hub.stats().slowConsumers, 10)
    await waitFor(() => slow.every((_, i) => !isMember(hub, `slow${i}`) && !isMember(leaf, `slow${i}`)), { timeout: 10_000, message: 'no stalled reader stays a member' })
    assert.deepEqual(hub.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')).map(m => m.name), ['leaf0'])
    assert.ok(await Promise.all(slow.map(async c => (await c.closed).error !== undefined)).then(r => r.every(Boolean)), 'every stalled stream was reset')
    await waitFor(() => hub.stats().queuedBytes < MiB, { timeout: 10_000, message: 'the queued bytes are released' })
  })

  it('slow consumer - past the node-wide cap the largest queue is cut first, and the smaller one keeps everything', async () => {
    const { hub, leaves: [leaf] } = await createNodes({ hub: 1, leaf: 1 }, { hub: { limits: { maxQueuedBytes: 32 * MiB, maxQueuedBytesTotal: 32 * MiB } } })
    assert.ok(hub !== undefined && leaf !== undefined)
    // Far below any one session's limit: only the total can cut here.
    const big = await stalledReader(hub, leaf, 'big')
    await broadcast(leaf, 20 * MiB)
    await waitFor(() => hub.stats().queuedBytes > 16 * MiB, { timeout: 30_000, message: 'the hub holds most of 20 MiB for big' })
    const small = await stalledReader(hub, leaf, 'small')
    const cut = nextEvent(hub, 'session', s => s.action === 'close', { timeout: 30_000 })
    const sent = await broadcast(leaf, 12 * MiB)

    const closed = await cut
    assert.equal(closed.peerId, big.peerId, 'the larger queue goes')
    assert.equal(closed.code, 'slow_consumer')
    assert.equal(hub.stats().slowConsumers, 1)
    assert.ok(hasSession(hub, small.peerId), 'the smaller queue stays')
    small.stream.resume()
    await waitFor(() => received(small) === sent, { timeout: 30_000, message: `small gets all ${sent} messages once it reads` })
    assert.equal(hub.stats().slowConsumers, 1)
    assert.deepEqual(hub.sessions().map(s => s.name).sort(), ['leaf0', 'small'])
  })
})
