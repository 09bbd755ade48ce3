/**
 * Benchmark driver, `npm run bench`; usage, method and targets in docs/BENCHMARKS.md. A run writes
 * into bench/results/ (ignored by git); only --publish (a full run of every figure) and --render
 * write the published result file and the docs. Every worker is killed at the end, on error, on
 * signals and by the watchdog.
 */
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { figures } from './figures/index.ts'
import { installCleanup, killAll, liveCount, capStopGrace } from './lib/proc.ts'
import { loadAvg, machineInfo, machineLine, sourceState, sourceLine, writeResultFiles, publish } from './lib/report.ts'
import { checkTargets, targetsMarkdown } from './lib/targets.ts'
import { markdownTable, type BenchReport, type Result } from './lib/results.ts'

const fail = (message: string): never => { console.error(message); process.exit(2) }
const argv = process.argv.slice(2)
const options = { help: { type: 'boolean', short: 'h' }, quick: { type: 'boolean' }, only: { type: 'string' }, runs: { type: 'string' }, soak: { type: 'string' }, publish: { type: 'boolean' }, render: { type: 'string' } } as const
const a = (() => { // `--soak` alone: the default soak time
  try { return parseArgs({ args: argv.map(x => x === '--soak' ? '--soak=600' : x), options, strict: true }).values } catch (err) { return fail(`${(err as Error).message} (try --help)`) }
})()
if (a.help === true) {
  console.log(`usage: node bench/run.ts [--quick] [--only=id,id] [--runs=N] [--soak[=SECONDS]] [--publish] | --render=RESULT.json\nfigures: ${figures.map(f => f.id).join(', ')}`)
  process.exit(0)
}
if (a.render !== undefined) {
  const report = JSON.parse(readFileSync(a.render, 'utf8')) as BenchReport
  console.log(`wrote ${publish({ ...report, targets: checkTargets(report.results) }).join(', ')} from ${a.render}`)
  process.exit(0)
}
const quick = a.quick === true
const runs = a.runs === undefined ? undefined : Number(a.runs)
if (runs !== undefined && !(Number.isInteger(runs) && runs > 0 && runs <= 50)) fail('--runs must be an integer 1..50')
const soakSec = a.soak === undefined ? undefined : Number(a.soak)
if (soakSec !== undefined && !(Number.isInteger(soakSec) && soakSec >= 10 && soakSec <= 3600)) fail('--soak=SECONDS must be an integer 10..3600')
const only = a.only?.split(',').map(s => s.trim()).filter(Boolean)
const unknown = (only ?? []).filter(id => !figures.some(f => f.id === id))
if (unknown.length > 0) fail(`unknown figure(s): ${unknown.join(', ')}`)
if (a.publish === true && (quick || only !== undefined || runs !== undefined)) fail('--publish takes a full run of every figure (no --quick, --only or --runs)')
const selected = figures.filter(f => only === undefined ? (f.optIn !== true || soakSec !== undefined) : only.includes(f.id))

installCleanup('p2p-overlay-bench-')
if (quick) capStopGrace(100)
const watchdogMs = (quick ? 180_000 : 1_800_000) + (selected.some(f => f.optIn === true) ? ((soakSec ?? 600) + 300) * 1000 : 0)
setTimeout(() => { console.error(`\nbench: watchdog (${watchdogMs / 1000} s) fired, killed ${killAll()} worker process(es)`); process.exit(1) }, watchdogMs).unref()

const machine = machineInfo()
const started = new Date()
const t0 = performance.now()
const since = (t: number): string => ((performance.now() - t) / 1000).toFixed(1)
const stamp = (): string => `${since(t0).padStart(6)}s`
console.log(`bench: ${quick ? 'QUICK' : 'FULL'} run, figures: ${selected.map(f => f.id).join(', ')}\nmachine: ${machineLine(machine)}\n`)
const results: Result[] = []
const figureInfo: BenchReport['figures'] = []
for (const figure of selected) {
  const f0 = performance.now()
  console.log(`${stamp()} ▶ ${figure.id}: ${figure.title}`)
  try {
    results.push(...await figure.run({ quick, runs, soakSec, log: (msg) => { console.log(`${stamp()}   [${figure.id}] ${msg}`) } }))
    figureInfo.push({ id: figure.id, title: figure.title, durationSec: (performance.now() - f0) / 1000 })
    console.log(`${stamp()} ✔ ${figure.id} (${since(f0)} s)`)
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err)
    figureInfo.push({ id: figure.id, title: figure.title, durationSec: (performance.now() - f0) / 1000, error })
    console.error(`${stamp()} ✘ ${figure.id} failed: ${error}`)
  }
  if (liveCount() > 0) console.error(`${liveCount()} worker(s) still alive after ${figure.id}; killed ${killAll()}`)
}

// src/ is edited concurrently: say so if the measured code changed during the run
const sourceAtEnd = sourceState()
const sourceChanged = JSON.stringify(sourceAtEnd) !== JSON.stringify(machine.source)
if (sourceChanged) console.error(`WARNING: src/ changed during the run (${sourceLine(machine.source)} at start, ${sourceLine(sourceAtEnd)} at end)`)
const failed = figureInfo.filter(f => f.error !== undefined).length
const report: BenchReport = {
  version: 1, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), durationSec: (performance.now() - t0) / 1000, mode: quick ? 'quick' : 'full',
  argv, machine, loadAvgAtEnd: loadAvg(), figures: figureInfo, results, targets: checkTargets(results), ...(sourceChanged && sourceAtEnd !== undefined ? { sourceAtEnd } : {})
}
console.log(`\n${markdownTable(results)}\n\nOverlay targets (ratio: median over runs of overlay run i ÷ baseline run i; spread: their min – max):\n${targetsMarkdown(report.targets ?? [])}\n`)
for (const f of writeResultFiles(report)) console.log(`wrote ${f}`)
console.log(a.publish === true && failed === 0 ? `published: ${publish(report).join(', ')}` : 'docs not touched (--publish after a full run of every figure updates them)')
console.log(`load average: start ${machine.loadAvgAtStart.join('/')}, end ${report.loadAvgAtEnd.join('/')}\nbench: done in ${report.durationSec.toFixed(1)} s${failed > 0 ? `, ${failed} figure(s) FAILED` : ''}`)
killAll()
process.exit(failed > 0 ? 1 : 0)
