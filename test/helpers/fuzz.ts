/**
 * Shared pieces of the property-based (fast-check) codec and session tests: how many cases to run,
 * arbitrary ways to cut bytes into chunks, and the check that only the protocol's typed errors escape.
 * `npm test` runs FUZZ_RUNS cases per property (default 1,000); `npm run fuzz` runs 100,000.
 * A failure prints its seed and path; FUZZ_SEED replays it.
 */
import fc from 'fast-check'
import type { Parameters as FcParameters } from 'fast-check'

function envInt (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return n
}

/** Cases per property. */
export const FUZZ_RUNS = envInt('FUZZ_RUNS', 1_000)

/** fast-check parameters for every property: the case count and, when set, the seed to replay. */
export function fuzzParams<T> (): FcParameters<T> {
  const seed = process.env.FUZZ_SEED
  return seed === undefined || seed === '' ? { numRuns: FUZZ_RUNS } : { numRuns: FUZZ_RUNS, seed: Number(seed) }
}

/** The error names a decoder or the session may throw: anything else is a bug. */
export const TYPED_ERRORS = new Set(['InvalidFrameError', 'ProtocolViolationError'])

/** Runs `fn`; returns the typed error it threw (or undefined), and rethrows any other error. */
export function typedError (fn: () => void): (Error & { code: string }) | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (err instanceof Error && TYPED_ERRORS.has(err.name)) return err as Error & { code: string }
    throw err
  }
}

/** `bytes` cut at the given offsets (taken modulo its length, deduplicated, sorted); empty chunks possible only for empty input. */
export function cutAt (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes]
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const p of points) {
    if (p <= from) continue
    chunks.push(bytes.subarray(from, p))
    from = p
  }
  if (from < bytes.length) chunks.push(bytes.subarray(from))
  return chunks
}

/** Cut offsets: none up to many, so single bytes and whole inputs both occur. */
export const cutsArb = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 40 })

/** Bytes that look a little like frames more often than uniform bytes would. */
export const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.array(fc.constantFrom(0x0a, 0x0d, 0x3a, 0x7b, 0x7d, 0x22, 0x80, 0xff, 0xef, 0xbb, 0xbf, 0x00, 0x41, 0x4d), { maxLength: 256 }).map(a => Uint8Array.from(a)),
  fc.string({ unit: 'binary', maxLength: 200 }).map(s => new TextEncoder().encode(s))
)

/** Concatenates chunks. */
export function concat (chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}

export { fc }
