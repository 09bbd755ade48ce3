/**
 * The overlay's targets. A ratio target is the median over runs of overlay run i / baseline run i (run i
 * of both saw the same machine), spread their min..max; with unequal run counts, the medians' ratio.
 */
import { fmt, markdownGrid, unitOf, type Result } from './results.ts'
import { median } from './stats.ts'

/** `case`: a name or a pattern (quick mode has '50 conns'); `vs`: a ratio target's baseline; `stat`: what an absolute one checks (default median). */
export interface Target { id: string, label: string, figure: string, case: string | RegExp, metric: string, op: '>=' | '<=', value: number, vs?: string, stat?: 'median' | 'min' | 'max' }

const T = (id: string, label: string, figure: string, c: string | RegExp, metric: string, op: '>=' | '<=', value: number, vs?: string): Target =>
  ({ id, label, figure, case: c, metric, op, value, ...(vs === undefined ? {} : { vs }) })
/** an absolute target every run must meet */
const EVERY = (t: Target): Target => ({ ...t, stat: t.op === '>=' ? 'min' : 'max' })

export const TARGETS: Target[] = [
  T('1a', 'throughput 64 KiB ≥ 0.9× bare libp2p', 'throughput', '64 KiB', 'MiB/s', '>=', 0.9, 'libp2p'),
  T('1b', 'throughput 1 KiB ≥ 0.8× bare libp2p', 'throughput', '1 KiB', 'MiB/s', '>=', 0.8, 'libp2p'),
  T('2', 'sendTo + ACK round trip median ≤ 1.15× bare libp2p echo', 'rtt', '100 B', 'RTT median', '<=', 1.15, 'libp2p'),
  T('3', 'dial + AUTH + JOIN median ≤ 1.3× bare libp2p dial + 1 RT', 'dial', 'dial+RT', 'median', '<=', 1.3, 'libp2p'),
  ...[10, 25, 50].flatMap(n => [
    EVERY(T(`4-${n}a`, `broadcast N=${n}: delivery 100 % (every run)`, 'broadcast', `N=${n}`, 'delivery', '>=', 1)),
    T(`4-${n}b`, `broadcast N=${n}: last-member p99 ≤ gossipsub`, 'broadcast', `N=${n}`, 'last-member p99', '<=', 1, 'gossipsub'),
    T(`4-${n}c`, `broadcast N=${n}: frames/broadcast ≤ gossipsub`, 'broadcast', `N=${n}`, 'frames/bcast net', '<=', 1, 'gossipsub')
  ]),
  ...[10, 25, 50].map(n => T(`5-${n}j`, `membership N=${n}: join seen everywhere ≤ 1 s`, 'membership', `N=${n}`, 'join seen everywhere', '<=', 1000)),
  T('5-50f', 'membership N=50: failure seen everywhere ≤ 5 s', 'membership', 'N=50', 'failure seen everywhere', '<=', 5000),
  EVERY(T('5-soak-s', 'idle soak: 0 false suspect', 'soak', /^N=50, /, 'false suspect', '<=', 0)),
  EVERY(T('5-soak-f', 'idle soak: 0 false failed', 'soak', /^N=50, /, 'false failed', '<=', 0)),
  T('5-idle', 'idle CPU, N=50: all nodes ≤ 30 % of a core', 'idle', 'N=50', 'CPU, all nodes', '<=', 30),
  T('5-idle-x', 'idle CPU per node, N=50: ≤ 2× bare libp2p', 'idle', 'N=50', 'CPU per node', '<=', 2, 'libp2p'),
  T('6', 'memory per session on a hub ≤ 1.2× bare libp2p per connection', 'memory', / conns$/, 'RSS / conn', '<=', 1.2, 'libp2p'),
  EVERY(T('7', 'fan-in: 100 % of the leaves joined (every run)', 'fanin', / leaves$/, 'success rate', '>=', 1))
]

/** `measured`: the medians; `value`: the number compared with the target; `pass` null: not measured. */
export interface TargetCheck { id: string, label: string, case?: string, measured: string, value?: number, spread?: string, target: string, pass: boolean | null }

const matches = (t: Target, r: Result): boolean =>
  r.figure === t.figure && r.metric === t.metric && (typeof t.case === 'string' ? r.case === t.case : t.case.test(r.case))

/** Checks every target of the figures present in `results` (targets of figures not run are left out). */
export function checkTargets (results: Result[]): TargetCheck[] {
  const figures = new Set(results.map(r => r.figure))
  return TARGETS.filter(t => figures.has(t.figure)).map(t => {
    const target = `${t.op === '>=' ? '≥' : '≤'} ${t.vs === undefined ? (Number.isInteger(t.value) ? t.value.toLocaleString('en-US') : fmt(t.value)) : `${t.value}×`}`
    const o = results.find(r => matches(t, r) && r.variant === 'overlay')
    const b = t.vs === undefined ? undefined : results.find(r => matches(t, r) && r.variant === t.vs && r.case === o?.case)
    if (o == null || (t.vs !== undefined && (b == null || b.summary.median === 0))) {
      return { id: t.id, label: t.label, measured: 'not measured in this run', target, pass: null }
    }
    const pass = (v: number): boolean => t.op === '>=' ? v >= t.value - 1e-9 : v <= t.value + 1e-9
    if (b == null) {
      const value = t.stat === 'min' ? o.summary.min : t.stat === 'max' ? o.summary.max : o.summary.median
      return { id: t.id, label: t.label, case: o.case, measured: `${fmt(o.summary.median)}${unitOf(o)}${t.stat === undefined ? '' : ` (${t.stat} ${fmt(value)})`}`, value, spread: `${fmt(o.summary.min)} – ${fmt(o.summary.max)}`, target, pass: pass(value) }
    }
    const paired = o.runs.length === b.runs.length ? o.runs.map((x, i) => x / (b.runs[i] as number)).filter(Number.isFinite) : []
    const value = paired.length > 0 ? median(paired) : o.summary.median / b.summary.median
    const spread = paired.length > 0 ? `${Math.min(...paired).toFixed(2)} – ${Math.max(...paired).toFixed(2)}×` : undefined
    return {
      id: t.id, label: t.label, case: o.case,
      measured: `${fmt(o.summary.median)}${unitOf(o)} vs ${fmt(b.summary.median)}${unitOf(b)}`,
      value, ...(spread === undefined ? {} : { spread }), target: `${target} (${value.toFixed(2)}×)`, pass: pass(value)
    }
  })
}

const mark = (p: boolean | null): string => p === null ? '–' : p ? 'met' : '**MISSED**'
const HEAD = ['#', 'target', 'overlay (vs baseline), medians', 'spread over runs', 'target (value)', 'result']

/** The target check, in the terminal as in the docs. */
export const targetsMarkdown = (checks: TargetCheck[]): string =>
  markdownGrid(HEAD, checks.map(c => [c.id, c.label, c.measured, c.spread ?? '', c.target, mark(c.pass)]), [2, 3])
