/**
 * The typed events a node emits; the CLI's --json output is exactly these, one per line. The
 * bottom layer: the mesh, the node, the API and the CLI all speak these.
 */
export type LeftReason = 'exit' | 'disconnect' | 'failed'

export interface OverlayEvents {
  listening: { peerId: string, addrs: string[], name: string, mode: string }
  /** A direct session to a neighbour opened or closed. */
  session: { action: 'open' | 'close', peerId: string, name: string, wire: string, mode: string, encryption: string, reason?: string, code?: string }
  /** A member became present (alive or suspect) in the mesh. */
  joined: { name: string, peerId: string, reason: 'join' | 'rejoin' }
  /** A member stopped being present. */
  left: { name: string, peerId: string, reason: LeftReason }
  suspect: { name: string, peerId: string, reason: 'silent' | 'reported' }
  failed: { name: string, peerId: string, reason: 'timeout' | 'reported' }
  /** A suspect or failed member is alive again. */
  alive: { name: string, peerId: string, reason: 'refuted' | 'rejoined' }
  message: { id: string, from: string, origin: string, text: string, ts: number, to?: string }
  /** A peer was refused before it could join (bad or missing token, late AUTH, ...). */
  rejected: { peerId: string, code: string, message: string }
  error: { code: string, message: string }
  /** Bootstrap progress: an attempt failed, or a peer was reached. */
  bootstrap: { addr: string, attempt: number, ok: boolean, error?: string }
  /** A leaf lost its hub (or reached none this round) and tries again after `delayMs`; `attempt` counts rounds. */
  reconnecting: { attempt: number, delayMs: number, error?: string }
  /** A leaf that had lost its hub holds a session again (`addr` may be another hub of its list). */
  reconnected: { addr: string, peerId: string, attempts: number, downMs: number }
}

export type OverlayEventType = keyof OverlayEvents

/**
 * Every event type, once: the `satisfies` makes a type added to OverlayEvents fail to compile until
 * it is listed here. Lists of event types (the API's stream, the CLI's printer) derive from this.
 */
export const OverlayEventTypes = {
  listening: 'listening',
  session: 'session',
  joined: 'joined',
  left: 'left',
  suspect: 'suspect',
  failed: 'failed',
  alive: 'alive',
  message: 'message',
  rejected: 'rejected',
  error: 'error',
  bootstrap: 'bootstrap',
  reconnecting: 'reconnecting',
  reconnected: 'reconnected'
} as const satisfies { [K in OverlayEventType]: K }

/** The event types in OverlayEventTypes' order. */
export const OVERLAY_EVENT_TYPES: readonly OverlayEventType[] = Object.values(OverlayEventTypes)
/** One event as a plain object: what --json prints. */
export type OverlayEvent = { [K in OverlayEventType]: { type: K } & OverlayEvents[K] }[OverlayEventType]
