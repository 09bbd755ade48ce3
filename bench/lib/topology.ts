/** The broadcast figures' seeded topology: a random spanning tree, then random edges up to mean degree `degree`; node a dials b. */
import { mulberry32 } from './random.ts'

export type Edge = [number, number]
export interface Topology { n: number, seed: number, degree: number, edges: Edge[] }

export function generateTopology (n: number, seed: number, opts: { degree?: number } = {}): Topology {
  if (!Number.isInteger(n) || n < 2) throw new Error('topology needs n >= 2')
  const degree = opts.degree ?? 6
  const rand = mulberry32(seed)
  const pick = (below: number): number => Math.floor(rand() * below)
  const seen = new Set<number>()
  const edges: Edge[] = []
  const add = (a: number, b: number): void => {
    const k = Math.min(a, b) * n + Math.max(a, b)
    if (a === b || seen.has(k)) return
    seen.add(k)
    edges.push(a < b ? [a, b] : [b, a])
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = pick(i + 1)
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  for (let k = 1; k < n; k++) add(order[k] as number, order[pick(k)] as number)
  const target = Math.min(Math.round(n * degree / 2), n * (n - 1) / 2)
  for (let guard = 0; edges.length < target && guard < 1_000_000; guard++) add(pick(n), pick(n))
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  return { n, seed, degree, edges }
}

export function degrees (t: Topology): number[] {
  const d = new Array<number>(t.n).fill(0)
  for (const [a, b] of t.edges) { d[a] = (d[a] ?? 0) + 1; d[b] = (d[b] ?? 0) + 1 }
  return d
}
