/**
 * The pure half of the hosts harness: reads docker-compose.yml and the Dockerfile and turns them
 * into per-replica host specs (name, IP, argv, env, mounts). No processes, no namespaces.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'

export type Env = Record<string, string | undefined>

export interface ComposeHealthcheck {
  test?: string[] | string
  interval?: string
  timeout?: string
  retries?: number
  start_period?: string
  disable?: boolean
}

export interface ComposeService {
  command?: string[] | string
  entrypoint?: string[] | string
  environment?: Record<string, string | number | boolean | null> | string[]
  volumes?: Array<string | { type?: string, source?: string, target: string }>
  depends_on?: string[] | Record<string, { condition?: string }>
  healthcheck?: ComposeHealthcheck
  profiles?: string[]
  deploy?: { replicas?: number }
  stop_grace_period?: string
  ports?: Array<string | number | { target: number, published?: number | string }>
  [key: string]: unknown
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
  [key: string]: unknown
}

/** What the image contributes (final stage of the Dockerfile). */
export interface ImageDefaults {
  entrypoint: string[]
  cmd: string[]
  env: Record<string, string>
  workdir: string
  healthcheck?: string[]
}

export interface Mount {
  /** Path inside the container, e.g. "/data". */
  target: string
  kind: 'named' | 'anonymous' | 'bind'
  /** Volume name (named), host path (bind), or undefined (anonymous). */
  source?: string
}

export interface ReplicaSpec {
  service: string
  /** 1-based, as in compose container names. */
  index: number
  /** "<service>-<index>", resolvable from every host. */
  name: string
  ip: string
}

/** Parses YAML (merge keys on, as compose does) and interpolates every string value. */
export function readCompose (file: string, env: Env): ComposeFile {
  const raw = parse(readFileSync(file, 'utf8'), { merge: true }) as unknown
  const doc = mapStrings(raw, s => interpolate(s, env)) as ComposeFile
  if (typeof doc?.services !== 'object') throw new Error(`${file}: no services`)
  return doc
}

function mapStrings (value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value)
  if (Array.isArray(value)) return value.map(v => mapStrings(v, fn))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]))
  }
  return value
}

const VAR = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g

/** Compose variable interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a}. */
export function interpolate (text: string, env: Env): string {
  return text.replace(VAR, (_m, dollar?: string, braced?: string, op?: string, arg = '', bare?: string) => {
    if (dollar !== undefined) return '$'
    const name = (braced ?? bare) as string
    const value = env[name]
    const unset = value === undefined
    const unsetOrEmpty = unset || value === ''
    switch (op) {
      case undefined: return value ?? ''
      case ':-': return unsetOrEmpty ? arg : value as string
      case '-': return unset ? arg : value
      case ':?': if (unsetOrEmpty) throw new Error(`required variable ${name} is missing a value: ${arg}`); return value as string
      case '?': if (unset) throw new Error(`required variable ${name} is missing a value: ${arg}`); return value
      case ':+': return unsetOrEmpty ? '' : arg
      case '+': return unset ? '' : arg
      default: throw new Error(`unsupported interpolation operator ${op}`)
    }
  })
}

