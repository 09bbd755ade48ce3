/** A server and a client worker of one variant; ab-rtt and the RTT figure keep theirs up across blocks timed in turn. */
import { startWorker, stopAll, type Msg, type WorkerHandle } from './proc.ts'

export interface Pair {
  server: WorkerHandle
  client: WorkerHandle
  /** where the client dials: raw TCP listens on a port, libp2p and the overlay on a multiaddr (the hub also has a name) */
  target: { port?: number, addr?: string, name?: string }
  /** whether a block has run: the first warms the pair up, later ones only wake it */
  warmed: boolean
}

/** How long a pair's later blocks warm up: its code is optimised already, only cold again. */
export const REWARM_MS = 300

/** Starts `file` twice; the server gets `listen` (mode and extra fields). */
export async function startPair (file: string, label: string, listen: Record<string, unknown>, maxLifetimeMs = 120_000): Promise<Pair> {
  const [server, client] = [startWorker(file, { label: `${label}-server`, maxLifetimeMs }), startWorker(file, { label: `${label}-client`, maxLifetimeMs })]
  try {
    await Promise.all([server.next('ready', 15_000), client.next('ready', 15_000)])
    const l = await server.request<Msg & Pair['target']>({ type: 'listen', ...listen }, 'listening', 15_000)
    return { server, client, target: l.port !== undefined ? { port: l.port } : { addr: l.addr, name: l.name }, warmed: false }
  } catch (err) {
    await stopAll([server, client])
    throw err
  }
}

/** An echo pair up for 30 minutes at most. */
export const startEchoPair = async (file: string, label: string, listen: Record<string, unknown> = {}): Promise<Pair> => await startPair(file, label, { mode: 'echo', ...listen }, 30 * 60_000)

/** Times one block of round trips: `request` adds size and count to the pair's target. */
export async function timeBlock<T extends Msg> (pair: Pair, request: Record<string, unknown>, warmupMs: number): Promise<T> {
  const res = await pair.client.request<T>({ type: 'rtt', ...pair.target, ...request, warmupMs: pair.warmed ? REWARM_MS : warmupMs }, 'rtt', 120_000)
  pair.warmed = true
  return res
}

export const stopPairs = async (pairs: Iterable<Pair>): Promise<void> => { await stopAll([...pairs].flatMap(p => [p.server, p.client])) }
