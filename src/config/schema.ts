/**
 * Validation of a fully merged config. Every message says what is expected, so a
 * human can fix the value without reading this file.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { NAME_PATTERN } from '../constants.ts'
import { ConfigError } from '../errors.ts'
import { friendlyAddr, hintFor } from './addr.ts'
import { Encryption, Mode, type OverlayConfig } from './defaults.ts'

const MAX_MS = 3_600_000
const MAX_TOKEN_CHARS = 1024

function int (min: number, max: number): z.ZodNumber {
  const error = `must be an integer from ${min} to ${max}`
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error })
}

const ms = (): z.ZodNumber => int(1, MAX_MS)

const oneOf = <T extends Record<string, string>>(values: T) =>
  z.enum(values, { error: `must be one of ${Object.values(values).join(', ')}` })

function nonEmptyString (what: string): z.ZodString {
  const error = `must be a non-empty ${what}`
  return z.string({ error }).min(1, { error })
}

/** A string that parses as a multiaddr; `needTcp` for addresses we dial (only TCP is configured). */
function address (needTcp: boolean): z.ZodType<string> {
  const error = 'must be a multiaddr string, e.g. /ip4/0.0.0.0/tcp/9000'
  return z.string({ error }).transform(friendlyAddr).pipe(z.string({ error }).superRefine((value, ctx) => {
    let names: string[]
    try {
      names = multiaddr(value).getComponents().map(c => c.name)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid multiaddr: ${(err as Error).message}${hintFor(value)}` })
      return
    }
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a non-empty multiaddr, e.g. /ip4/0.0.0.0/tcp/9000' })
    } else if (needTcp && !names.includes('tcp')) {
      ctx.addIssue({ code: 'custom', message: `"${value}" must contain a /tcp/ component, e.g. /dns4/hub/tcp/9000` })
    }
  }))
}

const list = <T extends z.ZodType>(item: T): z.ZodArray<T> =>
  z.array(item, { error: 'must be an array of multiaddr strings' })

const section = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, { error: 'must be an object' })

const token = z.string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_TOKEN_CHARS, { error: `must be at most ${MAX_TOKEN_CHARS} characters` })
  .refine(t => !/[\r\n]/.test(t), { error: 'must not contain a line break' })

const schema = section({
  mode: oneOf(Mode),
  name: z.string({ error: 'must be a string' })
    .regex(NAME_PATTERN, { error: 'must be 1-64 characters from A-Z a-z 0-9 . _ -' }).optional(),
  listen: list(address(false)).optional(),
  bootstrap: list(address(true)),
  token: token.optional(),
  tokenFile: nonEmptyString('file path').optional(),
  dataDir: nonEmptyString('directory path').optional(),
  encryption: oneOf(Encryption),
  acceptText: z.boolean({ error: 'must be true or false' }),
  limits: section({
    maxFrameBytes: int(64, 16 * 1024 * 1024),
    maxSessions: int(1, 100_000),
    maxStreamsPerPeer: int(1, 1024),
    inboundPerIpPerSecond: int(1, 100_000),
    maxPendingConnections: int(1, 100_000),
    maxConnectionsPerIp: int(1, 100_000),
    maxUnauthenticatedPerIp: int(1, 100_000),
    maxAuthFailuresPerIp: int(1, 100_000),
    queueMessages: int(0, 1_000_000),
    queueBytes: int(0, 256 * 1024 * 1024),
    maxQueuedBytes: int(64 * 1024, 4 * 1024 ** 3),
    maxQueuedBytesTotal: int(64 * 1024, 64 * 1024 ** 3),
    msgPerSecond: int(1, 10_000_000),
    msgBurst: int(1, 10_000_000),
    textMsgPerSecond: int(1, 10_000_000),
    textMsgBurst: int(1, 10_000_000),
    controlPerSecond: int(1, 10_000_000),
    controlBurst: int(1, 10_000_000),
    rateExcessCutMs: ms()
  }).superRefine((l, ctx) => {
    if (l.maxUnauthenticatedPerIp > l.maxConnectionsPerIp) {
      ctx.addIssue({ code: 'custom', path: ['maxUnauthenticatedPerIp'], message: `must be at most limits.maxConnectionsPerIp (${l.maxConnectionsPerIp}), got ${l.maxUnauthenticatedPerIp}` })
    }
    if (l.maxQueuedBytesTotal < l.maxQueuedBytes) {
      ctx.addIssue({ code: 'custom', path: ['maxQueuedBytesTotal'], message: `must be at least limits.maxQueuedBytes (${l.maxQueuedBytes}), got ${l.maxQueuedBytesTotal}` })
    }
  }),
  timeouts: section({ authMs: ms(), banMs: ms(), dialMs: ms(), upgradeMs: ms(), authFailureWindowMs: ms() }),
  retry: section({ attempts: int(1, 1000), intervalMs: ms(), maxIntervalMs: ms(), reconnectAttempts: int(0, 1_000_000), jitterMs: int(0, MAX_MS) })
    .superRefine((r, ctx) => {
      if (r.maxIntervalMs < r.intervalMs) {
        ctx.addIssue({ code: 'custom', path: ['maxIntervalMs'], message: `must be at least retry.intervalMs (${r.intervalMs}), got ${r.maxIntervalMs}` })
      }
    }),
  mesh: section({
    degree: int(1, 64),
    heartbeatMs: ms(),
    suspectAfterMs: ms(),
    failAfterMs: ms(),
    hopLimit: int(1, 255),
    directTimeoutMs: ms(),
    seenTtlMs: ms()
  }).superRefine((m, ctx) => {
    if (m.suspectAfterMs <= m.heartbeatMs) {
      ctx.addIssue({ code: 'custom', path: ['suspectAfterMs'], message: `must be greater than mesh.heartbeatMs (${m.heartbeatMs}), got ${m.suspectAfterMs}` })
    }
  }),
  api: section({
    listen: z.string({ error: 'must be "off" or HOST:PORT, e.g. 127.0.0.1:8080' }).refine(v => v === 'off' || parseListen(v) !== undefined, {
      error: 'must be "off" or HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080 or [::1]:0'
    }),
    openMetrics: z.boolean({ error: 'must be true or false' }),
    libp2pMetrics: z.boolean({ error: 'must be true or false' }),
    allowedHosts: z.array(nonEmptyString('host name'), { error: 'must be an array of host names' }),
    eventRing: int(1, 1_000_000),
    eventRingBytes: int(64 * 1024, 1024 * 1024 * 1024),
    maxBodyBytes: int(1024, 64 * 1024 * 1024),
    maxEventClients: int(1, 10_000),
    maxEventQueueBytes: int(64 * 1024, 1024 * 1024 * 1024),
    eventTextChars: int(64, 64 * 1024 * 1024)
  })
}).refine(c => c.token === undefined || c.tokenFile === undefined, {
  path: ['token'], error: 'token and tokenFile cannot both be set; use one'
})

/** "HOST:PORT" or "[V6]:PORT" into its parts; undefined when it is neither. */
export function parseListen (value: string): { host: string, port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value)
  const port = Number(m?.[3])
  if (m === null || port > 65_535) return undefined
  return { host: (m[1] ?? m[2]) as string, port }
}

// Compile-time guard: the schema and the interface must describe the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const shapesAgree: Same<z.output<typeof schema>, OverlayConfig> = true
void shapesAgree

export interface ConfigProblem {
  /** Dotted path of the first bad key, e.g. "retry.attempts" or "bootstrap.1". */
  key: string
  message: string
}

/** Like validateConfig, but returns the first problem instead of throwing. */
export function checkConfig (raw: unknown): { config: OverlayConfig, problem?: undefined } | { problem: ConfigProblem } {
  const result = schema.safeParse(raw, { reportInput: true })
  if (result.success) return { config: result.data }
  const issue = result.error.issues[0]
  if (issue === undefined) return { problem: { key: 'config', message: 'is invalid' } }
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys') {
    return { problem: { key: [...path, issue.keys[0]].join('.'), message: 'unknown key' } }
  }
  if (path.length === 0) return { problem: { key: 'config', message: 'must be a JSON object' } }
  const key = path.join('.')
  if (issue.input === undefined && issue.code === 'invalid_type') return { problem: { key, message: `is required (${issue.message})` } }
  // Echo the bad value to help the reader, except secrets.
  const got = key === 'token' || issue.code === 'custom' ? '' : describe(issue.input)
  return { problem: { key, message: got === '' ? issue.message : `${issue.message} (got ${got})` } }
}

/** Validates a fully merged config (defaults already applied). Throws ConfigError naming the first bad key. */
export function validateConfig (raw: unknown): OverlayConfig {
  const checked = checkConfig(raw)
  if (checked.problem !== undefined) throw new ConfigError(checked.problem.key, checked.problem.message)
  return checked.config
}

function describe (value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value
}
