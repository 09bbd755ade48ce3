/** `overlay start`: one node in the foreground; stdin lines are messages, /commands act on the node. */
import { fstatSync } from 'node:fs'
import { createOverlayNodeFromConfig } from '../../create.ts'
import { UsageError } from '../args.ts'
import { ExitCode, exitCodeFor } from '../exit-codes.ts'
import { createPrinter, useColor } from '../output.ts'
import { openTerminal } from '../terminal.ts'
import { loadCliConfig } from './config.ts'
import { describeListenError } from './listen-errors.ts'
import type { OverlayNode } from '../../node/create-node.ts'
import { OVERLAY_EVENT_TYPES } from '../../events.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'
import type { Printer } from '../output.ts'

export const EVENT_TYPES = OVERLAY_EVENT_TYPES

export const STDIN_COMMANDS = {
  '/peers': 'list the current sessions',
  '/members': 'list every member with its state',
  '/stats': 'counters: messages, sessions, members, refused and cut connections',
  '/to NAME TEXT': 'send TEXT to one member; waits for its acknowledgement',
  '/exit': 'leave cleanly (Ctrl-D does the same)',
  '/help': 'this list'
} as const

/** What /help says besides the commands. */
export const STDIN_HELP = [
  'A line that does not start with / is sent to every member.',
  'Start a line with // to send a line that starts with / (//etc sends /etc).'
] as const

export async function runStart (values: ParsedArgs['values'], io: Io): Promise<number> {
  const { config } = await loadCliConfig(values, io)
  // A leaf that cannot work does not start: it has nothing to dial, or no token that can match the hub's.
  if (config.mode === 'leaf' && config.bootstrap.length === 0) {
    throw new UsageError('a leaf needs a hub to dial: pass --bootstrap MULTIADDR (or bootstrap in the config file, OVERLAY_BOOTSTRAP)', 'start')
  }
  if (config.mode === 'leaf' && config.token === undefined && config.tokenFile === undefined) {
    throw new UsageError('a leaf needs the token of its hub: pass --token T or --token-file F (or OVERLAY_TOKEN); a leaf never makes one up', 'start')
  }
  const node = await createOverlayNodeFromConfig(config, { env: io.env })
  const json = values.json === true
  const tty = !json && (io.stdin as { isTTY?: boolean }).isTTY === true && (io.stdout as { isTTY?: boolean }).isTTY === true
  const term = openTerminal(io, { prompt: `${node.name}> `, tty })
  const print = createPrinter(io.stdout, json, { write: term.print, timestamps: tty, color: tty && useColor(io.stdout as { isTTY?: boolean }, io.env) })
  for (const type of EVENT_TYPES) {
    node.addEventListener(type, evt => {
      // A fatal error is said once, on stderr, as the last line (below); JSON keeps the event.
      if (!json && type === 'error' && node.fatalError !== undefined && (evt.detail as { code: string }).code === node.fatalError.code) return
      print.event({ type, ...evt.detail } as never)
    })
  }

  let signals = 0
  const onSignal = (): void => {
    if (++signals > 1) (io.exit ?? process.exit)(130) // a second signal forces the exit
    void node.stop()
  }
  io.signals.on('SIGINT', onSignal)
  io.signals.on('SIGTERM', onSignal)
  try {
    try {
      await node.start()
    } catch (err) {
      io.stderr.write(`overlay: ${describeListenError(err, config.listen)}\n`)
      return ExitCode.failed
    }
    // Beside the other human lines on stdout; with --json, stdout holds only events, so stderr.
    if (node.uiUrl !== undefined) {
      if (json) io.stderr.write(`UI: ${node.uiUrl}\n`)
      else print.reply('ui', { url: node.uiUrl }, `UI: ${node.uiUrl}`)
    }
    if (node.token.generated && config.mode !== 'leaf') tellHowToJoin(node, io)
    if (interactive(io.stdin)) {
      term.read(line => { handleLine(node, line, print) }, () => {
        // End of input: a leaf first sends what it queued while it had no hub.
        void node.drained().then(async () => { await node.stop() })
      })
    }
    await node.stopped
  } finally {
    io.signals.off('SIGINT', onSignal)
    io.signals.off('SIGTERM', onSignal)
    term.close()
    await node.stop()
  }
  if (node.fatalError === undefined) return ExitCode.ok
  io.stderr.write(`overlay: ${node.fatalError.message}\n`)
  return exitCodeFor(node.fatalError.code)
}

