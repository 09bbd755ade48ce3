/**
 * What a new user hits first (issue 18), with real `overlay` processes on 127.0.0.1: clean exits and
 * refusals over Noise and TLS, leaves that cannot work, a file piped into a new leaf, listen errors,
 * friendly addresses, `overlay id` without --create, retry logs, and `demo` staying interactive.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { createOverlayNode } from '../../src/index.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { freePort } from '../helpers/create-nodes.ts'
import type { CliEvent, CliProcess } from '../helpers/cli-process.ts'

const TOKEN = 'letmein123'
const T = 20_000
const cli = new CliTracker()
afterEach(async () => { await cli.stopAll() })

async function startHub (extra: string[] = [], env: Record<string, string> = {}): Promise<{ hub: CliProcess, addr: string, port: number }> {
  const port = await freePort()
  const hub = await cli.spawn('hub', ['start', '--mode', 'hub', '--name', 'hub', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json', ...extra], env)
  await hub.waitEvent('listening', () => true, { timeout: T })
  return { hub, addr: `/ip4/127.0.0.1/tcp/${port}`, port }
}

async function leafArgs (name: string, addr: string, token: string, encryption: string, json = true): Promise<string[]> {
  return ['start', '--mode', 'leaf', '--name', name, '--bootstrap', addr, `--token=${token}`, '--encryption', encryption, '--data-dir', await cli.tempDir(), ...(json ? ['--json'] : [])]
}

/** Runs to its exit with stdin held open (end of input would make a leaf leave before it is refused). */
async function runOpen (label: string, args: string[]): Promise<CliProcess> {
  const p = await cli.spawn(label, args)
  await p.waitExit(T)
  return p
}

const noTrace = (p: CliProcess): void => {
  assert.doesNotMatch(p.stderr + p.stdout, /undefined| {4}at |Error:|faultTolerance/, p.describe())
}

