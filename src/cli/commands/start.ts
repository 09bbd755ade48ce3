/** `overlay start`: one node in the foreground; stdin lines are messages, /commands act on the node. */
import { createInterface } from 'node:readline'
import { fstatSync } from 'node:fs'
import { loadConfig } from '../../config/load.ts'
import { createOverlayNodeFromConfig } from '../../node/create-node.ts'
import { flagsToConfig } from '../args.ts'
import { createPrinter } from '../output.ts'
import type { OverlayNode } from '../../node/create-node.ts'
import type { OverlayEventType } from '../../mesh/events.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'
import type { Printer } from '../output.ts'

export const EVENT_TYPES: OverlayEventType[] = ['listening', 'session', 'joined', 'left', 'suspect', 'failed', 'alive', 'message', 'rejected', 'error', 'bootstrap']

export const STDIN_COMMANDS = {
  '/peers': 'list the current sessions',
  '/members': 'list every member with its state',
  '/stats': 'counters: messages, sessions, members, refused and cut connections',
  '/to NAME TEXT': 'send TEXT to one member; waits for its acknowledgement',
  '/exit': 'leave cleanly (Ctrl-D does the same)',
  '/help': 'this list'
} as const

export async function runStart (values: ParsedArgs['values'], io: Io): Promise<number> {
  const { path, flags } = flagsToConfig(values)
  const config = await loadConfig({ ...(path === undefined ? {} : { path }), env: io.env, flags })
  const node = await createOverlayNodeFromConfig(config, { env: io.env })
  const json = values.json === true
  const print = createPrinter(io.stdout, json)
  for (const type of EVENT_TYPES) node.addEventListener(type, evt => { print.event({ type, ...evt.detail } as never) })

  let signals = 0
  const onSignal = (): void => {
    if (++signals > 1) (io.exit ?? process.exit)(130) // a second signal forces the exit
    void node.stop()
  }
  io.signals.on('SIGINT', onSignal)
  io.signals.on('SIGTERM', onSignal)
  try {
    await node.start()
    if (node.uiUrl !== undefined) io.stderr.write(`UI: ${node.uiUrl}\n`)
    if (node.token.generated) tellHowToJoin(node, io)
    if (interactive(io.stdin)) readCommands(node, io, print)
    await node.stopped
  } finally {
    io.signals.off('SIGINT', onSignal)
    io.signals.off('SIGTERM', onSignal)
    await node.stop()
  }
  return node.fatalError === undefined ? 0 : 1
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

function readCommands (node: OverlayNode, io: Io, print: Printer): void {
  const lines = createInterface({ input: io.stdin, terminal: false })
  lines.on('line', line => { handleLine(node, line, print) })
  lines.on('close', () => { void node.stop() })
  void node.stopped.then(() => { lines.close() })
}

function handleLine (node: OverlayNode, line: string, print: Printer): void {
  const text = line.trim()
  if (text === '') return
  const fail = (err: Error): void => { print.reply('error', { code: (err as { code?: string }).code ?? err.name, message: err.message }, `! ${err.message}`) }
  if (!text.startsWith('/')) {
    node.send(text).catch(fail)
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
    case '/help': print.reply('help', { commands: STDIN_COMMANDS }, Object.entries(STDIN_COMMANDS).map(([c, h]) => `  ${c.padEnd(14)} ${h}`).join('\n')); return
    default: fail(new Error(`unknown command ${command}; /help lists them`))
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
