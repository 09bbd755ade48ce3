/**
 * A leaf whose hub goes silent without closing anything (a cut network, a frozen hub: no FIN, no
 * RST, so TCP keeps the connection for many minutes) must notice, drop the dead session and dial
 * again. The leaf reaches its hub through a loopback TCP relay that can freeze: it stops reading
 * both sockets (bytes wait in the kernel, as on a cut link) and refuses to forward new connections
 * until it thaws.
 */
import assert from 'node:assert/strict'
import { createConnection, createServer } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { loopbackAddr, startNode, stopAll } from '../../helpers/create-nodes.ts'
import { broadcastFrom, trackDeliveries } from '../../helpers/delivery.ts'
import { FAST_MESH, fastConfig, record, waitUntil } from './support.ts'
import type { Server, Socket } from 'node:net'
import type { OverlayNode } from '../../../src/index.ts'

/** A loopback relay to `port` that can freeze every connection it carries (and any new one). */
async function freezableRelay (port: number): Promise<{ port: number, freeze: () => void, thaw: () => void, close: () => Promise<void> }> {
  const pairs: Array<[Socket, Socket]> = []
  let frozen = false
  const server: Server = createServer(inbound => {
    const outbound = createConnection({ host: '127.0.0.1', port })
    inbound.pipe(outbound).pipe(inbound)
    for (const s of [inbound, outbound]) s.on('error', () => { inbound.destroy(); outbound.destroy() })
    pairs.push([inbound, outbound])
    if (frozen) { inbound.pause(); outbound.pause() }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(typeof address === 'object' && address !== null)
  return {
    port: address.port,
    freeze: () => { frozen = true; for (const [a, b] of pairs) { a.pause(); b.pause() } },
    thaw: () => { frozen = false; for (const [a, b] of pairs) { a.resume(); b.resume() } },
    close: async () => {
      for (const [a, b] of pairs) { a.destroy(); b.destroy() }
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

const holds = (node: OverlayNode, other: OverlayNode): boolean => node.sessions().some(s => s.peerId === other.peerId)

describe('mesh - a leaf with a silent upstream', () => {
  let relay: Awaited<ReturnType<typeof freezableRelay>> | undefined
  afterEach(async () => {
    await relay?.close()
    relay = undefined
    await stopAll()
  })

  it('mesh - a leaf drops a hub that went silent and is back on it once the link thaws', { timeout: 30_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    relay = await freezableRelay(Number(/\/tcp\/(\d+)/.exec(loopbackAddr(hub))?.[1]))
    const viaRelay = loopbackAddr(hub).replace(/\/tcp\/\d+/, `/tcp/${relay.port}`)
    const leaf = await startNode({ ...fastConfig(), mode: 'leaf', name: 'cut-leaf', bootstrap: [viaRelay], timeouts: { dialMs: 1_000 } })
    const other = await startNode({ ...fastConfig(), mode: 'leaf', name: 'other-leaf', bootstrap: [loopbackAddr(hub)] })
    await waitUntil(() => holds(leaf, hub) && holds(other, hub) && holds(hub, leaf), { timeout: 10_000, message: 'both leaves on the hub' })

    const errors = record(leaf, 'error')
    const reconnected = record(leaf, 'reconnected')
    const frozenAt = Date.now()
    relay.freeze()
    // Silence for suspectAfterMs + failAfterMs, noticed at the next tick: the leaf lets the session go.
    const limit = FAST_MESH.suspectAfterMs + FAST_MESH.failAfterMs
    await waitUntil(() => !holds(leaf, hub), { timeout: limit + 5 * FAST_MESH.heartbeatMs + 2_000, message: () => `the leaf drops its silent hub (errors: ${JSON.stringify(errors.list)})` })
    const droppedAfter = Date.now() - frozenAt
    assert.ok(droppedAfter >= limit, `dropped after ${droppedAfter} ms, before the ${limit} ms of silence`)
    assert.deepEqual(errors.list.map(e => e.code), ['upstream_silent'])
    assert.equal(leaf.stats().upstreamSilent, 1)
    assert.equal(reconnected.list.length, 0, 'no session while the link is frozen')

    relay.thaw()
    await waitUntil(() => holds(leaf, hub) && holds(hub, leaf), { timeout: 15_000, message: 'the leaf is back on its hub after the thaw' })
    assert.equal(reconnected.list.length, 1)
    assert.equal(leaf.fatalError, undefined, 'the leaf did not give up')

    // And it works: a broadcast from the cut leaf reaches the other leaf.
    const log = trackDeliveries([leaf, other])
    const sent = await broadcastFrom([leaf], 'after the thaw')
    await log.waitAllDelivered(sent.ids, [other], { timeout: 10_000, message: 'the other leaf hears the cut leaf again' })
  })

  it('mesh - a leaf keeps a quiet but live hub: the hub beats to its leaves', { timeout: 30_000 }, async () => {
    const hub = await startNode({ ...fastConfig(), mode: 'hub', name: 'hub' })
    const leaf = await startNode({ ...fastConfig(), mode: 'leaf', name: 'quiet-leaf', bootstrap: [loopbackAddr(hub)] })
    await waitUntil(() => holds(leaf, hub) && holds(hub, leaf), { timeout: 10_000, message: 'the leaf on the hub' })
    const errors = record(leaf, 'error')
    const closes = record(leaf, 'session')
    // Three detection windows of an idle mesh: the session must stay.
    const until = Date.now() + 3 * (FAST_MESH.suspectAfterMs + FAST_MESH.failAfterMs)
    await waitUntil(() => Date.now() >= until || errors.list.length > 0, { timeout: 10_000, message: 'an idle while' })
    assert.deepEqual(errors.list, [])
    assert.deepEqual(closes.list.filter(e => e.action === 'close'), [])
    assert.equal(leaf.stats().upstreamSilent, 0)
  })
})
