/**
 * What the mesh needs of a neighbour: who it is, how it speaks, and a way to send. The node adapts
 * its protocol sessions to this (src/node/create-node.ts); the simulator and unit tests use their
 * own. The mesh never imports the protocol's session or the node.
 */
import { Wire } from '../protocol/frames.ts'
import type { ErrorCode, Frame } from '../protocol/frames.ts'

/** How soon a frame must leave: at once, with the next write, or when something else goes anyway. */
export const Urgency = { now: 'now', soon: 'soon', linger: 'linger' } as const
export type Urgency = typeof Urgency[keyof typeof Urgency]

/** Why a link closed, as the node tells the mesh. */
export type LinkCloseReason = 'exit' | 'disconnect' | 'rejected' | 'error' | 'duplicate'

export interface Link {
  /** The neighbour's peer id (proved by the connection's handshake). */
  readonly peer: string
  /** The member name it joined with. */
  readonly name: string
  /** `json` for nodes, `text` for text clients. */
  readonly wire: Wire
  /** Its mode: peer, hub or leaf (text clients: whatever the session says). */
  readonly mode: string
  /** For the `session` event only. */
  readonly encryption: string
  /** Sends a frame, or bytes already encoded for this link's wire. */
  send: (frame: Frame | Uint8Array, when?: Urgency) => void
  /** Tells the neighbour why and hangs up. */
  close: (code: ErrorCode, message: string) => void
  /** Hangs up at once, without a word: the link is dead (a cut network sends no FIN or RST). */
  abort: (reason: string) => void
}

/** What a mode does in the mesh (a subset of the node's ModeBehaviour). */
export interface MeshBehaviour {
  /** Passes broadcasts and membership on to its other links. */
  relays: boolean
  /** Probes members and declares suspects and failures. */
  watchesLiveness: boolean
  /** Dials known members until it holds the target degree, and retries failed ones (healing). */
  keepsDegree: boolean
  /** The modes of the members it dials to keep its degree (a member without one counts as a peer). */
  dials: readonly string[]
}

/** Links that relay broadcasts and membership: JSON links with peers and hubs (leaves and text clients only listen). */
export function isCore (l: Link): boolean {
  return l.wire === Wire.json && l.mode !== 'leaf'
}
