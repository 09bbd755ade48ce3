/**
 * Dials bootstrap peers with retries and re-dials them when a session drops.
 * - First connection: the original design's 5 tries, 1 s apart (`retry.attempts`, `retry.intervalMs`).
 * - Peers and hubs keep every bootstrap address up: after a failed round, one try per back-off step.
 * - A leaf holds one hub at a time. Once joined, a lost hub is retried like a NATS client does:
 *   fail over across the list, then back off with jitter up to `retry.maxIntervalMs`, for
 *   `retry.reconnectAttempts` rounds (0 = forever).
 * - A refusal (wrong token, name taken, banned) is final: retrying cannot change the answer.
 */
import { lookup } from 'node:dns/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { BootstrapFailedError, SessionRejectedError } from '../errors.ts'
import { describeDialError } from './dial-errors.ts'
import type { OverlayEvent } from '../events.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Refusals that no retry can change: the node stops with a distinct exit code. */
export const FINAL_REFUSALS: readonly string[] = ['bad_token', 'name_taken', 'banned']

export interface BootstrapInit {
  addrs: string[]
  oneUpstream: boolean
  retry: OverlayConfig['retry']
  dialMs: number
  /** Opens a session and resolves with the remote peer id once it is open. */
  open: (ma: Multiaddr, signal: AbortSignal) => Promise<string>
  /** Resolves when this node no longer holds a session with the peer. */
  waitClosed: (peerId: string, signal: AbortSignal) => Promise<void>
  emit: (event: OverlayEvent) => void
  /** The node cannot work: no hub reached, or a final refusal (`code` is the refusal's). */
  fatal: (err: Error & { code?: string }) => void
  signal: AbortSignal
  /** For tests: the random source of the jitter. */
  random?: () => number
}

/** Resolves /dns4, /dns6 and /dns names with the OS resolver, so /etc/hosts (and compose DNS) apply. */
async function resolveAddr (addr: string): Promise<Multiaddr> {
  const ma = multiaddr(addr)
  const [first, ...rest] = ma.getComponents()
  if (first === undefined || !['dns4', 'dns6', 'dns'].includes(first.name)) return ma
  const family = first.name === 'dns4' ? 4 : first.name === 'dns6' ? 6 : 0
  const { address, family: got } = await lookup(first.value ?? '', { family })
  return multiaddr(`/ip${got}/${address}${rest.map(c => `/${c.name}${c.value === undefined ? '' : `/${c.value}`}`).join('')}`)
}

export function runBootstrap (init: BootstrapInit): void {
  if (init.addrs.length === 0) return
  const run = init.oneUpstream ? upstreamLoop(init) : Promise.all(init.addrs.map(async addr => { await keepUp(init, addr) }))
  run.catch(err => {
    if (!init.signal.aborted) init.fatal(err as Error)
  })
}

/** The delay before back-off step `step` (1-based): doubling from intervalMs, capped, plus jitter. */
export function backoffDelay (retry: OverlayConfig['retry'], step: number, random: () => number = Math.random): number {
  const base = Math.min(retry.intervalMs * 2 ** Math.min(step - 1, 30), retry.maxIntervalMs)
  return Math.round(base + random() * retry.jitterMs)
}

/** One dial. Resolves with the peer id, or undefined (with the reason) when it failed and may be retried. */
async function attempt (init: BootstrapInit, addr: string, n: number): Promise<{ peerId?: string, error?: string }> {
  try {
    const signal = AbortSignal.any([init.signal, AbortSignal.timeout(init.dialMs)])
    const peerId = await init.open(await resolveAddr(addr), signal)
    init.emit({ type: 'bootstrap', addr, attempt: n, ok: true })
    return { peerId }
  } catch (err) {
    if (init.signal.aborted) throw err
    const e = err as SessionRejectedError
    if (e.name === SessionRejectedError.name && FINAL_REFUSALS.includes(e.code)) throw refusal(init.oneUpstream ? 'hub' : 'peer', addr, e)
    const error = describeDialError(err, init.dialMs)
    init.emit({ type: 'bootstrap', addr, attempt: n, ok: false, error })
    return { error }
  }
}

