import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defaultConfig, ENV_VARS, loadConfig } from '../../../src/config/index.ts'

const CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url))

/** Awaits p and checks it rejects with a ConfigError for `key` whose message matches `pattern`. */
async function rejectsConfigError (p: Promise<unknown>, key: string, pattern?: RegExp): Promise<Error> {
  let caught: unknown
  await assert.rejects(p, (err: unknown) => { caught = err; return true })
  const err = caught as Error & { key: string }
  assert.equal(err.name, 'ConfigError')
  assert.equal(err.key, key, err.message)
  if (pattern !== undefined) assert.match(err.message, pattern)
  return err
}

describe('config loading', () => {
  let dir = ''
  let n = 0
  /** Writes `content` (an object is JSON-encoded) to a fresh file and returns its path. */
  const file = async (content: unknown): Promise<string> => {
    const path = join(dir, `c${n++}.json`)
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'overlay-config-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('config - nothing given yields the defaults', async () => {
    assert.deepEqual(await loadConfig({ env: {} }), defaultConfig())
  })

  it('config - every example file loads and has its expected mode', async () => {
    const names = (await readdir(CONFIG_DIR)).filter(f => f.endsWith('.json'))
    assert.ok(names.length >= 3, `only ${names.join(', ')}`)
    for (const name of names) {
      const config = await loadConfig({ path: join(CONFIG_DIR, name), env: {} })
      // hub.json, hub-tls.json, ... : the file name starts with the mode.
      assert.equal(config.mode, basename(name, '.json').split(/[-.]/)[0], name)
    }
  })

  it('config - no example file names a data dir: on a host they write only under the data home or --data-dir; the image sets OVERLAY_DATA_DIR', async () => {
    for (const name of (await readdir(CONFIG_DIR)).filter(f => f.endsWith('.json'))) {
      assert.equal((await loadConfig({ path: join(CONFIG_DIR, name), env: {} })).dataDir, undefined, name)
      assert.equal((await loadConfig({ path: join(CONFIG_DIR, name), env: { OVERLAY_DATA_DIR: '/data' } })).dataDir, '/data', name)
    }
  })

  it('config - the README documents every key and environment variable', async () => {
    const readme = await readFile(join(CONFIG_DIR, 'README.md'), 'utf8')
    for (const { name, key } of ENV_VARS) {
      assert.ok(readme.includes(`\`${key}\``), `README misses key ${key}`)
      assert.ok(readme.includes(`\`${name}\``), `README misses ${name}`)
    }
  })

  it('config - ENV_VARS derive from every config key', () => {
    const names = ENV_VARS.map(v => v.name)
    assert.equal(new Set(names).size, names.length, 'env names must be unique')
    const expected = [
      ['OVERLAY_MODE', 'mode'], ['OVERLAY_NAME', 'name'], ['OVERLAY_LISTEN', 'listen'],
      ['OVERLAY_BOOTSTRAP', 'bootstrap'], ['OVERLAY_TOKEN', 'token'], ['OVERLAY_TOKEN_FILE', 'tokenFile'],
      ['OVERLAY_DATA_DIR', 'dataDir'], ['OVERLAY_ENCRYPTION', 'encryption'], ['OVERLAY_ACCEPT_TEXT', 'acceptText'],
      ['OVERLAY_LIMITS_MAX_FRAME_BYTES', 'limits.maxFrameBytes'], ['OVERLAY_TIMEOUTS_AUTH_MS', 'timeouts.authMs'],
      ['OVERLAY_RETRY_ATTEMPTS', 'retry.attempts'], ['OVERLAY_MESH_HEARTBEAT_MS', 'mesh.heartbeatMs'],
      ['OVERLAY_LIMITS_INBOUND_PER_IP_PER_SECOND', 'limits.inboundPerIpPerSecond']
    ]
    for (const [name, key] of expected) assert.ok(ENV_VARS.some(v => v.name === name && v.key === key), `${name} -> ${key}`)
    const d = defaultConfig()
    const leaves = Object.entries(d).flatMap(([k, v]) =>
      typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).map(s => `${k}.${s}`) : [k])
    for (const key of leaves) assert.ok(ENV_VARS.some(v => v.key === key), `no env var for ${key}`)
  })

  it('config - precedence is flags > env > file > defaults', async () => {
    const path = await file({ mode: 'hub', name: 'from-file', retry: { attempts: 7, intervalMs: 2000 }, mesh: { degree: 8 } })
    const env = { OVERLAY_NAME: 'from-env', OVERLAY_RETRY_ATTEMPTS: '9', OVERLAY_MESH_HOP_LIMIT: '3' }
    const config = await loadConfig({ path, env, flags: { retry: { attempts: 11 } } })
    assert.equal(config.mode, 'hub') // file
    assert.equal(config.name, 'from-env') // env over file
    assert.equal(config.retry.attempts, 11) // flag over env over file
    assert.equal(config.retry.intervalMs, 2000) // file, sibling of a flag-set key survives
    assert.equal(config.retry.maxIntervalMs, defaultConfig().retry.maxIntervalMs) // default
    assert.equal(config.mesh.degree, 8)
    assert.equal(config.mesh.hopLimit, 3)
    assert.equal(config.mesh.heartbeatMs, defaultConfig().mesh.heartbeatMs)
  })

  it('config - arrays replace instead of concatenating', async () => {
    const path = await file({ bootstrap: ['/dns4/a/tcp/1', '/dns4/b/tcp/1'], listen: ['/ip4/0.0.0.0/tcp/1'] })
    const fromEnv = await loadConfig({ path, env: { OVERLAY_BOOTSTRAP: '/dns4/c/tcp/1' } })
    assert.deepEqual(fromEnv.bootstrap, ['/dns4/c/tcp/1'])
    assert.deepEqual(fromEnv.listen, ['/ip4/0.0.0.0/tcp/1'])
    const fromFlags = await loadConfig({ path, env: {}, flags: { listen: [] } })
    assert.deepEqual(fromFlags.listen, [])
  })

  it('config - token or tokenFile in a higher layer clears both below', async () => {
    const withTokenFile = await file({ tokenFile: '/run/secrets/token' })
    const a = await loadConfig({ path: withTokenFile, env: { OVERLAY_TOKEN: 'env-token' } })
    assert.equal(a.token, 'env-token')
    assert.equal(a.tokenFile, undefined)

    const withToken = await file({ token: 'file-token' })
    const b = await loadConfig({ path: withToken, env: {}, flags: { tokenFile: '/t' } })
    assert.equal(b.tokenFile, '/t')
    assert.equal(b.token, undefined)

    const c = await loadConfig({ path: withToken, env: { OVERLAY_TOKEN_FILE: '/e' }, flags: { token: 'flag-token' } })
    assert.deepEqual([c.token, c.tokenFile], ['flag-token', undefined])

    const d = await loadConfig({ path: withToken, env: { OVERLAY_TOKEN: '' }, flags: { token: undefined } })
    assert.equal(d.token, 'file-token', 'unset values do not clear')
  })

  it('config - token and tokenFile in one layer is an error', async () => {
    await rejectsConfigError(loadConfig({ path: await file({ token: 'a', tokenFile: '/b' }), env: {} }), 'token', /cannot both be set/)
    await rejectsConfigError(loadConfig({ env: { OVERLAY_TOKEN: 'a', OVERLAY_TOKEN_FILE: '/b' } }), 'OVERLAY_TOKEN', /cannot both be set/)
  })

  it('config - the file path comes from OVERLAY_CONFIG unless one is passed', async () => {
    const hub = await file({ mode: 'hub' })
    const leaf = await file({ mode: 'leaf' })
    assert.equal((await loadConfig({ env: { OVERLAY_CONFIG: hub } })).mode, 'hub')
    assert.equal((await loadConfig({ path: leaf, env: { OVERLAY_CONFIG: hub } })).mode, 'leaf')
  })

  it('config - environment values are parsed by type', async () => {
    const config = await loadConfig({
      env: {
        OVERLAY_MODE: 'leaf',
        OVERLAY_BOOTSTRAP: ' /dns4/a/tcp/1 , ,/dns4/b/tcp/2,',
        OVERLAY_ACCEPT_TEXT: 'false',
        OVERLAY_LIMITS_MAX_FRAME_BYTES: ' 1024 ',
        OVERLAY_DATA_DIR: '',
        OVERLAY_SOMETHING_ELSE: 'ignored'
      }
    })
    assert.equal(config.mode, 'leaf')
    assert.deepEqual(config.bootstrap, ['/dns4/a/tcp/1', '/dns4/b/tcp/2'])
    assert.equal(config.acceptText, false)
    assert.equal(config.limits.maxFrameBytes, 1024)
    assert.equal(config.dataDir, undefined, 'empty counts as unset')
    assert.equal((await loadConfig({ env: { OVERLAY_ACCEPT_TEXT: '1' }, flags: {} })).acceptText, true)
  })

  it('config - bad environment values name the variable', async () => {
    for (const bad of ['5x', '1.5', 'five', '1e3']) {
      await rejectsConfigError(loadConfig({ env: { OVERLAY_RETRY_ATTEMPTS: bad } }), 'OVERLAY_RETRY_ATTEMPTS', /^OVERLAY_RETRY_ATTEMPTS: must be an integer/)
    }
    await rejectsConfigError(loadConfig({ env: { OVERLAY_ACCEPT_TEXT: 'yes' } }), 'OVERLAY_ACCEPT_TEXT', /true, false, 1 or 0/)
    await rejectsConfigError(loadConfig({ env: { OVERLAY_RETRY_ATTEMPTS: '0' } }), 'OVERLAY_RETRY_ATTEMPTS', /from 1 to 1000/)
    await rejectsConfigError(loadConfig({ env: { OVERLAY_MODE: 'server' } }), 'OVERLAY_MODE', /one of peer, hub, leaf/)
    await rejectsConfigError(loadConfig({ env: { OVERLAY_BOOTSTRAP: '/dns4/a/tcp/1,/dns4/b' } }), 'OVERLAY_BOOTSTRAP', /\/tcp\//)
  })

  it('config - bad file values name the key and the file', async () => {
    const path = await file({ limits: { maxFrameByte: 100 } })
    const err = await rejectsConfigError(loadConfig({ path, env: {} }), 'limits.maxFrameByte', /unknown key/)
    assert.ok(err.message.includes(path))
    await rejectsConfigError(loadConfig({ path: await file({ retry: { attempts: 0 } }), env: {} }), 'retry.attempts', /from 1 to 1000/)
    await rejectsConfigError(loadConfig({ path: await file('{"__proto__": {"mode": "hub"}}'), env: {} }), '__proto__', /unknown key/)
  })

  it('config - bad flag values name the key', async () => {
    await rejectsConfigError(loadConfig({ env: {}, flags: { mesh: { degree: 0 } } }), 'mesh.degree', /from 1 to 64/)
  })

  it('config - a missing file and a malformed file give different messages', async () => {
    const missing = join(dir, 'nope.json')
    await rejectsConfigError(loadConfig({ path: missing, env: {} }), 'config', new RegExp(`^config: ${missing} does not exist$`))
    const broken = await file('{\n  "mode": "hub",\n}\n')
    const err = await rejectsConfigError(loadConfig({ path: broken, env: {} }), 'config', /is not valid JSON: .*line 3 column 1/)
    assert.ok(err.message.startsWith(`config: ${broken} is not valid JSON: `))
    await rejectsConfigError(loadConfig({ path: await file('{"token": "s3cret", "a": tru}'), env: {} }), 'config', /^(?!.*s3cret).*not valid JSON/)
    await rejectsConfigError(loadConfig({ path: await file('[]'), env: {} }), 'config', /must contain a JSON object/)
  })
})
