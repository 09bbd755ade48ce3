/**
 * One process started inside a network namespace, with its stdout read as JSON lines.
 * A line that is not JSON becomes { type: 'line', text }.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface HostEvent {
  type: string
  [key: string]: unknown
}

export interface WaitOptions {
  /** Required: every wait is bounded. */
  timeout: number
  /** Only events at or after this index of `events` count (see mark()); default 0. */
  since?: number
  /** Added to the timeout error. */
  message?: string
}

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

interface Waiter { pred: (e: HostEvent) => boolean, resolve: (e: HostEvent) => void, since: number }

export class HostProcess {
  readonly label: string
  readonly child: ChildProcess
  /** Every event this process printed, in order. */
  readonly events: HostEvent[] = []
  readonly exited: Promise<Exit>
  exit?: Exit
  private readonly stderr: string[] = []
  private readonly waiters = new Set<Waiter>()

  constructor (label: string, ns: string, argv: string[], opts: { env: Record<string, string>, cwd: string }) {
    this.label = label
    // `ip netns exec` execs argv[0] after setns, so child.pid is the program itself and
    // signals reach it directly. detached: a Ctrl-C of the test run reaches only the runner,
    // whose handlers then stop these processes.
    this.child = spawn('ip', ['netns', 'exec', ns, ...argv], { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    this.child.stdin?.on('error', () => {})
    createInterface({ input: this.child.stdout! }).on('line', line => this.push(line))
    createInterface({ input: this.child.stderr! }).on('line', line => {
      this.stderr.push(line)
      if (this.stderr.length > 50) this.stderr.shift()
    })
    this.exited = new Promise(resolve => {
      this.child.once('error', err => { this.stderr.push(`spawn error: ${err.message}`); this.finish({ code: -1, signal: null }, resolve) })
      this.child.once('close', (code, signal) => this.finish({ code, signal }, resolve))
    })
  }

  get running (): boolean { return this.exit === undefined }

  private finish (exit: Exit, resolve: (e: Exit) => void): void {
    if (this.exit !== undefined) return
    this.exit = exit
    resolve(exit)
    for (const w of this.waiters) w.resolve(undefined as unknown as HostEvent) // woken; caller re-checks
  }

  private push (line: string): void {
    let event: HostEvent
    try {
      const value = JSON.parse(line) as unknown
      event = typeof value === 'object' && value !== null && typeof (value as HostEvent).type === 'string'
        ? value as HostEvent
        : { type: 'line', text: line }
    } catch {
      event = { type: 'line', text: line }
    }
    this.events.push(event)
    for (const w of this.waiters) if (w.pred(event)) w.resolve(event)
  }

  /** Index to pass as `since`, so that only later events count. */
  mark (): number { return this.events.length }

  find (pred: (e: HostEvent) => boolean, since = 0): HostEvent | undefined {
    return this.events.slice(since).find(pred)
  }

  filter (pred: (e: HostEvent) => boolean, since = 0): HostEvent[] {
    return this.events.slice(since).filter(pred)
  }

  /** Resolves with the first matching event (past or future); rejects on timeout or exit. */
  async waitForEvent (pred: (e: HostEvent) => boolean, opts: WaitOptions): Promise<HostEvent> {
    const since = opts.since ?? 0
    const found = this.find(pred, since)
    if (found !== undefined) return found
    let timer: NodeJS.Timeout | undefined
    let waiter: Waiter | undefined
    try {
      const event = await new Promise<HostEvent | undefined>((resolve) => {
        waiter = { pred, resolve, since }
        this.waiters.add(waiter)
        timer = setTimeout(() => resolve(undefined), opts.timeout)
        if (this.exit !== undefined) resolve(undefined)
      })
      if (event !== undefined) return event
      const late = this.find(pred, since)
      if (late !== undefined) return late
      throw new Error(this.describe(this.exit === undefined
        ? `no matching event within ${opts.timeout} ms`
        : `exited (code ${this.exit.code}, signal ${this.exit.signal}) without a matching event`, opts.message))
    } finally {
      clearTimeout(timer)
      if (waiter !== undefined) this.waiters.delete(waiter)
    }
  }

  /** Types one line on stdin. */
  writeLine (text: string): void {
    if (this.exit !== undefined || this.child.stdin === null) throw new Error(`${this.label}: not running, cannot write "${text}"`)
    this.child.stdin.write(text + '\n')
  }

  signal (sig: NodeJS.Signals): void {
    if (this.exit === undefined && this.child.pid !== undefined) {
      try { process.kill(this.child.pid, sig) } catch {}
    }
  }

  /** Waits for exit; after `timeout` ms sends SIGKILL and waits for that. */
  async waitExit (timeout: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined
    const killed = new Promise<void>(resolve => { timer = setTimeout(resolve, timeout) })
      .then(() => { this.signal('SIGKILL') })
    try {
      await Promise.race([this.exited, killed])
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  describe (what: string, message?: string): string {
    const tail = (a: unknown[]): string => a.slice(-8).map(x => '    ' + (typeof x === 'string' ? x : JSON.stringify(x))).join('\n')
    return `${this.label}: ${what}${message === undefined ? '' : ` (${message})`}\n` +
      `  last events:\n${tail(this.events) || '    (none)'}\n  stderr:\n${tail(this.stderr) || '    (none)'}`
  }
}
