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
import { TypedEventEmitter } from 'main-event'
import { loadConfig } from '../config/load.ts'
import { DeliveryError, SessionRejectedError } from '../errors.ts'
import { Mesh } from '../mesh/mesh.ts'
import { OverlayProtocol, Session } from '../protocol/overlay-protocol.ts'
import { ErrorCode } from '../protocol/frames.ts'
import { Purpose } from '../protocol/session.ts'
import { runBootstrap } from './bootstrap.ts'
import { acquireDataDir, removeStatus, writeStatus } from './data-dir.ts'
import { Banlist } from './gater.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { MODES } from './modes.ts'
import { keepingAlive } from './keep-alive.ts'
import { loggerFor, unpinPeerId } from './per-connection.ts'
import { resolveToken } from './token.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { PartialConfig } from '../config/load.ts'
import type { MeshStats } from '../mesh/mesh.ts'
import type { Member } from '../mesh/roster.ts'
import type { OverlayEvent, OverlayEvents } from '../mesh/events.ts'
import type { PongFrame } from '../protocol/frames.ts'
import type { ProtocolStats } from '../protocol/overlay-protocol.ts'
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
}

export interface SessionInfo { peerId: string, name: string, wire: string, mode: string, encryption: string, remoteAddr: string }
export interface MemberInfo { name: string, peerId: string, state: string, since: number, addrs: string[], self: boolean }

export class OverlayNode extends TypedEventEmitter<OverlayEventMap> {
  readonly config: OverlayConfig
  readonly libp2p: Libp2p
  readonly token: TokenSource
  readonly dataDir: string
  readonly name: string
  private readonly mesh: Mesh
  private readonly protocol: OverlayProtocol
  private readonly bans: Banlist
  private readonly lock: DataDir
  private readonly stopping = new AbortController()
  private readonly dialing = new Set<string>()
  private inFlight = 0
  private readonly closed = new EventTarget()
  private state: 'new' | 'started' | 'stopped' = 'new'
  private resolveStopped!: () => void
  /** Resolves once the node has stopped, whether asked to or on a fatal error. */
  readonly stopped = new Promise<void>(resolve => { this.resolveStopped = resolve })
  /** Set when the node stopped itself because it cannot work (no hub, name taken). */
  fatalError?: { code: string, message: string }

  constructor (init: { config: OverlayConfig, libp2p: Libp2p, token: TokenSource, lock: DataDir, bans: Banlist, privateKey: PrivateKey }) {
    super()
    this.config = init.config
    this.libp2p = init.libp2p
    this.token = init.token
    this.lock = init.lock
    this.dataDir = init.lock.path
    this.bans = init.bans
    const behaviour = MODES[this.config.mode]
    const peerId = this.libp2p.peerId.toString()
    this.name = this.config.name ?? `node-${peerId.slice(-8)}`
    this.mesh = new Mesh({
      peerId,
      name: this.name,
      mode: this.config.mode,
      privateKey: init.privateKey,
      behaviour,
      config: this.config.mesh,
      maxFrameBytes: this.config.limits.maxFrameBytes,
      addrs: () => behaviour.acceptsJoins ? this.getMultiaddrs() : [],
      emit: event => { this.emitEvent(event) },
      onNameTaken: holder => { void this.fail('name_taken', `the name "${this.name}" is held by ${holder}, who joined first; pick another --name`) },
      dialMember: member => { this.dialMember(member) },
      pendingDials: () => this.inFlight
    })
    this.protocol = new OverlayProtocol(this.libp2p, {
      maxSessions: this.config.limits.maxSessions,
      maxStreamsPerPeer: this.config.limits.maxStreamsPerPeer,
      openSessions: () => this.mesh.sessions.size,
      limits: {
        maxQueuedBytes: this.config.limits.maxQueuedBytes,
        maxQueuedBytesTotal: this.config.limits.maxQueuedBytesTotal,
        msgPerSecond: this.config.limits.msgPerSecond,
        msgBurst: this.config.limits.msgBurst,
        textMsgPerSecond: this.config.limits.textMsgPerSecond,
        textMsgBurst: this.config.limits.textMsgBurst,
        controlPerSecond: this.config.limits.controlPerSecond,
        controlBurst: this.config.limits.controlBurst,
        rateExcessCutMs: this.config.limits.rateExcessCutMs
      },
      host: {
        token: this.token.token,
        acceptsJoins: behaviour.acceptsJoins,
        acceptText: this.config.acceptText,
        authTimeoutMs: this.config.timeouts.authMs,
        maxFrameBytes: this.config.limits.maxFrameBytes,
        localMode: this.config.mode,
        localName: () => this.name,
        nameAvailable: (name, peer) => name !== this.name && this.mesh.roster.nameAvailable(name, peer),
        onOpen: session => this.admit(session),
        onFrame: (session, frame) => { this.mesh.onFrame(session, frame) },
        onClose: (session, reason, code) => {
          this.mesh.sessionClosed(session, reason, code)
          this.closed.dispatchEvent(new Event(session.remotePeer))
        },
        onPing: () => this.pong(),
        onRejected: (peer, code, message) => {
          this.bans.ban(peer)
          this.emitEvent({ type: 'rejected', peerId: peer, code, message })
        }
      }
    })
  }