for (const encryption of ['noise', 'tls']) {
  describe(`leaves over ${encryption}`, () => {
    it(`leaves - a clean exit over ${encryption} arrives as EXIT: the other side shows left (exit), never failed`, { timeout: 60_000 }, async () => {
      const { hub, addr } = await startHub()
      const b = await cli.spawn('b', ['start', '--name', 'b', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', addr, '--token', TOKEN, '--encryption', encryption, '--data-dir', await cli.tempDir(), '--json'])
      const open = await hub.waitEvent('session', e => e.action === 'open' && e.name === 'b', { timeout: T })
      assert.equal(open.encryption, encryption === 'tls' ? '/tls/1.0.0' : '/noise')
      await b.waitEvent('joined', e => e.name === 'hub', { timeout: T })
      b.write('/exit')
      assert.deepEqual(await b.waitExit(T), { code: 0, signal: null }, b.describe())
      await hub.waitEvent('left', e => e.name === 'b', { timeout: T })
      assert.deepEqual(hub.of('left', e => e.name === 'b').map(e => e.reason), ['exit'], hub.describe())
      assert.equal(hub.of('suspect').length + hub.of('failed').length, 0, hub.describe())
      // SIGTERM is the same clean exit.
      const c = await cli.spawn('c', await leafArgs('c', addr, TOKEN, encryption))
      await hub.waitEvent('joined', e => e.name === 'c', { timeout: T })
      await c.waitEvent('joined', e => e.name === 'hub', { timeout: T })
      c.signal('SIGTERM')
      assert.equal((await c.waitExit(T)).code, 0)
      await hub.waitEvent('left', e => e.name === 'c', { timeout: T })
      assert.deepEqual(hub.of('left', e => e.name === 'c').map(e => e.reason), ['exit'], hub.describe())
    })

    it(`leaves - a killed leaf over ${encryption} is a failure: suspect, failed, left (failed)`, { timeout: 60_000 }, async () => {
      const { hub, addr } = await startHub(['--encryption', encryption], { OVERLAY_MESH_HEARTBEAT_MS: '200', OVERLAY_MESH_SUSPECT_AFTER_MS: '600', OVERLAY_MESH_FAIL_AFTER_MS: '400' })
      const d = await cli.spawn('d', await leafArgs('d', addr, TOKEN, encryption))
      const open = await hub.waitEvent('session', e => e.action === 'open' && e.name === 'd', { timeout: T })
      assert.equal(open.encryption, encryption === 'tls' ? '/tls/1.0.0' : '/noise')
      await hub.waitEvent('joined', e => e.name === 'd', { timeout: T })
      d.signal('SIGKILL')
      await d.waitExit(T)
      await hub.waitEvent('left', e => e.name === 'd', { timeout: T })
      assert.deepEqual(hub.of('left', e => e.name === 'd').map(e => e.reason), ['failed'], hub.describe())
    })

    it(`leaves - refusals over ${encryption} are final: wrong token exit 3, then banned exit 4, name taken exit 5, each said in one line and logged by the hub`, { timeout: 60_000 }, async () => {
      const { hub, addr } = await startHub()
      const dir = await cli.tempDir()
      const args = (token: string): string[] => ['start', '--mode', 'leaf', '--name', 'mallory', '--bootstrap', addr, `--token=${token}`, '--encryption', encryption, '--data-dir', dir]
      const wrong = await runOpen('wrong', args('not-the-token'))
      assert.equal(wrong.exit?.code, 3, wrong.describe())
      assert.deepEqual(wrong.stderrLines, [`overlay: hub at ${addr} refused the token; it refuses this peer for 60 s: start again with its token after that`])
      assert.equal(wrong.lines.filter(l => l.includes('attempt')).length, 0, 'not retried')
      noTrace(wrong)
      // The same peer id with the right token within the ban: told so, not "no hub answered".
      const banned = await runOpen('banned', args(TOKEN))
      assert.equal(banned.exit?.code, 4, banned.describe())
      assert.match(banned.stderrLines[0] ?? '', new RegExp(`^overlay: hub at ${addr} refuses this peer for \\d+ s more, after a wrong token from it`))
      assert.equal(banned.stderrLines.length, 1, banned.describe())
      noTrace(banned)
      const alice = await cli.spawn('alice', await leafArgs('alice', addr, TOKEN, encryption))
      await hub.waitEvent('joined', e => e.name === 'alice', { timeout: T })
      const twin = await runOpen('twin', await leafArgs('alice', addr, TOKEN, encryption, false))
      assert.equal(twin.exit?.code, 5, twin.describe())
      assert.deepEqual(twin.stderrLines, [`overlay: hub at ${addr} refused the name: "alice" is taken in the mesh; start again with another --name`])
      noTrace(twin)
      assert.deepEqual(hub.of('rejected').map(e => e.code), ['bad_token', 'banned', 'name_taken'], hub.describe())
      assert.equal(alice.running, true)
    })
  })
}

describe('leaves that cannot work', () => {
  it('leaves - a leaf without --bootstrap or without a token is a usage error (exit 2), and prints no join hint', { timeout: 30_000 }, async () => {
    const noHub = await cli.run('nohub', ['start', '--mode', 'leaf', '--token', TOKEN, '--data-dir', await cli.tempDir()])
    assert.equal(noHub.exit.code, 2, noHub.describe())
    assert.equal(noHub.stderrLines[0], 'overlay: a leaf needs a hub to dial: pass --bootstrap MULTIADDR (or bootstrap in the config file, OVERLAY_BOOTSTRAP)')
    const noToken = await cli.run('notoken', ['start', '--mode', 'leaf', '--bootstrap', '127.0.0.1:9', '--data-dir', await cli.tempDir()])
    assert.equal(noToken.exit.code, 2, noToken.describe())
    assert.match(noToken.stderrLines[0] ?? '', /^overlay: a leaf needs the token of its hub: pass --token T or --token-file F/)
    for (const p of [noHub, noToken]) assert.doesNotMatch(p.stderr, /Start a second node/)
  })

  it('leaves - the library refuses a leaf without a token too (ConfigError on token), before it takes a data dir', async () => {
    const dataDir = await cli.tempDir()
    await assert.rejects(createOverlayNode({ mode: 'leaf', bootstrap: ['/ip4/127.0.0.1/tcp/9'], dataDir }), (err: Error & { key?: string }) => err.name === 'ConfigError' && err.key === 'token')
    assert.equal(existsSync(join(dataDir, 'identity.key')), false)
  })

  it('leaves - the library counts the queue: queued, dropped (reported once as queue_full), sent', { timeout: 30_000 }, async () => {
    const port = await freePort()
    const leaf = await createOverlayNode({ mode: 'leaf', name: 'counted', token: TOKEN, bootstrap: [`/ip4/127.0.0.1/tcp/${port}`], listen: [], dataDir: await cli.tempDir(), limits: { queueMessages: 2 }, retry: { attempts: 1000 } })
    const errors: string[] = []
    leaf.addEventListener('error', evt => { errors.push(evt.detail.code) })
    await leaf.start()
    try {
      for (const t of ['one', 'two', 'three', 'four']) assert.deepEqual(await leaf.send(t), { id: '', queued: true })
      const stats = leaf.stats()
      assert.deepEqual([stats.queued, stats.queueDropped, stats.queueSent], [2, 2, 0])
      assert.deepEqual(errors, ['queue_full'], 'said once per outage, not per line')
    } finally {
      await leaf.stop()
    }
  })

  it('leaves - a file piped into a new leaf arrives whole (1,000 lines), and only then does the leaf exit 0', { timeout: 60_000 }, async () => {
    const { hub, addr } = await startHub()
    const b = await cli.spawn('b', await leafArgs('b', addr, TOKEN, 'noise'))
    await hub.waitEvent('joined', e => e.name === 'b', { timeout: T })
    const lines = Array.from({ length: 1000 }, (_, i) => `piped-${i}`)
    const leaf = await cli.spawn('a', await leafArgs('a', addr, TOKEN, 'noise'))
    // All of it at once, then end of input: the leaf reads to the end before it has joined.
    leaf.child.stdin?.end(lines.join('\n') + '\n')
    assert.deepEqual(await leaf.waitExit(T * 2), { code: 0, signal: null }, leaf.describe())
    await hub.waitUntil(() => hub.of('message', e => e.from === 'a').length === 1000, { timeout: T, message: 'all 1,000 lines at the hub' })
    assert.deepEqual(hub.of('message', e => e.from === 'a').map(e => e.text), lines)
    // Another leaf gets every line too, the first ones included.
    await b.waitUntil(() => b.of('message', e => e.from === 'a').length === 1000, { timeout: T, message: 'all 1,000 lines at leaf b' })
    assert.deepEqual(b.of('message', e => e.from === 'a').map(e => e.text), lines)
    await hub.waitEvent('left', e => e.name === 'a' && e.reason === 'exit', { timeout: T })
  })
})

describe('the leaf queue', () => {
  it('leaves - lines beyond limits.queueMessages before the join are dropped, counted and reported; the rest arrive', { timeout: 60_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await cli.spawn('small', await leafArgs('small', addr, TOKEN, 'noise'), { OVERLAY_LIMITS_QUEUE_MESSAGES: '5' })
    leaf.child.stdin?.end(Array.from({ length: 8 }, (_, i) => `q-${i}`).join('\n') + '\n')
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null }, leaf.describe())
    assert.equal(leaf.of('error', e => e.code === 'queue_full').length, 1, leaf.describe())
    assert.match(String(leaf.of('error', e => e.code === 'queue_dropped')[0]?.message), /^3 lines typed while there was no hub did not fit the queue \(limits\.queueMessages 5/)
    await hub.waitEvent('left', e => e.name === 'small', { timeout: T })
    assert.deepEqual(hub.of('message', e => e.from === 'small').map(e => e.text), ['q-0', 'q-1', 'q-2', 'q-3', 'q-4'])
  })
})

describe('addresses and listen errors', () => {
  it('leaves - a port in use and a /udp/ listen address are one line and exit 1, no stack trace', { timeout: 30_000 }, async () => {
    const { port } = await startHub()
    const inUse = await cli.run('inuse', ['start', '--name', 'x', '--token', TOKEN, '--listen', `127.0.0.1:${port}`, '--data-dir', await cli.tempDir()])
    assert.equal(inUse.exit.code, 1, inUse.describe())
    assert.deepEqual(inUse.stderrLines, [`overlay: cannot listen on /ip4/127.0.0.1/tcp/${port}: the port is in use (another node or program holds it); pick another with --listen`])
    const udp = await cli.run('udp', ['start', '--name', 'y', '--token', TOKEN, '--listen', '/ip4/127.0.0.1/udp/9005', '--data-dir', await cli.tempDir()])
    assert.equal(udp.exit.code, 1, udp.describe())
    assert.deepEqual(udp.stderrLines, ['overlay: cannot listen on /ip4/127.0.0.1/udp/9005: only TCP addresses work here, e.g. /ip4/0.0.0.0/tcp/9000 (--listen)'])
  })

  it('leaves - host:port is accepted for --listen and --bootstrap; a bare IP gets "did you mean", naming the flag as typed', { timeout: 30_000 }, async () => {
    const { hub, port } = await startHub()
    const leaf = await cli.spawn('friendly', await leafArgs('friendly', `127.0.0.1:${port}`, TOKEN, 'noise'))
    await hub.waitEvent('joined', e => e.name === 'friendly', { timeout: T })
    assert.equal((await leaf.waitEvent('bootstrap', e => e.ok === true, { timeout: T })).addr, `/ip4/127.0.0.1/tcp/${port}`)
    const bad = await cli.run('bad', ['start', '--name', 'z', '--token', TOKEN, '--listen', '127.0.0.1', '--data-dir', await cli.tempDir()])
    assert.equal(bad.exit.code, 2, bad.describe())
    assert.match(bad.stderrLines[0] ?? '', /^overlay: --listen: "127\.0\.0\.1" is not a valid multiaddr: .*did you mean \/ip4\/127\.0\.0\.1\/tcp\/9000$/)
  })
})

describe('overlay id', () => {
  it('leaves - id for a name with no identity creates nothing unless --create, and says whether the node runs', { timeout: 30_000 }, async () => {
    const home = await cli.tempDir()
    const env = { XDG_DATA_HOME: home }
    const typo = await cli.run('typo', ['id', '--name', 'typo'], { env })
    assert.equal(typo.exit.code, 1, typo.describe())
    assert.match(typo.stderrLines[0] ?? '', /^overlay: no identity for "typo" in .*; pass --create to make one$/)
    assert.equal(existsSync(join(home, 'p2p-overlay', 'typo')), false, 'no dir was created')
    const created = await cli.run('create', ['id', '--name', 'typo', '--create'], { env })
    assert.equal(created.exit.code, 0, created.describe())
    assert.match(created.lines[0] ?? '', /^12D3KooW/)
    assert.ok(created.lines.some(l => l.startsWith('not running')), created.describe())
    const again = await cli.run('again', ['id', '--name', 'typo'], { env })
    assert.equal(again.lines[0], created.lines[0])
    assert.ok(again.lines.some(l => l.startsWith('not running')), again.describe())
    const node = await cli.spawn('node', ['start', '--name', 'typo', '--listen', '/ip4/127.0.0.1/tcp/0', '--token', TOKEN, '--json'], env)
    const listening = await node.waitEvent('listening', () => true, { timeout: T })
    const running = await cli.run('running', ['id', '--name', 'typo'], { env })
    assert.equal(running.lines[0], listening.peerId)
    assert.equal(running.lines[1], `running as typo (peer, pid ${node.pid}), listening on:`)
  })
})

describe('retry logs', () => {
  it('leaves - an unreachable bootstrap logs one line for the first round, then one per back-off step, repeats collapsed', { timeout: 30_000 }, async () => {
    const addr = `/ip4/127.0.0.1/tcp/${await freePort()}`
    const env = { OVERLAY_RETRY_ATTEMPTS: '3', OVERLAY_RETRY_INTERVAL_MS: '100', OVERLAY_RETRY_MAX_INTERVAL_MS: '200', OVERLAY_RETRY_JITTER_MS: '0' }
    const human = await cli.spawn('human', ['start', '--name', 'p', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', addr, '--token', TOKEN, '--data-dir', await cli.tempDir()], env)
    const json = await cli.spawn('json', ['start', '--name', 'q', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', addr, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'], env)
    await json.waitUntil(() => json.of('error', e => e.code === 'bootstrap_unreachable').length >= 6, { timeout: T })
    await human.waitLine(l => l.includes('repeated'), { timeout: T })
    const about = human.lines.filter(l => l.includes(addr))
    assert.equal(about[0], `* ${addr}: attempt 1 failed (connection refused); retrying`)
    assert.equal(about[1], `! bootstrap_unreachable: ${addr}: no answer after 3 attempts (connection refused); retrying in 0.1 s`)
    assert.equal(about[2], `! bootstrap_unreachable: ${addr}: still no answer (connection refused); retrying in 0.2 s`)
    assert.equal(about.length, 3, human.describe())
    assert.ok(human.lines.includes('  (the line above repeated 10 more times)'), human.describe())
    // JSON keeps every attempt for scripts: 3 in the first round, then one per step.
    const steps = json.of('error', e => e.code === 'bootstrap_unreachable').length
    assert.ok(json.of('bootstrap').length >= 3 + steps - 1, json.describe())
  })
})

describe('demo', () => {
  it('leaves - demo stays interactive: a typed line goes out from node-1, and --json events carry the node that saw them', { timeout: 60_000 }, async () => {
    const demo = await cli.spawn('demo', ['demo', '--nodes', '3', '--json'])
    await demo.waitUntil(() => demo.of('message', e => e.text === 'hello from node-3').length >= 2, { timeout: 40_000, message: 'the greetings' })
    for (const e of demo.events) assert.match(String(e.node), /^node-[1-3]$/, JSON.stringify(e))
    demo.write('typed by hand')
    await demo.waitUntil(() => demo.of('message', e => e.text === 'typed by hand').length === 2, { timeout: T })
    const seen = demo.of('message', e => e.text === 'typed by hand')
    assert.deepEqual(seen.map((e: CliEvent) => e.from), ['node-1', 'node-1'])
    assert.deepEqual(seen.map((e: CliEvent) => e.node).sort(), ['node-2', 'node-3'])
    demo.signal('SIGINT')
    assert.deepEqual(await demo.waitExit(20_000), { code: 0, signal: null }, demo.describe())
  })
})
