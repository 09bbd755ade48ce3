/**
 * The typed frames both protocols carry. The text protocol carries the subset a line-based client
 * needs; the JSON protocol carries all of them. See docs/PROTOCOL.md.
 */
export const FrameType = {
  AUTH: 'AUTH',
  JOIN: 'JOIN',
  MSG: 'MSG',
  EXIT: 'EXIT',
  OK: 'OK',
  ERR: 'ERR',
  ACK: 'ACK',
  MEMBER: 'MEMBER',
  PING: 'PING',
  PONG: 'PONG',
  HEARTBEAT: 'HEARTBEAT',
  IHAVE: 'IHAVE',
  GRAFT: 'GRAFT',
  PRUNE: 'PRUNE',
  PROBE: 'PROBE',
  PROBEACK: 'PROBEACK',
  DIGEST: 'DIGEST'
} as const
export type FrameType = typeof FrameType[keyof typeof FrameType]

/** The two wire formats: tagged text lines (clients) and length-prefixed JSON (nodes). */
export const Wire = { text: 'text', json: 'json' } as const
export type Wire = typeof Wire[keyof typeof Wire]

/** ERR frames' codes live with the errors that carry them (src/errors.ts); the protocol re-exports them. */
export { ErrorCode } from '../errors.ts'
import type { ErrorCode } from '../errors.ts'

export const MemberState = {
  alive: 'alive',
  suspect: 'suspect',
  failed: 'failed',
  left: 'left'
} as const
export type MemberState = typeof MemberState[keyof typeof MemberState]

/** AUTH. Text: `token`. JSON: challenge, response, then a proof from each side (the dialer's first); the token never travels. */
export interface AuthFrame {
  type: 'AUTH'
  token?: string
  step?: 'challenge' | 'response' | 'proof'
  nonce?: string
  proof?: string
}
/** JOIN: the sender's member name. From a node to a text client it announces another member. */
export interface JoinFrame { type: 'JOIN', name: string, mode?: string }
/** EXIT: the sender leaves with the name it joined as. Node to text client: another member left. */
export interface ExitFrame { type: 'EXIT', name: string }
/**
 * MSG as it travels on the JSON wire. Between nodes: id, origin (the signer's peer id), from (member
 * name), ts (ms since epoch), hops (relays so far), to (a peer id, for direct messages), sig
 * (base64url Ed25519 signature by origin; absent only when sent straight from origin to a neighbour,
 * which then leaves out origin, from and hops, and sends `to` as "": the receiver). Only the codecs
 * and src/mesh/unsigned.ts see this shape; the mesh handles a MeshMsg, where every field is known.
 */
