import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { makeResult, type Better, type Result } from '../../../bench/lib/results.ts'
import { checkTargets, TARGETS, targetsMarkdown } from '../../../bench/lib/targets.ts'
import type { TargetCheck } from '../../../bench/lib/targets.ts'

function row (figure: string, c: string, metric: string, variant: string, runs: number[], unit = 'ms', better: Better = 'lower', reference = 'libp2p'): Result {
  return makeResult({ figure, case: c, metric, unit, better, variant, reference, runs })
}

/** target 2: rtt '100 B' 'RTT median', overlay ≤ 1.15 × libp2p */
const rtt = (variant: string, runs: number[]): Result => row('rtt', '100 B', 'RTT median', variant, runs)

function only (checks: TargetCheck[], id: string): TargetCheck {
  const c = checks.find(x => x.id === id)
  assert.ok(c !== undefined, `no check ${id} in ${checks.map(x => x.id).join(', ')}`)
  return c
}

describe('targets checkTargets', () => {
  it('targets - a ratio target met (110 vs 100 against ≤ 1.15×)', () => {
    const checks = checkTargets([rtt('libp2p', [100]), rtt('overlay', [110])])
    const c = only(checks, '2')
    assert.equal(c.pass, true)
    assert.equal(c.case, '100 B')
    assert.ok(Math.abs((c.value as number) - 1.1) < 1e-12)
    assert.equal(c.measured, '110 ms vs 100 ms')
    assert.equal(c.target, '≤ 1.15× (1.10×)')
    assert.equal(c.label, TARGETS.find(t => t.id === '2')?.label)
  })

  it('targets - a ratio target missed (120 vs 100 against ≤ 1.15×)', () => {
    const c = only(checkTargets([rtt('overlay', [120]), rtt('libp2p', [100])]), '2')
    assert.equal(c.pass, false)
    assert.ok(Math.abs((c.value as number) - 1.2) < 1e-12)
    assert.equal(c.target, '≤ 1.15× (1.20×)')
  })

  it('targets - the ratio is the median of the per-run ratios, paired by run', () => {
    // per run 1.10, 500, 1.0606, 1.0792, 0.112: the outliers do not count
    const c = only(checkTargets([rtt('overlay', [110, 500, 105, 109, 112]), rtt('libp2p', [100, 1, 99, 101, 1000])]), '2')
    assert.equal(c.pass, true)
    assert.ok(Math.abs((c.value as number) - 109 / 101) < 1e-12)
    // a phase change between runs: the medians' ratio (120 / 150 = 0.8) would pair a quick run with a slow one
    const phases = only(checkTargets([rtt('overlay', [120, 120, 240, 240, 120]), rtt('libp2p', [100, 100, 200, 200, 150])]), '2')
    assert.ok(Math.abs((phases.value as number) - 1.2) < 1e-12)
    assert.equal(phases.pass, false)
  })

  it('targets - a ratio exactly at the line counts as met', () => {
    const c = only(checkTargets([rtt('overlay', [115]), rtt('libp2p', [100])]), '2')
    assert.equal(c.value, 1.15)
    assert.equal(c.pass, true)
    // 0.805 / 0.7 is 1.1500000000000001 in floating point: still at the line
    const f = only(checkTargets([rtt('overlay', [0.805]), rtt('libp2p', [0.7])]), '2')
    assert.ok((f.value as number) > 1.15)
    assert.equal(f.pass, true)
    // but a real excess is not
    const g = only(checkTargets([rtt('overlay', [115.01]), rtt('libp2p', [100])]), '2')
    assert.equal(g.pass, false)
  })

  it('targets - an absolute value exactly at the line counts as met', () => {
    const at = checkTargets([row('membership', 'N=10', 'join seen everywhere', 'overlay', [900, 1000, 1100])])
    const c = only(at, '5-10j')
    assert.equal(c.value, 1000)
    assert.equal(c.pass, true)
    assert.equal(c.target, '≤ 1,000')
    assert.equal(c.measured, '1,000 ms')
    assert.equal(c.spread, '900 – 1,100')
    const over = only(checkTargets([row('membership', 'N=10', 'join seen everywhere', 'overlay', [1001])]), '5-10j')
    assert.equal(over.pass, false)
  })

  it('targets - the spread of a ratio target pairs overlay run i with baseline run i', () => {
    // paired ratios 1.10, 1.30, 0.60; unpaired min/max would be 0.55 .. 1.30
    const c = only(checkTargets([rtt('overlay', [110, 130, 120]), rtt('libp2p', [100, 100, 200])]), '2')
    assert.equal(c.spread, '0.60 – 1.30×')
    assert.ok(Math.abs((c.value as number) - 1.1) < 1e-12) // the median of 1.10, 1.30, 0.60
    assert.equal(c.pass, true)
  })

  it('targets - no paired spread when the run counts differ, and the ratio of the medians', () => {
    const c = only(checkTargets([rtt('overlay', [110, 130]), rtt('libp2p', [100, 100, 100])]), '2')
    assert.equal(c.pass, false)
    assert.ok(Math.abs((c.value as number) - 1.2) < 1e-12) // medians 120 / 100
    assert.ok(!('spread' in c))
  })

  it('targets - an "every run" target compares the worst run, not the median', () => {
    const fanin = (runs: number[]): Result => row('fanin', '100 leaves', 'success rate', 'overlay', runs, 'ratio', 'higher', 'overlay')
    const miss = checkTargets([fanin([1, 1, 0.99])])
    assert.deepEqual(miss.map(c => c.id), ['7'])
    const c = only(miss, '7')
    assert.equal(c.pass, false)
    assert.equal(c.value, 0.99)
    assert.equal(c.case, '100 leaves')
    assert.equal(c.target, '≥ 1')
    assert.equal(c.measured, '1.00 (min 0.990)') // the median is 1; unit 'ratio' is not printed
    assert.equal(c.spread, '0.990 – 1.00')
    const met = only(checkTargets([fanin([1, 1, 1])]), '7')
    assert.equal(met.pass, true)
    assert.equal(met.value, 1)
  })

  it('targets - the soak targets hold in every run: one false suspicion in any run misses', () => {
    const soak = (metric: string, runs: number[]): Result => row('soak', 'N=50, 600 s', metric, 'overlay', runs, 'events', 'lower', 'overlay')
    const checks = checkTargets([soak('false suspect', [0, 0, 1]), soak('false failed', [0, 0, 0])])
    assert.deepEqual(checks.map(c => [c.id, c.pass, c.value]), [['5-soak-s', false, 1], ['5-soak-f', true, 0]])
  })

  it('targets - broadcast delivery must be 100 % in every run', () => {
    const c = only(checkTargets([row('broadcast', 'N=25', 'delivery', 'overlay', [1, 0.98, 1], 'ratio', 'higher', 'gossipsub')]), '4-25a')
    assert.equal(c.pass, false)
    assert.equal(c.value, 0.98)
  })

  it('targets - a target whose figure ran but whose overlay row is missing is not measured', () => {
    const checks = checkTargets([rtt('libp2p', [100])])
    assert.deepEqual(checks, [{ id: '2', label: TARGETS.find(t => t.id === '2')?.label, measured: 'not measured in this run', target: '≤ 1.15×', pass: null }])
  })

  it('targets - a ratio target whose baseline row is missing or zero is not measured', () => {
    const noBase = only(checkTargets([rtt('overlay', [100]), row('rtt', '100 B', 'RTT median', 'raw-tcp', [50])]), '2')
    assert.equal(noBase.pass, null)
    assert.equal(noBase.measured, 'not measured in this run')
    const zero = only(checkTargets([rtt('overlay', [100]), rtt('libp2p', [0])]), '2')
    assert.equal(zero.pass, null)
  })

  it('targets - rows of another case or metric do not count', () => {
    const c = only(checkTargets([
      row('rtt', '64 KiB', 'RTT median', 'overlay', [100]), row('rtt', '64 KiB', 'RTT median', 'libp2p', [100]),
      row('rtt', '100 B', 'RTT p99', 'overlay', [100]), row('rtt', '100 B', 'RTT p99', 'libp2p', [100])
    ]), '2')
    assert.equal(c.pass, null)
  })

  it('targets - targets of figures absent from the results are left out', () => {
    assert.deepEqual(checkTargets([]), [])
    assert.deepEqual(checkTargets([rtt('overlay', [110]), rtt('libp2p', [100])]).map(c => c.id), ['2'])
    const ids = checkTargets([rtt('overlay', [110]), row('throughput', '64 KiB', 'MiB/s', 'libp2p', [100], 'MiB/s', 'higher')]).map(c => c.id)
    assert.deepEqual(ids, ['1a', '1b', '2']) // in TARGETS order
    const broadcast = checkTargets([row('broadcast', 'N=10', 'delivery', 'overlay', [1])]).map(c => c.id)
    assert.deepEqual(broadcast, ['4-10a', '4-10b', '4-10c', '4-25a', '4-25b', '4-25c', '4-50a', '4-50b', '4-50c'])
  })

  it('targets - a regex case matches any case it fits (memory / conns$/)', () => {
    const mem = (c: string, variant: string, runs: number[]): Result => row('memory', c, 'RSS / conn', variant, runs, 'KiB', 'lower', 'raw-tcp')
    const quick = only(checkTargets([mem('idle process', 'overlay', [1]), mem('50 conns', 'overlay', [12]), mem('50 conns', 'libp2p', [10])]), '6')
    assert.equal(quick.case, '50 conns')
    assert.equal(quick.pass, true) // 1.2 is the line
    assert.equal(quick.measured, '12.0 KiB vs 10.0 KiB')
    const full = only(checkTargets([mem('500 conns', 'overlay', [13]), mem('500 conns', 'libp2p', [10])]), '6')
    assert.equal(full.case, '500 conns')
    assert.equal(full.pass, false)
    const noMatch = only(checkTargets([mem('conns 50', 'overlay', [1]), mem('conns 50', 'libp2p', [10])]), '6')
    assert.equal(noMatch.pass, null)
  })

  it('targets - the baseline of a regex target must come from the overlay row\'s case', () => {
    const mem = (c: string, variant: string, runs: number[]): Result => row('memory', c, 'RSS / conn', variant, runs, 'KiB')
    const c = only(checkTargets([mem('50 conns', 'overlay', [12]), mem('500 conns', 'libp2p', [10])]), '6')
    assert.equal(c.pass, null)
    assert.equal(c.measured, 'not measured in this run')
  })
})

