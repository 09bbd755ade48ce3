/** The config module's public door. */
export { defaultConfig, Mode, Encryption, type OverlayConfig } from './defaults.ts'
export { validateConfig } from './schema.ts'
export { loadConfig, ENV_VARS, CONFIG_ENV_VAR, type PartialConfig } from './load.ts'
