/**
 * The one file that touches streams: registers both protocol handlers, dials, and runs each stream
 * through codec -> session state machine -> actions. Everything per frame is synchronous; writes are
 * coalesced per microtask (or per linger) into one `send()`.
 */
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { JSON_PROTOCOL, TEXT_PROTOCOL } from '../constants.ts'
import { InvalidFrameError, ProtocolViolationError, SessionRejectedError } from '../errors.ts'
import { AuthRole } from './auth.ts'
import { ErrorCode } from './frames.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from './json-codec.ts'
import { startSession, step, Purpose, Wire } from './session.ts'
import { decodeClientLine, encodeTextLine, LineDecoder } from './text-codec.ts'
import type { Frame, PongFrame } from './frames.ts'
import type { SessionAction, SessionContext, SessionState } from './session.ts'
import type { Connection, Libp2p, PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A session's outgoing queue beyond this many bytes marks it a slow consumer, and it is closed. */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024
const CLOSE_GRACE_MS = 1_000
/** How long lingering frames may wait for company before they leave. */
export const LINGER_MS = 100

/**
 * When a queued frame leaves: with this call (direct messages, ACKs), at the end of the microtask
 * (the default), or within LINGER_MS, so bursts of news become one write (each write costs a Noise
 * frame and a syscall that wakes the reader: a hub taking 500 joins at once spent a third of its CPU
 * in socket writes).
 */
export const SendWhen = { now: 'now', soon: 'soon', linger: 'linger' } as const
export type SendWhen = typeof SendWhen[keyof typeof SendWhen]
const encoder = new TextEncoder()

type Settle = { resolve: (s: Session | PongFrame) => void, reject: (e: Error) => void }
/** Inbound sessions have nobody waiting on them: one shared no-op instead of two closures per session. */
const NO_SETTLE: Settle = { resolve: () => {}, reject: () => {} }

export type CloseReason = 'exit' | 'disconnect' | 'rejected' | 'error' | 'duplicate'

/** What the node supplies to the protocol; the protocol never decides membership itself. */
export interface SessionHost {
  readonly token: string
  readonly acceptsJoins: boolean
  readonly acceptText: boolean
  readonly authTimeoutMs: number
  readonly maxFrameBytes: number
  localName: () => string
  readonly localMode: string
  nameAvailable: (name: string, peerId: string) => boolean
  /** A session finished its handshake. Return false to refuse it (full, or a duplicate). */
  onOpen: (session: Session) => boolean
  onFrame: (session: Session, frame: Frame) => void
  /** Called once per session that opened, when it ends. */
  onClose: (session: Session, reason: CloseReason, code?: string) => void
  onPing: () => PongFrame
  /**
   * A peer was refused: it failed before it authenticated (listener), could not prove the token
   * (dialer), or was refused at JOIN (name taken, ...). `ban` is false for refusals that are not a
   * failed AUTH, which are only reported.
   */
  onRejected: (peerId: string, code: string, message: string, ban?: boolean) => void
  /** How long a peer that fails AUTH is refused; said in the ERR so the peer knows. */
  readonly banMs?: number
  /** How long this peer is still refused after a failed AUTH, in ms (0 = not banned). */
  bannedMs?: (peerId: string) => number
}

export class Session {
  readonly wire: Wire
  readonly role: AuthRole
  readonly remotePeer: string
  readonly connection: Connection
  readonly stream: Stream
  name = ''
  /** The remote's mode from its JOIN (peer, hub, leaf), or 'text' for a text client. */
  remoteMode = 'peer'
  opened = false
  private state: SessionState = { phase: 'auth' }
  private readonly ctx: SessionContext
  private readonly host: SessionHost
  /**
   * Splits the input into frames (JSON) or lines (text). Hub memory matters per session, so this is
   * one object and the per-chunk callbacks are methods, not closures kept per session.
   */
  private readonly decoder: LengthPrefixDecoder | LineDecoder
  /** Outgoing frames not yet written (this microtask's, and lingering ones); created on first use. */
  private queue: Uint8Array[] | undefined
  private flushScheduled = false
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private authTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  /** Dropped (to the shared no-op) once settled, so an open session holds no promise callbacks. */
  private settle: Settle

  constructor (stream: Stream, connection: Connection, host: SessionHost, role: AuthRole, purpose: Purpose, settle?: Settle) {
    this.stream = stream
    this.connection = connection
    this.host = host
    this.role = role
    this.wire = stream.protocol === TEXT_PROTOCOL ? Wire.text : Wire.json
    this.remotePeer = connection.remotePeer.toString()
    this.settle = settle ?? NO_SETTLE
    this.ctx = {
      wire: this.wire,
      role,
      purpose,
      token: host.token,
      localPeerId: '',
      remotePeerId: this.remotePeer,
      localName: host.localName(),
      localMode: host.localMode,
      acceptsJoins: host.acceptsJoins,
      nameAvailable: host.nameAvailable
    }
    this.decoder = this.wire === Wire.text ? new LineDecoder(host.maxFrameBytes) : new LengthPrefixDecoder(host.maxFrameBytes)
  }

  /** Wires events and sends the first frames. `localPeerId` binds the JSON proofs to this connection. */
  begin (localPeerId: string): void {
    this.ctx.localPeerId = localPeerId
    this.authTimer = setTimeout(() => {
      this.authTimer = undefined
      this.fail(ErrorCode.authTimeout, `no AUTH and JOIN within ${this.host.authTimeoutMs} ms`)
    }, this.host.authTimeoutMs)
    // The session itself is the listener object (handleEvent): no closures per session and event.
    this.stream.addEventListener('message', this)
    this.stream.addEventListener('remoteCloseWrite', this)
    this.stream.addEventListener('close', this)
    const first = startSession(this.ctx)
    this.apply(first.state, first.actions)
  }

  /** @internal The stream's events ('message', 'remoteCloseWrite', 'close'). */
  handleEvent (evt: Event): void {
    switch (evt.type) {
      case 'message': this.receive((evt as StreamMessageEvent).data); break
      case 'remoteCloseWrite': this.remoteEnded(); break
      case 'close': this.finish(this.opened ? 'disconnect' : 'error', undefined, (evt as StreamCloseEvent).error); break
    }
  }

  get encryption (): string { return this.connection.encryption ?? 'unknown' }
  get remoteAddr (): string { return this.connection.remoteAddr.toString() }

  send (frame: Frame): void {
    this.sendEncoded(this.wire === Wire.text ? encoder.encode(encodeTextLine(frame)) : encodeJsonFrame(frame))
  }

  /**
   * Sends bytes already encoded for this session's wire (lets a broadcast encode once). Whatever is
   * queued leaves in one write, in order, at the earliest time any queued frame asked for (SendWhen).
   */
  sendEncoded (bytes: Uint8Array, when: SendWhen = SendWhen.soon): void {
    if (this.closed) return
    if (this.queue === undefined) this.queue = [bytes]
    else this.queue.push(bytes)
    if (when === SendWhen.now) {
      this.flush()
    } else if (when === SendWhen.soon) {
      if (this.flushScheduled) return
      this.flushScheduled = true
      queueMicrotask(() => { this.flush() })
    } else {
      // Linger: a flush already due (microtask or timer) takes this frame along; else start the timer.
      if (this.lingerTimer !== undefined || this.flushScheduled) return
      this.lingerTimer = setTimeout(Session.flushLingering, LINGER_MS, this)
    }
  }

  /** Static, with the session as the timer's argument: no closure kept per session (see `decoder`). */
  private static flushLingering (s: Session): void {
    s.flush()
  }

  /** Bytes waiting to leave: our batch plus the stream's write buffer (metrics, /v1/sessions). */
  get queuedBytes (): number {
    let n = this.closed ? 0 : this.stream.writeBufferLength
    for (const b of this.queue ?? []) n += b.byteLength
    return n
  }

  /** True while the stream asks writers to wait for 'drain'. */
  get needsDrain (): boolean { return !this.closed && this.stream.writableNeedsDrain }

  /** Resolves once the outgoing queue has drained below the stream's high-water mark. */
  async writable (signal?: AbortSignal): Promise<void> {
    if (!this.needsDrain) return
    await pEvent(this.stream, 'drain', { rejectionEvents: ['close'], signal })
  }

  /**
   * Leaves cleanly: EXIT, flush, close, then wait (bounded) for the remote to close its side, which it
   * does once it has read the EXIT. Closing the connection before that can lose the EXIT: over TLS a
   * transport close discards what the remote has received but not yet decrypted.
   */
  async exit (): Promise<void> {
    if (this.closed) return
    const answered = this.opened && this.stream.remoteWriteStatus === 'writable'
      ? pEvent(this.stream, ['remoteCloseWrite', 'close'], { timeout: CLOSE_GRACE_MS }).catch(() => {})
      : undefined
    if (this.opened) this.send({ type: 'EXIT', name: this.host.localName() })
    await this.end('exit')
    await answered
  }

  /** Refuses a banned peer before it may say anything: ERR banned, then the whole connection closes. */
  refuse (code: ErrorCode, message: string): void {
    this.stream.addEventListener('message', () => {}) // read and drop what it sends meanwhile
    this.send({ type: 'ERR', code, message })
    this.closeConnectionSoon()
    void this.end('rejected', code)
  }

  /**
   * Closes the whole connection once the remote has read our last frame and closed the stream, or
   * after CLOSE_GRACE_MS. Closing at once can lose that frame: over TLS a transport close discards
   * what the remote has received but not yet decrypted.
   */
  private closeConnectionSoon (): void {
    const close = (): void => { this.connection.close().catch(err => { this.connection.abort(err) }) }
    const timer = setTimeout(close, CLOSE_GRACE_MS)
    this.stream.addEventListener('close', () => { clearTimeout(timer); close() }, { once: true })
  }

  /** Closes without EXIT, e.g. a duplicate of another session to the same peer. */
  async drop (code: ErrorCode, message: string): Promise<void> {
    if (this.closed) return
    this.send({ type: 'ERR', code, message })
    await this.end(code === ErrorCode.duplicateSession ? 'duplicate' : 'error', code)
  }

  private flush (): void {
    this.flushScheduled = false
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer)
      this.lingerTimer = undefined
    }
    const queue = this.queue
    if (this.closed || queue === undefined || queue.length === 0) return
    const batch = queue.length === 1 ? queue[0] as Uint8Array : new Uint8ArrayList(...queue)
    this.queue = undefined
    try {
      this.stream.send(batch)
    } catch (err) {
      this.finish('disconnect', undefined, err as Error)
      return
    }
    if (this.stream.writeBufferLength > MAX_QUEUED_BYTES) this.fail(ErrorCode.unexpectedFrame, 'slow consumer: too much unread data')
  }

  private receive (data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    try {
      if (this.decoder instanceof LineDecoder) {
        this.decoder.each(data instanceof Uint8Array ? data : data.subarray(), line => { this.onFrame(decodeClientLine(line)) })
      } else {
        this.decoder.each(data, body => { this.onFrame(decodeJsonFrame(body)) })
      }
    } catch (err) {
      const e = err as Error
      if (e.name === InvalidFrameError.name || e.name === ProtocolViolationError.name) {
        this.fail((e as InvalidFrameError).code, e.message)
      } else {
        this.fail(ErrorCode.unexpectedFrame, `internal error: ${e.message}`)
      }
    }
  }

  private onFrame (frame: Frame): void {
    if (this.closed) return
    const next = step(this.state, frame, this.ctx)
    this.apply(next.state, next.actions)
  }

  private remoteEnded (): void {
    if (this.closed) return
    if (this.role === AuthRole.listener && this.preAuth) {
      this.fail(ErrorCode.authRequired, 'the stream ended before AUTH completed')
      return
    }
    try {
      this.decoder.end()
    } catch (err) {
      this.fail((err as InvalidFrameError).code, (err as Error).message)
      return
    }
    void this.end(this.opened ? 'disconnect' : 'error')
  }

  private apply (state: SessionState, actions: SessionAction[]): void {
    const wasAuth = this.preAuth
    this.state = state
    for (const action of actions) {
      switch (action.type) {
        case 'send': this.send(action.frame); break
        case 'authenticated': break // the same deadline also covers JOIN; open() clears it
        case 'open': this.open(action.name, action.mode); break
        case 'frame': this.host.onFrame(this, action.frame); break
        case 'ping': this.send(this.host.onPing()); void this.end('exit'); break
        case 'pong': this.settle.resolve(action.frame as PongFrame); this.settle = NO_SETTLE; void this.end('exit'); break
        case 'close':
          if (action.reason === 'rejected') {
            const code = action.code ?? ErrorCode.unexpectedFrame
            // A dialer that refuses our proof does not share our token: a failed AUTH like any other.
            if (this.role === AuthRole.listener && wasAuth) this.host.onRejected(this.remotePeer, code, action.message ?? '')
            this.settle.reject(new SessionRejectedError(code, `${this.remotePeer} refused the session: ${code}: ${action.message ?? ''}`, { peerId: this.remotePeer }))
            void this.end('rejected', code)
          } else {
            void this.end('exit')
          }
          break
      }
    }
  }

  private open (name: string, mode?: string): void {
    this.clearAuthTimer()
    this.name = name
    if (mode !== undefined) this.remoteMode = mode
    if (!this.host.onOpen(this)) return
    this.opened = true
    this.settle.resolve(this)
    this.settle = NO_SETTLE
  }

  /** Clears and forgets the auth deadline (a cleared Timeout kept in a field still holds its callback). */
  private clearAuthTimer (): void {
    if (this.authTimer === undefined) return
    clearTimeout(this.authTimer)
    this.authTimer = undefined
  }

  /** Still proving tokens: failures now are failed AUTHs. */
  private get preAuth (): boolean { return this.state.phase === 'auth' }

  /** Refuses the remote: ERR, then close. Before AUTH the remote also gets reported (and banned). */
  private fail (code: ErrorCode, message: string): void {
    if (this.closed) return
    const preAuth = this.preAuth
    const banned = preAuth && this.role === AuthRole.listener && this.host.banMs !== undefined
    this.send({ type: 'ERR', code, message: banned ? `${message}; this peer is now refused for ${Math.ceil((this.host.banMs as number) / 1000)} s` : message })
    this.settle.reject(new SessionRejectedError(code, message, { peerId: this.remotePeer }))
    // A listener reports (and so bans) peers that fail AUTH; a dialer only a listener that failed its proof.
    if ((preAuth && this.role === AuthRole.listener) || code === ErrorCode.badToken) {
      this.host.onRejected(this.remotePeer, code, message)
      // A refused peer loses the whole connection, not just this stream.
      this.closeConnectionSoon()
      void this.end('error', code)
      return
    }
    // Refused after AUTH but before the session opened (a taken name, ...): reported, not banned.
    if (this.role === AuthRole.listener && !this.opened) this.host.onRejected(this.remotePeer, code, message, false)
    void this.end('error', code)
  }

  private async end (reason: CloseReason, code?: string): Promise<void> {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.clearAuthTimer()
    this.finish(reason, code)
    try {
      await this.stream.close({ signal: AbortSignal.timeout(CLOSE_GRACE_MS) })
    } catch (err) {
      this.stream.abort(err as Error)
    }
  }

  private finished = false
  private finish (reason: CloseReason, code?: string, error?: Error): void {
    this.closed = true
    this.clearAuthTimer()
    clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    if (this.finished) return
    this.finished = true
    this.settle.reject(error ?? new SessionRejectedError(code ?? 'closed', `session with ${this.remotePeer} closed before it opened`, { peerId: this.remotePeer }))
    if (this.opened) this.host.onClose(this, reason, code)
  }
}

