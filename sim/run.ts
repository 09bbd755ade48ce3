/**
 * The membership simulator: N real meshes (src/mesh/) in one process on virtual time.
 *
 *   npm run sim -- --nodes 100 --seconds 60 --loss 0.01 --seed 1 [--churn 1] [--stall 3] [--latency 5,25]
 *
 * Builds the mesh (each node bootstraps to one random earlier node), then runs `--seconds` of virtual
 * time: an idle window (traffic), one join, crashes spaced out, one node stalled `--stall` s, a few
 * broadcasts, and `--churn` % of the nodes joining or leaving per minute. Prints one JSON object.
 * Same arguments, same JSON (except `wallMs`).
 */
import { parseArgs } from 'node:util'
import { defaultConfig } from '../src/config/defaults.ts'
import { SimNet } from './network.ts'
import type { SimNode } from './network.ts'
import type { OverlayEvent } from '../src/events.ts'

export interface SimOptions {
  nodes: number
  seconds: number
  loss: number
  seed: number
  /** % of nodes joining or leaving per minute during the run. */
  churn: number
  /** Seconds one node stalls (0: none). */
  stall: number
  crashes: number
  broadcasts: number
  latencyMs: [number, number]
  /** Virtual ms between two nodes joining while the mesh is built. */
  joinGapMs: number
}

export const DEFAULTS: SimOptions = { nodes: 100, seconds: 60, loss: 0, seed: 1, churn: 0, stall: 3, crashes: 3, broadcasts: 5, latencyMs: [5, 25], joinGapMs: 20 }

const MEMBERSHIP = new Set(['MEMBER', 'PROBE', 'PROBEACK', 'DIGEST', 'HEARTBEAT'])
const IDLE_WINDOW_MS = 30_000

