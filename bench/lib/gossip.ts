/** The gossipsub baseline's node: default gossipsub but P6; apart from libp2p.ts so the bare workers do not load it. */
import type { Libp2p, ServiceMap } from '@libp2p/interface'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'
import { createBareNode } from './libp2p.ts'

export const BENCH_TOPIC = 'bench'

/** Frames sent: gossipsub's `onRpcSent` adds one to `..._rpc_sent_count_total` per RPC pushed to a peer. Counters only. */
export class CountingRegister {
  readonly counters = new Map<string, number>()
  get (name: string): number { return this.counters.get(name) ?? 0 }
  register (): MetricsRegister {
    const gauge = (cfg: { name: string }): any => ({
      inc: (a?: unknown, b?: unknown) => { this.counters.set(cfg.name, this.get(cfg.name) + (typeof a === 'number' ? a : typeof b === 'number' ? b : 1)) },
      set: () => {},
      addCollect: () => {}
    })
    return { gauge, histogram: (): any => ({ startTimer: () => () => {}, observe: () => {}, reset: () => {} }), avgMinMax: (): any => ({ set: () => {} }) } as unknown as MetricsRegister
  }
}

export interface GossipServices extends ServiceMap { identify: unknown, pubsub: GossipSub }

export async function createGossipNode (register: CountingRegister): Promise<Libp2p<GossipServices>> {
  return await createBareNode<GossipServices>(true, {
    identify: identify(),
    pubsub: gossipsub({
      allowPublishToZeroTopicPeers: true,
      // P6 (IP colocation) scores all peers negative past 10 per IP: on loopback N=25 lost ~2 % of deliveries
      scoreParams: { IPColocationFactorWeight: 0 },
      metricsRegister: register.register(),
      metricsTopicStrToLabel: new Map([[BENCH_TOPIC, BENCH_TOPIC]])
    })
  })
}
