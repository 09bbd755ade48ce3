/**
 * createOverlayNode: assembles identity, token, libp2p (TCP + Noise/TLS + yamux), the protocol and
 * the mesh from one validated config. The only createLibp2p call in the package.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2pOptions } from 'libp2p'
import { TypedEventEmitter } from 'main-event'
import { ConfigError, DeliveryError, SessionRejectedError } from '../errors.ts'
import { Mesh } from '../mesh/mesh.ts'
import { linkOf } from './session-link.ts'
import { overlayProtocol } from '../protocol/index.ts'
import { ErrorCode, Wire } from '../protocol/frames.ts'
import { runBootstrap } from './bootstrap.ts'
import { ConnGuard } from './conn-guard.ts'
import { acquireDataDir, removeStatus, writeStatus } from './data-dir.ts'
import { Banlist } from './gater.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { MODES } from './modes.ts'
import { keepingAlive } from './keep-alive.ts'
import { Outbox } from './outbox.ts'
import { loggerFor, unpinPeerId } from './per-connection.ts'
import { resolveToken } from './token.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { MeshStats } from '../mesh/mesh.ts'
import type { SessionLink } from './session-link.ts'
import type { Member } from '../mesh/roster.ts'
import type { OverlayEvent, OverlayEvents } from '../events.ts'
import type { PongFrame } from '../protocol/frames.ts'
import type { ConnGuardStats } from './conn-guard.ts'
import type { OverlayProtocol, OverlayProtocolInit } from '../protocol/overlay-protocol.ts'
import type { ProtocolStats } from '../protocol/port.ts'
import type { Session } from '../protocol/stream-session.ts'
import type { DataDir } from './data-dir.ts'
import type { TokenSource } from './token.ts'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const STOP_GRACE_MS = 2_000

export type OverlayEventMap = { [K in keyof OverlayEvents]: CustomEvent<OverlayEvents[K]> }

export interface CreateOptions {
  /** Use this key instead of the data dir's identity (tests, benchmarks). */
  privateKey?: PrivateKey
  /** Extra gater rules, combined with the ban list (tests cut partitions with it). */
  connectionGater?: ConnectionGater
  /** Environment for OVERLAY_* variables and DEBUG (libp2p logging); the library reads none unless given. */
  env?: Record<string, string | undefined>
  /** Prepares what runs beside the node (src/create.ts passes the control API); none by default. */
  companion?: (config: OverlayConfig) => Promise<Companion | undefined>
}

/**
 * A server that runs beside the node, such as the control API: prepared before libp2p is created
 * (libp2p's metrics must be passed in then), started once the node listens, closed when it stops.
 * The node knows it only through this, so the layer above (src/api/) is never imported here.
 */
export interface Companion {
  /** Passed to createLibp2p when this companion holds the process's libp2p metrics. */
  libp2pMetrics?: Libp2pOptions['metrics']
  start: (node: OverlayNode) => Promise<CompanionServer>
  /** Gives back what prepare took (the libp2p metrics claim), started or not. */
  release: () => void
}

export interface CompanionServer {
  url: string
  /** url + `/?token=…`: opens the UI and sets its cookie. */
  uiUrl: string
  close: () => Promise<void>
}

export interface SessionInfo { peerId: string, name: string, wire: string, mode: string, encryption: string, remoteAddr: string, queuedBytes: number }
export interface MemberInfo {
  name: string
  peerId: string
  state: string
  since: number
  addrs: string[]
  self: boolean
  /** Incarnation: bumped by the member on every restart and refutation. */
  inc: number
  mode?: string
  /** The node that speaks for this member (text clients), if not itself. */
  host?: string
  /** Local time of its latest heartbeat; null for this node. */
  lastHeard: number | null
  /** Round trip in ms: our probes' for a neighbour, else the smoothed direct-ack round trip; null when unknown. */
  rttMs: number | null
}
/** Why the node is (not) ready to serve: a hub listens; a leaf or a bootstrapped peer holds a session. */
export type Readiness = { ready: true } | { ready: false, reason: string }
/** Weight of a new sample in the smoothed direct-ack round trip. */
const RTT_ALPHA = 0.25
/** How long our own address list is reused (see getMultiaddrs). */
const ADDRS_TTL_MS = 1_000

