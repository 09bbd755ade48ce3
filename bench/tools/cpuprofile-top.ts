/**
 * Summarise V8 .cpuprofile files (from BENCH_CPU_PROF, see bench/lib/proc.ts):
 *
 *   node bench/tools/cpuprofile-top.ts <file.cpuprofile>... [--top=25]
 *
 * Prints (1) the top functions by SELF time, as a share of the non-idle
 * samples, with their file:line, and (2) self time grouped by where the code
 * lives: the overlay's src/ files, each node_modules package, node: internals,
 * and V8 pseudo-frames ((garbage collector), (program)), and (3) the top
 * functions of the overlay's src/ by INCLUSIVE time (self + callees: what the
 * library's code path costs, libp2p underneath included). Several files are
 * summed (e.g. both ends of a pair).
 */
import { readFileSync } from 'node:fs'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const args = process.argv.slice(2)
const top = Number(args.find(a => a.startsWith('--top='))?.slice(6) ?? 25)
const files = args.filter(a => !a.startsWith('--'))
if (files.length === 0) {
  console.error('usage: node bench/tools/cpuprofile-top.ts <file.cpuprofile>... [--top=N]')
  process.exit(2)
}

function where (url: string): string {
  if (url === '') return '(v8/native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return (rest[0] ?? '').startsWith('@') ? `${rest[0] ?? ''}/${rest[1] ?? ''}` : (rest[0] ?? '')
  }
  if (url.startsWith('node:')) return 'node: internals'
  const src = url.indexOf('/src/')
  if (src >= 0 && !url.includes('/bench/')) return `src/${url.slice(src + 5)}`
  if (url.includes('/bench/')) return `bench/${url.slice(url.indexOf('/bench/') + 7)}`
  return url
}

const byFn = new Map<string, number>()
const inclusive = new Map<string, number>()
const byWhere = new Map<string, number>()
let total = 0
let idle = 0
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const nodes = new Map(p.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame
    return `${functionName === '' ? '(anonymous)' : functionName}  ${where(url)}${url === '' ? '' : `:${lineNumber + 1}`}`
  }
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i] as number)
    const dt = p.timeDeltas[i] ?? 0
    if (n == null) continue
    const { functionName, url, lineNumber } = n.callFrame
    if (functionName === '(idle)') { idle += dt; continue }
    total += dt
    const w = where(url)
    byFn.set(keyOf(n), (byFn.get(keyOf(n)) ?? 0) + dt)
    byWhere.set(w, (byWhere.get(w) ?? 0) + dt)
    // inclusive: every distinct src/ function on the stack gets the sample once
    const onStack = new Set<string>()
    for (let id: number | undefined = n.id, depth = 0; id !== undefined && depth < 500; id = parent.get(id), depth++) {
      const a = nodes.get(id)
      if (a != null && where(a.callFrame.url).startsWith('src/')) onStack.add(keyOf(a))
    }
    for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + dt)
    void lineNumber
  }
}

const pct = (v: number): string => `${(100 * v / total).toFixed(1).padStart(5)} %`
console.log(`${files.length} profile(s): ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle; shares are of busy time\n`)
console.log(`top ${top} functions by self time:`)
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)}  ${k}`)
console.log('\nself time by location:')
for (const [k, v] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)}  ${k}`)
console.log(`\ntop ${top} overlay (src/) functions by inclusive time:`)
for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)}  ${k}`)
