/**
 * The direct round trip of two builds of the overlay, side by side, with the bare libp2p echo:
 *
 *   node bench/tools/ab-rtt.ts <checkout-a> <checkout-b> [--rounds=12] [--count=3000]
 *
 * For changes smaller than the RTT figure's run-to-run spread. Each build runs its own hub and
 * leaf (its bench/workers/overlay-pair.ts, so a checkout needs node_modules it can resolve, e.g. a
 * `git worktree` with a symlink to this one's); the bare echo pair runs from this checkout. All
 * three pairs stay up, and each round times one block of `count` round trips per pair, in an
 * order that flips every round, so every block of one build has blocks of the other and of the
 * echo next to it in time. Prints each round's medians, then per pair the median over rounds and
 * of its ratio to the echo's block, and the median of b - a over rounds. Loopback only.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEchoPair, stopPairs, timeBlock } from '../lib/echo-pair.ts'
import { installCleanup } from '../lib/proc.ts'
import { median } from '../lib/stats.ts'
import type { EchoPair } from '../lib/echo-pair.ts'
import type { Msg } from '../lib/proc.ts'
import type { LatencySummary } from '../lib/stats.ts'

const args = process.argv.slice(2)
const trees = args.filter(a => !a.startsWith('--'))
const option = (name: string, fallback: number): number => Number(args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const rounds = option('rounds', 12)
const count = option('count', 3000)
if (trees.length !== 2 || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(count) || count < 1) {
  console.error('usage: node bench/tools/ab-rtt.ts <checkout-a> <checkout-b> [--rounds=N] [--count=N]')
  process.exit(2)
}

const WORKERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ab-rtt-'))
process.env.BENCH_TMP_DIR = tmp
installCleanup(() => { rmSync(tmp, { recursive: true, force: true }) })

interface Pair { name: string, echo: EchoPair, medians: number[] }

/** `file` relative to this checkout's bench/workers. */
async function pair (name: string, file: string): Promise<Pair> {
  return { name, echo: await startEchoPair(file, name), medians: [] }
}

const pairs: Pair[] = []
const fmt = (x: number): string => x.toFixed(1)
try {
  for (const [i, t] of trees.entries()) pairs.push(await pair(i === 0 ? 'a' : 'b', path.relative(WORKERS_DIR, path.resolve(t, 'bench', 'workers', 'overlay-pair.ts'))))
  pairs.push(await pair('echo', 'bare-libp2p.ts'))
  const echo = pairs[2] as Pair
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? pairs : [...pairs].reverse()
    for (const p of order) {
      // The first block of each pair warms its JIT up as the figure does; later ones only briefly.
      const res = await timeBlock<Msg & { us: LatencySummary }>(p.echo, { size: 100, warmupMin: 500, count }, 2000)
      p.medians.push(res.us.median)
    }
    console.log(`round ${r + 1}: ${order.map(p => `${p.name} ${fmt(p.medians[r] as number)} µs`).join('  ')}`)
  }
  for (const p of pairs) {
    console.log(`${p.name}: median ${fmt(median(p.medians))} µs, ratio to the echo's block ${median(p.medians.map((m, i) => m / (echo.medians[i] as number))).toFixed(3)}`)
  }
  const [a, b] = pairs as [Pair, Pair]
  const diffs = b.medians.map((m, i) => m - (a.medians[i] as number))
  console.log(`b - a: median ${fmt(median(diffs))} µs over ${rounds} rounds; b faster in ${diffs.filter(d => d < 0).length} (${diffs.map(fmt).join(' ')})`)
} finally {
  await stopPairs(pairs.map(p => p.echo))
}
