/** The control API's shapes (docs/API.md); events are the CLI's --json objects. */
export type MemberState = 'alive' | 'suspect' | 'failed' | 'left'

export interface Member {
  name: string
  peerId: string
  state: MemberState
  inc?: number
  /** Missing in the API for text clients; the store fills in 'text' or ''. */
  mode: string
  host?: string
  self: boolean
  since?: number
  lastHeard: number | null
  rttMs: number | null
}

export interface NodeInfo {
  peerId: string
  name: string
  mode: string
  addrs: string[]
  version: string
  uptimeMs: number
  startedAt: number
  joinCommand: string
}

export interface Session {
  peerId: string
  name: string
  wire: string
  mode: string
  encryption: string
  remoteAddr: string
  queuedBytes: number
}

export interface Topology {
  self: string
  nodes: Array<{ peerId: string, name: string, state: MemberState, mode: string }>
  edges: Array<{ from: string, to: string, kind: 'session' | 'route' }>
}

export type Stats = Record<string, number>

/** One event from /v1/events: a --json object, plus the stream's sequence number. */
export interface OverlayEvent {
  type: string
  seq?: number
  /** When the UI received it (the node's events carry no time except messages' ts). */
  at: number
  /** From the node's ring on first connection: it happened at or before `at`. */
  replayed?: boolean
  [key: string]: unknown
}

export interface ChatMessage {
  /** Message id from the node, or a local id until the node answers. */
  id: string
  from: string
  text: string
  ts: number
  /** The conversation: '*' for broadcast, else the other member's name. */
  conv: string
  direct: boolean
  mine: boolean
  /** Only for direct messages we sent. */
  status?: 'sending' | 'delivered' | 'failed' | 'sent'
  error?: string
}
