/**
 * Worker-side helpers for the overlay variants (bench/workers/overlay-*.ts and
 * the overlay roles of memory.ts). Only the public library API is used:
 * `createOverlayNode` from src/index.ts and the methods/events of the
 * returned OverlayNode (start, stop, send, sendTo, sessions, members, stats,
 * openSession, getMultiaddrs, libp2p, 'message'/'session'/'joined'/... events).
 * Never imported by the driver (bench/run.ts), so the driver does not load src/.
 *
 * Every node gets a fresh data dir (identity, lock, status file) under
 * BENCH_TMP_DIR (created by the driver and removed at its end, also when a
 * worker was SIGKILLed), listens on 127.0.0.1 only, and uses one shared token.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createOverlayNode, JSON_PROTOCOL } from '../../src/index.ts'
import type { OverlayNode, PartialConfig } from '../../src/index.ts'
import { median } from './stats.ts'
import { onCleanup, sleep } from './worker.ts'

export type { OverlayNode }

export const BENCH_TOKEN = 'bench-token-not-a-secret'
export const LOOPBACK_LISTEN = '/ip4/127.0.0.1/tcp/0'

const nodes = new Set<OverlayNode>()
const dirs = new Set<string>()

onCleanup(async () => {
  // best effort and bounded: a worker must exit quickly; the driver removes BENCH_TMP_DIR anyway
  const stops = Promise.allSettled([...nodes].map(async n => { await n.stop() }))
  await Promise.race([stops, sleep(1500)])
  await Promise.allSettled([...dirs].map(async d => { await rm(d, { recursive: true, force: true }) }))
})

/** Creates (does not start) an overlay node with bench defaults under `partial`. */
export async function createBenchNode (partial: PartialConfig = {}): Promise<OverlayNode> {
  for (const a of [...(partial.bootstrap ?? []), ...(partial.listen ?? [])]) assertLoopbackAddr(a)
  const dir = await mkdtemp(path.join(process.env.BENCH_TMP_DIR ?? os.tmpdir(), 'node-'))
  dirs.add(dir)
  const node = await createOverlayNode({ listen: [LOOPBACK_LISTEN], token: BENCH_TOKEN, ...partial, dataDir: dir })
  nodes.add(node)
  return node
}

export async function startBenchNode (partial: PartialConfig = {}): Promise<OverlayNode> {
  const node = await createBenchNode(partial)
  await node.start()
  return node
}

export function assertLoopbackAddr (addr: string): void {
  if (!(addr.startsWith('/ip4/127.') || addr.startsWith('/ip6/::1/'))) throw new Error(`refusing non-loopback address ${addr}`)
}

/** The node's 127.0.0.1 listen address, with /p2p/<peerId>. */
export function overlayAddr (node: OverlayNode): string {
  const addr = node.getMultiaddrs().find(a => a.startsWith('/ip4/127.0.0.1/'))
  if (addr === undefined) throw new Error(`node ${node.name} has no 127.0.0.1 listen address`)
  return addr
}

/** Whether `node` lists `name` as a present (alive or suspect) member. */
export function isMember (node: OverlayNode, name: string): boolean {
  return node.members().some(m => !m.self && m.name === name && (m.state === 'alive' || m.state === 'suspect'))
}

/** Polls `cond` every `intervalMs` until true; throws after `timeoutMs`. */
export async function waitUntil (cond: () => boolean, timeoutMs: number, what: string, intervalMs = 10): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timeout after ${timeoutMs} ms: ${what}`)
    await sleep(intervalMs)
  }
}

/** A one-line text of exactly `size` ASCII characters (no CR/LF), built once. */
export function textOf (size: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let s = ''
  for (let i = 0; i < size; i++) s += alphabet[i % alphabet.length] as string
  return s
}

/** The bytes a direct message and its ACK take in the session's stream (without yamux's and Noise's framing), medians. */
export interface DirectFrameSizes { msgBytes: number, ackBytes: number }

/**
 * Measures what `roundTrip` (one `sendTo` from `leaf`) puts in its JSON session's stream and what
 * comes back, over `count` round trips: the sizes the RTT figure's shaped bare echo copies. Only
 * for a leaf with one session; its stream's `send` is observed for this call only.
 */
export async function directFrameSizes (leaf: OverlayNode, roundTrip: () => Promise<unknown>, count = 21): Promise<DirectFrameSizes> {
  const streams = leaf.libp2p.getConnections().flatMap(c => c.streams).filter(s => s.protocol === JSON_PROTOCOL)
  const stream = streams[0]
  if (stream === undefined || streams.length !== 1) throw new Error(`expected one ${JSON_PROTOCOL} stream, found ${streams.length}`)
  const sent: number[] = []
  const received: number[] = []
  const onMessage = (evt: { data: { byteLength: number } }): void => { received.push(evt.data.byteLength) }
  const send = stream.send
  stream.send = (data) => { sent.push(data.byteLength); return send.call(stream, data) }
  stream.addEventListener('message', onMessage)
  try {
    for (let i = 0; i < count; i++) await roundTrip()
  } finally {
    stream.send = send
    stream.removeEventListener('message', onMessage)
  }
  if (sent.length === 0 || received.length === 0) throw new Error(`saw ${sent.length} sends and ${received.length} receipts in ${count} round trips`)
  // Medians: a heartbeat or membership frame in between does not shift them.
  return { msgBytes: median(sent), ackBytes: median(received) }
}
