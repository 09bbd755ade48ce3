/**
 * Deterministic random connected topology, shared by the gossipsub baseline
 * and (later) the overlay's broadcast figure so both run on the same graph.
 *
 *   generateTopology(n, seed, { degree }) -> { n, seed, degree, edges }
 *
 * Construction (all randomness from a seeded mulberry32 PRNG):
 *   1. random spanning tree: nodes are visited in a shuffled order and node
 *      k (k >= 1 in that order) links to a uniformly chosen earlier node
 *      -> the graph is connected;
 *   2. extra distinct random edges are added until the mean degree reaches
 *      `degree` (default 6, gossipsub's D), capped by the complete graph.
 * Edges are [a, b] with a < b, sorted; by convention node a dials node b.
 */

export type Edge = [number, number]

export interface Topology {
  n: number
  seed: number
  degree: number
  edges: Edge[]
}

export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function generateTopology (n: number, seed: number, opts: { degree?: number } = {}): Topology {
  if (!Number.isInteger(n) || n < 2) throw new Error('topology needs n >= 2')
  const degree = opts.degree ?? 6
  const rand = mulberry32(seed)
  const key = (a: number, b: number): number => a < b ? a * n + b : b * n + a
  const set = new Set<number>()
  const edges: Edge[] = []
  const add = (a: number, b: number): boolean => {
    if (a === b) return false
    const k = key(a, b)
    if (set.has(k)) return false
    set.add(k)
    edges.push(a < b ? [a, b] : [b, a])
    return true
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = order[i] as number; order[i] = order[j] as number; order[j] = t
  }
  for (let k = 1; k < n; k++) {
    const parent = order[Math.floor(rand() * k)] as number
    add(order[k] as number, parent)
  }
  const target = Math.min(Math.round(n * degree / 2), n * (n - 1) / 2)
  let guard = 0
  while (edges.length < target && guard++ < 1_000_000) {
    add(Math.floor(rand() * n), Math.floor(rand() * n))
  }
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  return { n, seed, degree, edges }
}

export function degrees (t: Topology): number[] {
  const d = new Array<number>(t.n).fill(0)
  for (const [a, b] of t.edges) { d[a] = (d[a] ?? 0) + 1; d[b] = (d[b] ?? 0) + 1 }
  return d
}

/** Hop diameter (BFS from every node); Infinity if not connected. */
export function diameter (t: Topology): number {
  const adj: number[][] = Array.from({ length: t.n }, () => [])
  for (const [a, b] of t.edges) { adj[a]?.push(b); adj[b]?.push(a) }
  let best = 0
  for (let s = 0; s < t.n; s++) {
    const dist = new Array<number>(t.n).fill(-1)
    dist[s] = 0
    const q = [s]
    for (let h = 0; h < q.length; h++) {
      const u = q[h] as number
      for (const v of adj[u] ?? []) {
        if (dist[v] === -1) { dist[v] = (dist[u] as number) + 1; q.push(v) }
      }
    }
    for (const d of dist) {
      if (d < 0) return Infinity
      if (d > best) best = d
    }
  }
  return best
}
