/** Statistics: quantiles by linear interpolation between closest ranks (R type 7) and one summary. Inputs are copied before sorting. */

export interface Summary { n: number, median: number, min: number, max: number, p25: number, p75: number, p90: number, p99: number, mean: number }

export function quantileSorted (sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const pos = (n - 1) * q
  const a = sorted[Math.floor(pos)] as number
  return a + ((sorted[Math.ceil(pos)] as number) - a) * (pos - Math.floor(pos))
}

/** Float64Array sorts numerically, not as strings. */
export const sortedCopy = (values: ArrayLike<number>): Float64Array => Float64Array.from(values).sort()

export const quantile = (values: ArrayLike<number>, q: number): number => quantileSorted(sortedCopy(values), q)
export const median = (values: ArrayLike<number>): number => quantile(values, 0.5)

/** The one summary: of a figure's per-run values (Result.summary) and of a worker's raw samples. */
export function summarize (values: ArrayLike<number>): Summary {
  const s = sortedCopy(values)
  const q = (p: number): number => quantileSorted(s, p)
  const n = s.length
  return { n, median: q(0.5), min: q(0), max: q(1), p25: q(0.25), p75: q(0.75), p90: q(0.9), p99: q(0.99), mean: n > 0 ? s.reduce((a, b) => a + b, 0) / n : Number.NaN }
}
