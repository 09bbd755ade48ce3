/**
 * Friendly addresses: `host:port`, `[v6]:port` and `localhost:port` are accepted wherever a multiaddr
 * is expected and turned into one; other near misses get a "did you mean" from hintFor().
 */
const IP4 = /^(\d{1,3}(?:\.\d{1,3}){3})$/
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/

/** The multiaddr a `host:port` means, or the value unchanged when it is not one. */
export function friendlyAddr (value: string): string {
  if (typeof value !== 'string' || value.startsWith('/')) return value
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(value)
  if (v6 !== null) return `/ip6/${v6[1]}/tcp/${v6[2]}`
  const hostPort = /^([^:\s]+):(\d{1,5})$/.exec(value)
  if (hostPort === null) return value
  const [, host = '', port] = hostPort
  if (IP4.test(host)) return `/ip4/${host}/tcp/${port}`
  if (host === 'localhost') return `/ip4/127.0.0.1/tcp/${port}`
  if (HOST.test(host)) return `/dns/${host}/tcp/${port}`
  return value
}

/** A suggestion for a value that is not a multiaddr (a bare IP, a URL), or '' when there is none. */
export function hintFor (value: string): string {
  const bare = value.trim()
  if (IP4.test(bare)) return `; did you mean /ip4/${bare}/tcp/9000`
  if (/^[0-9A-Fa-f:]+$/.test(bare) && bare.includes(':')) return `; did you mean /ip6/${bare}/tcp/9000`
  const url = /^[a-z]+:\/\/([^/:]+):(\d+)/.exec(bare)
  if (url !== null) return `; did you mean ${friendlyAddr(`${url[1]}:${url[2]}`)}`
  return ''
}
