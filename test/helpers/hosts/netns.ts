/**
 * Cross-host test harness: runs docker-compose.yml's services as real hosts, one Linux network
 * namespace per replica, without a Docker engine.
 *
 * Topology: a switch namespace `<prefix>sw` holds a bridge `br0`; every replica namespace gets an
 * `eth0` with one IP in 10.213.0.0/24 whose veth peer `v<n>` is a port of that bridge. Nothing is
 * attached to the machine's own namespace and no namespace has a default route, so traffic can only
 * go between these hosts (and each host's loopback). /etc/netns/<ns>/hosts maps replica names
 * (`leaf-2`) and service names (`leaf` → its first replica) as compose DNS would.
 *
 * Every name starts with `ovlh<pid>-<n>-` (`ovlh` is this harness's family): a later run removes
 * leftovers of a crashed run whose pid is gone, and never touches anything else.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as model from './compose-model.ts'
import { HostProcess } from './host-process.ts'
import { Replica } from './replica.ts'

export { Replica } from './replica.ts'
export type { HostEvent, WaitOptions, Exit } from './host-process.ts'

export const FAMILY = 'ovlh'
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const NETNS_ETC = '/etc/netns'
const STALE = new RegExp(`^${FAMILY}(\\d+)-`)

export interface HostsOptions extends model.SelectOptions {
  /** Variables for ${...} interpolation, like the shell and .env of `docker compose`. */
  env: model.Env
  /** Default: <repo>/docker-compose.yml. */
  composeFile?: string
  /** Default: the Dockerfile beside the compose file. */
  dockerfile?: string
  /** Host dir holding what the image has in its WORKDIR (/app); default the repo root. */
  appRoot?: string
}

function ip (args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' })
  if (r.error !== undefined) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`)
  return r.stdout
}

/** Throws a clear Error when this machine cannot create network namespaces. */
export function requireNetns (): void {
  const why = 'test/hosts runs each compose service as a host in its own Linux network namespace'
  if (process.platform !== 'linux') throw new Error(`${why}, which needs Linux (this is ${process.platform})`)
  if (process.getuid?.() !== 0) throw new Error(`${why}, which needs root (uid is ${process.getuid?.()}); run the suite as root`)
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' })
  if (r.error !== undefined || r.status !== 0) throw new Error(`${why}, which needs iproute2's \`ip\`: run .ci/hosts-prereqs.sh`)
}

export function listNetns (): string[] {
  return ip(['netns', 'list']).split('\n').map(l => l.split(' ')[0] ?? '').filter(n => n !== '')
}

function pidAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

function killNamespacePids (ns: string): void {
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? ''
  for (const pid of out.split(/\s+/).filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGKILL') } catch {}
  }
}

/** Removes namespaces, /etc/netns dirs and temp dirs of earlier runs of this harness whose process is gone. */
export function sweepStale (): string[] {
  const stale = (name: string): boolean => {
    const pid = Number(STALE.exec(name)?.[1] ?? NaN)
    return Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)
  }
  const removed = listNetns().filter(stale)
  for (const ns of removed) {
    killNamespacePids(ns)
    for (const link of ip(['-n', ns, '-o', 'link', 'show']).split('\n')) {
      const dev = /^\d+:\s+([^:@\s]+)/.exec(link)?.[1]
      if (dev !== undefined && dev !== 'lo') spawnSync('ip', ['-n', ns, 'link', 'del', dev])
    }
    ip(['netns', 'del', ns])
  }
  for (const dir of [NETNS_ETC, tmpdir()]) {
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir).filter(stale)) rmSync(join(dir, entry), { recursive: true, force: true })
  }
  return removed
}

const live = new Set<Hosts>()
let sequence = 0
let handlersInstalled = false

function installExitHandlers (): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', () => { for (const h of live) h.destroySync() })
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      for (const h of live) h.destroySync()
      process.exit(code)
    })
  }
}

/** Builds every host of the compose project (no process started yet: call up() or start()). */
export function createHosts (opts: HostsOptions): Hosts {
  requireNetns()
  sweepStale()
  return new Hosts(opts)
}

export class Hosts {
  readonly prefix: string
  readonly replicas: Replica[] = []
  readonly compose: model.ComposeFile
  readonly image: model.ImageDefaults
  private readonly switchNs: string
  private readonly appRoot: string
  private readonly namespaces: string[] = []
  private readonly tempDirs: string[] = []
  private readonly extra = new Set<HostProcess>()

