/**
 * Dissemination: how a frame reaches the neighbours. `spread` sends one frame to every link but
 * the one it came from, encoded once per wire; text clients get only broadcasts, as MSG lines.
 */
import { encodeTextLine } from '../protocol/text-codec.ts'
import { Wire } from '../protocol/frames.ts'
import { wireBytes } from './unsigned.ts'
import { isClaim } from './trust.ts'
import { Urgency } from './link.ts'
import type { MeshContext } from './context.ts'
import type { Link } from './link.ts'
import type { MemberFrame, MeshAck, MeshMsg } from '../protocol/frames.ts'

const encoder = new TextEncoder()

export interface SpreadOptions {
  /** Keep away from leaves and text clients, which never relay. */
  coreOnly?: boolean
  /** The frame's JSON wire bytes, when already encoded. */
  encoded?: Uint8Array
  /** A link gets the broadcast's id instead of it (lazy tree links); returns true when it did. */
  lazy?: (link: Link, f: MeshMsg) => boolean
}

export function spread (ctx: MeshContext, f: MemberFrame | MeshMsg | MeshAck, except: Link | undefined, opts: SpreadOptions = {}): void {
  let json = opts.encoded
  let text: Uint8Array | undefined
  for (const l of ctx.links.values()) {
    if (l === except) continue
    if (l.wire === Wire.text) {
      if (opts.coreOnly === true || f.type !== 'MSG' || f.to !== undefined) continue
      text ??= encoder.encode(encodeTextLine({ type: 'MSG', from: f.from, text: f.text }))
      l.send(text)
      continue
    }
    if (opts.coreOnly === true && l.mode === 'leaf') continue
    if (f.type === 'MSG' && opts.lazy?.(l, f) === true) continue
    json ??= wireBytes(f)
    // Leaves only read membership news (they never pass it on): it may wait to share a write.
    l.send(json, f.type === 'MEMBER' && l.mode === 'leaf' ? Urgency.linger : Urgency.soon)
  }
  if (except !== undefined) ctx.stats.relayed++
}

/** The frame as passed on: reports carry no signature (only claims are signed). */
export function relayed (f: MemberFrame, hops: number): MemberFrame {
  const out: MemberFrame = { ...f, hops }
  if (out.sig !== undefined && !isClaim(out.state)) delete out.sig
  return out
}
