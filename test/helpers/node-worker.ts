/**
 * Child process that runs overlay nodes away from the test's event loop, so a test can flood a
 * hub, measure its memory, or time round trips without its own load in the figures. Driven over
 * IPC by node-process.ts; every command gets one reply of the same `type` (or `error`):
 *   { type: 'hub', config }                         -> { addr, peerId }  one hub, started
 *   { type: 'status' }                              -> { stats, sessions, members, rss, events, uncaught }
 *   { type: 'gc' }                                  -> { rss }  (a full collection first, when exposed)
 *   { type: 'leaves', count, bootstrap, prefix, config } -> { peerIds }  leaves, not started
 *   { type: 'start' }                               -> { ms }  starts every leaf at once
 *   { type: 'bootstraps' }                          -> { attempts, failures, errors }
 *   { type: 'pair', hubAddr, hubName, token, leafName, textName } -> { leafPeerId, textPeerId }
 *   { type: 'report', since, until }                -> PairReport
 *   { type: 'stop' }                                -> {}, then exits
 * `events` holds the hub's failed/left/suspect/rejected events and session closes with a code.
 * It exits by itself when the parent goes away (IPC disconnect), so no node outlives the test.
 */
import { loopbackAddr, tracker } from './create-nodes.ts'
import { connectTextClient } from './text-client.ts'
import { waitFor } from './wait-for.ts'
import type { TextClient } from './text-client.ts'
import type { OverlayNode, PartialConfig } from '../../src/index.ts'

type Command = { type: string } & Record<string, unknown>
type Reply = Record<string, unknown>

let uncaught = 0
process.on('uncaughtException', err => { uncaught++; process.stderr.write(`node-worker uncaught: ${err.stack ?? String(err)}\n`) })
process.on('unhandledRejection', err => { uncaught++; process.stderr.write(`node-worker unhandled: ${(err as Error).stack ?? String(err)}\n`) })

// --- a hub ---
let hub: OverlayNode | undefined
const events: Reply[] = []

async function startHub (cmd: Command): Promise<Reply> {
  const node = await tracker.createNode({ mode: 'hub', name: 'hub', ...cmd.config as PartialConfig })
  for (const type of ['failed', 'left', 'suspect', 'rejected', 'session'] as const) {
    node.addEventListener(type, evt => {
      const detail = evt.detail as Reply
      if (type === 'session' && detail.code === undefined) return
      events.push({ type, ...detail })
    })
  }
  await node.start()
  hub = node
  return { addr: loopbackAddr(node), peerId: node.peerId }
}

// --- many leaves ---
const leaves: OverlayNode[] = []
/** Bootstrap outcomes: how many attempts each leaf needed, and why the failed ones failed. */
const outcome = { attempts: [] as number[], failures: 0, errors: {} as Record<string, number> }

async function createLeaves (cmd: Command): Promise<Reply> {
  for (let i = 0; i < (cmd.count as number); i++) {
    const leaf = await tracker.createNode({ ...cmd.config as PartialConfig, mode: 'leaf', name: `${cmd.prefix as string}${i}`, bootstrap: cmd.bootstrap as string[] })
    leaf.addEventListener('bootstrap', evt => {
      if (evt.detail.ok) { outcome.attempts.push(evt.detail.attempt); return }
      outcome.failures++
      const why = (evt.detail.error ?? '').slice(0, 60)
      outcome.errors[why] = (outcome.errors[why] ?? 0) + 1
    })
    leaves.push(leaf)
  }
  return { peerIds: leaves.map(l => l.peerId) }
}

// --- the honest pair of the hostile-peer suite ---
// A leaf and a text client, both on 127.0.0.1, exchanging 10 pings a second through the hub: the
// text client sends `MSG:ping-<n>`, the leaf answers with a broadcast `pong-<n>`, the client times it.
const PING_INTERVAL_MS = 100
/** A ping whose pong has not come after this long counts as lost. */
const LOST_AFTER_MS = 2_000
/** Received lines kept by the text client (floods would grow the array without end). */
const MAX_KEPT_LINES = 1_000

/** Pings in flight: when each left (epoch ms, and performance.now()). */
const sent = new Map<number, { at: number, t: number }>()
const samples: Array<{ n: number, at: number, rtt: number }> = []
/** Anything that should not happen to an honest member: disconnects, ERR, failure suspicion. */
const trouble: Array<{ at: number, what: string }> = []
let text: { client: TextClient, name: string } | undefined
let pinger: NodeJS.Timeout | undefined
let trimmer: NodeJS.Timeout | undefined

function note (what: string): void { trouble.push({ at: Date.now(), what }) }

