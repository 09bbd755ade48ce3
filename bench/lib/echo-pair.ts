/**
 * An echo server and a client worker kept up across blocks of round trips, so that blocks of
 * several pairs can be timed in turn, seconds apart (the RTT figure, bench/tools/ab-rtt.ts).
 */
import { startWorker, stopAll } from './proc.ts'
import type { Msg, WorkerHandle } from './proc.ts'

export interface EchoPair {
  server: WorkerHandle
  client: WorkerHandle
  /** The client's `rtt` command, aimed at the server. */
  target: Msg
  /** Whether a block has run: the first one warms the pair up, later ones only wake it. */
  warmed: boolean
}

/** How long a pair's later blocks warm up: its code is optimised already, only cold again. */
export const REWARM_MS = 300

/** Starts `file` twice and has the server listen (`listen` adds to the command); up for 30 minutes at most. */
export async function startEchoPair (file: string, label: string, listen: Record<string, unknown> = {}): Promise<EchoPair> {
  const lifetime = { maxLifetimeMs: 30 * 60_000 }
  const server = startWorker(file, { label: `${label}-echo`, ...lifetime })
  const client = startWorker(file, { label: `${label}-client`, ...lifetime })
  try {
    await Promise.all([server.next('ready', 15_000), client.next('ready', 15_000)])
    const l = await server.request<Msg & { port?: number, addr?: string, name?: string }>({ type: 'listen', mode: 'echo', ...listen }, 'listening', 15_000)
    // raw TCP answers with a port, libp2p and the overlay with a multiaddr (and the hub's name)
    const target: Msg = l.port !== undefined ? { type: 'rtt', port: l.port } : { type: 'rtt', addr: l.addr, name: l.name }
    return { server, client, target, warmed: false }
  } catch (err) {
    await stopAll([server, client])
    throw err
  }
}

/** Times one block of round trips: `request` adds size and count to the pair's target. */
export async function timeBlock<T extends Msg> (pair: EchoPair, request: Record<string, unknown>, warmupMs: number): Promise<T> {
  const res = await pair.client.request<T>({ ...pair.target, ...request, warmupMs: pair.warmed ? REWARM_MS : warmupMs }, 'rtt', 120_000)
  pair.warmed = true
  return res
}

export async function stopPairs (pairs: Iterable<EchoPair>): Promise<void> {
  await stopAll([...pairs].flatMap(p => [p.server, p.client]))
}
