/** Small statistics helpers. All functions copy before sorting. */

export interface Summary {
  n: number
  median: number
  min: number
  max: number
  /** 25th / 75th percentile (linear interpolation); equal to min/max for n = 1 */
  p25: number
  p75: number
  mean: number
}

/** Quantile q in [0,1] with linear interpolation between closest ranks (R type 7). */
export function quantileSorted (sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  if (n === 1) return sorted[0] as number
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

export function sortedCopy (values: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(values as ArrayLike<number>)
  s.sort()
  return s
}

export function quantile (values: ArrayLike<number>, q: number): number {
  return quantileSorted(sortedCopy(values), q)
}

export function median (values: ArrayLike<number>): number {
  return quantile(values, 0.5)
}

export function summarize (values: ArrayLike<number>): Summary {
  const s = sortedCopy(values)
  const n = s.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += s[i] as number
  return {
    n,
    median: quantileSorted(s, 0.5),
    min: n > 0 ? (s[0] as number) : Number.NaN,
    max: n > 0 ? (s[n - 1] as number) : Number.NaN,
    p25: quantileSorted(s, 0.25),
    p75: quantileSorted(s, 0.75),
    mean: n > 0 ? sum / n : Number.NaN
  }
}

/** Latency-style summary of raw samples (used inside workers). */
export interface LatencySummary {
  n: number
  median: number
  p90: number
  p99: number
  min: number
  max: number
  mean: number
}

export function latencySummary (samples: ArrayLike<number>): LatencySummary {
  const s = sortedCopy(samples)
  const n = s.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += s[i] as number
  return {
    n,
    median: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    min: n > 0 ? (s[0] as number) : Number.NaN,
    max: n > 0 ? (s[n - 1] as number) : Number.NaN,
    mean: n > 0 ? sum / n : Number.NaN
  }
}
