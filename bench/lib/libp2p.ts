/**
 * libp2p node factories used by the baseline workers (gossipsub's: gossip.ts, so that the
 * bare workers do not load it).
 *
 * "Bare" = what the overlay builds on and nothing more: TCP + Noise + Yamux,
 * listening on 127.0.0.1 only, no identify/ping/pubsub services. libp2p's
 * built-in connection monitor is left at its default (it pings every 10 s; a
 * node without the ping protocol counts as alive), exactly as an application
 * would get it.
 *
 * The connection manager is opened up for loopback benchmarks: every peer
 * shares 127.0.0.1, and the default inbound limit (5 connections / s / IP,
 * 10 pending) would reject most dials.
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'

export const RAW_PROTOCOL = '/bench/raw/1.0.0'
export const ECHO_PROTOCOL = '/bench/echo/1.0.0'

export const LOOPBACK_CONNECTION_MANAGER = {
  inboundConnectionThreshold: 10_000,
  maxIncomingPendingConnections: 1000,
  maxConnections: 10_000
}

export interface BareNodeOptions {
  /** listen on 127.0.0.1/tcp/0 (default true) */
  listen?: boolean
}

export async function createBareNode (opts: BareNodeOptions = {}): Promise<Libp2p> {
  const listen = opts.listen ?? true
  return await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: LOOPBACK_CONNECTION_MANAGER
  })
}

/** Listening address of a started node, including /p2p/<id>. Loopback only. */
export function loopbackAddr (node: Libp2p): string {
  const ma = node.getMultiaddrs().map(m => m.toString()).find(s => s.startsWith('/ip4/127.0.0.1/'))
  if (ma == null) throw new Error('node has no 127.0.0.1 listen address')
  return ma
}

/** Guard used by every dialer: refuse anything that is not loopback. */
export function assertLoopback (addr: string): void {
  if (!(addr.startsWith('/ip4/127.') || addr.startsWith('/ip6/::1/'))) {
    throw new Error(`refusing to dial non-loopback address ${addr}`)
  }
}
