/** Tables: any grid as plain text or Markdown, and the results in Markdown, with ratios to the reference variant. */
import type { Result } from './types.ts'
import { fmt } from './results.ts'

const groupKey = (r: Result): string => JSON.stringify([r.figure, r.case, r.metric])

/** median(variant) / median(reference) within the same figure, case and metric. */
function ratioOf (r: Result, all: Result[]): number | undefined {
  const ref = all.find(x => groupKey(x) === groupKey(r) && x.variant === r.reference)
  return ref == null || ref.summary.median === 0 ? undefined : r.summary.median / ref.summary.median
}

/** Columns padded to a common width, `right` ones aligned right; a dashed line under the head. */
export function textGrid (head: string[], rows: string[][], right: number[] = []): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] as string).length)))
  const line = (r: string[]): string => r.map((x, i) => right.includes(i) ? x.padStart(w[i] as number) : x.padEnd(w[i] as number)).join('  ')
  return [line(head), w.map(n => '-'.repeat(n)).join('  '), ...rows.map(line)]
}

export function markdownGrid (head: string[], rows: string[][], right: number[] = []): string {
  const line = (r: string[]): string => `| ${r.map(x => x.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(head), `| ${head.map((_, i) => right.includes(i) ? '---:' : '---').join(' | ')} |`, ...rows.map(line)].join('\n')
}

const HEAD = ['figure', 'case', 'metric', 'variant', 'median', 'min – max', 'IQR', 'vs ref', 'runs']

function cells (r: Result, all: Result[]): string[] {
  const ratio = ratioOf(r, all)
  const s = r.summary
  return [r.figure, r.case, r.metric, r.variant, `${fmt(s.median)}${r.unit === 'ratio' ? '' : ` ${r.unit}`}`, `${fmt(s.min)} – ${fmt(s.max)}`, `${fmt(s.p25)} – ${fmt(s.p75)}`,
    ratio == null ? '' : r.variant === r.reference ? '1 (ref)' : `${ratio.toFixed(2)}×`, String(s.n)]
}

export const markdownTable = (results: Result[]): string => markdownGrid(HEAD, results.map(r => cells(r, results)), [4, 5, 6, 7, 8])
