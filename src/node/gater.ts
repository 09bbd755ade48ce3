/** Bans peers that failed AUTH for a while, through libp2p's connection gater. */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export class Banlist {
  private readonly until = new Map<string, number>()
  private readonly banMs: number

  constructor (banMs: number) {
    this.banMs = banMs
  }

  ban (peerId: string, now = Date.now()): void {
    this.until.set(peerId, now + this.banMs)
  }

  banned (peerId: string, now = Date.now()): boolean {
    const until = this.until.get(peerId)
    if (until === undefined) return false
    if (until > now) return true
    this.until.delete(peerId)
    return false
  }

  /** How long the peer stays banned, in ms (0 = not banned). */
  remainingMs (peerId: string, now = Date.now()): number {
    return this.banned(peerId, now) ? (this.until.get(peerId) as number) - now : 0
  }

  /**
   * A gater that refuses dials to banned peers, combined with an optional extra gater (tests partition with it).
   * Inbound, a banned peer passes the handshake only to be told ERR banned (with the time left) by the
   * protocol handler, which then closes the connection: it never reaches AUTH, and it learns why.
   */
  gater (extra: ConnectionGater = {}): ConnectionGater {
    const deny = (peer: PeerId): boolean => this.banned(peer.toString())
    return {
      ...extra,
      denyDialPeer: async peer => deny(peer) || (await extra.denyDialPeer?.(peer) ?? false),
      denyInboundEncryptedConnection: async (peer, conn) => await extra.denyInboundEncryptedConnection?.(peer, conn) ?? false,
      denyOutboundEncryptedConnection: async (peer, conn) => deny(peer) || (await extra.denyOutboundEncryptedConnection?.(peer, conn) ?? false)
    }
  }
}
