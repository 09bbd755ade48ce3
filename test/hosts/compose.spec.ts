/**
 * Cross-host tests: docker-compose.yml's services run as real hosts (Linux network namespaces,
 * one IP each, service names resolvable), see netns.ts. Needs root and iproute2.
 * The harness self-tests need nothing else; the overlay tests need the built CLI (npm run build).
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHosts, listNetns, sweepStale, FAMILY, REPO_ROOT, type Hosts, type HostEvent, type Replica } from './netns.ts'
import * as model from './compose-model.ts'
import { waitFor } from '../helpers/wait-for.ts'

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml')
const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js')
/** The token docker compose would read from .env; the example file is what we ship. */
const ENV = Object.fromEntries(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').split('\n')
  .filter(l => /^[A-Z_]+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
const WAIT = 30_000

/** Harness self-test only: identity and a health marker in OVERLAY_DATA_DIR, stdin echoed as messages. */
const STAND_IN_CLI = `
const fs = require('node:fs'), path = require('node:path')
const argv = process.argv.slice(2), cmd = argv[0]
const dir = process.env.OVERLAY_DATA_DIR
const up = path.join(dir, 'up')
if (cmd === 'health') process.exit(fs.existsSync(up) ? 0 : 1)
const idFile = path.join(dir, 'id')
if (!fs.existsSync(idFile)) fs.writeFileSync(idFile, require('node:crypto').randomUUID())
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
process.on('SIGTERM', () => { fs.rmSync(up, { force: true }); out({ type: 'left', reason: 'exit' }); process.exit(0) })
out({ type: 'listening', peerId: fs.readFileSync(idFile, 'utf8'), argv, dataDir: dir, token: process.env.OVERLAY_TOKEN })
fs.writeFileSync(up, '')
require('node:readline').createInterface({ input: process.stdin }).on('line', (text) => out({ type: 'message', text }))
`

const rootLinks = (): string[] => spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout
  .split('\n').map(l => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined).sort()

function requireCli (): void {
  if (!existsSync(CLI)) throw new Error(`the overlay CLI is not built: ${CLI} is missing (run npm run build)`)
}

async function peerIdOf (r: Replica): Promise<string> {
  const e = await r.waitForEvent(e => e.type === 'listening' && typeof e.peerId === 'string', { timeout: WAIT, message: 'listening event with peerId' })
  return e.peerId as string
}

const isMessage = (text: string) => (e: HostEvent): boolean => e.type === 'message' && e.text === text
const isGone = (peerId: string, reasons: string[]) => (e: HostEvent): boolean => e.peerId === peerId &&
  ((e.type === 'left' && reasons.includes(e.reason as string)) || (e.type === 'failed' && reasons.includes('failed')))

/** Sends a fresh probe every 2 s until each receiver has got one (the path may still be healing). */
async function deliverEventually (from: Replica, to: Replica[], timeout: number): Promise<void> {
  const nonce = randomUUID().slice(0, 8)
  const marks = new Map(to.map(r => [r, r.mark()]))
  const got = (r: Replica): boolean => r.proc.find(e => e.type === 'message' && String(e.text).startsWith(`probe ${nonce} `), marks.get(r)) !== undefined
  const deadline = Date.now() + timeout
  for (let n = 0; !to.every(got); n++) {
    if (Date.now() > deadline) throw new Error(`no probe from ${from.name} reached ${to.filter(r => !got(r)).map(r => r.name).join(', ')} within ${timeout} ms`)
    from.writeLine(`probe ${nonce} ${n}`)
    await waitFor(() => to.every(got), { timeout: 2_000, message: 'probe' }).catch(() => {})
  }
}

describe('hosts - harness', { timeout: 60_000 }, () => {
  it('hosts - compose services expand to replicas with compose-like names and DNS', () => {
    const compose = model.readCompose(COMPOSE, ENV)
    const base = model.expandReplicas(compose, { scale: { leaf: 3 } })
    assert.deepEqual(base.map(r => r.name), ['hub-1', 'leaf-1', 'leaf-2', 'leaf-3'])
    const mesh = model.expandReplicas(compose, { profiles: ['mesh'], services: ['peer'], scale: { peer: 2 } })
    assert.deepEqual(mesh.map(r => r.name), ['peer-seed-1', 'peer-1', 'peer-2'], 'dependencies first')
    const hosts = model.hostsFile(base)
    assert.match(hosts, new RegExp(`^${base[0]?.ip.replaceAll('.', '\\.')}\\thub hub-1$`, 'm'))
    assert.match(hosts, new RegExp(`^${base[1]?.ip.replaceAll('.', '\\.')}\\tleaf leaf-1$`, 'm'))
    assert.match(hosts, new RegExp(`^${base[2]?.ip.replaceAll('.', '\\.')}\\tleaf-2$`, 'm'))
    assert.throws(() => model.readCompose(COMPOSE, {}), /OVERLAY_TOKEN/)
    assert.equal(model.interpolate('$${A}-${B:-x}-${C-y}', { C: '' }), '${A}-x-')
  })

  it('hosts - two hosts from the compose topology reach each other by service name, and destroy removes everything', async () => {
    const linksBefore = rootLinks()
    const h = createHosts({ env: ENV, scale: { leaf: 2 } })
    try {
      assert.deepEqual(h.replicas.map(r => r.name), ['hub-1', 'leaf-1', 'leaf-2'])
      const [leaf1, leaf2] = h.of('leaf')
      assert.notEqual(leaf1?.dirs['/data'], leaf2?.dirs['/data'], 'scaled replicas must not share /data (identity)')
      assert.ok(h.replica('hub').argv.includes('--json'))
      assert.equal(h.replica('hub').env.OVERLAY_TOKEN, ENV.OVERLAY_TOKEN)
      const route = spawnSync('ip', ['-n', h.replica('hub').ns, 'route', 'show'], { encoding: 'utf8' }).stdout
      assert.doesNotMatch(route, /default/, 'hosts must have no way out of the test network')

      const server = h.run('hub', ['node', '-e', `
        require('node:net').createServer(s => s.once('data', d => s.end('pong ' + d))).listen(9000, '0.0.0.0',
          () => console.log(JSON.stringify({ type: 'listening' })))`])
      await server.waitForEvent(e => e.type === 'listening', { timeout: 10_000 })
      const client = h.run('leaf-2', ['node', '-e', `
        require('node:dns').lookup('hub', { family: 4 }, (err, address) => {
          if (err) throw err
          console.log(JSON.stringify({ type: 'lookup', address }))
          const s = require('node:net').connect(9000, 'hub', () => s.write('ping'))
          s.on('data', d => console.log(JSON.stringify({ type: 'reply', text: String(d) })))
        })`])
      const lookup = await client.waitForEvent(e => e.type === 'lookup', { timeout: 10_000 })
      assert.equal(lookup.address, h.replica('hub').ip)
      const reply = await client.waitForEvent(e => e.type === 'reply', { timeout: 10_000 })
      assert.equal(reply.text, 'pong ping')
      assert.equal((await client.waitExit(10_000)).code, 0)
    } finally {
      await h.destroy()
    }
    assert.deepEqual(listNetns().filter(ns => ns.startsWith(h.prefix)), [])
    assert.deepEqual(rootLinks(), linksBefore)
    assert.deepEqual(readdirSync('/etc/netns').filter(d => d.startsWith(h.prefix)), [])
    assert.deepEqual(readdirSync(tmpdir()).filter(d => d.startsWith(h.prefix)), [])
  })

  it('hosts - replicas start behind healthchecks, keep /data across restarts, stop, die and lose their link', async () => {
    // A stand-in for the image's app dir: bin.js mimics the CLI just enough to exercise the harness.
    const app = mkdtempSync(join(tmpdir(), 'overlay-hosts-app-'))
    mkdirSync(join(app, 'dist/src/cli'), { recursive: true })
    writeFileSync(join(app, 'dist/src/cli/bin.js'), STAND_IN_CLI)
    const h = createHosts({ env: ENV, scale: { leaf: 2 }, appRoot: app })
    try {
      await h.up({ healthTimeout: 10_000 })
      const [hub, leaf1, leaf2] = h.replicas as [Replica, Replica, Replica]
      const start = await hub.waitForEvent(e => e.type === 'listening', { timeout: 10_000 })
      assert.deepEqual(start.argv, ['start', '--config', join(app, 'config/hub.json'), '--json'])
      assert.equal(start.dataDir, hub.dirs['/data'])
      assert.equal(start.token, ENV.OVERLAY_TOKEN)
      assert.ok(leaf1.running && leaf2.running)

      leaf1.writeLine('hi there')
      await leaf1.waitForEvent(e => e.type === 'message' && e.text === 'hi there', { timeout: 10_000 })
      const id = await peerIdOf(leaf1)
      assert.notEqual(await peerIdOf(leaf2), id)
      await leaf1.restart({ env: { OVERLAY_TOKEN: 'other' } })
      const again = await leaf1.waitForEvent(e => e.type === 'listening', { timeout: 10_000 })
      assert.equal(again.peerId, id)
      assert.equal(again.token, 'other')
      assert.deepEqual((await leaf1.stop()), { code: 0, signal: null })
      assert.equal(leaf1.runs[0]?.find(e => e.type === 'left')?.reason, 'exit')
      assert.equal((await leaf2.kill()).signal, 'SIGKILL')

      const carrier = (): string => spawnSync('ip', ['-n', hub.ns, 'link', 'show', 'eth0'], { encoding: 'utf8' }).stdout
      h.linkDown('hub')
      assert.doesNotMatch(carrier(), /LOWER_UP/)
      h.linkUp('hub')
      assert.match(carrier(), /LOWER_UP/)
    } finally {
      await h.destroy()
      rmSync(app, { recursive: true, force: true })
    }
  })

  it('hosts - the stale sweep removes leftovers of a dead run of this harness only', () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number
    const stale = `${FAMILY}${deadPid}-1-sw`
    const mine = `${FAMILY}${process.pid}-999-keep`
    const other = `ovltest${process.pid}-keep`
    const staleEtc = join('/etc/netns', `${FAMILY}${deadPid}-1-leaf-1`)
    const staleTmp = join(tmpdir(), `${FAMILY}${deadPid}-1-vol-x`)
    try {
      for (const ns of [stale, mine, other]) spawnSync('ip', ['netns', 'add', ns])
      spawnSync('ip', ['-n', stale, 'link', 'add', 'br0', 'type', 'bridge'])
      mkdirSync(staleEtc, { recursive: true })
      mkdirSync(staleTmp, { recursive: true })
      assert.deepEqual(sweepStale(), [stale])
      const left = listNetns()
      assert.ok(!left.includes(stale))
      assert.ok(left.includes(mine) && left.includes(other), 'live runs and other namespaces are never touched')
      assert.ok(!existsSync(staleEtc) && !existsSync(staleTmp))
    } finally {
      for (const ns of [stale, mine, other]) spawnSync('ip', ['netns', 'del', ns])
      rmSync(staleEtc, { recursive: true, force: true })
      rmSync(staleTmp, { recursive: true, force: true })
    }
  })
})

describe('hosts - a hub and 5 leaves on 6 hosts', { timeout: 240_000 }, () => {
  let h: Hosts
  const ids = new Map<string, string>()
  const running = (): Replica[] => h.replicas.filter(r => r.running)

  before(async () => {
    requireCli()
    // leaf-6 is the spare host for the wrong-token test.
    h = createHosts({ env: ENV, scale: { leaf: 6 } })
    await h.up({ except: ['leaf-6'] })
    for (const r of running()) ids.set(r.name, await peerIdOf(r))
    const hub = h.replica('hub')
    const leaves = h.of('leaf').filter(r => r.running)
    for (const leaf of leaves) {
      await hub.waitForEvent(e => e.type === 'joined' && e.peerId === ids.get(leaf.name), { timeout: WAIT, message: `hub sees ${leaf.name} join` })
      await leaf.waitForEvent(e => e.type === 'joined' && e.peerId === ids.get('hub-1'), { timeout: WAIT, message: `${leaf.name} sees the hub` })
    }
    // A broadcast reaches the members in its sender's roster (PROTOCOL.md 8.3): a leaf hears of the
    // others through the hub's news, which lingers up to 100 ms, so wait until every leaf lists them.
    for (const leaf of leaves) {
      for (const other of leaves.filter(r => r !== leaf)) {
        await leaf.waitForEvent(e => e.type === 'joined' && e.peerId === ids.get(other.name), { timeout: WAIT, message: `${leaf.name} sees ${other.name}` })
      }
    }
  })
  after(async () => { await h?.destroy() })

  it('hosts - every node receives every other node\'s message', async () => {
    const nodes = running()
    const nonce = randomUUID().slice(0, 8)
    const text = (r: Replica): string => `hello ${nonce} from ${r.name}`
    const marks = new Map(nodes.map(r => [r, r.mark()]))
    for (const r of nodes) r.writeLine(text(r))
    for (const to of nodes) {
      for (const from of nodes.filter(r => r !== to)) {
        await to.waitForEvent(isMessage(text(from)), { since: marks.get(to), timeout: WAIT, message: `${from.name} → ${to.name}` })
      }
    }
  })

  it('hosts - a host with the wrong token is rejected and never listed', async () => {
    const hub = h.replica('hub')
    const intruder = h.replica('leaf-6')
    const marks = new Map(running().map(r => [r, r.mark()]))
    intruder.start({ env: { OVERLAY_TOKEN: 'not-the-token' } })
    // The hub reports `rejected` with the intruder's peer ID (or the intruder reports being rejected).
    const ownId = (): unknown => intruder.proc.find(e => e.type === 'listening')?.peerId
    const atHub = (): HostEvent | undefined => hub.proc.find(e => e.type === 'rejected' && (ownId() === undefined || e.peerId === ownId()), marks.get(hub))
    await waitFor(() => atHub() !== undefined || intruder.proc.find(e => e.type === 'rejected') !== undefined,
      { timeout: WAIT, message: 'a rejected event at the hub or at the intruder' })
    const badId = ownId() ?? atHub()?.peerId
    assert.equal(typeof badId, 'string', 'the intruder\'s peer ID is known')
    // The overlay still works; once a message has crossed it, nobody has listed the intruder.
    const text = `after intruder ${randomUUID().slice(0, 8)}`
    hub.writeLine(text)
    for (const leaf of h.of('leaf').filter(r => r.running && r !== intruder)) {
      await leaf.waitForEvent(isMessage(text), { since: marks.get(leaf), timeout: WAIT, message: `${leaf.name} gets the hub's message` })
    }
    for (const r of h.replicas.filter(r => r !== intruder && r.runs.length > 0)) {
      assert.equal(r.allEvents().find(e => e.type === 'joined' && e.peerId === badId), undefined, `${r.name} listed the intruder`)
    }
    assert.equal(intruder.proc.find(isMessage(text)), undefined, 'the intruder received an overlay message')
    await intruder.kill()
  })

  it('hosts - a restarted leaf keeps its peer ID and rejoins', async () => {
    const hub = h.replica('hub')
    const leaf = h.replica('leaf-1')
    const since = hub.mark()
    assert.equal((await leaf.stop()).code, 0)
    leaf.start()
    assert.equal(await peerIdOf(leaf), ids.get('leaf-1'), 'identity must persist in the data dir')
    await hub.waitForEvent(e => e.type === 'joined' && e.peerId === ids.get('leaf-1'), { since, timeout: WAIT, message: 'hub sees leaf-1 rejoin' })
    await deliverEventually(leaf, [hub], WAIT)
  })

  it('hosts - SIGTERM: the hub sees the leaf leave with reason exit', async () => {
    const hub = h.replica('hub')
    const since = hub.mark()
    const exit = await h.replica('leaf-4').stop()
    assert.equal(exit.code, 0, 'SIGTERM → exit 0')
    await hub.waitForEvent(isGone(ids.get('leaf-4') as string, ['exit']), { since, timeout: WAIT, message: 'left reason exit' })
  })

  it('hosts - kill -9: the hub reports the leaf disconnected or failed', async () => {
    const hub = h.replica('hub')
    const since = hub.mark()
    await h.replica('leaf-5').kill()
    await hub.waitForEvent(isGone(ids.get('leaf-5') as string, ['disconnect', 'failed']), { since, timeout: WAIT, message: 'left/failed after kill -9' })
  })
})

describe('hosts - a mesh of 8 peers (profile mesh)', { timeout: 300_000 }, () => {
  let h: Hosts
  const ids = new Map<string, string>()
  const running = (): Replica[] => h.replicas.filter(r => r.running)

  before(async () => {
    requireCli()
    h = createHosts({ env: ENV, profiles: ['mesh'], services: ['peer-seed', 'peer'], scale: { peer: 7 } })
    assert.equal(h.replicas.length, 8)
    await h.up()
    for (const r of h.replicas) ids.set(r.name, await peerIdOf(r))
  })
  after(async () => { await h?.destroy() })

  it('hosts - the 8 peers converge: each lists the 7 others', async () => {
    for (const r of h.replicas) {
      for (const other of h.replicas.filter(o => o !== r)) {
        await r.waitForEvent(e => e.type === 'joined' && e.peerId === ids.get(other.name), { timeout: 60_000, message: `${r.name} lists ${other.name}` })
      }
    }
  })

  it('hosts - broadcasts are delivered to every peer exactly once', async () => {
    const peers = running()
    const marks = new Map(peers.map(r => [r, r.mark()]))
    const round = async (nonce: string): Promise<void> => {
      for (const r of peers) r.writeLine(`bcast ${nonce} from ${r.name}`)
      for (const to of peers) {
        for (const from of peers.filter(r => r !== to)) {
          await to.waitForEvent(isMessage(`bcast ${nonce} from ${from.name}`), { since: marks.get(to), timeout: WAIT, message: `${from.name} → ${to.name}` })
        }
      }
    }
    const first = randomUUID().slice(0, 8)
    await round(first)
    await round(randomUUID().slice(0, 8)) // a second full round gives duplicates of the first time to show up
    for (const to of peers) {
      for (const from of peers) {
        const n = to.proc.filter(isMessage(`bcast ${first} from ${from.name}`), marks.get(to)).length
        if (from === to) assert.ok(n <= 1, `${to.name} got its own broadcast ${n} times`)
        else assert.equal(n, 1, `${to.name} got ${from.name}'s broadcast ${n} times`)
      }
      const msgIds = to.proc.filter(e => e.type === 'message', marks.get(to)).map(e => e.id)
      assert.equal(new Set(msgIds).size, msgIds.length, `${to.name} saw a message id twice`)
    }
  })

  it('hosts - link down is noticed, link up heals the mesh', async () => {
    const victim = h.replica('peer-3')
    const others = running().filter(r => r !== victim)
    const marks = new Map(others.map(r => [r, r.mark()]))
    const id = ids.get(victim.name)
    h.linkDown(victim.name)
    for (const r of others) {
      await r.waitForEvent(e => e.peerId === id && (e.type === 'failed' || e.type === 'left'),
        { since: marks.get(r), timeout: WAIT, message: `${r.name} declares ${victim.name} failed` })
    }
    const upMarks = new Map(others.map(r => [r, r.mark()]))
    h.linkUp(victim.name)
    for (const r of others) {
      await r.waitForEvent(e => e.peerId === id && (e.type === 'alive' || e.type === 'joined'),
        { since: upMarks.get(r), timeout: 90_000, message: `${r.name} lists ${victim.name} again` })
    }
    await deliverEventually(victim, others, WAIT)
    await deliverEventually(h.replica('peer-seed'), [victim], WAIT)
  })

  it('hosts - kill -9: every other peer reports the peer disconnected or failed', async () => {
    const victim = h.replica('peer-7')
    const others = running().filter(r => r !== victim)
    const marks = new Map(others.map(r => [r, r.mark()]))
    await victim.kill()
    for (const r of others) {
      await r.waitForEvent(isGone(ids.get(victim.name) as string, ['disconnect', 'failed']), { since: marks.get(r), timeout: WAIT, message: `${r.name} reports ${victim.name}` })
    }
  })

  it('hosts - SIGTERM: every other peer sees the peer leave with reason exit', async () => {
    const victim = h.replica('peer-6')
    const others = running().filter(r => r !== victim)
    const marks = new Map(others.map(r => [r, r.mark()]))
    assert.equal((await victim.stop()).code, 0, 'SIGTERM → exit 0')
    for (const r of others) {
      await r.waitForEvent(isGone(ids.get(victim.name) as string, ['exit']), { since: marks.get(r), timeout: WAIT, message: `${r.name} sees ${victim.name} leave` })
    }
  })
})
