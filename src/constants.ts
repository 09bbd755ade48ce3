/** Protocol IDs, negotiated by multistream-select. Our nodes prefer JSON between themselves. */
export const TEXT_PROTOCOL = '/p2p-overlay/text/1.0.0'
export const JSON_PROTOCOL = '/p2p-overlay/json/2.0.0'

/** The original design's hub port. */
export const DEFAULT_HUB_PORT = 9000

/** Longest line (text) or frame (JSON), in bytes, excluding the line ending or length prefix. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024
/** Sessions a node holds at once. */
export const DEFAULT_MAX_SESSIONS = 1024
/** Concurrent inbound overlay streams one peer may open on one connection. */
export const DEFAULT_MAX_STREAMS_PER_PEER = 2
/** New inbound connections accepted per second from one IP (libp2p's own default is 5). */
export const DEFAULT_INBOUND_PER_IP_PER_SECOND = 1000
/**
 * Inbound connections still in their handshake (TCP accepted, encryption and muxer not done) at
 * once, from all addresses (libp2p's maxIncomingPendingConnections; its own default is 10). Above
 * the per-IP unauthenticated cap, so one address cannot take every slot.
 */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 640
/** Inbound connections one remote IP (an IPv6 /64) may hold at once; NAT'd clients share an IP. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 1024
/**
 * Inbound connections one remote IP may hold before they have an authenticated session
 * (handshaking, or waiting for AUTH). 500 leaves behind one address joining at once fit.
 */
export const DEFAULT_MAX_UNAUTHENTICATED_PER_IP = 512
/** Failed authentications from one IP within DEFAULT_AUTH_FAILURE_WINDOW_MS before it is refused for the ban time. */
export const DEFAULT_MAX_AUTH_FAILURES_PER_IP = 32
/**
 * Bytes waiting to go out on one session (ours and the stream's) before it is cut as a slow consumer.
 * A quarter of NATS's 64 MiB max_pending: a hub's memory is shared by all its sessions, and three
 * stalled readers at 32 MiB each held 96 MiB. Writers that wait for 'drain' (node.send) never get near it.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024
/** Bytes waiting to go out across all sessions of a node; past it the largest queues are cut first. */
export const DEFAULT_MAX_QUEUED_BYTES_TOTAL = 256 * 1024 * 1024
/** Per session: MSG and ACK frames a second (token bucket rate; the 1 KiB benchmark pushes about 22,000). */
export const DEFAULT_MSG_PER_SECOND = 50_000
/** Per session: MSG and ACK frames that may arrive at once (token bucket size). */
export const DEFAULT_MSG_BURST = 50_000
/** Per text-client session: MSG lines a second (a chat client; every relayed line costs the members a signature check). */
export const DEFAULT_TEXT_MSG_PER_SECOND = 200
/** Per text-client session: MSG lines that may arrive at once. */
export const DEFAULT_TEXT_MSG_BURST = 400
/** Per session: MEMBER, HEARTBEAT, PROBE, PROBEACK, DIGEST, IHAVE, GRAFT and PRUNE frames a second. */
export const DEFAULT_CONTROL_PER_SECOND = 10_000
/** Per session: membership and tree frames that may arrive at once. */
export const DEFAULT_CONTROL_BURST = 20_000
/** A session that keeps sending over its rate for this long is cut with rate_limited, in ms. */
export const DEFAULT_RATE_EXCESS_CUT_MS = 2_000

/** AUTH must arrive within this time after the stream opens, in ms. */
export const DEFAULT_AUTH_TIMEOUT_MS = 5_000
/** How long a peer that failed AUTH is refused by the connection gater, in ms. */
export const DEFAULT_BAN_MS = 60_000
/** Budget for one dial (TCP + encryption + muxer + protocol negotiation), in ms. */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000
/**
 * An inbound handshake (encryption + muxer) must finish within this, in ms: "a few seconds" (libp2p's
 * default is 10 s, NATS's TLS timeout 2 s). A handshake on a quiet machine takes milliseconds, and a
 * 500-leaf fan-in on a quiet 2-core machine passes with it; above the leaves' own 5 s dial timeout,
 * so a dial a leaf gave up on can still complete and be reused by its retry. On a heavily loaded
 * machine 200-leaf fan-ins saw 5-10 s handshakes: raise timeouts.upgradeMs there.
 */
export const DEFAULT_UPGRADE_TIMEOUT_MS = 6_000
/** The window over which an IP's failed authentications are counted, in ms. */
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 60_000

/** Bootstrap dial attempts and the pause between them (the original design: 5 tries, 1 s apart). */
export const DEFAULT_RETRY_ATTEMPTS = 5
export const DEFAULT_RETRY_INTERVAL_MS = 1_000
/** After the first round fails, peers and hubs keep retrying with back-off capped here, in ms. */
export const DEFAULT_RETRY_MAX_INTERVAL_MS = 30_000
/** A leaf that lost its hub retries this many rounds before it gives up; 0 = forever (NATS's -1). */
export const DEFAULT_RETRY_RECONNECT_ATTEMPTS = 0
/** Up to this much random delay is added to each back-off step, so leaves of a restarted hub spread out, in ms. */
export const DEFAULT_RETRY_JITTER_MS = 1_000

/** A leaf queues lines typed while it has no hub: at most this many... */
export const DEFAULT_QUEUE_MESSAGES = 10_000
/** ...and at most this many bytes of text (UTF-8); beyond either, new lines are dropped and counted. */
export const DEFAULT_QUEUE_BYTES = 1024 * 1024

/** Mesh: connections each peer-mode node tries to keep. */
export const DEFAULT_TARGET_DEGREE = 4
/** Mesh: every member announces it is alive this often, in ms. */
export const DEFAULT_HEARTBEAT_MS = 1_000
/** Mesh: no heartbeat for this long makes a member suspect, in ms. */
export const DEFAULT_SUSPECT_AFTER_MS = 2_500
/** Mesh: a suspect that does not refute within this time is failed, in ms. */
export const DEFAULT_FAIL_AFTER_MS = 1_500
/** Mesh: a relayed frame crosses at most this many hops. */
export const DEFAULT_HOP_LIMIT = 16
/** Mesh: a direct message without an acknowledgement after this long fails, in ms. */
export const DEFAULT_DIRECT_TIMEOUT_MS = 5_000
/** Mesh: message ids are remembered this long for de-duplication, in ms. */
export const DEFAULT_SEEN_TTL_MS = 120_000

/** Names: 1-64 characters from [A-Za-z0-9._-]. */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

/** Control API: loopback, a free port. "off" disables it. */
export const DEFAULT_API_LISTEN = '127.0.0.1:0'
/** Control API: events kept for /v1/events resumption. */
export const DEFAULT_API_EVENT_RING = 1_000
/** Control API: ... and at most about this many bytes of them. */
export const DEFAULT_API_EVENT_RING_BYTES = 4 * 1024 * 1024
/** Control API: largest request body, in bytes (a message is at most limits.maxFrameBytes). */
export const DEFAULT_API_MAX_BODY_BYTES = 256 * 1024
/** Control API: /v1/events clients at once. */
export const DEFAULT_API_MAX_EVENT_CLIENTS = 32
/** Control API: an /v1/events client this far behind, in bytes, is disconnected. */
export const DEFAULT_API_MAX_EVENT_QUEUE_BYTES = 4 * 1024 * 1024
/** Control API: message texts longer than this (characters) reach /v1/events cut, whole at /v1/events/{id}. */
export const DEFAULT_API_EVENT_TEXT_CHARS = 1024
