/**
 * The gossipsub baseline's node factory and frame counter (bench/workers/gossip-host.ts).
 * Apart from libp2p.ts so that the bare workers do not load gossipsub and identify.
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p, ServiceMap } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'
import { LOOPBACK_CONNECTION_MANAGER } from './libp2p.ts'

export const BENCH_TOPIC = 'bench'

/**
 * In-memory gossipsub MetricsRegister. Only counters are kept (a Map from
 * metric name to the sum over all label sets); histograms/avgMinMax are no-ops
 * and `addCollect` callbacks are never invoked, so the cost is a few Map
 * updates per RPC. This is how "frames sent" is counted: gossipsub itself
 * calls `metrics.onRpcSent(rpc)` once per RPC it pushes to a peer's outbound
 * stream (one length-prefixed protobuf frame on the wire), which increments
 * `gossipsub_rpc_sent_count_total`, and `..._rpc_sent_message_total` by the
 * number of application messages carried in it.
 */
export class CountingRegister {
  readonly counters = new Map<string, number>()

  private add (name: string, v: number): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + v)
  }

  register (): MetricsRegister {
    const self = this
    const gauge = (cfg: { name: string }): any => ({
      inc: (a?: unknown, b?: unknown) => {
        const v = typeof a === 'number' ? a : (typeof b === 'number' ? b : 1)
        self.add(cfg.name, v)
      },
      set: () => {},
      addCollect: () => {}
    })
    return {
      gauge,
      histogram: (): any => ({ startTimer: () => () => {}, observe: () => {}, reset: () => {} }),
      avgMinMax: (): any => ({ set: () => {} })
    } as unknown as MetricsRegister
  }

  get (name: string): number {
    return this.counters.get(name) ?? 0
  }
}

export interface GossipServices extends ServiceMap {
  identify: ReturnType<ReturnType<typeof identify>>
  pubsub: GossipSub
}

/** A gossipsub node with default gossipsub settings (D=6, heartbeat 1 s, StrictSign, floodPublish on), except P6 (see below). */
export async function createGossipNode (register: CountingRegister): Promise<Libp2p<GossipServices>> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: LOOPBACK_CONNECTION_MANAGER,
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        // The one deviation from gossipsub's defaults. Peer-score P6 (IP
        // colocation) gives every peer a negative score once a node sees more
        // than 10 peers from one IP (weight -5 x surplus^2). On loopback all
        // peers are 127.0.0.1, so any node with > 10 neighbours would refuse
        // them all as mesh and gossip peers (measured: N=25 left a degree-12
        // node with an empty mesh and ~2 % of deliveries missing). With real
        // addresses that does not happen, so P6 is switched off here.
        scoreParams: { IPColocationFactorWeight: 0 },
        metricsRegister: register.register(),
        metricsTopicStrToLabel: new Map([[BENCH_TOPIC, BENCH_TOPIC]])
      })
    }
  }) as unknown as Libp2p<GossipServices>
}
