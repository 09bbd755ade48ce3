/**
 * Overlay metrics in the node's own prom-client registry. Counters the mesh already keeps are
 * read at scrape time (nothing added to the message path); histograms observe the node's
 * message events and direct-message acknowledgements. Names and help text are stable: the
 * Grafana dashboard in deploy/grafana/ and docs/API.md depend on them.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { STREAMED_EVENTS } from './ring.ts'
import type { OverlayEventType } from '../events.ts'
import type { OverlayNode } from '../node/create-node.ts'

/** Seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const STATES = ['alive', 'suspect', 'failed', 'left'] as const
/** MeshStats keys counted as dropped messages, and the reason label each gets. */
const DROPPED = { stale: 'stale', hopLimit: 'hop_limit', malformed: 'malformed', nameConflicts: 'name_conflict' } as const

export interface ApiMetrics {
  refused: Counter<'reason'>
  /** Stops listening to the node. */
  stop: () => void
}

/** The process defaults (process_*, nodejs_*), once per process however many nodes it holds, from the first scrape on (an idle node pays nothing). */
let processRegistry: Registry | undefined
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** What /metrics serves: the node's registry and the process defaults. */
export async function exposition (registry: Registry): Promise<{ contentType: string, text: string }> {
  const merged = Registry.merge([registry, processMetrics()])
  return { contentType: registry.contentType, text: await merged.metrics() }
}