/** The one line a user reads when a hub or peer refuses this node for good. */
function refusal (who: string, addr: string, e: SessionRejectedError): Error & { code: string } {
  const seconds = /refused for (\d+) s/.exec(e.message)?.[1]
  const message = e.code === 'bad_token'
    ? `${who} at ${addr} refused the token; it refuses this peer for ${seconds ?? 'a while'}${seconds === undefined ? '' : ' s'}: start again with its token after that`
    : e.code === 'banned'
      ? `${who} at ${addr} refuses this peer for ${seconds ?? 'a while'}${seconds === undefined ? '' : ' s'} more, after a wrong token from it: start again with its token after that`
      : `${who} at ${addr} refused the name: ${nameOf(e.message)}is taken in the mesh; start again with another --name`
  return Object.assign(new Error(message), { code: e.code })
}

function nameOf (message: string): string {
  const name = /name "([^"]+)"/.exec(message)?.[1]
  return name === undefined ? 'it ' : `"${name}" `
}

/** Peer and hub: keep one address up forever. A failed first round says so once; then one line per back-off step. */
async function keepUp (init: BootstrapInit, addr: string): Promise<void> {
  let step = 0
  let last: string | undefined
  while (!init.signal.aborted) {
    const tries = step === 0 ? init.retry.attempts : 1
    for (let n = 1; n <= tries; n++) {
      // Attempts count on across back-off steps (attempts + step), so only a round's first is 1.
      const got = await attempt(init, addr, step === 0 ? n : init.retry.attempts + step)
      if (got.peerId !== undefined) {
        step = 0
        await init.waitClosed(got.peerId, init.signal)
        n = 0
        continue
      }
      last = got.error
      if (n < tries) await sleep(init.retry.intervalMs, undefined, { signal: init.signal })
    }
    step++
    const delay = backoffDelay(init.retry, step, init.random)
    const what = step === 1 ? `no answer after ${init.retry.attempts} attempts` : 'still no answer'
    init.emit({ type: 'error', code: 'bootstrap_unreachable', message: `${addr}: ${what} (${last ?? 'unknown'}); retrying in ${seconds(delay)}` })
    await sleep(delay, undefined, { signal: init.signal })
  }
}

/** Leaf: one hub at a time. Until the first join, `retry.attempts` rounds; after it, reconnect with back-off. */
async function upstreamLoop (init: BootstrapInit): Promise<void> {
  let next = 0
  let joined = false
  let round = 1
  let lostAt = 0
  while (!init.signal.aborted) {
    let reached: { addr: string, peerId: string } | undefined
    let last: string | undefined
    for (let i = 0; i < init.addrs.length && reached === undefined; i++) {
      const index = (next + i) % init.addrs.length
      const addr = init.addrs[index] as string
      const got = await attempt(init, addr, round)
      if (got.peerId !== undefined) {
        reached = { addr, peerId: got.peerId }
        next = (index + 1) % init.addrs.length
      } else {
        last = got.error
      }
    }
    if (reached !== undefined) {
      if (joined) init.emit({ type: 'reconnected', addr: reached.addr, peerId: reached.peerId, attempts: round, downMs: Date.now() - lostAt })
      joined = true
      round = 1
      await init.waitClosed(reached.peerId, init.signal)
      lostAt = Date.now()
      continue // fail over at once: the next address first
    }
    if (!joined) {
      if (round >= init.retry.attempts) {
        throw new BootstrapFailedError(`no hub answered after ${init.retry.attempts} attempts (${last ?? 'unknown'}): ${init.addrs.join(', ')}`)
      }
      round++
      await sleep(init.retry.intervalMs, undefined, { signal: init.signal })
      continue
    }
    if (init.retry.reconnectAttempts > 0 && round >= init.retry.reconnectAttempts) {
      throw new BootstrapFailedError(`lost the hub and reached none of ${init.addrs.join(', ')} in ${round} rounds (${last ?? 'unknown'})`)
    }
    const delay = backoffDelay(init.retry, round, init.random)
    init.emit({ type: 'reconnecting', attempt: round, delayMs: delay, ...(last === undefined ? {} : { error: last }) })
    round++
    await sleep(delay, undefined, { signal: init.signal })
  }
}

function seconds (ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}
