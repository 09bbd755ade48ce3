/**
 * Waiting on conditions, never on the clock: `waitFor` polls a predicate, `nextEvent` resolves on the
 * first matching node event, `recordEvents` keeps every event for exactly-once assertions.
 */
import type { OverlayEvents, OverlayNode } from '../../src/index.ts'

export interface WaitForOptions {
  /** Give up after this many ms. */
  timeout: number
  /** Poll every this many ms (default 20). */
  interval?: number
  /** Says what was expected; the timeout error starts with it. A function is called at the deadline, to show the state then. */
  message: string | (() => string)
}

/** Polls `predicate` until it returns true (or a promise of true). Rejects after `timeout` ms. */
export async function waitFor (predicate: () => boolean | Promise<boolean>, options: WaitForOptions): Promise<void> {
  const { timeout, interval = 20, message } = options
  const deadline = Date.now() + timeout
  let lastError: unknown
  while (true) {
    try {
      if (await predicate()) return
      lastError = undefined
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`
      throw new Error(`${typeof message === 'string' ? message : message()}: not true within ${timeout} ms${why}`)
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}

/** Whether `predicate` came true within `timeout` ms: for a wait whose failure is a finding, not an exception. */
export async function cameTrue (predicate: () => boolean | Promise<boolean>, options: Omit<WaitForOptions, 'message'>): Promise<boolean> {
  try {
    await waitFor(predicate, { interval: 200, ...options, message: 'condition' })
    return true
  } catch {
    return false
  }
}

type EventDetail<K extends keyof OverlayEvents> = OverlayEvents[K]

/**
 * Resolves with the detail of the next `type` event from `node` that satisfies `predicate`.
 * Subscribes synchronously, so call it before the action that causes the event.
 */
export async function nextEvent<K extends keyof OverlayEvents> (
  node: OverlayNode,
  type: K,
  predicate: (detail: EventDetail<K>) => boolean = () => true,
  options: { timeout: number, message?: string } = { timeout: 10_000 }
): Promise<EventDetail<K>> {
  return await new Promise((resolve, reject) => {
    const listener = (evt: CustomEvent<EventDetail<K>>): void => {
      if (!predicate(evt.detail)) return
      done()
      resolve(evt.detail)
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${options.message ?? `no matching "${type}" event from ${node.name}`} within ${options.timeout} ms`))
    }, options.timeout)
    const done = (): void => {
      clearTimeout(timer)
      node.removeEventListener(type, listener as never)
    }
    node.addEventListener(type, listener as never)
  })
}

export type RecordedEvent = { [K in keyof OverlayEvents]: { type: K } & OverlayEvents[K] }[keyof OverlayEvents]

const ALL_TYPES: Array<keyof OverlayEvents> = ['listening', 'session', 'joined', 'left', 'suspect', 'failed', 'alive', 'message', 'rejected', 'error', 'bootstrap']

export interface EventLog {
  readonly events: RecordedEvent[]
  /** The recorded events of one type, in order. */
  of: <K extends keyof OverlayEvents>(type: K, predicate?: (detail: OverlayEvents[K]) => boolean) => Array<OverlayEvents[K]>
  /** Stops recording. */
  stop: () => void
}

/** Records every event `node` emits from now on (start recording before `node.start()` to see it all). */
export function recordEvents (node: OverlayNode, types: Array<keyof OverlayEvents> = ALL_TYPES): EventLog {
  const events: RecordedEvent[] = []
  const listeners = types.map(type => {
    const listener = (evt: CustomEvent): void => { events.push({ type, ...evt.detail }) }
    node.addEventListener(type, listener as never)
    return [type, listener] as const
  })
  return {
    events,
    of: (type, predicate = () => true) => events.filter(e => e.type === type).map(e => {
      const { type: _t, ...detail } = e
      return detail as never
    }).filter(predicate),
    stop: () => { for (const [type, listener] of listeners) node.removeEventListener(type, listener as never) }
  }
}
