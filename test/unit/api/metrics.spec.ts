import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { apiOf, call } from '../../helpers/api.ts'
import { NodeTracker, loopbackAddr } from '../../helpers/create-nodes.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import type { NodeApi } from '../../helpers/api.ts'
import type { OverlayNode } from '../../../src/index.ts'

const DASHBOARD = new URL('../../../deploy/grafana/p2p-overlay.json', import.meta.url)
/** Every metric the issue names, with its type: the names are stable (dashboards depend on them). */
const OVERLAY_METRICS = {
  overlay_info: 'gauge',
  overlay_members: 'gauge',
  overlay_sessions: 'gauge',
  overlay_messages_delivered_total: 'counter',
  overlay_messages_relayed_total: 'counter',
  overlay_messages_duplicate_total: 'counter',
  overlay_messages_forged_total: 'counter',
  overlay_messages_dropped_total: 'counter',
  overlay_broadcast_delivery_latency_seconds: 'histogram',
  overlay_direct_ack_rtt_seconds: 'histogram',
  overlay_member_flaps_total: 'counter',
  overlay_member_failures_total: 'counter',
  overlay_heartbeat_oldest_age_seconds: 'gauge',
  overlay_session_queued_bytes_max: 'gauge',
  overlay_queued_bytes: 'gauge',
  overlay_refusals_total: 'counter',
  overlay_bans_total: 'counter',
  overlay_bootstrap_attempts_total: 'counter',
  overlay_reconnect_attempts_total: 'counter',
  overlay_events_total: 'counter',
  overlay_api_refused_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  process_cpu_seconds_total: 'counter'
} as const

/** Family name -> type, from the exposition text's # TYPE lines; the # HELP lines must be there too. */
function families (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(name as string, type as string)
  for (const name of out.keys()) assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name} has help text`)
  return out
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find(l => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('api metrics', () => {
  const nodes = new NodeTracker()
  let hub: OverlayNode
  let api: NodeApi
  before(async () => {
    // The first node of this process holds libp2p's metrics (api.libp2pMetrics).
    hub = await nodes.startNode({ mode: 'hub', name: 'hub', mesh: { heartbeatMs: 100, suspectAfterMs: 400, failAfterMs: 300 } })
    api = await apiOf(hub)
  })
  after(async () => { await nodes.stopAll() })

  it('metrics - every overlay metric exists with its type and help text, beside libp2p\'s and the process defaults', async () => {
    const text = (await call(api, 'GET', '/metrics')).text
    const found = families(text)
    for (const [name, type] of Object.entries(OVERLAY_METRICS)) assert.equal(found.get(name), type, name)
    assert.ok([...found.keys()].filter(n => n.startsWith('libp2p_')).length >= 10, 'libp2p metrics are there')
    assert.ok(found.has('nodejs_eventloop_lag_p99_seconds'))
  })

  it('metrics - count what happens: members, sessions, latency and round-trip histograms, bootstrap, refusals, failures', async () => {
    const fast = { heartbeatMs: 100, suspectAfterMs: 400, failAfterMs: 300 }
    const leaf = await nodes.startNode({ mode: 'leaf', name: 'leaf', bootstrap: [loopbackAddr(hub)], mesh: fast })
    const doomed = await nodes.startNode({ mode: 'leaf', name: 'doomed', bootstrap: [loopbackAddr(hub)], mesh: fast })
    await waitFor(() => hub.members().filter(m => m.state === 'alive').length === 3, { timeout: 10_000, message: 'three alive members' })
    await leaf.send('measured')
    await hub.sendTo('leaf', 'direct')
    // A peer with the wrong token is refused (and banned).
    const intruder = await nodes.startNode({ name: 'intruder', token: 'not-the-token', bootstrap: [loopbackAddr(hub)], retry: { attempts: 1, intervalMs: 10, maxIntervalMs: 10 } })
    // A leaf that vanishes without EXIT is failed by the detector.
    await doomed.libp2p.stop()
    await waitFor(async () => {
      const t = (await call(api, 'GET', '/metrics')).text
      return (sample(t, 'overlay_member_failures_total') ?? 0) >= 1 && (sample(t, 'overlay_refusals_total{code="bad_token"}') ?? 0) >= 1 &&
        (sample(t, 'overlay_broadcast_delivery_latency_seconds_count') ?? 0) >= 1
    }, { timeout: 15_000, message: 'the failure, the refusal and the message were counted' })
    const text = (await call(api, 'GET', '/metrics')).text
    assert.equal(sample(text, 'overlay_members{state="alive"}'), 2)
    assert.equal(sample(text, 'overlay_sessions{wire="json",mode="leaf",encryption="/noise"}'), 1)
    assert.equal(sample(text, 'overlay_direct_ack_rtt_seconds_count'), 1)
    assert.ok((sample(text, 'overlay_messages_delivered_total') ?? 0) >= 1)
    assert.equal(sample(text, 'overlay_bans_total{code="bad_token"}'), sample(text, 'overlay_refusals_total{code="bad_token"}'))
    assert.ok((sample(text, 'overlay_events_total{type="joined"}') ?? 0) >= 2)
    assert.ok((sample(text, 'overlay_heartbeat_oldest_age_seconds') ?? -1) >= 0)
    const leafText = (await call(await apiOf(leaf), 'GET', '/metrics')).text
    assert.equal(sample(leafText, 'overlay_bootstrap_attempts_total{result="ok"}'), 1)
    assert.equal(sample(leafText, 'overlay_bootstrap_attempts_total{result="failed"}'), 0)
    assert.ok(sample(leafText, 'overlay_broadcast_delivery_latency_seconds_count') === 0, 'its own broadcast is not delivered to itself')
    assert.equal(sample(leafText, 'libp2p_dial_queue{libp2p_dial_queue="size"}'), undefined, 'only one node per process has libp2p metrics')
    await intruder.stop()
  })

  it('metrics - every metric the Grafana dashboard queries exists', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Array<{ title: string, targets: Array<{ expr: string }> }>, templating: { list: Array<{ query?: unknown }> } }
    const text = (await call(api, 'GET', '/metrics')).text
    const found = families(text)
    const exprs = [...dashboard.panels.flatMap(p => p.targets.map(t => t.expr)), ...dashboard.templating.list.map(v => v.query).filter((q): q is string => typeof q === 'string' && q.includes('('))]
    const names = new Set(exprs.flatMap(e => [...e.matchAll(/\b((?:overlay|libp2p|process|nodejs)_[a-z0-9_]+)/g)].map(m => m[1] as string)))
    assert.ok(names.size >= 15, `the dashboard queries ${names.size} metrics`)
    for (const name of names) {
      const family = name.replace(/_(bucket|sum|count)$/, '')
      assert.ok(found.has(name) || (found.get(family) === 'histogram' && family !== name), `dashboard metric ${name} exists`)
    }
  })
})
