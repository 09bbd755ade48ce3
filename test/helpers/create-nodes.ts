/**
 * Builds overlay nodes for integration tests: loopback listen addresses, a fresh temp data dir per
 * node, the test token. Every node and dir is tracked, so `stopAll()` (in after/afterEach) stops
 * and removes everything a test made, even when the test failed half way.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOverlayNode } from '../../src/index.ts'
import { waitFor } from './wait-for.ts'
import type { CreateOptions, OverlayNode, PartialConfig } from '../../src/index.ts'

export const TEST_TOKEN = 'letmein123'
export const LOOPBACK_LISTEN = '/ip4/127.0.0.1/tcp/0'

export class NodeTracker {
  private readonly nodes = new Set<OverlayNode>()
  private readonly dirs = new Set<string>()
  private readonly cleanups: Array<() => Promise<void>> = []

  /** Runs `fn` in stopAll(), before the nodes stop (raw clients, child processes, timers). */
  onStop (fn: () => Promise<void>): void {
    this.cleanups.push(fn)
  }

  /** A fresh empty directory, removed by stopAll(). */
  async tempDir (prefix = 'overlay-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.add(dir)
    return dir
  }

  /** Registers something started elsewhere, so stopAll() stops it too. */
  track<T extends OverlayNode>(node: T): T {
    this.nodes.add(node)
    return node
  }

  /** Creates (does not start) a node with test defaults under `partial`. */
  async createNode (partial: PartialConfig = {}, options: CreateOptions = {}): Promise<OverlayNode> {
    const config: PartialConfig = {
      ...partial,
      listen: partial.listen ?? [LOOPBACK_LISTEN],
      dataDir: partial.dataDir ?? await this.tempDir(),
      ...(partial.token === undefined && partial.tokenFile === undefined ? { token: TEST_TOKEN } : {})
    }
    return this.track(await createOverlayNode(config, options))
  }

  /** Creates and starts a node. */
  async startNode (partial: PartialConfig = {}, options: CreateOptions = {}): Promise<OverlayNode> {
    const node = await this.createNode(partial, options)
    await node.start()
    return node
  }

  /**
   * Starts `hub` hubs, then `leaf` leaves and `peer` peers bootstrapping to the first hub, and waits
   * until every one of them holds a session with it. `config` adds per-mode settings.
   */
  async createNodes (
    spec: { hub?: number, leaf?: number, peer?: number },
    config: { hub?: PartialConfig, leaf?: PartialConfig, peer?: PartialConfig, timeout?: number } = {}
  ): Promise<TestMesh> {
    const hubs: OverlayNode[] = []
    for (let i = 0; i < (spec.hub ?? 0); i++) hubs.push(await this.startNode({ mode: 'hub', name: `hub${i === 0 ? '' : i}`, ...config.hub }))
    const first = hubs[0]
    const bootstrap = first === undefined ? [] : [loopbackAddr(first)]
    const leaves = await Promise.all(Array.from({ length: spec.leaf ?? 0 }, async (_, i) =>
      await this.startNode({ mode: 'leaf', name: `leaf${i}`, bootstrap, ...config.leaf })))
    const peers = await Promise.all(Array.from({ length: spec.peer ?? 0 }, async (_, i) =>
      await this.startNode({ mode: 'peer', name: `peer${i}`, bootstrap, ...config.peer })))
    if (first !== undefined) {
      const joiners = [...leaves, ...peers]
      await waitFor(() => joiners.every(n => hasSession(first, n) && hasSession(n, first)), {
        timeout: config.timeout ?? 15_000,
        message: `every leaf and peer holds a session with ${first.name}`
      })
    }
    return { hub: first, hubs, leaves, peers, all: [...hubs, ...leaves, ...peers] }
  }

  /** Stops every tracked node (in parallel), then removes every temp dir. Safe to call twice. */
  async stopAll (): Promise<void> {
    const cleanups = this.cleanups.splice(0)
    const first = await Promise.allSettled(cleanups.map(async fn => { await fn() }))
    const nodes = [...this.nodes]
    this.nodes.clear()
    const results = [...first, ...await Promise.allSettled(nodes.map(async n => { await n.stop() }))]
    const dirs = [...this.dirs]
    this.dirs.clear()
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    const failed = results.find(r => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  }
}

export interface TestMesh {
  hub: OverlayNode | undefined
  hubs: OverlayNode[]
  leaves: OverlayNode[]
  peers: OverlayNode[]
  all: OverlayNode[]
}

/** The default tracker; test files call stopAll() in afterEach. */
export const tracker = new NodeTracker()
export const tempDir = tracker.tempDir.bind(tracker)
export const createNode = tracker.createNode.bind(tracker)
export const startNode = tracker.startNode.bind(tracker)
export const createNodes = tracker.createNodes.bind(tracker)
export const stopAll = tracker.stopAll.bind(tracker)

/** The node's 127.0.0.1 listen address, with /p2p/<peerId>. */
export function loopbackAddr (node: { getMultiaddrs: () => Array<string | { toString: () => string }> }): string {
  const addr = node.getMultiaddrs().map(String).find(a => a.startsWith('/ip4/127.0.0.1/'))
  if (addr === undefined) throw new Error('the node has no 127.0.0.1 listen address')
  return addr
}

/** Whether `node` lists a session with `other`. */
export function hasSession (node: OverlayNode, other: OverlayNode | string): boolean {
  const peerId = typeof other === 'string' ? other : other.peerId
  return node.sessions().some(s => s.peerId === peerId)
}

/** Whether `node` lists `other` as a present (alive or suspect) member. */
export function isMember (node: OverlayNode, peerIdOrName: string): boolean {
  return node.members().some(m => !m.self && (m.peerId === peerIdOrName || m.name === peerIdOrName) && (m.state === 'alive' || m.state === 'suspect'))
}

/** Whether `node` knows `other` at all, in any state. */
export function knowsMember (node: OverlayNode, peerIdOrName: string): boolean {
  return node.members().some(m => !m.self && (m.peerId === peerIdOrName || m.name === peerIdOrName))
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; we close it at once). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'))
        else resolve(address.port)
      })
    })
  })
}
