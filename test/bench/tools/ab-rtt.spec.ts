/**
 * bench/tools/ab-rtt.ts end to end: this checkout against itself, two short rounds over loopback.
 * It must time all three pairs every round, print the summary, exit 0 and leave no worker behind.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runScript, pidsWithEnv } from '../../helpers/node-script.ts'
import type { Outcome } from '../../helpers/node-script.ts'

const ROOT = join(import.meta.dirname, '../../..')
const TOOL = join(ROOT, 'bench/tools/ab-rtt.ts')

async function run (args: string[], marker: string): Promise<Outcome> {
  return await runScript(TOOL, args, { cwd: ROOT, env: { AB_RTT_TEST: marker }, timeoutMs: 90_000 })
}

describe('bench/tools/ab-rtt.ts', () => {
  it('ab-rtt - usage errors exit 2 before starting anything', async () => {
    for (const args of [['.'], ['.', '.', '--rounds=0'], ['.', '.', '--count=x']]) {
      const out = await run(args, 'usage')
      assert.equal(out.code, 2, args.join(' '))
      assert.match(out.stderr, /^usage: node bench\/tools\/ab-rtt\.ts/)
    }
  })

  it('ab-rtt - a checkout against itself: every pair timed each round, a summary, no worker left', { timeout: 120_000 }, async () => {
    const marker = `ab-rtt-${process.pid}-${Date.now()}`
    const out = await run(['.', ROOT, '--rounds=2', '--count=200'], marker)
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`)
    const lines = out.stdout.trim().split('\n')
    const rounds = lines.filter(l => l.startsWith('round '))
    assert.equal(rounds.length, 2)
    assert.match(rounds[0] as string, /^round 1: a [\d.]+ µs {2}b [\d.]+ µs {2}echo [\d.]+ µs$/)
    assert.match(rounds[1] as string, /^round 2: echo [\d.]+ µs {2}b [\d.]+ µs {2}a [\d.]+ µs$/, 'the order flips')
    for (const name of ['a', 'b', 'echo']) assert.ok(lines.some(l => new RegExp(`^${name}: median [\\d.]+ µs, ratio to the echo's block [\\d.]+$`).test(l)), name)
    assert.match(lines.at(-1) as string, /^b - a: median -?[\d.]+ µs over 2 rounds; b faster in [012] \(-?[\d.]+ -?[\d.]+\)$/)
    assert.deepEqual(pidsWithEnv(`AB_RTT_TEST=${marker}`), [])
  })
})
