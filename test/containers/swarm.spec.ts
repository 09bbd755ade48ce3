/**
 * deploy/swarm/stack.yml on a real single-node Docker Swarm: deploy, converge, scale the leaves
 * 3 → 10, a rolling update of the leaf service while the hub and peers keep talking, and removal
 * with nothing left behind. Joins a swarm only when the engine is in none, and leaves it after.
 * Needs root and a running dockerd (.ci/containers-prereqs.sh); fails loudly without them.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImage, ContainerLog, docker, IMAGE, REPO_ROOT, TOKEN, typeLine, uniqueName, type LogEvent } from '../helpers/containers/docker.ts'
import { waitFor } from '../helpers/wait-for.ts'

const STACK_FILE = join(REPO_ROOT, 'deploy/swarm/stack.yml')
const WAIT = 90_000

describe('containers - swarm: deploy/swarm/stack.yml on a single-node swarm', { timeout: 540_000 }, () => {
  const stack = uniqueName('s')
  const dir = mkdtempSync(join(tmpdir(), `${stack}-`))
  const tokenFile = join(dir, 'token')
  const logs = new Map<string, ContainerLog>()
  /** Volumes mounted by our task containers (anonymous ones carry no stack label). */
  const volumes = new Set<string>()
  let madeSwarm = false
  let hadGwBridge = true

  const label = `label=com.docker.stack.namespace=${stack}`
  const list = async (args: string[]): Promise<string[]> => (await docker(args)).stdout.split('\n').filter(Boolean)
  /** Running task containers of one service (or all), following the logs of new ones. */
  const tasks = async (service?: string): Promise<string[]> => {
    const filter = service === undefined ? label : `label=com.docker.swarm.service.name=${stack}_${service}`
    const names = (await list(['ps', '--filter', filter, '--filter', 'status=running', '--format', '{{.Names}}'])).sort()
    for (const n of names) {
      if (!logs.has(n)) logs.set(n, new ContainerLog(n))
      if (!volumes.has(n)) {
        const mounts = (await docker(['inspect', '-f', '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}', n], { check: false })).stdout
        for (const v of mounts.split(/\s+/).filter(Boolean)) volumes.add(v)
        volumes.add(n) // marks the container as inspected
      }
    }
    return names
  }
  const log = (c: string): ContainerLog => logs.get(c) as ContainerLog
  const nameOf = (c: string): string | undefined => log(c).self()?.name

  /** `count` running tasks of `service`, each of them healthy. */
  async function settled (service: string, count: number): Promise<string[]> {
    let names: string[] = []
    await waitFor(async () => {
      names = await tasks(service)
      if (names.length !== count) return false
      const states = await list(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', ...names])
      return states.every(s => s === 'healthy')
    }, { timeout: 240_000, interval: 1_000, message: `${count} healthy ${service} tasks` })
    return names
  }

  /** Every running member lists every other running member as present. */
  async function converged (timeout = WAIT): Promise<string[]> {
    let all: string[] = []
    await waitFor(async () => {
      all = await tasks()
      return all.every(c => nameOf(c) !== undefined) && all.every(c => {
        const present = log(c).present()
        return all.every(o => o === c || present.has(nameOf(o) as string))
      })
    }, { timeout, interval: 500, message: 'every task lists every other' })
    return all
  }

  async function removeAll (): Promise<void> {
    for (const l of logs.values()) l.close()
    await docker(['stack', 'rm', stack], { check: false })
    await waitFor(async () => (await list(['ps', '-aq', '--filter', label])).length === 0,
      { timeout: 90_000, interval: 1_000, message: 'the stack\'s containers are gone' }).catch(() => {})
    const left = await list(['ps', '-aq', '--filter', label])
    if (left.length > 0) await docker(['rm', '-fv', ...left], { check: false })
    // Networks go a moment after the tasks; named volumes are never removed by `stack rm`.
    await waitFor(async () => (await list(['network', 'ls', '-q', '--filter', label])).length === 0,
      { timeout: 30_000, interval: 500, message: 'the stack\'s network is gone' }).catch(() => {})
    const vols = [...await list(['volume', 'ls', '-q', '--filter', label]), ...[...volumes].filter(v => !logs.has(v))]
    const existing = new Set(await list(['volume', 'ls', '-q']))
    const mine = vols.filter(v => existing.has(v))
    if (mine.length > 0) await docker(['volume', 'rm', '-f', ...mine], { check: false })
  }

  async function leftovers (): Promise<string[]> {
    const existing = new Set(await list(['volume', 'ls', '-q']))
    return [
      ...await list(['ps', '-aq', '--filter', label]),
      ...await list(['service', 'ls', '-q', '--filter', label]),
      ...await list(['network', 'ls', '-q', '--filter', label]),
      ...await list(['secret', 'ls', '-q', '--filter', label]),
      ...await list(['volume', 'ls', '-q', '--filter', label]),
      ...[...volumes].filter(v => !logs.has(v) && existing.has(v))
    ]
  }

  before(async () => {
    await buildImage()
    const state = (await docker(['info', '-f', '{{.Swarm.LocalNodeState}}'])).stdout.trim()
    if (state !== 'active') {
      hadGwBridge = (await docker(['network', 'inspect', 'docker_gwbridge'], { check: false })).code === 0
      await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1'])
      madeSwarm = true
    }
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 })
  })

  after(async () => {
    try {
      await removeAll()
      assert.deepEqual(await leftovers(), [], 'the stack left something behind')
    } finally {
      if (madeSwarm) {
        await docker(['swarm', 'leave', '--force'], { check: false })
        // `swarm init` made this bridge; leaving keeps it.
        if (!hadGwBridge) await docker(['network', 'rm', 'docker_gwbridge'], { check: false })
      }
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('containers - swarm: the stack deploys and its hub, 3 leaves and 2 peers converge', async () => {
    await docker(['stack', 'deploy', '-c', STACK_FILE, stack], { env: { ...process.env, OVERLAY_IMAGE: IMAGE, OVERLAY_TOKEN_FILE: tokenFile } })
    const mode = (await docker(['service', 'inspect', '-f', '{{.Spec.EndpointSpec.Mode}}', `${stack}_hub`])).stdout.trim()
    assert.equal(mode, 'dnsrr')
    await settled('hub', 1)
    await settled('leaf', 3)
    await settled('peer', 2)
    const all = await converged()
    assert.equal(all.length, 6)
    // The token came from the secret: it is a file in the task, not in its environment.
    const [hub] = await tasks('hub') as [string]
    const env = (await docker(['inspect', '-f', '{{json .Config.Env}}', hub])).stdout
    assert.doesNotMatch(env, new RegExp(TOKEN))
  })

  it('containers - swarm: scaling the leaves 3 → 10, every member converges', async () => {
    await docker(['service', 'scale', '--detach', `${stack}_leaf=10`])
    await settled('leaf', 10)
    const all = await converged(120_000)
    assert.equal(all.length, 13)
    const ids = all.map(c => log(c).self()?.peerId)
    assert.equal(new Set(ids).size, ids.length, 'two tasks share a peer ID')
  })

  it('containers - swarm: scaling the leaves 10 → 4, the removed ones exit 0 and the hub sees them leave', async () => {
    const hub = (await tasks('hub'))[0] as string
    await converged()
    const mark = log(hub).mark()
    const beforeScale = await tasks('leaf')
    await docker(['service', 'scale', '--detach', `${stack}_leaf=4`])
    await waitFor(async () => (await tasks('leaf')).length === 4, { timeout: WAIT, interval: 1_000, message: '4 leaf tasks' })
    const left = new Set(await tasks('leaf'))
    const gone = beforeScale.filter(c => !left.has(c))
    assert.equal(gone.length, 6)
    const reasons: string[] = []
    for (const c of gone) {
      const name = nameOf(c) as string
      const e = await log(hub).waitFor(e => e.type === 'left' && e.name === name, { since: mark, timeout: 30_000, message: `${name} left` })
      reasons.push(e.type === 'left' ? e.reason : '?')
      const code = (await docker(['inspect', '-f', '{{.State.ExitCode}}', c], { check: false })).stdout.trim()
      assert.ok(code === '0' || code === '', `${c} exited ${code} on SIGTERM`)
    }
    // SIGTERM sends EXIT, so `exit` is expected; a leaf still (re)joining when stopped may show `failed`.
    console.log(`# scale-down: the hub saw the removed leaves leave with reasons ${reasons.join(', ')}`)
    assert.ok(reasons.filter(r => r === 'exit').length >= gone.length - 1, `reasons: ${reasons.join(', ')}`)
    await converged()
  })

  // At 4 leaves, so the update (2 tasks at a time, each waiting for health) stays within the budget.
  it('containers - swarm: a rolling update of the leaves, and the hub and peers lose no message', async () => {
    const before = new Set(await tasks('leaf'))
    const core = [...await tasks('hub'), ...await tasks('peer')]
    const marks = new Map(core.map(c => [c, log(c).mark()]))
    const update = docker(['service', 'update', '--force', '--detach=false', `${stack}_leaf`], { timeout: 400_000 })
    let done = false
    void update.then(() => { done = true }, () => { done = true })
    const sent: Array<[string, string]> = []
    // Bounded: one round every 2 s until the update ends (the update itself is bounded by its timeout).
    // eslint-disable-next-line no-unmodified-loop-condition -- `done` is set by the update's promise above
    for (let n = 0; !done && n < 400; n++) {
      for (const c of core) {
        const text = `upd ${stack} ${n} from ${c}`
        await typeLine(c, text)
        sent.push([c, text])
      }
      await new Promise(resolve => setTimeout(resolve, 2_000))
    }
    await update
    const got = (to: string, text: string): number => log(to).count((e: LogEvent) => e.type === 'message' && e.text === text, marks.get(to))
    await waitFor(() => sent.every(([from, text]) => core.every(to => to === from || got(to, text) >= 1)),
      { timeout: 30_000, interval: 500, message: 'every message sent during the update reached the hub and peers' })
    for (const [from, text] of sent) for (const to of core) if (to !== from) assert.equal(got(to, text), 1, `${to} got "${text}" ${got(to, text)} times`)
    assert.ok(sent.length >= core.length * 3, `only ${sent.length} messages were sent during the update`)
    const after = await settled('leaf', 4)
    assert.equal(after.filter(c => before.has(c)).length, 0, 'every leaf task was replaced')
    await converged(120_000)
  })

  it('containers - swarm: stack rm removes everything the stack made', async () => {
    await removeAll()
    assert.deepEqual(await leftovers(), [])
  })
})