describe('targets rendering', () => {
  const checks = (): TargetCheck[] => [
    ...checkTargets([rtt('overlay', [120]), rtt('libp2p', [100])]),
    ...checkTargets([row('fanin', '10 leaves', 'success rate', 'overlay', [1, 1], 'ratio', 'higher', 'overlay')]),
    ...checkTargets([row('dial', 'dial+RT', 'median', 'libp2p', [5])])
  ]

  it('targets - targetsMarkdown marks a miss as **MISSED**, a pass as met and an unmeasured target with a dash', () => {
    const md = targetsMarkdown(checks())
    const lines = md.split('\n')
    assert.equal(lines.length, 2 + 3)
    assert.equal(lines[0], '| # | target | overlay (vs baseline), medians | spread over runs | target (value) | result |')
    assert.equal(lines[1], '| --- | --- | ---: | ---: | --- | --- |')
    assert.match(lines[2] as string, /^\| 2 \| .* \| 120 ms vs 100 ms \| 1\.20 – 1\.20× \| ≤ 1\.15× \(1\.20×\) \| \*\*MISSED\*\* \|$/)
    assert.match(lines[3] as string, /^\| 7 \| .* \| met \|$/)
    assert.match(lines[4] as string, /^\| 3 \| .* \| not measured in this run \| {2}\| ≤ 1\.3× \| – \|$/)
  })
})
