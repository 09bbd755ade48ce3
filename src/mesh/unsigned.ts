/**
 * A frame sent straight from its origin to a neighbour goes unsigned and leaves out what the
 * session already says (PROTOCOL.md 8.3). Both halves of that rule live here: what a sender leaves
 * out (`wireBytes`) and what a receiver fills back in (`fillMsg`, `fillAck`). On a direct round trip
 * each field left out saves bytes to encrypt and a field to parse (docs/BENCHMARKS.md, figure 2, item 7).
 */
import { encodeJsonFrame, encodeMsgFrame } from '../protocol/json-codec.ts'
import type { AckFrame, MemberFrame, MsgFrame, MsgHeader } from '../protocol/frames.ts'

/** What a receiver knows from the session a frame came on. */
export interface SessionFacts {
  /** The sender's peer id, proved by the connection's Noise/TLS handshake. */
  readonly peer: string
  /** The member name the sender joined with. */
  readonly name: string
}

/** The frame's wire bytes: whole when signed (or a MEMBER), without what the session says when not. */
export function wireBytes (f: MemberFrame | MsgFrame | AckFrame): Uint8Array {
  if (f.type === 'MEMBER' || f.sig !== undefined) return encodeJsonFrame(f)
  if (f.type === 'ACK') return encodeJsonFrame({ type: 'ACK', id: f.id })
  const header: MsgHeader = { type: 'MSG', id: f.id, ts: f.ts }
  if (f.to !== undefined) header.to = ''
  return encodeMsgFrame(header, f.text)
}

/** Fills in what an unsigned MSG left out; `self` is the receiver's peer id (`to: ""`). */
export function fillMsg (f: MsgFrame, link: SessionFacts, self: string): void {
  f.origin ??= link.peer
  f.from ??= link.name
  f.hops ??= 0
  if (f.to === '') f.to = self
}

/** Fills in what an unsigned ACK left out; `self` is the receiver's peer id. Its `from` stays unknown. */
export function fillAck (f: AckFrame, link: SessionFacts, self: string): void {
  f.origin ??= link.peer
  f.to ??= self
  f.hops ??= 0
}
