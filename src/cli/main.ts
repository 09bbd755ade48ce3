/** The CLI: argv in, exit code out (exit-codes.ts: 0 clean, 1 failed, 2 bad usage or config, 3-5 refusals). */
import { createRequire } from 'node:module'
import { parseArgs, usage, UsageError } from './args.ts'
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

export async function main (argv: string[], io: Io): Promise<number> {
  let args
  try {
    args = parseArgs(argv)
  } catch (err) {
    if ((err as Error).name !== UsageError.name) throw err
    io.stderr.write(`overlay: ${(err as Error).message}\n\n${usage((err as UsageError).command)}\n`)
    return ExitCode.usage
  }
  try {
    // Each command's module loads on use: `overlay health` (a container's health check, run every
    // few seconds) must not pay for libp2p, which only start, id, demo and the protocol check need.
    switch (args.command) {
      case 'help': io.stdout.write(usage(args.helpFor) + '\n'); return ExitCode.ok
      case 'version': io.stdout.write(version() + '\n'); return ExitCode.ok
      case 'start': return await (await import('./commands/start.ts')).runStart(args.values, io)
      case 'id': return await (await import('./commands/id.ts')).runId(args.values, io)
      case 'health': return await (await import('./commands/health.ts')).runHealth(args.values, io)
      case 'demo': return await (await import('./commands/demo.ts')).runDemo(args.values, io)
      case 'members': return await (await import('./commands/members.ts')).runMembers(args.values, io)
      case 'peers': return await (await import('./commands/peers.ts')).runPeers(args.values, io)
      case 'send': return await (await import('./commands/send.ts')).runSend(args.values, args.positionals ?? [], io)
      case 'events': return await (await import('./commands/events.ts')).runEvents(args.values, io)
      case 'stats': return await (await import('./commands/stats.ts')).runStats(args.values, io)
      case 'leave': return await (await import('./commands/leave.ts')).runLeave(args.values, io)
      case 'ui': return await (await import('./commands/ui.ts')).runUi(args.values, io)
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
