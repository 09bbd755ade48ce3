import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { median, quantile, quantileSorted, sortedCopy, summarize } from '../../../bench/lib/stats.ts'

/** Floating-point equality with a tolerance (interpolated quantiles are not exact). */
function near (actual: number, expected: number, msg?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${msg ?? ''} expected ${expected}, got ${actual}`)
}

describe('stats quantiles', () => {
  it('stats - quantileSorted interpolates linearly between closest ranks (R-7)', () => {
    // n = 4: pos = 3q
    const s = [1, 2, 3, 4]
    near(quantileSorted(s, 0), 1)
    near(quantileSorted(s, 0.25), 1.75) // pos 0.75
    near(quantileSorted(s, 0.5), 2.5) // pos 1.5
    near(quantileSorted(s, 0.75), 3.25) // pos 2.25
    near(quantileSorted(s, 1), 4)
  })

  it('stats - quantileSorted weighs the gap between the two neighbours, not their mean', () => {
    // n = 5: pos = 4q; uneven gaps so that the interpolation weight matters
    const s = [10, 20, 40, 80, 160]
    near(quantileSorted(s, 0.1), 14) // pos 0.4: 10 + 0.4 * 10
    near(quantileSorted(s, 0.3), 24) // pos 1.2: 20 + 0.2 * 20
    near(quantileSorted(s, 0.5), 40) // pos 2: exactly a rank
    near(quantileSorted(s, 0.9), 128) // pos 3.6: 80 + 0.6 * 80
    near(quantileSorted(s, 0.95), 144) // pos 3.8: 80 + 0.8 * 80
  })

  it('stats - quantileSorted accepts typed arrays', () => {
    near(quantileSorted(Float64Array.from([0, 100]), 0.3), 30)
  })

  it('stats - quantileSorted of one value is that value for any q, of none NaN', () => {
    for (const q of [0, 0.25, 0.5, 0.99, 1]) assert.equal(quantileSorted([42], q), 42)
    assert.ok(Number.isNaN(quantileSorted([], 0.5)))
    assert.ok(Number.isNaN(quantile([], 0.5)))
  })

  it('stats - quantile sorts its input first', () => {
    near(quantile([4, 1, 3, 2], 0.25), 1.75)
    near(quantile([160, 10, 80, 20, 40], 0.9), 128)
  })

  it('stats - median of an odd count is the middle value', () => {
    assert.equal(median([5, 1, 3]), 3)
    assert.equal(median([9, 7, 1, 3, 5]), 5)
  })

  it('stats - median of an even count is the mean of the two middle values', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5)
    assert.equal(median([10, 0]), 5)
  })

  it('stats - sorting is numeric, not lexicographic', () => {
    // lexicographic order would be [10, 100, 2, 9] with median 51
    assert.equal(median([10, 9, 100, 2]), 9.5)
    assert.deepEqual([...sortedCopy([10, 9, 100, 2, -1])], [-1, 2, 9, 10, 100])
  })

  it('stats - median of nothing is NaN', () => {
    assert.ok(Number.isNaN(median([])))
  })

  it('stats - inputs are not mutated (copy before sort)', () => {
    const arr = [3, 1, 2, 5, 4]
    const typed = Float64Array.from([3, 1, 2, 5, 4])
    median(arr); quantile(arr, 0.9); summarize(arr)
    median(typed); quantile(typed, 0.9); summarize(typed)
    const copy = sortedCopy(typed)
    assert.deepEqual(arr, [3, 1, 2, 5, 4])
    assert.deepEqual([...typed], [3, 1, 2, 5, 4])
    assert.notEqual(copy, typed)
    assert.deepEqual([...copy], [1, 2, 3, 4, 5])
  })
})

describe('stats summaries', () => {
  it('stats - summarize gives n, min, max, median, p25, p75, p90, p99 and mean', () => {
    const s = summarize([10, 3, 1, 2])
    assert.equal(s.n, 4)
    assert.equal(s.min, 1)
    assert.equal(s.max, 10)
    near(s.median, 2.5)
    near(s.p25, 1.75) // pos 0.75 between 1 and 2
    near(s.p75, 4.75) // pos 2.25 between 3 and 10
    near(s.p90, 7.9) // pos 2.7 between 3 and 10
    near(s.p99, 9.79) // pos 2.97
    near(s.mean, 4) // differs from the median on purpose
  })

  it('stats - summarize of six values', () => {
    const s = summarize([7, 1, 3, 5, 9, 12])
    assert.equal(s.n, 6)
    assert.equal(s.min, 1)
    assert.equal(s.max, 12)
    near(s.median, 6) // pos 2.5
    near(s.p25, 3.5) // pos 1.25
    near(s.p75, 8.5) // pos 3.75
    near(s.mean, 37 / 6)
  })

  it('stats - summarize of one value', () => {
    assert.deepEqual(summarize([5]), { n: 1, median: 5, min: 5, max: 5, p25: 5, p75: 5, p90: 5, p99: 5, mean: 5 })
  })

  it('stats - summarize of two values interpolates p25/p75 between them', () => {
    const s = summarize([6, 2])
    assert.equal(s.min, 2)
    assert.equal(s.max, 6)
    near(s.p25, 3)
    near(s.median, 4)
    near(s.p75, 5)
  })

  it('stats - summarize of nothing is NaN everywhere but n', () => {
    const s = summarize([])
    assert.equal(s.n, 0)
    for (const k of ['median', 'min', 'max', 'p25', 'p75', 'p90', 'p99', 'mean'] as const) assert.ok(Number.isNaN(s[k]), k)
  })

  it('stats - summarize of 1..100 (shuffled)', () => {
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1) // a permutation of 1..100
    assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1))
    const s = summarize(values)
    assert.equal(s.n, 100)
    assert.equal(s.min, 1)
    assert.equal(s.max, 100)
    near(s.median, 50.5) // pos 49.5
    near(s.p90, 90.1) // pos 89.1
    near(s.p99, 99.01) // pos 98.01
    near(s.mean, 50.5)
  })

  it('stats - summarize of a skewed sample', () => {
    const s = summarize([1, 1, 1, 1, 1, 1, 1, 1, 1, 101])
    near(s.median, 1)
    near(s.p90, 11) // pos 8.1: 1 + 0.1 * 100
    near(s.p99, 92) // pos 8.91: 1 + 0.91 * 100
    near(s.mean, 11)
  })
})
