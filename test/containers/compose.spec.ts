/**
 * The repository's docker-compose.yml on a real Docker engine: the image built from this checkout, a
 * hub and 5 leaves, and the mesh profile's peers. Needs root and a running dockerd (set up by
 * .ci/containers-prereqs.sh); fails loudly without them. Every project is removed in `after`.
 * Traffic stays on the project's own Docker network.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { buildImage, docker, health, typeLine, type ContainerLog, type LogEvent } from '../helpers/containers/docker.ts'
import { ComposeProject } from '../helpers/containers/compose-project.ts'
import { waitFor } from '../helpers/wait-for.ts'

const WAIT = 60_000
const LEAVES = 5

const nameOf = (log: ContainerLog): string => {
  const self = log.self()
  if (self === undefined) throw new Error(`${log.container} has not started listening`)
  return self.name
}
const gone = (name: string, types: Array<LogEvent['type']>, reason?: string) => (e: LogEvent): boolean =>
  'name' in e && e.name === name && types.includes(e.type) && (reason === undefined || ('reason' in e && e.reason === reason))
const back = (name: string) => (e: LogEvent): boolean => 'name' in e && e.name === name && (e.type === 'joined' || e.type === 'alive')

async function allHealthy (p: ComposeProject, containers: string[]): Promise<void> {
  await waitFor(async () => (await Promise.all(containers.map(health))).every(s => s === 'healthy'),
    { timeout: 90_000, interval: 1_000, message: `${containers.join(', ')} healthy` })
}

/** Every container lists every other as present. */
async function converged (p: ComposeProject, containers: string[], timeout = WAIT): Promise<void> {
  await waitFor(() => containers.every(c => {
    const present = p.log(c).present()
    return containers.every(o => o === c || (p.log(o).self() !== undefined && present.has(nameOf(p.log(o)))))
  }), { timeout, interval: 250, message: `${containers.length} containers list each other` })
}

/** Each container broadcasts one line; every other must show it exactly once (a second round gives duplicates time to show). */
async function broadcastRound (p: ComposeProject, containers: string[]): Promise<void> {
  const marks = new Map(containers.map(c => [c, p.log(c).mark()]))
  const nonce = randomUUID().slice(0, 8)
  const text = (c: string): string => `bcast ${nonce} from ${c}`
  for (const c of containers) await typeLine(c, text(c))
  const got = (to: string, from: string): number => p.log(to).count(e => e.type === 'message' && e.text === text(from) && e.from === nameOf(p.log(from)), marks.get(to))
  await waitFor(() => containers.every(to => containers.every(from => from === to || got(to, from) >= 1)),
    { timeout: WAIT, interval: 250, message: 'every broadcast reaches every other container' })
  const second = randomUUID().slice(0, 8)
  for (const c of containers) await typeLine(c, `bcast ${second} from ${c}`)
  await waitFor(() => containers.every(to => containers.every(from => from === to ||
    p.log(to).find(e => e.type === 'message' && e.text === `bcast ${second} from ${from}`, marks.get(to)) !== undefined)),
  { timeout: WAIT, interval: 250, message: 'the second round arrives' })
  for (const to of containers) {
    for (const from of containers) {
      if (from !== to) assert.equal(got(to, from), 1, `${to} got ${from}'s broadcast ${got(to, from)} times`)
    }
  }
}

