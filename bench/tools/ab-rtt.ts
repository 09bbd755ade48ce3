/**
 * `node bench/tools/ab-rtt.ts <checkout-a> <checkout-b> [--rounds=12] [--count=3000]`: the round trip of
 * two builds and the bare echo, all up, one block each per round in a flipping order (docs/BENCHMARKS.md).
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { installCleanup, startPair, stopPairs, timeBlock, type Msg, type Pair } from '../lib/proc.ts'
import { median, type Summary } from '../lib/stats.ts'

const usage = (): never => { console.error('usage: node bench/tools/ab-rtt.ts <checkout-a> <checkout-b> [--rounds=N] [--count=N]'); process.exit(2) }
const parsed = (() => {
  try { return parseArgs({ options: { rounds: { type: 'string', default: '12' }, count: { type: 'string', default: '3000' } }, allowPositionals: true, strict: true }) } catch { return usage() }
})()
const [rounds, count, trees] = [Number(parsed.values.rounds), Number(parsed.values.count), parsed.positionals]
if (trees.length !== 2 || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(count) || count < 1) usage()

const workers = path.join(import.meta.dirname, '..', 'workers')
installCleanup('ab-rtt-')

const pairs: Array<{ name: string, pair: Pair, medians: number[] }> = []
const f1 = (x: number): string => x.toFixed(1)
try {
  for (const [i, t] of trees.entries()) pairs.push({ name: i === 0 ? 'a' : 'b', pair: await startPair(path.relative(workers, path.resolve(t, 'bench', 'workers', 'overlay-pair.ts')), `ab-${i}`, { mode: 'echo' }), medians: [] })
  pairs.push({ name: 'echo', pair: await startPair('baseline.ts', 'echo', { mode: 'echo', transport: 'libp2p' }), medians: [] })
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? pairs : [...pairs].reverse()
    // the first block of each pair warms it up as the RTT figure does; later ones only briefly
    for (const p of order) p.medians.push((await timeBlock<Msg & { us: Summary }>(p.pair, { size: 100, warmupMin: 500, count }, 2000)).us.median)
    console.log(`round ${r + 1}: ${order.map(p => `${p.name} ${f1(p.medians[r] as number)} µs`).join('  ')}`)
  }
  const [a, b, echo] = pairs as [typeof pairs[0], typeof pairs[0], typeof pairs[0]]
  for (const p of pairs) console.log(`${p.name}: median ${f1(median(p.medians))} µs, ratio to the echo's block ${median(p.medians.map((m, i) => m / (echo.medians[i] as number))).toFixed(3)}`)
  const diffs = b.medians.map((m, i) => m - (a.medians[i] as number))
  console.log(`b - a: median ${f1(median(diffs))} µs over ${rounds} rounds; b faster in ${diffs.filter(d => d < 0).length} (${diffs.map(f1).join(' ')})`)
} finally {
  await stopPairs(pairs.map(p => p.pair))
}