/* eslint-disable no-new -- prom-client metrics register themselves (`registers`); nothing else holds them */
export function createMetrics (node: OverlayNode, registry: Registry, version: string): ApiMetrics {
  const registers = [registry]

  new Gauge({ name: 'overlay_info', help: 'Always 1; labels describe this node', labelNames: ['name', 'mode', 'peer_id', 'version'], registers })
    .set({ name: node.name, mode: node.mode, peer_id: node.peerId, version }, 1)

  new Gauge({
    name: 'overlay_members',
    help: 'Members this node knows, by state (this node counts as alive)',
    labelNames: ['state'],
    registers,
    collect () {
      this.reset()
      for (const s of STATES) this.set({ state: s }, 0)
      for (const m of node.members()) this.inc({ state: m.state })
    }
  })
  new Gauge({
    name: 'overlay_sessions',
    help: 'Open sessions with neighbours, by wire protocol, remote mode and encryption',
    labelNames: ['wire', 'mode', 'encryption'],
    registers,
    collect () {
      this.reset()
      for (const s of node.sessions()) this.inc({ wire: s.wire, mode: s.mode, encryption: s.encryption })
    }
  })
  new Gauge({
    name: 'overlay_session_queued_bytes_max',
    help: 'Bytes waiting to be sent on the most backed-up session',
    registers,
    collect () { this.set(Math.max(0, ...node.sessions().map(s => s.queuedBytes))) }
  })
  new Gauge({
    name: 'overlay_queued_bytes',
    help: 'Bytes waiting to be sent on all sessions of this node',
    registers,
    collect () { this.set(node.sessions().reduce((n, s) => n + s.queuedBytes, 0)) }
  })
  new Gauge({
    name: 'overlay_heartbeat_oldest_age_seconds',
    help: 'Age of the oldest latest heartbeat among present (alive or suspect) members; 0 with none',
    registers,
    collect () {
      const now = Date.now()
      let oldest = 0
      for (const m of node.members()) {
        if (m.lastHeard !== null && (m.state === 'alive' || m.state === 'suspect')) oldest = Math.max(oldest, now - m.lastHeard)
      }
      this.set(oldest / 1000)
    }
  })

  // Totals the mesh keeps; copied in at scrape time.
  const fromStats = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers, collect () { this.reset(); this.inc(read()) } })
  }
  fromStats('overlay_messages_delivered_total', 'Messages delivered to this node (broadcast and direct)', () => node.stats().delivered)
  fromStats('overlay_messages_relayed_total', 'Frames this node forwarded to neighbours', () => node.stats().relayed)
  fromStats('overlay_messages_duplicate_total', 'Messages and acknowledgements received again and dropped', () => node.stats().duplicate)
  fromStats('overlay_messages_forged_total', 'Messages refused for a bad signature or a false origin', () => node.stats().forged)
  new Counter({
    name: 'overlay_messages_dropped_total',
    help: 'Messages dropped, by reason: stale (clock skew or replay), hop_limit, malformed, name_conflict',
    labelNames: ['reason'],
    registers,
    collect () {
      this.reset()
      const stats = node.stats()
      for (const [key, reason] of Object.entries(DROPPED)) this.inc({ reason }, stats[key as keyof typeof DROPPED])
    }
  })

  const latency = new Histogram({
    name: 'overlay_broadcast_delivery_latency_seconds',
    help: 'Time from a broadcast\'s origin timestamp to its delivery here (includes clock skew between nodes)',
    buckets: LATENCY_BUCKETS,
    registers
  })
  const ackRtt = new Histogram({
    name: 'overlay_direct_ack_rtt_seconds',
    help: 'Round trip of a direct message sent by this node: send to acknowledgement',
    buckets: LATENCY_BUCKETS,
    registers
  })
  const flaps = new Counter({ name: 'overlay_member_flaps_total', help: 'Suspect members that proved alive again (suspect -> alive)', registers })
  const failures = new Counter({ name: 'overlay_member_failures_total', help: 'Members this node saw fail (failure detected)', registers })
  const refusals = new Counter({ name: 'overlay_refusals_total', help: 'Peers refused before joining, by error code', labelNames: ['code'], registers })
  const bans = new Counter({ name: 'overlay_bans_total', help: 'Peers banned for a while (timeouts.banMs), by the code of the refusal that banned them', labelNames: ['code'], registers })
  const bootstrap = new Counter({ name: 'overlay_bootstrap_attempts_total', help: 'Bootstrap dial attempts, by result (ok, failed)', labelNames: ['result'], registers })
  const reconnects = new Counter({ name: 'overlay_reconnect_attempts_total', help: 'Attempts to reconnect after losing the upstream (reconnecting events)', registers })
  const events = new Counter({ name: 'overlay_events_total', help: 'Node events, by type (what /v1/events streams)', labelNames: ['type'], registers })
  const refused = new Counter({ name: 'overlay_api_refused_total', help: 'API requests refused, by reason (bad_host, bad_origin, unauthorized, body_too_large, too_many_clients, slow_client)', labelNames: ['reason'], registers })
  bootstrap.inc({ result: 'ok' }, 0)
  bootstrap.inc({ result: 'failed' }, 0)

  const on: Partial<Record<string, (detail: Record<string, unknown>) => void>> = {
    message: d => { if (d.to === undefined) latency.observe(Math.max(0, Date.now() - (d.ts as number)) / 1000) },
    alive: d => { if (d.reason === 'refuted') flaps.inc() },
    failed: () => { failures.inc() },
    rejected: d => { refusals.inc({ code: String(d.code) }); bans.inc({ code: String(d.code) }) },
    bootstrap: d => { bootstrap.inc({ result: d.ok === true ? 'ok' : 'failed' }) },
    reconnecting: () => { reconnects.inc() }
  }
  const offs = STREAMED_EVENTS.map(type => {
    const handle = on[type]
    const labels = { type }
    const fn = (evt: Event): void => {
      events.inc(labels)
      handle?.((evt as CustomEvent<Record<string, unknown>>).detail)
    }
    node.addEventListener(type as OverlayEventType, fn)
    return () => { node.removeEventListener(type as OverlayEventType, fn) }
  })
  node.onAckRtt = ms => { ackRtt.observe(ms / 1000) }
  return {
    refused,
    stop: () => {
      for (const off of offs) off()
      delete node.onAckRtt
    }
  }
}
