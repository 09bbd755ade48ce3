import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Collector, fmt, makeResult, runCount, type RunOpts } from '../../../bench/lib/results.ts'
import { summarize } from '../../../bench/lib/stats.ts'

const opts = (quick: boolean, runs?: number): RunOpts => ({ quick, log: () => {}, ...(runs === undefined ? {} : { runs }) })

describe('results Collector', () => {
  it('results - Collector groups values per (case, metric, variant) in insertion order', () => {
    const col = new Collector('throughput')
    col.add('64 KiB', 'MiB/s', 'MiB/s', 'higher', 'libp2p', 'raw-tcp', 10)
    col.add('64 KiB', 'MiB/s', 'MiB/s', 'higher', 'overlay', 'raw-tcp', 9)
    col.add('1 KiB', 'MiB/s', 'MiB/s', 'higher', 'libp2p', 'raw-tcp', 3)
    col.add('64 KiB', 'MiB/s', 'MiB/s', 'higher', 'libp2p', 'raw-tcp', 30)
    col.add('64 KiB', 'msgs/s', '1/s', 'higher', 'libp2p', 'raw-tcp', 7)
    col.add('64 KiB', 'MiB/s', 'MiB/s', 'higher', 'overlay', 'raw-tcp', 11)
    col.add('64 KiB', 'MiB/s', 'MiB/s', 'higher', 'libp2p', 'raw-tcp', 20)
    const rs = col.results()
    assert.deepEqual(rs.map(r => [r.case, r.metric, r.variant, r.runs]), [
      ['64 KiB', 'MiB/s', 'libp2p', [10, 30, 20]],
      ['64 KiB', 'MiB/s', 'overlay', [9, 11]],
      ['1 KiB', 'MiB/s', 'libp2p', [3]],
      ['64 KiB', 'msgs/s', 'libp2p', [7]]
    ])
    const first = rs[0]
    assert.ok(first !== undefined)
    assert.equal(first.figure, 'throughput')
    assert.equal(first.unit, 'MiB/s')
    assert.equal(first.better, 'higher')
    assert.equal(first.reference, 'raw-tcp')
    assert.deepEqual(first.summary, summarize([10, 30, 20]))
    assert.equal(first.summary.median, 20)
    assert.equal(rs[3]?.unit, '1/s')
  })

  it('results - Collector keys do not collide when names contain spaces', () => {
    const col = new Collector('f')
    col.add('a', 'b c', 'ms', 'lower', 'v', 'v', 1)
    col.add('a b', 'c', 'ms', 'lower', 'v', 'v', 2)
    col.add('a', 'b', 'ms', 'lower', 'c v', 'v', 3)
    col.add('a b', 'c', 'ms', 'lower', 'v', 'v', 4)
    assert.deepEqual(col.results().map(r => [r.case, r.metric, r.variant, r.runs]), [
      ['a', 'b c', 'v', [1]],
      ['a b', 'c', 'v', [2, 4]],
      ['a', 'b', 'c v', [3]]
    ])
  })

  it('results - Collector keeps per-run details under details.perRun', () => {
    const col = new Collector('rtt')
    col.add('100 B', 'RTT median', 'ms', 'lower', 'overlay', 'libp2p', 1.5, { p99: 3 })
    col.add('100 B', 'RTT median', 'ms', 'lower', 'overlay', 'libp2p', 1.25, { p99: 4 })
    col.add('100 B', 'RTT median', 'ms', 'lower', 'libp2p', 'libp2p', 1)
    const [overlay, libp2p] = col.results()
    assert.deepEqual(overlay?.runs, [1.5, 1.25])
    assert.deepEqual(overlay?.details, { perRun: [{ p99: 3 }, { p99: 4 }] })
    assert.deepEqual(libp2p?.details, {})
  })

  it('results - Collector keeps details.perRun[i] with runs[i] when only some runs have details', () => {
    const col = new Collector('fanin')
    col.add('500 leaves', 'all joined', 'ms', 'lower', 'overlay', 'overlay', 12_000)
    col.add('500 leaves', 'all joined', 'ms', 'lower', 'overlay', 'overlay', 60_000, { timedOut: true })
    col.add('500 leaves', 'all joined', 'ms', 'lower', 'overlay', 'overlay', 14_000)
    const [r] = col.results()
    assert.deepEqual(r?.runs, [12_000, 60_000, 14_000])
    assert.deepEqual(r?.details?.perRun, [null, { timedOut: true }, null])
  })

  it('results - Collector.setDetails merges into the details of every existing row of that case and variant', () => {
    const col = new Collector('rtt')
    col.add('100 B', 'RTT median', 'ms', 'lower', 'overlay', 'libp2p', 1, { run: 1 })
    col.add('100 B', 'RTT p99', 'ms', 'lower', 'overlay', 'libp2p', 3)
    col.add('1 KiB', 'RTT median', 'ms', 'lower', 'overlay', 'libp2p', 4)
    col.setDetails('100 B', 'overlay', { size: 100, count: 5 })
    col.setDetails('100 B', 'overlay', { count: 7, warmupMs: 50 })
    col.add('100 B', 'RTT median', 'ms', 'lower', 'overlay', 'libp2p', 2, { run: 2 })
    // no such rows: nothing is created
    col.setDetails('100 B', 'libp2p', { size: 100 })
    col.setDetails('64 KiB', 'overlay', { size: 65536 })
    const rs = col.results()
    assert.equal(rs.length, 3)
    assert.deepEqual(rs[0]?.details, { perRun: [{ run: 1 }, { run: 2 }], size: 100, count: 7, warmupMs: 50 })
    assert.deepEqual(rs[0]?.runs, [1, 2])
    assert.deepEqual(rs[1]?.details, { size: 100, count: 7, warmupMs: 50 })
    assert.deepEqual(rs[2]?.details, {})
  })

  it('results - Collector.results can be called again and reflects later adds', () => {
    const col = new Collector('f')
    col.add('c', 'm', 'ms', 'lower', 'v', 'v', 1)
    assert.deepEqual(col.results()[0]?.runs, [1])
    col.add('c', 'm', 'ms', 'lower', 'v', 'v', 3)
    assert.deepEqual(col.results()[0]?.runs, [1, 3])
    assert.equal(col.results()[0]?.summary.median, 2)
  })

  it('results - makeResult copies the spec and summarizes the runs', () => {
    const r = makeResult({ figure: 'dial', case: 'dial+RT', metric: 'median', unit: 'ms', better: 'lower', variant: 'overlay', reference: 'libp2p', runs: [3, 1, 2], details: { x: 1 } })
    assert.equal(r.figure, 'dial')
    assert.equal(r.case, 'dial+RT')
    assert.equal(r.variant, 'overlay')
    assert.deepEqual(r.runs, [3, 1, 2])
    assert.deepEqual(r.details, { x: 1 })
    assert.deepEqual(r.summary, { n: 3, median: 2, min: 1, max: 3, p25: 1.5, p75: 2.5, p90: 2.8, p99: 2.98, mean: 2 })
  })
})

