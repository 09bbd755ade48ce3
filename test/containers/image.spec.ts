/**
 * The image built from this checkout: small, without sources or dev dependencies, running as the
 * unprivileged user, with its health check and data dir. Needs a running dockerd (fails loudly without).
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BASE_IMAGE, buildImage, docker, IMAGE, imageSize, REPO_ROOT } from '../helpers/containers/docker.ts'

const MB = 1024 * 1024
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>, dependencies: Record<string, string> }

describe('containers - the image', { timeout: 360_000 }, () => {
  before(async () => { await buildImage() })

  it('containers - the runtime image is at most 60 MB over its base', async () => {
    const [base, image] = [await imageSize(BASE_IMAGE), await imageSize(IMAGE)]
    console.log(`# base ${BASE_IMAGE} ${(base / MB).toFixed(1)} MB, runtime ${IMAGE} ${(image / MB).toFixed(1)} MB (+${((image - base) / MB).toFixed(1)} MB)`)
    assert.ok(image - base <= 60 * MB, `the image adds ${((image - base) / MB).toFixed(1)} MB to its base`)
  })

  it('containers - the image holds dist/src, config/ and production deps only, and runs as node', async () => {
    // Dev-only by the lockfile: a devDependency that a production package also needs (ajv, through
    // fastify) is rightly in the image.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
    const devOnly = Object.keys(pkg.devDependencies).filter(d => !(d in pkg.dependencies) && lock.packages[`node_modules/${d}`]?.dev === true)
    const script = `id -un; echo $OVERLAY_DATA_DIR; ls /app; for d in ${devOnly.join(' ')}; do test -e /app/node_modules/$d && echo "DEV $d"; done; find /app/dist -name "*.ts" ! -name "*.d.ts" | head -3`
    const out = (await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', script])).stdout.split('\n')
    assert.equal(out[0], 'node')
    assert.equal(out[1], '/data')
    const listing = new Set(out.slice(2))
    for (const dir of ['dist', 'config', 'node_modules', 'package.json']) assert.ok(listing.has(dir), `/app/${dir}`)
    for (const gone of ['src', 'test', 'bench', 'docs', 'tsconfig.json', 'package-lock.json', '.git', 'Dockerfile']) assert.ok(!listing.has(gone), `/app/${gone} is in the image`)
    assert.deepEqual(out.filter(l => l.startsWith('DEV ')), [], 'dev dependencies in the image')
    assert.ok(devOnly.includes('typescript'))
    assert.ok(!out.some(l => /\.ts$/.test(l) && !l.endsWith('.d.ts')), 'TypeScript sources in dist/')
  })

  it('containers - the image declares its health check, data volume, user and entrypoint', async () => {
    const cfg = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])).stdout) as Record<string, any>
    assert.deepEqual(cfg.Healthcheck.Test, ['CMD', 'node', '/app/dist/src/cli/bin.js', 'health'])
    // `overlay health` asks the control API (a fixed loopback port in the image), cheap enough for short checks.
    assert.ok((cfg.Env as string[]).includes('OVERLAY_API_LISTEN=127.0.0.1:9100'), 'the image runs the control API')
    assert.deepEqual([cfg.Healthcheck.Interval, cfg.Healthcheck.Timeout, cfg.Healthcheck.Retries].map(Number), [5e9, 5e9, 3])
    assert.deepEqual(Object.keys(cfg.Volumes), ['/data'])
    assert.equal(cfg.User, 'node')
    assert.deepEqual(cfg.Entrypoint, ['node', '/app/dist/src/cli/bin.js'])
    const version = (await docker(['run', '--rm', '--network', 'none', IMAGE, '--version'])).stdout.trim()
    assert.equal(version, (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  })
})
