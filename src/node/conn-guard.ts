/**
 * Connection-level limits against outsiders, through libp2p's own hooks: the connection gater's
 * `denyInboundConnection` (sees the remote IP right after TCP accept, before any handshake) applies
 * the per-IP caps and failed-auth bans of ip-ledger.ts; an inbound connection with no authenticated
 * overlay session within the auth deadline is aborted; what libp2p's connection manager refuses
 * (pending limit, maxConnections, per-IP rate) is counted. Outbound connections are never touched.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { IpLedger } from './ip-ledger.ts'
import type { IpLedgerCounters, IpLimits } from './ip-ledger.ts'
import type { Connection, ConnectionGater, Libp2p, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Forgotten addresses (no connection, no ban, no recent failure) are swept this often, in ms. */
const PRUNE_EVERY_MS = 30_000

export interface ConnGuardInit extends IpLimits {
  /** timeouts.authMs: an inbound connection must hold an authenticated session this soon after its handshake. */
  authMs: number
  /** timeouts.upgradeMs: libp2p's inboundUpgradeTimeout (counted here when it cuts a handshake). */
  upgradeMs: number
  /** limits.maxPendingConnections: libp2p's maxIncomingPendingConnections (to tell its refusals apart). */
  maxPendingConnections: number
  now?: () => number
}

export interface ConnGuardStats {
  /** Inbound connections held now (handshaking or upgraded). */
  inbound: number
  /** Of those, the ones with no authenticated session yet. */
  unauthenticated: number
  /** Addresses serving a failed-auth ban now. */
  bannedIps: number
  /** Refused before the handshake, by reason. */
  refused: IpLedgerCounters['refused'] & { pendingLimit: number, maxConnections: number, rateLimit: number }
  /** Cut after they were accepted, by reason. */
  cut: { authDeadline: number, upgradeTimeout: number }
  authFailures: number
  ipBans: number
}

/** What the guard reports to the node, as `rejected` events. */
export type GuardReport = (peerId: string, code: string, message: string) => void

/**
 * One admitted inbound connection. It is its socket's 'close' listener itself (handleEvent), and
 * its deadline timer gets it as an argument: no closures per connection (a hub holds hundreds).
 */
class Tracked {
  readonly guard: ConnGuard
  readonly ip: string
  readonly key: string
  readonly since: number
  authenticated = false
  upgraded = false
  released = false
  /** The deadline was moved once for an overlay handshake in progress. */
  extended = false
  connection?: Connection
  timer?: ReturnType<typeof setTimeout>

  constructor (guard: ConnGuard, ip: string, key: string, since: number) {
    this.guard = guard
    this.ip = ip
    this.key = key
    this.since = since
  }

  /** @internal The socket's 'close' event. */
  handleEvent (evt: Event): void {
    this.guard.release(this, (evt as Event & { error?: Error }).error)
  }
}

/** The subset of libp2p's (internal) connection manager the refusal counter needs. */
interface AcceptingManager {
  acceptIncomingConnection: (maConn: MultiaddrConnection) => boolean
  getConnections: () => Connection[]
  getMaxConnections: () => number
  incomingPendingConnections?: number
}

/** The remote IP of a TCP multiaddr and an ip+port key that names the socket; undefined if not IP. */
function remoteIp (ma: Multiaddr): { ip: string, key: string } | undefined {
  let ip: string | undefined
  let port = ''
  for (const c of ma.getComponents()) {
    if ((c.name === 'ip4' || c.name === 'ip6') && ip === undefined) ip = c.value
    else if (c.name === 'tcp' && port === '') port = c.value ?? ''
  }
  return ip === undefined ? undefined : { ip, key: `${ip}/${port}` }
}

export class ConnGuard {
  readonly ledger: IpLedger
  /** Set by the node: turns the start of an address ban into a `rejected` event. */
  report: GuardReport = () => {}
  private readonly init: ConnGuardInit
  private readonly now: () => number
  /** Admitted sockets by remote ip/port, until libp2p hands over the upgraded Connection (then byConnection). */
  private readonly byAddr = new Map<string, Tracked>()
  private readonly byConnection = new WeakMap<Connection, Tracked>()
  private readonly counters = {
    refused: { pendingLimit: 0, maxConnections: 0, rateLimit: 0 },
    cut: { authDeadline: 0, upgradeTimeout: 0 }
  }

  private libp2p?: Libp2p
  private pruner?: ReturnType<typeof setInterval>

  constructor (init: ConnGuardInit) {
    this.init = init
    this.now = init.now ?? Date.now
    this.ledger = new IpLedger(init)
  }

  /** The gater hook, combined with an optional extra gater (asked first). */
  gater (extra: ConnectionGater = {}): ConnectionGater {
    return {
      ...extra,
      denyInboundConnection: async maConn => (await extra.denyInboundConnection?.(maConn) ?? false) || this.denyInbound(maConn)
    }
  }

  /**
   * A libp2p service that only counts what the connection manager refuses before the gater is
   * asked (libp2p emits no event for it): it wraps `acceptIncomingConnection`.
   */
  service (): (components: { connectionManager: unknown }) => object {
    return components => {
      const cm = components.connectionManager as AcceptingManager
      const accept = cm.acceptIncomingConnection.bind(cm)
      cm.acceptIncomingConnection = maConn => {
        const ok = accept(maConn)
        if (!ok) this.countManagerRefusal(cm)
        return ok
      }
      return {}
    }
  }

