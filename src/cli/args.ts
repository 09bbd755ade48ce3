/**
 * Every command's flags, parsed with node:util parseArgs (strict: unknown flags are errors).
 * The usage text is generated from the same table, so --help cannot drift from the parser.
 */
import { parseArgs as parse } from 'node:util'
import type { PartialConfig } from '../config/load.ts'

export class UsageError extends Error {
  static override readonly name = 'UsageError'
  /** The command whose usage to show with the message, if one was named. */
  readonly command: CommandName | undefined
  constructor (message: string, command?: CommandName) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

interface Flag { type: 'string' | 'boolean', multiple?: boolean, arg?: string, help: string }

const CONFIG_FLAGS: Record<string, Flag> = {
  config: { type: 'string', arg: 'FILE', help: 'JSON config file (also OVERLAY_CONFIG)' },
  'data-dir': { type: 'string', arg: 'DIR', help: 'identity, token and lock (default: a per-node dir under ~/.local/share/p2p-overlay)' },
  name: { type: 'string', arg: 'NAME', help: 'member name, 1-64 of [A-Za-z0-9._-] (default: node-<end of peer id>)' },
  token: { type: 'string', arg: 'T', help: 'shared token (default for peers and hubs: generated and kept in the data dir; a leaf needs one)' },
  'token-file': { type: 'string', arg: 'F', help: 'read the token from a file' }
}

/** How the verbs that talk to a running node find it: its data dir (api.json, api-token) or --api. */
const CLIENT_FLAGS: Record<string, Flag> = {
  'data-dir': CONFIG_FLAGS['data-dir'] as Flag,
  name: { type: 'string', arg: 'NAME', help: 'the running node\'s name (finds its data dir)' },
  config: CONFIG_FLAGS.config as Flag,
  api: { type: 'string', arg: 'URL', help: 'the node\'s control API, e.g. http://127.0.0.1:8080 (default: from the data dir\'s api.json)' },
  'api-token': { type: 'string', arg: 'T', help: 'API token (default: the data dir\'s api-token file; also OVERLAY_API_TOKEN)' },
  timeout: { type: 'string', arg: 'MS', help: 'give up after this long (default 10000)' }
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
      json: { type: 'boolean', help: 'one JSON event per line on stdout' },
      api: { type: 'string', arg: 'HOST:PORT|off', help: 'control API address (default 127.0.0.1 on a free port); off disables it' }
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
    summary: 'check that the local node is ready: its API\'s /readyz; over the protocol with --addr, --token or without an API (exit 0 or 1)',
    positionals: '',
    flags: {
      ...CONFIG_FLAGS,
      addr: { type: 'string', arg: 'MULTIADDR', help: 'node to check over the protocol (default: the one running from the data dir)' },
      api: { type: 'string', arg: 'URL', help: 'check this control API\'s /readyz (default: the data dir\'s api.json, when the node runs one)' },
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
  },
  members: {
    summary: 'list the members a running node knows',
    positionals: '',
    flags: {
      state: { type: 'string', arg: 'STATE', help: 'only members in this state: alive, suspect, failed or left' },
      mode: { type: 'string', arg: 'MODE', help: 'only members of this mode: peer, hub or leaf' },
      match: { type: 'string', arg: 'GLOB', help: 'only members whose name matches, e.g. "leaf-*"' },
      ...CLIENT_FLAGS,
      json: { type: 'boolean', help: 'print JSON' }
    }
  },
  peers: {
    summary: 'list a running node\'s sessions (its direct neighbours)',
    positionals: '',
    flags: { ...CLIENT_FLAGS, json: { type: 'boolean', help: 'print JSON' } }
  },
  send: {
    summary: 'broadcast TEXT from a running node, or send it to one member with --to (exit 0 once acknowledged)',
    positionals: 'TEXT',
    flags: {
      to: { type: 'string', arg: 'NAME', help: 'send to this member only and wait for its acknowledgement' },
      ...CLIENT_FLAGS,
      json: { type: 'boolean', help: 'print JSON' }
    }
  },
  events: {
    summary: 'follow a running node\'s events until interrupted (like serf monitor)',
    positionals: '',
    flags: {
      ...CLIENT_FLAGS,
      json: { type: 'boolean', help: 'one JSON event per line, exactly as `start --json` prints them' },
      since: { type: 'string', arg: 'ID', help: 'first replay the kept events after this event id (0 = all kept)' },
      'full-text': { type: 'boolean', help: 'message texts whole (by default those over api.eventTextChars come cut)' }
    }
  },
  stats: {
    summary: 'print a running node\'s counters',
    positionals: '',
    flags: { ...CLIENT_FLAGS, json: { type: 'boolean', help: 'print JSON' } }
  },
  leave: {
    summary: 'make a running node leave the mesh cleanly and stop',
    positionals: '',
    flags: { ...CLIENT_FLAGS, json: { type: 'boolean', help: 'print JSON' } }
  },
  ui: {
    summary: 'print (or open) the web UI address of a running node',
    positionals: '',
    flags: {
      ...CLIENT_FLAGS,
      open: { type: 'boolean', help: 'also open it in the default browser' },
      json: { type: 'boolean', help: 'print JSON' }
    }
  }
} as const satisfies Record<string, { summary: string, positionals: string, flags: Record<string, Flag> }>

export type CommandName = keyof typeof COMMANDS

export interface ParsedArgs {
  command: CommandName | 'help' | 'version'
  /** The command whose help was asked for, if any. */
  helpFor?: CommandName
  values: Record<string, string | boolean | string[] | undefined>
  /** Positional arguments, for commands that take them (send TEXT). */
  positionals?: string[]
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
  const positionals: string = COMMANDS[first].positionals
  const options = Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, { type: f.type, multiple: f.multiple ?? false }]))
  let parsed
  try {
    parsed = parse({ args: rest, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals !== '' })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify .*$/s, ''), first)
  }
  if (parsed.values.help === true) return { command: 'help', helpFor: first, values: {} }
  if (positionals !== '') {
    return { command: first, values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals }
  }
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
  // `start --api HOST:PORT|off`; the client verbs' `--api URL` is not config (they drop it first).
  const api = str('api')
  if (api !== undefined) flags.api = { listen: api }
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
    return [left, f.help] as const
  })
  const width = Math.max(...rows.map(([l]) => l.length))
  return [
    `usage: overlay ${command} [flags]${spec.positionals === '' ? '' : ` ${spec.positionals}`}`,
    '',
    spec.summary,
    '',
    'flags:',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`),
    `  ${'--help'.padEnd(width)}  show this help`
  ].join('\n')
}