/** Reads ENTRYPOINT, CMD, ENV, WORKDIR and HEALTHCHECK CMD of the Dockerfile's final stage. */
export function readImageDefaults (dockerfile: string): ImageDefaults {
  const text = readFileSync(dockerfile, 'utf8').replace(/\\\r?\n/g, ' ')
  const lines = text.split(/\r?\n/).map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  const lastFrom = lines.findLastIndex(l => /^FROM\s/i.test(l))
  const out: ImageDefaults = { entrypoint: [], cmd: [], env: {}, workdir: '/' }
  for (const line of lines.slice(lastFrom + 1)) {
    const [, instr = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? []
    switch (instr.toUpperCase()) {
      case 'ENTRYPOINT': out.entrypoint = jsonArray(rest, line); break
      case 'CMD': out.cmd = jsonArray(rest, line); break
      case 'WORKDIR': out.workdir = rest; break
      case 'ENV':
        for (const [, k = '', q, v] of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) out.env[k] = q ?? v ?? ''
        break
      case 'HEALTHCHECK': {
        const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(rest)
        if (cmd?.[1] !== undefined) out.healthcheck = jsonArray(cmd[1], line)
        break
      }
    }
  }
  return out
}

function jsonArray (text: string, line: string): string[] {
  try {
    const value = JSON.parse(text) as unknown
    if (Array.isArray(value) && value.every(v => typeof v === 'string')) return value
  } catch {}
  throw new Error(`Dockerfile: only the exec (JSON array) form is supported: ${line}`)
}

export interface SelectOptions {
  /** Replicas per service; default deploy.replicas ?? 1. */
  scale?: Record<string, number>
  /** Active profiles (`docker compose --profile`). */
  profiles?: string[]
  /** Like `docker compose up SERVICE...`: these plus their dependencies (profiles then don't matter). */
  services?: string[]
  /** First three octets of the /24 the hosts live in. */
  subnet?: string
}

/** Service names to run, dependencies first. */
export function selectServices (compose: ComposeFile, opts: SelectOptions = {}): string[] {
  const all = Object.keys(compose.services)
  const wanted = opts.services ?? all.filter(name => {
    const profiles = compose.services[name]?.profiles ?? []
    return profiles.length === 0 || profiles.some(p => opts.profiles?.includes(p))
  })
  const order: string[] = []
  const visit = (name: string, path: string[]): void => {
    if (order.includes(name)) return
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' -> ')}`)
    const svc = compose.services[name]
    if (svc === undefined) throw new Error(`no service "${name}" in the compose file`)
    for (const dep of dependencies(svc)) visit(dep.service, [...path, name])
    order.push(name)
  }
  for (const name of wanted) visit(name, [])
  return order
}

export function dependencies (svc: ComposeService): Array<{ service: string, condition: string }> {
  const deps = svc.depends_on ?? []
  if (Array.isArray(deps)) return deps.map(service => ({ service, condition: 'service_started' }))
  return Object.entries(deps).map(([service, d]) => ({ service, condition: d?.condition ?? 'service_started' }))
}

/** services × replicas, each with an IP in opts.subnet (.2 upwards; .1 is left for a gateway). */
export function expandReplicas (compose: ComposeFile, opts: SelectOptions = {}): ReplicaSpec[] {
  const subnet = opts.subnet ?? '10.213.0'
  const out: ReplicaSpec[] = []
  for (const service of selectServices(compose, opts)) {
    const count = opts.scale?.[service] ?? compose.services[service]?.deploy?.replicas ?? 1
    for (let index = 1; index <= count; index++) {
      if (out.length >= 250) throw new Error('at most 250 replicas fit in one /24')
      out.push({ service, index, name: `${service}-${index}`, ip: `${subnet}.${out.length + 2}` })
    }
  }
  return out
}

/** /etc/hosts as compose DNS would answer: replica names, and each service name → its first replica. */
export function hostsFile (replicas: ReplicaSpec[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']
  const services = new Set<string>()
  for (const r of replicas) {
    const names = services.has(r.service) ? [r.name] : [r.service, r.name]
    services.add(r.service)
    lines.push(`${r.ip}\t${names.join(' ')}`)
  }
  return lines.join('\n') + '\n'
}

/** `environment:` (map or list form) of a service, over the image's ENV. */
export function serviceEnv (svc: ComposeService, image: ImageDefaults): Record<string, string> {
  const env: Record<string, string> = { ...image.env }
  const src = svc.environment ?? {}
  const pairs: Array<[string, unknown]> = Array.isArray(src)
    ? src.map(item => { const i = item.indexOf('='); return i < 0 ? [item, undefined] : [item.slice(0, i), item.slice(i + 1)] })
    : Object.entries(src)
  for (const [k, v] of pairs) if (v !== undefined && v !== null) env[k] = String(v)
  return env
}

/** entrypoint + command, as the container would run it, with --json appended if absent. */
export function serviceArgv (svc: ComposeService, image: ImageDefaults): string[] {
  const words = (v: string[] | string | undefined): string[] | undefined =>
    typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v
  const argv = [...(words(svc.entrypoint) ?? image.entrypoint), ...(words(svc.command) ?? image.cmd)]
  return argv.includes('--json') ? argv : [...argv, '--json']
}

/** `volumes:` in short ("name:/data", "/data", "./dir:/data:ro") or long syntax. */
export function serviceMounts (svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map(v => {
    if (typeof v !== 'string') {
      const kind = v.type === 'bind' ? 'bind' : v.source === undefined ? 'anonymous' : 'named'
      return { target: v.target, kind, source: v.source }
    }
    const [a = '', b] = v.split(':')
    if (b === undefined) return { target: a, kind: 'anonymous' }
    const bind = a.startsWith('.') || a.startsWith('/') || a.startsWith('~')
    return { target: b, kind: bind ? 'bind' : 'named', source: a }
  })
}

/** Maps a container path (an argv word or env value) to the host: longest matching target wins. */
export function mapPath (value: string, mounts: Array<{ target: string, host: string }>): string {
  const sorted = [...mounts].sort((x, y) => y.target.length - x.target.length)
  for (const { target, host } of sorted) {
    if (value === target) return host
    if (value.startsWith(target.endsWith('/') ? target : target + '/')) return host + value.slice(target.replace(/\/$/, '').length)
  }
  return value
}

export function resolveBind (source: string, composeDir: string): string {
  return isAbsolute(source) ? source : resolve(composeDir, source)
}

/** Compose durations: "1m30s", "10s", "500ms". */
export function parseDuration (text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 }
  let total = 0
  const rest = text.replace(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g, (_m, n: string, u: string) => { total += Number(n) * (units[u] ?? 0); return '' })
  if (rest.trim() !== '') throw new Error(`bad duration "${text}"`)
  return total
}
