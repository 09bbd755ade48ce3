/**
 * Who may assert what about a member (docs/PROTOCOL.md, "Trust model"). Only a member speaks for
 * itself: its claims (alive, left: its name, addrs, mode and incarnation) count only when signed by
 * its own key, or, for a text client, by the host the record names. Anyone may report suspicion or
 * failure, within one incarnation of the member's latest claim; the member refutes it. Pure: the
 * signature check and the roster entry are passed in.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { MemberState, Wire } from '../protocol/frames.ts'
import type { MemberFrame } from '../protocol/frames.ts'
import type { Member } from './roster.ts'

/** Why a MEMBER frame was dropped; each has its counter in MeshStats. */
export const MemberDrop = {
  /** `peerId` or `host` is not a peer id. */
  badPeerId: 'badPeerId',
  /** A leaf spoke of someone other than itself. */
  leafOther: 'leafOther',
  /** A claim not signed by the member (or its host), or a host speaking for a member that speaks for itself. */
  forged: 'forged',
  /** A report whose incarnation is beyond the member's latest claim + 1. */
  badInc: 'badInc',
  /** A report about a member nobody has claimed: it would create one. */
  unknown: 'unknown'
} as const
export type MemberDrop = typeof MemberDrop[keyof typeof MemberDrop]

/** Claims are what only the member (or its host) may say: that it is alive, or has left. */
export function isClaim (state: MemberState): boolean {
  return state === MemberState.alive || state === MemberState.left
}

/** Whose signature a claim needs: the host's for a hosted text client, else the member's own. */
function signerOf (f: Pick<MemberFrame, 'peerId' | 'host'>): string {
  return f.host ?? f.peerId
}

/** How far another node's report may raise a member's incarnation: its latest claim + 1. */
export function reportCeiling (m: Member): number {
  return (m.claim?.inc ?? m.inc) + 1
}

/** `inc + 1`, or undefined when that would leave the safe integers (peers refuse such frames). */
export function nextInc (inc: number): number | undefined {
  return Number.isSafeInteger(inc + 1) ? inc + 1 : undefined
}

const validIds = new Set<string>()
const MAX_CACHED_IDS = 10_000

/** Whether `s` parses as a libp2p peer id (cached: a failure-detection report repeats ids). */
export function isPeerId (s: string): boolean {
  if (validIds.has(s)) return true
  try {
    peerIdFromString(s)
  } catch {
    return false
  }
  if (validIds.size >= MAX_CACHED_IDS) validIds.clear()
  validIds.add(s)
  return true
}

export interface MemberCheck {
  /** The roster's entry for `f.peerId`. */
  known: Member | undefined
  /** Set when the frame came on a leaf's session: that leaf's peer id. */
  leaf?: string
  /** True when `f.sig` is `signer`'s signature over the claim. */
  verify: (f: MemberFrame, signer: string) => boolean
}

/** Undefined when the frame may be applied (the roster then orders it); else why it is dropped. */
export function checkMember (f: MemberFrame, ctx: MemberCheck): MemberDrop | undefined {
  const { known } = ctx
  if (ctx.leaf !== undefined && (f.peerId !== ctx.leaf || f.host !== undefined)) return MemberDrop.leafOther
  if (known === undefined && !isPeerId(f.peerId)) return MemberDrop.badPeerId
  if (f.host !== undefined && f.host !== known?.host && !isPeerId(f.host)) return MemberDrop.badPeerId
  if (!isClaim(f.state)) {
    if (known === undefined) return MemberDrop.unknown
    return f.inc > reportCeiling(known) ? MemberDrop.badInc : undefined
  }
  // A heartbeat repeats the claim it refreshes, signature and all: nothing to verify again.
  if (known !== undefined && sameClaim(f, known)) return undefined
  // A name changes only with a new incarnation (else each heartbeat would need verifying anew).
  if (known !== undefined && f.inc === known.inc && f.name !== known.name) return MemberDrop.forged
  // A host speaks for text clients only, and never for a member that speaks for itself.
  if (f.host !== undefined && (f.mode !== Wire.text || (known !== undefined && known.host === undefined))) return MemberDrop.forged
  return ctx.verify(f, signerOf(f)) ? undefined : MemberDrop.forged
}

/** The frame repeats the member's stored (already verified) claim; only seq and hops may differ. */
function sameClaim (f: MemberFrame, m: Member): boolean {
  const c = m.claim
  return c !== undefined && f.sig === c.sig && f.inc === c.inc && f.state === c.state && f.reason === c.reason &&
    f.name === m.name && f.host === m.host && f.mode === m.mode && sameList(f.addrs, m.addrs)
}

function sameList (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
