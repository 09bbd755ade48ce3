/**
 * What the mesh's parts share: who we are, the links, the roster, counters, keys and the clock.
 * Each part (membership, failure detection, dissemination, broadcast, direct routing, peer
 * exchange) is a class over one context, so none reads another's private state.
 */
import { Roster } from './roster.ts'
import { SeenCache } from './seen.ts'
import { Signer, Verifier } from './signing.ts'
import type { Env } from './env.ts'
import type { Link, MeshBehaviour } from './link.ts'
import type { Member } from './roster.ts'
import type { OverlayEvent } from '../events.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface MeshStats {
  delivered: number
  relayed: number
  duplicate: number
  forged: number
  stale: number
  hopLimit: number
  malformed: number
  nameConflicts: number
  /** Broadcast-tree frames received: IHAVE, GRAFT and PRUNE. */
  control: number
  /** MEMBER claims (alive, left) not signed by the member or its host, or a host speaking for a self-speaking member. */
  memberForged: number
  /** MEMBER frames whose peerId or host is not a peer id. */
  memberBadId: number
  /** Reports (suspect, failed) with an incarnation past the member's latest claim + 1, or that would overflow ours. */
  memberBadInc: number
  /** Reports about a member this node never heard claim itself (also honest news of members failed before we met them). */
  memberUnknown: number
  /** Frames from a leaf about anyone but itself (MEMBER, MSG, ACK, routed PROBE). */
  leafOther: number
  /** Direct probes sent (one a period), PROBEs sent to helpers for indirect probes, and probes that got no answer. */
  probes: number
  indirectProbes: number
  probeFailures: number
  /** Probe timeouts not judged because our own event loop had stalled (failure-detector.ts STALL_MS). */
  probeStalls: number
  /** Routed PROBEACKs not signed by the member they answer for (a relay cannot clear a probe). */
  probeForged: number
  /** Probes not sent because that neighbour had probed us within the last period (7.11). */
  probesSpared: number
  /** HEARTBEAT frames (the heartbeat design before 7.11) received and ignored. */
  heartbeats: number
  /** Rosters sent after a DIGEST mismatch, and those held back because one went to that peer lately (7.12). */
  syncs: number
  syncLimited: number
  /** Upstream links a leaf dropped after hearing nothing on them for suspectAfterMs + failAfterMs. */
  upstreamSilent: number
  /** Links closed because this node declared their peer failed (nothing came; the link is presumed dead). */
  failedSessions: number
  /** Membership updates this node sent on as news (7.8), those that rode on a PROBE or PROBEACK, and those dropped from a full queue. */
  gossiped: number
  piggybacked: number
  /** Gossip rounds run (7.13): one per GOSSIP_INTERVAL_MS while updates wait, none when idle. */
  gossipRounds: number
  gossipDropped: number
}

function newStats (): MeshStats {
  return {
    delivered: 0, relayed: 0, duplicate: 0, forged: 0, stale: 0, hopLimit: 0, malformed: 0, nameConflicts: 0, control: 0,
    memberForged: 0, memberBadId: 0, memberBadInc: 0, memberUnknown: 0, leafOther: 0,
    probes: 0, indirectProbes: 0, probeFailures: 0, probeStalls: 0, probeForged: 0, probesSpared: 0, heartbeats: 0, syncs: 0, syncLimited: 0, upstreamSilent: 0, failedSessions: 0,
    gossiped: 0, piggybacked: 0, gossipRounds: 0, gossipDropped: 0
  }
}

export interface MeshInit {
  peerId: string
  name: string
  mode: string
  privateKey: PrivateKey
  behaviour: MeshBehaviour
  config: OverlayConfig['mesh']
  /** Largest frame body peers accept (limits.maxFrameBytes). */
  maxFrameBytes: number
  addrs: () => string[]
  emit: (event: OverlayEvent) => void
  /** Ask the node to open a link to a member (peer exchange, healing). */
  dialMember: (member: Member) => void
  /** Dials still in flight (bootstrap and peer exchange); they count toward the degree. */
  pendingDials: () => number
  /** Clock, timers and randomness; the wall clock when left out. */
  env?: Env
  /** Checks signatures; a fresh Verifier when left out (the simulator may share one). */
  verifier?: Verifier
}

export class MeshContext<L extends Link = Link> {
  readonly init: MeshInit
  readonly cfg: OverlayConfig['mesh']
  readonly env: Env
  readonly links = new Map<string, L>()
  readonly roster = new Roster()
  readonly stats = newStats()
  readonly seen: SeenCache
  readonly signer: Signer
  readonly verifier: Verifier
  /** Member -> the neighbour it was last heard through (its own link needs no entry). */
  readonly routes = new Map<string, string>()
  /** Unsigned messages are never relayed, so sign whenever some member is not our neighbour; cached until links or presence change. */
  signingNeeded: boolean | undefined
  leaving = false

  constructor (init: MeshInit, env: Env) {
    this.init = init
    this.cfg = init.config
    this.env = env
    this.seen = new SeenCache(this.cfg.seenTtlMs)
    this.signer = new Signer(init.privateKey)
    this.verifier = init.verifier ?? new Verifier()
  }

  get self (): string { return this.init.peerId }
  get relays (): boolean { return this.init.behaviour.relays }
  now (): number { return this.env.now() }
  emit (event: OverlayEvent): void { this.init.emit(event) }

  /** Remembers the neighbour a member was last heard through. */
  learnRoute (peerId: string, via: string): void {
    if (peerId !== via) this.routes.set(peerId, via)
  }
}
