/**
 * Direct sends waiting for their ACK. Each wait settles exactly once: on an ACK from the one member
 * allowed to give it (the target, or the node hosting it), on its deadline, on its caller's abort
 * signal, or when the node stops. Nothing is left behind: the abort listener goes with it.
 *
 * One timer serves every wait (it fires at the earliest deadline and sweeps): a timer of its own per
 * send would cost a Timeout and its list bookkeeping on every round trip.
 */
import { DeliveryError } from '../errors.ts'

interface Waiting {
  readonly acker: string
  readonly name: string
  readonly timeoutMs: number
  readonly deadline: number
  readonly resolve: (result: never) => void
  readonly result: unknown
  readonly reject: (err: Error) => void
  readonly signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export interface WaitOptions {
  /** Reject with `unreachable` after this long. */
  timeoutMs: number
  /** The target's name, for the error message. */
  name: string
  signal?: AbortSignal
}

/** What an incoming ACK did. `wrong_acker`: someone other than the target (or its host) acknowledged. */
export const AckOutcome = { settled: 'settled', unknown: 'unknown', wrongAcker: 'wrong_acker' } as const
export type AckOutcome = typeof AckOutcome[keyof typeof AckOutcome]

export class PendingAcks {
  private readonly waiting = new Map<string, Waiting>()
  private timer: ReturnType<typeof setTimeout> | undefined
  /** When the timer fires (ms, Date.now()); Infinity when none is set. */
  private timerAt = Infinity

  get size (): number { return this.waiting.size }

  /**
   * Registers `id` at once (before the caller sends it); resolves to `result` when `acker`
   * acknowledges it. Not `async`, and the caller's result is settled here: on the round-trip path,
   * each wrapping promise would cost its own microtask turn.
   */
  wait<T> (id: string, acker: string, options: WaitOptions, result: T): Promise<T> {
    const { timeoutMs, name, signal } = options
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = { acker, name, timeoutMs, deadline: Date.now() + timeoutMs, resolve, result, reject, signal, onAbort: undefined }
      if (signal !== undefined) {
        w.onAbort = () => { this.settle(id, w, signal.reason as Error) }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.waiting.set(id, w)
      if (w.deadline < this.timerAt) this.arm(w.deadline)
    })
  }

  /** An ACK for `id` that `from` sent (its origin, already authenticated by the caller). */
  ack (id: string, from: string): AckOutcome {
    const w = this.waiting.get(id)
    if (w === undefined) return AckOutcome.unknown
    if (w.acker !== from) return AckOutcome.wrongAcker
    this.settle(id, w, undefined)
    return AckOutcome.settled
  }

  /** Fails every wait with `err` (the node is stopping), and drops the timer. */
  failAll (err: Error): void {
    for (const [id, w] of [...this.waiting]) this.settle(id, w, err)
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private settle (id: string, w: Waiting, err: Error | undefined): void {
    if (this.waiting.get(id) !== w) return
    this.waiting.delete(id)
    if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort)
    if (err === undefined) w.resolve(w.result as never)
    else w.reject(err)
  }

  /** Settled waits leave the timer armed: it finds nothing due, and re-arms only for waits still here. */
  private arm (at: number): void {
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(PendingAcks.sweep, Math.max(0, at - Date.now()), this)
  }

  private static sweep (self: PendingAcks): void {
    self.timer = undefined
    self.timerAt = Infinity
    const now = Date.now()
    let next = Infinity
    for (const [id, w] of [...self.waiting]) {
      if (w.deadline <= now) self.settle(id, w, new DeliveryError('unreachable', `no acknowledgement from "${w.name}" within ${w.timeoutMs} ms`))
      else if (w.deadline < next) next = w.deadline
    }
    if (next !== Infinity) self.arm(next)
  }
}
