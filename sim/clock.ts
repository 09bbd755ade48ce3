/**
 * Virtual time: a min-heap of timers run in (time, insertion) order, and a seeded PRNG. An Env
 * (src/mesh/env.ts) over it runs the real mesh code with no wall clock involved.
 */
import { mulberry32 } from '../bench/lib/random.ts'
import type { Env, TimerHandle } from '../src/mesh/env.ts'

interface Timer { at: number, order: number, fn: () => void, cancelled: boolean }

export class VirtualClock {
  private time: number
  private order = 0
  private readonly heap: Timer[] = []
  readonly random: () => number

  constructor (seed: number, start = 1_700_000_000_000) {
    this.time = start
    this.random = mulberry32(seed)
  }

  now (): number { return this.time }

  at (delayMs: number, fn: () => void): Timer {
    const t: Timer = { at: this.time + Math.max(0, delayMs), order: this.order++, fn, cancelled: false }
    this.push(t)
    return t
  }

  /** An Env for one node; `paused` (a stalled node) defers its timers until it resumes. */
  env (paused: () => number = () => 0): Env {
    const self = this
    return {
      now: () => self.time,
      setTimeout: (fn, ms) => self.at(ms, function run () {
        const until = paused()
        if (until > self.time) { self.at(until - self.time, run); return }
        fn()
      }),
      clearTimeout: (handle: TimerHandle) => { if (handle !== undefined) (handle as Timer).cancelled = true },
      random: () => self.random()
    }
  }

  /** Runs every timer due up to `until` (inclusive); returns how many ran. `maxEvents` bounds a runaway loop. */
  runUntil (until: number, maxEvents = 50_000_000): number {
    let n = 0
    while (this.heap.length > 0 && (this.heap[0] as Timer).at <= until) {
      const t = this.pop()
      if (t.cancelled) continue
      this.time = t.at
      t.fn()
      if (++n >= maxEvents) throw new Error(`more than ${maxEvents} events before ${until}`)
    }
    this.time = Math.max(this.time, until)
    return n
  }

  private push (t: Timer): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(t, h[p] as Timer)) break
      h[i] = h[p] as Timer
      i = p
    }
    h[i] = t
  }

  private pop (): Timer {
    const h = this.heap
    const top = h[0] as Timer
    const last = h.pop() as Timer
    if (h.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const c = r < h.length && before(h[r] as Timer, h[l] as Timer) ? r : l
      if (!before(h[c] as Timer, last)) break
      h[i] = h[c] as Timer
      i = c
    }
    h[i] = last
    return top
  }
}

function before (a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order)
}
