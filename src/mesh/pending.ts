/**
 * Direct sends waiting for their ACK. Each wait settles exactly once: on an ACK from the one member
 * allowed to give it (the target, or the node hosting it), on its deadline, on its caller's abort
 * signal, or when the node stops. Nothing is left behind: the timer and the abort listener go with it.
 */
import { DeliveryError } from '../errors.ts'

interface Waiting { acker: string, settle: (err?: Error) => void }

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

  get size (): number { return this.waiting.size }

  /**
   * Registers `id` at once (before the caller sends it); resolves when `acker` acknowledges it.
   * Not `async`: on the round-trip path, a wrapping promise would cost its own microtask turns.
   */
  wait (id: string, acker: string, options: WaitOptions): Promise<void> {
    const { timeoutMs, name, signal } = options
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) { reject(signal.reason); return }
      const onAbort = (): void => { settle(signal?.reason as Error) }
      const timer = setTimeout(() => { settle(new DeliveryError('unreachable', `no acknowledgement from "${name}" within ${timeoutMs} ms`)) }, timeoutMs)
      const settle = (err?: Error): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.waiting.delete(id)
        if (err === undefined) resolve()
        else reject(err)
      }
      this.waiting.set(id, { acker, settle })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** An ACK for `id` that `from` sent (its origin, already authenticated by the caller). */
  ack (id: string, from: string): AckOutcome {
    const w = this.waiting.get(id)
    if (w === undefined) return AckOutcome.unknown
    if (w.acker !== from) return AckOutcome.wrongAcker
    w.settle()
    return AckOutcome.settled
  }

  /** Fails every wait with `err` (the node is stopping). */
  failAll (err: Error): void {
    for (const w of [...this.waiting.values()]) w.settle(err)
  }
}