export class OverlayNode extends TypedEventEmitter<OverlayEventMap> {
  readonly config: OverlayConfig
  readonly libp2p: OverlayLibp2p
  readonly token: TokenSource
  readonly dataDir: string
  readonly name: string
  private readonly mesh: Mesh<SessionLink>
  private readonly protocol: OverlayProtocol
  private readonly bans: Banlist
  private readonly guard: ConnGuard
  private readonly lock: DataDir
  private readonly stopping = new AbortController()
  private readonly dialing = new Set<string>()
  private inFlight = 0
  /** A leaf's lines waiting for a hub; undefined for peers and hubs. */
  private readonly outbox: Outbox | undefined
  private flushing = false
  private dropsReported = 0
  private readonly drainWaiters: Array<() => void> = []
  private readonly closed = new EventTarget()
  private state: 'new' | 'started' | 'stopped' = 'new'
  private resolveStopped!: () => void
  /** Resolves once the node has stopped, whether asked to or on a fatal error. */
  readonly stopped = new Promise<void>(resolve => { this.resolveStopped = resolve })
  /** Set when the node stopped itself because it cannot work (no hub, name taken). */
  fatalError?: { code: string, message: string }
  /** When start() finished (epoch ms). */
  startedAt?: number
  /** Called with each direct message's acknowledgement round trip, in ms (the API's histogram). */
  onAckRtt?: (ms: number) => void
  private readonly companion: Companion | undefined
  private api?: CompanionServer
  private readonly ackRtt = new Map<string, number>()
  /** Our addresses, as strings, and until when they hold: every new session's claim carries them. */
  private addrs: { list: string[], until: number } | undefined

  constructor (init: { config: OverlayConfig, libp2p: OverlayLibp2p, token: TokenSource, lock: DataDir, bans: Banlist, guard: ConnGuard, privateKey: PrivateKey, companion?: Companion }) {
    super()
    this.companion = init.companion
    this.config = init.config
    this.libp2p = init.libp2p
    this.token = init.token
    this.lock = init.lock
    this.dataDir = init.lock.path
    this.bans = init.bans
    this.guard = init.guard
    this.guard.report = (peerId, code, message) => { this.emitEvent({ type: 'rejected', peerId, code, message }) }
    for (const change of ['transport:listening', 'transport:close', 'self:peer:update'] as const) {
      this.libp2p.addEventListener(change, () => { this.addrs = undefined })
    }
    const behaviour = MODES[this.config.mode]
    const peerId = this.libp2p.peerId.toString()
    this.name = this.config.name ?? `node-${peerId.slice(-8)}`
    this.outbox = behaviour.oneUpstream ? new Outbox({ messages: this.config.limits.queueMessages, bytes: this.config.limits.queueBytes }) : undefined
    this.mesh = new Mesh<SessionLink>({
      peerId,
      name: this.name,
      mode: this.config.mode,
      privateKey: init.privateKey,
      behaviour,
      config: this.config.mesh,
      maxFrameBytes: this.config.limits.maxFrameBytes,
      addrs: () => behaviour.acceptsJoins ? this.getMultiaddrs() : [],
      emit: event => { this.emitEvent(event) },
      dialMember: member => { this.dialMember(member) },
      pendingDials: () => this.inFlight
    })
    this.protocol = this.libp2p.services.overlay
    this.protocol.bind({
      localName: () => this.name,
      nameAvailable: (name, peer) => name !== this.name && this.mesh.roster.nameAvailable(name, peer),
      bannedMs: peer => this.bans.remainingMs(peer),
      sessions: () => this.mesh.links.size,
      admit: session => this.admit(session),
      pong: () => this.pong()
    }, {
      frame: (session, frame) => { this.mesh.onFrame(linkOf(session), frame) },
      closed: (session, reason, code) => {
        this.mesh.linkClosed(linkOf(session), reason, code)
        this.closed.dispatchEvent(new Event(session.remotePeer))
      },
      rejected: (peer, code, message, ban) => {
        if (ban) {
          this.bans.ban(peer)
          this.guard.authFailed(peer)
        }
        this.emitEvent({ type: 'rejected', peerId: peer, code, message })
      }
    })
  }