describe('containers - compose: a hub and 5 leaves', { timeout: 480_000 }, () => {
  const p = new ComposeProject()
  let hub: string
  let leaves: string[]
  const running = new Set<string>()
  const up = (): string[] => [...running].sort()

  before(async () => {
    await buildImage()
    await p.compose(['up', '-d', '--no-build', '--scale', `leaf=${LEAVES}`, 'hub', 'leaf'])
    await p.follow()
    ;[hub] = await p.containers('hub') as [string]
    leaves = await p.containers('leaf')
    for (const c of [hub, ...leaves]) running.add(c)
  })
  after(async () => {
    await p.down()
    assert.deepEqual(await p.leftovers(), [], 'containers, networks or volumes left behind')
  })

  it('containers - a hub and 5 leaves become healthy and all see each other', async () => {
    assert.equal(leaves.length, LEAVES)
    await allHealthy(p, up())
    await converged(p, up())
  })

  it('containers - identities persist across docker-compose restart, and replicas never share one', async () => {
    const ids = new Map(up().map(c => [c, p.log(c).self()?.peerId]))
    assert.equal(new Set(ids.values()).size, ids.size, `replicas share a peer ID: ${JSON.stringify([...ids])}`)
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    await p.compose(['restart', '--timeout', '10', 'hub', 'leaf'])
    await waitFor(() => up().every(c => p.log(c).find(e => e.type === 'listening', marks.get(c)) !== undefined),
      { timeout: WAIT, interval: 250, message: 'every container started again' })
    for (const c of up()) assert.equal(p.log(c).self()?.peerId, ids.get(c), `${c} changed its peer ID across a restart`)
    await allHealthy(p, up())
    await converged(p, up())
  })

  it('containers - a broadcast from each container reaches every other exactly once', async () => {
    await converged(p, up())
    await broadcastRound(p, up())
  })

  it('containers - a container with the wrong token is refused and never listed', async () => {
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    const intruder = (await p.compose(['run', '-d', '--no-deps', '-e', 'OVERLAY_TOKEN=not-the-token', 'leaf'])).stdout.trim().split('\n').pop() as string
    try {
      await p.follow()
      await waitFor(() => p.log(intruder).self() !== undefined, { timeout: WAIT, interval: 250, message: 'the intruder started' })
      const bad = p.log(intruder).self() as Extract<LogEvent, { type: 'listening' }>
      await p.log(hub).waitFor(e => e.type === 'rejected' && e.peerId === bad.peerId, { since: marks.get(hub), timeout: WAIT, message: 'the hub refuses the intruder' })
      // Once a message has crossed the overlay, nobody has listed the intruder, and it got nothing.
      const text = `after intruder ${randomUUID().slice(0, 8)}`
      await typeLine(hub, text)
      for (const c of leaves.filter(l => running.has(l))) await p.log(c).waitFor(e => e.type === 'message' && e.text === text, { since: marks.get(c), timeout: WAIT, message: 'the hub\'s message' })
      for (const c of up()) assert.equal(p.log(c).find(e => 'name' in e && e.name === bad.name, marks.get(c)), undefined, `${c} listed the intruder`)
      assert.equal(p.log(intruder).find(e => e.type === 'message'), undefined, 'the intruder received a message')
    } finally {
      p.log(intruder).close()
      await docker(['rm', '-fv', intruder], { check: false })
    }
  })

  it('containers - docker stop of a leaf: every other container sees it leave with reason exit', async () => {
    const victim = leaves[4] as string
    const name = nameOf(p.log(victim))
    running.delete(victim)
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    await docker(['stop', '--time', '10', victim])
    assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', victim])).stdout.trim(), '0', 'SIGTERM → exit 0')
    for (const c of up()) await p.log(c).waitFor(gone(name, ['left'], 'exit'), { since: marks.get(c), timeout: 20_000, message: `${name} left (exit)` })
  })

  it('containers - docker kill of a leaf: the hub reports it failed within 6 s, the leaves learn it too', async () => {
    const victim = leaves[3] as string
    const name = nameOf(p.log(victim))
    running.delete(victim)
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    const t0 = Date.now()
    await docker(['kill', victim])
    await p.log(hub).waitFor(gone(name, ['failed']), { since: marks.get(hub), timeout: 6_000, message: `${name} failed within 6 s of docker kill` })
    const took = Date.now() - t0
    for (const c of up()) await p.log(c).waitFor(gone(name, ['failed', 'left']), { since: marks.get(c), timeout: 10_000, message: `${name} failed or left` })
    assert.ok(took <= 6_000, `failed after ${took} ms`)
  })

  // issue 21: "docker network disconnect / connect of one container → failed, then alive again", for
  // a leaf: it hears nothing from its hub, drops the dead session (upstream_silent) and dials again.
  it('containers - docker network disconnect of a leaf: failed at the hub, then back on it after connect', async () => {
    const victim = leaves[2] as string
    const name = nameOf(p.log(victim))
    const others = up().filter(c => c !== victim)
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    await docker(['network', 'disconnect', p.network, victim])
    try {
      for (const c of others) await p.log(c).waitFor(gone(name, ['failed']), { since: marks.get(c), timeout: 30_000, message: `${name} failed after losing its network` })
      await p.log(victim).waitFor(e => e.type === 'error' && e.code === 'upstream_silent', { since: marks.get(victim), timeout: 30_000, message: `${name} drops its silent hub` })
    } finally {
      const upMarks = new Map(up().map(c => [c, p.log(c).mark()]))
      await docker(['network', 'connect', p.network, victim])
      await p.log(victim).waitFor(e => e.type === 'reconnected', { since: upMarks.get(victim), timeout: WAIT, message: `${name} back on the hub` })
      for (const c of others) await p.log(c).waitFor(back(name), { since: upMarks.get(c), timeout: WAIT, message: `${name} alive again at ${c}` })
    }
    await converged(p, up())
    await broadcastRound(p, up())
  })

  it('containers - docker restart of the hub: every leaf comes back', async () => {
    const hubName = nameOf(p.log(hub))
    const leafUp = up().filter(c => c !== hub)
    const marks = new Map(up().map(c => [c, p.log(c).mark()]))
    await docker(['restart', '--time', '10', hub])
    await p.log(hub).waitFor(e => e.type === 'listening', { since: marks.get(hub), timeout: WAIT, message: 'hub listening again' })
    for (const c of leafUp) await p.log(c).waitFor(back(hubName), { since: marks.get(c), timeout: WAIT, message: 'the hub back' })
    for (const c of leafUp) await p.log(hub).waitFor(back(nameOf(p.log(c))), { since: marks.get(hub), timeout: WAIT, message: `${c} back at the hub` })
    await converged(p, up())
  })
})

