/** `overlay ui`: the address it prints (and how it opens it), found through the data dir. */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import type { AddressInfo } from 'node:net'
import { API_TOKEN_FILE, writeApiInfo } from '../../../src/api/files.ts'
import { opener, runUi, uiUrl } from '../../../src/cli/commands/ui.ts'
import type { Io } from '../../../src/cli/main.ts'

function fakeIo (): { io: Io, out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b: Buffer) => { out += b.toString() })
  stderr.on('data', (b: Buffer) => { err += b.toString() })
  return { io: { stdin: new PassThrough(), stdout, stderr, env: {}, signals: new EventEmitter() }, out: () => out, err: () => err }
}

const dirs: string[] = []
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
async function tempDir (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'overlay-ui-cmd-'))
  dirs.push(d)
  return d
}

describe('cli ui', () => {
  it('ui - the address is the API origin with the token as ?token=, escaped', () => {
    assert.equal(uiUrl('http://127.0.0.1:8080/', 'a+b/c'), 'http://127.0.0.1:8080/?token=a%2Bb%2Fc')
    assert.equal(uiUrl('http://[::1]:9', 'x'), 'http://[::1]:9/?token=x')
  })

  it('ui - --open uses the platform\'s opener', () => {
    assert.deepEqual([opener('linux').cmd, opener('linux').args('u')], ['xdg-open', ['u']])
    assert.deepEqual([opener('darwin').cmd, opener('darwin').args('u')], ['open', ['u']])
    assert.equal(opener('win32').cmd, 'cmd')
  })

  it('ui - with no node running from the data dir, exits 1 and says so', async () => {
    const { io, err } = fakeIo()
    assert.equal(await runUi({ 'data-dir': await tempDir() }, io), 1)
    assert.match(err(), /no node with a control API is running/)
  })

  it('ui - prints the address of the node in the data dir once its API accepts the token, and refuses a wrong token', async () => {
    const dir = await tempDir()
    const server = createServer((req, res) => {
      const ok = req.url === '/v1/node' && req.headers.authorization === 'Bearer right-token'
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      res.end(JSON.stringify(ok ? { name: 'alice' } : { error: { code: 'unauthorized', message: 'wrong API token' } }))
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      await writeApiInfo(dir, { url, pid: process.pid })
      await writeFile(join(dir, API_TOKEN_FILE), 'right-token\n', { mode: 0o600 })
      const ok = fakeIo()
      assert.equal(await runUi({ 'data-dir': dir, json: true }, ok.io), 0, ok.err())
      assert.deepEqual(JSON.parse(ok.out()), { type: 'ui', url: `${url}/?token=right-token`, name: 'alice' })
      const bad = fakeIo()
      assert.equal(await runUi({ 'data-dir': dir, 'api-token': 'wrong' }, bad.io), 1)
      assert.match(bad.err(), /wrong API token/)
      assert.equal(bad.out(), '')
    } finally {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  })
})
