/**
 * A real Prometheus (Debian's package; .ci/api-prereqs.sh installs it) scrapes three nodes on
 * loopback: the hub with api.openMetrics, the leaves with their API tokens as bearer credentials.
 * Queried through its HTTP API for the members gauge and the broadcast latency histogram.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { NodeTracker, freePort } from '../helpers/create-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'
import type { ChildProcess } from 'node:child_process'

const T = 60_000

interface Sample { metric: Record<string, string>, value: [number, string] }

async function query (base: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5_000) })
  const body = await res.json() as { status: string, data: { result: Sample[] } }
  assert.equal(body.status, 'success', JSON.stringify(body))
  return body.data.result
}

describe('prometheus', () => {
  const nodes = new NodeTracker()
  let prometheus: ChildProcess | undefined
  let log = ''
  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise(resolve => prometheus?.once('exit', resolve))
      prometheus.kill('SIGTERM')
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    await nodes.stopAll()
  })

  it('prometheus - scrapes three nodes; the members gauge and the latency histogram can be queried', { timeout: 120_000 }, async () => {
    const mesh = await nodes.createNodes({ hub: 1, leaf: 2 }, { hub: { api: { openMetrics: true } } })
    const all = mesh.all
    await waitFor(() => all.every(n => n.members().filter(m => m.state === 'alive').length === 3), { timeout: 15_000, message: 'everyone sees 3 alive members' })
    const dir = await nodes.tempDir('overlay-prometheus-')
    const target = (url: string | undefined): string => new URL(url as string).host
    const jobs = [
      `  - job_name: hub\n    static_configs: [{ targets: ['${target(mesh.hub?.apiUrl)}'] }]`,
      ...mesh.leaves.map((leaf, i) =>
        `  - job_name: leaf${i}\n    authorization: { credentials_file: '${join(leaf.dataDir, 'api-token')}' }\n    static_configs: [{ targets: ['${target(leaf.apiUrl)}'] }]`)
    ]
    const config = join(dir, 'prometheus.yml')
    await writeFile(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join('\n')}\n`)
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    prometheus.stderr?.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000) })
    prometheus.once('error', err => { log += `\nspawn error: ${err.message}` })

    await waitFor(async () => (await query(base, 'up')).filter(s => s.value[1] === '1').length === 3, { timeout: T, message: `Prometheus scrapes 3 targets up (log: ${log.slice(-500)})` })
    const members = await query(base, 'overlay_members{state="alive"}')
    assert.deepEqual(members.map(s => s.metric.job).sort(), ['hub', 'leaf0', 'leaf1'])
    for (const s of members) assert.equal(s.value[1], '3', `${s.metric.job ?? ''} sees 3 alive members`)

    // A broadcast from leaf0 reaches the hub and leaf1: their latency histograms count it.
    await mesh.leaves[0]?.send('measured by prometheus')
    await waitFor(async () => {
      const counts = await query(base, 'overlay_broadcast_delivery_latency_seconds_count')
      return counts.filter(s => Number(s.value[1]) >= 1).length === 2
    }, { timeout: T, message: 'two nodes counted the broadcast\'s delivery latency' })
    const p99 = await query(base, 'histogram_quantile(0.99, sum by (job, le) (overlay_broadcast_delivery_latency_seconds_bucket))')
    const finite = p99.filter(s => Number.isFinite(Number(s.value[1])))
    assert.deepEqual(finite.map(s => s.metric.job).sort(), ['hub', 'leaf1'])
    for (const s of finite) assert.ok(Number(s.value[1]) > 0 && Number(s.value[1]) <= 10, `p99 ${s.value[1]} s`)
  })
})
