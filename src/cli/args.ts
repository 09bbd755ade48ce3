/**
 * Every command's flags, parsed with node:util parseArgs (strict: unknown flags are errors).
 * The usage text is generated from the same table, so --help cannot drift from the parser.
 */
import { parseArgs as parse } from 'node:util'
import type { PartialConfig } from '../config/load.ts'

export class UsageError extends Error {
  static override readonly name = 'UsageError'
  readonly command: string | undefined
  constructor (message: string, command?: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

interface Flag { type: 'string' | 'boolean', multiple?: boolean, short?: string, arg?: string, help: string }

const CONFIG_FLAGS: Record<string, Flag> = {
  config: { type: 'string', arg: 'FILE', help: 'JSON config file (also OVERLAY_CONFIG)' },
  'data-dir': { type: 'string', arg: 'DIR', help: 'identity, token and lock (default: a per-node dir under ~/.local/share/p2p-overlay)' },
  name: { type: 'string', arg: 'NAME', help: 'member name, 1-64 of [A-Za-z0-9._-] (default: node-<end of peer id>)' },
  token: { type: 'string', arg: 'T', help: 'shared token (default for peers and hubs: generated and kept in the data dir; a leaf needs one)' },
  'token-file': { type: 'string', arg: 'F', help: 'read the token from a file' }
}

export const COMMANDS = {
  start: {
    summary: 'run one node in the foreground',
    positionals: '',
    flags: {
      mode: { type: 'string', arg: 'peer|hub|leaf', help: 'peer (default): equal mesh member; hub: listens on 9000 and relays; leaf: dials hubs only' },
      ...CONFIG_FLAGS,
      listen: { type: 'string', multiple: true, arg: 'MULTIADDR', help: 'listen address, repeatable (default by mode); HOST:PORT works too' },
      bootstrap: { type: 'string', multiple: true, arg: 'MULTIADDR', help: 'peer or hub to dial, repeatable; HOST:PORT works too (a leaf needs one)' },
      encryption: { type: 'string', arg: 'noise|tls', help: 'preferred encrypter when dialling (default noise; both accepted)' },
      json: { type: 'boolean', help: 'one JSON event per line on stdout' }
    }
  },
  id: {
    summary: "print the node's peer id, whether it runs, and its addresses",
    positionals: '',
    flags: {
      ...CONFIG_FLAGS,
      json: { type: 'boolean', help: 'print JSON' },
      create: { type: 'boolean', help: 'create the identity if this data dir has none (otherwise: exit 1)' }
    }
  },
  health: {
    summary: 'check over the protocol that the local node is up (exit 0 or 1)',
    positionals: '',
    flags: {
      ...CONFIG_FLAGS,
      addr: { type: 'string', arg: 'MULTIADDR', help: 'node to check (default: the one running from the data dir)' },
      timeout: { type: 'string', arg: 'MS', help: 'give up after this long (default 5000)' },
      json: { type: 'boolean', help: 'print JSON' }
    }
  },
  demo: {
    summary: 'start N peers on loopback as separate processes and show the mesh working',
    positionals: '',
    flags: {
      nodes: { type: 'string', arg: 'N', help: 'how many nodes, 2-50 (default 5)' },
      json: { type: 'boolean', help: 'print every node\'s events as JSON lines' }
    }
  }
} as const satisfies Record<string, { summary: string, positionals: string, flags: Record<string, Flag> }>

export type CommandName = keyof typeof COMMANDS

export interface ParsedArgs {
  command: CommandName | 'help' | 'version'
  /** The command whose help was asked for, if any. */
  helpFor?: CommandName
  values: Record<string, string | boolean | string[] | undefined>
}

export function parseArgs (argv: string[]): ParsedArgs {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command "${topic}"`)
    return topic === undefined ? { command: 'help', values: {} } : { command: 'help', helpFor: topic, values: {} }
  }
  if (first === '--version' || first === '-v') return { command: 'version', values: {} }
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}"`)
  const flags = COMMANDS[first].flags as Record<string, Flag>
  const options = Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, { type: f.type, multiple: f.multiple ?? false }]))
  let parsed
  try {
    parsed = parse({ args: rest, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify .*$/s, ''), first)
  }
  if (parsed.values.help === true) return { command: 'help', helpFor: first, values: {} }
  return { command: first, values: parsed.values as ParsedArgs['values'] }
}

function isCommand (name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name)
}

/** Maps config flags to the config's highest layer; unset flags stay undefined. */
export function flagsToConfig (v: ParsedArgs['values']): { path?: string, flags: PartialConfig } {
  const str = (k: string): string | undefined => typeof v[k] === 'string' ? v[k] : undefined
  const list = (k: string): string[] | undefined => Array.isArray(v[k]) ? v[k] : undefined
  const flags: PartialConfig = {}
  const set = <K extends keyof PartialConfig>(key: K, value: PartialConfig[K] | undefined): void => { if (value !== undefined) flags[key] = value }
  set('mode', str('mode') as PartialConfig['mode'])
  set('name', str('name'))
  set('listen', list('listen'))
  set('bootstrap', list('bootstrap'))
  set('token', str('token'))
  set('tokenFile', str('token-file'))
  set('dataDir', str('data-dir'))
  set('encryption', str('encryption') as PartialConfig['encryption'])
  const path = str('config')
  return path === undefined ? { flags } : { path, flags }
}

export function usage (command?: CommandName): string {
  if (command === undefined) {
    const width = Math.max(...Object.keys(COMMANDS).map(c => c.length))
    return [
      'usage: overlay <command> [flags]',
      '',
      'commands:',
      ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
      '',
      'Run "overlay <command> --help" for its flags. Flags beat OVERLAY_* environment variables,',
      'which beat the config file, which beats the defaults.'
    ].join('\n')
  }
  const spec = COMMANDS[command]
  const rows = Object.entries(spec.flags as Record<string, Flag>).map(([name, f]) => {
    const left = `--${name}${f.arg === undefined ? '' : ` ${f.arg}`}`
    return [left, f.help + (f.multiple === true ? '' : '')] as const
  })
  const width = Math.max(...rows.map(([l]) => l.length))
  return [
    `usage: overlay ${command} [flags]`,
    '',
    spec.summary,
    '',
    'flags:',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`),
    `  ${'--help'.padEnd(width)}  show this help`
  ].join('\n')
}
