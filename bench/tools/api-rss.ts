/**
 * Idle RSS of a process holding N started nodes, with the control API on and off (issue 19:
 * "a node with the API on and idle adds at most 10 MiB RSS"). Each reading is a fresh process
 * (--expose-gc), read after a settle and 3 x gc(); the variants alternate, `rounds` times.
 *   node bench/tools/api-rss.ts [nodes=1] [rounds=3]
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(import.meta.url)
const MiB = 2 ** 20

if (process.argv[2] === '--child') {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  // The build, as the CLI runs it (npm run build first); the sources otherwise.
  const built = new URL('../../dist/src/index.js', import.meta.url)
  const { createOverlayNode } = await import(existsSync(built) ? built.href : '../../src/index.ts') as typeof import('../../src/index.ts')
  const variant = process.argv[3] as string
  const api = variant !== 'off'
  const count = Number(process.argv[4])
  const dir = await mkdtemp(join(tmpdir(), 'api-rss-'))
  const nodes = []
  for (let i = 0; i < count; i++) {
    const node = await createOverlayNode({ name: `n${i}`, dataDir: join(dir, String(i)), token: 'letmein123', listen: ['/ip4/127.0.0.1/tcp/0'], api: { listen: api ? '127.0.0.1:0' : 'off', libp2pMetrics: variant === 'on' } })
    await node.start()
    nodes.push(node)
  }
  await new Promise(resolve => setTimeout(resolve, 2_000))
  for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  if (process.env.API_RSS_DEBUG !== undefined) process.stderr.write(`${variant}: rss ${(m.rss / MiB).toFixed(1)} heapTotal ${(m.heapTotal / MiB).toFixed(1)} heapUsed ${(m.heapUsed / MiB).toFixed(1)} external ${(m.external / MiB).toFixed(1)}\n`)
  process.stdout.write(JSON.stringify({ rss: m.rss }) + '\n')
  await Promise.all(nodes.map(async n => { await n.stop() }))
  await rm(dir, { recursive: true, force: true })
} else {
  const count = Number(process.argv[2] ?? 1)
  const rounds = Number(process.argv[3] ?? 3)
  const read = (variant: string): number => {
    const r = spawnSync(process.execPath, ['--expose-gc', here, '--child', variant, String(count)], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'inherit'] })
    const line = r.stdout.trim().split('\n').at(-1) ?? ''
    return (JSON.parse(line) as { rss: number }).rss / MiB
  }
  const results: Record<string, number[]> = { off: [], on: [], 'on-no-libp2p-metrics': [] }
  for (let i = 0; i < rounds; i++) for (const v of ['off', 'on', 'on-no-libp2p-metrics'] as const) results[v]?.push(read(v))
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const off = median(results.off as number[])
  const on = median(results.on as number[])
  console.log(`nodes per process: ${count}, rounds: ${rounds}`)
  console.log(`API off: ${(results.off as number[]).map(x => x.toFixed(1)).join(', ')} MiB (median ${off.toFixed(1)})`)
  console.log(`API on:  ${(results.on as number[]).map(x => x.toFixed(1)).join(', ')} MiB (median ${on.toFixed(1)})`)
  const bare = median(results['on-no-libp2p-metrics'] as number[])
  console.log(`API on, api.libp2pMetrics false: ${(results['on-no-libp2p-metrics'] as number[]).map(x => x.toFixed(1)).join(', ')} MiB (median ${bare.toFixed(1)})`)
  console.log(`difference: ${(on - off).toFixed(1)} MiB (${((on - off) / count).toFixed(2)} MiB per node); without libp2p metrics ${(bare - off).toFixed(1)} MiB`)
}