export async function simulate (opts: SimOptions): Promise<Record<string, unknown>> {
  const started = performance.now()
  const config = defaultConfig().mesh
  const knownAt = new Map<string, Map<string, number>>() // member -> (node -> first time present)
  const failedAt = new Map<string, Map<string, number>>() // member -> (node -> time marked failed)
  const falseFailures: string[] = []
  const down = new Set<string>() // crashed or left: failures of these are true
  const deliveries = new Map<string, { at: number, hops: number }[]>()
  let suspicions = 0
  let refutations = 0
  const onEvent = (node: SimNode, e: OverlayEvent): void => {
    const now = net.clock.now()
    if (e.type === 'joined') {
      const m = knownAt.get(e.peerId) ?? new Map<string, number>()
      if (!m.has(node.peerId)) m.set(node.peerId, now)
      knownAt.set(e.peerId, m)
    } else if (e.type === 'failed') {
      if (!down.has(e.peerId)) falseFailures.push(`${node.name} failed ${e.name} at ${now - t0}`)
      const m = failedAt.get(e.peerId) ?? new Map<string, number>()
      if (!m.has(node.peerId)) m.set(node.peerId, now)
      failedAt.set(e.peerId, m)
    } else if (e.type === 'suspect') suspicions++
    else if (e.type === 'alive' && e.reason === 'refuted') refutations++
    else if (e.type === 'message') {
      const list = deliveries.get(e.id) ?? []
      list.push({ at: now, hops: 0 })
      deliveries.set(e.id, list)
    }
  }
  const net = new SimNet({ seed: opts.seed, config, latencyMs: opts.latencyMs, loss: opts.loss, onEvent })
  const rand = (n: number): number => Math.floor(net.clock.random() * n)
  const pickLive = (except: Set<string> = new Set()): SimNode => {
    const live = net.live().filter(n => !except.has(n.peerId))
    return live[rand(live.length)] as SimNode
  }

  // Build: node i bootstraps to a random earlier node.
  await net.prepareKeys(opts.nodes)
  net.join()
  for (let i = 1; i < opts.nodes; i++) {
    net.clock.runUntil(net.clock.now() + opts.joinGapMs)
    net.join([pickLive()])
  }
  let converged = false
  for (let i = 0; i < 120 && !converged; i++) {
    net.clock.runUntil(net.clock.now() + 1_000)
    converged = net.live().every(n => n.mesh.roster.present().length === opts.nodes - 1)
  }
  const buildMs = net.clock.now() - 1_700_000_000_000
  const t0 = net.clock.now()
  const traffic = (): { frames: number, bytes: number, byType: Record<string, number> } => {
    let frames = 0
    let bytes = 0
    const byType: Record<string, number> = {}
    for (const n of net.nodes) {
      for (const [t, v] of Object.entries(n.sent.byType)) {
        if (MEMBERSHIP.has(t)) { frames += v.frames; bytes += v.bytes }
        byType[t] = (byType[t] ?? 0) + v.bytes
      }
    }
    return { frames, bytes, byType }
  }

  // Idle window, after the build's last syncs have settled.
  net.clock.runUntil(net.clock.now() + 10_000)
  const t0idle = net.clock.now()
  const idle0 = traffic()
  net.clock.runUntil(t0idle + IDLE_WINDOW_MS)
  const idle1 = traffic()
  const idleSeconds = (net.clock.now() - t0idle) / 1_000
  const liveCount = net.live().length
  const idle = {
    framesPerNodePerSecond: round((idle1.frames - idle0.frames) / liveCount / idleSeconds),
    bytesPerNodePerSecond: round((idle1.bytes - idle0.bytes) / liveCount / idleSeconds),
    bytesByType: Object.fromEntries(Object.entries(idle1.byType).map(([t, b]) => [t, round((b - (idle0.byType[t] ?? 0)) / liveCount / idleSeconds)]))
  }

  // The run: scheduled events over `seconds`.
  const end = net.clock.now() + opts.seconds * 1_000
  const span = end - net.clock.now()
  const joinAt = net.clock.now() + span * 0.05
  let joiner: SimNode | undefined
  let liveAtJoin = new Set<string>()
  const churnEvents = Math.round(opts.nodes * opts.churn / 100 * opts.seconds / 60)
  await net.prepareKeys(1 + churnEvents)
  net.clock.at(joinAt - net.clock.now(), () => {
    liveAtJoin = new Set(net.live().map(n => n.peerId))
    joiner = net.join([pickLive(down)])
  })
  const crashes: Array<{ node: SimNode, at: number, liveThen: Set<string> }> = []
  for (let c = 0; c < opts.crashes; c++) {
    const at = net.clock.now() + span * (0.15 + 0.5 * c / Math.max(1, opts.crashes))
    net.clock.at(at - net.clock.now(), () => {
      const node = pickLive(down)
      down.add(node.peerId)
      net.crash(node)
      crashes.push({ node, at: net.clock.now(), liveThen: new Set(net.live().map(n => n.peerId)) })
    })
  }
  let stalled: SimNode | undefined
  if (opts.stall > 0) {
    net.clock.at(span * 0.4, () => { stalled = pickLive(down); net.stall(stalled, opts.stall * 1_000) })
  }
  const sent: string[] = []
  for (let b = 0; b < opts.broadcasts; b++) {
    net.clock.at(span * (0.1 + 0.8 * b / Math.max(1, opts.broadcasts)), () => {
      const from = pickLive(down)
      sent.push(`${from.mesh.broadcast(`b${b}`).id as string}|${net.live().length - 1}`)
    })
  }
  for (let c = 0; c < churnEvents; c++) {
    net.clock.at(span * (c + 0.5) / churnEvents, () => {
      if (net.clock.random() < 0.5) net.join([pickLive(down)])
      else { const n = pickLive(down); down.add(n.peerId); net.leave(n) }
    })
  }
  const run0 = traffic()
  const runStart = net.clock.now()
  net.clock.runUntil(end)
  const run1 = traffic()
  // Let the last changes settle before judging who knows what.
  net.clock.runUntil(end + 15_000)

  const live = net.live()
  const join = joiner === undefined ? undefined : joinStats(joiner, knownAt, live.filter(n => liveAtJoin.has(n.peerId)), joinAt)
  const failure = crashes.map(c => {
    const seen = failedAt.get(c.node.peerId) ?? new Map<string, number>()
    const times = [...c.liveThen].filter(p => net.byId.get(p)?.alive === true).map(p => seen.get(p)).map(t => t === undefined ? Infinity : t - c.at)
    return { p50: pct(times, 0.5), p99: pct(times, 0.99), all: pct(times, 1), members: times.length }
  })
  const bc = sent.map(s => {
    const [id, expected] = s.split('|') as [string, string]
    return (deliveries.get(id)?.length ?? 0) / Number(expected)
  })
  const hops = [...net.hops.values()]
  const runSeconds = (net.clock.now() - 15_000 - runStart) / 1_000
  return {
    args: { ...opts },
    buildSeconds: round(buildMs / 1_000),
    converged,
    idle,
    run: { framesPerNodePerSecond: round((run1.frames - run0.frames) / net.nodes.length / runSeconds), bytesPerNodePerSecond: round((run1.bytes - run0.bytes) / net.nodes.length / runSeconds) },
    join,
    failure,
    failureWorst: { p50: Math.max(...failure.map(f => f.p50)), p99: Math.max(...failure.map(f => f.p99)), all: Math.max(...failure.map(f => f.all)) },
    falseFailures: falseFailures.length,
    falseFailureSample: falseFailures.slice(0, 5),
    suspicions,
    refutations,
    stalled: stalled?.name,
    broadcast: { deliveryRatio: round(Math.min(...bc)), meanHops: round(hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length)), maxHops: Math.max(0, ...hops) },
    signatureChecks: net.verifier.checks,
    // Membership counters, summed over all nodes (MeshStats).
    counters: Object.fromEntries((['probes', 'probesSpared', 'indirectProbes', 'probeFailures', 'probeForged', 'gossiped', 'piggybacked', 'gossipRounds', 'syncs'] as const).map(k => [k, net.nodes.reduce((a, n) => a + n.mesh.stats[k], 0)])),
    liveNodes: live.length,
    wallMs: Math.round(performance.now() - started)
  }
}

