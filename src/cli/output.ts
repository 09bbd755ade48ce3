/** Turns node events into what a person reads, or into one JSON object per line. */
import type { OverlayEvent } from '../mesh/events.ts'

export interface Printer {
  event: (event: OverlayEvent) => void
  /** A reply to a stdin command (/peers, /members, /to). */
  reply: (type: string, detail: Record<string, unknown>, human: string) => void
}

export function createPrinter (out: NodeJS.WritableStream, json: boolean): Printer {
  const line = (s: string): void => { out.write(s + '\n') }
  return {
    event: event => { line(json ? JSON.stringify(event) : human(event)) },
    reply: (type, detail, text) => { line(json ? JSON.stringify({ type, ...detail }) : text) }
  }
}

function human (e: OverlayEvent): string {
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
    case 'bootstrap': return e.ok ? `* reached ${e.addr}` : `* ${e.addr}: attempt ${e.attempt} failed: ${e.error ?? ''}`
  }
}