  get peerId (): string { return this.libp2p.peerId.toString() }
  get mode (): OverlayConfig['mode'] { return this.config.mode }

  /**
   * Full multiaddrs, each ending in /p2p/<peerId>. Kept ADDRS_TTL_MS: libp2p builds them afresh on
   * each call (a wildcard listener lists the network interfaces), and they change without an event
   * when an interface does.
   */
  getMultiaddrs (): string[] {
    const now = Date.now()
    if (this.addrs === undefined || now >= this.addrs.until) this.addrs = { list: this.libp2p.getMultiaddrs().map(ma => ma.toString()), until: now + ADDRS_TTL_MS }
    return [...this.addrs.list]
  }

  async start (): Promise<void> {
    if (this.state !== 'new') return
    this.state = 'started'
    this.starting = this.startServices()
    await this.starting
  }

  private starting?: Promise<void>
  private async startServices (): Promise<void> {
    this.guard.start(this.libp2p)
    await this.libp2p.start() // starts the protocol service too: its handlers are registered
    if (this.stopping.signal.aborted) return // stop() was called meanwhile; it finishes the teardown
    this.mesh.start()
    await writeStatus(this.dataDir, { peerId: this.peerId, name: this.name, mode: this.mode, addrs: this.getMultiaddrs(), pid: process.pid })
    this.startedAt = Date.now()
    if (this.companion !== undefined) this.api = await this.companion.start(this)
    this.emitEvent({ type: 'listening', peerId: this.peerId, addrs: this.getMultiaddrs(), name: this.name, mode: this.mode })
    const behaviour = MODES[this.config.mode]
    runBootstrap({
      addrs: this.config.bootstrap,
      oneUpstream: behaviour.oneUpstream,
      retry: this.config.retry,
      dialMs: this.config.timeouts.dialMs,
      open: async (ma, signal) => await this.openSession(ma, signal),
      waitClosed: async (peer, signal) => { await this.waitClosed(peer, signal) },
      emit: event => { this.emitEvent(event) },
      fatal: err => { void this.fail(err.code ?? 'bootstrap_failed', err.message) },
      signal: this.stopping.signal
    })
  }

  /** Leaves cleanly: announces the exit mesh-wide, sends EXIT on every session, stops libp2p. */
  async stop (): Promise<void> {
    // A second call (a user's stop while the node stops itself on a fatal error) waits for the first.
    this.stopDone ??= this.teardown()
    await this.stopDone
  }

  private stopDone?: Promise<void>
  private async teardown (): Promise<void> {
    const wasStarted = this.state === 'started'
    this.state = 'stopped'
    // Held open, so a script whose last step is `await node.stop()` ends after the lock is released.
    await keepingAlive(async () => {
      this.stopping.abort()
      await this.starting?.catch(() => {})
      if (wasStarted) {
        this.mesh.leave()
        const exits = Promise.allSettled([...this.mesh.links.values()].map(async l => { await l.session.exit() }))
        await Promise.race([exits, new Promise(resolve => setTimeout(resolve, STOP_GRACE_MS).unref())])
        this.mesh.stop()
        await this.protocol.stop().catch(() => {})
        this.settleDrained()
      }
      await this.libp2p.stop()
      this.guard.stop()
      await this.api?.close().catch(() => {})
      this.companion?.release()
      await removeStatus(this.dataDir)
      await this.lock.release()
    })
    this.resolveStopped()
  }

