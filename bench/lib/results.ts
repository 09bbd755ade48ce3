/** Building Results in figures, and number formatting. */
import { summarize } from './stats.ts'
import type { Better, Figure, Result, RunOpts } from './types.ts'

export const runCount = (opts: RunOpts, full: number, quick: number): number => opts.runs != null && opts.runs > 0 ? opts.runs : opts.quick ? quick : full

/** BENCH_CASE='N=50' (or '64 KiB') runs one case only, e.g. to profile it. */
export const onlyCase = <T>(cases: T[], name: (c: T) => string): T[] => cases.filter(c => process.env.BENCH_CASE == null || process.env.BENCH_CASE === name(c))

/** The mesh figures' sizes: N=10 in quick mode. */
export const meshSizes = (opts: RunOpts, full: number[]): number[] => onlyCase(opts.quick ? [10] : full, n => `N=${n}`)

export type ResultSpec = Omit<Result, 'summary' | 'chart'>

export const makeResult = (spec: ResultSpec): Result => ({ ...spec, summary: summarize(spec.runs) })

/** Collects per-run values keyed by (case, metric, variant), in insertion order. */
export class Collector {
  private readonly figure: string
  private readonly entries = new Map<string, ResultSpec>()
  constructor (figure: string) { this.figure = figure }
  add (c: string, metric: string, unit: string, better: Better, variant: string, reference: string, value: number, details?: Record<string, unknown>): void {
    const key = JSON.stringify([c, metric, variant])
    const e = this.entries.get(key) ?? { figure: this.figure, case: c, metric, unit, better, variant, reference, runs: [], details: {} }
    this.entries.set(key, e)
    e.runs.push(value)
    // perRun[i] belongs to runs[i]: runs without details hold null once any run has them
    const d = (e.details ??= {})
    if (details == null && d.perRun === undefined) return
    const perRun = (d.perRun ??= []) as unknown[]
    while (perRun.length < e.runs.length - 1) perRun.push(null)
    perRun.push(details ?? null)
  }

  setDetails (c: string, metric: string, variant: string, details: Record<string, unknown>): void {
    const e = this.entries.get(JSON.stringify([c, metric, variant]))
    if (e != null) e.details = { ...e.details, ...details }
  }

  results (): Result[] { return [...this.entries.values()].map(makeResult) }
}

/** A figure whose `body` adds its rows; `tableOnly` metrics stay out of the charts (their ratio repeats another row's). */
export function figure (id: string, title: string, body: (opts: RunOpts, col: Collector) => Promise<void>, more: { optIn?: boolean, tableOnly?: string[] } = {}): Figure {
  return {
    id,
    title,
    ...(more.optIn === true ? { optIn: true } : {}),
    async run (opts) {
      const col = new Collector(id)
      await body(opts, col)
      return col.results().map(r => more.tableOnly?.includes(r.metric) === true ? { ...r, chart: false } : r)
    }
  }
}

export function fmt (v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  // the band is picked on the rounded value: 9.996 prints as 10.0, not 10.00
  const a = Math.abs(Number(v.toPrecision(Math.abs(v) >= 1 ? 3 : digits)))
  if (a >= 1000) return Math.round(v).toLocaleString('en-US')
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(digits)
}
