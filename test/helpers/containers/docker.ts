/**
 * Real-container harness: the Docker CLI, the project's image, and each container's log read as
 * overlay events. Needs a running engine (as root, .ci/containers-prereqs.sh sets one up); without one
 * every suite fails loudly in its `before`, it never skips.
 *
 * Names this harness makes start with `ovc<pid>` (compose projects, stacks, swarm secrets), so it
 * never touches what it did not create.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../wait-for.ts'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
/** The image the suites build from this checkout (one tag, rebuilt each run from the layer cache). */
export const IMAGE = 'p2p-overlay:test'
/** Made by .ci/containers-prereqs.sh where no registry is reachable; else the Dockerfile's default. */
export const BASE_IMAGE = process.env.OVERLAY_BASE_IMAGE ?? 'p2p-overlay-base:local'
/** The token the containers share (the example file's value is fine: the networks are the test's own). */
export const TOKEN = 'containers-suite-token'
let seq = 0
export const uniqueName = (what: string): string => `ovc${process.pid}${what}${++seq}`

export interface RunResult { code: number, stdout: string, stderr: string }

/** Runs a command; rejects on a non-zero exit unless `check` is false. Bounded by `timeout`. */
export async function run (cmd: string, args: string[], opts: { timeout?: number, check?: boolean, env?: NodeJS.ProcessEnv, cwd?: string } = {}): Promise<RunResult> {
  const { timeout = 60_000, check = true } = opts
  return await new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 << 20, env: opts.env ?? process.env, cwd: opts.cwd ?? REPO_ROOT, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      const result = { code, stdout: String(stdout), stderr: String(stderr) }
      if (check && code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}${err?.killed === true ? ' (timed out)' : ''}: ${String(stderr).trim().slice(-2000)}`))
      else resolve(result)
    })
  })
}

export const docker = async (args: string[], opts?: Parameters<typeof run>[2]): Promise<RunResult> => await run('docker', args, opts)

/** Fails loudly when no engine answers: the container suites must not pass by doing nothing. */
export async function requireDocker (): Promise<void> {
  const r = await docker(['info', '--format', '{{.ServerVersion}}'], { check: false, timeout: 20_000 })
  if (r.code !== 0 || r.stdout.trim() === '') {
    throw new Error(`no usable Docker engine (docker info: ${r.stderr.trim() || 'no answer'}). ` +
      'The container suites need root and a running dockerd: run `bash .ci/containers-prereqs.sh` first.')
  }
}

/** Builds the project's image from this checkout with the classic builder (BuildKit is not used here). */
export async function buildImage (): Promise<string> {
  await requireDocker()
  const before = await docker(['image', 'inspect', '-f', '{{.Id}}', IMAGE], { check: false })
  const base = await docker(['image', 'inspect', '-f', '{{.Id}}', BASE_IMAGE], { check: false })
  if (base.code !== 0) throw new Error(`base image ${BASE_IMAGE} is missing: run \`bash .ci/containers-prereqs.sh\` (or set OVERLAY_BASE_IMAGE=node:22-slim where a registry is reachable)`)
  await docker(['build', '-q', '--build-arg', `BASE=${BASE_IMAGE}`, '-t', IMAGE, '.'], { timeout: 300_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } })
  const id = (await docker(['image', 'inspect', '-f', '{{.Id}}', IMAGE])).stdout.trim()
  // The previous build of this tag, now untagged: ours to remove (its layers stay as build cache).
  if (before.code === 0 && before.stdout.trim() !== id) await docker(['image', 'rm', before.stdout.trim()], { check: false })
  return id
}

export const imageSize = async (ref: string): Promise<number> => Number((await docker(['image', 'inspect', '-f', '{{.Size}}', ref])).stdout.trim())

