/**
 * `overlay ui [--open]`: the web UI address of a running node, with its API token as `?token=`
 * (the API turns it into a cookie and takes it out of the address bar).
 */
import { spawn } from 'node:child_process'
import { ApiError } from '../../api/client.ts'
import { readApiToken } from '../../api/files.ts'
import { API_TOKEN_ENV, connect, print, runClient } from './connect.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export function uiUrl (apiUrl: string, token: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/?token=${encodeURIComponent(token)}`
}

/** The platform's "open this URL" command. */
export function opener (platform: NodeJS.Platform): { cmd: string, args: (url: string) => string[] } {
  if (platform === 'darwin') return { cmd: 'open', args: url => [url] }
  if (platform === 'win32') return { cmd: 'cmd', args: url => ['/c', 'start', '""', url] }
  return { cmd: 'xdg-open', args: url => [url] }
}

export async function runUi (values: ParsedArgs['values'], io: Io): Promise<number> {
  return await runClient(io, async () => {
    const { client, timeoutMs, dataDir } = await connect(values, io, 'ui')
    // The same token connect() chose: the flag, the environment, or the node's api-token file.
    const flag = typeof values['api-token'] === 'string' ? values['api-token'] : undefined
    const env = io.env[API_TOKEN_ENV] === '' ? undefined : io.env[API_TOKEN_ENV]
    const token = flag ?? env ?? (dataDir === undefined ? undefined : await readApiToken(dataDir))
    if (token === undefined) throw new ApiError(0, 'no_token', 'no API token: pass --api-token or --data-dir of the node (its api-token file)')
    // Check the node answers and the token is right before handing out the address.
    const node = await client.get<{ name: string }>('/v1/node', AbortSignal.timeout(timeoutMs))
    const url = uiUrl(client.url, token)
    print(io, values.json === true, 'ui', { url, name: node.name }, `UI: ${url}`)
    if (values.open === true) {
      const { cmd, args } = opener(process.platform)
      const ok = await new Promise<boolean>(resolve => {
        const child = spawn(cmd, args(url), { detached: true, stdio: 'ignore' })
        child.once('error', () => { resolve(false) })
        child.once('spawn', () => { child.unref(); resolve(true) })
      })
      if (!ok) io.stderr.write(`overlay: could not run ${cmd} to open a browser; open the address above yourself\n`)
    }
    return 0
  })
}
