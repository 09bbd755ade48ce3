/** A listen failure as one line a person can act on, instead of libp2p's stack trace. */
export function describeListenError (err: unknown, listen: string[] | undefined): string {
  const e = (err ?? {}) as Error & { code?: string, errors?: unknown[] }
  const text = JSON.stringify({ n: e.name, m: e.message, c: e.code, s: String(e.stack ?? '') }) + String((e.errors ?? []).map(x => (x as Error).message))
  const where = listen === undefined || listen.length === 0 ? 'the default address' : listen.join(', ')
  if (/EADDRINUSE/.test(text)) return `cannot listen on ${where}: the port is in use (another node or program holds it); pick another with --listen`
  if (/EADDRNOTAVAIL/.test(text)) return `cannot listen on ${where}: no such address on this machine; use one of its own IPs, or 0.0.0.0`
  if (/EACCES|EPERM/.test(text)) return `cannot listen on ${where}: permission denied (ports below 1024 need root); pick a port above 1023 with --listen`
  if (/NoValidAddresses|UnsupportedListenAddress|no valid addresses|Unsupported/i.test(text)) return `cannot listen on ${where}: only TCP addresses work here, e.g. /ip4/0.0.0.0/tcp/9000 (--listen)`
  const message = typeof e.message === 'string' && e.message !== '' ? e.message.split('\n')[0] : 'unknown error'
  return `cannot start: ${message}`
}
