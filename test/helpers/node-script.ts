/**
 * Runs one of the project's scripts (the bench driver, a bench tool) as a child process to its end,
 * and finds what it left running: the scripts pass their environment to every worker, so a marker
 * variable names the whole process tree.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface Outcome { code: number | null, stdout: string, stderr: string }

/** Runs `script` with this Node, killed after `timeoutMs`; `env` is added to ours. */
export async function runScript (script: string, args: string[], options: { cwd: string, env?: Record<string, string>, timeoutMs: number }): Promise<Outcome> {
  return await new Promise(resolve => {
    const env = { ...process.env, ...options.env }
    execFile(process.execPath, [script, ...args], { cwd: options.cwd, env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

/** Pids of live processes whose environment holds `marker`. */
export function pidsWithEnv (marker: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry))
    } catch {} // gone, or not ours to read
  }
  return pids
}