async function startPair (cmd: Command): Promise<Reply> {
  const { hubAddr, hubName, token, leafName, textName } = cmd as Record<string, string>
  const watched = new Set([hubName, textName])
  const node = await tracker.createNode({ mode: 'leaf', name: leafName, bootstrap: [hubAddr as string], token })
  node.addEventListener('message', evt => {
    const m = /^ping-(\d+)$/.exec(evt.detail.text)
    if (m === null || evt.detail.from !== textName) return
    node.send(`pong-${m[1]}`).catch((err: Error) => { note(`leaf could not send pong-${m[1]}: ${err.message}`) })
  })
  node.addEventListener('session', evt => { if (evt.detail.action === 'close') note(`leaf session closed: ${JSON.stringify(evt.detail)}`) })
  for (const type of ['suspect', 'failed', 'left'] as const) {
    node.addEventListener(type, evt => { if (watched.has(evt.detail.name)) note(`leaf saw ${type}: ${JSON.stringify(evt.detail)}`) })
  }
  node.addEventListener('error', evt => { note(`leaf error: ${JSON.stringify(evt.detail)}`) })
  await node.start()

  const client = await connectTextClient(hubAddr as string)
  text = { client, name: textName as string }
  client.keepChunks = false
  client.write(`AUTH:${token as string}\n`)
  await client.waitLine('OK:AUTH')
  client.write(`JOIN:${textName as string}\n`)
  await client.waitLine('OK:JOIN')
  const pong = new RegExp(`^MSG:${leafName as string}:pong-(\\d+)$`)
  client.onLine.push(line => {
    const m = pong.exec(line)
    if (m !== null) {
      const n = Number(m[1])
      const ping = sent.get(n)
      if (ping !== undefined) {
        sent.delete(n)
        samples.push({ n, at: ping.at, rtt: performance.now() - ping.t })
      }
      return
    }
    if (line.startsWith('ERR:') || line === `EXIT:${leafName as string}`) note(`text client got ${line.slice(0, 200)}`)
  })
  void client.closed.then(info => { note(`text client stream closed (${info.error?.message ?? 'no error'})`) })
  trimmer = setInterval(() => { if (client.lines.length > MAX_KEPT_LINES) client.lines.splice(0, client.lines.length - MAX_KEPT_LINES) }, 500)

  // Both ends see each other before the first ping.
  await waitFor(() => node.members().some(m => m.name === textName && m.state === 'alive'), { timeout: 10_000, message: `the leaf saw ${textName as string} join` })
  let n = 0
  pinger = setInterval(() => {
    n++
    sent.set(n, { at: Date.now(), t: performance.now() })
    try {
      client.write(`MSG:ping-${n}\n`)
    } catch (err) {
      note(`text client could not send ping-${n}: ${(err as Error).message}`)
    }
  }, PING_INTERVAL_MS)
  return { leafPeerId: node.peerId, textPeerId: client.peerId }
}

/** Round trips of the pings sent in [since, until], the pings of that window unanswered (lost: for 2 s), and trouble since `since`. */
function report (since: number, until: number): Reply {
  const window = samples.filter(s => s.at >= since && s.at <= until)
  const settled = Date.now() - LOST_AFTER_MS
  const lost = [...sent.entries()].filter(([, p]) => p.at >= since && p.at <= Math.min(until, settled)).map(([n]) => n)
  const pending = [...sent.entries()].filter(([, p]) => p.at >= since && p.at <= until).map(([n]) => n)
  return { rtts: window.map(s => s.rtt), lost, pending, trouble: trouble.filter(t => t.at >= since).map(t => t.what) }
}

// --- the commands ---
async function stopAll (): Promise<void> {
  clearInterval(pinger)
  clearInterval(trimmer)
  const pair = text
  text = undefined
  if (pair !== undefined) try { pair.client.write(`EXIT:${pair.name}\n`) } catch {}
  await tracker.stopAll()
}

const commands: Record<string, (cmd: Command) => Reply | Promise<Reply>> = {
  hub: startHub,
  status: () => ({ stats: hub?.stats(), sessions: hub?.sessions(), members: hub?.members(), rss: process.memoryUsage().rss, events, uncaught }),
  gc: () => { globalThis.gc?.(); return { rss: process.memoryUsage().rss } },
  leaves: createLeaves,
  start: async () => {
    const t0 = performance.now()
    await Promise.all(leaves.map(async l => { await l.start() }))
    return { ms: performance.now() - t0 }
  },
  bootstraps: () => ({ ...outcome }),
  pair: startPair,
  report: cmd => report((cmd.since as number | undefined) ?? 0, (cmd.until as number | undefined) ?? Date.now()),
  stop: async () => { await stopAll(); setImmediate(() => { process.disconnect() }); return {} }
}

const reply = (msg: Reply): void => { process.send?.(msg) }

process.on('disconnect', () => { void stopAll().catch(() => {}).finally(() => { process.exit(0) }) })
process.on('message', (cmd: Command) => {
  void (async () => {
    try {
      const run = commands[cmd.type]
      if (run === undefined) throw new Error(`unknown command ${cmd.type}`)
      reply({ ...await run(cmd), type: cmd.type })
    } catch (err) {
      reply({ type: 'error', message: (err as Error).stack ?? String(err) })
    }
  })()
})

reply({ type: 'ready' })
