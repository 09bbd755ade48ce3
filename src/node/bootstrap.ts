/**
 * Dials bootstrap peers with retries (the original design: 5 tries, 1 s apart) and re-dials them
 * when a session drops. Peers and hubs keep every bootstrap address up, backing off after a failed
 * round; a leaf holds one hub at a time, fails over to the next, and gives up after a failed round.
 */
import { lookup } from 'node:dns/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { BootstrapFailedError } from '../errors.ts'
import type { OverlayEvent } from '../mesh/events.ts'
import type { OverlayConfig } from '../config/defaults.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

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
  /** The leaf reached no hub: the node cannot work. */
  fatal: (err: Error) => void
  signal: AbortSignal
}

/** Resolves /dns4, /dns6 and /dns names with the OS resolver, so /etc/hosts (and compose DNS) apply. */
export async function resolveAddr (addr: string): Promise<Multiaddr> {
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

async function attempt (init: BootstrapInit, addr: string, n: number): Promise<string | undefined> {
  try {
    const signal = AbortSignal.any([init.signal, AbortSignal.timeout(init.dialMs)])
    const peerId = await init.open(await resolveAddr(addr), signal)
    init.emit({ type: 'bootstrap', addr, attempt: n, ok: true })
    return peerId
  } catch (err) {
    if (init.signal.aborted) throw err
    init.emit({ type: 'bootstrap', addr, attempt: n, ok: false, error: describe(err) })
    return undefined
  }
}

/** Peer and hub: keep one address up forever, backing off between failed rounds. */
async function keepUp (init: BootstrapInit, addr: string): Promise<void> {
  let pause = init.retry.intervalMs
  while (!init.signal.aborted) {
    for (let n = 1; n <= init.retry.attempts; n++) {
      const peerId = await attempt(init, addr, n)
      if (peerId !== undefined) {
        pause = init.retry.intervalMs
        await init.waitClosed(peerId, init.signal)
        n = 0
        continue
      }
      if (n < init.retry.attempts) await sleep(init.retry.intervalMs, undefined, { signal: init.signal })
    }
    init.emit({ type: 'error', code: 'bootstrap_unreachable', message: `${addr}: no answer after ${init.retry.attempts} attempts; retrying in ${pause} ms` })
    await sleep(pause, undefined, { signal: init.signal })
    pause = Math.min(pause * 2, init.retry.maxIntervalMs)
  }
}

/** Leaf: one hub at a time; on loss, fail over to the next; a whole failed round is fatal. */
async function upstreamLoop (init: BootstrapInit): Promise<void> {
  let next = 0
  let round = 1
  while (!init.signal.aborted) {
    let reached: string | undefined
    for (let i = 0; i < init.addrs.length && reached === undefined; i++) {
      const index = (next + i) % init.addrs.length
      reached = await attempt(init, init.addrs[index] as string, round)
      if (reached !== undefined) next = (index + 1) % init.addrs.length
    }
    if (reached !== undefined) {
      round = 1
      await init.waitClosed(reached, init.signal)
      continue
    }
    if (round >= init.retry.attempts) {
      throw new BootstrapFailedError(`no hub answered after ${init.retry.attempts} attempts: ${init.addrs.join(', ')}`)
    }
    round++
    await sleep(init.retry.intervalMs, undefined, { signal: init.signal })
  }
}

function describe (err: unknown): string {
  const e = err as Error & { code?: string }
  return e.code !== undefined && e.name === 'SessionRejectedError' ? `refused: ${e.code}` : `${e.name}: ${e.message}`
}
