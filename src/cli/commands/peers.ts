/** `overlay peers [--json]`: a running node's sessions. */
import { connect, print, runClient } from './connect.ts'
import type { SessionInfo } from '../../node/create-node.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function runPeers (values: ParsedArgs['values'], io: Io): Promise<number> {
  return await runClient(io, async () => {
    const { client, timeoutMs } = await connect(values, io, 'peers')
    const { sessions } = await client.get<{ sessions: SessionInfo[] }>('/v1/sessions', AbortSignal.timeout(timeoutMs))
    const human = sessions.length === 0
      ? 'no sessions'
      : sessions.map(s => `  ${s.name}  ${s.mode}  ${s.wire}  ${s.encryption}  ${s.remoteAddr}  ${s.peerId}`).join('\n')
    print(io, values.json === true, 'peers', { sessions }, human)
    return 0
  })
}
