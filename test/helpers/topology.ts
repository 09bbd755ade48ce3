/**
 * Topologies for multi-node tests, as plain values (edge lists and role lists), and a builder that
 * starts real nodes so that each one bootstraps to its neighbours that are already up. Shapes follow
 * gossipsub's `connectSome` / `sparseConnect` test utilities, but deterministic: a seeded PRNG, so a
 * failing random graph can be rebuilt from its seed.
 */
import { createNode, loopbackAddr } from './create-nodes.ts'
import type { CreateOptions, OverlayNode, PartialConfig } from '../../src/index.ts'
import { mulberry32 as prng } from '../../bench/lib/random.ts'

export type Role = 'peer' | 'hub' | 'leaf'
/** An undirected edge between node indexes; the builder makes the later-started end dial the other. */
export type Edge = readonly [number, number]

export interface Topology {
  /** Short description for test messages, e.g. "line(6)". */
  label: string
  size: number
  edges: Edge[]
  /** Role of each node, by index (all 'peer' unless the shape says otherwise). */
  roles: Role[]
}

/** 0 - 1 - 2 - … - (n-1). */
export function line (n: number): Topology {
  const edges: Edge[] = []
  for (let i = 1; i < n; i++) edges.push([i - 1, i])
  return { label: `line(${n})`, size: n, edges, roles: Array<Role>(n).fill('peer') }
}

/** A line closed into a cycle (n >= 3). */
export function ring (n: number): Topology {
  if (n < 3) throw new RangeError('a ring needs at least 3 nodes')
  const { edges } = line(n)
  return { label: `ring(${n})`, size: n, edges: [...edges, [n - 1, 0]], roles: Array<Role>(n).fill('peer') }
}

/** mulberry32, the benchmarks' PRNG: floats in [0, 1). */
export { prng }

/**
 * A connected random graph with about `n * edgeFactor` edges (default 1.5): a random spanning tree
 * (node i links to a random earlier node, so index order is a valid start order) plus random extra
 * edges. Same `seed`, same graph.
 */
export function randomSparse (n: number, seed: number, edgeFactor = 1.5): Topology {
  const rand = prng(seed)
  const pick = (below: number): number => Math.floor(rand() * below)
  const key = (a: number, b: number): string => a < b ? `${a}-${b}` : `${b}-${a}`
  const seen = new Set<string>()
  const edges: Edge[] = []
  for (let i = 1; i < n; i++) {
    const j = pick(i)
    edges.push([j, i])
    seen.add(key(j, i))
  }
  const target = Math.min(Math.round(n * edgeFactor), (n * (n - 1)) / 2)
  while (edges.length < target) {
    const a = pick(n)
    const b = pick(n)
    if (a === b || seen.has(key(a, b))) continue
    seen.add(key(a, b))
    edges.push(a < b ? [a, b] : [b, a])
  }
  return { label: `randomSparse(${n}, seed ${seed})`, size: n, edges, roles: Array<Role>(n).fill('peer') }
}

/**
 * `hubs` hubs meshed with each other (a complete graph), then `leavesPerHub` leaves on each hub.
 * Indexes: hubs first (0 … hubs-1), then hub 0's leaves, hub 1's leaves, …
 */
export function starOfHubs (hubs: number, leavesPerHub: number): Topology {
  const edges: Edge[] = []
  const roles: Role[] = Array<Role>(hubs).fill('hub')
  for (let a = 0; a < hubs; a++) for (let b = a + 1; b < hubs; b++) edges.push([a, b])
  for (let h = 0; h < hubs; h++) {
    for (let l = 0; l < leavesPerHub; l++) {
      edges.push([h, roles.length])
      roles.push('leaf')
    }
  }
  return { label: `starOfHubs(${hubs}, ${leavesPerHub})`, size: roles.length, edges, roles }
}

/** Neighbour lists by index. */
export function adjacency (topo: Pick<Topology, 'size' | 'edges'>): number[][] {
  const adj: number[][] = Array.from({ length: topo.size }, () => [])
  for (const [a, b] of topo.edges) {
    adj[a]?.push(b)
    adj[b]?.push(a)
  }
  return adj
}

/** Breadth-first order from node 0: every node after the first has a neighbour before it. Throws if disconnected. */
export function startOrder (topo: Pick<Topology, 'size' | 'edges'>): number[] {
  const adj = adjacency(topo)
  const order = [0]
  const placed = new Set(order)
  for (let i = 0; i < order.length; i++) {
    for (const next of adj[order[i] as number] ?? []) {
      if (!placed.has(next)) { placed.add(next); order.push(next) }
    }
  }
  if (order.length !== topo.size) throw new Error(`the topology is not connected (${order.length} of ${topo.size} reachable from 0)`)
  return order
}

/** Longest shortest path, in hops (to pick a hop limit that covers the graph). */
export function diameter (topo: Pick<Topology, 'size' | 'edges'>): number {
  const adj = adjacency(topo)
  let longest = 0
  for (let s = 0; s < topo.size; s++) {
    const dist = new Map([[s, 0]])
    const queue = [s]
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i] as number
      for (const next of adj[at] ?? []) {
        if (dist.has(next)) continue
        const d = (dist.get(at) as number) + 1
        dist.set(next, d)
        longest = Math.max(longest, d)
        queue.push(next)
      }
    }
  }
  return longest
}

