/**
 * Builds the effective config from four layers, highest first:
 * flags > environment variables > config file (JSON) > defaultConfig().
 * Objects merge key by key; arrays and scalars replace. Setting token or tokenFile in a
 * layer clears both from the layers below, so the two never collide across layers.
 */
import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.ts'
import { defaultConfig, type OverlayConfig } from './defaults.ts'
import { checkConfig } from './schema.ts'

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K]
}
/** Any subset of OverlayConfig, at any depth (what a config file, the environment or flags provide). */
export type PartialConfig = DeepPartial<OverlayConfig>

export interface EnvVar {
  /** e.g. "OVERLAY_LIMITS_MAX_FRAME_BYTES" */
  name: string
  /** Dotted config key, e.g. "limits.maxFrameBytes" */
  key: string
}

/** Names the config file when no path is passed. */
export const CONFIG_ENV_VAR = 'OVERLAY_CONFIG'

type Optional = { [K in keyof OverlayConfig]-?: undefined extends OverlayConfig[K] ? K : never }[keyof OverlayConfig]
// Sample values give each optional key its env parser; the type makes a new optional key fail to compile until added.
const OPTIONAL_SAMPLES: Required<Pick<OverlayConfig, Optional>> = { name: '', listen: [], token: '', tokenFile: '', dataDir: '' }

type Kind = 'string' | 'list' | 'int' | 'bool'
interface EnvSpec extends EnvVar { path: string[], kind: Kind }

const upperSnake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

function specs (value: Record<string, unknown>, path: string[] = []): EnvSpec[] {
  return Object.entries(value).flatMap(([k, v]) => {
    const p = [...path, k]
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return specs(v as Record<string, unknown>, p)
    const kind: Kind = Array.isArray(v) ? 'list' : typeof v === 'number' ? 'int' : typeof v === 'boolean' ? 'bool' : 'string'
    return [{ name: ['OVERLAY', ...p.map(upperSnake)].join('_'), key: p.join('.'), path: p, kind }]
  })
}

const SPECS: readonly EnvSpec[] = specs({ ...OPTIONAL_SAMPLES, ...defaultConfig() })

/**
 * Every environment variable loadConfig reads (besides OVERLAY_CONFIG), derived from the config keys.
 * Other OVERLAY_* variables are ignored, since other tools may share the prefix.
 */
export const ENV_VARS: readonly EnvVar[] = SPECS.map(({ name, key }) => ({ name, key }))

export interface LoadOptions {
  /** Config file; defaults to env OVERLAY_CONFIG; neither = no file. */
  path?: string
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>
  /** Highest layer, typically parsed CLI flags; undefined values count as unset. */
  flags?: PartialConfig
}

/** Loads, merges and validates. Throws ConfigError naming the bad key, env var or file. */
export async function loadConfig (opts: LoadOptions = {}): Promise<OverlayConfig> {
  const env = opts.env ?? process.env
  const path = opts.path ?? nonEmpty(env[CONFIG_ENV_VAR])
  const file = path === undefined ? {} : await readConfigFile(path)
  const fromEnv = envLayer(env)
  const flags = (opts.flags ?? {}) as Record<string, unknown>

  const merged = [file, fromEnv, flags].reduce(layerOver, defaultConfig() as unknown as Record<string, unknown>)
  const checked = checkConfig(merged)
  if (checked.problem === undefined) return checked.config

  // Blame the layer that supplied the bad value, so the message points where to fix it.
  const { key, message } = checked.problem
  const keyPath = key.split('.')
  if (!has(flags, keyPath) && has(fromEnv, keyPath)) {
    const spec = SPECS.find(s => s.path.every((part, i) => part === keyPath[i]))
    if (spec !== undefined) throw new ConfigError(spec.name, message)
  }
  if (path !== undefined && !has(flags, keyPath) && !has(fromEnv, keyPath) && has(file, keyPath)) {
    throw new ConfigError(key, `${message} (in ${path})`)
  }
  throw new ConfigError(key, message)
}

async function readConfigFile (path: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ConfigError('config', `${path} does not exist`, { cause: err })
    throw new ConfigError('config', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  let value: unknown
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    // V8 sometimes quotes the whole input; drop it (it may hold a token).
    const detail = (err as Error).message.replace(/, ".*" is not valid JSON$/s, '')
    throw new ConfigError('config', `${path} is not valid JSON: ${detail}`, { cause: err })
  }
  if (!isObject(value)) throw new ConfigError('config', `${path} must contain a JSON object`)
  return value
}

function envLayer (env: Record<string, string | undefined>): Record<string, unknown> {
  const layer: Record<string, unknown> = {}
  for (const spec of SPECS) {
    // Empty counts as unset: compose passes "${VAR:-}" as an empty string.
    const raw = nonEmpty(env[spec.name])
    if (raw === undefined) continue
    let target = layer
    for (const part of spec.path.slice(0, -1)) {
      target[part] ??= {}
      target = target[part] as Record<string, unknown>
    }
    target[spec.path.at(-1) as string] = parseEnv(spec, raw)
  }
  return layer
}

function parseEnv (spec: EnvSpec, raw: string): unknown {
  const text = raw.trim()
  switch (spec.kind) {
    case 'string': return raw
    case 'list': return text.split(',').map(s => s.trim()).filter(s => s !== '')
    case 'int': {
      const n = Number(text)
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new ConfigError(spec.name, `must be an integer (got "${raw}")`)
      return n
    }
    case 'bool': {
      const v = text.toLowerCase()
      if (v === 'true' || v === '1') return true
      if (v === 'false' || v === '0') return false
      throw new ConfigError(spec.name, `must be true, false, 1 or 0 (got "${raw}")`)
    }
  }
}

function layerOver (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  if (over.token === undefined && over.tokenFile === undefined) return merge(base, over)
  const { token, tokenFile, ...rest } = base
  return merge(rest, over)
}

function merge (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue
    const prev = out[key]
    const next = isObject(prev) && isObject(value) ? merge(prev, value) : value
    // defineProperty: a "__proto__" key from JSON must stay a plain (and then rejected) key.
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true })
  }
  return out
}

function has (obj: unknown, path: string[]): boolean {
  let cur = obj
  for (const part of path) {
    if (!(isObject(cur) || Array.isArray(cur)) || !Object.hasOwn(cur, part)) return false
    cur = (cur as Record<string, unknown>)[part]
  }
  return true
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const nonEmpty = (s: string | undefined): string | undefined => s === undefined || s === '' ? undefined : s
