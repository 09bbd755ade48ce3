/**
 * Standard input and output of `overlay start`. On a terminal: node:readline with a prompt that is
 * redrawn under every incoming line, so what is half typed is never split. Elsewhere (pipes, files,
 * --json): plain lines in, plain lines out.
 */
import { clearLine, createInterface, cursorTo } from 'node:readline'
import type { Interface } from 'node:readline'
import type { Io } from './main.ts'

export interface Terminal {
  /** Prints one finished line (the printer's `write`). */
  print: (line: string) => void
  /** Starts reading lines; `onClose` runs at end of input (Ctrl-D). */
  read: (onLine: (line: string) => void, onClose: () => void) => void
  close: () => void
  /** True when the prompt UI is in use. */
  readonly tty: boolean
}

export function openTerminal (io: Io, opts: { prompt: string, tty: boolean }): Terminal {
  const out = io.stdout
  let rl: Interface | undefined
  if (!opts.tty) {
    return {
      tty: false,
      print: line => { out.write(line + '\n') },
      read: (onLine, onClose) => {
        rl = createInterface({ input: io.stdin, terminal: false })
        rl.on('line', onLine)
        rl.on('close', onClose)
      },
      close: () => { rl?.close() }
    }
  }
  let closed = false
  return {
    tty: true,
    print: line => {
      if (rl === undefined || closed) { out.write(line + '\n'); return }
      // Wipe the prompt and what is typed, print the line, then draw both again below it.
      clearLine(out as NodeJS.WritableStream & { isTTY: true } as never, 0)
      cursorTo(out as never, 0)
      out.write(line + '\n')
      rl.prompt(true)
    },
    read: (onLine, onClose) => {
      rl = createInterface({ input: io.stdin, output: out, terminal: true, prompt: opts.prompt, historySize: 100 })
      rl.on('line', line => { onLine(line); if (!closed) rl?.prompt() })
      rl.on('close', () => { closed = true; out.write('\n'); onClose() })
      // Ctrl-C on a raw terminal arrives here, not as a signal: treat it as one.
      rl.on('SIGINT', () => { io.signals.emit('SIGINT') })
      rl.prompt()
    },
    close: () => { if (!closed) { closed = true; rl?.close() } }
  }
}
