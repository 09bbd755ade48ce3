/**
 * docs/openapi.yaml against the real server: every route the server has is documented, every
 * documented route is called here, and every answer's status and body are as documented
 * (bodies validated against the document's schemas with ajv).
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { prepareApi } from '../../../src/api/index.ts'
import { startServer } from '../../../src/api/server.ts'
import { call } from '../../helpers/api.ts'
import { NodeTracker, loopbackAddr } from '../../helpers/create-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { ApiServer } from '../../../src/api/index.ts'
import type { NodeApi } from '../../helpers/api.ts'
import type { OverlayNode } from '../../../src/index.ts'

const DOC_PATH = new URL('../../../docs/openapi.yaml', import.meta.url)
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const

interface Answer { status: number, headers: Headers, body: any, text: string }

const pointer = (...parts: string[]): string => parts.map(p => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

describe('api openapi', () => {
  const nodes = new NodeTracker()
  let doc: any
  let ajv: InstanceType<typeof Ajv2020>
  let hub: OverlayNode
  let leaf: OverlayNode
  let server: ApiServer
  let api: NodeApi
  const seen = new Map<string, Set<number>>()

  before(async () => {
    doc = parse(await readFile(DOC_PATH, 'utf8'))
    ajv = new Ajv2020({ strict: false, allErrors: true })
    ajv.addSchema({ ...doc, $id: 'openapi' })
    // The hub runs the server under test; started by hand to read its route table.
    hub = await nodes.startNode({ mode: 'hub', name: 'hub', api: { listen: 'off' } })
    const prep = await prepareApi({ ...hub.config, api: { ...hub.config.api, listen: '127.0.0.1:0', libp2pMetrics: false } })
    assert.ok(prep !== undefined)
    server = await startServer(hub, prep)
    nodes.onStop(async () => { await server.close() })
    const token = (await readFile(`${hub.dataDir}/api-token`, 'utf8')).trim()
    api = { url: server.url, token, client: undefined as never, port: Number(new URL(server.url).port) }
    leaf = await nodes.startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => hub.members().some(m => m.name === 'leaf' && m.state === 'alive'), { timeout: 15_000, message: 'leaf joined the hub' })
  })
  after(async () => { await nodes.stopAll() })

  /** Calls the server and checks the answer against the document. */
  async function check (method: string, path: string, opts: Parameters<typeof call>[3] = {}): Promise<Answer> {
    const res = await call(api, method, path, opts)
    const bare = path.split('?', 1)[0] as string
    const route = Object.keys(doc.paths).find(t => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare)) ?? bare
    const op = doc.paths[route]?.[method.toLowerCase()]
    assert.ok(op !== undefined, `${method} ${route} is not documented`)
    let response = op.responses[String(res.status)]
    assert.ok(response !== undefined, `${method} ${route} answered ${res.status}, which the document does not list: ${res.text.slice(0, 200)}`)
    let responsePointer = `openapi#/${pointer('paths', route, method.toLowerCase(), 'responses', String(res.status))}`
    if (response.$ref !== undefined) {
      responsePointer = `openapi${response.$ref as string}`
      response = doc.components.responses[(response.$ref as string).split('/').at(-1) as string]
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0] as string
    if (response.content !== undefined && type !== '') {
      assert.ok(response.content[type] !== undefined, `${method} ${route} ${res.status} answered ${type}, documented: ${Object.keys(response.content).join(', ')}`)
      if (type === 'application/json') {
        const ok = ajv.validate({ $ref: `${responsePointer}/${pointer('content', type, 'schema')}` }, res.body)
        assert.ok(ok, `${method} ${route} ${res.status}: ${ajv.errorsText()} in ${res.text.slice(0, 300)}`)
      }
    }
    const key = `${method.toUpperCase()} ${route}`
    seen.set(key, (seen.get(key) ?? new Set()).add(res.status))
    return res
  }

  it('openapi - every route the server answers is documented (and nothing else is)', async () => {
    const documented = new Set<string>()
    for (const [path, item] of Object.entries<any>(doc.paths)) for (const m of METHODS) if (item[m] !== undefined) documented.add(`${m.toUpperCase()} ${path}`)
    // With dist/ui built, the static files' wildcard route answers GET /.
    const served = new Set((await server.routes()).map(r => ({ ...r, url: r.url === '/*' ? '/' : r.url.replace(/:(\w+)/g, '{$1}') })).filter(r => r.method !== 'HEAD' && !r.url.includes('*')).map(r => `${r.method} ${r.url}`))
    assert.deepEqual([...served].sort(), [...documented].sort())
  })

  it('openapi - the health probes answer as documented', async () => {
    assert.equal((await check('GET', '/healthz', { auth: false })).body.status, 'ok')
    assert.equal((await check('GET', '/readyz', { auth: false })).body.status, 'ready')
  })

  it('openapi - the read routes answer as documented, with and without the token', async () => {
    const node = await check('GET', '/v1/node')
    assert.equal(node.body.peerId, hub.peerId)
    assert.match(node.body.joinCommand, /^overlay start --bootstrap \/ip4\//)
    await check('GET', '/v1/node', { auth: false })
    await check('GET', '/v1/node', { headers: { origin: 'http://evil.example' } })
    const members = await check('GET', '/v1/members')
    assert.deepEqual(members.body.members.map((m: any) => m.name).sort(), ['hub', 'leaf'])
    await check('GET', '/v1/members?state=alive&mode=leaf&name=le*')
    await check('GET', '/v1/members?state=zombie')
    await check('GET', '/v1/members', { auth: false })
    const sessions = await check('GET', '/v1/sessions')
    assert.equal(sessions.body.sessions[0].name, 'leaf')
    await check('GET', '/v1/sessions', { auth: false })
    await check('GET', '/v1/stats')
    await check('GET', '/v1/stats', { auth: false })
    const topo = await check('GET', '/v1/topology')
    assert.deepEqual(topo.body.edges, [{ from: hub.peerId, to: leaf.peerId, kind: 'session' }])
    await check('GET', '/v1/topology', { auth: false })
    const metrics = await check('GET', '/metrics')
    assert.match(metrics.text, /^overlay_members\{state="alive"\} 2$/m)
    await check('GET', '/metrics', { auth: false })
  })

  it('openapi - / answers as documented: the index or UI, the token redirect, refusals', async () => {
    await check('GET', '/')
    await check('GET', `/?token=${api.token}`, { auth: false })
    await check('GET', '/?token=wrong', { auth: false })
    await check('GET', '/', { auth: false })
  })

  it('openapi - messages answer as documented: broadcast, direct, and each error', async () => {
    const json = { 'content-type': 'application/json' }
    assert.match((await check('POST', '/v1/messages', { headers: json, body: '{"text":"hi all"}' })).body.id, /./)
    const direct = await check('POST', '/v1/messages', { headers: json, body: '{"text":"hi leaf","to":"leaf"}' })
    assert.equal(direct.status, 200)
    assert.equal(direct.body.to, 'leaf')
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":"x","to":"nobody"}' })).status, 404)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":"x","to":"hub"}' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":"a\\nb"}' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":""}' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '{"text":"x","extra":1}' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: '[]' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: { 'content-type': 'text/plain' }, body: 'hi' })).status, 400)
    assert.equal((await check('POST', '/v1/messages', { headers: { 'content-type': 'application/xml' }, body: '<a/>' })).status, 415)
    const huge = JSON.stringify({ text: 'x'.repeat(hub.config.api.maxBodyBytes) })
    assert.equal((await check('POST', '/v1/messages', { headers: json, body: huge })).status, 413)
    await check('POST', '/v1/messages', { auth: false, headers: json, body: '{"text":"x"}' })
  })

  it('openapi - unknown routes and methods get a 404 with a message, never a 500', async () => {
    for (const [method, path] of [['GET', '/v1/nope'], ['DELETE', '/v1/members'], ['GET', '/v2/node'], ['POST', '/v1/node']]) {
      const res = await call(api, method as string, path as string)
      assert.equal(res.status, 404, `${method} ${path}`)
      assert.equal(res.body.error.code, 'not_found')
      assert.match(res.body.error.message, /no route/)
    }
  })

  it('openapi - /v1/events answers as documented: an event stream, 406 for JSON-only clients', async () => {
    const ac = new AbortController()
    const res = await fetch(`${api.url}/v1/events`, { headers: { authorization: `Bearer ${api.token}`, 'last-event-id': '0' }, signal: ac.signal })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/event-stream')
    ac.abort()
    seen.set('GET /v1/events', new Set([200]))
    await check('GET', '/v1/events', { headers: { accept: 'application/json' } })
    await check('GET', '/v1/events', { auth: false })
    assert.equal((await check('GET', '/v1/events/1')).body.id, 1)
    assert.equal((await check('GET', '/v1/events/999999')).status, 404)
    assert.equal((await check('GET', '/v1/events/0')).status, 400)
    assert.equal((await check('GET', '/v1/events/1', { auth: false })).status, 401)
  })

  it('openapi - leave answers as documented and the node stops', async () => {
    // The hub must stay up for the other tests: leave is checked on the leaf's own API.
    const leafApi = { url: leaf.apiUrl as string, token: (await readFile(`${leaf.dataDir}/api-token`, 'utf8')).trim(), client: undefined as never, port: 0 }
    const saved = api
    api = leafApi
    try {
      assert.equal((await check('POST', '/v1/leave', { auth: false })).status, 401)
      assert.equal((await check('POST', '/v1/leave')).body.status, 'leaving')
    } finally {
      api = saved
    }
    await leaf.stopped
    await waitFor(() => !hub.members().some(m => m.name === 'leaf' && m.state === 'alive'), { timeout: 10_000, message: 'the hub saw the leaf leave' })
  })

  it('openapi - every documented route was called', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const m of METHODS) {
        if (item[m] !== undefined) assert.ok(seen.has(`${m.toUpperCase()} ${path}`), `${m.toUpperCase()} ${path} was not called`)
      }
    }
  })
})