  /**
   * Broadcasts to every member. Resolves once every session can take more (backpressure). A leaf
   * without a hub (not yet joined, or reconnecting) queues the line instead (`queued`: no id yet) and
   * sends it once joined; past limits.queueMessages / queueBytes the line is dropped and reported.
   */
  async send (text: string, options: { signal?: AbortSignal } = {}): Promise<{ id: string, queued?: boolean }> {
    this.checkText(text)
    if (this.outbox !== undefined && (this.mesh.links.size === 0 || this.outbox.length > 0)) {
      if (!this.outbox.push(text)) this.reportDrop()
      return { id: '', queued: true }
    }
    const frame = this.mesh.broadcast(text)
    // Per-message path: nothing is allocated unless a session is actually full.
    let full: Session[] | undefined
    for (const { session: s } of this.mesh.links.values()) if (s.needsDrain) (full ??= []).push(s)
    if (full !== undefined) await Promise.all(full.map(async s => { await s.writable(options.signal) }))
    return { id: frame.id }
  }

  /** Sends to one member by name; resolves when it acknowledges. Refuses only by rejecting (DeliveryError, or TypeError for a bad text). */
  sendTo (name: string, text: string, options: { signal?: AbortSignal } = {}): Promise<{ id: string }> {
    try {
      this.checkText(text)
    } catch (err) {
      return Promise.reject(err)
    }
    const started = performance.now()
    return this.mesh.sendTo(name, text, options.signal).then(result => {
      this.observeAck(name, performance.now() - started)
      return result
    })
  }

  /** The control API's address, while it runs. */
  get apiUrl (): string | undefined { return this.api?.url }

  /** The URL that opens the UI and sets its cookie, while the API runs. */
  get uiUrl (): string | undefined { return this.api?.uiUrl }

  /** Liveness: the process and libp2p run. */
  live (): boolean {
    return this.state === 'started' && this.libp2p.status === 'started'
  }

  readiness (): Readiness {
    if (!this.live()) return { ready: false, reason: this.state === 'stopped' ? 'stopped' : 'starting' }
    if (this.startedAt === undefined) return { ready: false, reason: 'starting' }
    const behaviour = MODES[this.config.mode]
    const needsSession = !behaviour.acceptsJoins || this.config.bootstrap.length > 0
    if (behaviour.acceptsJoins && this.getMultiaddrs().length === 0) return { ready: false, reason: 'not_listening' }
    if (needsSession && this.mesh.links.size === 0) return { ready: false, reason: 'no_session' }
    return { ready: true }
  }

  /** The edges this node knows: its sessions, and for each member reached through a neighbour, that route. */
  routes (): Array<{ target: string, via: string }> {
    return this.mesh.routeTable().map(([target, via]) => ({ target, via }))
  }

  private observeAck (name: string, ms: number): void {
    const peerId = this.mesh.roster.byName(name)?.peerId
    if (peerId !== undefined) {
      const prev = this.ackRtt.get(peerId)
      this.ackRtt.set(peerId, prev === undefined ? ms : prev + RTT_ALPHA * (ms - prev))
    }
    this.onAckRtt?.(ms)
  }

  sessions (): SessionInfo[] {
    return [...this.mesh.links.values()].map(({ session: s }) => ({ peerId: s.remotePeer, name: s.name, wire: s.wire, mode: s.remoteMode, encryption: s.encryption, remoteAddr: s.remoteAddr, queuedBytes: s.queuedBytes }))
  }

  members (): MemberInfo[] {
    return this.mesh.members().map(m => {
      const rtt = m.self ? undefined : this.mesh.rttOf(m.peerId) ?? this.ackRtt.get(m.peerId)
      return { ...m, rttMs: rtt === undefined ? null : Math.round(rtt * 10) / 10 }
    })
  }

  stats (): MeshStats & ProtocolStats & { queuedBytes: number, sessions: number, members: number, queued: number, queueSent: number, queueDropped: number, connections: ConnGuardStats } {
    return {
      ...this.mesh.stats,
      ...this.protocol.stats(),
      sessions: this.mesh.links.size,
      members: this.mesh.roster.present().length + 1,
      queued: this.outbox?.length ?? 0,
      queueSent: this.outbox?.sent ?? 0,
      queueDropped: this.outbox?.dropped ?? 0,
      connections: this.guard.stats()
    }
  }