function joinStats (joiner: SimNode, knownAt: Map<string, Map<string, number>>, live: SimNode[], at: number): { p999: number, all: number } {
  const seen = knownAt.get(joiner.peerId) ?? new Map<string, number>()
  const times = live.filter(n => n !== joiner).map(n => seen.get(n.peerId)).map(t => t === undefined ? Infinity : t - at)
  return { p999: pct(times, 0.999), all: pct(times, 1) }
}

function pct (values: number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const v = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
  return Number.isFinite(v) ? Math.round(v) : -1
}

function round (x: number): number { return Math.round(x * 100) / 100 }

export function parseSimArgs (argv: string[]): SimOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      seconds: { type: 'string' },
      loss: { type: 'string' },
      seed: { type: 'string' },
      churn: { type: 'string' },
      stall: { type: 'string' },
      crashes: { type: 'string' },
      broadcasts: { type: 'string' },
      latency: { type: 'string' }
    }
  })
  const num = (v: string | undefined, d: number, key: string): number => {
    if (v === undefined) return d
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key}: not a number >= 0: ${v}`)
    return n
  }
  const lat = values.latency?.split(',').map(Number)
  return {
    nodes: Math.max(2, Math.round(num(values.nodes, DEFAULTS.nodes, 'nodes'))),
    seconds: num(values.seconds, DEFAULTS.seconds, 'seconds'),
    loss: Math.min(0.9, num(values.loss, DEFAULTS.loss, 'loss')),
    seed: Math.round(num(values.seed, DEFAULTS.seed, 'seed')),
    churn: num(values.churn, DEFAULTS.churn, 'churn'),
    stall: num(values.stall, DEFAULTS.stall, 'stall'),
    crashes: Math.round(num(values.crashes, DEFAULTS.crashes, 'crashes')),
    broadcasts: Math.round(num(values.broadcasts, DEFAULTS.broadcasts, 'broadcasts')),
    latencyMs: lat !== undefined && lat.length === 2 && lat.every(Number.isFinite) ? [lat[0] as number, lat[1] as number] : DEFAULTS.latencyMs,
    joinGapMs: DEFAULTS.joinGapMs
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await simulate(parseSimArgs(process.argv.slice(2)))
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
}
