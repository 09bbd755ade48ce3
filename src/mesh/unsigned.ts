/**
 * A frame sent straight from its origin to a neighbour goes unsigned and leaves out what the
 * session already says (PROTOCOL.md 8.3). Both halves of that rule live here: what a sender leaves
 * out (`wireBytes`) and what a receiver fills back in (`inboundMsg`, `inboundAck`). On a direct round trip
 * each field left out saves bytes to encrypt and a field to parse (docs/BENCHMARKS.md, figure 2, item 7).
 */
import { encodeJsonFrame, encodeMsgFrame } from '../protocol/json-codec.ts'
import type { AckFrame, MeshAck, MeshMsg, MemberFrame, MsgFrame, MsgHeader } from '../protocol/frames.ts'

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

/**
 * The MSG as the mesh handles it: what an unsigned one left out filled in from the session
 * (`self` is the receiver's peer id, for `to: ""`). Undefined when a field is missing, or a signed
 * one says `to: ""` (only the session vouches for "", so only an unsigned frame may use it).
 */
export function inboundMsg (f: MsgFrame, link: SessionFacts, self: string): MeshMsg | undefined {
  const unsigned = f.sig === undefined
  const origin = f.origin ?? (unsigned ? link.peer : undefined)
  const from = f.from ?? (unsigned ? link.name : undefined)
  const hops = f.hops ?? (unsigned ? 0 : undefined)
  const { id, ts, text, to } = f
  if (id === undefined || origin === undefined || from === undefined || ts === undefined || hops === undefined) return undefined
  // One object per message, built whole (no spread temporaries on the per-message path).
  let msg: MeshMsg
  if (to === undefined) msg = { type: 'MSG', id, origin, from, ts, hops, text }
  else if (to !== '') msg = { type: 'MSG', id, origin, from, ts, hops, text, to }
  else if (unsigned) msg = { type: 'MSG', id, origin, from, ts, hops, text, to: self }
  else return undefined
  if (!unsigned) msg.sig = f.sig
  return msg
}

/** The ACK as the mesh handles it: an unsigned one filled in from the session; undefined when a field is missing. */
export function inboundAck (f: AckFrame, link: SessionFacts, self: string): MeshAck | undefined {
  const unsigned = f.sig === undefined
  const origin = f.origin ?? (unsigned ? link.peer : undefined)
  const to = f.to ?? (unsigned ? self : undefined)
  const hops = f.hops ?? (unsigned ? 0 : undefined)
  // A signed ACK's `from` is part of what its signature vouches for.
  if (origin === undefined || to === undefined || hops === undefined || (!unsigned && f.from === undefined)) return undefined
  const ack: MeshAck = { type: 'ACK', id: f.id, origin, to, hops }
  if (f.from !== undefined) ack.from = f.from
  if (!unsigned) ack.sig = f.sig
  return ack
}