  /** Resolves once no line waits in a leaf's queue (at once for peers and hubs), or the node stopped. */
  async drained (): Promise<void> {
    if (this.outbox === undefined || this.state === 'stopped' || (this.outbox.length === 0 && !this.flushing)) return
    await new Promise<void>(resolve => { this.drainWaiters.push(resolve) })
  }

  private settleDrained (): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }

  /** Sends what a leaf queued while it had no hub, in order, minding backpressure. */
  private async flushOutbox (): Promise<void> {
    const outbox = this.outbox
    if (outbox === undefined || this.flushing) return
    this.flushing = true
    try {
      let n = 0
      while (outbox.length > 0 && this.mesh.links.size > 0 && this.state === 'started') {
        this.mesh.broadcast(outbox.shift() as string)
        for (const { session: s } of this.mesh.links.values()) if (s.needsDrain) await s.writable(this.stopping.signal).catch(() => {})
        if (++n % 256 === 0) await new Promise(resolve => setImmediate(resolve))
      }
    } finally {
      this.flushing = false
    }
    if (outbox.dropped > this.dropsReported) {
      this.emitEvent({ type: 'error', code: 'queue_dropped', message: `${outbox.dropped - this.dropsReported} lines typed while there was no hub did not fit the queue (limits.queueMessages ${this.config.limits.queueMessages}, limits.queueBytes ${this.config.limits.queueBytes}) and were dropped` })
      this.dropsReported = outbox.dropped
    }
    if (outbox.length === 0 || this.state !== 'started') this.settleDrained()
  }

  /** The first drop of an outage is said at once; the total follows when the queue is sent. */
  private reportDrop (): void {
    if (this.outbox === undefined || this.outbox.dropped - this.dropsReported !== 1) return
    this.emitEvent({ type: 'error', code: 'queue_full', message: `no hub yet and the queue is full (limits.queueMessages ${this.config.limits.queueMessages}, limits.queueBytes ${this.config.limits.queueBytes}): new lines are dropped until it is sent` })
  }

  /** Opens a session (used by bootstrap and peer exchange); resolves with the remote peer id. */
  async openSession (target: Multiaddr | Multiaddr[], signal: AbortSignal): Promise<string> {
    this.inFlight++
    try {
      const session = await this.protocol.join(target, { signal })
      return session.remotePeer
    } catch (err) {
      const e = err as SessionRejectedError
      // Both sides dialled at once: the other session won, and we are connected all the same.
      if (e.code === ErrorCode.duplicateSession && e.peerId !== undefined && this.mesh.links.has(e.peerId)) return e.peerId
      throw err
    } finally {
      this.inFlight--
    }
  }

  private admit (session: Session): boolean {
    // It proved the token: the connection is no longer an outsider's (auth deadline, per-IP caps).
    this.guard.authenticated(session.connection)
    if (this.state !== 'started') { void session.drop(ErrorCode.shuttingDown, 'this node is stopping'); return false }
    const old = this.mesh.links.get(session.remotePeer)?.session
    if (old === undefined) {
      if (this.mesh.links.size >= this.config.limits.maxSessions) {
        void session.drop(ErrorCode.tooManySessions, `this node holds ${this.config.limits.maxSessions} sessions`)
        return false
      }
      this.mesh.linkOpened(linkOf(session))
      this.forgetPeerRecord(session)
      if (this.outbox !== undefined && this.outbox.length > 0) queueMicrotask(() => { void this.flushOutbox() })
      return true
    }
    // Two sessions to one peer: both ends keep the one dialled by the smaller peer id.
    const dialer = (s: Session): string => s.role === 'dialer' ? this.peerId : s.remotePeer
    const keepNew = old.wire === Wire.json && session.wire === Wire.json && dialer(session) !== dialer(old) && dialer(session) < dialer(old)
    if (!keepNew) {
      void session.drop(ErrorCode.duplicateSession, 'a session with this peer is already open')
      return false
    }
    void old.drop(ErrorCode.duplicateSession, 'replaced by a simultaneous session')
    this.mesh.linkOpened(linkOf(session))
    this.forgetPeerRecord(session)
    return true
  }

  /**
   * libp2p writes a peer-store record ({ protocols: [ours] }) for every peer it negotiates a stream
   * with. The overlay never reads it: it dials multiaddrs from the roster, never bare peer ids, and
   * runs no identify or topology. Kept, each record costs a hub about 2.5 KiB per session: the
   * small protobuf value is a view on an 8 KiB Buffer pool slab, which it keeps alive.
   */
  private forgetPeerRecord (session: Session): void {
    // After this turn: the JOIN answer and the roster leave first.
    setImmediate(() => {
      unpinPeerId(session.connection.remotePeer)
      this.libp2p.peerStore.delete(session.connection.remotePeer).catch(() => {})
    })
  }

  private dialMember (member: Member): void {
    if (this.dialing.has(member.peerId) || this.state !== 'started' || this.bans.banned(member.peerId)) return
    this.dialing.add(member.peerId)
    const addrs = member.addrs.map(a => multiaddr(a))
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.config.timeouts.dialMs)])
    this.openSession(addrs, signal)
      .catch(() => {}) // peer exchange is best effort; the next heartbeat tries another member
      .finally(() => this.dialing.delete(member.peerId))
  }

  private async waitClosed (peer: string, signal: AbortSignal): Promise<void> {
    if (!this.mesh.links.has(peer)) return
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (this.mesh.links.has(peer) && !signal.aborted) return
        this.closed.removeEventListener(peer, check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      this.closed.addEventListener(peer, check)
      signal.addEventListener('abort', check)
    })
  }

  private pong (): PongFrame {
    return { type: 'PONG', name: this.name, mode: this.mode, sessions: this.mesh.links.size, members: this.mesh.roster.present().length + 1 }
  }

  private checkText (text: string): void {
    if (this.state !== 'started') throw new DeliveryError('not_started', 'start the node before sending')
    if (typeof text !== 'string' || text.includes('\n') || text.includes('\r')) throw new TypeError('a message is one line of text: no CR or LF')
  }

  private async fail (code: string, message: string): Promise<void> {
    if (this.state === 'stopped') return
    this.fatalError = { code, message }
    this.emitEvent({ type: 'error', code, message })
    await this.stop()
  }

  private emitEvent (event: OverlayEvent): void {
    const { type, ...detail } = event
    this.safeDispatchEvent(type, { detail } as never)
  }
}

