/** `overlay health`: dials a node with a throwaway identity, authenticates, and asks PING -> PONG. */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { createLibp2p } from 'libp2p'
import { OverlayProtocol } from '../protocol/overlay-protocol.ts'
import { Purpose } from '../protocol/session.ts'
import type { PongFrame } from '../protocol/frames.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

export async function checkHealth (target: Multiaddr[], token: string, signal: AbortSignal): Promise<PongFrame> {
  const node = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise(), tls()], streamMuxers: [yamux()] })
  try {
    const protocol = new OverlayProtocol(node, {
      maxSessions: 0,
      maxStreamsPerPeer: 1,
      openSessions: () => 0,
      host: {
        token,
        acceptsJoins: false,
        acceptText: false,
        authTimeoutMs: 5_000,
        maxFrameBytes: 64 * 1024,
        localMode: 'health',
        localName: () => 'health',
        nameAvailable: () => false,
        onOpen: () => false,
        onFrame: () => {},
        onClose: () => {},
        onPing: () => ({ type: 'PONG', name: 'health', mode: 'health', sessions: 0, members: 0 }),
        onRejected: () => {}
      }
    })
    return await protocol.open(target, Purpose.health, signal) as PongFrame
  } finally {
    await node.stop()
  }
}