export interface BuildOptions {
  /** Config for every node, under the per-role config. */
  config?: PartialConfig
  /** Extra config per role (e.g. a hub's mesh.degree). */
  roleConfig?: Partial<Record<Role, PartialConfig>>
  /** Per-node config, applied last (a name, a listen address). */
  nodeConfig?: (index: number, role: Role) => PartialConfig
  /** Per-node create options (a private key, a connection gater). */
  createOptions?: (index: number, role: Role) => CreateOptions
  /** Node names; default `${role}${index}`. */
  name?: (index: number, role: Role) => string
  /** Creates a node (not started); default: create-nodes.ts createNode (tracked, so stopAll() stops it). */
  create?: (config: PartialConfig, options: CreateOptions) => Promise<OverlayNode>
}

export interface BuiltTopology {
  topology: Topology
  /** Nodes by index. */
  nodes: OverlayNode[]
  /** The index each node was started in. */
  order: number[]
}

const merge = (...layers: Array<PartialConfig | undefined>): PartialConfig => {
  const out: Record<string, unknown> = {}
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      const prev = out[k]
      out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null
        ? { ...prev, ...v }
        : v
    }
  }
  return out as PartialConfig
}

/**
 * Starts one node per index in breadth-first order; each node bootstraps to the multiaddrs of its
 * neighbours that started before it. Resolves once every node has started (not once sessions are
 * up: wait for that with the helpers in wait-for.ts).
 */
export async function buildTopology (topo: Topology, options: BuildOptions = {}): Promise<BuiltTopology> {
  const adj = adjacency(topo)
  const order = startOrder(topo)
  const create = options.create ?? createNode
  const nodes: OverlayNode[] = []
  const started = new Set<number>()
  for (const index of order) {
    const role = topo.roles[index] ?? 'peer'
    const bootstrap = (adj[index] ?? []).filter(n => started.has(n)).map(n => loopbackAddr(nodes[n] as OverlayNode))
    const config = merge(
      options.config,
      options.roleConfig?.[role],
      { mode: role, name: options.name?.(index, role) ?? `${role}${index}`, bootstrap },
      options.nodeConfig?.(index, role)
    )
    const node = await create(config, options.createOptions?.(index, role) ?? {})
    nodes[index] = node
    await node.start()
    started.add(index)
  }
  return { topology: topo, nodes, order }
}

/** Whether every edge of the topology is an open session on both ends. */
export function edgesUp (built: BuiltTopology): boolean {
  return built.topology.edges.every(([a, b]) => {
    const na = built.nodes[a] as OverlayNode
    const nb = built.nodes[b] as OverlayNode
    return na.sessions().some(s => s.peerId === nb.peerId) && nb.sessions().some(s => s.peerId === na.peerId)
  })
}

/** Whether the session graph among `nodes` (ignoring sessions to anyone else) is connected. */
export function sessionGraphConnected (nodes: OverlayNode[]): boolean {
  if (nodes.length === 0) return true
  const byId = new Map(nodes.map(n => [n.peerId, n]))
  const reached = new Set([nodes[0]?.peerId as string])
  const queue = [nodes[0] as OverlayNode]
  for (let i = 0; i < queue.length; i++) {
    for (const s of (queue[i] as OverlayNode).sessions()) {
      const next = byId.get(s.peerId)
      if (next !== undefined && !reached.has(s.peerId)) { reached.add(s.peerId); queue.push(next) }
    }
  }
  return reached.size === nodes.length
}

/** Whether each node lists every other one of `nodes` as alive, and nobody else as present. */
export function membershipConverged (nodes: OverlayNode[], state: 'alive' | 'present' = 'alive'): boolean {
  const ids = new Set(nodes.map(n => n.peerId))
  const ok = (s: string): boolean => state === 'alive' ? s === 'alive' : s === 'alive' || s === 'suspect'
  return nodes.every(node => {
    const others = node.members().filter(m => !m.self)
    const present = others.filter(m => m.state === 'alive' || m.state === 'suspect')
    return nodes.every(n => n === node || others.some(m => m.peerId === n.peerId && ok(m.state))) &&
      present.every(m => ids.has(m.peerId))
  })
}

/** What membershipConverged is missing, for failure messages. */
export function describeMembership (nodes: OverlayNode[]): string {
  return nodes.map(node => {
    const others = node.members().filter(m => !m.self)
    const missing = nodes.filter(n => n !== node && !others.some(m => m.peerId === n.peerId && m.state === 'alive')).map(n => n.name)
    const extra = others.filter(m => (m.state === 'alive' || m.state === 'suspect') && !nodes.some(n => n.peerId === m.peerId)).map(m => m.name)
    return missing.length + extra.length === 0 ? '' : `${node.name}: missing [${missing.join(', ')}] extra [${extra.join(', ')}]`
  }).filter(s => s !== '').join('; ')
}
