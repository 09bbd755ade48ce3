/**
 * The CLI as its users run it: real `overlay` processes (dist/src/cli/bin.js, built by `npm test`
 * first) over 127.0.0.1, talking through stdin/stdout and signals. Every wait is on an output line
 * or an exit; every process is killed in afterEach.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { EVENT_TYPES } from '../../src/cli/commands/start.ts'
import { childPids, CliTracker, pidAlive } from '../helpers/cli-process.ts'
import { freePort } from '../helpers/create-nodes.ts'
import type { CliEvent, CliProcess } from '../helpers/cli-process.ts'

const TOKEN = 'letmein123'
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
/** Budget for one wait on a line from a local process (startup includes loading libp2p). */
const T = 15_000

const cli = new CliTracker()
afterEach(async () => { await cli.stopAll() })

/** Starts a hub on loopback and returns it with its first address (ending in /p2p/<peerId>). */
async function startHub (name = 'hub'): Promise<{ hub: CliProcess, addr: string, peerId: string, dir: string }> {
  const dir = await cli.tempDir()
  const hub = await cli.spawn(name, ['start', '--mode', 'hub', '--name', name, '--listen', LOOPBACK, '--token', TOKEN, '--data-dir', dir, '--json'])
  const listening = await hub.waitEvent('listening', () => true, { timeout: T })
  const addrs = listening.addrs as string[]
  const peerId = listening.peerId as string
  assert.equal(listening.name, name)
  assert.equal(listening.mode, 'hub')
  assert.ok(addrs.length > 0)
  for (const a of addrs) assert.ok(a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${peerId}`), a)
  return { hub, addr: addrs[0] as string, peerId, dir }
}

/** Starts a leaf bootstrapping to `addr` and waits until the hub has it as a member. */
async function startLeaf (hub: CliProcess, addr: string, name: string): Promise<CliProcess> {
  const dir = await cli.tempDir()
  const leaf = await cli.spawn(name, ['start', '--mode', 'leaf', '--name', name, '--bootstrap', addr, '--token', TOKEN, '--data-dir', dir, '--json'])
  await leaf.waitEvent('bootstrap', e => e.ok === true, { timeout: T, message: `${name} reaching the hub` })
  await hub.waitEvent('joined', e => e.name === name, { timeout: T, message: `the hub seeing ${name} join` })
  return leaf
}

const isLeftExit = (name: string) => (e: CliEvent): boolean => e.name === name && e.reason === 'exit'

describe('cli (real processes)', () => {
  it('cli - hub and leaf: broadcast, /peers, /members, /to, then SIGTERM leaves cleanly with exit 0', { timeout: 60_000 }, async () => {
    const { hub, addr, peerId: hubId } = await startHub()
    const leaf = await startLeaf(hub, addr, 'alice')
    const alice = (await leaf.waitEvent('listening', () => true, { timeout: T })).peerId as string
    const session = await hub.waitEvent('session', e => e.action === 'open' && e.name === 'alice', { timeout: T })
    assert.deepEqual(session, { type: 'session', action: 'open', peerId: alice, name: 'alice', wire: 'json', mode: 'leaf', encryption: '/noise' })

    // A plain line is a broadcast.
    leaf.write('hello from alice')
    const msg = await hub.waitEvent('message', e => e.text === 'hello from alice', { timeout: T })
    assert.equal(msg.from, 'alice')
    assert.equal(msg.origin, alice)
    assert.equal(msg.to, undefined)
    assert.equal(typeof msg.id, 'string')
    assert.equal(typeof msg.ts, 'number')

    // /peers: the sessions, as one JSON line.
    let mark = leaf.mark()
    leaf.write('/peers')
    const peers = await leaf.waitEvent('peers', () => true, { timeout: T, since: mark })
    const sessions = peers.sessions as Array<Record<string, unknown>>
    assert.equal(sessions.length, 1, JSON.stringify(peers))
    assert.equal(sessions[0]?.name, 'hub')
    assert.equal(sessions[0]?.peerId, hubId)
    assert.equal(sessions[0]?.mode, 'hub')
    assert.equal(sessions[0]?.wire, 'json')
    assert.equal(sessions[0]?.encryption, '/noise')

    // /members: every member, this node marked as self.
    mark = leaf.mark()
    leaf.write('/members')
    const members = (await leaf.waitEvent('members', () => true, { timeout: T, since: mark })).members as Array<Record<string, unknown>>
    const byName = new Map(members.map(m => [m.name, m]))
    assert.equal(byName.get('alice')?.self, true, JSON.stringify(members))
    assert.equal(byName.get('alice')?.peerId, alice)
    assert.equal(byName.get('hub')?.self, false, JSON.stringify(members))
    assert.equal(byName.get('hub')?.peerId, hubId)

    // /to: a direct message, acknowledged.
    mark = leaf.mark()
    leaf.write('/to hub hi there')
    const delivered = await leaf.waitEvent('delivered', () => true, { timeout: T, since: mark })
    assert.equal(delivered.to, 'hub')
    const direct = await hub.waitEvent('message', e => e.text === 'hi there', { timeout: T })
    assert.equal(direct.from, 'alice')
    assert.equal(direct.to, hubId, 'a direct message carries the receiver\'s peer id in `to`')
    assert.equal(direct.id, delivered.id)

    // /help lists the commands.
    mark = leaf.mark()
    leaf.write('/help')
    const help = await leaf.waitEvent('help', () => true, { timeout: T, since: mark })
    assert.deepEqual(Object.keys(help.commands as object).map(c => c.split(' ')[0]), ['/peers', '/members', '/stats', '/to', '/exit', '/help'])

    // Mistakes get an error line, and the node carries on.
    mark = leaf.mark()
    leaf.write('/nope')
    assert.match((await leaf.waitEvent('error', () => true, { timeout: T, since: mark })).message as string, /\/nope/)
    mark = leaf.mark()
    leaf.write('/to hub')
    assert.match((await leaf.waitEvent('error', () => true, { timeout: T, since: mark })).message as string, /usage: \/to NAME TEXT/)
    mark = leaf.mark()
    leaf.write('/to nobody hi')
    assert.equal((await leaf.waitEvent('error', () => true, { timeout: T, since: mark })).code, 'unknown_member')

    // Every stdout line was one JSON object: an event, or a reply to a stdin command.
    const types = new Set<string>([...EVENT_TYPES, 'peers', 'members', 'delivered', 'help'])
    for (const line of [...leaf.lines, ...hub.lines]) {
      const value = JSON.parse(line) as { type?: unknown }
      assert.ok(typeof value.type === 'string' && types.has(value.type), line)
    }
    assert.equal(leaf.events.length, leaf.lines.length)

    leaf.signal('SIGTERM')
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null }, leaf.describe())
    await hub.waitEvent('left', isLeftExit('alice'), { timeout: T })

    hub.signal('SIGTERM')
    assert.deepEqual(await hub.waitExit(T), { code: 0, signal: null }, hub.describe())
  })

  it('cli - /exit on stdin leaves cleanly: exit 0, and the hub sees left (exit)', { timeout: 40_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await startLeaf(hub, addr, 'bob')
    leaf.write('/exit')
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null }, leaf.describe())
    await hub.waitEvent('left', isLeftExit('bob'), { timeout: T })
    assert.equal(hub.running, true)
  })

  it('cli - end of stdin (Ctrl-D) leaves cleanly: exit 0, and the hub sees left (exit)', { timeout: 40_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await startLeaf(hub, addr, 'carol')
    leaf.endStdin()
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null }, leaf.describe())
    await hub.waitEvent('left', isLeftExit('carol'), { timeout: T })
  })

  it('cli - SIGINT leaves cleanly like SIGTERM, and the hub sees left (exit)', { timeout: 40_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await startLeaf(hub, addr, 'erin')
    leaf.signal('SIGINT')
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null }, leaf.describe())
    await hub.waitEvent('left', isLeftExit('erin'), { timeout: T })
  })

  it('cli - /to delivers TEXT exactly as typed, like a broadcast (inner spaces and tabs kept)', { timeout: 40_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await startLeaf(hub, addr, 'frank')
    leaf.write('two  spaces\tand a tab')
    const broadcast = await hub.waitEvent('message', e => e.from === 'frank' && e.to === undefined, { timeout: T })
    assert.equal(broadcast.text, 'two  spaces\tand a tab')
    const mark = leaf.mark()
    leaf.write('/to hub two  spaces\tand a tab')
    await leaf.waitEvent('delivered', () => true, { timeout: T, since: mark })
    const direct = await hub.waitEvent('message', e => e.from === 'frank' && e.to !== undefined, { timeout: T })
    assert.equal(direct.text, 'two  spaces\tand a tab')
  })

  it('cli - with stdin on /dev/null a node is not stopped by end of input, and still stops on SIGTERM', { timeout: 40_000 }, async () => {
    const hubDir = await cli.tempDir()
    const hub = await cli.spawn('hub', ['start', '--mode', 'hub', '--name', 'hub', '--listen', LOOPBACK, '--token', TOKEN, '--data-dir', hubDir, '--json'], {}, { stdin: 'ignore' })
    const addr = ((await hub.waitEvent('listening', () => true, { timeout: T })).addrs as string[])[0] as string
    const leaf = await cli.spawn('leaf', ['start', '--mode', 'leaf', '--name', 'grace', '--bootstrap', addr, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'], {}, { stdin: 'ignore' })
    await hub.waitEvent('joined', e => e.name === 'grace', { timeout: T })
    // Both have long seen the end of /dev/null; they still run and answer.
    const health = await cli.run('health', ['health', '--data-dir', hubDir, '--token', TOKEN, '--json'])
    assert.equal(health.exit.code, 0, health.describe())
    assert.equal(health.events[0]?.sessions, 1)
    assert.equal(leaf.running, true, leaf.describe())
    assert.equal(hub.of('left').length, 0)
    leaf.signal('SIGTERM')
    assert.deepEqual(await leaf.waitExit(T), { code: 0, signal: null })
    await hub.waitEvent('left', isLeftExit('grace'), { timeout: T })
    hub.signal('SIGTERM')
    assert.deepEqual(await hub.waitExit(T), { code: 0, signal: null })
  })

  it('cli - a second node on a data dir in use exits 1 naming the holder, and the first keeps running', { timeout: 40_000 }, async () => {
    const { hub, dir } = await startHub()
    const second = await cli.run('second', ['start', '--mode', 'hub', '--name', 'hub', '--listen', LOOPBACK, '--token', TOKEN, '--data-dir', dir, '--json'])
    assert.equal(second.exit.code, 1, second.describe())
    assert.equal(second.stdout, '')
    assert.match(second.stderr, new RegExp(`in use by process ${hub.pid}`))
    assert.doesNotMatch(second.stderr, /usage:/)
    assert.equal(hub.running, true)
    const health = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN])
    assert.equal(health.exit.code, 0, health.describe())
  })

  it('cli - after a SIGKILL, health reports not running and a restart takes over the data dir with the same peer id', { timeout: 40_000 }, async () => {
    const { hub, dir, peerId } = await startHub()
    assert.ok(existsSync(join(dir, 'lock')) && existsSync(join(dir, 'node.json')))
    hub.signal('SIGKILL')
    assert.equal((await hub.waitExit(T)).signal, 'SIGKILL')
    const health = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN, '--json'])
    assert.equal(health.exit.code, 1, health.describe())
    assert.equal(health.events[0]?.reason, 'not_running')
    const again = await cli.spawn('hub-again', ['start', '--mode', 'hub', '--name', 'hub', '--listen', LOOPBACK, '--token', TOKEN, '--data-dir', dir, '--json'])
    assert.equal((await again.waitEvent('listening', () => true, { timeout: T })).peerId, peerId)
    again.signal('SIGTERM')
    assert.deepEqual(await again.waitExit(T), { code: 0, signal: null })
  })

  it('cli - two signals in a row end the process quickly (0, or 130 when the second forced it)', { timeout: 40_000 }, async () => {
    const { hub, addr } = await startHub()
    const leaf = await startLeaf(hub, addr, 'dave')
    const t0 = Date.now()
    leaf.signal('SIGTERM')
    leaf.signal('SIGTERM')
    const exit = await leaf.waitExit(5_000)
    assert.equal(exit.signal, null, `killed by ${exit.signal}: the handler was gone before the process exited`)
    assert.ok(exit.code === 0 || exit.code === 130, JSON.stringify(exit))
    assert.ok(Date.now() - t0 < 5_000)
    // The same for the hub, with SIGINT.
    hub.signal('SIGINT')
    hub.signal('SIGINT')
    const hubExit = await hub.waitExit(5_000)
    assert.equal(hubExit.signal, null)
    assert.ok(hubExit.code === 0 || hubExit.code === 130, JSON.stringify(hubExit))
  })

  it('cli - a leaf that reaches no hub exits 1 after exactly 5 failed attempts, with error bootstrap_failed', { timeout: 40_000 }, async () => {
    const port = await freePort()
    const dir = await cli.tempDir()
    const leaf = await cli.spawn('leaf', ['start', '--mode', 'leaf', '--name', 'lonely', '--bootstrap', `/ip4/127.0.0.1/tcp/${port}`, '--token', TOKEN, '--data-dir', dir, '--json'], { OVERLAY_RETRY_INTERVAL_MS: '200' })
    const exit = await leaf.waitExit(T)
    assert.deepEqual(exit, { code: 1, signal: null }, leaf.describe())
    const attempts = leaf.of('bootstrap')
    assert.equal(attempts.length, 5, leaf.describe())
    assert.deepEqual(attempts.map(e => e.attempt), [1, 2, 3, 4, 5])
    for (const a of attempts) {
      assert.equal(a.ok, false)
      assert.equal(a.addr, `/ip4/127.0.0.1/tcp/${port}`)
      assert.equal(typeof a.error, 'string')
    }
    const errors = leaf.of('error')
    assert.equal(errors.length, 1, leaf.describe())
    assert.equal(errors[0]?.code, 'bootstrap_failed')
    // The error comes after the last attempt, and nothing after it but the exit.
    assert.equal(leaf.events.at(-1)?.type, 'error')
    assert.equal(existsSync(join(dir, 'lock')), false, 'the lock is released')
    assert.equal(existsSync(join(dir, 'node.json')), false, 'the status file is removed')
  })

  it('cli - a leaf retrying at the default 1 s interval joins a hub that starts 2.5 s after it', { timeout: 40_000 }, async () => {
    const port = await freePort()
    const hubDir = await cli.tempDir()
    // The hub's identity exists before it runs, so the leaf can dial /p2p/<its id>.
    const id = await cli.run('id', ['id', '--data-dir', hubDir, '--create', '--json'])
    assert.equal(id.exit.code, 0, id.describe())
    const hubId = (id.events[0] as CliEvent).peerId as string
    const hubAddr = `/ip4/127.0.0.1/tcp/${port}/p2p/${hubId}`

    const leaf = await cli.spawn('leaf', ['start', '--mode', 'leaf', '--name', 'early', '--bootstrap', hubAddr, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'])
    // The scenario itself is timed: the hub process starts 2.5 s after the leaf process. Both take
    // about as long to come up, so the hub listens ~2.5 s into the leaf's 5 attempts, 1 s apart.
    let hub: CliProcess | undefined
    const late = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cli.spawn('hub', ['start', '--mode', 'hub', '--name', 'hub', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--token', TOKEN, '--data-dir', hubDir, '--json'])
          .then(p => { hub = p; resolve() }, reject)
      }, 2_500)
      void leaf.exited.then(() => { clearTimeout(timer); resolve() })
    })
    const reached = await leaf.waitEvent('bootstrap', e => e.ok === true, { timeout: T, message: 'the leaf joining the late hub' })
    await late
    assert.ok((reached.attempt as number) > 1, JSON.stringify(reached))
    assert.equal(reached.addr, hubAddr)
    const failed = leaf.of('bootstrap', e => e.ok === false)
    assert.deepEqual(failed.map(e => e.attempt), Array.from({ length: (reached.attempt as number) - 1 }, (_, i) => i + 1))
    for (const f of failed) assert.equal(f.addr, hubAddr)
    assert.ok(hub !== undefined)
    await hub.waitEvent('joined', e => e.name === 'early', { timeout: T })
    assert.equal(leaf.running, true)
    assert.equal(leaf.of('error').length, 0)
  })

  it('cli - bad usage exits 2 with usage on stderr: an unknown flag, a bad --mode', { timeout: 30_000 }, async () => {
    const bogus = await cli.run('bogus', ['start', '--bogus'])
    assert.equal(bogus.exit.code, 2)
    assert.equal(bogus.stdout, '')
    assert.match(bogus.stderr, /--bogus/)
    assert.match(bogus.stderr, /usage: overlay start \[flags\]/)
    assert.match(bogus.stderr, /--listen MULTIADDR/)

    const mode = await cli.run('mode', ['start', '--mode', 'foo'])
    assert.equal(mode.exit.code, 2)
    assert.equal(mode.stdout, '')
    assert.match(mode.stderr, /mode/)
    assert.match(mode.stderr, /usage: overlay start \[flags\]/)

    const help = await cli.run('help', ['start', '--help'])
    assert.equal(help.exit.code, 0)
    assert.match(help.stdout, /^usage: overlay start \[flags\]/)

    const version = await cli.run('version', ['--version'])
    assert.equal(version.exit.code, 0)
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    assert.equal(version.stdout, pkg.version)
  })

  it('cli - id prints the peer id that a node started from the same data dir uses', { timeout: 30_000 }, async () => {
    const dir = await cli.tempDir()
    const before = await cli.run('id', ['id', '--data-dir', dir, '--create', '--json'])
    assert.equal(before.exit.code, 0, before.describe())
    const idEvent = before.events[0] as CliEvent
    assert.equal(idEvent.type, 'id')
    assert.equal(idEvent.running, false)
    assert.match(idEvent.peerId as string, /^12D3KooW/)
    // Not running: the addresses a peer would listen on by default.
    assert.deepEqual(idEvent.addrs, [`/ip4/0.0.0.0/tcp/0/p2p/${idEvent.peerId as string}`])
    assert.equal(idEvent.dataDir, dir)

    const node = await cli.spawn('node', ['start', '--name', 'ided', '--listen', LOOPBACK, '--token', TOKEN, '--data-dir', dir, '--json'])
    const listening = await node.waitEvent('listening', () => true, { timeout: T })
    assert.equal(listening.peerId, idEvent.peerId)

    // While it runs, id reports its real addresses.
    const during = await cli.run('id', ['id', '--data-dir', dir, '--json'])
    const running = during.events[0] as CliEvent
    assert.equal(running.peerId, idEvent.peerId)
    assert.equal(running.running, true)
    assert.deepEqual(running.addrs, listening.addrs)

    // The human form starts with the peer id.
    const human = await cli.run('id', ['id', '--data-dir', dir])
    assert.equal(human.lines[0], idEvent.peerId)
  })

  it('cli - health exits 0 while the hub runs, 1 with a wrong token, and 1 after it stopped', { timeout: 40_000 }, async () => {
    const { hub, dir } = await startHub()
    const ok = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN])
    assert.equal(ok.exit.code, 0, ok.describe())
    assert.match(ok.stdout, /^healthy: hub \(hub\)/)

    const json = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN, '--json'])
    assert.equal(json.exit.code, 0, json.describe())
    assert.deepEqual({ ...json.events[0], sessions: 0 }, { type: 'health', ok: true, name: 'hub', mode: 'hub', sessions: 0, members: 1 })

    const wrong = await cli.run('health', ['health', '--data-dir', dir, '--token', 'wrong-token', '--timeout', '3000'])
    assert.equal(wrong.exit.code, 1, wrong.describe())
    assert.match(wrong.stdout, /^unhealthy/)

    // The hub is still healthy for the right token after the bad attempt.
    const again = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN])
    assert.equal(again.exit.code, 0, again.describe())

    hub.signal('SIGTERM')
    assert.equal((await hub.waitExit(T)).code, 0)
    const after = await cli.run('health', ['health', '--data-dir', dir, '--token', TOKEN, '--json'])
    assert.equal(after.exit.code, 1, after.describe())
    assert.equal(after.events[0]?.ok, false)
    assert.equal(after.events[0]?.reason, 'not_running')
  })

  it('cli - a node without a token makes one and prints a command line that joins it', { timeout: 40_000 }, async () => {
    const dir = await cli.tempDir()
    const first = await cli.spawn('first', ['start', '--name', 'first', '--listen', LOOPBACK, '--data-dir', dir, '--json'])
    const listening = await first.waitEvent('listening', () => true, { timeout: T })
    const line = await first.waitStderr(l => /^\s*overlay start /.test(l), { timeout: T })
    assert.match(first.stderr, /No token was configured/)
    const tokenFile = join(dir, 'token')
    const argv = line.trim().split(/\s+/)
    assert.deepEqual(argv, ['overlay', 'start', '--bootstrap', (listening.addrs as string[])[0], '--token-file', tokenFile])
    assert.match(await readFile(tokenFile, 'utf8'), /^\S+\n$/)

    // Exactly that command line (its default data dir is under the tracker's XDG_DATA_HOME; loopback only).
    const second = await cli.spawn('second', argv.slice(1), { OVERLAY_LISTEN: LOOPBACK })
    const joined = await first.waitEvent('joined', () => true, { timeout: T, message: 'the second node joining' })
    assert.match(joined.name as string, /^node-/)
    await second.waitLine(l => l.includes(`reached ${(listening.addrs as string[])[0]}`), { timeout: T })
    // The second node used the file's token, so it made none and printed no join hint.
    assert.doesNotMatch(second.stderr, /No token was configured/)

    // A restarted first node reuses its token: no hint this time.
    first.signal('SIGTERM')
    assert.equal((await first.waitExit(T)).code, 0)
    const restarted = await cli.spawn('first-again', ['start', '--name', 'first', '--listen', LOOPBACK, '--data-dir', dir, '--json'])
    await restarted.waitEvent('listening', () => true, { timeout: T })
    assert.doesNotMatch(restarted.stderr, /No token was configured/)
  })

  it('cli - demo --nodes 3: every node hears hello from every other, and SIGINT stops all with exit 0', { timeout: 60_000 }, async () => {
    const demo = await cli.spawn('demo', ['demo', '--nodes', '3', '--json'])
    const names = ['node-1', 'node-2', 'node-3']
    const hellos = (from: string): number => demo.of('message', e => e.from === from && e.text === `hello from ${from}`).length
    // --json prints the events without saying which node printed them, so count: each hello reaches the other 2.
    await demo.waitUntil(() => names.every(n => hellos(n) >= names.length - 1), { timeout: 30_000, message: 'every node hearing every hello' })
    for (const n of names) assert.equal(hellos(n), names.length - 1, n)
    for (const line of demo.lines) assert.doesNotThrow(() => JSON.parse(line), line)

    const children = childPids(demo.pid)
    assert.equal(children.length, 3, `children of the demo: ${children.join(', ')}`)
    for (const pid of children) cli.trackPid(pid)

    demo.signal('SIGINT')
    assert.deepEqual(await demo.waitExit(20_000), { code: 0, signal: null }, demo.describe())
    for (const pid of children) assert.equal(pidAlive(pid), false, `demo child ${pid} still runs`)
  })

  it('cli - demo whose first node cannot start exits 1 naming it, instead of waiting', { timeout: 30_000 }, async () => {
    const demo = await cli.spawn('demo', ['demo', '--nodes', '2'], { OVERLAY_CONFIG: join(await cli.tempDir(), 'missing.json') })
    assert.deepEqual(await demo.waitExit(15_000), { code: 1, signal: null }, demo.describe())
    assert.ok(demo.stderrLines.some(l => l.includes('node-1 exited (code 2) before it listened')), demo.describe())
    assert.ok(demo.stderrLines.some(l => l.includes('missing.json')), demo.describe())
  })
})
