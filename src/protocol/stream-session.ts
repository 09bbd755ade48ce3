/**
 * One session's life on one stream: input decoded in bounded turns (input.ts, so one flooding peer
 * cannot hold the event loop) -> codec -> the state machine (session.ts) -> actions; output through its
 * WriteQueue (write-queue.ts), bounded per session and per node; the auth deadline, rate limits,
 * and a clean or cut ending. Registration and dialling live in overlay-protocol.ts.
 */
import { pEvent } from 'p-event'
import { DEFAULT_CONTROL_BURST, DEFAULT_CONTROL_PER_SECOND, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_BYTES_TOTAL, DEFAULT_MSG_BURST, DEFAULT_MSG_PER_SECOND, DEFAULT_RATE_EXCESS_CUT_MS, DEFAULT_TEXT_MSG_BURST, DEFAULT_TEXT_MSG_PER_SECOND, TEXT_PROTOCOL } from '../constants.ts'
import { InvalidFrameError, ProtocolViolationError, SessionRejectedError } from '../errors.ts'
import { AuthRole } from './auth.ts'
import { ErrorCode, Wire } from './frames.ts'
import { InputBacklog, INPUT_SLICE_BYTES } from './input.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from './json-codec.ts'
import { FrameLimiter, Verdict } from './rate-limit.ts'
import { startSession, step } from './session.ts'
import { decodeClientLine, encodeTextLine, LineDecoder } from './text-codec.ts'
import { QueueBudget, SendWhen, WriteQueue } from './write-queue.ts'
import type { Frame, MeshFrame, PongFrame } from './frames.ts'
import type { CloseReason, ProtocolLimits, ProtocolStats, SessionEvents, SessionPolicy, SessionSettings } from './port.ts'
import type { Purpose, SessionAction, SessionContext, SessionState } from './session.ts'
import type { InputOwner } from './input.ts'
import type { QueueOwner } from './write-queue.ts'
import type { Connection, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const CLOSE_GRACE_MS = 1_000
const encoder = new TextEncoder()

/** What all sessions of one node share: settings, the policy and events ports, limits and counters. */
export class SessionShared {
  readonly settings: SessionSettings
  policy: SessionPolicy
  events: SessionEvents
  readonly budget: QueueBudget
  readonly limits: ProtocolLimits
  readonly stats: ProtocolStats = { slowConsumers: 0, rateLimited: 0, droppedMsgs: 0, droppedControl: 0, inputYields: 0 }

  constructor (settings: SessionSettings, policy: SessionPolicy, events: SessionEvents, limits: ProtocolLimits = defaultLimits()) {
    this.settings = settings
    this.policy = policy
    this.events = events
    this.limits = limits
    this.budget = new QueueBudget(limits.maxQueuedBytes, limits.maxQueuedBytesTotal)
  }
}

/** Who waits on a dialled session: for it to open (join) or to answer PONG (health). */
export interface Waiter {
  opened: (session: Session) => void
  ponged: (pong: PongFrame) => void
  failed: (err: Error) => void
}
/** Inbound sessions have nobody waiting on them: one shared no-op instead of closures per session. */
const NO_WAITER: Waiter = { opened: () => {}, ponged: () => {}, failed: () => {} }

export class Session implements QueueOwner, InputOwner {
  readonly wire: Wire
  readonly role: AuthRole
  readonly remotePeer: string
  readonly connection: Connection
  readonly stream: Stream
  name = ''
  /** The remote's mode from its JOIN (peer, hub, leaf), or Wire.text for a text client. */
  remoteMode: string = 'peer'
  opened = false
  private state: SessionState = { phase: 'auth' }
  private readonly ctx: SessionContext
  private readonly shared: SessionShared
  /**
   * Splits the input into frames (JSON) or lines (text). Hub memory matters per session, so this is
   * one object and the per-chunk callbacks are methods, not closures kept per session.
   */
  private readonly decoder: LengthPrefixDecoder | LineDecoder
  private readonly out: WriteQueue
  /** Created when the session opens: only open sessions carry rate-limited frames. */
  private limiter: FrameLimiter | undefined
  /** Input left over when a turn's budget ran out (input.ts). */
  private backlog: InputBacklog | undefined
  private framesIn = 0
  private authTimer: ReturnType<typeof setTimeout> | undefined
  /** No more input is read and no more frames are queued. */
  private closed = false
  /** Dropped (to the shared no-op) once settled, so an open session holds no promise callbacks. */
  private waiter: Waiter
  /** Set by the state machine's `authenticated` action: failures from then on are no failed AUTH. */
  private authenticated = false

  constructor (stream: Stream, connection: Connection, shared: SessionShared, role: AuthRole, purpose: Purpose, waiter: Waiter = NO_WAITER) {
    this.stream = stream
    this.connection = connection
    this.shared = shared
    this.role = role
    this.wire = stream.protocol === TEXT_PROTOCOL ? Wire.text : Wire.json
    this.remotePeer = connection.remotePeer.toString()
    this.waiter = waiter
    const { settings, policy } = shared
    this.ctx = {
      wire: this.wire,
      role,
      purpose,
      token: settings.token,
      localPeerId: '',
      remotePeerId: this.remotePeer,
      localName: policy.localName(),
      localMode: settings.localMode,
      acceptsJoins: settings.acceptsJoins,
      nameAvailable: policy.nameAvailable
    }
    this.decoder = this.wire === Wire.text ? new LineDecoder(settings.maxFrameBytes) : new LengthPrefixDecoder(settings.maxFrameBytes)
    this.out = new WriteQueue(stream, this, this.shared.budget)
  }

  /** Wires events and sends the first frames. `localPeerId` binds the JSON proofs to this connection. */
  begin (localPeerId: string): void {
    this.ctx.localPeerId = localPeerId
    this.authTimer = setTimeout(() => {
      this.authTimer = undefined
      this.fail(ErrorCode.authTimeout, `no AUTH and JOIN within ${this.shared.settings.authTimeoutMs} ms`)
    }, this.shared.settings.authTimeoutMs)
    // The session itself is the listener object (handleEvent): no closures per session and event.
    this.stream.addEventListener('message', this)
    this.stream.addEventListener('remoteCloseWrite', this)
    this.stream.addEventListener('close', this)
    this.stream.addEventListener('drain', this)
    const first = startSession(this.ctx)
    this.apply(first.state, first.actions)
  }

  /** @internal The stream's events ('message', 'remoteCloseWrite', 'close', 'drain'). */
  handleEvent (evt: Event): void {
    switch (evt.type) {
      case 'message': this.receive((evt as StreamMessageEvent).data); break
      case 'remoteCloseWrite':
        if (this.backlog !== undefined) this.backlog.end()
        else this.remoteEnded()
        break
      case 'close': this.finish(this.opened ? 'disconnect' : 'error', undefined, (evt as StreamCloseEvent).error); break
      case 'drain': this.out.check(); break
    }
  }

  get encryption (): string { return this.connection.encryption ?? 'unknown' }
  get remoteAddr (): string { return this.connection.remoteAddr.toString() }
  /** Bytes waiting to go to the remote: ours and the stream's write buffer (limits, metrics, /v1/sessions). */
  get queuedBytes (): number { return this.out.queuedBytes }

  send (frame: Frame): void {
    this.sendEncoded(this.wire === Wire.text ? encoder.encode(encodeTextLine(frame)) : encodeJsonFrame(frame))
  }

  /**
   * Sends bytes already encoded for this session's wire (lets a broadcast encode once). Whatever is
   * queued leaves in one write, in order, at the earliest time any queued frame asked for (SendWhen).
   */
  sendEncoded (bytes: Uint8Array, when: SendWhen = SendWhen.soon): void {
    if (this.closed) return
    this.out.push(bytes, when)
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
    if (this.opened) this.send({ type: 'EXIT', name: this.shared.policy.localName() })
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
    void this.remoteDone().finally(() => {
      this.connection.close({ signal: AbortSignal.timeout(CLOSE_GRACE_MS) }).catch(err => { this.connection.abort(err) })
    })
  }

  /** Closes without EXIT, e.g. a duplicate of another session to the same peer. */
  async drop (code: ErrorCode, message: string): Promise<void> {
    if (this.closed) return
    this.send({ type: 'ERR', code, message })
    await this.end(code === ErrorCode.duplicateSession ? 'duplicate' : 'error', code)
  }

  /** @internal QueueOwner: the stream refused a write. */
  writeFailed (err: Error): void {
    this.closed = true
    this.out.close()
    this.finish('disconnect', undefined, err)
  }

  /**
   * @internal QueueOwner: too much waits for a remote that does not read. No ERR (it would wait
   * behind the unread bytes): the stream is reset, which also frees what it buffered.
   */
  overflow (queued: number, limit: number, nodeWide: boolean): void {
    if (this.finished) return
    this.shared.stats.slowConsumers++
    this.cut(ErrorCode.slowConsumer, nodeWide
      ? `slow consumer: ${queued} bytes unsent while the node's sessions hold more than ${limit}`
      : `slow consumer: ${queued} bytes unsent, more than ${limit}`)
  }

  /** Ends the session at once: nothing more is read or written, the stream is reset. */
  private cut (code: ErrorCode, message: string): void {
    this.closed = true
    this.dropInput()
    this.out.close()
    this.finish('error', code, new SessionRejectedError(code, message, { peerId: this.remotePeer }))
    this.stream.abort(new SessionRejectedError(code, message, { peerId: this.remotePeer }))
  }

  private receive (data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    if (this.backlog !== undefined) {
      this.backlog.add(data)
      return
    }
    // The common case: one small chunk, decoded at once with nothing allocated.
    if (data instanceof Uint8Array && data.byteLength <= INPUT_SLICE_BYTES) {
      this.decode(data)
      return
    }
    this.backlog = new InputBacklog(this, data)
    this.backlog.run()
  }

  /** @internal InputOwner */
  decodeSlice (bytes: Uint8Array): void { this.decode(bytes) }
  /** @internal InputOwner */
  get framesDecoded (): number { return this.framesIn }
  /** @internal InputOwner */
  get inputClosed (): boolean { return this.closed }
  /** @internal InputOwner */
  inputYielded (): void { this.shared.stats.inputYields++ }
  /** @internal InputOwner: the backlog is decoded; the remote's end, held back meanwhile, comes now. */
  backlogDone (backlog: InputBacklog, ended: boolean): void {
    if (this.backlog === backlog) this.backlog = undefined
    if (ended) this.remoteEnded()
  }

  /** Forgets held input: nothing more is read. */
  private dropInput (): void {
    this.backlog?.drop()
    this.backlog = undefined
  }

  private decode (bytes: Uint8Array): void {
    try {
      if (this.decoder instanceof LineDecoder) {
        this.decoder.each(bytes, line => { this.onFrame(decodeClientLine(line)) })
      } else {
        this.decoder.each(bytes, body => { this.onFrame(decodeJsonFrame(body)) })
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
    this.framesIn++
    const next = step(this.state, frame, this.ctx)
    this.apply(next.state, next.actions)
  }

  /** The remote ended its side. Before AUTH: a partial line or frame is `truncated`; a clean end is no failure. */
  private remoteEnded (): void {
    if (this.closed) return
    try {
      this.decoder.end()
    } catch (err) {
      this.fail((err as InvalidFrameError).code, (err as Error).message)
      return
    }
    void this.end(this.opened ? 'disconnect' : 'error')
  }

  private apply (state: SessionState, actions: SessionAction[]): void {
    const wasAuth = !this.authenticated
    this.state = state
    for (const action of actions) {
      switch (action.type) {
        case 'send': this.send(action.frame); break
        case 'authenticated': this.authenticated = true; break // the deadline runs on: it covers JOIN too
        case 'open': this.open(action.name, action.mode); break
        case 'frame': this.deliver(action.frame); break
        case 'ping': this.send(this.shared.policy.pong()); void this.end('exit'); break
        case 'pong': this.waiter.ponged(action.frame); this.waiter = NO_WAITER; void this.end('exit'); break
        case 'close':
          if (action.reason === 'rejected') {
            const code = action.code ?? ErrorCode.unexpectedFrame
            // A dialer that refuses our proof does not share our token: a failed AUTH like any other.
            if (this.role === AuthRole.listener && wasAuth) this.shared.events.rejected(this.remotePeer, code, action.message ?? '', true)
            this.waiter.failed(new SessionRejectedError(code, `${this.remotePeer} refused the session: ${code}: ${action.message ?? ''}`, { peerId: this.remotePeer }))
            void this.end('rejected', code)
          } else {
            void this.end('exit')
          }
          break
      }
    }
  }

  /** Hands a mesh frame to the node, unless it is over the session's rate. */
  private deliver (frame: MeshFrame): void {
    const limiter = this.limiter ??= new FrameLimiter(this.shared.limits, Date.now(), this.wire === Wire.text)
    const verdict = limiter.check(frame, Date.now())
    if (verdict === Verdict.pass) {
      this.shared.events.frame(this, frame)
      return
    }
    if (frame.type === 'MSG' || frame.type === 'ACK') this.shared.stats.droppedMsgs++
    else this.shared.stats.droppedControl++
    if (verdict === Verdict.cut) {
      this.shared.stats.rateLimited++
      this.fail(ErrorCode.rateLimited, `more than the session's rate for ${this.shared.limits.rateExcessCutMs} ms`)
    }
  }

  private open (name: string, mode?: string): void {
    this.clearAuthTimer()
    this.name = name
    if (mode !== undefined) this.remoteMode = mode
    if (!this.shared.policy.admit(this)) return
    this.opened = true
    this.waiter.opened(this)
    this.waiter = NO_WAITER
  }

  /** Clears and forgets the auth deadline (a cleared Timeout kept in a field still holds its callback). */
  private clearAuthTimer (): void {
    if (this.authTimer === undefined) return
    clearTimeout(this.authTimer)
    this.authTimer = undefined
  }

  /** Refuses the remote: ERR, then close. Before AUTH the remote also gets reported (and banned). */
  private fail (code: ErrorCode, message: string): void {
    if (this.closed) return
    // Still proving tokens: failures now are failed AUTHs.
    const preAuth = !this.authenticated
    // A timeout proves nothing against the peer: a slow link or a busy node (ours) times honest clients out.
    const banMs = preAuth && this.role === AuthRole.listener && code !== ErrorCode.authTimeout ? this.shared.settings.banMs : undefined
    this.send({ type: 'ERR', code, message: banMs !== undefined ? `${message}; this peer is now refused for ${Math.ceil(banMs / 1000)} s` : message })
    this.waiter.failed(new SessionRejectedError(code, message, { peerId: this.remotePeer }))
    // A listener reports (and so bans) peers that fail AUTH; a dialer only a listener that failed its proof.
    if ((preAuth && this.role === AuthRole.listener) || code === ErrorCode.badToken) {
      this.shared.events.rejected(this.remotePeer, code, message, code !== ErrorCode.authTimeout)
      // A refused peer loses the whole connection, not just this stream, once the ERR had its chance.
      void this.end('error', code).finally(() => { this.closeConnectionSoon() })
      return
    }
    // Refused after AUTH but before the session opened (a taken name, ...): reported, not banned.
    if (this.role === AuthRole.listener && !this.opened) this.shared.events.rejected(this.remotePeer, code, message, false)
    void this.end('error', code)
  }

  /**
   * Waits (at most CLOSE_GRACE_MS) for the remote to end its side. Closing a connection whose socket
   * still holds unread input resets it, and the reset can destroy our ERR in the remote's receive
   * buffer before it was read (seen with a 10 MiB line before AUTH): so drain first, then close.
   */
  private async remoteDone (): Promise<void> {
    if (this.stream.remoteWriteStatus !== 'writable' || this.stream.status !== 'open') return
    await pEvent(this.stream, ['remoteCloseWrite', 'close'], { timeout: CLOSE_GRACE_MS }).catch(() => {})
  }

  private async end (reason: CloseReason, code?: ErrorCode): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.dropInput()
    this.clearAuthTimer()
    this.out.flush() // may find the remote too slow, and cut it instead
    this.out.close()
    this.finish(reason, code)
    try {
      await this.stream.close({ signal: AbortSignal.timeout(CLOSE_GRACE_MS) })
    } catch (err) {
      this.stream.abort(err as Error)
    }
  }

  private finished = false
  private finish (reason: CloseReason, code?: ErrorCode, error?: Error): void {
    this.closed = true
    this.clearAuthTimer()
    this.out.close()
    if (this.finished) return
    this.finished = true
    this.waiter.failed(error ?? new SessionRejectedError(code ?? 'closed', `session with ${this.remotePeer} closed before it opened`, { peerId: this.remotePeer }))
    if (this.opened) this.shared.events.closed(this, reason, code)
  }
}

export function defaultLimits (): ProtocolLimits {
  return {
    maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
    maxQueuedBytesTotal: DEFAULT_MAX_QUEUED_BYTES_TOTAL,
    msgPerSecond: DEFAULT_MSG_PER_SECOND,
    msgBurst: DEFAULT_MSG_BURST,
    textMsgPerSecond: DEFAULT_TEXT_MSG_PER_SECOND,
    textMsgBurst: DEFAULT_TEXT_MSG_BURST,
    controlPerSecond: DEFAULT_CONTROL_PER_SECOND,
    controlBurst: DEFAULT_CONTROL_BURST,
    rateExcessCutMs: DEFAULT_RATE_EXCESS_CUT_MS
  }
}
