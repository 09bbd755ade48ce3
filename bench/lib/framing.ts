/** The baselines' framing: varint length prefixes (lpStream's format) and a counting sink. */
import * as varint from 'uint8-varint'

/** varint(payload.length) || payload */
export const frame = (payload: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([varint.encode(payload.length), payload]))

/** Counts complete frames and payload bytes in chunks of any split; rejects frames above maxFrame. */
export class FrameCounter {
  frames = 0
  payloadBytes = 0
  private len = 0
  private shift = 0
  private remaining = -1 // -1: reading the length prefix
  private readonly maxFrame: number
  constructor (maxFrame = 1 << 20) { this.maxFrame = maxFrame }
  push (chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length;) {
      if (this.remaining >= 0) {
        const take = Math.min(this.remaining, chunk.length - i)
        i += take
        this.remaining -= take
        this.payloadBytes += take
      } else {
        const b = chunk[i++] as number
        this.len += (b & 0x7f) * 2 ** this.shift
        this.shift += 7
        if (b & 0x80) {
          if (this.shift > 35) throw new Error('varint too long')
          continue
        }
        if (this.len > this.maxFrame) throw new Error(`frame of ${this.len} bytes exceeds ${this.maxFrame}`)
        this.remaining = this.len
        this.len = this.shift = 0
      }
      if (this.remaining === 0) { this.frames++; this.remaining = -1 }
    }
  }
}

/** A sink's handler: counts bytes (or, with `frames`, complete frames); calls `ack` once all are in. */
export function sink (exp: { bytes: number, frames: number }, ack: () => void): (data: Uint8Array | Iterable<Uint8Array> & { byteLength: number }) => void {
  const counter = new FrameCounter()
  let [bytes, acked] = [0, false]
  return (data) => {
    // a Uint8ArrayList is counted chunk by chunk, without copying
    if (exp.frames > 0) for (const c of data instanceof Uint8Array ? [data] : data) counter.push(c)
    else bytes += data.byteLength
    if (!acked && (exp.frames > 0 ? counter.frames >= exp.frames : bytes >= exp.bytes)) { acked = true; ack() }
  }
}
