/**
 * The CLI verbs that talk to a running node (members, peers, send, events, stats, leave, health)
 * against real `overlay start` processes, finding them through --data-dir, --name or --api.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CliTracker } from '../helpers/cli-process.ts'
import { freePort } from '../helpers/create-nodes.ts'
import type { CliProcess } from '../helpers/cli-process.ts'

const TOKEN = 'letmein123'
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const T = 15_000

describe('cli verbs against a running node', () => {
  const cli = new CliTracker()
  let hub: CliProcess
  let hubDir: string
  let hubAddr: string
  let bob: CliProcess
  let aliceDir: string
  let bobDir: string
  let uiUrl: string

  async function start (name: string, args: string[], dir?: string): Promise<CliProcess> {
    const p = await cli.spawn(name, ['start', '--name', name, '--token', TOKEN, '--json', ...(dir === undefined ? [] : ['--data-dir', dir]), ...args])
    await p.waitEvent('listening', () => true, { timeout: T, message: `${name} listening` })
    return p
  }

  before(async () => {
    hubDir = await cli.tempDir()
    hub = await start('hub', ['--mode', 'hub', '--listen', LOOPBACK], hubDir)
    hubAddr = ((hub.of('listening')[0]?.addrs) as string[])[0] as string
    uiUrl = (await hub.waitStderr(l => l.startsWith('UI: '), { timeout: T })).slice(4)
    aliceDir = await cli.tempDir()
    bobDir = await cli.tempDir()
    await start('alice', ['--mode', 'leaf', '--bootstrap', hubAddr], aliceDir)
    bob = await start('bob', ['--mode', 'leaf', '--bootstrap', hubAddr], bobDir)
    await hub.waitEvent('joined', e => e.name === 'alice', { timeout: T })
    await hub.waitEvent('joined', e => e.name === 'bob', { timeout: T })
  })
  after(async () => { await cli.stopAll() })

  it('verbs - start prints the UI URL with the API token, which sets the cookie', async () => {
    const info = JSON.parse(await readFile(join(hubDir, 'api.json'), 'utf8')) as { url: string }
    const token = (await readFile(join(hubDir, 'api-token'), 'utf8')).trim()
    assert.equal(uiUrl, `${info.url}/?token=${token}`)
    const res = await fetch(uiUrl, { redirect: 'manual', signal: AbortSignal.timeout(T) })
    assert.equal(res.status, 302)
    assert.match(res.headers.get('set-cookie') ?? '', /HttpOnly/)
  })

  it('verbs - members lists every member, filters by state and mode, prints JSON with --json', async () => {
    const json = await cli.run('members', ['members', '--data-dir', hubDir, '--json'])
    assert.equal(json.exit.code, 0, json.stderr)
    const parsed = JSON.parse(json.stdout) as { type: string, members: Array<{ name: string, state: string, self: boolean }> }
    assert.equal(parsed.type, 'members')
    assert.deepEqual(parsed.members.map(m => m.name).sort(), ['alice', 'bob', 'hub'])
    const human = await cli.run('members', ['members', '--data-dir', hubDir, '--state', 'alive', '--mode', 'leaf'])
    assert.equal(human.exit.code, 0, human.stderr)
    assert.match(human.stdout, /^NAME +STATE +MODE +RTT +PEER ID$/m)
    assert.match(human.stdout, /^alice +alive +leaf /m)
    assert.doesNotMatch(human.stdout, /^hub/m)
    const none = await cli.run('members', ['members', '--data-dir', hubDir, '--state', 'failed'])
    assert.equal(none.stdout, 'no members match')
    const bad = await cli.run('members', ['members', '--data-dir', hubDir, '--state', 'zombie'])
    assert.equal(bad.exit.code, 2)
  })

  it('verbs - peers lists the sessions', async () => {
    const p = await cli.run('peers', ['peers', '--data-dir', hubDir])
    assert.equal(p.exit.code, 0, p.stderr)
    assert.match(p.stdout, /^ {2}alice {2}leaf {2}json /m)
    assert.match(p.stdout, /^ {2}bob {2}leaf {2}json /m)
  })

  it('verbs - send --to exits 0 once acknowledged; an unknown member exits 1 with the reason', async () => {
    const mark = bob.mark()
    const ok = await cli.run('send', ['send', '--data-dir', aliceDir, '--to', 'bob', 'hi', 'bob'])
    assert.equal(ok.exit.code, 0, ok.stderr)
    assert.equal(ok.stdout, 'delivered to bob')
    const msg = await bob.waitEvent('message', e => e.text === 'hi bob', { timeout: T, since: mark })
    assert.equal(msg.from, 'alice')
    const unknown = await cli.run('send', ['send', '--data-dir', aliceDir, '--to', 'nobody', 'x'])
    assert.equal(unknown.exit.code, 1)
    assert.match(unknown.stderr, /no member named "nobody"/)
    const missing = await cli.run('send', ['send', '--data-dir', aliceDir])
    assert.equal(missing.exit.code, 2)
    assert.match(missing.stderr, /missing TEXT/)
  })

  it('verbs - send broadcasts; events follows the stream (--json lines like start --json) until SIGINT', async () => {
    const events = await cli.spawn('events', ['events', '--data-dir', hubDir, '--json'])
    // The stream is open once an event that happens after the connect is printed.
    const sent = await cli.run('send', ['send', '--data-dir', aliceDir, '--json', 'hello', 'everyone'])
    assert.equal(sent.exit.code, 0, sent.stderr)
    assert.equal((JSON.parse(sent.stdout) as { type: string }).type, 'sent')
    const seen = await events.waitEvent('message', e => e.text === 'hello everyone', { timeout: T }).catch(async () => {
      // The broadcast may have beaten the connection: send again while it surely follows.
      await cli.run('send', ['send', '--data-dir', aliceDir, 'hello', 'everyone'])
      return await events.waitEvent('message', e => e.text === 'hello everyone', { timeout: T })
    })
    assert.deepEqual(Object.keys(seen).sort(), ['from', 'id', 'origin', 'text', 'ts', 'type'])
    const carol = await start('carol', ['--mode', 'leaf', '--bootstrap', hubAddr])
    await events.waitEvent('joined', e => e.name === 'carol', { timeout: T })
    events.signal('SIGINT')
    assert.equal((await events.waitExit(T)).code, 0)
    // carol has no --data-dir: verbs find her by --name (under XDG_DATA_HOME).
    const byName = await cli.run('stats', ['stats', '--name', 'carol', '--json'])
    assert.equal(byName.exit.code, 0, byName.stderr)
    assert.equal((JSON.parse(byName.stdout) as { sessions: number }).sessions, 1)
    await carol.stop()
  })

  it('verbs - events prints human lines and replays kept events with --since 0', async () => {
    const p = await cli.spawn('events', ['events', '--data-dir', hubDir, '--since', '0'])
    await p.waitLine(l => /^\* alice joined$/.test(l), { timeout: T })
    assert.match(p.lines[0] ?? '', /^listening as hub \(hub\)/)
    p.signal('SIGTERM')
    assert.equal((await p.waitExit(T)).code, 0)
  })

  it('verbs - stats, with --api URL and a token from --api-token; a wrong token exits 1', async () => {
    const info = JSON.parse(await readFile(join(hubDir, 'api.json'), 'utf8')) as { url: string }
    const token = (await readFile(join(hubDir, 'api-token'), 'utf8')).trim()
    const s = await cli.run('stats', ['stats', '--api', info.url, '--api-token', token])
    assert.equal(s.exit.code, 0, s.stderr)
    assert.match(s.stdout, /^delivered +\d+$/m)
    assert.match(s.stdout, /^members +[34]$/m)
    const env = await cli.run('stats', ['stats', '--api', info.url, '--json'], { env: { OVERLAY_API_TOKEN: token } })
    assert.equal(env.exit.code, 0, env.stderr)
    const wrong = await cli.run('stats', ['stats', '--api', info.url, '--api-token', 'wrong'])
    assert.equal(wrong.exit.code, 1)
    assert.match(wrong.stderr, /^overlay: wrong API token$/m)
  })

  it('verbs - health uses /readyz: ready exits 0', async () => {
    const h = await cli.run('health', ['health', '--data-dir', bobDir, '--json'])
    assert.equal(h.exit.code, 0, h.stderr)
    const report = JSON.parse(h.stdout) as Record<string, unknown>
    assert.deepEqual({ ...report, members: 0 }, { type: 'health', ok: true, name: 'bob', mode: 'leaf', sessions: 1, members: 0, status: 'ready' })
    assert.ok((report.members as number) >= 3, 'hub, alice and bob at least')
  })

  it('verbs - leave stops the node cleanly (exit 0 of both); afterwards the verbs say no node runs', async () => {
    const l = await cli.run('leave', ['leave', '--data-dir', bobDir])
    assert.equal(l.exit.code, 0, l.stderr)
    assert.equal(l.stdout, 'bob left')
    assert.equal((await bob.waitExit(T)).code, 0)
    await hub.waitEvent('left', e => e.name === 'bob' && e.reason === 'exit', { timeout: T })
    assert.equal(existsSync(join(bobDir, 'api.json')), false)
    const gone = await cli.run('members', ['members', '--data-dir', bobDir])
    assert.equal(gone.exit.code, 1)
    assert.match(gone.stderr, /^overlay: no node with a control API is running from /m)
    const health = await cli.run('health', ['health', '--data-dir', bobDir])
    assert.equal(health.exit.code, 1)
  })

  it('verbs - an --api nobody answers exits 1 with a clear message; a bad --api is a usage error', async () => {
    const port = await freePort()
    const r = await cli.run('members', ['members', '--api', `http://127.0.0.1:${port}`])
    assert.equal(r.exit.code, 1)
    assert.match(r.stderr, new RegExp(`^overlay: cannot reach the node's API at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`, 'm'))
    const bad = await cli.run('members', ['members', '--api', 'localhost:80'])
    assert.equal(bad.exit.code, 2)
  })

  it('verbs - start --api off runs no API: no UI line, no api.json', async () => {
    const dir = await cli.tempDir()
    const quiet = await start('quiet', ['--api', 'off', '--listen', LOOPBACK], dir)
    assert.equal(quiet.stderrLines.some(l => l.startsWith('UI: ')), false)
    assert.equal(existsSync(join(dir, 'api.json')), false)
    const r = await cli.run('members', ['members', '--data-dir', dir])
    assert.equal(r.exit.code, 1)
    await quiet.stop()
  })
})
