/**
 * Where a round trip's microseconds go inside each process: the analysis half of BENCH_TRACE
 * (bench/tools/trace-preload.ts records, bench/tools/trace-report.ts prints). Pure.
 *
 * A row is one loopback TCP read and what that process did before its next read, as
 * [label, µs since the read, label, µs, ...]: `R<bytes>` (the read, at 0), `W<bytes>` (a socket
 * write, stamped as it starts), `><Class>` / `<<Class>` (a 'message' event dispatched by an
 * object of that class begins / ends: the TCP connection, Noise, the yamux stream, ...).
 */
import { median } from './stats.ts'

export type Row = Array<string | number>

export interface Shape {
  /** The labels in order, e.g. ['R128', '>TCPSocketMultiaddrConnection', ..., 'W128']. */
  labels: string[]
  /** Rows with exactly these labels. */
  count: number
  /** Median offset (µs) of each label over those rows. */
  medianUs: number[]
}

/** Rows grouped by their sequence of labels, most frequent first, with median offsets. */
export function shapes (rows: Row[]): Shape[] {
  const groups = new Map<string, { labels: string[], offsets: number[][] }>()
  for (const row of rows) {
    const labels = row.filter((_, i) => i % 2 === 0).map(String)
    const key = labels.join(' ')
    let g = groups.get(key)
    if (g === undefined) groups.set(key, g = { labels, offsets: labels.map(() => []) })
    for (let i = 1; i < row.length; i += 2) g.offsets[(i - 1) / 2]?.push(Number(row[i]))
  }
  return [...groups.values()]
    .map(g => ({ labels: g.labels, count: g.offsets[0]?.length ?? 0, medianUs: g.offsets.map(median) }))
    .sort((a, b) => b.count - a.count)
}

/**
 * Per read that carried stream data (a yamux stream dispatched a 'message'), the µs from the read
 * to the start of its process's last write of more than `minBytes` (the answer, or the next
 * message; smaller writes are Noise length prefixes and yamux window updates). Median, and how
 * many reads had such a write.
 */
export function turnaround (rows: Row[], minBytes = 30): { medianUs: number, reads: number } {
  const t: number[] = []
  for (const row of rows) {
    if (!row.includes('>YamuxStream')) continue
    let last = -1
    for (let i = 0; i + 1 < row.length; i += 2) {
      const label = String(row[i])
      if (/^W\d+$/.test(label) && Number(label.slice(1)) > minBytes) last = Number(row[i + 1])
    }
    if (last >= 0) t.push(last)
  }
  return { medianUs: t.length === 0 ? NaN : median(t), reads: t.length }
}