/** One overlay event, parsed from the CLI's human output (src/cli/output.ts). */
export type LogEvent =
  | { type: 'listening', name: string, mode: string, peerId: string }
  | { type: 'joined', name: string, again: boolean }
  | { type: 'left' | 'failed' | 'suspect' | 'alive', name: string, reason: string }
  | { type: 'message', from: string, text: string }
  | { type: 'rejected', peerId: string, code: string }
  | { type: 'error', code: string, message: string }
  | { type: 'reconnected', addr: string }

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => LogEvent]> = [
  [/^listening as (\S+) \((\w+)\), peer id (\S+)$/, m => ({ type: 'listening', name: m[1] ?? '', mode: m[2] ?? '', peerId: m[3] ?? '' })],
  [/^\* (\S+) joined( again)?$/, m => ({ type: 'joined', name: m[1] ?? '', again: m[2] !== undefined })],
  [/^\* (\S+) left \((\w+)\)$/, m => ({ type: 'left', name: m[1] ?? '', reason: m[2] ?? '' })],
  [/^\* (\S+) failed \((\w+)\)$/, m => ({ type: 'failed', name: m[1] ?? '', reason: m[2] ?? '' })],
  [/^\* (\S+) is suspect \((\w+)\)$/, m => ({ type: 'suspect', name: m[1] ?? '', reason: m[2] ?? '' })],
  [/^\* (\S+) is alive again \((\w+)\)$/, m => ({ type: 'alive', name: m[1] ?? '', reason: m[2] ?? '' })],
  [/^! refused (\S+): (\w+) /, m => ({ type: 'rejected', peerId: m[1] ?? '', code: m[2] ?? '' })],
  [/^! (\w+): (.*)$/, m => ({ type: 'error', code: m[1] ?? '', message: m[2] ?? '' })],
  [/^\* reconnected to (\S+) after /, m => ({ type: 'reconnected', addr: m[1] ?? '' })],
  [/^<(\S+)> (.*)$/, m => ({ type: 'message', from: m[1] ?? '', text: m[2] ?? '' })]
]

export function parseLine (line: string): LogEvent | undefined {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(line)
    if (m !== null) return make(m)
  }
  return undefined
}

/**
 * A container's stdout as overlay events, across restarts: `docker logs -f` streams the whole log
 * and is started again (from the beginning) whenever it ends, e.g. when the container stops.
 * Indexes into `events` (marks) stay valid because a container's log only grows.
 */
export class ContainerLog {
  readonly container: string
  events: LogEvent[] = []
  private buf = ''
  private child: ChildProcess | undefined
  private closed = false
  private pending: LogEvent[] = []

  constructor (container: string) {
    this.container = container
    this.follow()
  }

  private follow (): void {
    if (this.closed) return
    this.pending = []
    this.buf = ''
    const child = spawn('docker', ['logs', '-f', this.container], { stdio: ['ignore', 'pipe', 'ignore'] })
    this.child = child
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buf += chunk
      let nl
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const ev = parseLine(this.buf.slice(0, nl))
        this.buf = this.buf.slice(nl + 1)
        if (ev !== undefined) this.pending.push(ev)
        // A fresh follower re-reads the log from its start: publish only what goes past what we had.
        if (this.pending.length > this.events.length) this.events = [...this.pending]
      }
    })
    child.on('close', () => {
      if (this.child === child && !this.closed) setTimeout(() => { this.follow() }, 300).unref()
    })
  }

  mark (): number { return this.events.length }
  since (mark = 0): LogEvent[] { return this.events.slice(mark) }
  find (pred: (e: LogEvent) => boolean, mark = 0): LogEvent | undefined { return this.since(mark).find(pred) }
  count (pred: (e: LogEvent) => boolean, mark = 0): number { return this.since(mark).filter(pred).length }

  async waitFor (pred: (e: LogEvent) => boolean, opts: { since?: number, timeout: number, message: string }): Promise<LogEvent> {
    let hit: LogEvent | undefined
    await waitFor(() => (hit = this.find(pred, opts.since)) !== undefined, { timeout: opts.timeout, interval: 100, message: `${this.container}: ${opts.message}` })
    return hit as LogEvent
  }

  /** The members this node currently lists as present (joined or alive, not since failed or left). */
  present (): Set<string> {
    const s = new Set<string>()
    for (const e of this.events) {
      if (e.type === 'joined' || e.type === 'alive') s.add(e.name)
      else if (e.type === 'left' || e.type === 'failed') s.delete(e.name)
    }
    return s
  }

  /** The latest `listening` line: this container's current name and peer ID. */
  self (): Extract<LogEvent, { type: 'listening' }> | undefined {
    return this.events.findLast((e): e is Extract<LogEvent, { type: 'listening' }> => e.type === 'listening')
  }

  close (): void {
    this.closed = true
    this.child?.kill('SIGKILL')
  }
}

/** Types one line into a container's node: the services keep stdin open (`stdin_open`), and PID 1 reads it. */
export async function typeLine (container: string, line: string): Promise<void> {
  await docker(['exec', container, 'sh', '-c', 'printf "%s\\n" "$1" > /proc/1/fd/0', 'type-line', line], { timeout: 20_000 })
}

export async function health (container: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', container], { check: false })).stdout.trim()
}
