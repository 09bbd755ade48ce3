/**
 * Ties docs/BENCHMARKS.md to the data: its generated results block is exactly what `--render` makes of bench/results/published.json (targets checked again by today's
 * rules), so the published figures can be neither hand-edited nor left stale; and that file is
 * the only result file git keeps.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DOC_FILE, PUBLISHED, docsBlock, END, START } from '../../../bench/lib/report.ts'
import { checkTargets } from '../../../bench/lib/targets.ts'
import type { BenchReport } from '../../../bench/lib/results.ts'

const ROOT = join(import.meta.dirname, '../../..')
const doc = readFileSync(DOC_FILE, 'utf8')
const published = JSON.parse(readFileSync(PUBLISHED, 'utf8')) as BenchReport

function publishedBlock (): string {
  const a = doc.indexOf(START)
  const b = doc.indexOf(END)
  assert.ok(a >= 0 && b > a, 'docs/BENCHMARKS.md has no results block')
  assert.equal(doc.indexOf(START, a + 1), -1, 'two results blocks')
  return doc.slice(a, b + END.length)
}

/** What `node bench/run.ts --render=<file>` publishes: the file, with its targets checked again. */
const rendered = (report: BenchReport): BenchReport => ({ ...report, targets: checkTargets(report.results) })

describe('docs/BENCHMARKS.md results', () => {
  it('report - the results block is the rendering of bench/results/published.json, a full run', () => {
    const started = /^Run: \*\*(full|quick)\*\* mode, started (\S+),/m.exec(publishedBlock())
    assert.deepEqual([started?.[1], started?.[2]], ['full', published.startedAt], 'the block names another run')
    assert.equal(published.mode, 'full', 'the docs show a quick run')
    assert.equal(publishedBlock(), docsBlock(rendered(published)))
  })

  it('report - git keeps one result file, the published one; runs write beside it, ignored', () => {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
    assert.deepEqual(git('ls-files', 'bench/results').trim().split('\n'), ['bench/results/published.json'])
    for (const f of ['latest.json', '2026-01-01T00-00-00-000Z.json', '2026-01-01T00-00-00-000Z-quick.json']) {
      assert.equal(git('check-ignore', '--no-index', `bench/results/${f}`).trim(), `bench/results/${f}`, f)
    }
  })
})
