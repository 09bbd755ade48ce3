/** Loads the config for a command, and names a bad value the way the user gave it (a flag, a key, a variable). */
import { loadConfig } from '../../config/load.ts'
import { ConfigError } from '../../errors.ts'
import { dataDirFor } from '../../node/data-dir.ts'
import { flagsToConfig } from '../args.ts'
import type { OverlayConfig } from '../../config/defaults.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

/** Config keys set by flags, and the flag each one came from. */
const FLAG_FOR_KEY: Record<string, string> = {
  mode: '--mode',
  name: '--name',
  listen: '--listen',
  bootstrap: '--bootstrap',
  token: '--token',
  tokenFile: '--token-file',
  dataDir: '--data-dir',
  encryption: '--encryption'
}

export async function loadCliConfig (values: ParsedArgs['values'], io: Io): Promise<{ config: OverlayConfig }> {
  const { path, flags } = flagsToConfig(values)
  try {
    return { config: await loadConfig({ ...(path === undefined ? {} : { path }), env: io.env, flags }) }
  } catch (err) {
    const e = err as ConfigError
    if (e.name !== ConfigError.name) throw err
    // "listen.0: ..." becomes "--listen: ..." when the bad value came from --listen.
    const top = e.key.split('.')[0] ?? ''
    const flag = FLAG_FOR_KEY[top]
    if (flag !== undefined && (flags as Record<string, unknown>)[top] !== undefined) {
      throw new ConfigError(flag, e.message.slice(e.key.length + 2), { cause: err })
    }
    throw err
  }
}

export async function configAndDir (values: ParsedArgs['values'], io: Io): Promise<{ config: OverlayConfig, dir: string }> {
  const { config } = await loadCliConfig(values, io)
  return { config, dir: dataDirFor(config.dataDir, config.name) }
}
