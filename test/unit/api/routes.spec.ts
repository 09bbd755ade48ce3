import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { apiOf, call } from '../../helpers/api.ts'
import { NodeTracker, freePort, loopbackAddr } from '../../helpers/create-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('api routes', () => {
  const nodes = new NodeTracker()
  after(async () => { await nodes.stopAll() })

  it('routes - readiness: a hub when it listens; a leaf only while it holds a session', async () => {
    const hub = await nodes.startNode({ mode: 'hub', name: 'hub' })
    const hubApi = await apiOf(hub)
    assert.deepEqual((await call(hubApi, 'GET', '/readyz', { auth: false })).body, { status: 'ready' })
    const leaf = await nodes.startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)], retry: { attempts: 100, intervalMs: 50, maxIntervalMs: 100 } })
    const leafApi = await apiOf(leaf)
    await waitFor(async () => (await call(leafApi, 'GET', '/readyz', { auth: false })).status === 200, { timeout: 10_000, message: 'the leaf became ready' })
    const hubDir = hub.dataDir
    await hub.stop()
    await waitFor(async () => {
      const r = await call(leafApi, 'GET', '/readyz', { auth: false })
      return r.status === 503 && r.body.status === 'not_ready' && r.body.reason === 'no_session'
    }, { timeout: 10_000, message: 'the leaf is not ready without its hub' })
    assert.equal((await call(leafApi, 'GET', '/healthz', { auth: false })).status, 200, 'but still live')
    await assert.rejects(readFile(join(hubDir, 'api.json')), { code: 'ENOENT' }, 'a stopped node removes api.json')
  })

  it('routes - a peer bootstrapping to nobody is live but not ready', async () => {
    const port = await freePort()
    const peer = await nodes.startNode({ name: 'lonely', bootstrap: [`/ip4/127.0.0.1/tcp/${port}`], retry: { attempts: 1000, intervalMs: 100, maxIntervalMs: 100 } })
    const api = await apiOf(peer)
    const r = await call(api, 'GET', '/readyz', { auth: false })
    assert.equal(r.status, 503)
    assert.equal(r.body.reason, 'no_session')
    assert.deepEqual((await call(api, 'GET', '/healthz', { auth: false })).body, { status: 'ok' })
  })

  it('routes - members carry state, incarnation, mode, last heard and a round trip, and filter by state, mode and name glob', async () => {
    const mesh = await nodes.createNodes({ hub: 1, leaf: 2, peer: 1 })
    const hub = mesh.hub!
    const api = await apiOf(hub)
    await waitFor(() => hub.members().length === 4, { timeout: 10_000, message: 'the hub knows 4 members' })
    const { members } = (await call(api, 'GET', '/v1/members')).body
    assert.equal(members.length, 4)
    const self = members.find((m: any) => m.self)
    assert.equal(self.name, 'hub')
    assert.equal(self.lastHeard, null)
    for (const m of members.filter((x: any) => !x.self)) {
      assert.equal(m.state, 'alive')
      assert.ok(Number.isInteger(m.inc) && m.inc > 0, 'incarnation')
      assert.ok(typeof m.lastHeard === 'number' && Date.now() - m.lastHeard < 10_000, 'last heard recently')
    }
    const names = async (q: string): Promise<string[]> => (await call(api, 'GET', `/v1/members${q}`)).body.members.map((m: any) => m.name).sort()
    assert.deepEqual(await names('?mode=leaf'), ['leaf0', 'leaf1'])
    assert.deepEqual(await names('?name=leaf*'), ['leaf0', 'leaf1'])
    assert.deepEqual(await names('?name=*0'), ['leaf0', 'peer0'])
    assert.deepEqual(await names('?state=suspect'), [])
    assert.deepEqual(await names('?state=alive&mode=hub'), ['hub'])
    // A direct message gives the member a round-trip estimate.
    const sent = await call(api, 'POST', '/v1/messages', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'ping', to: 'leaf0' }) })
    assert.equal(sent.status, 200)
    const leaf0 = (await call(api, 'GET', '/v1/members?name=leaf0')).body.members[0]
    assert.ok(typeof leaf0.rttMs === 'number' && leaf0.rttMs >= 0, `rttMs ${leaf0.rttMs}`)
  })

  it('routes - topology lists sessions and routes; stats count what the node did', async () => {
    const mesh = await nodes.createNodes({ hub: 1, leaf: 2 })
    const leaf0 = mesh.leaves[0]!
    const api = await apiOf(leaf0)
    await waitFor(() => leaf0.members().length === 3, { timeout: 10_000, message: 'leaf0 knows everyone' })
    await mesh.leaves[1]!.send('counted')
    await waitFor(() => leaf0.stats().delivered >= 1, { timeout: 10_000, message: 'leaf0 got the message' })
    const topo = (await call(api, 'GET', '/v1/topology')).body
    assert.equal(topo.self, leaf0.peerId)
    assert.deepEqual(topo.edges.filter((e: any) => e.kind === 'session'), [{ from: leaf0.peerId, to: mesh.hub!.peerId, kind: 'session' }])
    assert.deepEqual(topo.nodes.map((n: any) => n.name).sort(), ['hub', 'leaf0', 'leaf1'])
    const stats = (await call(api, 'GET', '/v1/stats')).body
    assert.ok(stats.delivered >= 1)
    assert.equal(stats.sessions, 1)
    assert.equal(stats.members, 3)
  })

  it('routes - a direct message to an unreachable member answers 504 after mesh.directTimeoutMs', async () => {
    const hub = await nodes.startNode({ mode: 'hub', name: 'hub-t', mesh: { directTimeoutMs: 300, heartbeatMs: 1000, suspectAfterMs: 30_000, failAfterMs: 30_000 } })
    const leaf = await nodes.startNode({ mode: 'leaf', name: 'gone', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => hub.members().some(m => m.name === 'gone'), { timeout: 10_000, message: 'the leaf joined' })
    // Freeze the leaf: it stays a member (no EXIT, long suspicion) but acknowledges nothing.
    await leaf.libp2p.stop()
    const res = await call(await apiOf(hub), 'POST', '/v1/messages', { headers: { 'content-type': 'application/json' }, body: '{"text":"are you there","to":"gone"}' })
    assert.equal(res.status, 504, res.text)
    assert.equal(res.body.error.code, 'unreachable')
    assert.match(res.body.error.message, /no acknowledgement/)
  })

  it('routes - api.listen off runs no server and writes no api.json; a fixed port is used as given', async () => {
    const off = await nodes.startNode({ name: 'quiet', api: { listen: 'off' } })
    assert.equal(off.apiUrl, undefined)
    await assert.rejects(readFile(join(off.dataDir, 'api.json')), { code: 'ENOENT' })
    const port = await freePort()
    const fixed = await nodes.startNode({ name: 'fixed', api: { listen: `127.0.0.1:${port}` } })
    assert.equal(fixed.apiUrl, `http://127.0.0.1:${port}`)
    const info = JSON.parse(await readFile(join(fixed.dataDir, 'api.json'), 'utf8'))
    assert.deepEqual(info, { url: `http://127.0.0.1:${port}`, pid: process.pid })
  })

  it('routes - a port in use fails start with a clear error, and the node stops cleanly', async () => {
    const first = await nodes.startNode({ name: 'first' })
    const taken = new URL(first.apiUrl!).port
    const second = await nodes.createNode({ name: 'second', api: { listen: `127.0.0.1:${taken}` } })
    await assert.rejects(second.start(), /EADDRINUSE|address already in use/)
    await second.stop()
  })

  it('routes - api.maxBodyBytes limits request bodies (413 with a message)', async () => {
    const node = await nodes.startNode({ name: 'small-bodies', api: { maxBodyBytes: 1024 } })
    const api = await apiOf(node)
    const res = await call(api, 'POST', '/v1/messages', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(2000) }) })
    assert.equal(res.status, 413)
    assert.equal(res.body.error.code, 'body_too_large')
    assert.match((await call(api, 'GET', '/metrics')).text, /^overlay_api_refused_total\{reason="body_too_large"\} 1$/m)
  })
})

