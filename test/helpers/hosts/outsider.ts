/**
 * An outsider (or an honest client) run inside one host of the namespace harness by
 * hostile.spec.ts. Prints one JSON event per line; every wait is bounded; exits on SIGTERM or
 * when stdin closes.
 *
 *   node outsider.ts hoard  <multiaddr> <count>      stream-less libp2p connections (forced, from 8 identities)
 *   node outsider.ts silent <ip> <port> <count>      raw TCP sockets that never send a byte
 *   node outsider.ts wrong  <multiaddr> <count>      text AUTH with a wrong token, a fresh peer id each time
 *   node outsider.ts probe  <multiaddr> <token>      one AUTH + PING (the health check) per stdin line
 */
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { TEXT_PROTOCOL } from '../../../src/constants.ts'
import { checkHealth } from '../../../src/node/health.ts'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Socket } from 'node:net'

const [mode, ...args] = process.argv.slice(2)
const out = (event: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(event) + '\n') }
const cleanups: Array<() => Promise<void> | void> = []
const t0 = performance.now()
const since = (): number => Math.round(performance.now() - t0)

async function bareNode (): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // An outsider has no reason to let libp2p prune or ping on its behalf.
    connectionMonitor: { enabled: false }
  })
  cleanups.push(async () => { await node.stop() })
  return node
}

/** Reports when the last of `conns` (made by `nodes`) has closed. */
function watchAll (nodes: Libp2p[], conns: Connection[]): void {
  const open = new Set(conns.filter(c => c.status === 'open'))
  const onClose = (evt: CustomEvent<Connection>): void => {
    if (!open.delete(evt.detail) || open.size > 0) return
    out({ type: 'all-closed', ms: since() })
  }
  for (const node of nodes) node.addEventListener('connection:close', onClose)
  if (open.size === 0) out({ type: 'all-closed', ms: since() })
}

async function hoard (addr: string, count: number): Promise<void> {
  const ma = multiaddr(addr)
  const nodes = await Promise.all(Array.from({ length: 8 }, async () => await bareNode()))
  const conns: Connection[] = []
  let refused = 0
  // Concurrent dials from one node to one peer are merged into one connection: one chain per node.
  await Promise.all(nodes.map(async (node, n) => {
    for (let i = n; i < count; i += nodes.length) {
      try {
        conns.push(await node.dial(ma, { force: true, signal: AbortSignal.timeout(5_000) }))
      } catch {
        refused++
      }
    }
  }))
  const open = conns.filter(c => c.status === 'open').length
  out({ type: 'held', open, refused, streams: conns.reduce((n, c) => n + c.streams.length, 0), ms: since() })
  watchAll(nodes, conns)
}

async function silent (host: string, port: number, count: number): Promise<void> {
  const sockets: Socket[] = []
  let connected = 0
  let failed = 0
  let closed = 0
  let closedEarly = 0
  let held = false
  let heldAt = 0
  await Promise.all(Array.from({ length: count }, async () => {
    const s = connect(port, host)
    sockets.push(s)
    s.on('error', () => {})
    s.once('close', () => {
      closed++
      if (!held) closedEarly++
      else if (closed === count) out({ type: 'all-closed', ms: since(), afterHeldMs: since() - heldAt })
    })
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { failed++; resolve() }, 5_000)
      s.once('connect', () => { clearTimeout(timer); connected++; resolve() })
      s.once('close', () => { clearTimeout(timer); resolve() })
    })
  }))
  cleanups.push(() => { for (const s of sockets) s.destroy() })
  // Let the node refuse what it refuses before counting what it holds (bounded: 20 x 50 ms).
  let last = -1
  for (let i = 0; i < 20 && closed !== last; i++) {
    last = closed
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  held = true
  heldAt = since()
  out({ type: 'held', connected, failed, closedEarly, open: count - closed, ms: heldAt })
  if (closed === count) out({ type: 'all-closed', ms: since(), afterHeldMs: 0 })
}

async function wrong (addr: string, count: number): Promise<void> {
  const ma = multiaddr(addr)
  const outcomes: string[] = []
  for (let i = 0; i < count; i++) {
    const node = await bareNode() // a fresh peer id every time
    let outcome: string
    try {
      const stream = await node.dialProtocol(ma, TEXT_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
      outcome = await new Promise<string>(resolve => {
        let text = ''
        const timer = setTimeout(() => { resolve('no_reply') }, 5_000)
        stream.addEventListener('message', evt => {
          text += new TextDecoder().decode(evt.data.subarray())
          const err = /^ERR:([a-z_]+)/m.exec(text)
          if (err !== null) { clearTimeout(timer); resolve(err[1] as string) }
        })
        stream.addEventListener('close', () => { clearTimeout(timer); resolve(text === '' ? 'closed' : text.trim()) })
        stream.send(new TextEncoder().encode('AUTH:not-the-token\n'))
      })
    } catch (err) {
      outcome = `refused:${(err as Error).name}`
    }
    outcomes.push(outcome)
    out({ type: 'attempt', i, outcome, peerId: node.peerId.toString() })
    await node.stop()
  }
  out({ type: 'done', outcomes })
}

async function probe (addr: string, token: string): Promise<void> {
  const target = [multiaddr(addr)]
  const lines = createInterface({ input: process.stdin })
  lines.on('line', () => {
    const start = performance.now()
    checkHealth(target, token, AbortSignal.timeout(10_000)).then(
      pong => { out({ type: 'probe', ok: true, ms: Math.round(performance.now() - start), sessions: pong.sessions }) },
      err => { out({ type: 'probe', ok: false, ms: Math.round(performance.now() - start), error: `${(err as Error).name}: ${(err as Error).message}` }) }
    )
  })
  out({ type: 'ready' })
}

async function shutdown (code: number): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {})
  process.exit(code)
}
process.on('SIGTERM', () => { void shutdown(0) })
process.stdin.on('end', () => { void shutdown(0) })
process.stdin.resume()

const run = mode === 'hoard'
  ? hoard(args[0] as string, Number(args[1]))
  : mode === 'silent'
    ? silent(args[0] as string, Number(args[1]), Number(args[2]))
    : mode === 'wrong'
      ? wrong(args[0] as string, Number(args[1]))
      : mode === 'probe'
        ? probe(args[0] as string, args[1] as string)
        : Promise.reject(new Error(`unknown mode ${String(mode)}`))
run.catch(err => {
  out({ type: 'error', message: (err as Error).message })
  void shutdown(1)
})
