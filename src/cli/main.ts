/** The CLI: argv in, exit code out (exit-codes.ts: 0 clean, 1 failed, 2 bad usage or config, 3-5 refusals). */
import { createRequire } from 'node:module'
import { parseArgs, usage, UsageError } from './args.ts'
import { runDemo } from './commands/demo.ts'
import { runHealth } from './commands/health.ts'
import { runId } from './commands/id.ts'
import { runStart } from './commands/start.ts'
import { runEvents } from './commands/events.ts'
import { runLeave } from './commands/leave.ts'
import { runMembers } from './commands/members.ts'
import { runPeers } from './commands/peers.ts'
import { runSend } from './commands/send.ts'
import { runStats } from './commands/stats.ts'
import { runUi } from './commands/ui.ts'
import { ExitCode } from './exit-codes.ts'

export interface Io {
  stdin: NodeJS.ReadableStream & { fd?: number }
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: Record<string, string | undefined>
  /** Where SIGINT/SIGTERM arrive (the process, or a test's emitter). */
  signals: NodeJS.EventEmitter
  /** Forced exit on a second signal; defaults to process.exit. */
  exit?: (code: number) => void
}

export { ExitCode }

export async function main (argv: string[], io: Io): Promise<number> {
  let args
  try {
    args = parseArgs(argv)
  } catch (err) {
    if ((err as Error).name !== UsageError.name) throw err
    io.stderr.write(`overlay: ${(err as Error).message}\n\n${usage((err as UsageError).command as never)}\n`)
    return ExitCode.usage
  }
  try {
    switch (args.command) {
      case 'help': io.stdout.write(usage(args.helpFor) + '\n'); return ExitCode.ok
      case 'version': io.stdout.write(version() + '\n'); return ExitCode.ok
      case 'start': return await runStart(args.values, io)
      case 'id': return await runId(args.values, io)
      case 'health': return await runHealth(args.values, io)
      case 'demo': return await runDemo(args.values, io)
      case 'members': return await runMembers(args.values, io)
      case 'peers': return await runPeers(args.values, io)
      case 'send': return await runSend(args.values, args.positionals ?? [], io)
      case 'events': return await runEvents(args.values, io)
      case 'stats': return await runStats(args.values, io)
      case 'leave': return await runLeave(args.values, io)
      case 'ui': return await runUi(args.values, io)
    }
  } catch (err) {
    const e = err as Error
    if (e.name === 'ConfigError' || e.name === UsageError.name) {
      io.stderr.write(`overlay: ${e.message}\n\n${usage(args.command === 'help' || args.command === 'version' ? undefined : args.command)}\n`)
      return ExitCode.usage
    }
    // One line, in words: no class names, no stack (DEBUG=libp2p:* shows libp2p's own detail).
    io.stderr.write(`overlay: ${typeof e.message === 'string' && e.message !== '' ? e.message.split('\n')[0] : 'failed'}\n`)
    return ExitCode.failed
  }
}

function version (): string {
  const require = createRequire(import.meta.url)
  for (const path of ['../../package.json', '../../../package.json']) {
    try { return (require(path) as { version: string }).version } catch {}
  }
  return 'unknown'
}
