/** A figure returns one Result per (case, metric, variant); ratios are against the `reference` variant. */
import type { Summary } from './stats.ts'
import type { MachineInfo, SourceState } from './machine.ts'
import type { TargetCheck } from './targets.ts'

export type Better = 'higher' | 'lower'

/**
 * `summary` is of the per-run values in `runs`; `details` holds settings and per-run sub-statistics
 * (`perRun[i]` belongs to `runs[i]`); `chart: false` marks a ratio that repeats another row's.
 */
export interface Result { figure: string, case: string, metric: string, unit: string, better: Better, variant: string, reference: string, summary: Summary, runs: number[], details?: Record<string, unknown>, chart?: boolean }

export interface RunOpts { quick: boolean, runs?: number, soakSec?: number, log: (msg: string) => void, machine: MachineInfo }

export interface Figure { id: string, title: string, optIn?: boolean, run: (opts: RunOpts) => Promise<Result[]> }

/** A run's JSON file. `targets`: checked on its results; `sourceAtEnd`: src/ at the end, if it changed mid-run. */
export interface BenchReport {
  version: 1, startedAt: string, finishedAt: string, durationSec: number, mode: 'quick' | 'full', argv: string[], machine: MachineInfo, loadAvgAtEnd: number[]
  figures: Array<{ id: string, title: string, durationSec: number, error?: string }>, results: Result[], targets?: TargetCheck[], sourceAtEnd?: SourceState
}
