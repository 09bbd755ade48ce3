/**
 * Child process holding the honest pair of the hostile-peer suite, away from the attackers' event
 * loop: a leaf node and a text client, both on 127.0.0.1, exchanging 10 pings a second through the
 * hub. The text client sends `MSG:ping-<n>`; the leaf answers every ping with a broadcast
 * `pong-<n>`; the text client times each round trip. Driven over IPC (see honest-pair.ts):
 *   { type: 'start', hubAddr, token, leafName, textName } -> { type: 'started', leafPeerId, textPeerId }
 *   { type: 'report', since, until }                      -> { type: 'report', ...PairReport }
 *   { type: 'stop' }                                      -> { type: 'stopped' }, then exits
 * It exits by itself when the parent goes away (IPC disconnect).
 */
import { tracker } from './create-nodes.ts'
import { connectTextClient } from './text-client.ts'
import type { TextClient } from './text-client.ts'
import type { OverlayNode } from '../../src/index.ts'

interface Command { type: 'start' | 'report' | 'stop', hubAddr?: string, token?: string, leafName?: string, textName?: string, hubName?: string, since?: number, until?: number }

/** One round trip: when the ping left (epoch ms) and how long until its pong (ms). */
interface Sample { n: number, at: number, rtt: number }

const PING_INTERVAL_MS = 100
/** A ping whose pong has not come after this long counts as lost. */
const LOST_AFTER_MS = 2_000
/** Received lines kept by the text client (floods would grow the array without end). */
const MAX_KEPT_LINES = 1_000

const sent = new Map<number, { at: number, t: number }>()
const samples: Sample[] = []
/** Anything that should not happen to an honest member: disconnects, ERR, failure suspicion. */
const trouble: Array<{ at: number, what: string }> = []
let leaf: OverlayNode | undefined
let text: TextClient | undefined
let pinger: NodeJS.Timeout | undefined
let trimmer: NodeJS.Timeout | undefined

function reply (msg: Record<string, unknown>): void { process.send?.(msg) }
function note (what: string): void { trouble.push({ at: Date.now(), what }) }

async function start (cmd: Required<Pick<Command, 'hubAddr' | 'token' | 'leafName' | 'textName' | 'hubName'>>): Promise<Record<string, unknown>> {
  const watched = new Set([cmd.hubName, cmd.textName])
  const node = await tracker.createNode({ mode: 'leaf', name: cmd.leafName, bootstrap: [cmd.hubAddr], token: cmd.token })
  leaf = node
  node.addEventListener('message', evt => {
    const m = /^ping-(\d+)$/.exec(evt.detail.text)
    if (m === null || evt.detail.from !== cmd.textName) return
    node.send(`pong-${m[1]}`).catch((err: Error) => { note(`leaf could not send pong-${m[1]}: ${err.message}`) })
  })
  node.addEventListener('session', evt => { if (evt.detail.action === 'close') note(`leaf session closed: ${JSON.stringify(evt.detail)}`) })
  for (const type of ['suspect', 'failed', 'left'] as const) {
    node.addEventListener(type, evt => { if (watched.has(evt.detail.name)) note(`leaf saw ${type}: ${JSON.stringify(evt.detail)}`) })
  }
  node.addEventListener('error', evt => { note(`leaf error: ${JSON.stringify(evt.detail)}`) })
  await node.start()

  const client = await connectTextClient(cmd.hubAddr)
  text = client
  client.keepChunks = false
  client.write(`AUTH:${cmd.token}\n`)
  await client.waitLine('OK:AUTH')
  client.write(`JOIN:${cmd.textName}\n`)
  await client.waitLine('OK:JOIN')
  const pong = new RegExp(`^MSG:${cmd.leafName}:pong-(\\d+)$`)
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
    if (line.startsWith('ERR:') || line === `EXIT:${cmd.leafName}`) note(`text client got ${line.slice(0, 200)}`)
  })
  void client.closed.then(info => { note(`text client stream closed (${info.error?.message ?? 'no error'})`) })
  trimmer = setInterval(() => { if (client.lines.length > MAX_KEPT_LINES) client.lines.splice(0, client.lines.length - MAX_KEPT_LINES) }, 500)

  // Both ends see each other before the first ping.
  const deadline = Date.now() + 10_000
  while (!node.members().some(m => m.name === cmd.textName && m.state === 'alive')) {
    if (Date.now() > deadline) throw new Error(`the leaf never saw ${cmd.textName} join`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
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
function report (since: number, until: number): Record<string, unknown> {
  const window = samples.filter(s => s.at >= since && s.at <= until)
  const settled = Date.now() - LOST_AFTER_MS
  const lost = [...sent.entries()].filter(([, p]) => p.at >= since && p.at <= Math.min(until, settled)).map(([n]) => n)
  const pending = [...sent.entries()].filter(([, p]) => p.at >= since && p.at <= until).map(([n]) => n)
  return { rtts: window.map(s => s.rtt), lost, pending, trouble: trouble.filter(t => t.at >= since).map(t => t.what) }
}

async function shutdown (code: number): Promise<void> {
  clearInterval(pinger)
  clearInterval(trimmer)
  await tracker.stopAll().catch(() => {})
  process.exit(code)
}

process.on('disconnect', () => { void shutdown(0) })

process.on('message', (msg: Command) => {
  void (async () => {
    try {
      switch (msg.type) {
        case 'start':
          reply({ type: 'started', ...await start(msg as Required<Command>) })
          break
        case 'report':
          reply({ type: 'report', ...report(msg.since ?? 0, msg.until ?? Date.now()) })
          break
        case 'stop':
          clearInterval(pinger)
          clearInterval(trimmer)
          try { text?.write(`EXIT:${msg.textName ?? ''}\n`) } catch {}
          await tracker.stopAll()
          reply({ type: 'stopped' })
          process.disconnect()
          break
      }
    } catch (err) {
      reply({ type: 'error', message: (err as Error).stack ?? String(err) })
    }
  })()
})

reply({ type: 'ready' })
