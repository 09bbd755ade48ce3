/**
 * The one file that touches streams: registers both protocol handlers, dials, and runs each stream
 * through codec -> session state machine -> actions. Input is decoded in bounded turns, so one
 * flooding peer cannot hold the event loop; output goes through each
 * session's WriteQueue (write-queue.ts), bounded per session and per node.
 */
import { pEvent } from 'p-event'
import { DEFAULT_CONTROL_BURST, DEFAULT_CONTROL_PER_SECOND, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_BYTES_TOTAL, DEFAULT_MSG_BURST, DEFAULT_MSG_PER_SECOND, DEFAULT_RATE_EXCESS_CUT_MS, DEFAULT_TEXT_MSG_BURST, DEFAULT_TEXT_MSG_PER_SECOND, JSON_PROTOCOL, TEXT_PROTOCOL } from '../constants.ts'
import { InvalidFrameError, ProtocolViolationError, SessionRejectedError } from '../errors.ts'
import { AuthRole } from './auth.ts'
import { ErrorCode } from './frames.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from './json-codec.ts'
import { FrameLimiter, Verdict } from './rate-limit.ts'
import { startSession, step, Purpose, Wire } from './session.ts'
import { decodeClientLine, encodeTextLine, LineDecoder } from './text-codec.ts'
import { QueueBudget, SendWhen, WriteQueue } from './write-queue.ts'
import type { Frame, PongFrame } from './frames.ts'
import type { RateLimits } from './rate-limit.ts'
import type { SessionAction, SessionContext, SessionState } from './session.ts'
import type { QueueOwner } from './write-queue.ts'
import type { Connection, Libp2p, PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { Multiaddr } from '@multiformats/multiaddr'

export { LINGER_MS, SendWhen } from './write-queue.ts'

const CLOSE_GRACE_MS = 1_000
/** Input is decoded in slices of at most this many bytes, so a turn can stop between them. */
const INPUT_SLICE_BYTES = 16 * 1024
/** One session decodes for at most this long in one turn of the event loop, in ms. */
const INPUT_TURN_MS = 4
/** ...or at most this many frames, then it continues on the next turn. */
const INPUT_TURN_FRAMES = 1_000
/**
 * Input held over for later turns is capped: past this many bytes a session decodes all it holds at
 * once (as a node did before turns), so a sender faster than the node costs no unbounded memory.
 * (Pausing the stream instead, so yamux would hold the sender back, reset busy sessions: a 40 MB
 * broadcast lost its leaf's session in one run of three.)
 */
const INPUT_BACKLOG_BYTES = 16 * 1024 * 1024
const encoder = new TextEncoder()

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
  /** Called once per session that opened, when it ends; `code` says why it was cut, if it was. */
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

/** What all sessions of one node share. */
export class SessionShared {
  readonly budget: QueueBudget
  readonly limits: ProtocolLimits
  readonly stats: ProtocolStats = { slowConsumers: 0, rateLimited: 0, droppedMsgs: 0, droppedControl: 0, inputYields: 0 }

  constructor (limits: ProtocolLimits) {
    this.limits = limits
    this.budget = new QueueBudget(limits.maxQueuedBytes, limits.maxQueuedBytesTotal)
  }
}

type Settle = { resolve: (s: Session | PongFrame) => void, reject: (e: Error) => void }
/** Inbound sessions have nobody waiting on them: one shared no-op instead of two closures per session. */
const NO_SETTLE: Settle = { resolve: () => {}, reject: () => {} }

export class Session implements QueueOwner {
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
  private readonly shared: SessionShared
  /**
   * Splits the input into frames (JSON) or lines (text). Hub memory matters per session, so this is
   * one object and the per-chunk callbacks are methods, not closures kept per session.
   */
  private readonly decoder: LengthPrefixDecoder | LineDecoder
  private readonly out: WriteQueue
  /** Created when the session opens: only open sessions carry rate-limited frames. */
  private limiter: FrameLimiter | undefined
  /** Input left over when a turn's budget ran out. */
  private backlog: Uint8Array[] | undefined
  private backlogBytes = 0
  /** The remote ended its side while input was still waiting. */
  private endPending = false
  private pumpScheduled = false
  private framesIn = 0
  private authTimer: ReturnType<typeof setTimeout> | undefined
  /** No more input is read and no more frames are queued. */
  private closed = false
  /** Dropped (to the shared no-op) once settled, so an open session holds no promise callbacks. */
  private settle: Settle

  constructor (stream: Stream, connection: Connection, host: SessionHost, role: AuthRole, purpose: Purpose, settle?: Settle, shared?: SessionShared) {
    this.stream = stream
    this.connection = connection
    this.host = host
    this.shared = shared ?? defaultShared()
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
    this.out = new WriteQueue(stream, this, this.shared.budget)
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
    this.stream.addEventListener('drain', this)
    const first = startSession(this.ctx)
    this.apply(first.state, first.actions)
  }

  /** @internal The stream's events ('message', 'remoteCloseWrite', 'close', 'drain'). */
  handleEvent (evt: Event): void {
    switch (evt.type) {
      case 'message': this.receive((evt as StreamMessageEvent).data); break
      case 'remoteCloseWrite':
        if (this.backlog !== undefined) this.endPending = true
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
    this.backlog = undefined
    this.out.close()
    this.finish('error', code, new SessionRejectedError(code, message, { peerId: this.remotePeer }))
    this.stream.abort(new SessionRejectedError(code, message, { peerId: this.remotePeer }))
  }

  private receive (data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    if (this.backlog !== undefined) {
      // Input that arrives while earlier input waits for its turn.
      if (data instanceof Uint8Array) this.backlog.push(data)
      else for (const piece of data) this.backlog.push(piece)
      this.backlogBytes += data.byteLength
      this.schedulePump()
      return
    }
    // The common case: one small chunk, decoded at once with nothing allocated.
    if (data instanceof Uint8Array && data.byteLength <= INPUT_SLICE_BYTES) {
      this.decode(data)
      return
    }
    this.backlog = data instanceof Uint8Array ? [data] : [...data]
    this.backlogBytes = data.byteLength
    this.pump()
  }

  /** Decodes the backlog, slice by slice, until it is empty or the turn's budget is spent. */
  private pump (): void {
    const started = performance.now()
    const framesBefore = this.framesIn
    while (!this.closed) {
      const backlog = this.backlog
      const piece = backlog?.[0]
      if (backlog === undefined || piece === undefined) break
      let slice = piece
      if (piece.byteLength > INPUT_SLICE_BYTES) {
        slice = piece.subarray(0, INPUT_SLICE_BYTES)
        backlog[0] = piece.subarray(INPUT_SLICE_BYTES)
      } else {
        backlog.shift()
      }
      this.backlogBytes -= slice.byteLength
      this.decode(slice)
      if (backlog.length > 0 && this.backlogBytes <= INPUT_BACKLOG_BYTES && (this.framesIn - framesBefore >= INPUT_TURN_FRAMES || performance.now() - started >= INPUT_TURN_MS)) {
        // Go on in a later turn of the event loop, so other sessions and timers run first.
        this.shared.stats.inputYields++
        this.schedulePump()
        return
      }
    }
    this.backlog = undefined
    this.backlogBytes = 0
    if (this.closed) return
    if (this.endPending && this.backlog === undefined && !this.closed) {
      this.endPending = false
      this.remoteEnded()
    }
  }

  /** Continues the backlog on a later turn (once, however often asked). */
  private schedulePump (): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(Session.continuePump, this)
  }

  /** Static, with the session as the argument: no closure kept per session. */
  private static continuePump (s: Session): void {
    s.pumpScheduled = false
    if (s.closed) { s.backlog = undefined; return }
    if (s.backlog !== undefined) s.pump()
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
    const wasAuth = this.preAuth
    this.state = state
    for (const action of actions) {
      switch (action.type) {
        case 'send': this.send(action.frame); break
        case 'authenticated': break // the same deadline also covers JOIN; open() clears it
        case 'open': this.open(action.name, action.mode); break
        case 'frame': this.deliver(action.frame); break
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

  /** Hands a mesh frame to the node, unless it is over the session's rate. */
  private deliver (frame: Frame): void {
    const limiter = this.limiter ??= new FrameLimiter(this.shared.limits, Date.now(), this.wire === Wire.text)
    const verdict = limiter.check(frame, Date.now())
    if (verdict === Verdict.pass) {
      this.host.onFrame(this, frame)
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
      // A refused peer loses the whole connection, not just this stream, once the ERR had its chance.
      void this.end('error', code).finally(() => { this.closeConnectionSoon() })
      return
    }
    // Refused after AUTH but before the session opened (a taken name, ...): reported, not banned.
    if (this.role === AuthRole.listener && !this.opened) this.host.onRejected(this.remotePeer, code, message, false)
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

  private async end (reason: CloseReason, code?: string): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.backlog = undefined
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
  private finish (reason: CloseReason, code?: string, error?: Error): void {
    this.closed = true
    this.clearAuthTimer()
    this.out.close()
    if (this.finished) return
    this.finished = true
    this.settle.reject(error ?? new SessionRejectedError(code ?? 'closed', `session with ${this.remotePeer} closed before it opened`, { peerId: this.remotePeer }))
    if (this.opened) this.host.onClose(this, reason, code)
  }
}

/** Shared state for sessions made without a protocol (unit tests): the default limits. */
let fallbackShared: SessionShared | undefined
function defaultShared (): SessionShared {
  return (fallbackShared ??= new SessionShared(defaultLimits()))
}

function defaultLimits (): ProtocolLimits {
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

export interface OverlayProtocolInit {
  host: SessionHost
  /** Refuse new inbound sessions beyond this many open ones. */
  maxSessions: number
  maxStreamsPerPeer: number
  openSessions: () => number
  /** Queue and rate limits; the defaults when absent. */
  limits?: ProtocolLimits
}

/** Registers the handlers and opens outbound sessions. */
export class OverlayProtocol {
  private readonly node: Libp2p
  private readonly init: OverlayProtocolInit
  private readonly shared: SessionShared

  constructor (node: Libp2p, init: OverlayProtocolInit) {
    this.node = node
    this.init = init
    this.shared = new SessionShared(init.limits ?? defaultLimits())
  }

  /** Counters of slow consumers, rate limits and input yields, and the bytes queued now. */
  stats (): ProtocolStats & { queuedBytes: number } {
    return { ...this.shared.stats, queuedBytes: this.shared.budget.queuedBytes }
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
      new Session(stream, connection, this.init.host, AuthRole.dialer, purpose, done, this.shared).begin(this.node.peerId.toString())
    })
  }

  private accept (stream: Stream, connection: Connection): void {
    const session = new Session(stream, connection, this.init.host, AuthRole.listener, Purpose.join, undefined, this.shared)
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
