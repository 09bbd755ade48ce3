/**
 * Idle RSS of a process holding N started nodes, with the control API on and off (issue 19:
 * "a node with the API on and idle adds at most 10 MiB RSS"). Each reading is a fresh process
 * (--expose-gc), read after a settle and 3 x gc(); the variants alternate, `rounds` times:
 * off, on (idle: nobody called it), on without libp2p's metrics, on after one request (the
 * fastify app behind the server is built on the first request).
 *   node bench/tools/api-rss.ts [nodes=1] [rounds=3]
 */
import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/stats.ts'

const here = fileURLToPath(import.meta.url)
const MiB = 2 ** 20

// The parent spawns `--child VARIANT COUNT` for each reading.
const { values: { child: variant }, positionals } = parseArgs({ options: { child: { type: 'string' } }, allowPositionals: true, strict: true })
if (variant !== undefined) {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  // The build, as the CLI runs it (npm run build first); the sources otherwise.
  const built = new URL('../../dist/src/index.js', import.meta.url)
  const { createOverlayNode } = await import(existsSync(built) ? built.href : '../../src/index.ts') as typeof import('../../src/index.ts')
  const count = Number(positionals[0])
  const dir = await mkdtemp(join(tmpdir(), 'api-rss-'))
  const nodes: Array<Awaited<ReturnType<typeof createOverlayNode>>> = []
  for (let i = 0; i < count; i++) {
    const node = await createOverlayNode({ name: `n${i}`, dataDir: join(dir, String(i)), token: 'letmein123', listen: ['/ip4/127.0.0.1/tcp/0'], api: { listen: variant === 'off' ? 'off' : '127.0.0.1:0', libp2pMetrics: variant !== 'on-no-libp2p-metrics' } })
    await node.start()
    nodes.push(node)
  }
  if (variant === 'on-used') {
    // One request builds the app behind the server (node:http: fetch would load undici into the reading).
    const { get } = await import('node:http')
    await new Promise<void>((resolve, reject) => { get(`${nodes[0]?.apiUrl ?? ''}/healthz`, res => { res.resume(); res.on('end', resolve) }).on('error', reject) })
  }
  await sleep(2_000)
  for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  if (process.env.API_RSS_DEBUG !== undefined) process.stderr.write(`${variant}: rss ${(m.rss / MiB).toFixed(1)} heapTotal ${(m.heapTotal / MiB).toFixed(1)} heapUsed ${(m.heapUsed / MiB).toFixed(1)} external ${(m.external / MiB).toFixed(1)}\n`)
  process.stdout.write(JSON.stringify({ rss: m.rss }) + '\n')
  await Promise.all(nodes.map(async n => { await n.stop() }))
  await rm(dir, { recursive: true, force: true })
} else {
  const [count, rounds] = [Number(positionals[0] ?? 1), Number(positionals[1] ?? 3)]
  const read = (variant: string): number => {
    const r = spawnSync(process.execPath, ['--expose-gc', here, '--child', variant, String(count)], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'inherit'] })
    return (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { rss: number }).rss / MiB
  }
  const VARIANTS = { off: 'API off', on: 'API on', 'on-no-libp2p-metrics': 'API on, api.libp2pMetrics false', 'on-used': 'API on, after one request' }
  const results = Object.fromEntries(Object.keys(VARIANTS).map(v => [v, [] as number[]]))
  for (let i = 0; i < rounds; i++) for (const v of Object.keys(VARIANTS)) results[v]?.push(read(v))
  const med = Object.fromEntries(Object.entries(results).map(([v, xs]) => [v, median(xs)])) as Record<keyof typeof VARIANTS, number>
  console.log(`nodes per process: ${count}, rounds: ${rounds}`)
  for (const [v, label] of Object.entries(VARIANTS)) console.log(`${label}: ${(results[v] ?? []).map(x => x.toFixed(1)).join(', ')} MiB (median ${(med[v as keyof typeof VARIANTS]).toFixed(1)})`)
  console.log(`difference, idle: ${(med.on - med.off).toFixed(1)} MiB (${((med.on - med.off) / count).toFixed(2)} MiB per node); without libp2p metrics ${(med['on-no-libp2p-metrics'] - med.off).toFixed(1)} MiB; after one request ${(med['on-used'] - med.off).toFixed(1)} MiB`)
}
