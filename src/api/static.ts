/** The UI: dist/ui/ (built by the ui branch) served at /, behind the same auth as the API. */
import { existsSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from './routes.ts'

/** dist/ui/, seen from src/api (running the .ts sources) or from dist/src/api (the build). */
function uiDir (): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  const root = here.split(sep).slice(-3).join('/') === 'dist/src/api' ? resolve(here, '../../ui') : resolve(here, '../../dist/ui')
  return existsSync(join(root, 'index.html')) ? root : undefined
}

export async function registerUi (app: FastifyInstance, { node, version }: RouteContext, dir?: string): Promise<void> {
  const root = dir ?? uiDir()
  if (root === undefined) {
    app.get('/', async () => ({ name: node.name, version, ui: 'not built (npm run build builds dist/ui)', api: '/v1/node', docs: 'docs/API.md' }))
    return
  }
  const { default: fastifyStatic } = await import('@fastify/static')
  await app.register(fastifyStatic, { root, prefix: '/', index: ['index.html'], wildcard: true, cacheControl: false })
}
