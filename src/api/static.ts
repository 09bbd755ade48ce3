/** The UI: dist/ui/ (built by the ui branch) served at /, behind the same auth as the API. */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from './routes.ts'

/** dist/ui from src/api (running the .ts sources) or from dist/src/api (the build). */
export function uiDir (): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [resolve(here, '../../dist/ui'), resolve(here, '../../ui')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate
  }
  return undefined
}

export async function registerUi (app: FastifyInstance, { node, version }: RouteContext): Promise<void> {
  const root = uiDir()
  if (root === undefined) {
    app.get('/', async () => ({ name: node.name, version, ui: 'not built (npm run build builds dist/ui)', api: '/v1/node', docs: 'docs/API.md' }))
    return
  }
  const { default: fastifyStatic } = await import('@fastify/static')
  await app.register(fastifyStatic, { root, prefix: '/', index: ['index.html'], wildcard: true })
}
