/**
 * What a set of connections/sessions added to a heap: compares two V8 heap
 * snapshots of the same process (from BENCH_HEAP_SNAPSHOT, see
 * bench/figures/memory.ts), grouped by node type + constructor/name.
 *
 *   node bench/tools/heapsnapshot-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--per=500] [--top=30]
 *
 * Prints the groups with the largest growth of self size (bytes added, per
 * connection with --per), and the count added. Self size only: a Map's
 * entries are counted in its backing array, a Buffer's bytes are off-heap.
 */
import { readFileSync } from 'node:fs'

interface Snapshot {
  snapshot: { meta: { node_fields: string[], node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}

const args = process.argv.slice(2)
const per = Number(args.find(a => a.startsWith('--per='))?.slice(6) ?? 1)
const top = Number(args.find(a => a.startsWith('--top='))?.slice(6) ?? 30)
const files = args.filter(a => !a.startsWith('--'))
if (files.length !== 2) {
  console.error('usage: node bench/tools/heapsnapshot-diff.ts <before> <after> [--per=N] [--top=N]')
  process.exit(2)
}

function groups (file: string): Map<string, { size: number, count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const f = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const width = f.length
  const iType = f.indexOf('type')
  const iName = f.indexOf('name')
  const iSize = f.indexOf('self_size')
  const out = new Map<string, { size: number, count: number }>()
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType] as number] ?? '?'
    let name = s.strings[s.nodes[i + iName] as number] ?? '?'
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)'
    else if (type === 'number') name = '(heap numbers)'
    else if (type === 'code') name = '(compiled code)'
    else if (name.length > 60) name = `${name.slice(0, 57)}...`
    const key = `${type}: ${name}`
    const e = out.get(key) ?? { size: 0, count: 0 }
    e.size += s.nodes[i + iSize] as number
    e.count++
    out.set(key, e)
  }
  return out
}

const a = groups(files[0] as string)
const b = groups(files[1] as string)
const rows: Array<[string, number, number]> = []
let total = 0
for (const [k, v] of b) {
  const old = a.get(k) ?? { size: 0, count: 0 }
  rows.push([k, v.size - old.size, v.count - old.count])
  total += v.size - old.size
}
for (const [k, v] of a) if (!b.has(k)) { rows.push([k, -v.size, -v.count]); total -= v.size }
rows.sort((x, y) => y[1] - x[1])
const unit = per > 1 ? `bytes per 1/${per}` : 'bytes'
console.log(`self size added: ${(total / 1024 / per).toFixed(1)} KiB${per > 1 ? ` per connection (÷ ${per})` : ''}\n`)
console.log(`${'added'.padStart(10)} ${'count'.padStart(8)}  group (${unit})`)
for (const [k, size, count] of rows.slice(0, top)) {
  console.log(`${(size / per).toFixed(0).padStart(10)} ${(count / per).toFixed(2).padStart(8)}  ${k}`)
}
