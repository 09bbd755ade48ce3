/** Driver side of an N-node mesh in W host processes (node i in process i % W): build it, wait until ready (docs/BENCHMARKS.md 4). */
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'
import { startWorker, type Msg, type WorkerHandle } from './proc.ts'
import { degrees, generateTopology, type Topology } from './topology.ts'

/** The mesh figures' topology seed (mean degree 6, docs/BENCHMARKS.md 4); runs seed their random picks from it too. */
export const TOPOLOGY_SEED = 42

const workersFor = (n: number): number => n <= 10 ? 2 : n <= 25 ? 3 : 4

export interface NodeStatus { index: number, [k: string]: number }

export interface MeshSide { variant: 'gossipsub' | 'overlay' | 'libp2p', ready: (s: NodeStatus, degree: number, n: number) => boolean, describe: (st: NodeStatus[]) => { text: string, details: Record<string, unknown> } }

const range = (xs: number[]): string => `${Math.min(...xs)}..${Math.max(...xs)}`

/** Every neighbour listed as a subscriber, and a mesh of >= min(degree, D_lo = 4) peers. */
export const GOSSIPSUB: MeshSide = {
  variant: 'gossipsub',
  ready: (s, d) => (s.subscribers ?? 0) >= d && (s.mesh ?? 0) >= Math.min(d, 4),
  describe: (st) => { const mesh = st.map(s => s.mesh ?? 0); return { text: `mesh sizes ${range(mesh)}`, details: { meshSizes: mesh } } }
}

/** Bare libp2p: connected to each topology neighbour. */
export const BARE: MeshSide = {
  variant: 'libp2p',
  ready: (s, d) => (s.connections ?? 0) >= d,
  describe: (st) => ({ text: `connections per node ${range(st.map(s => s.connections ?? 0))}`, details: { connectionsPerNode: st.map(s => s.connections ?? 0) } })
}

/** The other N-1 present, and >= max(degree, min(mesh.degree, N-1)) sessions (peer exchange tops a node up to mesh.degree). */
export const OVERLAY: MeshSide = {
  variant: 'overlay',
  ready: (s, d, n) => (s.present ?? 0) >= n - 1 && (s.sessions ?? 0) >= Math.max(d, Math.min(s.degree ?? 4, n - 1)),
  describe: (st) => {
    const sessions = st.map(s => s.sessions ?? 0)
    const edgesHeld = sessions.reduce((a, b) => a + b, 0) / 2
    return { text: `sessions per node ${range(sessions)}, ${edgesHeld} edges held`, details: { sessionsPerNode: sessions, edgesHeld } }
  }
}

/** Host processes (bench/workers/mesh-host.ts) for N nodes. */
export const startHosts = (n: number, label: string, maxLifetimeMs = 240_000): WorkerHandle[] =>
  Array.from({ length: workersFor(n) }, (_, w) => startWorker('mesh-host.ts', { label: `${label}-w${w}`, maxLifetimeMs }))

/** Waits until `host` is up, then makes it a host of `side` (dozens loading at once on 2 cores take a while). */
export async function hostOf (side: MeshSide, host: WorkerHandle): Promise<void> {
  await host.next('ready', 120_000)
  await host.request({ type: 'side', side: side.variant }, 'side', 120_000)
}

/** Sends `m` to every worker and collects the replies. */
export const ask = async <T extends Msg>(ws: WorkerHandle[], m: Msg, replyType: string, timeoutMs = 10_000): Promise<T[]> =>
  await Promise.all(ws.map(async w => await w.request<T>(m, replyType, timeoutMs)))

export type Counters = Record<string, number>

/** Every host's counters (its nodes' sums, its CPU time and heap), summed. */
export async function sumCounters (ws: WorkerHandle[]): Promise<Counters> {
  const out: Counters = {}
  for (const c of await ask<Msg & Counters>(ws, { type: 'counters' }, 'counters')) for (const [k, v] of Object.entries(c)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v
  return out
}

export async function status (ws: WorkerHandle[]): Promise<NodeStatus[]> {
  return (await ask<Msg & { nodes: NodeStatus[] }>(ws, { type: 'status' }, 'status')).flatMap(s => s.nodes).sort((a, b) => a.index - b.index)
}

export interface BuiltMesh { topo: Topology, addrs: Record<string, string>, dialFailed: number, ready: boolean, setupSec: number, text: string, details: Record<string, unknown> }

/**
 * How many hosts load their side (`loading`) and dial their edges (`connecting`) at once; with one node per process,
 * 50 processes loading libp2p at once starve each other past every timeout, and 175 handshakes at once on 2 cores time out.
 */
export async function buildMesh (side: MeshSide, ws: WorkerHandle[], n: number, log: (m: string) => void, { loading = ws.length, connecting = ws.length } = {}): Promise<BuiltMesh> {
  const t0 = Date.now()
  const topo = generateTopology(n, TOPOLOGY_SEED, { degree: 6 })
  const load = pLimit(loading)
  await Promise.all(ws.map(async w => { await load(async () => { await hostOf(side, w) }) }))
  const defer = side.variant === 'overlay'
  let created = await Promise.all(ws.map(async (w, k) => await w.request<Msg & { addrs: Record<string, string> }>(
    { type: 'create', indices: Array.from({ length: n }, (_, i) => i).filter(i => i % ws.length === k), defer }, 'created', 60_000)))
  if (defer) created = await ask(ws, { type: 'start' }, 'started', 60_000)
  const addrs: Record<string, string> = Object.assign({}, ...created.map(x => x.addrs))
  const limit = pLimit(connecting)
  const conn = await Promise.all(ws.map(async w => await limit(async () => await w.request<Msg & { failed: number, firstError?: string }>({ type: 'connect', edges: topo.edges, addrs }, 'connected', 90_000))))
  const dialFailed = conn.reduce((a, x) => a + x.failed, 0)
  if (dialFailed > 0) log(`${side.variant} N=${n}: ${dialFailed} dials failed: ${conn.map(x => x.firstError).find(Boolean) ?? ''}`)
  const deg = degrees(topo)
  let ready = false
  let st: NodeStatus[] = []
  for (const deadline = Date.now() + 20_000; !ready && Date.now() < deadline;) {
    st = await status(ws)
    ready = st.length === n && st.every(s => side.ready(s, deg[s.index] ?? 0, n))
    if (!ready) await sleep(250)
  }
  return { topo, addrs, dialFailed, ready, setupSec: (Date.now() - t0) / 1000, ...side.describe(st) }
}