  constructor (opts: HostsOptions) {
    sequence++
    this.prefix = `${FAMILY}${process.pid}-${sequence}-`
    this.switchNs = `${this.prefix}sw`
    this.appRoot = opts.appRoot ?? REPO_ROOT
    const composeFile = opts.composeFile ?? join(REPO_ROOT, 'docker-compose.yml')
    this.compose = model.readCompose(composeFile, opts.env)
    this.image = model.readImageDefaults(opts.dockerfile ?? join(dirname(composeFile), 'Dockerfile'))
    const specs = model.expandReplicas(this.compose, opts)
    live.add(this)
    installExitHandlers()
    try {
      this.addNamespace(this.switchNs)
      ip(['-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge'])
      ip(['-n', this.switchNs, 'link', 'set', 'br0', 'up'])
      const hosts = model.hostsFile(specs)
      const named = new Map<string, string>()
      specs.forEach((spec, i) => this.addReplica(spec, `v${i}`, hosts, named, dirname(composeFile)))
    } catch (err) {
      this.destroySync()
      throw err
    }
  }

  private addNamespace (ns: string): void {
    ip(['netns', 'add', ns])
    this.namespaces.push(ns)
  }

  private tempDir (label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `${this.prefix}${label}-`))
    this.tempDirs.push(dir)
    return dir
  }

  private addReplica (spec: model.ReplicaSpec, veth: string, hosts: string, named: Map<string, string>, composeDir: string): void {
    const ns = this.prefix + spec.name
    this.addNamespace(ns)
    ip(['-n', this.switchNs, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
    ip(['-n', this.switchNs, 'link', 'set', veth, 'master', 'br0', 'up'])
    ip(['-n', ns, 'addr', 'add', `${spec.ip}/24`, 'dev', 'eth0'])
    ip(['-n', ns, 'link', 'set', 'eth0', 'up'])
    ip(['-n', ns, 'link', 'set', 'lo', 'up'])
    mkdirSync(join(NETNS_ETC, ns), { recursive: true })
    writeFileSync(join(NETNS_ETC, ns, 'hosts'), hosts)
    // No DNS server: names come from hosts only (glibc then tries 127.0.0.1, this host's own loopback).
    writeFileSync(join(NETNS_ETC, ns, 'resolv.conf'), '# test/hosts: no DNS server\n')

    const svc = this.compose.services[spec.service] as model.ComposeService
    const dirs: Record<string, string> = {}
    for (const m of model.serviceMounts(svc)) {
      if (m.kind === 'bind') dirs[m.target] = model.resolveBind(m.source as string, composeDir)
      else if (m.kind === 'anonymous') dirs[m.target] = this.tempDir(`${spec.name}-anon`)
      else {
        // A named volume is one volume for every replica that mounts it, as in Docker.
        if (!named.has(m.source as string)) named.set(m.source as string, this.tempDir(`vol-${m.source}`))
        dirs[m.target] = named.get(m.source as string) as string
      }
    }
    const mounts = [{ target: this.image.workdir, host: this.appRoot }, ...Object.entries(dirs).map(([target, host]) => ({ target, host }))]
    const map = (v: string): string => model.mapPath(v, mounts)
    const argv = model.serviceArgv(svc, this.image).map(map)
    if (argv[0] === 'node') argv[0] = process.execPath
    const env = Object.fromEntries(Object.entries(model.serviceEnv(svc, this.image)).map(([k, v]) => [k, map(v)]))
    env.PATH = `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
    env.HOME ??= this.tempDir(`${spec.name}-home`)
    this.replicas.push(new Replica({
      ...spec,
      ns,
      veth,
      argv,
      env,
      cwd: map(this.image.workdir),
      dirs,
      stopGraceMs: model.parseDuration(svc.stop_grace_period, 10_000)
    }))
  }

  /** A replica by name ("leaf-2"), or a service's first replica ("hub"). */
  replica (name: string): Replica {
    const r = this.replicas.find(r => r.name === name) ?? this.replicas.find(r => r.service === name)
    if (r === undefined) throw new Error(`no replica "${name}" (have ${this.replicas.map(r => r.name).join(', ')})`)
    return r
  }

  of (service: string): Replica[] {
    return this.replicas.filter(r => r.service === service)
  }

  /**
   * Like `docker compose up`: services in depends_on order; a `service_healthy` dependency is
   * polled with its healthcheck command (run inside its host) until that exits 0.
   */
  async up (opts: { except?: string[], healthTimeout?: number } = {}): Promise<void> {
    const healthy = new Set<string>()
    for (const r of this.replicas) {
      if (opts.except?.includes(r.name) === true) continue
      const svc = this.compose.services[r.service] as model.ComposeService
      for (const dep of model.dependencies(svc)) {
        if (dep.condition === 'service_started' || healthy.has(dep.service)) continue
        if (dep.condition !== 'service_healthy') throw new Error(`depends_on condition ${dep.condition} is not supported`)
        for (const d of this.of(dep.service)) await this.waitHealthy(d.name, { timeout: opts.healthTimeout ?? 60_000 })
        healthy.add(dep.service)
      }
      r.start()
    }
  }

  /** Runs the service's (or image's) healthcheck in the replica's host until it exits 0. */
  async waitHealthy (name: string, opts: { timeout: number }): Promise<void> {
    const r = this.replica(name)
    const hc = (this.compose.services[r.service] as model.ComposeService).healthcheck ?? {}
    const test = typeof hc.test === 'string' ? ['CMD-SHELL', hc.test] : hc.test ?? (this.image.healthcheck === undefined ? undefined : ['CMD', ...this.image.healthcheck])
    if (test === undefined || test[0] === 'NONE' || hc.disable === true) throw new Error(`${r.service} has no healthcheck to wait for`)
    const argv = test[0] === 'CMD-SHELL' ? ['sh', '-c', test.slice(1).join(' ')] : test.slice(1)
    const attemptMs = model.parseDuration(hc.timeout, 30_000)
    const pollMs = Math.min(model.parseDuration(hc.interval, 30_000), 500)
    const deadline = Date.now() + opts.timeout
    let last = ''
    while (Date.now() < deadline) {
      if (!r.running) throw new Error(r.proc.describe('exited while waiting to become healthy'))
      const p = this.run(r.name, argv)
      const exit = await p.waitExit(Math.min(attemptMs, Math.max(deadline - Date.now(), 1)))
      this.extra.delete(p)
      if (exit.code === 0) return
      last = p.describe(`healthcheck exit ${exit.code}`)
      await new Promise(resolve => setTimeout(resolve, pollMs))
    }
    throw new Error(`${r.name} not healthy within ${opts.timeout} ms; last attempt: ${last}`)
  }

  /** Runs an ad-hoc command inside a replica's host, with the replica's environment and paths. */
  run (name: string, argv: string[], opts: { env?: Record<string, string> } = {}): HostProcess {
    const r = this.replica(name)
    const mounts = [{ target: this.image.workdir, host: this.appRoot }, ...Object.entries(r.dirs).map(([target, host]) => ({ target, host }))]
    const mapped = argv.map(v => model.mapPath(v, mounts))
    if (mapped[0] === 'node') mapped[0] = process.execPath
    const p = new HostProcess(`${r.name}:${argv.slice(0, 2).join(' ')}`, r.ns, mapped, { env: { ...r.env, ...opts.env }, cwd: this.appRoot })
    this.extra.add(p)
    return p
  }

  /** Cable unplugged: the replica's veth port on the bridge goes down. */
  linkDown (name: string): void { ip(['-n', this.switchNs, 'link', 'set', this.replica(name).veth, 'down']) }
  linkUp (name: string): void { ip(['-n', this.switchNs, 'link', 'set', this.replica(name).veth, 'up']) }

  /** Kills every process (and waits for them), then removes namespaces, links and files. */
  async destroy (): Promise<void> {
    const procs = [...this.replicas.flatMap(r => r.runs), ...this.extra].filter(p => p.running)
    for (const p of procs) p.signal('SIGKILL')
    await Promise.all(procs.map(async p => await p.waitExit(5_000)))
    this.destroySync()
  }

  /** Synchronous cleanup, safe to call twice and from 'exit' and signal handlers. */
  destroySync (): void {
    for (const p of [...this.replicas.flatMap(r => r.runs), ...this.extra]) p.signal('SIGKILL')
    for (const ns of this.namespaces) killNamespacePids(ns)
    if (this.namespaces.includes(this.switchNs)) {
      for (const r of this.replicas) spawnSync('ip', ['-n', this.switchNs, 'link', 'del', r.veth])
      spawnSync('ip', ['-n', this.switchNs, 'link', 'del', 'br0'])
    }
    for (const ns of this.namespaces.splice(0)) {
      spawnSync('ip', ['netns', 'del', ns])
      rmSync(join(NETNS_ETC, ns), { recursive: true, force: true })
    }
    for (const dir of this.tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    live.delete(this)
  }
}