describe('containers - compose: the mesh profile\'s peers', { timeout: 300_000 }, () => {
  const p = new ComposeProject()
  let peers: string[]

  before(async () => {
    await buildImage()
    await p.compose(['--profile', 'mesh', 'up', '-d', '--no-build', '--scale', 'peer=4', 'peer-seed', 'peer'])
    await p.follow()
    peers = [...await p.containers('peer-seed'), ...await p.containers('peer')]
  })
  after(async () => {
    await p.down()
    assert.deepEqual(await p.leftovers(), [], 'containers, networks or volumes left behind')
  })

  it('containers - the mesh profile\'s 5 peers become healthy and list each other', async () => {
    assert.equal(peers.length, 5)
    await allHealthy(p, peers)
    await converged(p, peers)
    const ids = peers.map(c => p.log(c).self()?.peerId)
    assert.equal(new Set(ids).size, peers.length, 'replicas share a peer ID')
  })

  it('containers - a broadcast from each peer reaches every other exactly once', async () => {
    await broadcastRound(p, peers)
  })

  // Peers heal by re-dialling failed members; the compose leaf test above covers a leaf.
  it('containers - docker network disconnect of a peer: failed everywhere, then alive again after connect', async () => {
    const victim = peers[2] as string
    const name = nameOf(p.log(victim))
    const others = peers.filter(c => c !== victim)
    const marks = new Map(others.map(c => [c, p.log(c).mark()]))
    await docker(['network', 'disconnect', p.network, victim])
    try {
      for (const c of others) await p.log(c).waitFor(gone(name, ['failed']), { since: marks.get(c), timeout: 30_000, message: `${name} failed after losing its network` })
    } finally {
      const upMarks = new Map(others.map(c => [c, p.log(c).mark()]))
      await docker(['network', 'connect', p.network, victim])
      for (const c of others) await p.log(c).waitFor(back(name), { since: upMarks.get(c), timeout: 90_000, message: `${name} alive again` })
    }
    await converged(p, peers)
    await broadcastRound(p, peers)
  })
})