  get peerId (): string { return this.libp2p.peerId.toString() }
  get mode (): OverlayConfig['mode'] { return this.config.mode }

  /** Full multiaddrs, each ending in /p2p/<peerId>. */
  getMultiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  async start (): Promise<void> {
    if (this.state !== 'new') return
    this.state = 'started'
    this.starting = this.startServices()
    await this.starting
  }

  private starting?: Promise<void>
  private async startServices (): Promise<void> {
    await this.libp2p.start()
    await this.protocol.start()
    if (this.stopping.signal.aborted) return // stop() was called meanwhile; it finishes the teardown
    this.mesh.start()
    await writeStatus(this.dataDir, { peerId: this.peerId, name: this.name, mode: this.mode, addrs: this.getMultiaddrs(), pid: process.pid })
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
      fatal: err => { void this.fail('bootstrap_failed', err.message) },
      signal: this.stopping.signal
    })
  }

  /** Leaves cleanly: announces the exit mesh-wide, sends EXIT on every session, stops libp2p. */
  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    const wasStarted = this.state === 'started'
    this.state = 'stopped'
    // Held open, so a script whose last step is `await node.stop()` ends after the lock is released.
    await keepingAlive(async () => {
      this.stopping.abort()
      await this.starting?.catch(() => {})
      if (wasStarted) {
        this.mesh.leave()
        const exits = Promise.allSettled([...this.mesh.sessions.values()].map(async s => { await s.exit() }))
        await Promise.race([exits, new Promise(resolve => setTimeout(resolve, STOP_GRACE_MS).unref())])
        this.mesh.stop()
        await this.protocol.stop().catch(() => {})
      }
      await this.libp2p.stop()
      await removeStatus(this.dataDir)
      await this.lock.release()
    })
    this.resolveStopped()
  }

  /** Broadcasts to every member. Resolves once every session can take more (backpressure). */
  async send (text: string, options: { signal?: AbortSignal } = {}): Promise<{ id: string }> {
    this.checkText(text)
    const frame = this.mesh.broadcast(text)
    // Per-message path: nothing is allocated unless a session is actually full.
    let full: Session[] | undefined
    for (const s of this.mesh.sessions.values()) if (s.needsDrain) (full ??= []).push(s)
    if (full !== undefined) await Promise.all(full.map(async s => { await s.writable(options.signal) }))
    return { id: frame.id as string }
  }

  /** Sends to one member by name; resolves when it acknowledges. Refuses only by rejecting (DeliveryError, or TypeError for a bad text). */
  sendTo (name: string, text: string, options: { signal?: AbortSignal } = {}): Promise<{ id: string }> {
    try {
      this.checkText(text)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.mesh.sendTo(name, text, options.signal)
  }

  sessions (): SessionInfo[] {
    return [...this.mesh.sessions.values()].map(s => ({ peerId: s.remotePeer, name: s.name, wire: s.wire, mode: s.remoteMode, encryption: s.encryption, remoteAddr: s.remoteAddr }))
  }

  members (): MemberInfo[] {
    return this.mesh.members()
  }

  stats (): MeshStats & ProtocolStats & { sessions: number, members: number, queuedBytes: number } {
    return { ...this.mesh.stats, ...this.protocol.stats(), sessions: this.mesh.sessions.size, members: this.mesh.roster.present().length + 1 }
  }

  /** Opens a session (used by bootstrap and peer exchange); resolves with the remote peer id. */
  async openSession (target: Multiaddr | Multiaddr[], signal: AbortSignal): Promise<string> {
    this.inFlight++
    try {
      const session = await this.protocol.open(target, Purpose.join, signal) as Session
      return session.remotePeer
    } catch (err) {
      const e = err as SessionRejectedError
      // Both sides dialled at once: the other session won, and we are connected all the same.
      if (e.code === ErrorCode.duplicateSession && e.peerId !== undefined && this.mesh.sessions.has(e.peerId)) return e.peerId
      throw err
    } finally {
      this.inFlight--
    }
  }

  /** Asks a node for its health over the protocol (AUTH, then PING -> PONG). */
  async ping (target: Multiaddr | Multiaddr[], signal: AbortSignal): Promise<PongFrame> {
    return await this.protocol.open(target, Purpose.health, signal) as PongFrame
  }

  private admit (session: Session): boolean {
    if (this.state !== 'started') { void session.drop(ErrorCode.shuttingDown, 'this node is stopping'); return false }
    const old = this.mesh.sessions.get(session.remotePeer)
    if (old === undefined) {
      if (this.mesh.sessions.size >= this.config.limits.maxSessions) {
        void session.drop(ErrorCode.tooManySessions, `this node holds ${this.config.limits.maxSessions} sessions`)
        return false
      }
      this.mesh.sessionOpened(session)
      this.forgetPeerRecord(session)
      return true
    }
    // Two sessions to one peer: both ends keep the one dialled by the smaller peer id.
    const dialer = (s: Session): string => s.role === 'dialer' ? this.peerId : s.remotePeer
    const keepNew = old.wire === 'json' && session.wire === 'json' && dialer(session) !== dialer(old) && dialer(session) < dialer(old)
    if (!keepNew) {
      void session.drop(ErrorCode.duplicateSession, 'a session with this peer is already open')
      return false
    }
    void old.drop(ErrorCode.duplicateSession, 'replaced by a simultaneous session')
    this.mesh.sessionOpened(session)
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
    unpinPeerId(session.connection.remotePeer)
    this.libp2p.peerStore.delete(session.connection.remotePeer).catch(() => {})
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
    if (!this.mesh.sessions.has(peer)) return
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (this.mesh.sessions.has(peer) && !signal.aborted) return
        this.closed.removeEventListener(peer, check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      this.closed.addEventListener(peer, check)
      signal.addEventListener('abort', check)
    })
  }

  private pong (): PongFrame {
    return { type: 'PONG', name: this.name, mode: this.mode, sessions: this.mesh.sessions.size, members: this.mesh.roster.present().length + 1 }
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

/** Builds a node from a (partial) config: merged over defaults, validated, with identity and token resolved. */
export async function createOverlayNode (partial: PartialConfig = {}, options: CreateOptions = {}): Promise<OverlayNode> {
  const config = await loadConfig({ flags: partial, env: options.env ?? {} })
  return await createOverlayNodeFromConfig(config, options)
}

export async function createOverlayNodeFromConfig (config: OverlayConfig, options: CreateOptions = {}): Promise<OverlayNode> {
  const lock = await acquireDataDir(config.dataDir, config.name)
  try {
    const privateKey = options.privateKey ?? await loadOrCreateIdentity(lock.path)
    const token = await resolveToken({ dataDir: lock.path, ...(config.token === undefined ? {} : { token: config.token }), ...(config.tokenFile === undefined ? {} : { tokenFile: config.tokenFile }) })
    const bans = new Banlist(config.timeouts.banMs)
    const encrypters = config.encryption === 'tls' ? [tls(), noise()] : [noise(), tls()]
    const libp2p = await createLibp2p({
      start: false,
      privateKey,
      ...loggerFor(options.env ?? {}),
      addresses: { listen: config.listen ?? MODES[config.mode].defaultListen },
      transports: [tcp()],
      connectionEncrypters: encrypters,
      streamMuxers: [yamux()],
      connectionGater: bans.gater(options.connectionGater),
      connectionManager: {
        maxConnections: config.limits.maxSessions + 64,
        inboundConnectionThreshold: config.limits.inboundPerIpPerSecond,
        maxIncomingPendingConnections: Math.max(10, Math.min(config.limits.maxSessions, 1024)),
        dialTimeout: config.timeouts.dialMs
      },
      // Our own heartbeats judge liveness; one slow ping must not kill a busy connection.
      connectionMonitor: { abortConnectionOnPingFailure: false }
    })
    return new OverlayNode({ config, libp2p, token, lock, bans, privateKey })
  } catch (err) {
    await lock.release()
    throw err
  }
}
