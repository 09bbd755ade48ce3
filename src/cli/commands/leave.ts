/** `overlay leave`: the node leaves the mesh cleanly and stops; exits 0 once its API is gone. */
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError } from '../../api/client.ts'
import { connect, print, runClient } from './connect.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const POLL_MS = 100

export async function runLeave (values: ParsedArgs['values'], io: Io): Promise<number> {
  return await runClient(io, async () => {
    const { client, timeoutMs } = await connect(values, io, 'leave')
    const signal = AbortSignal.timeout(timeoutMs)
    const node = await client.get<{ name: string }>('/v1/node', signal)
    await client.post('/v1/leave', {}, signal)
    // Wait for the node to be gone, so a script can start another one from the same data dir.
    for (let i = 0; i < Math.ceil(timeoutMs / POLL_MS); i++) {
      try {
        await client.get('/healthz', signal)
      } catch (err) {
        if ((err as ApiError).status === 0 || (err as ApiError).status === 503) break
        throw err
      }
      await sleep(POLL_MS, undefined, { signal }).catch(() => {})
      if (signal.aborted) throw new ApiError(0, 'timeout', `${node.name} did not stop within ${timeoutMs} ms`)
    }
    print(io, values.json === true, 'left', { name: node.name }, `${node.name} left`)
    return 0
  })
}
