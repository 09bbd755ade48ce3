/** Turns node events into what a person reads, or into one JSON object per line. */
import type { OverlayEvent } from '../events.ts'

export interface Printer {
  event: (event: OverlayEvent) => void
  /** A reply to a stdin command (/peers, /members, /to). */
  reply: (type: string, detail: Record<string, unknown>, human: string) => void
}

export interface PrinterOptions {
  /** ANSI colours (only on a terminal, never with NO_COLOR: see useColor). */
  color?: boolean
  /** Prefix human lines with the local time (HH:MM:SS). */
  timestamps?: boolean
  /** Where a finished line goes (the terminal UI redraws its prompt around it); default: `out`. */
  write?: (line: string) => void
  now?: () => Date
}

/** Colours only on a TTY, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function useColor (stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb'
}

const ANSI = { dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' } as const

/** Events whose identical repeats are collapsed into one line and a count (retries, refusals). */
const COLLAPSIBLE = new Set(['error', 'rejected', 'bootstrap', 'reconnecting'])
const REPEAT_EVERY = 10

export function createPrinter (out: NodeJS.WritableStream, json: boolean, opts: PrinterOptions = {}): Printer {
  const write = opts.write ?? ((s: string): void => { out.write(s + '\n') })
  const now = opts.now ?? (() => new Date())
  const paint = (code: string, s: string): string => opts.color === true ? `${code}${s}${ANSI.reset}` : s
  const stamp = (): string => opts.timestamps === true ? paint(ANSI.dim, now().toTimeString().slice(0, 8)) + ' ' : ''
  let last: string | undefined
  let repeats = 0
  const flushRepeats = (): void => {
    if (repeats > 0) write(`${stamp()}${paint(ANSI.dim, `  (the line above repeated ${repeats} more ${repeats === 1 ? 'time' : 'times'})`)}`)
    repeats = 0
  }
  const human = (text: string, kind: string): void => {
    if (COLLAPSIBLE.has(kind) && text === last) {
      // Said as a count: at once every REPEAT_EVERY repeats (so a long outage still shows), else before the next other line.
      if (++repeats >= REPEAT_EVERY) flushRepeats()
      return
    }
    flushRepeats()
    last = COLLAPSIBLE.has(kind) ? text : undefined
    const colour = text.startsWith('!') ? ANSI.red : text.startsWith('*') ? ANSI.dim : text.startsWith('<') ? '' : ''
    const body = text.startsWith('<') ? text.replace(/^<([^>]*)>/, (m) => paint(ANSI.bold + ANSI.cyan, m)) : colour === '' ? text : paint(colour, text)
    write(stamp() + body)
  }
  return {
    event: event => {
      if (json) { write(JSON.stringify(event)); return }
      const text = humanLine(event)
      if (text !== undefined) human(text, event.type)
    },
    reply: (type, detail, text) => { if (json) write(JSON.stringify({ type, ...detail })); else human(text, type) }
  }
}

/** The line a person reads for an event; undefined for what is not worth a line (later failed attempts of a round). */
function humanLine (e: OverlayEvent): string | undefined {
  switch (e.type) {
    case 'listening': return `listening as ${e.name} (${e.mode}), peer id ${e.peerId}${e.addrs.map(a => `\n  ${a}`).join('')}`
    case 'session': return `* session ${e.action === 'open' ? 'with' : 'closed with'} ${e.name} (${e.mode}, ${e.wire}, ${e.encryption})${e.reason === undefined ? '' : `: ${e.reason}`}`
    case 'joined': return `* ${e.name} joined${e.reason === 'rejoin' ? ' again' : ''}`
    case 'left': return `* ${e.name} left (${e.reason})`
    case 'suspect': return `* ${e.name} is suspect (${e.reason})`
    case 'failed': return `* ${e.name} failed (${e.reason})`
    case 'alive': return `* ${e.name} is alive again (${e.reason})`
    case 'message': return e.to === undefined ? `<${e.from}> ${e.text}` : `<${e.from} to you> ${e.text}`
    case 'rejected': return `! refused ${e.peerId}: ${e.code} (${e.message})`
    case 'error': return `! ${e.code}: ${e.message}`
    case 'bootstrap':
      if (e.ok) return `* reached ${e.addr}`
      // One line per round: the first failure says it; the round's summary (or the give-up) follows.
      return e.attempt === 1 ? `* ${e.addr}: attempt 1 failed (${e.error ?? 'no reason given'}); retrying` : undefined
    case 'reconnecting': return `* no hub; reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}${e.error === undefined ? '' : `: ${e.error}`})`
    case 'reconnected': return `* reconnected to ${e.addr} after ${(e.downMs / 1000).toFixed(1)} s (${e.attempts} ${e.attempts === 1 ? 'round' : 'rounds'})`
  }
}
