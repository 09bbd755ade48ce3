/** `overlay send TEXT` broadcasts; `overlay send --to NAME TEXT` exits 0 once NAME acknowledged. */
import { connect, print, runClient } from './connect.ts'
import { UsageError } from '../args.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function runSend (values: ParsedArgs['values'], positionals: string[], io: Io): Promise<number> {
  const text = positionals.join(' ')
  if (text === '') throw new UsageError('missing TEXT', 'send')
  if (/[\r\n]/.test(text)) throw new UsageError('TEXT must be one line', 'send')
  return await runClient(io, async () => {
    const { client, timeoutMs } = await connect(values, io, 'send')
    const to = typeof values.to === 'string' ? values.to : undefined
    if (to === undefined) {
      const { id } = await client.post<{ id: string }>('/v1/messages', { text }, AbortSignal.timeout(timeoutMs))
      print(io, values.json === true, 'sent', { id }, `sent ${id}`)
    } else {
      const { id } = await client.post<{ id: string }>('/v1/messages', { text, to }, AbortSignal.timeout(timeoutMs))
      print(io, values.json === true, 'delivered', { id, to }, `delivered to ${to}`)
    }
    return 0
  })
}
