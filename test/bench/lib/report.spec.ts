/**
 * Ties docs/BENCHMARKS.md to the data: its generated results block and docs/benchmarks.svg are
 * exactly what `--render` makes of the committed result file the block names (targets checked again
 * by today's rules), so the published figures can be neither hand-edited nor left stale.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DOC_FILE, DOC_SVG, docsBlock, END, START, svgFor } from '../../../bench/lib/report.ts'
import { checkTargets } from '../../../bench/lib/targets.ts'
import type { BenchReport } from '../../../bench/lib/types.ts'

const ROOT = join(import.meta.dirname, '../../..')
const doc = readFileSync(DOC_FILE, 'utf8')

function publishedBlock (): string {
  const a = doc.indexOf(START)
  const b = doc.indexOf(END)
  assert.ok(a >= 0 && b > a, 'docs/BENCHMARKS.md has no results block')
  assert.equal(doc.indexOf(START, a + 1), -1, 'two results blocks')
  return doc.slice(a, b + END.length)
}

/** The result file behind the block: bench/results/<startedAt with : and . as ->.json. */
function publishedReport (): { file: string, report: BenchReport } {
  const started = /^Run: \*\*(full|quick)\*\* mode, started (\S+),/m.exec(publishedBlock())
  assert.ok(started !== null, 'the block does not say when its run started')
  const file = join(ROOT, 'bench/results', `${(started[2] as string).replace(/[:.]/g, '-')}${started[1] === 'quick' ? '-quick' : ''}.json`)
  assert.ok(existsSync(file), `${file} is not committed`)
  return { file, report: JSON.parse(readFileSync(file, 'utf8')) as BenchReport }
}

/** What `node bench/run.ts --render=<file>` publishes: the file, with its targets checked again. */
function rendered (report: BenchReport): BenchReport {
  return { ...report, targets: checkTargets(report.results) }
}

describe('docs/BENCHMARKS.md results', () => {
  it('report - the results block is the rendering of the result file it names', () => {
    const { report } = publishedReport()
    assert.equal(report.mode, 'full', 'the docs show a quick run')
    assert.equal(publishedBlock(), docsBlock(rendered(report)))
  })

  it('report - docs/benchmarks.svg is the chart of the same file', () => {
    const { report } = publishedReport()
    assert.equal(readFileSync(DOC_SVG, 'utf8'), svgFor(rendered(report)))
  })
})
