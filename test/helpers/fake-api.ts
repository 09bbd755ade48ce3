/**
 * A stand-in for the control API that serves the built UI (dist/ui) with fixture data and an SSE
 * stream the test writes to, so the views can be tested in a real browser without a mesh.
 * It can go offline (drops every connection) and come back, like a restarting node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import type { AddressInfo, Socket } from 'node:net'

export const UI_DIR = new URL('../../dist/ui/', import.meta.url).pathname

export interface FakeMember {
  name: string
  peerId: string
  state: 'alive' | 'suspect' | 'failed' | 'left'
  inc: number
  mode: string
  self: boolean
  since: number
  lastHeard: number | null
  rttMs: number | null
}

export interface FakeApiOptions { members?: number, self?: string, directDelayMs?: number }

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' }

export function fakePeerId (i: number): string {
  return `12D3KooWFake${String(i).padStart(6, '0')}${'x'.repeat(34)}`
}

export function makeMembers (n: number, selfName = 'self'): FakeMember[] {
  const now = Date.now()
  const modes = ['peer', 'peer', 'hub', 'leaf']
  return Array.from({ length: n }, (_, i) => ({
    name: i === 0 ? selfName : `node-${String(i).padStart(4, '0')}`,
    peerId: fakePeerId(i),
    state: 'alive' as const,
    inc: 0,
    mode: modes[i % modes.length]!,
    self: i === 0,
    since: now - 60_000,
    lastHeard: i === 0 ? null : now - (i % 5) * 1000,
    rttMs: i === 0 ? null : 1 + (i % 17) / 2
  }))
}

export class FakeApi {
  url = ''
  members: FakeMember[]
  readonly sent: Array<{ text: string, to?: string }> = []
  stats: Record<string, number> = { delivered: 0, relayed: 0, sessions: 2, members: 0 }
  directDelayMs: number
  private readonly server = createServer((req, res) => { void this.handle(req, res) })
  private readonly sockets = new Set<Socket>()
  private readonly streams = new Set<ServerResponse>()
  private readonly ring: Array<{ seq: number, line: string }> = []
  private seq = 0
  private offline = false
  /** When true, every /v1 route answers 401, as the real API does without the token. */
  unauthorized = false
  /** How many event streams have been opened (reconnects count). */
  streamOpens = 0

  constructor (opts: FakeApiOptions = {}) {
    this.members = makeMembers(opts.members ?? 5, opts.self ?? 'alice')
    this.directDelayMs = opts.directDelayMs ?? 150
    this.server.on('connection', s => { this.sockets.add(s); s.on('close', () => { this.sockets.delete(s) }) })
  }

  get self (): FakeMember { return this.members[0]! }

  async start (): Promise<this> {
    await new Promise<void>(resolve => { this.server.listen(0, '127.0.0.1', resolve) })
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
    return this
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }

  get openStreams (): number { return this.streams.size }

  /** Sends one event to every open stream, as the real API does. */
  push (event: Record<string, unknown> & { type: string }): void {
    const seq = ++this.seq
    const line = `id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
    this.ring.push({ seq, line })
    if (this.ring.length > 1000) this.ring.shift()
    for (const s of this.streams) s.write(line)
  }

  /** Changes a member's state here and tells the UI with the matching event. */
  setState (name: string, state: FakeMember['state']): void {
    const m = this.members.find(x => x.name === name)
    if (m === undefined) throw new Error(`no member ${name}`)
    m.state = state
    this.push({ type: state, name, peerId: m.peerId, reason: state === 'left' ? 'exit' : state === 'alive' ? 'refuted' : state === 'failed' ? 'timeout' : 'silent' })
    // As a node does: a failed member is then reported as left, with reason "failed".
    if (state === 'failed') this.push({ type: 'left', name, peerId: m.peerId, reason: 'failed' })
  }

  /** Drops every connection and refuses new ones until `online(true)`. */
  setOnline (on: boolean): void {
    this.offline = !on
    if (!on) {
      for (const s of this.streams) s.destroy()
      this.streams.clear()
      for (const s of this.sockets) s.destroy()
    }
  }

  topology (): unknown {
    const self = this.self.peerId
    const others = this.members.slice(1)
    return {
      self,
      nodes: this.members.map(m => ({ peerId: m.peerId, name: m.name, state: m.state, mode: m.mode })),
      edges: others.map((m, i) => i < 3 ? { from: self, to: m.peerId, kind: 'session' } : { from: others[i % 3]!.peerId, to: m.peerId, kind: 'route' })
    }
  }

  private json (res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.offline) { req.socket.destroy(); return }
    const url = new URL(req.url ?? '/', 'http://x')
    const p = url.pathname
    if (this.unauthorized && p.startsWith('/v1/')) return this.json(res, 401, { error: { code: 'unauthorized', message: 'missing API token' } })
    if (p === '/v1/node') {
      const s = this.self
      return this.json(res, 200, {
        peerId: s.peerId, name: s.name, mode: s.mode, version: '0.1.0', uptimeMs: 60_000, startedAt: Date.now() - 60_000,
        addrs: [`/ip4/127.0.0.1/tcp/40001/p2p/${s.peerId}`, `/ip4/10.0.0.5/tcp/40001/p2p/${s.peerId}`],
        joinCommand: `overlay start --bootstrap /ip4/127.0.0.1/tcp/40001/p2p/${s.peerId} --token-file /path/to/token`
      })
    }
    if (p === '/v1/members') return this.json(res, 200, { members: this.members })
    if (p === '/v1/sessions') return this.json(res, 200, { sessions: this.members.slice(1, 3).map(m => ({ peerId: m.peerId, name: m.name, wire: 'json', mode: m.mode, encryption: '/noise', remoteAddr: '/ip4/127.0.0.1/tcp/4000', queuedBytes: 0 })) })
    if (p === '/v1/stats') return this.json(res, 200, { ...this.stats, members: this.members.length })
    if (p === '/v1/topology') return this.json(res, 200, this.topology())
    if (p === '/v1/messages' && req.method === 'POST') {
      let body = ''
      for await (const chunk of req) body += String(chunk)
      const msg = JSON.parse(body) as { text: string, to?: string }
      this.sent.push(msg)
      const id = `m${this.sent.length}`
      if (msg.to === undefined) return this.json(res, 202, { id })
      if (!this.members.some(m => m.name === msg.to)) return this.json(res, 404, { error: { code: 'unknown_member', message: `no member named ${msg.to}` } })
      await new Promise(resolve => setTimeout(resolve, this.directDelayMs))
      return this.json(res, 200, { id, to: msg.to })
    }
    if (p === '/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-overlay-replayed-through': String(this.seq) })
      res.write(': hello\n\n')
      const after = Number(req.headers['last-event-id'] ?? NaN)
      if (Number.isFinite(after)) for (const r of this.ring) if (r.seq > after) res.write(r.line)
      this.streams.add(res)
      this.streamOpens++
      res.on('close', () => { this.streams.delete(res) })
      return
    }
    if (p.startsWith('/v1/')) return this.json(res, 404, { error: { code: 'not_found', message: p } })
    const file = normalize(join(UI_DIR, p === '/' ? 'index.html' : p))
    if (!file.startsWith(UI_DIR)) return this.json(res, 400, { error: { code: 'bad_path', message: p } })
    try {
      const data = await readFile(file)
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(data)
    } catch {
      this.json(res, 404, { error: { code: 'not_found', message: p } })
    }
  }
}
