/** Plain-text and Markdown tables of results, with ratios vs the reference variant. */
import type { Result } from './types.ts'
import { fmt } from './results.ts'

export function groupKey (r: Result): string {
  return `${r.figure}\u0000${r.case}\u0000${r.metric}`
}

/** ratio = median(variant) / median(reference) within the same figure/case/metric. */
export function ratioOf (r: Result, all: Result[]): number | undefined {
  const ref = all.find(x => groupKey(x) === groupKey(r) && x.variant === r.reference)
  if (ref == null || ref.summary.median === 0) return undefined
  return r.summary.median / ref.summary.median
}

export interface Row {
  figure: string
  case: string
  metric: string
  variant: string
  median: string
  spread: string
  iqr: string
  ratio: string
  n: string
}

export function rows (results: Result[]): Row[] {
  return results.map(r => {
    const ratio = ratioOf(r, results)
    const u = r.unit === 'ratio' ? '' : ` ${r.unit}`
    return {
      figure: r.figure,
      case: r.case,
      metric: r.metric,
      variant: r.variant,
      median: `${fmt(r.summary.median)}${u}`,
      spread: `${fmt(r.summary.min)} – ${fmt(r.summary.max)}`,
      iqr: `${fmt(r.summary.p25)} – ${fmt(r.summary.p75)}`,
      ratio: ratio == null ? '' : (r.variant === r.reference ? '1 (ref)' : `${ratio.toFixed(2)}×`),
      n: String(r.summary.n)
    }
  })
}

const HEAD: Row = { figure: 'figure', case: 'case', metric: 'metric', variant: 'variant', median: 'median', spread: 'min – max', iqr: 'IQR', ratio: 'vs ref', n: 'runs' }
const COLS: Array<keyof Row> = ['figure', 'case', 'metric', 'variant', 'median', 'spread', 'ratio', 'n']

export function textTable (results: Result[]): string {
  const rs = rows(results)
  const width = (k: keyof Row): number => Math.max(HEAD[k].length, ...rs.map(r => r[k].length))
  const line = (r: Row): string => COLS.map(k => (k === 'median' || k === 'spread' || k === 'ratio' || k === 'n') ? r[k].padStart(width(k)) : r[k].padEnd(width(k))).join('  ')
  const out = [line(HEAD), COLS.map(k => '-'.repeat(width(k))).join('  ')]
  let prev = ''
  for (const r of rs) {
    if (prev !== '' && prev !== r.figure) out.push('')
    prev = r.figure
    out.push(line(r))
  }
  return out.join('\n')
}

export function markdownTable (results: Result[]): string {
  const rs = rows(results)
  const cols: Array<keyof Row> = ['figure', 'case', 'metric', 'variant', 'median', 'spread', 'iqr', 'ratio', 'n']
  const out = [
    `| ${cols.map(k => HEAD[k]).join(' | ')} |`,
    `| ${cols.map(k => (k === 'median' || k === 'spread' || k === 'iqr' || k === 'ratio' || k === 'n') ? '---:' : '---').join(' | ')} |`
  ]
  for (const r of rs) out.push(`| ${cols.map(k => r[k].replace(/\|/g, '\\|')).join(' | ')} |`)
  return out.join('\n')
}
