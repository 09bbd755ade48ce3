import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { flagsToConfig, parseArgs } from '../../../src/cli/args.ts'
import { loadConfig } from '../../../src/config/load.ts'
import { parseListen } from '../../../src/config/schema.ts'

describe('config api', () => {
  it('config - api defaults: loopback on a free port, token-guarded metrics, libp2p metrics on', async () => {
    const config = await loadConfig({ env: {} })
    assert.deepEqual(config.api, {
      listen: '127.0.0.1:0',
      openMetrics: false,
      libp2pMetrics: true,
      allowedHosts: [],
      eventRing: 1000,
      eventRingBytes: 4 * 1024 * 1024,
      maxBodyBytes: 256 * 1024,
      maxEventClients: 32,
      maxEventQueueBytes: 4 * 1024 * 1024,
      eventTextChars: 1024
    })
  })

  it('config - api.listen takes off, HOST:PORT and [V6]:PORT', async () => {
    for (const listen of ['off', '127.0.0.1:0', '0.0.0.0:9100', '[::1]:8080', 'localhost:65535']) {
      assert.equal((await loadConfig({ env: {}, flags: { api: { listen } } })).api.listen, listen)
    }
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 })
    assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 })
  })

  it('config - a bad api.listen is an error naming the key', async () => {
    for (const listen of ['8080', '127.0.0.1', '127.0.0.1:70000', 'http://127.0.0.1:80', '::1:80', 'on', '']) {
      await assert.rejects(loadConfig({ env: {}, flags: { api: { listen } } }), (err: Error) => err.name === 'ConfigError' && /^api\.listen: must be "off" or HOST:PORT/.test(err.message), listen)
    }
  })

  it('config - api keys come from OVERLAY_API_* variables; bad ones name the variable', async () => {
    const config = await loadConfig({ env: { OVERLAY_API_LISTEN: 'off', OVERLAY_API_OPEN_METRICS: '1', OVERLAY_API_ALLOWED_HOSTS: 'hub, hub.local', OVERLAY_API_EVENT_RING: '10' } })
    assert.equal(config.api.listen, 'off')
    assert.equal(config.api.openMetrics, true)
    assert.deepEqual(config.api.allowedHosts, ['hub', 'hub.local'])
    assert.equal(config.api.eventRing, 10)
    await assert.rejects(loadConfig({ env: { OVERLAY_API_LISTEN: 'nowhere' } }), /OVERLAY_API_LISTEN: must be "off" or HOST:PORT/)
    await assert.rejects(loadConfig({ env: { OVERLAY_API_MAX_BODY_BYTES: '10' } }), /OVERLAY_API_MAX_BODY_BYTES: must be an integer from 1024/)
  })

  it('config - start --api sets api.listen; a URL there is refused', async () => {
    assert.deepEqual(flagsToConfig(parseArgs(['start', '--api', 'off']).values).flags, { api: { listen: 'off' } })
    assert.deepEqual(flagsToConfig(parseArgs(['start', '--api', '127.0.0.1:8080']).values).flags, { api: { listen: '127.0.0.1:8080' } })
    // The verbs drop their --api URL before reading config; start rejects a URL by the key's rule.
    await assert.rejects(loadConfig({ env: {}, flags: flagsToConfig(parseArgs(['start', '--api', 'http://127.0.0.1:8080']).values).flags }), /api\.listen: must be "off" or HOST:PORT/)
  })
})
