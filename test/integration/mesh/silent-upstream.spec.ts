/**
 * A leaf whose hub goes silent without closing anything (a cut network, a frozen hub: no FIN, no
 * RST, so TCP keeps the connection for many minutes) must notice, drop the dead session and dial
 * again; the hub, which declares the leaf failed, must let the dead session go too, or it refuses the
 * leaf's new session as a duplicate. The leaf reaches its hub through a loopback TCP relay that can
 * cut its link like `docker network disconnect`: the connections it carries go silent for good (it
 * stops reading both sockets), and new ones are refused until the link is back.
 */
import assert from 'node:assert/strict'
import { createConnection, createServer } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { loopbackAddr, startNode, stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { FAST_MESH, fastConfig, record, stateOf } from '../../helpers/mesh.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { Server, Socket } from 'node:net'
import type { OverlayNode } from '../../../src/index.ts'

/** A loopback relay to `port` whose link can be cut (its connections silent for good, new ones refused) and restored. */
async function cuttableRelay (port: number): Promise<{ port: number, cut: () => void, restore: () => void, close: () => Promise<void> }> {
  const pairs: Array<[Socket, Socket]> = []
  let isCut = false
  const severed = new Set<Socket>()
  const server: Server = createServer(inbound => {
    if (isCut) { inbound.destroy(); return }
    const outbound = createConnection({ host: '127.0.0.1', port })
    inbound.pipe(outbound).pipe(inbound)
    // A severed pair passes nothing on, not even a reset: the far end must find out by itself.
    for (const s of [inbound, outbound]) s.on('error', () => { if (!severed.has(s)) { inbound.destroy(); outbound.destroy() } })
    pairs.push([inbound, outbound])
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(typeof address === 'object' && address !== null)
  return {
    port: address.port,
    cut: () => { isCut = true; for (const [a, b] of pairs) { a.unpipe(); b.unpipe(); a.pause(); b.pause(); severed.add(a).add(b) } },
    restore: () => { isCut = false },
    close: async () => {
      for (const [a, b] of pairs) { a.destroy(); b.destroy() }
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

const holds = (node: OverlayNode, other: OverlayNode): boolean => node.sessions().some(s => s.peerId === other.peerId)

describe('mesh - a leaf with a silent upstream', () => {
  let relay: Awaited<ReturnType<typeof cuttableRelay>> | undefined
  afterEach(async () => {
    await relay?.close()
    relay = undefined
    await stopAll()
  })

  it('mesh - a leaf drops a hub that went silent, the hub drops the failed leaf, and both are back once the link is', { timeout: 30_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    relay = await cuttableRelay(Number(/\/tcp\/(\d+)/.exec(loopbackAddr(hub))?.[1]))
    const viaRelay = loopbackAddr(hub).replace(/\/tcp\/\d+/, `/tcp/${relay.port}`)
    const leaf = await startNode({ ...fastConfig(), mode: 'leaf', name: 'cut-leaf', bootstrap: [viaRelay], timeouts: { dialMs: 1_000 } })
    const other = await startNode({ ...fastConfig(), mode: 'leaf', name: 'other-leaf', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => holds(leaf, hub) && holds(other, hub) && holds(hub, leaf), { timeout: 10_000, message: 'both leaves on the hub' })

    const errors = record(leaf, 'error')
    const reconnected = record(leaf, 'reconnected')
    const hubFailed = record(hub, 'failed')
    const frozenAt = Date.now()
    relay.cut()
    // Silence for suspectAfterMs + failAfterMs, noticed at the next tick: the leaf lets the session go.
    const limit = FAST_MESH.suspectAfterMs + FAST_MESH.failAfterMs
    await waitFor(() => !holds(leaf, hub), { timeout: limit + 5 * FAST_MESH.heartbeatMs + 2_000, message: () => `the leaf drops its silent hub (errors: ${JSON.stringify(errors.list)})` })
    const droppedAfter = Date.now() - frozenAt
    assert.ok(droppedAfter >= limit, `dropped after ${droppedAfter} ms, before the ${limit} ms of silence`)
    assert.deepEqual(errors.list.map(e => e.code), ['upstream_silent'])
    assert.equal(leaf.stats().upstreamSilent, 1)
    assert.equal(reconnected.list.length, 0, 'no session while the link is cut')
    // The hub declares the leaf failed and closes the dead session it still held.
    await waitFor(() => !holds(hub, leaf), { timeout: 10_000, message: () => `the hub drops the failed leaf's session (failed: ${JSON.stringify(hubFailed.list)})` })
    assert.deepEqual(hubFailed.list.map(e => e.name), ['cut-leaf'])
    assert.equal(hub.stats().failedSessions, 1)

    relay.restore()
    await waitFor(() => holds(leaf, hub) && holds(hub, leaf) && stateOf(hub, leaf.peerId) === 'alive' && stateOf(other, leaf.peerId) === 'alive',
      { timeout: 20_000, message: () => `the leaf is back on its hub, alive for all (${stateOf(hub, leaf.peerId) ?? '?'})` })
    assert.equal(reconnected.list.length, 1)
    assert.equal(leaf.fatalError, undefined, 'the leaf did not give up')

    // And it works: a broadcast from the cut leaf reaches the other leaf.
    const log = trackDeliveries([leaf, other])
    const sent = await broadcastFrom([leaf], 'after the link is back')
    await log.waitAllDelivered(sent.ids, [other], { timeout: 10_000, message: 'the other leaf hears the cut leaf again' })
  })

  it('mesh - a leaf keeps a quiet but live hub: the hub beats to its leaves', { timeout: 30_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    const leaf = await startNode({ ...fastConfig(), mode: 'leaf', name: 'quiet-leaf', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => holds(leaf, hub) && holds(hub, leaf), { timeout: 10_000, message: 'the leaf on the hub' })
    const errors = record(leaf, 'error')
    const closes = record(leaf, 'session')
    // Three detection windows of an idle mesh: the session must stay.
    const until = Date.now() + 3 * (FAST_MESH.suspectAfterMs + FAST_MESH.failAfterMs)
    await waitFor(() => Date.now() >= until || errors.list.length > 0, { timeout: 10_000, message: 'an idle while' })
    assert.deepEqual(errors.list, [])
    assert.deepEqual(closes.list.filter(e => e.action === 'close'), [])
    assert.equal(leaf.stats().upstreamSilent, 0)
  })
})
