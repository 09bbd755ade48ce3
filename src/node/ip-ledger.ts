/**
 * Per-IP accounting for inbound connections: how many each address holds, how many of those have
 * no authenticated session yet, and how many authentications it failed lately. Pure: no sockets,
 * no timers; the caller passes the clock. conn-guard.ts wires it to libp2p.
 */

/** Why an inbound connection was refused before its handshake (also its counter's name in stats). */
export const IpRefusal = {
  /** The address failed too many authentications and serves its ban (timeouts.banMs). */
  ipBanned: 'ipBanned',
  /** limits.maxConnectionsPerIp */
  perIpConnections: 'perIpConnections',
  /** limits.maxUnauthenticatedPerIp */
  perIpUnauthenticated: 'perIpUnauthenticated'
} as const
export type IpRefusal = typeof IpRefusal[keyof typeof IpRefusal]

export interface IpLimits {
  maxConnectionsPerIp: number
  maxUnauthenticatedPerIp: number
  /** Failed authentications within `failureWindowMs` that start a ban. */
  maxAuthFailuresPerIp: number
  failureWindowMs: number
  banMs: number
}

interface IpRecord {
  open: number
  unauthenticated: number
  /** Fixed window: failures counted since windowStart. */
  windowStart: number
  failures: number
  bannedUntil: number
}

export interface IpLedgerCounters {
  refused: Record<IpRefusal, number>
  /** Failed authentications counted against an address's budget. */
  authFailures: number
  /** Bans started because an address used up its budget. */
  ipBans: number
}

/**
 * The key an address is counted under: an IPv4 address as is (also when IPv4-mapped), an IPv6
 * address by its /64, since one IPv6 host is usually given a whole /64 to pick from.
 */
export function ipKey (ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped !== null) return mapped[1] as string
  if (!ip.includes(':')) return ip
  const bare = ip.split('%')[0] as string // drop a zone id (fe80::1%eth0)
  const [head = '', tail] = bare.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(8 - left.length - right.length, 0)).fill('0'), ...right]
  return `${groups.slice(0, 4).map(g => (g.replace(/^0+(?=.)/, '') || '0').toLowerCase()).join(':')}::/64`
}

export class IpLedger {
  private readonly limits: IpLimits
  private readonly records = new Map<string, IpRecord>()
  readonly counters: IpLedgerCounters = {
    refused: { ipBanned: 0, perIpConnections: 0, perIpUnauthenticated: 0 },
    authFailures: 0,
    ipBans: 0
  }

  constructor (limits: IpLimits) {
    this.limits = limits
  }

  /**
   * A new inbound connection from `ip`: counted as open and unauthenticated and undefined returned,
   * or refused (and nothing counted but the refusal).
   */
  admit (ip: string, now: number): IpRefusal | undefined {
    const key = ipKey(ip)
    const r = this.records.get(key)
    let refusal: IpRefusal | undefined
    if (r !== undefined && r.bannedUntil > now) refusal = IpRefusal.ipBanned
    else if (r !== undefined && r.open >= this.limits.maxConnectionsPerIp) refusal = IpRefusal.perIpConnections
    else if (r !== undefined && r.unauthenticated >= this.limits.maxUnauthenticatedPerIp) refusal = IpRefusal.perIpUnauthenticated
    if (refusal !== undefined) {
      this.counters.refused[refusal]++
      return refusal
    }
    const rec = r ?? this.add(key, now)
    rec.open++
    rec.unauthenticated++
    return undefined
  }

  /** An admitted connection got its first authenticated session. Call at most once per connection. */
  authenticated (ip: string): void {
    const r = this.records.get(ipKey(ip))
    if (r !== undefined && r.unauthenticated > 0) r.unauthenticated--
  }

  /** An admitted connection closed; `authenticated` says whether authenticated() was called for it. */
  release (ip: string, authenticated: boolean, now: number): void {
    const key = ipKey(ip)
    const r = this.records.get(key)
    if (r === undefined) return
    if (r.open > 0) r.open--
    if (!authenticated && r.unauthenticated > 0) r.unauthenticated--
    this.forgetIfIdle(key, r, now)
  }

  /** Counts a failed authentication; true when it starts a ban of the address. */
  authFailed (ip: string, now: number): boolean {
    const key = ipKey(ip)
    const r = this.records.get(key) ?? this.add(key, now)
    this.counters.authFailures++
    if (r.bannedUntil > now) return false
    if (now - r.windowStart >= this.limits.failureWindowMs) {
      r.windowStart = now
      r.failures = 0
    }
    r.failures++
    if (r.failures < this.limits.maxAuthFailuresPerIp) return false
    r.bannedUntil = now + this.limits.banMs
    r.failures = 0
    this.counters.ipBans++
    return true
  }

  banned (ip: string, now: number): boolean {
    return (this.records.get(ipKey(ip))?.bannedUntil ?? 0) > now
  }

  /** What one address holds now (for tests and stats). */
  usage (ip: string): { open: number, unauthenticated: number } {
    const r = this.records.get(ipKey(ip))
    return { open: r?.open ?? 0, unauthenticated: r?.unauthenticated ?? 0 }
  }

  totals (now: number): { open: number, unauthenticated: number, bannedIps: number, trackedIps: number } {
    let open = 0
    let unauthenticated = 0
    let bannedIps = 0
    for (const r of this.records.values()) {
      open += r.open
      unauthenticated += r.unauthenticated
      if (r.bannedUntil > now) bannedIps++
    }
    return { open, unauthenticated, bannedIps, trackedIps: this.records.size }
  }

  /** Drops addresses with nothing open, no ban and no failures in the current window (call now and then). */
  prune (now: number): void {
    for (const [key, r] of this.records) this.forgetIfIdle(key, r, now)
  }

  private add (key: string, now: number): IpRecord {
    const r: IpRecord = { open: 0, unauthenticated: 0, windowStart: now, failures: 0, bannedUntil: 0 }
    this.records.set(key, r)
    return r
  }

  private forgetIfIdle (key: string, r: IpRecord, now: number): void {
    if (r.open > 0 || r.bannedUntil > now) return
    if (r.failures > 0 && now - r.windowStart < this.limits.failureWindowMs) return
    this.records.delete(key)
  }
}
