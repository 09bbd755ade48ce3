/**
 * The UI's state, outside React: events mutate it in place and React re-reads it at most once
 * a frame (useSyncExternalStore on per-slice version numbers). Copying a 10,000-message array
 * on every event would not keep up with 100 events a second.
 */
import { api, ApiError } from './api.ts'
import { followEvents, type Connection } from './event-stream.ts'
import type { ChatMessage, Member, MemberState, NodeInfo, OverlayEvent } from './types.ts'

const MAX_MESSAGES = 20_000
const MAX_EVENTS = 5_000
const CHART_SAMPLES = 60
export const BROADCAST = '*'

const MEMBER_REFRESH_MS = 5_000
const STATS_INTERVAL_MS = 1_000

export type Slice = 'conn' | 'node' | 'members' | 'messages' | 'events' | 'stats' | 'topology'

export interface StatSample { t: number, delivered: number, relayed: number, sessions: number }

const STATE_BY_EVENT: Record<string, MemberState> = { joined: 'alive', alive: 'alive', suspect: 'suspect', failed: 'failed', left: 'left' }

export class Store {
  connection: Connection = 'connecting'
  node: NodeInfo | null = null
  members = new Map<string, Member>()
  messages: ChatMessage[] = []
  events: OverlayEvent[] = []
  unread = new Map<string, number>()
  /** The conversation on screen, or null when the chat view is not shown. */
  activeConv: string | null = null
  stats: StatSample[] = []
  /** Bumped when something the topology shows changed (sessions, member states). */
  topologyHint = 0
  readonly versions: Record<Slice, number> = { conn: 0, node: 0, members: 0, messages: 0, events: 0, stats: 0, topology: 0 }

  private readonly listeners = new Set<() => void>()
  private frame: number | null = null
  private localIds = 0
  /** Message ids already shown: a replay after a reconnection may repeat some. */
  private readonly seenMessages = new Set<string>()
  private lastCounts: { t: number, delivered: number, relayed: number } | null = null
  private readonly timers: Array<ReturnType<typeof setInterval>> = []
  private stopStream: (() => void) | null = null
  private memberRefresh: ReturnType<typeof setTimeout> | null = null

  start (): void {
    // Snapshots load alongside the event stream, not after it: the first screen needs them.
    void this.refreshAll()
    let reconnect = false
    this.stopStream = followEvents('v1/events', {
      onConnection: c => { this.connection = c; this.changed('conn') },
      // On a reconnection, or when the first snapshots were refused (no token yet), fetch them (again).
      onOpen: () => { if (reconnect || this.node === null) void this.refreshAll(); reconnect = true },
      onEvent: (data, seq, replayed) => { this.apply({ ...data, type: String(data.type), seq, at: Date.now(), ...(replayed ? { replayed } : {}) }) }
    })
    this.timers.push(setInterval(() => { if (this.connection === 'online') void this.refreshMembers() }, MEMBER_REFRESH_MS))
    this.timers.push(setInterval(() => { if (this.connection === 'online') void this.sampleStats() }, STATS_INTERVAL_MS))
  }

  stop (): void {
    this.stopStream?.()
    for (const t of this.timers) clearInterval(t)
    if (this.frame !== null) cancelAnimationFrame(this.frame)
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  /** Marks a slice changed; listeners run once on the next frame however many events came. */
  changed (slice: Slice): void {
    this.versions[slice]++
    if (this.frame !== null) return
    const flush = (): void => {
      this.frame = null
      for (const fn of this.listeners) fn()
    }
    // requestAnimationFrame does not run in hidden tabs; a timer keeps the state current there.
    this.frame = document.hidden ? (setTimeout(flush, 100) as unknown as number) : requestAnimationFrame(flush)
  }

  async refreshAll (): Promise<void> {
    await Promise.allSettled([this.refreshNode(), this.refreshMembers()])
    this.bumpTopology()
  }

  async refreshNode (): Promise<void> {
    try {
      this.node = await api.node()
      this.changed('node')
    } catch (err) { this.noteError(err) }
  }

  async refreshMembers (): Promise<void> {
    try {
      const list = await api.members()
      // Text clients have no mode (they have the host that speaks for them).
      this.members = new Map(list.map(m => [m.peerId, { ...m, mode: m.mode ?? (m.host === undefined ? '' : 'text') }]))
      this.changed('members')
    } catch (err) { this.noteError(err) }
  }

  private async sampleStats (): Promise<void> {
    try {
      const s = await api.stats()
      const now = Date.now()
      const cur = { t: now, delivered: s.delivered ?? 0, relayed: s.relayed ?? 0 }
      const prev = this.lastCounts
      // Counters restart with the node: a drop starts a new baseline.
      const rate = (k: 'delivered' | 'relayed'): number => prev === null || cur[k] < prev[k] ? 0 : (cur[k] - prev[k]) / Math.max(0.001, (now - prev.t) / 1000)
      this.stats.push({ t: now, delivered: rate('delivered'), relayed: rate('relayed'), sessions: s.sessions ?? 0 })
      this.lastCounts = cur
      if (this.stats.length > CHART_SAMPLES) this.stats.splice(0, this.stats.length - CHART_SAMPLES)
      this.changed('stats')
    } catch (err) { this.noteError(err) }
  }

  private noteError (err: unknown): void {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      this.connection = 'unauthorized'
      this.changed('conn')
    }
  }

