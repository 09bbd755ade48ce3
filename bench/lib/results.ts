/**
 * Results: their types, building them in figures, and printing them (numbers, tables with ratios to the
 * reference variant). A figure returns one Result per (case, metric, variant).
 */
import { summarize, type Summary } from './stats.ts'
import type { MachineInfo, SourceState } from './report.ts'
import type { TargetCheck } from './targets.ts'

export type Better = 'higher' | 'lower'

/** `summary` is of the per-run values in `runs`; `details` holds settings and per-run sub-statistics (`perRun[i]` of `runs[i]`). */
export interface Result { figure: string, case: string, metric: string, unit: string, better: Better, variant: string, reference: string, summary: Summary, runs: number[], details?: Record<string, unknown> }

export interface RunOpts { quick: boolean, runs?: number, soakSec?: number, log: (msg: string) => void }

export interface Figure { id: string, title: string, optIn?: boolean, run: (opts: RunOpts) => Promise<Result[]> }

/** A run's JSON file. `targets`: checked on its results; `sourceAtEnd`: src/ at the end, if it changed mid-run. */
export interface BenchReport {
  version: 1, startedAt: string, finishedAt: string, durationSec: number, mode: 'quick' | 'full', argv: string[], machine: MachineInfo, loadAvgAtEnd: number[]
  figures: Array<{ id: string, title: string, durationSec: number, error?: string }>, results: Result[], targets?: TargetCheck[], sourceAtEnd?: SourceState
}

export const runCount = (opts: RunOpts, full: number, quick: number): number => opts.runs != null && opts.runs > 0 ? opts.runs : opts.quick ? quick : full

/** BENCH_CASE='N=50' (or '64 KiB') runs one case only, e.g. to profile it. */
export const onlyCase = <T>(cases: T[], name: (c: T) => string): T[] => cases.filter(c => process.env.BENCH_CASE == null || process.env.BENCH_CASE === name(c))

/** The mesh figures' sizes: N=10 in quick mode. */
export const meshSizes = (opts: RunOpts, full: number[]): number[] => onlyCase(opts.quick ? [10] : full, n => `N=${n}`)

export type ResultSpec = Omit<Result, 'summary'>

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

  /** Merges `details` (a figure's settings) into every row so far of case `c` and `variant`. */
  setDetails (c: string, variant: string, details: Record<string, unknown>): void {
    for (const e of this.entries.values()) if (e.case === c && e.variant === variant) e.details = { ...e.details, ...details }
  }

  results (): Result[] { return [...this.entries.values()].map(makeResult) }
}

/** A figure whose `body` adds its rows. */
export function figure (id: string, title: string, body: (opts: RunOpts, col: Collector) => Promise<void>, { optIn = false } = {}): Figure {
  return {
    id,
    title,
    optIn,
    async run (opts) {
      const col = new Collector(id)
      await body(opts, col)
      return col.results()
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

/** Tables: any grid, and the results, in Markdown. */
const groupKey = (r: Result): string => JSON.stringify([r.figure, r.case, r.metric])

/** median(variant) / median(reference) within the same figure, case and metric. */
function ratioOf (r: Result, all: Result[]): number | undefined {
  const ref = all.find(x => groupKey(x) === groupKey(r) && x.variant === r.reference)
  return ref == null || ref.summary.median === 0 ? undefined : r.summary.median / ref.summary.median
}

export function markdownGrid (head: string[], rows: string[][], right: number[] = []): string {
  const line = (r: string[]): string => `| ${r.map(x => x.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(head), `| ${head.map((_, i) => right.includes(i) ? '---:' : '---').join(' | ')} |`, ...rows.map(line)].join('\n')
}

export const unitOf = (r: Result): string => r.unit === 'ratio' ? '' : ` ${r.unit}`

const HEAD = ['figure', 'case', 'metric', 'variant', 'median', 'min – max', 'IQR', 'vs ref', 'runs']

function cells (r: Result, all: Result[]): string[] {
  const ratio = ratioOf(r, all)
  const s = r.summary
  return [r.figure, r.case, r.metric, r.variant, `${fmt(s.median)}${unitOf(r)}`, `${fmt(s.min)} – ${fmt(s.max)}`, `${fmt(s.p25)} – ${fmt(s.p75)}`,
    ratio == null ? '' : r.variant === r.reference ? '1 (ref)' : `${ratio.toFixed(2)}×`, String(s.n)]
}

export const markdownTable = (results: Result[]): string => markdownGrid(HEAD, results.map(r => cells(r, results)), [4, 5, 6, 7, 8])
