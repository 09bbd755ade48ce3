/**
 * Shared settings and small tools for the mesh integration suites (not a spec file itself).
 */
import { waitFor } from './wait-for.ts'
import type { OverlayEvents, OverlayNode, PartialConfig } from '../../src/index.ts'

/** Short mesh timings: heartbeats every 200 ms, suspect after 700 ms silent, failed 500 ms later. */
export const FAST_MESH = { heartbeatMs: 200, suspectAfterMs: 700, failAfterMs: 500 } as const

/** Test config for every node: fast mesh, quick retries, short dials. Degree 1 keeps hand-built topologies exact. */
export function fastConfig (extra: { degree?: number, hopLimit?: number, directTimeoutMs?: number, seenTtlMs?: number } = {}): PartialConfig {
  return {
    mesh: { ...FAST_MESH, degree: 1, ...extra },
    retry: { attempts: 3, intervalMs: 200, maxIntervalMs: 400 },
    timeouts: { dialMs: 2_000 }
  }
}

/** The longest a silent member can stay present: suspect, then failed, plus a tick of granularity (and a tick of margin). */
export const DETECTION_MS = FAST_MESH.suspectAfterMs + FAST_MESH.failAfterMs + 2 * FAST_MESH.heartbeatMs

/**
 * Kills a node the hard way: stops its libp2p directly, so no MEMBER left, no EXIT, just closed
 * connections, as when a process dies. Then runs its own stop() to clear its timers and release its
 * data dir; by then there is no connection left to say goodbye on.
 */
export async function crash (node: OverlayNode): Promise<void> {
  await node.libp2p.stop()
  await node.stop()
}

export type Recorded<K extends keyof OverlayEvents> = OverlayEvents[K] & { at: number }

/** Records the `type` events of one node with a timestamp. */
export function record<K extends keyof OverlayEvents> (node: OverlayNode, type: K): { list: Array<Recorded<K>>, stop: () => void } {
  const list: Array<Recorded<K>> = []
  const listener = (evt: CustomEvent<OverlayEvents[K]>): void => { list.push({ ...evt.detail, at: Date.now() }) }
  node.addEventListener(type, listener as never)
  return { list, stop: () => { node.removeEventListener(type, listener as never) } }
}

/** Whether `node` sees `peerId` in `state`. */
export function stateOf (node: OverlayNode, peerId: string): string | undefined {
  return node.members().find(m => !m.self && m.peerId === peerId)?.state
}

/** Waits until every node in `nodes` sees `target` in `state`. */
export async function waitState (nodes: readonly OverlayNode[], target: OverlayNode | string, state: string, timeout: number): Promise<void> {
  const peerId = typeof target === 'string' ? target : target.peerId
  await waitFor(() => nodes.every(n => stateOf(n, peerId) === state), {
    timeout,
    message: () => `every node sees ${typeof target === 'string' ? target : target.name} ${state} (now: ${nodes.map(n => `${n.name}=${stateOf(n, peerId) ?? 'unknown'}`).join(' ')})`
  })
}

type RosterView = { get: (p: string) => { seq: number, inc: number } | undefined }
function rosterOf (node: OverlayNode): RosterView {
  const roster = (node as unknown as { mesh?: { roster?: RosterView } }).mesh?.roster
  if (roster === undefined) throw new Error('OverlayNode.mesh.roster is gone (src changed: update test/helpers/mesh.ts)')
  return roster
}

/** The heartbeat seq `node` holds for `peerId` (read from its roster: no public view has it); -1 if unknown. */
export function seqAt (node: OverlayNode, peerId: string): number {
  return rosterOf(node).get(peerId)?.seq ?? -1
}

/** The incarnation `node` holds for `peerId`; -1 if unknown. */
export function incAt (node: OverlayNode, peerId: string): number {
  return rosterOf(node).get(peerId)?.inc ?? -1
}
