import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { degrees, generateTopology } from '../../../bench/lib/topology.ts'
import { mulberry32 } from '../../../bench/lib/random.ts'
import type { Edge, Topology } from '../../../bench/lib/topology.ts'
import { diameter } from '../../helpers/topology.ts'

/** Connectivity by union-find. */
function connected (t: Topology): boolean {
  const parent = Array.from({ length: t.n }, (_, i) => i)
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] as number
    return x
  }
  for (const [a, b] of t.edges) parent[find(a)] = find(b)
  const root = find(0)
  return parent.every((_, i) => find(i) === root)
}

describe('topology generateTopology', () => {
  for (const n of [10, 25, 50]) {
    const expectedEdges = Math.min(Math.round(n * 6 / 2), n * (n - 1) / 2)

    it(`topology - N=${n}: the same seed gives the same edges, another seed other edges`, () => {
      const a = generateTopology(n, 42, { degree: 6 })
      const b = generateTopology(n, 42, { degree: 6 })
      assert.deepEqual(a, b)
      assert.deepEqual({ n: a.n, seed: a.seed, degree: a.degree }, { n, seed: 42, degree: 6 })
      const c = generateTopology(n, 43, { degree: 6 })
      assert.notDeepEqual(c.edges, a.edges)
      assert.deepEqual(generateTopology(n, 42), a) // degree 6 is the default
    })

    it(`topology - N=${n}: connected, with the diameter docs/BENCHMARKS.md states`, () => {
      const t = generateTopology(n, 42, { degree: 6 })
      assert.ok(connected(t))
      assert.equal(diameter({ size: n, edges: t.edges }), { 10: 2, 25: 4, 50: 5 }[n])
    })

    it(`topology - N=${n}: no self-loops, no duplicates, a < b, sorted, nodes in range`, () => {
      const t = generateTopology(n, 42, { degree: 6 })
      const seen = new Set<string>()
      for (const [a, b] of t.edges) {
        assert.ok(Number.isInteger(a) && Number.isInteger(b))
        assert.ok(a >= 0 && b < n, `[${a}, ${b}] out of range`)
        assert.ok(a < b, `[${a}, ${b}] is not a < b (or a self-loop)`)
        const k = `${a}-${b}`
        assert.ok(!seen.has(k), `duplicate edge ${k}`)
        seen.add(k)
      }
      for (let i = 1; i < t.edges.length; i++) {
        const [pa, pb] = t.edges[i - 1] as Edge
        const [a, b] = t.edges[i] as Edge
        assert.ok(pa < a || (pa === a && pb < b), `edges not sorted at ${i}`)
      }
    })

    it(`topology - N=${n}: ${expectedEdges} edges, mean degree 6`, () => {
      const t = generateTopology(n, 42, { degree: 6 })
      assert.equal(t.edges.length, expectedEdges)
      const d = degrees(t)
      assert.equal(d.length, n)
      assert.equal(d.reduce((s, x) => s + x, 0), 2 * t.edges.length)
      assert.equal(d.reduce((s, x) => s + x, 0) / n, Math.round(n * 6 / 2) * 2 / n)
      assert.ok(d.every(x => x >= 1), 'an isolated node')
    })
  }

  it('topology - sparse graphs are connected too, for any seed (the spanning tree comes first)', () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const degree of [1, 2]) {
        const t = generateTopology(25, seed, { degree })
        assert.ok(connected(t), `seed ${seed} degree ${degree}`)
        // degree 1 asks for fewer edges than a tree has: the tree alone (n - 1 edges)
        assert.equal(t.edges.length, degree === 1 ? 24 : 25)
      }
    }
  })

  it('topology - the edge count follows the degree', () => {
    assert.equal(generateTopology(10, 7, { degree: 2 }).edges.length, 10)
    assert.equal(generateTopology(10, 7, { degree: 4 }).edges.length, 20)
    assert.equal(generateTopology(11, 7, { degree: 3 }).edges.length, Math.round(11 * 3 / 2)) // 16.5 rounds to 17
  })

  it('topology - small n is capped by the complete graph (n=4 degree 6: 6 edges)', () => {
    const t = generateTopology(4, 42, { degree: 6 })
    assert.deepEqual(t.edges, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
    assert.deepEqual(generateTopology(2, 1).edges, [[0, 1]])
  })

  it('topology - n < 2 (or not an integer) throws', () => {
    for (const n of [1, 0, -3, 2.5, Number.NaN]) {
      assert.throws(() => generateTopology(n, 42), /n >= 2/, String(n))
    }
  })
})

describe('topology helpers', () => {
  it('topology - degrees counts both ends of every edge', () => {
    assert.deepEqual(degrees({ n: 5, seed: 0, degree: 0, edges: [[0, 1], [0, 2], [0, 3], [3, 4]] }), [3, 1, 1, 2, 1])
    assert.deepEqual(degrees({ n: 3, seed: 0, degree: 0, edges: [] }), [0, 0, 0])
  })

  it('topology - mulberry32 is a deterministic generator in [0, 1)', () => {
    const a = mulberry32(42)
    const b = mulberry32(42)
    const c = mulberry32(43)
    const xs = Array.from({ length: 1000 }, () => a())
    assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs)
    assert.notDeepEqual(Array.from({ length: 1000 }, () => c()), xs)
    assert.ok(xs.every(x => x >= 0 && x < 1))
    assert.ok(new Set(xs).size > 990)
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`)
  })
})
