/**
 * Prints what BENCH_TRACE recorded (bench/tools/trace-preload.ts), per worker process:
 *
 *   node bench/tools/trace-report.ts <dir> [--shapes=3]
 *
 * For each file: the turnaround (median µs from a read carrying stream data to the start of the
 * process's answer or next message, bench/lib/trace.ts) and the most frequent row shapes, each
 * label with its median offset in µs. Files are listed in pid order, so the two ends of a
 * variant's run sit side by side.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { shapes, turnaround } from '../lib/trace.ts'
import type { Row } from '../lib/trace.ts'

const args = process.argv.slice(2)
const dir = args.find(a => !a.startsWith('--'))
const top = Number(args.find(a => a.startsWith('--shapes='))?.slice(9) ?? 3)
if (dir === undefined || !Number.isInteger(top) || top < 0) {
  console.error('usage: node bench/tools/trace-report.ts <dir> [--shapes=N]')
  process.exit(2)
}

const pidOf = (f: string): number => Number(/-(\d+)\.jsonl$/.exec(f)?.[1] ?? 0)
const files = readdirSync(dir).filter(f => f.endsWith('.jsonl')).sort((a, b) => pidOf(a) - pidOf(b))
if (files.length === 0) {
  console.error(`no .jsonl files in ${dir}`)
  process.exit(1)
}
for (const f of files) {
  const rows = readFileSync(path.join(dir, f), 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Row)
  const t = turnaround(rows)
  console.log(`${f}: ${rows.length} reads; turnaround ${t.medianUs.toFixed(1)} µs (median of ${t.reads})`)
  for (const s of shapes(rows).slice(0, top)) {
    console.log(`  ×${s.count}: ${s.labels.map((l, i) => `${l}@${(s.medianUs[i] ?? NaN).toFixed(1)}`).join('  ')}`)
  }
}
