import * as C from '../constants.ts'

export const Mode = { peer: 'peer', hub: 'hub', leaf: 'leaf' } as const
export type Mode = typeof Mode[keyof typeof Mode]

export const Encryption = { noise: 'noise', tls: 'tls' } as const
export type Encryption = typeof Encryption[keyof typeof Encryption]

/** Everything a node can be told. Every field has a default in defaultConfig(). */
export interface OverlayConfig {
  /** peer: symmetric mesh member. hub: listens, relays for leaves. leaf: dials hubs only. */
  mode: Mode
  /** Member name; undefined = derived from the peer ID ("node-" + its last 8 characters). */
  name?: string
  /** Multiaddrs to listen on; undefined = the mode's default (see node/modes.ts). */
  listen?: string[]
  /** Multiaddrs of peers (or hubs) to dial, each ending in /p2p/<peerId> or not. */
  bootstrap: string[]
  /** Shared secret; at most one of token and tokenFile. Neither = generated and stored in dataDir. */
  token?: string
  tokenFile?: string
  /** Where identity, token and lock live; undefined = a per-node folder under the user's data home. */
  dataDir?: string
  /** Preferred encrypter when dialing; both are always accepted. */
  encryption: Encryption
  /** Accept the legacy text protocol (it carries the literal token). */
  acceptText: boolean
  limits: {
    maxFrameBytes: number
    maxSessions: number
    maxStreamsPerPeer: number
    inboundPerIpPerSecond: number
    maxPendingConnections: number
    maxConnectionsPerIp: number
    maxUnauthenticatedPerIp: number
    maxAuthFailuresPerIp: number
    /** Lines a leaf keeps while it has no hub (before it joins, or while it reconnects). */
    queueMessages: number
    queueBytes: number
    maxQueuedBytes: number
    maxQueuedBytesTotal: number
    msgPerSecond: number
    msgBurst: number
    textMsgPerSecond: number
    textMsgBurst: number
    controlPerSecond: number
    controlBurst: number
    rateExcessCutMs: number
  }
  timeouts: {
    authMs: number
    banMs: number
    dialMs: number
    upgradeMs: number
    authFailureWindowMs: number
  }
  retry: {
    attempts: number
    intervalMs: number
    maxIntervalMs: number
    /** Rounds a leaf tries after losing its hub; 0 = forever. The first connection uses `attempts`. */
    reconnectAttempts: number
    /** Random extra delay, up to this, on each back-off step. */
    jitterMs: number
  }
  mesh: {
    degree: number
    heartbeatMs: number
    suspectAfterMs: number
    failAfterMs: number
    hopLimit: number
    directTimeoutMs: number
    seenTtlMs: number
  }
  /** The control API (HTTP: JSON routes, /events, /metrics, the UI). */
  api: {
    /** "HOST:PORT" to listen on (port 0 = a free port), or "off". */
    listen: string
    /** Serve /metrics without the API token (for scrapers). */
    openMetrics: boolean
    /** Add libp2p's own metrics to /metrics (one node per process gets them; see docs/API.md). */
    libp2pMetrics: boolean
    /** Extra Host header names accepted besides the listen address and loopback (e.g. a container's name). */
    allowedHosts: string[]
    /** Events kept for /v1/events resumption (Last-Event-ID). */
    eventRing: number
    /** ... and at most about this many bytes of them (message texts count). */
    eventRingBytes: number
    /** Largest request body, in bytes. */
    maxBodyBytes: number
    /** /v1/events clients at once. */
    maxEventClients: number
    /** An /v1/events client further behind than this many bytes is disconnected. */
    maxEventQueueBytes: number
    /** Message texts longer than this many characters reach /v1/events cut (whole with ?text=full, or at /v1/events/{id}). */
    eventTextChars: number
  }
}