export interface OverlayProtocolInit {
  host: SessionHost
  /** Refuse new inbound sessions beyond this many open ones. */
  maxSessions: number
  maxStreamsPerPeer: number
  openSessions: () => number
}

/** Registers the handlers and opens outbound sessions. */
export class OverlayProtocol {
  private readonly node: Libp2p
  private readonly init: OverlayProtocolInit

  constructor (node: Libp2p, init: OverlayProtocolInit) {
    this.node = node
    this.init = init
  }

  async start (): Promise<void> {
    const options = { maxInboundStreams: this.init.maxStreamsPerPeer }
    await this.node.handle(JSON_PROTOCOL, (stream, connection) => { this.accept(stream, connection) }, options)
    if (this.init.host.acceptText) {
      await this.node.handle(TEXT_PROTOCOL, (stream, connection) => { this.accept(stream, connection) }, options)
    }
  }

  async stop (): Promise<void> {
    await this.node.unhandle([JSON_PROTOCOL, TEXT_PROTOCOL])
  }

  /** Dials and runs the JSON handshake; resolves with the open session (or PONG for health). */
  async open (target: PeerId | Multiaddr | Multiaddr[], purpose: Purpose, signal: AbortSignal): Promise<Session | PongFrame> {
    const stream = await this.node.dialProtocol(target, JSON_PROTOCOL, { signal })
    const connection = this.node.getConnections().find(c => c.streams.includes(stream))
    if (connection === undefined) {
      stream.abort(new Error('connection closed during negotiation'))
      throw new SessionRejectedError('closed', 'connection closed during negotiation')
    }
    return await new Promise<Session | PongFrame>((resolve, reject) => {
      const onAbort = (): void => { stream.abort(signal.reason as Error); reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
      const done = { resolve: (v: Session | PongFrame) => { signal.removeEventListener('abort', onAbort); resolve(v) }, reject: (e: Error) => { signal.removeEventListener('abort', onAbort); reject(e) } }
      new Session(stream, connection, this.init.host, AuthRole.dialer, purpose, done).begin(this.node.peerId.toString())
    })
  }

  private accept (stream: Stream, connection: Connection): void {
    const session = new Session(stream, connection, this.init.host, AuthRole.listener, Purpose.join)
    const peer = connection.remotePeer.toString()
    const bannedMs = this.init.host.bannedMs?.(peer) ?? 0
    if (bannedMs > 0) {
      const message = `this peer is refused for ${Math.ceil(bannedMs / 1000)} s more, after a failed AUTH`
      this.init.host.onRejected(peer, ErrorCode.banned, message, false)
      session.refuse(ErrorCode.banned, message)
      return
    }
    session.begin(this.node.peerId.toString())
    if (this.init.openSessions() >= this.init.maxSessions) void session.drop(ErrorCode.tooManySessions, `this node holds ${this.init.maxSessions} sessions`)
  }
}
