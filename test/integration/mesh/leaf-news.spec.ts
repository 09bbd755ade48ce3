/**
 * Membership news for leaves lingers up to LINGER_MS so bursts share a write (a hub taking 500
 * joins at once spent a third of its CPU in socket writes). Lingering must never reorder frames or
 * lose them: a later frame that leaves sooner takes them along, and so does the session's end.
 * test/unit/protocol/stream-session.spec.ts checks the same rules with mocked timers.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { nextEvent, waitFor } from '../../helpers/wait-for.ts'
import { FakeTracker, freshClaim } from '../../helpers/fake-member.ts'
import { FAST_MESH, fastConfig } from '../../helpers/mesh.ts'
import type { FakeMember } from '../../helpers/fake-member.ts'
import type { OverlayNode } from '../../../src/index.ts'
import type { Frame, MemberFrame } from '../../../src/protocol/frames.ts'

const fakes = new FakeTracker()

async function join (hub: OverlayNode, name: string, mode: 'leaf' | 'peer'): Promise<FakeMember> {
  const { fake, outcome } = await fakes.join(hub, { name, token: TEST_TOKEN, mode })
  assert.deepEqual(outcome, { ok: true }, `${name} joins ${hub.name}`)
  fake.keepAlive(FAST_MESH.heartbeatMs)
  return fake
}

async function news (i: number): Promise<MemberFrame> {
  return await freshClaim({ name: `news${i}` })
}

/** Has `feeder` announce `frame` to the hub, and waits until the hub has taken it in. */
async function announce (hub: OverlayNode, feeder: FakeMember, frame: MemberFrame): Promise<void> {
  const joined = nextEvent(hub, 'joined', d => d.peerId === frame.peerId, { timeout: 5_000 })
  feeder.send(frame)
  await joined
}

const isNews = (ids: Set<string>) => (f: Frame): boolean => f.type === 'MEMBER' && ids.has(f.peerId)

describe('mesh - membership news for leaves', () => {
  afterEach(async () => {
    await fakes.stopAll()
    await stopAll()
  })

  it('mesh - news the hub takes in on separate turns reaches a leaf in fewer writes than frames', { timeout: 20_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    const watcher = await join(hub, 'watcher', 'leaf')
    const feeder = await join(hub, 'feeder', 'peer')
    const frames = await Promise.all(Array.from({ length: 5 }, async (_, i) => await news(i)))
    // One at a time: without lingering, each would leave in a write of its own.
    for (const f of frames) await announce(hub, feeder, f)
    const ids = new Set(frames.map(f => f.peerId))
    await waitFor(() => frames.every(f => watcher.latestMember(f.peerId) !== undefined), {
      timeout: 5_000,
      message: () => `the leaf hears of all ${frames.length} (got ${watcher.received.filter(isNews(ids)).length})`
    })
    const carrying = watcher.writes.filter(w => w.some(isNews(ids)))
    assert.ok(carrying.length < frames.length, `${frames.length} news frames came in ${carrying.length} writes`)
  })

  it('mesh - a broadcast takes lingering news along ahead of itself, and the hub leaving flushes the rest', { timeout: 20_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    const watcher = await join(hub, 'watcher', 'leaf')
    const feeder = await join(hub, 'feeder', 'peer')

    const first = await news(1)
    await announce(hub, feeder, first)
    const msg = feeder.signedMsg('after the news')
    feeder.send(msg)
    await watcher.waitFrame(f => f.type === 'MSG' && f.id === msg.id, 5_000)
    const order = watcher.received.findIndex(isNews(new Set([first.peerId])))
    assert.ok(order >= 0 && order < watcher.received.findIndex(f => f.type === 'MSG' && f.id === msg.id), 'the news arrives before the broadcast sent after it')

    const second = await news(2)
    await announce(hub, feeder, second)
    await hub.stop()
    await watcher.waitFrame(f => f.type === 'EXIT', 5_000)
    const exitAt = watcher.received.findIndex(f => f.type === 'EXIT')
    const newsAt = watcher.received.findIndex(isNews(new Set([second.peerId])))
    assert.ok(newsAt >= 0 && newsAt < exitAt, `the news still lingering when the hub stopped arrives before its EXIT (news at ${newsAt}, EXIT at ${exitAt})`)
  })
})
