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

/** Machine-readable reasons carried by ERR frames and `rejected`/`error` events. */
export const ErrorCode = {
  /** Bytes that do not parse: unknown tag, bad JSON, missing field. */
  badFrame: 'bad_frame',
  badUtf8: 'bad_utf8',
  frameTooLarge: 'frame_too_large',
  /** The stream ended in the middle of a line or frame. */
  truncated: 'truncated',
  authTimeout: 'auth_timeout',
  authRequired: 'auth_required',
  badToken: 'bad_token',
  alreadyAuthenticated: 'already_authenticated',
  joinRequired: 'join_required',
  alreadyJoined: 'already_joined',
  badName: 'bad_name',
  nameTaken: 'name_taken',
  badExit: 'bad_exit',
  unexpectedFrame: 'unexpected_frame',
  /** This node takes no JOINs (a leaf answers only PING). */
  notAccepting: 'not_accepting',
  tooManySessions: 'too_many_sessions',
  duplicateSession: 'duplicate_session',
  shuttingDown: 'shutting_down',
  /** This peer failed AUTH here recently; the message says for how many more seconds it is refused. */
  banned: 'banned',
  /** More bytes wait to go to the peer than limits.maxQueuedBytes (or the node-wide cap) allows. */
  slowConsumer: 'slow_consumer',
  /** The peer kept sending over its per-session rate for limits.rateExcessCutMs. */
  rateLimited: 'rate_limited'
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

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
 * MSG. From a text client only `text` is set. Between nodes: id, origin (the signer's peer id),
 * from (member name), ts (ms since epoch), hops (relays so far), to (a peer id, for direct messages),
 * sig (base64url Ed25519 signature by origin; absent only when sent straight from origin to a neighbour,
 * which then leaves out origin, from and hops, and sends `to` as "": the receiver).
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
export interface PingFrame { type: 'PING' }
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
