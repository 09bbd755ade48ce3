/**
 * What the protocol asks of its owner (the policy) and tells it (the events). The protocol never
 * decides membership itself; the node answers these. Nothing here touches a stream.
 */
import type { ErrorCode, MeshFrame, PongFrame } from './frames.ts'
import type { RateLimits } from './rate-limit.ts'
import type { Session } from './stream-session.ts'

export type CloseReason = 'exit' | 'disconnect' | 'rejected' | 'error' | 'duplicate'

/** Questions a session asks while it runs. */
export interface SessionPolicy {
  /** Our member name, sent in JOIN and EXIT. */
  localName: () => string
  /** Free, or held by this same peer id coming back. */
  nameAvailable: (name: string, peerId: string) => boolean
  /** How long this peer is still refused after a failed AUTH, in ms (0 = not banned). */
  bannedMs: (peerId: string) => number
  /** A session finished its handshake. Return false to refuse it (full, or a duplicate). */
  admit: (session: Session) => boolean
  /** Sessions open now; an inbound one past init.maxSessions is refused before its AUTH. */
  sessions: () => number
  /** The answer to a health PING. */
  pong: () => PongFrame
}

/** What happened to a session; nothing is answered. */
export interface SessionEvents {
  /** A mesh frame on an open session, within its rate. */
  frame: (session: Session, frame: MeshFrame) => void
  /** Called once per session that opened, when it ends; `code` says why it was cut, if it was. */
  closed: (session: Session, reason: CloseReason, code?: ErrorCode) => void
  /**
   * A peer was refused: it failed before it authenticated (listener), could not prove the token
   * (dialer), or was refused at JOIN (name taken, ...). `ban` is false for refusals that are not a
   * failed AUTH, which are only reported.
   */
  rejected: (peerId: string, code: ErrorCode, message: string, ban: boolean) => void
}

/** Counters of the protocol's limits, for the node's stats(). */
export interface ProtocolStats {
  /** Sessions cut with slow_consumer (their own limit or the node-wide cap). */
  slowConsumers: number
  /** Sessions cut with rate_limited. */
  rateLimited: number
  /** MSG and ACK frames dropped for going over a session's rate. */
  droppedMsgs: number
  /** MEMBER, HEARTBEAT and tree frames dropped for going over a session's rate. */
  droppedControl: number
  /** Times a session's input stopped for the turn and went on in a later one (fairness). */
  inputYields: number
}

export interface ProtocolLimits extends RateLimits {
  maxQueuedBytes: number
  maxQueuedBytesTotal: number
}

/** What every session of one node is told, resolved once from the service's init. */
export interface SessionSettings {
  readonly token: string
  readonly localMode: string
  readonly acceptsJoins: boolean
  readonly authTimeoutMs: number
  readonly maxFrameBytes: number
  /** How long a peer that fails AUTH is refused; said in the ERR so the peer knows. Undefined: no bans. */
  readonly banMs: number | undefined
}
