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
/** Bytes waiting to go out on one session (ours and the stream's) before it is cut as a slow consumer. */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024
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
/** Per session: MEMBER, HEARTBEAT, IHAVE, GRAFT and PRUNE frames a second. */
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

/** Bootstrap dial attempts and the pause between them (the original design: 5 tries, 1 s apart). */
export const DEFAULT_RETRY_ATTEMPTS = 5
export const DEFAULT_RETRY_INTERVAL_MS = 1_000
/** After the first round fails, peers and hubs keep retrying with back-off capped here, in ms. */
export const DEFAULT_RETRY_MAX_INTERVAL_MS = 30_000

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
