/**
 * Benchmark driver: `npm run bench` (= node bench/run.ts).
 *
 *   node bench/run.ts [--quick] [--only=throughput,rtt,dial,broadcast,membership,memory,fanin,soak]
 *                     [--runs=N] [--soak[=SECONDS]] [--docs | --no-docs]
 *
 * --quick   reduced sizes/runs, N=10 only, 50 sessions / 100 leaves instead of 500; < 60 s.
 *           Its workers are killed 0.1 s after they are asked to stop (no graceful node.stop()).
 * --only    run a subset of figures (by id).
 * --runs=N  override the number of runs of every figure.
 * --soak    also run the opt-in 'soak' figure: an idle overlay mesh of 50 for
 *           10 minutes (or SECONDS), counting false suspect/failed events.
 * --docs    also rewrite docs/BENCHMARKS.md + docs/benchmarks.svg (default for
 *           a full run of all figures); --no-docs never touches docs/.
 * --render=FILE  measure nothing: rewrite the docs block and docs/benchmarks.svg
 *           from an earlier result file (targets re-checked), e.g. after editing
 *           the text around the block.
 *
 * Writes bench/results/<timestamp>[-quick].json, bench/results/latest.json
 * and bench/results/latest.svg (or into $BENCH_RESULTS_DIR). Every measurement runs in worker processes
 * (bench/workers/*.ts, forked with process.execPath); all of them are killed
 * at the end, on error, on Ctrl-C and when the global watchdog fires.
 * Set BENCH_VERBOSE=1 to see worker stderr/logs.
 */
import os from 'node:os'
import path from 'node:path'
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { figures } from './figures/index.ts'
import { installCleanup, killAll, liveCount, capStopGrace } from './lib/proc.ts'
import { machineInfo, machineLine, sourceState, sourceLine } from './lib/machine.ts'
import { textTable } from './lib/table.ts'
import { writeResultFiles, updateDocs } from './lib/report.ts'
import { checkTargets, targetsText } from './lib/targets.ts'
import type { BenchReport, Result } from './lib/types.ts'

const argv = process.argv.slice(2)
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: node bench/run.ts [--quick] [--only=id,id] [--runs=N] [--soak[=SECONDS]] [--docs|--no-docs] | --render=RESULT.json')
  console.log(`figures: ${figures.map(f => f.figure.id).join(', ')}`)
  process.exit(0)
}
const renderArg = argv.find(a => a.startsWith('--render='))
if (renderArg !== undefined) {
  const report = JSON.parse(readFileSync(renderArg.slice('--render='.length), 'utf8')) as BenchReport
  report.targets = checkTargets(report.results)
  console.log(`wrote ${updateDocs(report)} (+ docs/benchmarks.svg) from ${renderArg.slice('--render='.length)}`)
  process.exit(0)
}
const quick = argv.includes('--quick')
const onlyArg = argv.find(a => a.startsWith('--only='))
const only = onlyArg != null ? new Set(onlyArg.slice('--only='.length).split(',').map(s => s.trim()).filter(Boolean)) : null
const runsArg = argv.find(a => a.startsWith('--runs='))
const runs = runsArg != null ? Number(runsArg.slice('--runs='.length)) : undefined
if (runs != null && !(Number.isInteger(runs) && runs > 0 && runs <= 50)) {
  console.error('--runs must be an integer 1..50')
  process.exit(2)
}
const soakArg = argv.find(a => a === '--soak' || a.startsWith('--soak='))
const soakSec = soakArg === undefined ? undefined : soakArg === '--soak' ? 600 : Number(soakArg.slice('--soak='.length))
if (soakSec !== undefined && !(Number.isInteger(soakSec) && soakSec >= 10 && soakSec <= 3600)) {
  console.error('--soak=SECONDS must be an integer 10..3600')
  process.exit(2)
}
const unknown = argv.filter(a => !(a === '--quick' || a === '--docs' || a === '--no-docs' || a === soakArg || a.startsWith('--only=') || a.startsWith('--runs=')))
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')} (try --help)`)
  process.exit(2)
}
if (only != null) {
  const ids = new Set(figures.map(f => f.figure.id))
  const bad = [...only].filter(id => !ids.has(id))
  if (bad.length > 0) { console.error(`unknown figure(s): ${bad.join(', ')}`); process.exit(2) }
}
// opt-in figures (soak) run only with their flag; --only=soak implies the default soak time
const selected = figures.filter(f => only == null ? (f.optIn !== true || soakSec !== undefined) : only.has(f.figure.id))
const writeDocs = argv.includes('--no-docs') ? false : (argv.includes('--docs') || (!quick && only == null && runs == null))

