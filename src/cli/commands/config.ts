/** Shared by the commands that read a node's config without running it (id, health). */
import { loadConfig } from '../../config/load.ts'
import { dataDirFor } from '../../node/data-dir.ts'
import { flagsToConfig } from '../args.ts'
import type { OverlayConfig } from '../../config/defaults.ts'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

export async function configAndDir (values: ParsedArgs['values'], io: Io): Promise<{ config: OverlayConfig, dir: string }> {
  const { path, flags } = flagsToConfig(values)
  const config = await loadConfig({ ...(path === undefined ? {} : { path }), env: io.env, flags })
  return { config, dir: dataDirFor(config.dataDir, config.name) }
}
