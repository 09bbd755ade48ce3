/** Turns what a dial threw into a few words for a person: never a bare class name, never "undefined". */
export function describeDialError (err: unknown, dialMs: number): string {
  const e = (err ?? {}) as Error & { code?: string, errors?: unknown[] }
  const text = `${e.name ?? ''} ${e.message ?? ''} ${e.code ?? ''} ${String((e as { cause?: { code?: string } }).cause?.code ?? '')}`
  if (/ECONNREFUSED/.test(text)) return 'connection refused'
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) return 'host unreachable'
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'name not found'
  if (/ECONNRESET|EPIPE/.test(text)) return 'connection reset'
  if (/TimeoutError|timed? ?out|AbortError/i.test(text)) return `no answer within ${dialMs} ms`
  if (/UnexpectedEOF|StreamReset|closed before it opened|connection closed|ConnectionClosed/i.test(text)) return 'the remote closed the connection before the session opened'
  if (/DialDenied/.test(text)) return 'the address is refused by this node\'s ban list'
  if (e.name === 'SessionRejectedError' && e.code !== undefined) return `refused: ${e.code}${e.message === undefined ? '' : ` (${e.message.replace(/^.*?refused the session: /, '')})`}`
  if (Array.isArray(e.errors) && e.errors.length > 0) return describeDialError(e.errors[0], dialMs)
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined
  return message ?? 'the dial failed'
}
