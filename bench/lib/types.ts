/**
 * Shared types for the benchmark harness.
 *
 * A *figure* is one question ("how fast is a stream?"). It runs one or more
 * *variants* (raw-tcp, libp2p, gossipsub, ... and later: overlay) and returns
 * one Result per (case, metric, variant). Ratios in the table and chart are
 * computed against the `reference` variant of the same (figure, case, metric).
 */
import type { Summary } from './stats.ts'
import type { MachineInfo, SourceState } from './machine.ts'
import type { TargetCheck } from './targets.ts'

export type Better = 'higher' | 'lower'

export interface Result {
  /** figure module id, e.g. 'throughput' */
  figure: string
  /** sub-case of the figure, e.g. '64 KiB', 'N=25', '500 conns' */
  case: string
  /** short metric name, e.g. 'MiB/s', 'RTT p99' */
  metric: string
  unit: string
  better: Better
  /** who produced the number: 'raw-tcp', 'libp2p', 'gossipsub', 'node-process', (later) 'overlay' */
  variant: string
  /** the variant that is 1.0 in ratios for this (figure, case, metric) */
  reference: string
  /** spread over runs: median, min, max, p25, p75, n */
  summary: Summary
  /** the per-run values the summary was computed from */
  runs: number[]
  /** free-form per-figure details (settings, per-run sub-statistics) */
  details?: Record<string, unknown>
  /** false: keep out of the SVG chart (e.g. a metric whose ratio duplicates another) */
  chart?: boolean
}

export interface RunOpts {
  quick: boolean
  /** override the number of runs per variant (CLI --runs=N) */
  runs?: number
  /** --soak[=SECONDS]: length of the opt-in idle soak figure */
  soakSec?: number
  log: (msg: string) => void
  machine: MachineInfo
}

export interface Figure {
  id: string
  title: string
  run: (opts: RunOpts) => Promise<Result[]>
}

/** Shape of the JSON written to bench/results/*.json */
export interface BenchReport {
  version: 1
  startedAt: string
  finishedAt: string
  durationSec: number
  mode: 'quick' | 'full'
  argv: string[]
  machine: MachineInfo
  /** 1/5/15-minute load average when the run finished (the machine is shared and noisy) */
  loadAvgAtEnd: number[]
  figures: Array<{ id: string, title: string, durationSec: number, error?: string, pending?: string[] }>
  results: Result[]
  /** the overlay's targets, evaluated on this run (lib/targets.ts: ratios paired run by run) */
  targets?: TargetCheck[]
  /** git state of src/ when the run ended, if it differs from machine.source (src/ changed mid-run) */
  sourceAtEnd?: SourceState
}
