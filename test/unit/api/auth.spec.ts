import assert from 'node:assert/strict'
import { request } from 'node:http'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { apiOf, call } from '../../helpers/api.ts'
import { NodeTracker } from '../../helpers/create-nodes.ts'
import type { NodeApi } from '../../helpers/api.ts'
import type { OverlayNode } from '../../../src/index.ts'

/** node:http, because fetch may not send a Host of our choosing. */
async function rawGet (api: NodeApi, path: string, headers: Record<string, string>): Promise<{ status: number, body: any }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers, timeout: 10_000 }, res => {
      let text = ''
      res.on('data', (b: Buffer) => { text += b.toString() })
      res.on('end', () => {
        let body: unknown
        try { body = JSON.parse(text) } catch { body = text }
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('api auth', () => {
  const nodes = new NodeTracker()
  let node: OverlayNode
  let api: NodeApi
  before(async () => {
    node = await nodes.startNode({ name: 'auth-node' })
    api = await apiOf(node)
  })
  after(async () => { await nodes.stopAll() })

  it('auth - the token file is private (0600) and recorded with the URL in the data dir', async () => {
    assert.equal((await stat(join(node.dataDir, 'api-token'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(node.dataDir, 'api.json'))).mode & 0o777, 0o600)
    assert.match(api.token, /^[A-Za-z0-9_-]{32}$/)
    assert.notEqual(api.token, 'letmein123', 'the API token is not the mesh token')
  })

  it('auth - a request without a token is refused with 401 and a message', async () => {
    for (const path of ['/v1/node', '/v1/members', '/metrics', '/', '/v1/events', '/no/such/route']) {
      const res = await call(api, 'GET', path, { auth: false })
      assert.equal(res.status, 401, path)
      assert.equal(res.body.error.code, 'unauthorized', path)
      assert.match(res.body.error.message, /api-token/, path)
    }
    const post = await call(api, 'POST', '/v1/messages', { auth: false, body: '{"text":"x"}', headers: { 'content-type': 'application/json' } })
    assert.equal(post.status, 401)
  })

  it('auth - a wrong bearer token or cookie is refused', async () => {
    assert.equal((await call(api, 'GET', '/v1/node', { auth: false, headers: { authorization: 'Bearer nope' } })).status, 401)
    assert.equal((await call(api, 'GET', '/v1/node', { auth: false, headers: { authorization: `Basic ${api.token}` } })).status, 401)
    assert.equal((await call(api, 'GET', '/v1/node', { auth: false, headers: { cookie: `overlay_api_token_${api.port}=nope` } })).status, 401)
    // Another node's cookie name (another port) does not count here.
    assert.equal((await call(api, 'GET', '/v1/node', { auth: false, headers: { cookie: `overlay_api_token_1=${api.token}` } })).status, 401)
  })

  it('auth - the bearer token is accepted', async () => {
    const res = await call(api, 'GET', '/v1/node')
    assert.equal(res.status, 200)
    assert.equal(res.body.name, 'auth-node')
  })

  it('auth - ?token= sets an HttpOnly, SameSite=Strict cookie and redirects without the token; the cookie then works', async () => {
    const res = await call(api, 'GET', `/?token=${api.token}`, { auth: false })
    assert.equal(res.status, 302)
    assert.equal(res.headers.get('location'), '/')
    const cookie = res.headers.get('set-cookie') ?? ''
    assert.match(cookie, new RegExp(`^overlay_api_token_${api.port}=${api.token};`))
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Strict/)
    assert.match(cookie, /Path=\//)
    const withCookie = await call(api, 'GET', '/v1/members', { auth: false, headers: { cookie: cookie.split(';')[0] as string } })
    assert.equal(withCookie.status, 200)
    // Other query parameters survive the redirect.
    const deep = await call(api, 'GET', `/v1/members?token=${api.token}&state=alive`, { auth: false })
    assert.equal(deep.status, 302)
    assert.equal(deep.headers.get('location'), '/v1/members?state=alive')
  })

  it('auth - a wrong ?token= is refused and sets no cookie', async () => {
    const res = await call(api, 'GET', '/?token=wrong', { auth: false })
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('set-cookie'), null)
  })

  it('auth - a foreign Host is refused even with the token (DNS rebinding)', async () => {
    const bearer = { authorization: `Bearer ${api.token}` }
    const evil = await rawGet(api, '/v1/node', { ...bearer, host: `evil.example:${api.port}` })
    assert.equal(evil.status, 403)
    assert.equal(evil.body.error.code, 'bad_host')
    assert.equal((await rawGet(api, '/v1/node', { ...bearer, host: '127.0.0.1:1' })).status, 403, 'another port')
    for (const host of [`localhost:${api.port}`, `127.0.0.1:${api.port}`, `LOCALHOST:${api.port}`]) {
      assert.equal((await rawGet(api, '/v1/node', { ...bearer, host })).status, 200, host)
    }
  })

  it('auth - a cross-site Origin is refused; the same origin is accepted', async () => {
    const foreign = await call(api, 'GET', '/v1/node', { headers: { origin: 'http://evil.example' } })
    assert.equal(foreign.status, 403)
    assert.equal(foreign.body.error.code, 'bad_origin')
    const post = await call(api, 'POST', '/v1/leave', { headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{}' })
    assert.equal(post.status, 403)
    assert.equal(node.live(), true, 'a refused leave does not stop the node')
    const same = await call(api, 'GET', '/v1/node', { headers: { origin: api.url } })
    assert.equal(same.status, 200)
  })

  it('auth - /healthz and /readyz are open; refusals are counted in /metrics', async () => {
    assert.equal((await call(api, 'GET', '/healthz', { auth: false })).status, 200)
    assert.equal((await call(api, 'GET', '/readyz', { auth: false })).status, 200)
    const metrics = await call(api, 'GET', '/metrics')
    assert.match(metrics.text, /^overlay_api_refused_total\{reason="unauthorized"\} [1-9]/m)
    assert.match(metrics.text, /^overlay_api_refused_total\{reason="bad_host"\} [1-9]/m)
    assert.match(metrics.text, /^overlay_api_refused_total\{reason="bad_origin"\} [1-9]/m)
  })
})

describe('api auth with api.openMetrics', () => {
  const nodes = new NodeTracker()
  after(async () => { await nodes.stopAll() })

  it('auth - /metrics answers without the token (and any Host) when api.openMetrics is true; other routes still need it', async () => {
    const node = await nodes.startNode({ name: 'open-metrics', api: { openMetrics: true } })
    const api = await apiOf(node)
    const res = await call(api, 'GET', '/metrics', { auth: false })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    assert.match(res.text, /^overlay_members\{state="alive"\} 1$/m)
    const scraped = await rawGet(api, '/metrics', { host: 'prometheus-target:9' })
    assert.equal(scraped.status, 200, 'a scraper may name the node as it likes')
    assert.match(scraped.body as string, /^overlay_members/m)
    assert.equal((await call(api, 'GET', '/v1/node', { auth: false })).status, 401)
  })
})
