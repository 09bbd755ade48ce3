/**
 * Self-tests of the network-namespace harness (netns.ts): docker-compose.yml's services as hosts in
 * Linux network namespaces, one IP each, service names resolvable. Needs root and iproute2.
 * The overlay's own cross-host scenarios (a hub and 5 leaves, the mesh profile, stop, kill, link
 * loss, restarts) now run on real containers in test/containers/; this harness stays for what
 * containers cannot do here, such as many source IPs against one node (per-IP limits).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHosts, listNetns, sweepStale, FAMILY, REPO_ROOT, type Replica } from '../helpers/hosts/netns.ts'
import * as model from '../helpers/hosts/compose-model.ts'

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml')
/** The token docker compose would read from .env; the example file is what we ship. */
const ENV = Object.fromEntries(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').split('\n')
  .filter(l => /^[A-Z_]+=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
const WAIT = 30_000

async function peerIdOf (r: Replica): Promise<string> {
  const e = await r.waitForEvent(e => e.type === 'listening' && typeof e.peerId === 'string', { timeout: WAIT, message: 'listening event with peerId' })
  return e.peerId as string
}

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
    // eslint-disable-next-line no-template-curly-in-string -- compose's own ${VAR} syntax, not a template
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