describe('api ui files', () => {
  const nodes = new NodeTracker()
  after(async () => { await nodes.stopAll() })

  it('routes - the UI\'s files are served at / behind the token, with headers that stop framing and caching', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises')
    const { prepareApi } = await import('../../../src/api/index.ts')
    const { startServer } = await import('../../../src/api/server.ts')
    const ui = await nodes.tempDir('overlay-ui-')
    await mkdir(join(ui, 'assets'))
    await writeFile(join(ui, 'index.html'), '<!doctype html><title>overlay</title><script src="/assets/app.js"></script>')
    await writeFile(join(ui, 'assets', 'app.js'), 'console.log("ui")')
    const node = await nodes.startNode({ name: 'with-ui', api: { listen: 'off' } })
    const prep = await prepareApi({ ...node.config, api: { ...node.config.api, listen: '127.0.0.1:0', libp2pMetrics: false } })
    assert.ok(prep !== undefined)
    prep.uiDir = ui
    const server = await startServer(node, prep)
    nodes.onStop(async () => { await server.close() })
    const token = (await readFile(join(node.dataDir, 'api-token'), 'utf8')).trim()
    const api = { url: server.url, token, client: undefined as never, port: Number(new URL(server.url).port) }
    const page = await call(api, 'GET', '/')
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(page.text, /<title>overlay<\/title>/)
    assert.equal(page.headers.get('x-frame-options'), 'DENY')
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const script = await call(api, 'GET', '/assets/app.js')
    assert.equal(script.status, 200)
    assert.match(script.headers.get('content-type') ?? '', /javascript/)
    assert.equal((await call(api, 'GET', '/assets/app.js', { auth: false })).status, 401)
    assert.equal((await call(api, 'GET', '/assets/missing.js')).status, 404)
    assert.equal((await call(api, 'GET', '/v1/node')).status, 200, 'the API still answers beside the files')
  })
})
