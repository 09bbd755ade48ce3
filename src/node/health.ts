/** `overlay health`: dials a node with a throwaway identity, authenticates, and asks PING -> PONG. */
import { defaultConfig } from '../config/defaults.ts'
import { createOverlayLibp2p } from './create-node.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { PongFrame } from '../protocol/frames.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Built by the node's own factory: listens nowhere, refuses every session, only dials. */
export async function checkHealth (target: Multiaddr[], token: string, signal: AbortSignal, config: OverlayConfig = defaultConfig()): Promise<PongFrame> {
  const libp2p = await createOverlayLibp2p(config, {
    listen: [],
    protocol: { token, localMode: 'health', maxSessions: 0, maxStreamsPerPeer: 1, maxFrameBytes: config.limits.maxFrameBytes }
  })
  try {
    return await libp2p.services.overlay.health(target, { signal })
  } finally {
    await libp2p.stop()
  }
}
