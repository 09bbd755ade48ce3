/** The machine and software a run measured, stored with its results. */
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

export interface SourceState { commit: string, srcDirty: boolean }
/** `source`: git HEAD and whether src/ had uncommitted changes, at the start. */
export interface MachineInfo { cpuModel: string, cores: number, totalMemGiB: number, platform: string, kernel: string, node: string, loadAvgAtStart: number[], versions: Record<string, string>, source?: SourceState }

const ROOT = path.join(import.meta.dirname, '..', '..')

/** src/ is edited concurrently, so run.ts reads this again at the end. */
export function sourceState (): SourceState | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return { commit: git('rev-parse', '--short=12', 'HEAD'), srcDirty: git('status', '--porcelain', '--', 'src') !== '' }
  } catch {
    return undefined
  }
}

export const sourceLine = (s: SourceState | undefined): string => s === undefined ? 'src: unknown (no git)' : `src @ ${s.commit}${s.srcDirty ? ' + uncommitted changes' : ''}`
export const loadAvg = (): number[] => os.loadavg().map(v => Math.round(v * 100) / 100)

function version (name: string): string {
  try { return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown' } catch { return 'not installed' }
}

export function machineInfo (): MachineInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, totalMemGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10, platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(), node: process.version, loadAvgAtStart: loadAvg(), source: sourceState(),
    versions: Object.fromEntries(['libp2p', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/gossipsub', '@libp2p/identify', '@libp2p/utils'].map(p => [p, version(p)]))
  }
}

export const machineLine = (m: MachineInfo): string =>
  `${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB, ${m.platform} (${m.kernel}), Node ${m.node}, libp2p ${m.versions.libp2p ?? '?'}, ${sourceLine(m.source)}, load avg at start ${m.loadAvgAtStart.join('/')}`
