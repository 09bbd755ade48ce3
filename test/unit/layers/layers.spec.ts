/**
 * No file in src/ imports from a higher layer. Layers, low to high: the bottom modules (constants,
 * errors, events), config, protocol, mesh, node, api, the factories that join node and api
 * (create.ts), cli, then the package entry. Import lines
 * (static, dynamic and re-exports) are read from the source text.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src')

/** Each file or folder under src/ and its layer: a file may import only from its own layer or below. */
const LAYERS: Record<string, number> = {
  'constants.ts': 0,
  'errors.ts': 0,
  'events.ts': 0,
  config: 1,
  protocol: 2,
  mesh: 3,
  node: 4,
  api: 5,
  'create.ts': 6,
  cli: 7,
  'index.ts': 8
}

/** The layer of a path relative to src/ (its first segment). */
function layerOf (path: string): number {
  const top = path.split('/')[0] ?? ''
  const layer = LAYERS[top]
  if (layer === undefined) throw new Error(`src/${path} is in no layer: add "${top}" to LAYERS`)
  return layer
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** The relative specifiers a file imports (packages are not layered). */
function importsOf (text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    if (spec?.startsWith('.') === true) out.push(spec)
  }
  return out
}

/** Every import from `file` (relative to src/) that points to a higher layer. */
function upwardImports (file: string, text: string): string[] {
  const from = layerOf(file)
  return importsOf(text).flatMap(spec => {
    const target = relative(SRC, resolve(SRC, dirname(file), spec))
    if (target.startsWith('..')) return [] // outside src/ (package.json): not layered
    return layerOf(target) > from ? [`src/${file} imports ${spec} (layer ${layerOf(target)} above ${from})`] : []
  })
}

describe('layers', () => {
  it('layers - the check catches an upward import, a dynamic one and a re-export, and passes a downward one', () => {
    assert.deepEqual(upwardImports('mesh/x.ts', "import type { Session } from '../node/create-node.ts'\n").length, 1)
    assert.deepEqual(upwardImports('errors.ts', "import type { ErrorCode } from './protocol/frames.ts'").length, 1)
    assert.deepEqual(upwardImports('node/x.ts', "const m = await import('../api/index.ts')").length, 1)
    assert.deepEqual(upwardImports('protocol/x.ts', "export {\n  Mesh\n} from '../mesh/mesh.ts'").length, 1)
    assert.deepEqual(upwardImports('node/x.ts', "import { Mesh } from '../mesh/mesh.ts'\nimport { z } from 'zod'"), [])
    assert.deepEqual(upwardImports('cli/commands/x.ts', "import { a } from '../args.ts'"), [])
  })

  it('layers - no file in src/ imports from a higher layer', () => {
    const found = sourceFiles(SRC).flatMap(path => upwardImports(relative(SRC, path), readFileSync(path, 'utf8')))
    assert.deepEqual(found, [])
  })
})