  apply (e: OverlayEvent): void {
    this.events.push(e)
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS)
    this.changed('events')
    // A failed member is reported as failed, then as left with reason "failed": it stays failed.
    const state = e.type === 'left' && e.reason === 'failed' ? 'failed' : STATE_BY_EVENT[e.type]
    if (state !== undefined && typeof e.peerId === 'string') {
      const m = this.members.get(e.peerId)
      const name = typeof e.name === 'string' ? e.name : (m?.name ?? e.peerId)
      this.members.set(e.peerId, m === undefined
        ? { name, peerId: e.peerId, state, mode: '', self: false, lastHeard: null, rttMs: null }
        : { ...m, name, state, lastHeard: state === 'alive' ? Date.now() : m.lastHeard })
      this.changed('members')
      // A new member's mode and round trip come from the API.
      if (m === undefined) this.scheduleMemberRefresh()
      this.bumpTopology()
    } else if (e.type === 'session') {
      this.bumpTopology()
    } else if (e.type === 'message') {
      this.receive(e)
    } else if (e.type === 'listening') {
      void this.refreshNode()
    }
  }

  private scheduleMemberRefresh (): void {
    if (this.memberRefresh !== null) return
    this.memberRefresh = setTimeout(() => { this.memberRefresh = null; void this.refreshMembers() }, 500)
  }

  private bumpTopology (): void {
    this.topologyHint++
    this.changed('topology')
  }

  private receive (e: OverlayEvent): void {
    const from = String(e.from ?? '?')
    const direct = typeof e.to === 'string'
    const conv = direct ? from : BROADCAST
    if (typeof e.id === 'string') {
      if (this.seenMessages.has(e.id)) return
      this.seenMessages.add(e.id)
    }
    // Long texts come cut on the event stream (api.eventTextChars); say so rather than pass off a part as the whole.
    const text = e.truncated === true ? `${String(e.text ?? '')}… [cut: ${String(e.textChars)} characters]` : String(e.text ?? '')
    this.pushMessage({ id: String(e.id ?? `in-${++this.localIds}`), from, text, ts: typeof e.ts === 'number' ? e.ts : e.at, conv, direct, mine: false })
    if (conv !== this.activeConv && e.replayed !== true) this.unread.set(conv, (this.unread.get(conv) ?? 0) + 1)
  }

  private pushMessage (m: ChatMessage): void {
    this.messages.push(m)
    if (this.messages.length > MAX_MESSAGES) for (const old of this.messages.splice(0, this.messages.length - MAX_MESSAGES)) this.seenMessages.delete(old.id)
    this.changed('messages')
  }

  setActiveConv (conv: string | null): void {
    this.activeConv = conv
    if (conv !== null && this.unread.has(conv)) this.unread.delete(conv)
    this.changed('messages')
  }

  /** Sends a line: to everyone, or to one member (then waits for its acknowledgement). */
  async send (text: string, to?: string): Promise<void> {
    const msg: ChatMessage = {
      id: `local-${++this.localIds}`,
      from: this.node?.name ?? 'me',
      text,
      ts: Date.now(),
      conv: to ?? BROADCAST,
      direct: to !== undefined,
      mine: true,
      status: 'sending'
    }
    this.pushMessage(msg)
    try {
      const res = await api.send(text, to)
      msg.id = res.id
      this.seenMessages.add(res.id)
      msg.status = to === undefined ? 'sent' : 'delivered'
    } catch (err) {
      msg.status = 'failed'
      msg.error = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)
    }
    this.changed('messages')
  }
}
