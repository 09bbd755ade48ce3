/**
 * The simulator runs the real mesh on virtual time: same seed, same result; a crash is detected
 * everywhere; a small run takes seconds.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULTS, parseSimArgs, simulate } from '../../sim/run.ts'

const SMALL = { ...DEFAULTS, nodes: 20, seconds: 30, crashes: 1, broadcasts: 2, stall: 3 }

describe('sim', () => {
  it('sim - the same seed gives the same JSON, another seed another', async () => {
    const a = await simulate(SMALL)
    const b = await simulate(SMALL)
    const c = await simulate({ ...SMALL, seed: 2 })
    const strip = (r: Record<string, unknown>): string => JSON.stringify({ ...r, wallMs: 0 })
    assert.equal(strip(a), strip(b))
    assert.notEqual(strip(a), strip(c))
  })

  it('sim - a crashed node is marked failed by every live member, nobody else is, and a broadcast reaches all', async () => {
    const started = Date.now()
    const r = await simulate({ ...SMALL, seed: 3 }) as { failure: Array<{ all: number, members: number }>, falseFailures: number, converged: boolean, join: { all: number }, broadcast: { deliveryRatio: number } }
    assert.equal(r.converged, true)
    assert.equal(r.failure.length, 1)
    assert.ok((r.failure[0]?.all ?? -1) > 0 && (r.failure[0]?.all ?? Infinity) <= 8_000, `every live member marks the crashed one failed within 8 s (${JSON.stringify(r.failure)})`)
    assert.equal(r.falseFailures, 0, 'the stalled node and the others are never marked failed')
    assert.ok(r.join.all >= 0 && r.join.all <= 2_000, `the joiner is known by all within 2 s (${r.join.all})`)
    assert.equal(r.broadcast.deliveryRatio, 1)
    assert.ok(Date.now() - started < 30_000, 'a 20-node run takes seconds')
  })

  it('sim - arguments are parsed and bad ones refused naming the flag', () => {
    const o = parseSimArgs(['--nodes', '50', '--seconds', '10', '--loss', '0.05', '--seed', '9', '--latency', '1,2'])
    assert.deepEqual([o.nodes, o.seconds, o.loss, o.seed, o.latencyMs], [50, 10, 0.05, 9, [1, 2]])
    assert.throws(() => parseSimArgs(['--nodes', 'many']), /--nodes/)
  })
})
