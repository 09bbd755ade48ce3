/**
 * Driver-side setup of an N-node mesh spread over W host processes, shared by
 * the broadcast (gossipsub and overlay) and membership (overlay) figures.
 *
 *   hosts = startHosts(side, n)         W = workersFor(n) processes, node i in process i % W
 *   mesh  = await buildMesh(side, hosts, topology, log)
 *
 * buildMesh creates the nodes (overlay: all created first, then all started
 * at once), has node a dial node b for every edge [a, b] of the topology
 * (gossipsub: libp2p dial; overlay: openSession, 16 at a time per process),
 * then polls `status` (every 250 ms, at most 20 s) until the
 * side's readiness rule holds:
 *  - gossipsub: every node lists all its neighbours as topic subscribers and
 *    has a mesh of >= min(degree, D_lo = 4) peers;
 *  - overlay: every node lists the other N-1 as present members and holds
 *    >= max(its degree, min(mesh.degree, N-1)) sessions. The overlay's peer
 *    exchange dials members until a node holds mesh.degree (default 4)
 *    sessions, so nodes of topology degree < 4 gain edges, and a node that
 *    holds < 4 sessions while the edges are still being dialled may add
 *    one per heartbeat; the sessions actually held are reported (`edgesHeld`).
 */
import { startWorker } from './proc.ts'
import type { Msg, WorkerHandle } from './proc.ts'
import { degrees } from './topology.ts'
import type { Topology } from './topology.ts'

export function workersFor (n: number): number {
  return n <= 10 ? 2 : n <= 25 ? 3 : 4
}

export interface NodeStatus { index: number, [k: string]: number }

export interface MeshSide {
  variant: 'gossipsub' | 'overlay'
  file: string
  ready: (s: NodeStatus, degree: number, n: number) => boolean
  describe: (st: NodeStatus[]) => { text: string, details: Record<string, unknown> }
}

export const GOSSIPSUB: MeshSide = {
  variant: 'gossipsub',
  file: 'gossip-host.ts',
  ready: (s, d) => (s.subscribers ?? 0) >= d && (s.mesh ?? 0) >= Math.min(d, 4),
  describe: (st) => {
    const mesh = st.map(s => s.mesh ?? 0)
    return { text: `mesh sizes ${Math.min(...mesh)}..${Math.max(...mesh)}`, details: { meshSizes: mesh } }
  }
}

export const OVERLAY: MeshSide = {
  variant: 'overlay',
  file: 'overlay-host.ts',
  ready: (s, d, n) => (s.present ?? 0) >= n - 1 && (s.sessions ?? 0) >= Math.max(d, Math.min(s.degree ?? 4, n - 1)),
  describe: (st) => {
    const sessions = st.map(s => s.sessions ?? 0)
    const edgesHeld = sessions.reduce((a, b) => a + b, 0) / 2
    return { text: `sessions per node ${Math.min(...sessions)}..${Math.max(...sessions)}, ${edgesHeld} edges held`, details: { sessionsPerNode: sessions, edgesHeld } }
  }
}

export function startHosts (side: MeshSide, n: number, label: string, maxLifetimeMs = 240_000): WorkerHandle[] {
  return Array.from({ length: workersFor(n) }, (_, w) => startWorker(side.file, { label: `${label}-w${w}`, maxLifetimeMs }))
}

export interface BuiltMesh {
  addrs: Record<string, string>
  dialFailed: number
  ready: boolean
  setupSec: number
  text: string
  details: Record<string, unknown>
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function status (ws: WorkerHandle[]): Promise<NodeStatus[]> {
  const all = await Promise.all(ws.map(async w => await w.request<Msg & { nodes: NodeStatus[] }>({ type: 'status' }, 'status', 10_000)))
  return all.flatMap(s => s.nodes).sort((a, b) => a.index - b.index)
}

export async function buildMesh (side: MeshSide, ws: WorkerHandle[], topo: Topology, log: (m: string) => void): Promise<BuiltMesh> {
  const t0 = Date.now()
  const n = topo.n
  const W = ws.length
  await Promise.all(ws.map(async w => await w.next('ready', 20_000)))
  // overlay: create every node first, then start all at once and dial the edges right away,
  // so the mesh's once-a-second peer exchange has little time to add edges of its own
  const defer = side.variant === 'overlay'
  let created = await Promise.all(ws.map(async (w, k) => await w.request<Msg & { addrs: Record<string, string> }>(
    { type: 'create', indices: Array.from({ length: n }, (_, i) => i).filter(i => i % W === k), defer }, 'created', 60_000)))
  if (defer) created = await Promise.all(ws.map(async w => await w.request<Msg & { addrs: Record<string, string> }>({ type: 'start' }, 'started', 60_000)))
  const addrs: Record<string, string> = Object.assign({}, ...created.map(x => x.addrs))
  const conn = await Promise.all(ws.map(async w => await w.request<Msg & { ok: number, failed: number, firstError?: string }>(
    { type: 'connect', edges: topo.edges, addrs }, 'connected', 90_000)))
  const dialFailed = conn.reduce((a, x) => a + x.failed, 0)
  if (dialFailed > 0) log(`${side.variant} N=${n}: ${dialFailed} dials failed: ${conn.map(x => x.firstError).find(Boolean) ?? ''}`)
  const deg = degrees(topo)
  let ready = false
  let st: NodeStatus[] = []
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    st = await status(ws)
    ready = st.length === n && st.every(s => side.ready(s, deg[s.index] ?? 0, n))
    if (ready) break
    await sleep(250)
  }
  const d = side.describe(st)
  return { addrs, dialFailed, ready, setupSec: (Date.now() - t0) / 1000, text: d.text, details: d.details }
}