export interface MsgFrame {
  type: 'MSG'
  text: string
  id?: string
  origin?: string
  from?: string
  ts?: number
  hops?: number
  to?: string
  sig?: string
}
/** A MSG from a text client: a line of text and nothing more. */
export interface ClientMsg { type: 'MSG', text: string }
/** A text line to a client: who said it, and what. */
export interface ClientLineMsg { type: 'MSG', from: string, text: string }
/** A broadcast as the mesh handles it: every field known (filled in from the session if unsigned). */
export interface BroadcastMsg {
  type: 'MSG'
  id: string
  origin: string
  from: string
  ts: number
  hops: number
  text: string
  sig?: string
  to?: undefined
}
/** A direct message as the mesh handles it: `to` is the peer id it is for (never the wire's ""). */
export interface DirectMsg extends Omit<BroadcastMsg, 'to'> { to: string }
export type MeshMsg = BroadcastMsg | DirectMsg
/** An ACK as the mesh handles it; an unsigned one has no `from`, as it comes straight from its sender. */
export interface MeshAck { type: 'ACK', id: string, origin: string, to: string, hops: number, from?: string, sig?: string }
/** A MSG but its text: what goes in its JSON (the text follows it on the wire). */
export type MsgHeader = Omit<MsgFrame, 'text'>
/** ACK: a direct message `id` was delivered to `from`; routed back to `to` (the message's origin), signed by `origin`. */
export interface AckFrame {
  type: 'ACK'
  id: string
  /** Left out of an unsigned ACK, like the fields below: it comes straight from the sender (the session's peer). */
  from?: string
  origin?: string
  /** Left out of an unsigned ACK, which is for the receiver. */
  to?: string
  /** Left out of an unsigned ACK (0: it is never passed on). */
  hops?: number
  sig?: string
}
/** MEMBER: one member's state, gossiped mesh-wide. (inc, state) order decides conflicts. */
export interface MemberFrame {
  type: 'MEMBER'
  peerId: string
  name: string
  state: MemberState
  inc: number
  /** Heartbeat counter within an incarnation; makes each alive announcement unique. */
  seq: number
  addrs: string[]
  /** The member's mode (peer, hub, leaf, text); tells others whether to dial it. */
  mode?: string
  /** Peer id of the node that speaks for this member (a hub hosting a text client), if not itself. */
  host?: string
  /** For state left: exit (it said so) or disconnect (its host saw it drop). */
  reason?: 'exit' | 'disconnect'
  hops: number
  /** A claim's (alive, left) Ed25519 signature by the member, or by its `host` (src/mesh/trust.ts). */
  sig?: string
  /** A suspect report: the peer id of the member that suspects (each distinct one shortens the suspicion). */
  by?: string
}
export interface OkFrame { type: 'OK', of: FrameType }
export interface ErrFrame { type: 'ERR', code: ErrorCode, message: string }
/** PING/PONG: the health check, answered right after AUTH without joining. */
interface PingFrame { type: 'PING' }
export interface PongFrame { type: 'PONG', name: string, mode: string, sessions: number, members: number }

/** HEARTBEAT: heartbeats relayed in a batch, each `[peerId, inc, seq]` of an alive member. */
export interface HeartbeatFrame { type: 'HEARTBEAT', beats: Array<[string, number, number]> }
/** IHAVE: ids of broadcasts the sender holds, announced on a lazy link instead of the messages. */
export interface IHaveFrame { type: 'IHAVE', ids: string[] }
/** GRAFT: make this link eager again, and send the listed messages (`ids` may be empty). */
export interface GraftFrame { type: 'GRAFT', ids: string[] }
/** PRUNE: a duplicate came over this link; push no more broadcasts over it, announce them instead. */
export interface PruneFrame { type: 'PRUNE' }
/**
 * PROBE: "are you there?" (7.11). Without `target` it asks the neighbour it is sent to; with `target`
 * and `origin` it is routed hop by hop to `target` (an indirect probe) and answered the same way.
 */
export interface ProbeFrame { type: 'PROBE', n: number, target?: string, origin?: string, hops?: number }
/** PROBEACK: the answer to PROBE `n`; routed back to `target` (the prober) when the probe was. */
export interface ProbeAckFrame {
  type: 'PROBEACK', n: number, target?: string, origin?: string, hops?: number
  /** A routed answer's signature by `origin` (7.11): relays cannot answer for the member. */
  sig?: string
}
/** DIGEST: a hash of the present members (and their incarnations) the sender holds; `reply` on the answer to one (7.12). */
export interface DigestFrame { type: 'DIGEST', h: string, reply?: boolean }

/** The frames a session hands to the mesh once it is open. */
export type MeshFrame = MsgFrame | AckFrame | MemberFrame | HeartbeatFrame | IHaveFrame | GraftFrame | PruneFrame | ProbeFrame | ProbeAckFrame | DigestFrame

export type Frame = AuthFrame | JoinFrame | ExitFrame | MsgFrame | AckFrame | MemberFrame |
OkFrame | ErrFrame | PingFrame | PongFrame | HeartbeatFrame | IHaveFrame | GraftFrame | PruneFrame | ProbeFrame | ProbeAckFrame | DigestFrame
