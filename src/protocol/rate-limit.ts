/**
 * Per-session rate limits: one token bucket for messages (MSG, ACK) and one for membership and tree
 * frames (MEMBER, HEARTBEAT, PROBE, PROBEACK, DIGEST, IHAVE, GRAFT, PRUNE). A frame over the rate is dropped; a session that
 * keeps going over it for `excessCutMs` is to be cut. Pure: the caller passes the time.
 *
 * Not @libp2p/utils' RateLimiter: it counts fixed windows (twice the rate passes across a window's
 * edge), keeps a Map entry and a timer per key, reads `new Date()` on every call and throws an Error,
 * stack and all, for every refused frame: too slow for a flood of 100,000 frames, which is what it
 * would be refusing here.
 */
import type { Frame } from './frames.ts'
import type { OverlayConfig } from '../config/defaults.ts'

/** A bucket of `burst` tokens that refills at `perSecond`; each frame takes one. */
export class TokenBucket {
  private readonly perMs: number
  private readonly burst: number
  private tokens: number
  private last: number

  constructor (perSecond: number, burst: number, now: number) {
    this.perMs = perSecond / 1000
    this.burst = burst
    this.tokens = burst
    this.last = now
  }

  /** Takes one token if there is one. */
  take (now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs)
      this.last = now
    }
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** At least half full: the sender has stayed under the rate for a while. */
  get rested (): boolean { return this.tokens >= this.burst / 2 }
}

/** The rate keys of the config's limits (text*: the message bucket of a text client's session). */
export type RateLimits = Pick<OverlayConfig['limits'], 'msgPerSecond' | 'msgBurst' | 'textMsgPerSecond' | 'textMsgBurst' | 'controlPerSecond' | 'controlBurst' | 'rateExcessCutMs'>

export const Verdict = { pass: 'pass', drop: 'drop', cut: 'cut' } as const
export type Verdict = typeof Verdict[keyof typeof Verdict]

/** Which bucket a frame draws from; undefined for frames no bucket limits (handshake, EXIT). */
export function frameClass (frame: Frame): 'msg' | 'control' | undefined {
  switch (frame.type) {
    case 'MSG': case 'ACK': return 'msg'
    case 'MEMBER': case 'HEARTBEAT': case 'PROBE': case 'PROBEACK': case 'DIGEST': case 'IHAVE': case 'GRAFT': case 'PRUNE': return 'control'
    default: return undefined
  }
}

/** Both buckets of one session, and how long it has been over its rate. */
export class FrameLimiter {
  private readonly limits: RateLimits
  private readonly msg: TokenBucket
  private readonly control: TokenBucket
  /** When the current run of refusals began; cleared once the bucket refills to half. */
  private excessSince: number | undefined
  droppedMsgs = 0
  droppedControl = 0

  constructor (limits: RateLimits, now: number, text = false) {
    this.limits = limits
    this.msg = text ? new TokenBucket(limits.textMsgPerSecond, limits.textMsgBurst, now) : new TokenBucket(limits.msgPerSecond, limits.msgBurst, now)
    this.control = new TokenBucket(limits.controlPerSecond, limits.controlBurst, now)
  }

  check (frame: Frame, now: number): Verdict {
    const kind = frameClass(frame)
    if (kind === undefined) return Verdict.pass
    const bucket = kind === 'msg' ? this.msg : this.control
    if (bucket.take(now)) {
      if (this.excessSince !== undefined && this.msg.rested && this.control.rested) this.excessSince = undefined
      return Verdict.pass
    }
    if (kind === 'msg') this.droppedMsgs++
    else this.droppedControl++
    if (this.excessSince === undefined) this.excessSince = now
    return now - this.excessSince >= this.limits.rateExcessCutMs ? Verdict.cut : Verdict.drop
  }
}