/** stdin is read when it is a terminal, a pipe or a socket; /dev/null (e.g. a container without -i) is not. */
function interactive (stdin: Io['stdin']): boolean {
  if (stdin.fd === undefined) return true
  try {
    const stat = fstatSync(stdin.fd)
    return stat.isFIFO() || stat.isSocket() || stat.isFile() || (stdin as { isTTY?: boolean }).isTTY === true
  } catch {
    return false
  }
}

export function handleLine (node: OverlayNode, line: string, print: Printer): void {
  const text = line.trim()
  if (text === '') return
  const fail = (err: Error): void => { print.reply('error', { code: (err as { code?: string }).code ?? 'bad_command', message: err.message }, `! ${err.message}`) }
  if (!text.startsWith('/') || text.startsWith('//')) {
    node.send(text.startsWith('//') ? text.slice(1) : text).catch(fail)
    return
  }
  const command = text.split(/\s/, 1)[0] ?? ''
  switch (command) {
    case '/peers': {
      const sessions = node.sessions()
      print.reply('peers', { sessions }, sessions.length === 0 ? 'no sessions' : sessions.map(s => `  ${s.name}  ${s.mode}  ${s.encryption}  ${s.peerId}`).join('\n'))
      return
    }
    case '/members': {
      const members = node.members()
      print.reply('members', { members }, members.map(m => `  ${m.name}${m.self ? ' (you)' : ''}  ${m.state}  ${m.peerId}`).join('\n'))
      return
    }
    case '/stats': {
      const stats = node.stats()
      const c = stats.connections
      print.reply('stats', { stats }, `  sessions ${stats.sessions}, members ${stats.members}, delivered ${stats.delivered}\n` +
        `  inbound connections ${c.inbound} (${c.unauthenticated} unauthenticated), refused ${JSON.stringify(c.refused)}, cut ${JSON.stringify(c.cut)}, ` +
        `failed authentications ${c.authFailures}, address bans ${c.ipBans} (${c.bannedIps} now)`)
      return
    }
    case '/to': {
      const match = /^\/to\s+(\S+)\s+(.+)$/.exec(text)
      const name = match?.[1]
      const body = match?.[2]
      if (name === undefined || body === undefined) { fail(new Error('usage: /to NAME TEXT')); return }
      if (name === node.name) { fail(new Error(`"${name}" is this node; /to sends to another member`)); return }
      node.sendTo(name, body)
        .then(({ id }) => { print.reply('delivered', { id, to: name }, `* delivered to ${name}`) })
        .catch(fail)
      return
    }
    case '/exit': void node.stop(); return
    case '/help': print.reply('help', { commands: STDIN_COMMANDS, notes: STDIN_HELP }, [...STDIN_HELP, ...Object.entries(STDIN_COMMANDS).map(([c, h]) => `  ${c.padEnd(14)} ${h}`)].join('\n')); return
    default: fail(new Error(`unknown command ${command}; /help lists them (//text sends "/text")`))
  }
}

function tellHowToJoin (node: OverlayNode, io: Io): void {
  const addr = node.getMultiaddrs()[0]
  // Under `npm start` the binary is not on PATH; show the command that works from here.
  const start = io.env.npm_lifecycle_event === 'start' ? 'npm start --' : 'overlay start'
  io.stderr.write([
    `No token was configured, so this node made one and saved it in ${node.token.file ?? 'its data dir'}.`,
    'Start a second node that joins this one with:',
    `  ${start} --bootstrap ${addr ?? '<this node\'s address>'} --token-file ${node.token.file ?? '<token file>'}`,
    ''
  ].join('\n'))
}
