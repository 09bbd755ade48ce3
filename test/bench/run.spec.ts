/**
 * The benchmark driver as users run it (`node bench/run.ts`): its argument checks, and the RTT
 * figure end to end, quick and with one full run (driver, worker processes over IPC, result files,
 * target check), with the result files in a temp dir so the repo stays clean. The figure's numbers are not judged here;
 * speed is what `npm run bench` itself reports.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { nanoid } from 'nanoid'
import type { BenchReport } from '../../bench/lib/results.ts'
import { encodeJsonFrame } from '../../src/protocol/index.ts'
import { pidsWithEnv, runScript } from '../helpers/node-script.ts'
import type { Outcome } from '../helpers/node-script.ts'

const ROOT = join(import.meta.dirname, '../..')
const RUN = join(ROOT, 'bench/run.ts')
/** What only --publish may write. */
const TRACKED = ['bench/results/published.json', 'docs/BENCHMARKS.md'].map(f => join(ROOT, f))

/** Runs the driver to its end (killed after `timeoutMs`), with `env` added. */
async function run (args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Outcome> {
  return await runScript(RUN, args, { cwd: ROOT, env, timeoutMs })
}

describe('bench/run.ts (the driver)', () => {
  const dirs: string[] = []
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

  /** A run with its result files in a fresh temp dir: it must exit 0 and leave no worker behind. */
  async function runToEnd (args: string[]): Promise<{ dir: string, out: Outcome }> {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'))
    dirs.push(dir)
    const tracked = TRACKED.map(f => readFileSync(f, 'utf8'))
    const out = await run(args, { BENCH_RESULTS_DIR: dir }, 100_000)
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`)
    assert.deepEqual(TRACKED.map(f => readFileSync(f, 'utf8')), tracked, 'a run without --publish rewrote a tracked file')
    assert.equal(pidsWithEnv(`BENCH_RESULTS_DIR=${dir}`).length, 0, 'a worker outlived the driver')
    return { dir, out }
  }

  for (const [args, message] of [
    [['--runs=0'], '--runs must be an integer 1..50'],
    [['--runs=51'], '--runs must be an integer 1..50'],
    [['--soak=5'], '--soak=SECONDS must be an integer 10..3600'],
    [['--only=rtt,nope'], 'unknown figure(s): nope'],
    [['--fast'], 'Unknown option \'--fast\''],
    [['--quick', '--publish'], '--publish takes a full run of every figure (no --quick, --only or --runs)']
  ] as const) {
    it(`run - ${args.join(' ')} exits 2 with "${message}" before starting anything`, async () => {
      const out = await run([...args])
      assert.equal(out.code, 2, out.stderr)
      assert.ok(out.stderr.includes(message), out.stderr)
      assert.ok(args[0] !== '--fast' || out.stderr.includes('(try --help)'), out.stderr)
      assert.equal(out.stdout, '')
    })
  }

  it('run - --help names every figure, the opt-in soak included', async () => {
    const out = await run(['--help'])
    assert.equal(out.code, 0, out.stderr)
    const line = out.stdout.split('\n').find(l => l.startsWith('figures: '))
    assert.deepEqual(line?.slice('figures: '.length).split(', '), ['throughput', 'rtt', 'dial', 'broadcast', 'membership', 'idle', 'memory', 'fanin', 'soak'])
  })

  it('run - a quick RTT run measures all three variants in worker processes, writes its result files, and leaves no worker behind', { timeout: 120_000 }, async () => {
    const { dir, out } = await runToEnd(['--quick', '--only=rtt'])

    const files = readdirSync(dir).sort()
    const stamped = files.filter(f => f.endsWith('-quick.json'))
    assert.equal(stamped.length, 1, files.join(', '))
    assert.deepEqual(files, [stamped[0], 'latest.json'].sort(), 'a run writes its result file and latest.json, nothing else')
    const report = JSON.parse(readFileSync(join(dir, stamped[0] as string), 'utf8')) as BenchReport
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')), report)
    assert.equal(report.mode, 'quick')
    assert.deepEqual(report.figures.map(f => [f.id, f.error]), [['rtt', undefined]])

    const medians = report.results.filter(r => r.metric === 'RTT median')
    assert.deepEqual(medians.map(r => r.variant).sort(), ['libp2p', 'overlay', 'raw-tcp'])
    for (const r of medians) {
      assert.equal(r.runs.length, 1, r.variant)
      assert.ok((r.runs[0] as number) > 0 && Number.isFinite(r.runs[0]), `${r.variant}: ${r.runs[0]}`)
      const perRun = (r.details?.perRun as Array<{ n: number, warmupRoundTrips: number }>)[0]
      assert.equal(perRun?.n, 1500, r.variant)
      assert.ok((perRun?.warmupRoundTrips ?? 0) >= 500, r.variant)
    }
    const wire = (medians.find(r => r.variant === 'overlay')?.details?.perRun as Array<{ msgBytes?: number, ackBytes?: number }>)[0]
    assert.ok((wire?.msgBytes ?? 0) > 100 && (wire?.ackBytes ?? 0) > 0, `the overlay reports its MSG and ACK sizes: ${JSON.stringify(wire)}`)
    const rtt = report.targets?.find(t => t.id === '2')
    assert.ok(rtt !== undefined && typeof rtt.pass === 'boolean', JSON.stringify(report.targets))
    assert.ok(out.stdout.includes('sendTo + ACK round trip median'), out.stdout)
    assert.ok(!existsSync(join(ROOT, 'bench/results', stamped[0] as string)), 'wrote into the repo despite BENCH_RESULTS_DIR')
  })

  it('run - a full RTT run adds the bare echo shaped like the overlay: the exact bytes of its MSG out and its ACK back', { timeout: 120_000 }, async () => {
    const { dir } = await runToEnd(['--only=rtt', '--runs=1'])
    const report = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchReport
    const perRun = (variant: string): { msgBytes?: number, ackBytes?: number, n?: number } | undefined =>
      (report.results.find(r => r.metric === 'RTT median' && r.variant === variant)?.details?.perRun as Array<{ msgBytes?: number, ackBytes?: number, n?: number }> | undefined)?.[0]
    const overlay = perRun('overlay')
    const sized = perRun('libp2p-sized')
    assert.equal(sized?.n, 5000)
    assert.deepEqual([sized?.msgBytes, sized?.ackBytes], [overlay?.msgBytes, overlay?.ackBytes])
    // What the codec makes of a direct MSG and its ACK between neighbours (PROTOCOL.md 8.3).
    assert.equal(overlay?.msgBytes, encodeJsonFrame({ type: 'MSG', id: nanoid(), ts: Date.now(), to: '', text: 'x'.repeat(100) }).byteLength)
    assert.equal(overlay?.ackBytes, encodeJsonFrame({ type: 'ACK', id: nanoid() }).byteLength)
  })
})