// Overlay workers keep each node's data dir (identity, lock) under this dir; removed at exit.
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'p2p-overlay-bench-'))
process.env.BENCH_TMP_DIR = tmpRoot
installCleanup(() => { rmSync(tmpRoot, { recursive: true, force: true }) })
// quick mode: a figure's workers are killed 0.1 s after their results instead of stopping their nodes gracefully
if (quick) capStopGrace(100)
const WATCHDOG_MS = (quick ? 180_000 : 1_800_000) + (selected.some(f => f.optIn === true) ? ((soakSec ?? 600) + 300) * 1000 : 0)
const watchdog = setTimeout(() => {
  const n = killAll()
  console.error(`\nbench: watchdog (${WATCHDOG_MS / 1000} s) fired, killed ${n} worker process(es)`)
  process.exit(1)
}, WATCHDOG_MS)
watchdog.unref()

const machine = machineInfo()
const started = new Date()
const t0 = performance.now()
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s`

console.log(`bench: ${quick ? 'QUICK' : 'FULL'} run, figures: ${selected.map(f => f.figure.id).join(', ')}`)
console.log(`machine: ${machineLine(machine)}`)
if (quick) console.log('quick: N=10 only (broadcast, membership); 50 instead of 500 sessions (memory), 100 instead of 500 leaves (fan-in); 1 run; smaller transfers')
if (!selected.some(f => f.optIn === true)) console.log('soak (10-minute idle mesh, false suspect/failed count) skipped: opt-in with --soak')
console.log('')

const results: Result[] = []
const figureInfo: BenchReport['figures'] = []
let failed = 0
for (const { figure, pending } of selected) {
  const f0 = performance.now()
  console.log(`${elapsed()} ▶ ${figure.id}: ${figure.title}`)
  try {
    const rs = await figure.run({ quick, runs, soakSec, machine, log: (msg) => { console.log(`${elapsed()}   [${figure.id}] ${msg}`) } })
    results.push(...rs)
    figureInfo.push({ id: figure.id, title: figure.title, durationSec: (performance.now() - f0) / 1000, pending })
    console.log(`${elapsed()} ✔ ${figure.id} (${((performance.now() - f0) / 1000).toFixed(1)} s)`)
  } catch (err) {
    failed++
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err)
    figureInfo.push({ id: figure.id, title: figure.title, durationSec: (performance.now() - f0) / 1000, error: msg, pending })
    console.error(`${elapsed()} ✘ ${figure.id} failed: ${msg}`)
  }
  const leftover = liveCount()
  if (leftover > 0) {
    console.error(`${elapsed()}   ${leftover} worker(s) still alive after ${figure.id}; killing`)
    killAll()
  }
}

const finished = new Date()
// src/ is edited concurrently: say so if the measured code changed during the run
const sourceAtEnd = sourceState()
const sourceChanged = JSON.stringify(sourceAtEnd) !== JSON.stringify(machine.source)
if (sourceChanged) console.error(`WARNING: src/ changed during the run (${sourceLine(machine.source)} at start, ${sourceLine(sourceAtEnd)} at end); workers started at different times may have measured different code`)
const report: BenchReport = {
  version: 1,
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  durationSec: (performance.now() - t0) / 1000,
  mode: quick ? 'quick' : 'full',
  argv,
  machine,
  loadAvgAtEnd: os.loadavg().map(v => Math.round(v * 100) / 100),
  figures: figureInfo,
  results,
  targets: checkTargets(results),
  ...(sourceChanged && sourceAtEnd !== undefined ? { sourceAtEnd } : {})
}

console.log('')
console.log(textTable(results))
console.log('')
console.log('Overlay targets (ratio: median over runs of overlay run i ÷ baseline run i; spread: their min – max):')
console.log(targetsText(report.targets ?? []))
console.log('')
const files = writeResultFiles(report)
console.log(`wrote ${files.json}`)
console.log(`wrote ${files.latest}`)
console.log(`wrote ${files.svg}`)
if (writeDocs) {
  console.log(`wrote ${updateDocs(report)} (+ docs/benchmarks.svg)`)
} else {
  console.log('docs/BENCHMARKS.md not touched (only a full run of all figures, or --docs, rewrites it)')
}
console.log(`load average: start ${machine.loadAvgAtStart.join('/')}, end ${report.loadAvgAtEnd.join('/')}`)
console.log(`bench: done in ${report.durationSec.toFixed(1)} s${failed > 0 ? `, ${failed} figure(s) FAILED` : ''}`)
killAll()
process.exit(failed > 0 ? 1 : 0)
