/** The pairwise workers' commands (listen, expect, send, rtt, dial), run the same way for every variant's ends. */
import { nowNs, runWorker, timeLoop, usSince } from './worker.ts'
import type { Msg } from './proc.ts'

export interface PairEnds {
  listen: (msg: Msg) => Promise<Record<string, unknown>>
  expect: (msg: Msg) => void
  send: (msg: Msg) => Promise<Record<string, unknown>>
  /** An open stream (session): `roundTrip(arg)` is timed as is (no wrapper in the timed region); `close` adds to the reply. */
  echo: (msg: Msg) => Promise<{ roundTrip: (arg: any) => Promise<unknown>, arg: unknown, close: () => Promise<Record<string, unknown> | undefined> }>
  /** `once` dials, does one round trip and hangs up: [µs to done, µs to connected]; `done` adds to the reply. */
  dialer: (msg: Msg) => Promise<{ once: () => Promise<number[]>, done: () => Promise<Record<string, unknown>> }>
}

export function runPairWorker (ends: PairEnds): void {
  runWorker(async (msg, reply) => {
    switch (msg.type) {
      case 'listen': return reply({ type: 'listening', ...await ends.listen(msg) })
      case 'expect': ends.expect(msg); return reply({ type: 'expecting' })
      case 'send': return reply({ type: 'sent', ...await ends.send(msg) })
      case 'rtt': {
        const { roundTrip, arg, close } = await ends.echo(msg)
        const { summaries, warmup } = await timeLoop(async () => { const t0 = nowNs(); await roundTrip(arg); return [usSince(t0)] }, msg, 200_000)
        return reply({ type: 'rtt', us: summaries[0], warmup, ...await close() })
      }
      case 'dial': {
        const { once, done } = await ends.dialer(msg)
        const { summaries, warmup } = await timeLoop(once, msg, 2000)
        return reply({ type: 'dial', totalUs: summaries[0], connectUs: summaries[1], warmup, ...await done() })
      }
      default: throw new Error(`unknown command ${msg.type}`)
    }
  })
}
