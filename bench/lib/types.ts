/**
 * A figure is one question ("how fast is a stream?"). It runs variants (raw-tcp, libp2p,
 * gossipsub, overlay, ...) and returns one Result per (case, metric, variant); ratios are taken
 * against the `reference` variant of the same (figure, case, metric).
 */
import type { Summary } from './stats.ts'
import type { MachineInfo, SourceState } from './machine.ts'
import type { TargetCheck } from './targets.ts'

export type Better = 'higher' | 'lower'

export interface Result {
  figure: string
  /** e.g. '64 KiB', 'N=25', '500 conns' */
  case: string
  metric: string
  unit: string
  better: Better
  variant: string
  reference: string
  /** over the per-run values in `runs` */
  summary: Summary
  runs: number[]
  /** settings and per-run sub-statistics (`perRun[i]` belongs to `runs[i]`) */
  details?: Record<string, unknown>
  /** false: table only, not the chart (a ratio that repeats another) */
  chart?: boolean
}

export interface RunOpts {
  quick: boolean
  /** --runs=N: runs per variant */
  runs?: number
  /** --soak=SECONDS */
  soakSec?: number
  log: (msg: string) => void
  machine: MachineInfo
}

export interface Figure { id: string, title: string, optIn?: boolean, run: (opts: RunOpts) => Promise<Result[]> }

/** A run's JSON (bench/results/*.json). */
export interface BenchReport {
  version: 1
  startedAt: string
  finishedAt: string
  durationSec: number
  mode: 'quick' | 'full'
  argv: string[]
  machine: MachineInfo
  loadAvgAtEnd: number[]
  figures: Array<{ id: string, title: string, durationSec: number, error?: string }>
  results: Result[]
  /** checked on this run's results (lib/targets.ts) */
  targets?: TargetCheck[]
  /** git state of src/ at the end, if it differs from machine.source (src/ changed mid-run) */
  sourceAtEnd?: SourceState
}
