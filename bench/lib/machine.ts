/** Machine and software description stored with every result file. */
import os from 'node:os'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface MachineInfo {
  cpuModel: string
  cores: number
  totalMemGiB: number
  platform: string
  kernel: string
  node: string
  loadAvgAtStart: number[]
  versions: Record<string, string>
  /** the overlay code measured: git commit and whether src/ had uncommitted changes (start of the run) */
  source?: SourceState
}

export interface SourceState { commit: string, srcDirty: boolean }

/** git HEAD and src/ status; src/ is edited concurrently, so run.ts checks it again at the end. */
export function sourceState (): SourceState | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return { commit: git('rev-parse', '--short=12', 'HEAD'), srcDirty: git('status', '--porcelain', '--', 'src') !== '' }
  } catch {
    return undefined
  }
}

export function sourceLine (s: SourceState | undefined): string {
  return s === undefined ? 'src: unknown (no git)' : `src @ ${s.commit}${s.srcDirty ? ' + uncommitted changes' : ''}`
}

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function pkgVersion (name: string): string {
  try {
    const req = createRequire(path.join(ROOT, 'package.json'))
    // package.json of ESM-only packages is not always exported; read it from node_modules directly
    let dir: string
    try {
      dir = path.dirname(req.resolve(`${name}/package.json`))
    } catch {
      dir = path.join(ROOT, 'node_modules', name)
    }
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'not installed'
  }
}

export function machineInfo (): MachineInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    loadAvgAtStart: os.loadavg().map(v => Math.round(v * 100) / 100),
    source: sourceState(),
    versions: {
      libp2p: pkgVersion('libp2p'),
      '@libp2p/tcp': pkgVersion('@libp2p/tcp'),
      '@chainsafe/libp2p-noise': pkgVersion('@chainsafe/libp2p-noise'),
      '@chainsafe/libp2p-yamux': pkgVersion('@chainsafe/libp2p-yamux'),
      '@libp2p/gossipsub': pkgVersion('@libp2p/gossipsub'),
      '@libp2p/identify': pkgVersion('@libp2p/identify'),
      '@libp2p/utils': pkgVersion('@libp2p/utils')
    }
  }
}

export function machineLine (m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB, ${m.platform} (${m.kernel}), Node ${m.node}, libp2p ${m.versions.libp2p ?? '?'}, ${sourceLine(m.source)}, load avg at start ${m.loadAvgAtStart.join('/')}`
}