describe('results runCount', () => {
  it('results - runCount uses the full count, or the quick count in quick mode', () => {
    assert.equal(runCount(opts(false), 5, 1), 5)
    assert.equal(runCount(opts(true), 5, 1), 1)
  })

  it('results - runCount honours opts.runs in both modes', () => {
    assert.equal(runCount(opts(false, 7), 5, 1), 7)
    assert.equal(runCount(opts(true, 7), 5, 1), 7)
    assert.equal(runCount(opts(true, 1), 5, 2), 1)
  })

  it('results - runCount ignores runs of 0 or less', () => {
    assert.equal(runCount(opts(false, 0), 5, 1), 5)
    assert.equal(runCount(opts(true, -2), 5, 1), 1)
  })
})

describe('results fmt', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [0.1234, '0.123'],
    [1.234, '1.23'],
    [12.34, '12.3'],
    [123.4, '123'],
    [999.4, '999'],
    [1000, '1,000'],
    [12345.6, '12,346'],
    [1234567, '1,234,567'],
    [-12.34, '-12.3'],
    [-0.5, '-0.500'],
    [0.000123456, '0.000123'],
    [9.996, '10.0'],
    [99.96, '100'],
    [999.6, '1,000'],
    [0.99996, '1.00'],
    [-9.996, '-10.0'],
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity']
  ]
  for (const [v, s] of cases) {
    it(`results - fmt(${v}) is '${s}'`, () => {
      assert.equal(fmt(v), s)
    })
  }

  it('results - fmt digits sets the precision below 1', () => {
    assert.equal(fmt(0.1234, 2), '0.12')
    assert.equal(fmt(0.1234, 4), '0.1234')
    assert.equal(fmt(12.34, 5), '12.3') // digits only applies below 1
  })
})
