/**
 * Outsiders without the token, across hosts: the hub (the compose `hub` service, run by the CLI)
 * on one host, the attacker on host A (leaf-1), an honest client on host B (leaf-2), each with its
 * own IP (see netns.ts). On loopback every client shares 127.0.0.1, so per-IP limits can only be
 * seen to spare other addresses here. Needs root, iproute2 and the built CLI (npm run build).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHosts, REPO_ROOT, type HostEvent, type Hosts, type Replica } from '../helpers/hosts/netns.ts'
import type { HostProcess } from '../helpers/hosts/host-process.ts'

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js')
const OUTSIDER = 'test/helpers/hosts/outsider.ts'
const ENV = Object.fromEntries(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').split('\n')
  .filter(l => /^[A-Z_]+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
const WAIT = 30_000
/** An honest client "connects at once": its AUTH + PING round, started from a running process. */
const AT_ONCE_MS = 3_000

describe('hosts - outsiders cannot lock a client on another host out', { timeout: 180_000 }, () => {
  let h: Hosts
  let hub: Replica
  let hubAddr = ''
  let probe: HostProcess
  const A = 'leaf-1'
  const B = 'leaf-2'

  /** (Re)starts the hub with these environment overrides and waits until it listens. */
  async function startHub (env: Record<string, string>): Promise<void> {
    if (hub.running) await hub.stop()
    hub.start({ env })
    const listening = await hub.waitForEvent(e => e.type === 'listening', { timeout: WAIT, message: 'the hub listens' })
    hubAddr = `/ip4/${hub.ip}/tcp/9000/p2p/${String(listening.peerId)}`
  }

  async function hubStats (): Promise<Record<string, any>> {
    const since = hub.mark()
    hub.writeLine('/stats')
    const reply = await hub.waitForEvent(e => e.type === 'stats', { since, timeout: 10_000, message: 'the hub answers /stats' })
    return (reply.stats as Record<string, any>).connections
  }

  /** One AUTH + PING from host B (its process is already running, so no start-up time counts). */
  async function probeFromB (): Promise<HostEvent> {
    const since = probe.mark()
    probe.writeLine('probe')
    return await probe.waitForEvent(e => e.type === 'probe', { since, timeout: 15_000, message: 'a probe result from host B' })
  }

  function outsider (args: string[]): HostProcess {
    return h.run(A, ['node', OUTSIDER, ...args])
  }

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`the overlay CLI is not built: ${CLI} is missing (run npm run build)`)
    h = createHosts({ env: ENV, scale: { leaf: 2 } })
    hub = h.replica('hub')
    await startHub({})
    probe = h.run(B, ['node', OUTSIDER, 'probe', hubAddr, ENV.OVERLAY_TOKEN as string])
    await probe.waitForEvent(e => e.type === 'ready', { timeout: WAIT, message: 'the probe on host B is ready' })
    const first = await probeFromB()
    assert.equal(first.ok, true, `host B reaches the hub before any attack: ${String(first.error)}`)
  })
  after(async () => { await h?.destroy() })

  it('hosts - a hoard of stream-less libp2p connections from host A is cut at the auth deadline; host B connects at once', async t => {
    // maxSessions 8: before connection limits, libp2p's maxConnections was maxSessions + 64 = 72.
    await startHub({ OVERLAY_LIMITS_MAX_SESSIONS: '8', OVERLAY_TIMEOUTS_AUTH_MS: '4000' })
    const quiet = await probeFromB()
    assert.equal(quiet.ok, true)
    const hoard = outsider(['hoard', hubAddr, '80'])
    const held = await hoard.waitForEvent(e => e.type === 'held', { timeout: WAIT, message: 'host A holds its connections' })
    assert.equal(held.open, 80, `host A opened 80 connections that carry no stream (refused: ${String(held.refused)})`)
    assert.equal(held.streams, 0)

    const p = await probeFromB()
    assert.equal(p.ok, true, `host B is served while host A hoards: ${String(p.error)}`)
    assert.ok((p.ms as number) < AT_ONCE_MS, `host B waited ${String(p.ms)} ms`)
    assert.equal(hoard.find(e => e.type === 'all-closed'), undefined, 'the hoard was still held while B connected')

    const closed = await hoard.waitForEvent(e => e.type === 'all-closed', { timeout: 15_000, message: 'every hoarded connection is cut' })
    assert.ok((closed.ms as number) - (held.ms as number) < 4_000 + 3_000, `cut ${(closed.ms as number) - (held.ms as number)} ms after the hoard was complete`)
    const stats = await hubStats()
    assert.ok(stats.cut.authDeadline >= 80, `auth-deadline cuts counted: ${JSON.stringify(stats.cut)}`)
    assert.equal(stats.unauthenticated, 0)
    t.diagnostic(`hoard: ${String(held.open)} connections held; B's AUTH + PING took ${String(p.ms)} ms (quiet: ${String(quiet.ms)} ms); all cut ${(closed.ms as number) - (held.ms as number)} ms after the hoard was complete; hub: ${JSON.stringify(stats)}`)
    hoard.signal('SIGTERM')
    await hoard.waitExit(5_000)
  })

  it('hosts - silent TCP sockets from host A past the per-IP and pending limits do not delay host B, and are cut by the upgrade timeout', async t => {
    await startHub({})
    // 1,100 sockets: past the default unauthenticated cap per IP (512) and pending limit (640); the
    // pending limit before connection limits was min(maxSessions, 1024) = 1024.
    const silent = outsider(['silent', hub.ip, '9000', '1100'])
    const held = await silent.waitForEvent(e => e.type === 'held', { timeout: WAIT, message: 'host A holds its sockets' })
    assert.ok((held.open as number) <= 512, `host A holds ${String(held.open)} sockets, at most limits.maxUnauthenticatedPerIp`)
    assert.ok((held.closedEarly as number) >= 1_100 - 512, `the rest were closed at once: ${String(held.closedEarly)}`)

    const p = await probeFromB()
    assert.equal(p.ok, true, `host B is served while host A holds silent sockets: ${String(p.error)}`)
    assert.ok((p.ms as number) < AT_ONCE_MS, `host B waited ${String(p.ms)} ms`)

    // timeouts.upgradeMs (10 s) after each was accepted; 'held' came at most ~1 s after the first.
    const closed = await silent.waitForEvent(e => e.type === 'all-closed', { timeout: 20_000, message: 'every silent socket is cut' })
    assert.ok((closed.afterHeldMs as number) < 10_000 + 3_000, `cut ${String(closed.afterHeldMs)} ms after they were held`)
    const stats = await hubStats()
    const refused = stats.refused.perIpUnauthenticated + stats.refused.pendingLimit + stats.refused.rateLimit
    assert.ok(refused >= 1_100 - 512, `refusals counted: ${JSON.stringify(stats.refused)}`)
    assert.ok(stats.cut.upgradeTimeout >= (held.open as number), `upgrade-timeout cuts counted: ${JSON.stringify(stats.cut)}`)
    assert.equal(stats.inbound, 0)
    t.diagnostic(`silent sockets: ${String(held.open)} held, ${String(held.closedEarly)} closed at once; B's AUTH + PING took ${String(p.ms)} ms; the held ones cut ${String(closed.afterHeldMs)} ms after; hub: ${JSON.stringify(stats)}`)
    silent.signal('SIGTERM')
    await silent.waitExit(5_000)
  })

  it('hosts - wrong tokens from fresh peer IDs on host A use up its failed-auth budget; A is refused, B still authenticates', async t => {
    await startHub({})
    const since = hub.mark()
    const wrong = outsider(['wrong', hubAddr, '40'])
    const done = await wrong.waitForEvent(e => e.type === 'done', { timeout: 60_000, message: 'host A made 40 attempts' })
    const outcomes = done.outcomes as string[]
    assert.equal(new Set(wrong.events.filter(e => e.type === 'attempt').map(e => e.peerId)).size, 40, 'a fresh peer id each time')
    // limits.maxAuthFailuresPerIp (32): the 32nd failure starts the ban; every later attempt is refused before its handshake.
    assert.deepEqual(outcomes.slice(0, 32), Array(32).fill('bad_token'))
    assert.ok(outcomes.slice(32).every(o => o.startsWith('refused')), `after the budget: ${outcomes.slice(32).join(', ')}`)

    const ban = await hub.waitForEvent(e => e.type === 'rejected' && e.code === 'ip_banned', { since, timeout: 5_000, message: 'the hub reports the address ban' })
    assert.match(String(ban.message), new RegExp(h.replica(A).ip.replaceAll('.', '\\.')))
    const stats = await hubStats()
    assert.equal(stats.ipBans, 1)
    assert.equal(stats.refused.ipBanned, 8)
    assert.equal(stats.authFailures, 32)

    const p = await probeFromB()
    assert.equal(p.ok, true, `host B still authenticates: ${String(p.error)}`)
    assert.ok((p.ms as number) < AT_ONCE_MS, `host B waited ${String(p.ms)} ms`)
    t.diagnostic(`wrong tokens: ${outcomes.filter(o => o === 'bad_token').length} bad_token, then ${outcomes.filter(o => o.startsWith('refused')).length} refused; B's AUTH + PING took ${String(p.ms)} ms; hub: ${JSON.stringify(stats)}`)
  })
})
