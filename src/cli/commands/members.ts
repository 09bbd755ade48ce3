/** `overlay members [--state S] [--mode M] [--match GLOB] [--json]`: the members a running node knows. */
import { connect, print, runClient } from './connect.ts'
import { UsageError } from '../args.ts'
import type { MemberInfo } from '../../node/create-node.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const STATES = ['alive', 'suspect', 'failed', 'left']

export async function runMembers (values: ParsedArgs['values'], io: Io): Promise<number> {
  if (typeof values.state === 'string' && !STATES.includes(values.state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}`, 'members')
  return await runClient(io, async () => {
    const { client, timeoutMs } = await connect(values, io, 'members')
    const query = new URLSearchParams()
    for (const [flag, param] of [['state', 'state'], ['mode', 'mode'], ['match', 'name']] as const) {
      if (typeof values[flag] === 'string') query.set(param, values[flag])
    }
    const q = query.size === 0 ? '' : `?${query.toString()}`
    const { members } = await client.get<{ members: MemberInfo[] }>(`/v1/members${q}`, AbortSignal.timeout(timeoutMs))
    const width = Math.max(4, ...members.map(m => m.name.length + (m.self ? 6 : 0)))
    const rows = members.map(m => [
      `${m.name}${m.self ? ' (you)' : ''}`.padEnd(width),
      m.state.padEnd(7),
      (m.mode ?? 'peer').padEnd(4),
      (m.rttMs === null ? '-' : `${m.rttMs}ms`).padStart(8),
      m.peerId
    ].join('  '))
    print(io, values.json === true, 'members', { members }, members.length === 0 ? 'no members match' : [`${'NAME'.padEnd(width)}  STATE    MODE       RTT  PEER ID`, ...rows].join('\n'))
    return 0
  })
}
