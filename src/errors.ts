/**
 * Every error this package throws. Match on `.name`, never on instanceof or message text.
 * InvalidFrameError = bytes that do not parse; ProtocolViolationError = a well-formed frame at the wrong time.
 */
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

/** Bytes that are not a frame: bad UTF-8, unknown tag, bad JSON, too long, cut off. */
export class InvalidFrameError extends Error {
  static override readonly name = 'InvalidFrameError'
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidFrameError'
    this.code = code
  }
}

/** A valid frame that the session may not accept now: MSG before JOIN, a wrong token, a taken name. */
export class ProtocolViolationError extends Error {
  static override readonly name = 'ProtocolViolationError'
  readonly code: ErrorCode
  constructor (code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolViolationError'
    this.code = code
  }
}

/** A bad config value, flag or environment variable; `key` names it (e.g. "limits.maxFrameBytes"). */
export class ConfigError extends Error {
  static override readonly name = 'ConfigError'
  readonly key: string
  constructor (key: string, message: string, options?: ErrorOptions) {
    super(key === '' ? message : `${key}: ${message}`, options)
    this.name = 'ConfigError'
    this.key = key
  }
}

/** The identity key file exists but cannot be used. It is never overwritten. */
export class IdentityError extends Error {
  static override readonly name = 'IdentityError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityError'
  }
}

/** Another live process holds this data dir. */
export class DataDirLockedError extends Error {
  static override readonly name = 'DataDirLockedError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DataDirLockedError'
  }
}

/** No bootstrap peer could be reached after every attempt. */
export class BootstrapFailedError extends Error {
  static override readonly name = 'BootstrapFailedError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BootstrapFailedError'
  }
}

/** A direct message found no member, or got no acknowledgement in time. */
export class DeliveryError extends Error {
  static override readonly name = 'DeliveryError'
  readonly code: 'unknown_member' | 'unreachable' | 'not_started'
  constructor (code: 'unknown_member' | 'unreachable' | 'not_started', message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DeliveryError'
    this.code = code
  }
}

/** The remote refused our session with an ERR frame (`code`), or closed it before it opened. */
export class SessionRejectedError extends Error {
  static override readonly name = 'SessionRejectedError'
  readonly code: string
  /** The remote peer, when known. */
  readonly peerId?: string
  constructor (code: string, message: string, options?: ErrorOptions & { peerId?: string }) {
    super(message, options)
    this.name = 'SessionRejectedError'
    this.code = code
    if (options?.peerId !== undefined) this.peerId = options.peerId
  }
}