/** The single source of default values. Returns a fresh object every call. */
export function defaultConfig (): OverlayConfig {
  return {
    mode: Mode.peer,
    bootstrap: [],
    encryption: Encryption.noise,
    acceptText: true,
    limits: {
      maxFrameBytes: C.DEFAULT_MAX_FRAME_BYTES,
      maxSessions: C.DEFAULT_MAX_SESSIONS,
      maxStreamsPerPeer: C.DEFAULT_MAX_STREAMS_PER_PEER,
      inboundPerIpPerSecond: C.DEFAULT_INBOUND_PER_IP_PER_SECOND,
      maxPendingConnections: C.DEFAULT_MAX_PENDING_CONNECTIONS,
      maxConnectionsPerIp: C.DEFAULT_MAX_CONNECTIONS_PER_IP,
      maxUnauthenticatedPerIp: C.DEFAULT_MAX_UNAUTHENTICATED_PER_IP,
      maxAuthFailuresPerIp: C.DEFAULT_MAX_AUTH_FAILURES_PER_IP,
      queueMessages: C.DEFAULT_QUEUE_MESSAGES,
      queueBytes: C.DEFAULT_QUEUE_BYTES,
      maxQueuedBytes: C.DEFAULT_MAX_QUEUED_BYTES,
      maxQueuedBytesTotal: C.DEFAULT_MAX_QUEUED_BYTES_TOTAL,
      msgPerSecond: C.DEFAULT_MSG_PER_SECOND,
      msgBurst: C.DEFAULT_MSG_BURST,
      textMsgPerSecond: C.DEFAULT_TEXT_MSG_PER_SECOND,
      textMsgBurst: C.DEFAULT_TEXT_MSG_BURST,
      controlPerSecond: C.DEFAULT_CONTROL_PER_SECOND,
      controlBurst: C.DEFAULT_CONTROL_BURST,
      rateExcessCutMs: C.DEFAULT_RATE_EXCESS_CUT_MS
    },
    timeouts: {
      authMs: C.DEFAULT_AUTH_TIMEOUT_MS,
      banMs: C.DEFAULT_BAN_MS,
      dialMs: C.DEFAULT_DIAL_TIMEOUT_MS,
      upgradeMs: C.DEFAULT_UPGRADE_TIMEOUT_MS,
      authFailureWindowMs: C.DEFAULT_AUTH_FAILURE_WINDOW_MS
    },
    retry: {
      attempts: C.DEFAULT_RETRY_ATTEMPTS,
      intervalMs: C.DEFAULT_RETRY_INTERVAL_MS,
      maxIntervalMs: C.DEFAULT_RETRY_MAX_INTERVAL_MS,
      reconnectAttempts: C.DEFAULT_RETRY_RECONNECT_ATTEMPTS,
      jitterMs: C.DEFAULT_RETRY_JITTER_MS
    },
    mesh: {
      degree: C.DEFAULT_TARGET_DEGREE,
      heartbeatMs: C.DEFAULT_HEARTBEAT_MS,
      suspectAfterMs: C.DEFAULT_SUSPECT_AFTER_MS,
      failAfterMs: C.DEFAULT_FAIL_AFTER_MS,
      hopLimit: C.DEFAULT_HOP_LIMIT,
      directTimeoutMs: C.DEFAULT_DIRECT_TIMEOUT_MS,
      seenTtlMs: C.DEFAULT_SEEN_TTL_MS
    },
    api: {
      listen: C.DEFAULT_API_LISTEN,
      openMetrics: false,
      libp2pMetrics: true,
      allowedHosts: [],
      eventRing: C.DEFAULT_API_EVENT_RING,
      eventRingBytes: C.DEFAULT_API_EVENT_RING_BYTES,
      maxBodyBytes: C.DEFAULT_API_MAX_BODY_BYTES,
      maxEventClients: C.DEFAULT_API_MAX_EVENT_CLIENTS,
      maxEventQueueBytes: C.DEFAULT_API_MAX_EVENT_QUEUE_BYTES,
      eventTextChars: C.DEFAULT_API_EVENT_TEXT_CHARS
    }
  }
}
