/**
 * Connection-level limits on loopback, where every client shares 127.0.0.1: the auth deadline for
 * connections that never authenticate, libp2p's upgrade timeout and pending limit, and the per-IP
 * caps and failed-auth budget counted for that one address. test/hosts/hostile.spec.ts checks
 * that other addresses are not affected.
 */
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { hasSession, loopbackAddr, startNode, stopAll, TEST_TOKEN, tracker } from '../helpers/create-nodes.ts'
import { JSON_PROTOCOL } from '../../src/index.ts'
import { challenge, dialerProof, sendFrame } from '../helpers/json-client.ts'
import { connectTextClient, createTextClient } from '../helpers/text-client.ts'
import { nextEvent, recordEvents, waitFor } from '../helpers/wait-for.ts'
import type { Socket } from 'node:net'
import type { OverlayNode } from '../../src/index.ts'

afterEach(stopAll)

/** The hub's TCP port on 127.0.0.1. */
const portOf = (node: OverlayNode): number => Number(multiaddr(loopbackAddr(node)).getComponents().find(c => c.name === 'tcp')?.value)

/** Opens a raw TCP socket that never sends a byte; resolves once connected. stopAll() destroys it. */
async function silentSocket (port: number): Promise<{ socket: Socket, closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1')
  tracker.onStop(async () => { socket.destroy() })
  const opened = performance.now()
  const closed = new Promise<number>(resolve => { socket.once('close', () => { resolve(performance.now() - opened) }) })
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return { socket, closed }
}

describe('conn-guard - auth deadline', () => {
  it('conn-guard - a connection that never opens a stream is cut at the auth deadline; a session on another connection is not', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { authMs: 800 } })
    const log = recordEvents(hub, ['rejected'])
    const leaf = await startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => hasSession(hub, leaf), { timeout: 10_000, message: 'the leaf holds a session' })

    const idle = await createTextClient()
    const t0 = performance.now()
    const conn = await idle.node.dial(multiaddr(loopbackAddr(hub)), { signal: AbortSignal.timeout(5_000) })
    assert.equal(conn.streams.length, 0)
    await waitFor(() => conn.status !== 'open', { timeout: 5_000, message: 'the stream-less connection is closed' })
    const tookMs = performance.now() - t0
    assert.ok(tookMs >= 700, `cut after ${tookMs.toFixed(0)} ms, not before the deadline`)
    const stats = hub.stats().connections
    assert.equal(stats.cut.authDeadline, 1)
    assert.deepEqual(log.of('rejected'), [], 'nothing was refused: counted, not reported')
    await waitFor(() => hub.stats().connections.inbound === 1, { timeout: 5_000, message: 'only the leaf\'s connection is held' })
    assert.equal(hub.stats().connections.unauthenticated, 0)

    // Well past the deadline, the leaf's session (its own outbound connection) and health probes still work.
    await waitFor(() => performance.now() - t0 > 2_000, { timeout: 5_000, message: 'time passes' })
    assert.ok(hasSession(hub, leaf) && hasSession(leaf, hub), 'the leaf keeps its session')
    assert.equal(leaf.stats().connections.cut.authDeadline, 0)
    const pong = await leaf.libp2p.services.overlay.health([multiaddr(loopbackAddr(hub))], { signal: AbortSignal.timeout(5_000) })
    assert.equal(pong.name, 'hub')
    assert.equal(hub.stats().connections.cut.authDeadline, 1)
  })

  it('conn-guard - a session handshake still running at the connection deadline gets one more auth time and opens', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { authMs: 2_000 } })
    const client = await createTextClient()
    const t0 = performance.now()
    const conn = await client.node.dial(multiaddr(loopbackAddr(hub)), { signal: AbortSignal.timeout(5_000) })
    // The stream opens half way to the connection deadline; AUTH completes after it (the stream's own deadline is later).
    await waitFor(() => performance.now() - t0 > 1_000, { timeout: 5_000, message: 'half the deadline passes' })
    await client.connect(loopbackAddr(hub), JSON_PROTOCOL)
    assert.equal(client.connection, conn, 'the stream runs on the first connection')
    const { dialerNonce, response } = await challenge(client)
    await waitFor(() => performance.now() - t0 > 2_500, { timeout: 5_000, message: 'the connection deadline passes' })
    assert.equal(conn.status, 'open', 'not cut while its session handshake runs')
    sendFrame(client, { type: 'AUTH', step: 'proof', proof: dialerProof(client, hub.peerId, TEST_TOKEN, dialerNonce, response.nonce as string) })
    sendFrame(client, { type: 'JOIN', name: 'late', mode: 'peer' })
    await waitFor(() => hasSession(hub, client.peerId), { timeout: 5_000, message: 'the session opens' })
    await waitFor(() => performance.now() - t0 > 4_500, { timeout: 5_000, message: 'the extended deadline passes too' })
    assert.equal(conn.status, 'open')
    assert.equal(hub.stats().connections.cut.authDeadline, 0)
  })

  it('conn-guard - a silent TCP socket is cut by the upgrade timeout (timeouts.upgradeMs)', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { upgradeMs: 700, authMs: 5_000 } })
    const { closed } = await silentSocket(portOf(hub))
    const ms = await closed
    assert.ok(ms >= 600 && ms < 4_000, `closed after ${ms.toFixed(0)} ms`)
    await waitFor(() => hub.stats().connections.cut.upgradeTimeout === 1, { timeout: 2_000, message: 'counted as an upgrade timeout' })
    assert.equal(hub.stats().connections.inbound, 0)
  })
})

