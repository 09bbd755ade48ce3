/**
 * The overlay protocol as a libp2p service (shaped like @libp2p/ping): built from `components`
 * and `init`, it registers both protocol handlers in start() and removes them in stop(), and
 * opens sessions by opening a connection and then a stream on it. Each stream's life is a
 * Session (stream-session.ts).
 */
import { setMaxListeners } from 'node:events'
import { DEFAULT_AUTH_TIMEOUT_MS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_STREAMS_PER_PEER, JSON_PROTOCOL, TEXT_PROTOCOL } from '../constants.ts'
import { AuthRole } from './auth.ts'
import { ErrorCode } from './frames.ts'
import { Purpose } from './session.ts'
import { defaultLimits, Session, SessionShared } from './stream-session.ts'
import type { PongFrame } from './frames.ts'
import type { ProtocolLimits, ProtocolStats, SessionEvents, SessionPolicy } from './port.ts'
import type { Waiter } from './stream-session.ts'
import type { AbortOptions, Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What the service needs of libp2p: a registrar for handlers, a connection manager to dial. */
export interface OverlayProtocolComponents {
  peerId: PeerId
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  connectionManager: Pick<ConnectionManager, 'openConnection'>
}

export interface OverlayProtocolInit {
  /** The mesh token both sides prove. Required: without it no session can open. */
  token: string
  /** Sent in our JOINs, so the remote knows whether we relay. @default 'peer' */
  localMode?: string
  /** Take JOINs (a leaf does not). @default false */
  acceptsJoins?: boolean
  /** Also register the text protocol for line-based clients. @default false */
  acceptText?: boolean
  /** AUTH and JOIN must complete within this, in ms. @default DEFAULT_AUTH_TIMEOUT_MS */
  authTimeoutMs?: number
  /** @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number
  /** How long a peer that fails AUTH is refused (said in the ERR); undefined: the policy bans nobody. */
  banMs?: number
  /** Refuse new inbound sessions beyond this many open ones. @default DEFAULT_MAX_SESSIONS */
  maxSessions?: number
  /** Inbound streams per protocol per connection. @default DEFAULT_MAX_STREAMS_PER_PEER */
  maxStreamsPerPeer?: number
  /** Queue and rate limits. @default defaultLimits() */
  limits?: ProtocolLimits
  /** Answers the protocol's questions; until the owner sets one, every session is refused. */
  policy?: SessionPolicy
  /** Told what happens; until the owner sets them, nothing is told. */
  events?: SessionEvents
}

/** Refuses every session and answers PING with what it knows: a service nobody has bound yet (health probes). */
function refusingPolicy (mode: string): SessionPolicy {
  return {
    localName: () => mode,
    nameAvailable: () => false,
    bannedMs: () => 0,
    sessions: () => 0,
    admit: () => false,
    pong: () => ({ type: 'PONG', name: mode, mode, sessions: 0, members: 0 })
  }
}
const SILENT: SessionEvents = { frame: () => {}, closed: () => {}, rejected: () => {} }

export class OverlayProtocol implements Startable {
  private readonly components: OverlayProtocolComponents
  private readonly shared: SessionShared
  private readonly acceptText: boolean
  private readonly maxSessions: number
  private readonly maxStreamsPerPeer: number
  private started = false

  constructor (components: OverlayProtocolComponents, init: OverlayProtocolInit) {
    this.components = components
    const localMode = init.localMode ?? 'peer'
    this.shared = new SessionShared({
      token: init.token,
      localMode,
      acceptsJoins: init.acceptsJoins ?? false,
      authTimeoutMs: init.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
      maxFrameBytes: init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      banMs: init.banMs
    }, init.policy ?? refusingPolicy(localMode), init.events ?? SILENT, init.limits ?? defaultLimits())
    this.acceptText = init.acceptText ?? false
    this.maxSessions = init.maxSessions ?? DEFAULT_MAX_SESSIONS
    this.maxStreamsPerPeer = init.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER
  }

  readonly [Symbol.toStringTag] = 'p2p-overlay/protocol'

  /**
   * Binds the owner's policy and events. The owner (the node) is built after libp2p, which builds
   * this service, so it binds itself here, before libp2p starts; sessions read them when they run.
   */
  bind (policy: SessionPolicy, events: SessionEvents): void {
    this.shared.policy = policy
    this.shared.events = events
  }

  /** Counters of slow consumers, rate limits and input yields, and the bytes queued now. */
  stats (): ProtocolStats & { queuedBytes: number } {
    return { ...this.shared.stats, queuedBytes: this.shared.budget.queuedBytes }
  }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    if (this.started) return
    const options = { maxInboundStreams: this.maxStreamsPerPeer }
    const handler = (stream: Stream, connection: Connection): void => { this.accept(stream, connection) }
    await this.components.registrar.handle(JSON_PROTOCOL, handler, options)
    try {
      if (this.acceptText) await this.components.registrar.handle(TEXT_PROTOCOL, handler, options)
    } catch (err) {
      await this.components.registrar.unhandle(JSON_PROTOCOL)
      throw err
    }
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.components.registrar.unhandle(JSON_PROTOCOL)
    if (this.acceptText) await this.components.registrar.unhandle(TEXT_PROTOCOL)
  }

  /** Dials, runs the JSON handshake and JOIN; resolves with the open session. */
  async join (target: PeerId | Multiaddr | Multiaddr[], options: AbortOptions = {}): Promise<Session> {
    return await new Promise<Session>((resolve, reject) => {
      this.dial(target, Purpose.join, { opened: resolve, ponged: () => {}, failed: reject }, options).catch(reject)
    })
  }

  /** Dials, authenticates and asks PING; resolves with the remote's PONG. */
  async health (target: PeerId | Multiaddr | Multiaddr[], options: AbortOptions = {}): Promise<PongFrame> {
    return await new Promise<PongFrame>((resolve, reject) => {
      this.dial(target, Purpose.health, { opened: () => {}, ponged: resolve, failed: reject }, options).catch(reject)
    })
  }

  /** Opens a connection, then a stream on it, and begins a dialer session that settles `waiter`. */
  private async dial (target: PeerId | Multiaddr | Multiaddr[], purpose: Purpose, waiter: Waiter, options: AbortOptions): Promise<void> {
    const signal = options.signal ?? AbortSignal.timeout(this.shared.settings.authTimeoutMs)
    setMaxListeners(Infinity, signal)
    signal.throwIfAborted()
    const connection = await this.components.connectionManager.openConnection(target, { signal })
    const stream = await connection.newStream(JSON_PROTOCOL, { signal })
    if (signal.aborted) { // no 'abort' event will come for this
      stream.abort(signal.reason as Error)
      throw signal.reason
    }
    const onAbort = (): void => {
      stream.abort(signal.reason as Error)
      waiter.failed(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    const done = (): void => { signal.removeEventListener('abort', onAbort) }
    new Session(stream, connection, this.shared, AuthRole.dialer, purpose, {
      opened: s => { done(); waiter.opened(s) },
      ponged: p => { done(); waiter.ponged(p) },
      failed: e => { done(); waiter.failed(e) }
    }).begin(this.components.peerId.toString())
  }

  private accept (stream: Stream, connection: Connection): void {
    const session = new Session(stream, connection, this.shared, AuthRole.listener, Purpose.join)
    const peer = connection.remotePeer.toString()
    const bannedMs = this.shared.policy.bannedMs(peer)
    if (bannedMs > 0) {
      const message = `this peer is refused for ${Math.ceil(bannedMs / 1000)} s more, after a failed AUTH`
      this.shared.events.rejected(peer, ErrorCode.banned, message, false)
      session.refuse(ErrorCode.banned, message)
      return
    }
    session.begin(this.components.peerId.toString())
    if (this.shared.policy.sessions() >= this.maxSessions) void session.drop(ErrorCode.tooManySessions, `this node holds ${this.maxSessions} sessions`)
  }
}