/**
 * Builds a node from a validated config, with identity and token resolved, and whatever
 * `options.companion` prepares. src/create.ts adds the control API (the package's createOverlayNode).
 */
export async function createNodeCore (config: OverlayConfig, options: CreateOptions = {}): Promise<OverlayNode> {
  // A generated token can never match the hub's, and a node that takes no JOINs (a leaf) would wait forever.
  if (!MODES[config.mode].acceptsJoins && config.token === undefined && config.tokenFile === undefined) {
    throw new ConfigError('token', 'a leaf needs the token of the hub it dials (token or tokenFile; it never generates one)')
  }
  const lock = await acquireDataDir(config.dataDir, config.name)
  let api: Companion | undefined
  try {
    const privateKey = options.privateKey ?? await loadOrCreateIdentity(lock.path)
    const token = await resolveToken({ dataDir: lock.path, ...(config.token === undefined ? {} : { token: config.token }), ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }) })
    const bans = new Banlist(config.timeouts.banMs)
    api = await options.companion?.(config)
    const limits = config.limits
    const guard = new ConnGuard({
      maxConnectionsPerIp: limits.maxConnectionsPerIp,
      maxUnauthenticatedPerIp: limits.maxUnauthenticatedPerIp,
      maxAuthFailuresPerIp: limits.maxAuthFailuresPerIp,
      failureWindowMs: config.timeouts.authFailureWindowMs,
      banMs: config.timeouts.banMs,
      authMs: config.timeouts.authMs,
      upgradeMs: config.timeouts.upgradeMs,
      maxPendingConnections: limits.maxPendingConnections
    })
    const libp2p = await createOverlayLibp2p(config, {
      start: false,
      privateKey,
      env: options.env ?? {},
      listen: config.listen ?? MODES[config.mode].defaultListen,
      connectionGater: bans.gater(guard.gater(options.connectionGater)),
      guard,
      protocol: {
        token: token.token,
        localMode: config.mode,
        acceptsJoins: MODES[config.mode].acceptsJoins,
        acceptText: config.acceptText,
        authTimeoutMs: config.timeouts.authMs,
        banMs: config.timeouts.banMs,
        maxFrameBytes: limits.maxFrameBytes,
        maxSessions: limits.maxSessions,
        maxStreamsPerPeer: limits.maxStreamsPerPeer,
        // The config's limits section holds every protocol limit (structurally a ProtocolLimits).
        limits
      },
      ...(api?.libp2pMetrics === undefined ? {} : { metrics: api.libp2pMetrics })
    })
    return new OverlayNode({ config, libp2p, token, lock, bans, guard, privateKey, ...(api === undefined ? {} : { companion: api }) })
  } catch (err) {
    api?.release()
    await lock.release()
    throw err
  }
}