  start (libp2p: Libp2p): void {
    if (this.libp2p !== undefined) return
    this.libp2p = libp2p
    libp2p.addEventListener('connection:open', this.onOpen)
    libp2p.addEventListener('connection:close', this.onClose)
    this.pruner = setInterval(() => { this.ledger.prune(this.now()) }, PRUNE_EVERY_MS)
    this.pruner.unref()
  }

  stop (): void {
    this.libp2p?.removeEventListener('connection:open', this.onOpen)
    this.libp2p?.removeEventListener('connection:close', this.onClose)
    clearInterval(this.pruner)
    // Upgraded connections' timers went with their connections when libp2p stopped.
    for (const t of this.byAddr.values()) clearTimeout(t.timer)
  }

  /** A session on this connection proved the token: it is no longer counted as unauthenticated. */
  authenticated (connection: Connection): void {
    const t = this.byConnection.get(connection)
    if (t === undefined || t.authenticated || t.released) return
    t.authenticated = true
    clearTimeout(t.timer)
    t.timer = undefined
    this.ledger.authenticated(t.ip)
  }

  /**
   * A peer failed AUTH in a way that bans it: charged to the address of its inbound connection (never
   * to peers we dialled). Timeouts ban nobody (stream-session.ts), so they never come here.
   */
  authFailed (peerId: string): void {
    let conns: Connection[]
    try {
      conns = this.libp2p?.getConnections(peerIdFromString(peerId)) ?? []
    } catch {
      return
    }
    const conn = conns.find(c => c.direction === 'inbound')
    const addr = conn === undefined ? undefined : remoteIp(conn.remoteAddr)
    if (addr === undefined) return
    if (this.ledger.authFailed(addr.ip, this.now())) {
      this.report(peerId, 'ip_banned', `${addr.ip} failed ${this.init.maxAuthFailuresPerIp} authentications within ${this.init.failureWindowMs} ms; refused for ${this.init.banMs} ms`)
    }
  }

  stats (): ConnGuardStats {
    const now = this.now()
    const totals = this.ledger.totals(now)
    const c = this.ledger.counters
    return {
      inbound: totals.open,
      unauthenticated: totals.unauthenticated,
      bannedIps: totals.bannedIps,
      refused: { ...c.refused, ...this.counters.refused },
      cut: { ...this.counters.cut },
      authFailures: c.authFailures,
      ipBans: c.ipBans
    }
  }

  private denyInbound (maConn: MultiaddrConnection): boolean {
    const addr = remoteIp(maConn.remoteAddr)
    if (addr === undefined) return false // not an IP transport: nothing to count by
    if (maConn.status !== 'open') return true // already gone; its close event has passed
    if (this.ledger.admit(addr.ip, this.now()) !== undefined) return true
    const t = new Tracked(this, addr.ip, addr.key, this.now())
    this.byAddr.set(addr.key, t)
    maConn.addEventListener('close', t, { once: true })
    return false
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    const connection = evt.detail
    if (connection.direction !== 'inbound') return
    const addr = remoteIp(connection.remoteAddr)
    const t = addr === undefined ? undefined : this.byAddr.get(addr.key)
    if (t === undefined || t.released) return
    this.byAddr.delete(t.key)
    t.upgraded = true
    t.connection = connection
    this.byConnection.set(connection, t)
    if (t.authenticated) return
    t.timer = setTimeout(ConnGuard.onDeadline, this.init.authMs, t)
    t.timer.unref()
  }

  private static onDeadline (t: Tracked): void {
    t.guard.deadline(t)
  }

  private readonly onClose = (evt: CustomEvent<Connection>): void => {
    const t = this.byConnection.get(evt.detail)
    if (t !== undefined) this.release(t)
  }

  /**
   * No session yet. A stream still running here (say, a client retrying on the
   * connection its first, timed-out attempt left behind) gets one more authMs: its own deadline
   * closes the connection if it fails. Otherwise, or the second time, the connection is cut. Not a
   * `rejected` event: nothing was refused, and a client that gave up on a slow hub ends here too.
   */
  private deadline (t: Tracked): void {
    t.timer = undefined
    const connection = t.connection
    if (t.authenticated || t.released || connection === undefined) return
    // Any stream: under load a retry's stream may still be negotiating its protocol.
    if (!t.extended && connection.streams.length > 0) {
      t.extended = true
      t.timer = setTimeout(ConnGuard.onDeadline, this.init.authMs, t)
      t.timer.unref()
      return
    }
    this.counters.cut.authDeadline++
    connection.abort(new Error(`no authenticated session within ${this.init.authMs} ms of connecting`))
  }

  /** @internal The connection closed (its socket's 'close', or libp2p's connection:close). */
  release (t: Tracked, error?: Error): void {
    if (t.released) return
    t.released = true
    t.connection = undefined
    clearTimeout(t.timer)
    t.timer = undefined
    if (this.byAddr.get(t.key) === t) this.byAddr.delete(t.key)
    const now = this.now()
    // libp2p aborts a handshake that outlives inboundUpgradeTimeout; the error it gives varies by
    // stage (TimeoutError, AbortError, or the encrypter's own), so judge by age.
    if (!t.upgraded && error !== undefined && now - t.since >= this.init.upgradeMs - 50) this.counters.cut.upgradeTimeout++
    this.ledger.release(t.ip, t.authenticated, now)
  }

  private countManagerRefusal (cm: AcceptingManager): void {
    // The manager checks, in order: pending handshakes, the per-IP rate, then maxConnections.
    if ((cm.incomingPendingConnections ?? 0) >= this.init.maxPendingConnections) this.counters.refused.pendingLimit++
    else if (cm.getConnections().length >= cm.getMaxConnections()) this.counters.refused.maxConnections++
    else this.counters.refused.rateLimit++
  }
}