describe('conn-guard - limits on one address', () => {
  it('conn-guard - the pending-connection limit (limits.maxPendingConnections) refuses handshakes past it, counted', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { maxPendingConnections: 2 }, timeouts: { upgradeMs: 10_000 } })
    const sockets = await Promise.all(Array.from({ length: 4 }, async () => await silentSocket(portOf(hub))))
    await waitFor(() => hub.stats().connections.refused.pendingLimit === 2, { timeout: 5_000, message: 'two refused by the pending limit' })
    const closedMs: number[] = []
    for (const s of sockets) void s.closed.then(ms => closedMs.push(ms))
    await waitFor(() => closedMs.length === 2, { timeout: 2_000, message: 'the two refused sockets are closed at once' })
    assert.ok(closedMs.every(ms => ms < 2_000))
    assert.equal(hub.stats().connections.inbound, 2)
  })

  it('conn-guard - the unauthenticated cap per IP (limits.maxUnauthenticatedPerIp) refuses before the handshake; authenticated sessions do not count', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { maxUnauthenticatedPerIp: 2 } })
    const leaves = await Promise.all([0, 1, 2].map(async i => await startNode({ mode: 'leaf', name: `leaf${i}`, bootstrap: [loopbackAddr(hub)] })))
    await waitFor(() => leaves.every(l => hasSession(hub, l)), { timeout: 15_000, message: 'three leaves hold sessions' })
    // Three leaves starting at once may have met the cap of 2 and retried: count from here.
    const before = hub.stats().connections.refused.perIpUnauthenticated
    const hoarder = await createTextClient()
    const addr = multiaddr(loopbackAddr(hub))
    // One after the other: concurrent dials to one peer are merged into one connection, even forced.
    const opened = []
    for (let i = 0; i < 4; i++) opened.push(await hoarder.node.dial(addr, { force: true, signal: AbortSignal.timeout(5_000) }).then(c => c.status, () => 'refused'))
    assert.deepEqual(opened.slice(0, 2), ['open', 'open'])
    await waitFor(() => hub.stats().connections.refused.perIpUnauthenticated === before + 2, { timeout: 5_000, message: 'two refused by the unauthenticated cap' })
    assert.equal(hub.stats().connections.unauthenticated, 2)
    assert.equal(hub.stats().connections.inbound, 5)
  })

  it('conn-guard - the connection cap per IP (limits.maxConnectionsPerIp) refuses a third session from one address', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { maxConnectionsPerIp: 2, maxUnauthenticatedPerIp: 2 } })
    const leaves = await Promise.all([0, 1].map(async i => await startNode({ mode: 'leaf', name: `leaf${i}`, bootstrap: [loopbackAddr(hub)] })))
    await waitFor(() => leaves.every(l => hasSession(hub, l)), { timeout: 15_000, message: 'two leaves hold sessions' })
    await assert.rejects(connectTextClient(loopbackAddr(hub), { protocol: '/p2p-overlay/json/2.0.0' }))
    assert.equal(hub.stats().connections.refused.perIpConnections, 1)
    assert.equal(hub.sessions().length, 2)
  })

  it('conn-guard - wrong tokens from fresh peer IDs use up the address\'s failed-auth budget, then the address is refused', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { maxAuthFailuresPerIp: 3 } })
    const banned = nextEvent(hub, 'rejected', r => r.code === 'ip_banned', { timeout: 10_000 })
    for (let i = 0; i < 3; i++) {
      const client = await connectTextClient(loopbackAddr(hub))
      client.write('AUTH:wrong-token\n')
      await client.waitLine(/^ERR:bad_token/)
    }
    const event = await banned
    assert.match(event.message, /127\.0\.0\.1 failed 3 authentications/)
    assert.equal(hub.stats().connections.ipBans, 1)
    assert.equal(hub.stats().connections.authFailures, 3)
    // A fresh identity from the same address is refused before its handshake, even with the token.
    await assert.rejects(connectTextClient(loopbackAddr(hub)).then(async c => { c.write(`AUTH:${TEST_TOKEN}\n`); await c.waitLine(/^OK/, 3_000) }))
    assert.equal(hub.stats().connections.refused.ipBanned, 1)
    assert.equal(hub.stats().connections.bannedIps, 1)
  })

  it('conn-guard - an AUTH that times out is not charged to the address: slow honest clients behind one address do not get it banned', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', limits: { maxAuthFailuresPerIp: 1 }, timeouts: { authMs: 300 } })
    const timedOut = nextEvent(hub, 'rejected', r => r.code === 'auth_timeout', { timeout: 5_000 })
    const silent = await connectTextClient(loopbackAddr(hub))
    await timedOut
    await silent.connectionClosed
    assert.equal(hub.stats().connections.authFailures, 0)
    const honest = await connectTextClient(loopbackAddr(hub))
    honest.write(`AUTH:${TEST_TOKEN}\nJOIN:honest\n`)
    await honest.waitLine(/^OK:JOIN/, 5_000)
    assert.equal(hub.stats().connections.ipBans, 0)
  })
})
