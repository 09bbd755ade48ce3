import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultConfig, validateConfig, type OverlayConfig } from '../../../src/config/index.ts'

/** Runs fn and checks it throws a ConfigError for `key` whose message matches `pattern`. */
function throwsConfigError (fn: () => unknown, key: string, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'ConfigError')
    assert.equal((err as Error & { key: string }).key, key, err.message)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  })
}

/** Defaults with one change; `edit` mutates a fresh copy. */
function withChange (edit: (c: Record<string, any>) => void): unknown {
  const c = defaultConfig() as unknown as Record<string, any>
  edit(c)
  return c
}

describe('config schema', () => {
  it('config - defaults validate', () => {
    assert.deepEqual(validateConfig(defaultConfig()), defaultConfig())
  })

  it('config - a full config with every optional key validates', () => {
    const full: OverlayConfig = {
      ...defaultConfig(),
      name: 'node.a_1-b',
      listen: ['/ip4/0.0.0.0/tcp/9000', '/ip6/::/tcp/9000'],
      bootstrap: ['/dns4/hub/tcp/9000', '/ip4/10.0.0.1/tcp/9000/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'],
      token: 's3cret',
      dataDir: '/data',
      encryption: 'tls',
      acceptText: false
    }
    assert.deepEqual(validateConfig(full), full)
  })

  it('config - unknown keys are errors that name their path', () => {
    throwsConfigError(() => validateConfig(withChange(c => { c.colour = 'red' })), 'colour', /unknown key/)
    throwsConfigError(() => validateConfig(withChange(c => { c.limits.maxFrameByte = 1 })), 'limits.maxFrameByte', /unknown key/)
    throwsConfigError(() => validateConfig(withChange(c => { c.mesh.extra = {} })), 'mesh.extra', /unknown key/)
  })

  it('config - bad numbers name the key and the allowed range', () => {
    const range = /retry\.attempts: must be an integer from 1 to 1000/
    for (const bad of [0, -1, 1.5, 1001, '5', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      throwsConfigError(() => validateConfig(withChange(c => { c.retry.attempts = bad })), 'retry.attempts', range)
    }
    throwsConfigError(() => validateConfig(withChange(c => { delete c.timeouts.authMs })), 'timeouts.authMs', /from 1 to 3600000/)
  })

  it('config - limits.maxFrameBytes accepts 64 B to 16 MiB', () => {
    for (const ok of [64, 16 * 1024 * 1024]) validateConfig(withChange(c => { c.limits.maxFrameBytes = ok }))
    for (const bad of [63, 16 * 1024 * 1024 + 1]) {
      throwsConfigError(() => validateConfig(withChange(c => { c.limits.maxFrameBytes = bad })),
        'limits.maxFrameBytes', /must be an integer from 64 to 16777216/)
    }
  })

  it('config - the other ranges hold at their edges', () => {
    const edges: Array<[string, string, number, number]> = [
      ['limits', 'maxSessions', 1, 100_000],
      ['limits', 'maxStreamsPerPeer', 1, 1024],
      ['limits', 'inboundPerIpPerSecond', 1, 100_000],
      ['timeouts', 'banMs', 1, 3_600_000],
      ['mesh', 'degree', 1, 64],
      ['mesh', 'hopLimit', 1, 255],
      ['mesh', 'seenTtlMs', 1, 3_600_000]
    ]
    for (const [section, key, min, max] of edges) {
      validateConfig(withChange(c => { c[section][key] = min }))
      validateConfig(withChange(c => { c[section][key] = max }))
      throwsConfigError(() => validateConfig(withChange(c => { c[section][key] = min - 1 })), `${section}.${key}`)
      throwsConfigError(() => validateConfig(withChange(c => { c[section][key] = max + 1 })), `${section}.${key}`)
    }
  })

  it('config - mode and encryption list the allowed values', () => {
    throwsConfigError(() => validateConfig(withChange(c => { c.mode = 'server' })), 'mode', /must be one of peer, hub, leaf/)
    throwsConfigError(() => validateConfig(withChange(c => { c.encryption = 'none' })), 'encryption', /must be one of noise, tls/)
    throwsConfigError(() => validateConfig(withChange(c => { c.acceptText = 'yes' })), 'acceptText', /must be true or false/)
  })

  it('config - name must match the name pattern', () => {
    for (const bad of ['', 'has space', 'x'.repeat(65), 'ünï']) {
      throwsConfigError(() => validateConfig(withChange(c => { c.name = bad })), 'name', /1-64 characters/)
    }
  })

  it('config - addresses must be multiaddrs and bootstrap entries need /tcp/', () => {
    throwsConfigError(() => validateConfig(withChange(c => { c.bootstrap = ['/dns4/hub/tcp/9000', '/dns4/hub'] })),
      'bootstrap.1', /must contain a \/tcp\/ component/)
    throwsConfigError(() => validateConfig(withChange(c => { c.bootstrap = ['hub 9000'] })), 'bootstrap.0', /not a valid multiaddr/)
    throwsConfigError(() => validateConfig(withChange(c => { c.listen = ['10.0.0.1'] })), 'listen.0', /did you mean \/ip4\/10\.0\.0\.1\/tcp\/9000$/)
    throwsConfigError(() => validateConfig(withChange(c => { c.listen = ['/ip4/999.0.0.1/tcp/1'] })), 'listen.0', /not a valid multiaddr/)
    throwsConfigError(() => validateConfig(withChange(c => { c.listen = [''] })), 'listen.0', /non-empty multiaddr/)
    throwsConfigError(() => validateConfig(withChange(c => { c.listen = '/ip4/0.0.0.0/tcp/9000' })), 'listen', /array/)
  })

  it('config - host:port, [v6]:port and localhost:port are taken as multiaddrs', () => {
    const c = validateConfig(withChange(c => { c.bootstrap = ['hub:9000', '127.0.0.1:9005', '[::1]:9006', 'localhost:9007']; c.listen = ['0.0.0.0:9000'] }))
    assert.deepEqual(c.bootstrap, ['/dns/hub/tcp/9000', '/ip4/127.0.0.1/tcp/9005', '/ip6/::1/tcp/9006', '/ip4/127.0.0.1/tcp/9007'])
    assert.deepEqual(c.listen, ['/ip4/0.0.0.0/tcp/9000'])
  })

  it('config - token rules, without echoing the token', () => {
    throwsConfigError(() => validateConfig(withChange(c => { c.token = '' })), 'token', /must not be empty/)
    throwsConfigError(() => validateConfig(withChange(c => { c.token = 'x'.repeat(1025) })), 'token', /at most 1024/)
    validateConfig(withChange(c => { c.token = 'x'.repeat(1024) }))
    assert.throws(() => validateConfig(withChange(c => { c.token = 'secret\n' })), (err: Error) => {
      assert.match(err.message, /^token: must not contain a line break$/)
      return true
    })
  })

  it('config - token and tokenFile are mutually exclusive', () => {
    throwsConfigError(() => validateConfig(withChange(c => { c.token = 'a'; c.tokenFile = '/t' })), 'token', /cannot both be set/)
  })

  it('config - retry.maxIntervalMs >= intervalMs and suspectAfterMs > heartbeatMs', () => {
    validateConfig(withChange(c => { c.retry.maxIntervalMs = c.retry.intervalMs }))
    throwsConfigError(() => validateConfig(withChange(c => { c.retry.intervalMs = 5000; c.retry.maxIntervalMs = 4000 })),
      'retry.maxIntervalMs', /at least retry\.intervalMs \(5000\)/)
    throwsConfigError(() => validateConfig(withChange(c => { c.mesh.suspectAfterMs = c.mesh.heartbeatMs })),
      'mesh.suspectAfterMs', /greater than mesh\.heartbeatMs/)
  })

  it('config - a non-object is rejected', () => {
    for (const bad of [null, [], 'x', 1]) throwsConfigError(() => validateConfig(bad), 'config', /object/)
    throwsConfigError(() => validateConfig(withChange(c => { c.limits = null })), 'limits', /must be an object/)
  })
})
