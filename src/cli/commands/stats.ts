/** `overlay stats [--json]`: a running node's counters (/v1/stats). */
import { connect, print, runClient } from './connect.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function runStats (values: ParsedArgs['values'], io: Io): Promise<number> {
  return await runClient(io, async () => {
    const { client, timeoutMs } = await connect(values, io, 'stats')
    const stats = await client.get<Record<string, number>>('/v1/stats', AbortSignal.timeout(timeoutMs))
    const width = Math.max(...Object.keys(stats).map(k => k.length))
    print(io, values.json === true, 'stats', stats, Object.entries(stats).map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'))
    return 0
  })
}
