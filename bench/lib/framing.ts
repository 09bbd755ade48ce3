/**
 * Unsigned-varint length-prefix framing (the same wire format as
 * it-length-prefixed / lpStream from @libp2p/utils). The counter is written by hand so the
 * receiver can count frames synchronously inside a 'message'/'data' handler.
 */
import * as varint from 'uint8-varint'

/** One frame: varint(payload.length) || payload. */
export function frame (payload: Uint8Array): Uint8Array {
  const prefix = varint.encode(payload.length)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  return out
}

/**
 * Streaming frame counter: feed it chunks as they arrive (any split), it
 * counts complete frames and payload bytes. Rejects frames larger than
 * maxFrame (a real message protocol would do the same).
 */
export class FrameCounter {
  frames = 0
  payloadBytes = 0
  private lenValue = 0
  private lenShift = 0
  private remaining = -1 // -1: reading the length prefix
  private readonly maxFrame: number

  constructor (maxFrame = 1 << 20) {
    this.maxFrame = maxFrame
  }

  push (chunk: Uint8Array): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.remaining < 0) {
        const b = chunk[i++] as number
        this.lenValue += (b & 0x7f) * 2 ** this.lenShift
        this.lenShift += 7
        if ((b & 0x80) === 0) {
          if (this.lenValue > this.maxFrame) throw new Error(`frame of ${this.lenValue} bytes exceeds ${this.maxFrame}`)
          this.remaining = this.lenValue
          this.lenValue = 0
          this.lenShift = 0
          if (this.remaining === 0) { this.frames++; this.remaining = -1 }
        } else if (this.lenShift > 35) {
          throw new Error('varint too long')
        }
      } else {
        const take = Math.min(this.remaining, n - i)
        i += take
        this.remaining -= take
        this.payloadBytes += take
        if (this.remaining === 0) { this.frames++; this.remaining = -1 }
      }
    }
  }
}

/** Iterate the Uint8Array chunks of a Uint8Array or Uint8ArrayList without copying. */
export function * chunksOf (data: Uint8Array | Iterable<Uint8Array>): Iterable<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data
  } else {
    yield * data
  }
}

export function byteLength (data: Uint8Array | { byteLength: number }): number {
  return data.byteLength
}
