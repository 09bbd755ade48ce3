/** Worker-side overlay helpers, public API of src/index.ts only; a fresh data dir per node, 127.0.0.1, one shared token. */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createOverlayNode, JSON_PROTOCOL, type OverlayNode, type PartialConfig } from '../../src/index.ts'
import { median } from './stats.ts'
import { assertLoopback, onCleanup } from './worker.ts'

export type { OverlayNode }

const nodes = new Set<OverlayNode>()
const dirs = new Set<string>()

onCleanup(async () => {
  // bounded: a worker must exit quickly, and the driver removes BENCH_TMP_DIR anyway
  await Promise.race([Promise.allSettled([...nodes].map(async n => { await n.stop() })), sleep(1500)])
  await Promise.allSettled([...dirs].map(async d => { await rm(d, { recursive: true, force: true }) }))
})

/** Creates (does not start) an overlay node with bench defaults under `partial`. */
export async function createBenchNode (partial: PartialConfig = {}): Promise<OverlayNode> {
  for (const a of [...(partial.bootstrap ?? []), ...(partial.listen ?? [])]) assertLoopback(a)
  const dataDir = await mkdtemp(path.join(process.env.BENCH_TMP_DIR ?? os.tmpdir(), 'node-'))
  dirs.add(dataDir)
  // BENCH_API=off runs without the control API; on (the default, as users run it) or events, with it.
  const api = process.env.BENCH_API === 'off' ? { api: { listen: 'off' } } : {}
  const node = await createOverlayNode({ listen: ['/ip4/127.0.0.1/tcp/0'], token: 'bench-token-not-a-secret', ...api, ...partial, dataDir })
  nodes.add(node)
  return node
}

export async function startBenchNode (partial: PartialConfig = {}): Promise<OverlayNode> {
  const node = await createBenchNode(partial)
  await node.start()
  if (process.env.BENCH_API === 'events') followEvents(node)
  return node
}

/** The follower: its own process, as `overlay events` would be, reading and dropping the stream. */
// eslint-disable-next-line no-template-curly-in-string -- the follower's source, run by `node -e`
const FOLLOWER = 'const [url, token] = process.argv.slice(1); const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }); for await (const _ of res.body) {}'

/** BENCH_API=events: one client follows the node's /v1/events while it runs (issue 19's cost check); none without the API. */
function followEvents (node: OverlayNode): void {
  if (node.uiUrl === undefined) return
  const url = new URL(node.uiUrl)
  assertLoopback(`/ip4/${url.hostname}/tcp/${url.port}`)
  const child = spawn(process.execPath, ['--input-type=module', '-e', FOLLOWER, new URL('/v1/events', url).href, url.searchParams.get('token') ?? ''], { stdio: 'ignore' })
  onCleanup(async () => { child.kill('SIGKILL') })
}

/** A one-line ASCII text of exactly `size` characters. */
export const textOf = (size: number): string => 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36)).slice(0, size)

/** What a `sendTo` from a leaf with one session puts in its stream and gets back (medians): the shaped echo's sizes. */
export async function directFrameSizes (leaf: OverlayNode, roundTrip: () => Promise<unknown>, count = 21): Promise<{ msgBytes: number, ackBytes: number }> {
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
  return { msgBytes: median(sent), ackBytes: median(received) }
}
