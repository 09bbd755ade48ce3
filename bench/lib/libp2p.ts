/** Bare libp2p: TCP + Noise + yamux on 127.0.0.1, no services; the connection manager opened up as all peers share one IP. */
import { createLibp2p } from 'libp2p'
import type { Libp2p, ServiceMap } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { assertLoopback, onCleanup } from './worker.ts'

const nodes: Libp2p[] = []
onCleanup(async () => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) })

/** A bare node, listening on 127.0.0.1 unless `listen` is false, stopped when the worker exits; `services` for gossip.ts. */
export async function createBareNode<S extends ServiceMap = ServiceMap> (listen = true, services?: Record<string, (components: any) => unknown>): Promise<Libp2p<S>> {
  const node = await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000, maxConnections: 10_000 },
    ...(services === undefined ? {} : { services })
  }) as unknown as Libp2p<S>
  nodes.push(node)
  return node
}

/** A started node's 127.0.0.1 address with /p2p/<id>. */
export function loopbackAddr (node: { getMultiaddrs: () => Array<{ toString: () => string }> }): string {
  const ma = node.getMultiaddrs().map(String).find(s => s.startsWith('/ip4/127.0.0.1/'))
  if (ma == null) throw new Error('node has no 127.0.0.1 listen address')
  return ma
}

/** What every libp2p and overlay dialer dials: `addr`, refused unless loopback. */
export function loopbackMultiaddr (addr: unknown): Multiaddr {
  assertLoopback(String(addr))
  return multiaddr(String(addr))
}
