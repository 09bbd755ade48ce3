/** Two workers of one variant, a server and a client aimed at it; ab-rtt and the RTT figure keep theirs up across blocks timed in turn. */
import { startWorker, stopAll, type Msg, type WorkerHandle } from './proc.ts'

/** `target`: a port (raw TCP) or a multiaddr (and the hub's name); `warmed`: a block has run, later ones only re-warm. */
export interface Pair { server: WorkerHandle, client: WorkerHandle, target: { port?: number, addr?: string, name?: string }, warmed: boolean }

/** How long a pair's later blocks warm up: its code is optimised already, only cold again. */
export const REWARM_MS = 300

/** Starts `file` twice; the server gets `listen` (mode and extra fields). An echo pair stays up for blocks of round trips. */
export async function startPair (file: string, label: string, listen: Record<string, unknown>, maxLifetimeMs = listen.mode === 'echo' ? 30 * 60_000 : 120_000): Promise<Pair> {
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

/** Times one block of round trips: `request` adds size and count to the pair's target. */
export async function timeBlock<T extends Msg> (pair: Pair, request: Record<string, unknown>, warmupMs: number): Promise<T> {
  const res = await pair.client.request<T>({ type: 'rtt', ...pair.target, ...request, warmupMs: pair.warmed ? REWARM_MS : warmupMs }, 'rtt', 120_000)
  pair.warmed = true
  return res
}

export const stopPairs = async (pairs: Iterable<Pair>): Promise<void> => { await stopAll([...pairs].flatMap(p => [p.server, p.client])) }