/** A libp2p node with the overlay protocol as its `overlay` service. */
export type OverlayLibp2p = Libp2p<{ overlay: OverlayProtocol }>

export interface OverlayLibp2pOptions {
  /** The protocol service's settings (its policy and events are bound by the node). */
  protocol: OverlayProtocolInit
  /** Default: a fresh Ed25519 key (a throwaway identity, as the health probe uses). */
  privateKey?: PrivateKey
  /** Multiaddrs to listen on; none for a node that only dials. */
  listen: string[]
  /** Start at once (the default), or leave it to the caller. */
  start?: boolean
  env?: Record<string, string | undefined>
  connectionGater?: ConnectionGater
  /** Counts what the connection manager refuses (a listening node's). */
  guard?: ConnGuard
  metrics?: Libp2pOptions['metrics']
}

/** How often yamux pings a connection after its first ping (ms). */
const MUXER_PING_MS = 10 * 60_000

/**
 * The package's one createLibp2p call: TCP, Noise and TLS (the config's first), yamux, the
 * config's connection limits, and the overlay protocol as a service. The node and the health
 * probe both build theirs here.
 */
export async function createOverlayLibp2p (config: OverlayConfig, options: OverlayLibp2pOptions): Promise<OverlayLibp2p> {
  const limits = config.limits
  const encrypters = config.encryption === 'tls' ? [tls(), noise()] : [noise(), tls()]
  const guard = options.guard
  return await createLibp2p({
    start: options.start ?? true,
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    ...loggerFor(options.env ?? {}),
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: encrypters,
    // yamux pings each connection every 30 s by default, only to time it (a failed ping closes
    // nothing): our probes already do both. Its first ping still times the window's growth.
    streamMuxers: [yamux({ keepAliveInterval: MUXER_PING_MS })],
    ...(options.connectionGater === undefined ? {} : { connectionGater: options.connectionGater }),
    connectionManager: {
      // Room for every session even while one address holds its whole unauthenticated allowance.
      maxConnections: limits.maxSessions + limits.maxUnauthenticatedPerIp + 64,
      inboundConnectionThreshold: limits.inboundPerIpPerSecond,
      maxIncomingPendingConnections: limits.maxPendingConnections,
      inboundUpgradeTimeout: config.timeouts.upgradeMs,
      dialTimeout: config.timeouts.dialMs
    },
    services: {
      overlay: overlayProtocol(options.protocol),
      ...(guard === undefined ? {} : { connGuard: guard.service() })
    },
    // Our probes judge liveness and give neighbours' round trips: libp2p's ping would cost every
    // connection a stream negotiation every 10 s (most of the idle CPU), and kill a busy one.
    connectionMonitor: { enabled: false },
    ...(options.metrics === undefined ? {} : { metrics: options.metrics })
  })
}
