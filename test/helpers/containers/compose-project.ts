/**
 * One docker-compose project made from the repository's own docker-compose.yml, under a name unique
 * to this run, removed with everything it made (containers, networks, volumes) by `down()`.
 */
import { join } from 'node:path'
import { ContainerLog, docker, IMAGE, REPO_ROOT, run, TOKEN, uniqueName, type RunResult } from './docker.ts'

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml')

/** Debian's docker-compose 1.29 is `docker-compose`; newer engines ship the `docker compose` plugin. */
async function composeCommand (): Promise<string[]> {
  const v1 = await run('docker-compose', ['version', '--short'], { check: false, timeout: 20_000 }).catch(() => undefined)
  return v1 !== undefined && v1.code === 0 ? ['docker-compose'] : ['docker', 'compose']
}

export class ComposeProject {
  readonly name = uniqueName('c')
  readonly logs = new Map<string, ContainerLog>()
  private cmd: string[] | undefined
  /** Every volume the project's containers mounted, as found by down(). */
  volumes: string[] = []
  readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    OVERLAY_TOKEN: TOKEN,
    OVERLAY_IMAGE: IMAGE,
    // Publish the hub on a free loopback port, not the host's 9000.
    OVERLAY_HUB_PUBLISH: '127.0.0.1::9000',
    OVERLAY_HUB_API_PUBLISH: '127.0.0.1::9100'
  }

  async compose (args: string[], timeout = 180_000): Promise<RunResult> {
    this.cmd ??= await composeCommand()
    const [bin, ...pre] = this.cmd as [string, ...string[]]
    return await run(bin, [...pre, '-f', COMPOSE_FILE, '-p', this.name, ...args], { timeout, env: this.env })
  }

  /** Containers of this project (running or not), by name. */
  async containers (service?: string): Promise<string[]> {
    const filters = ['--filter', `label=com.docker.compose.project=${this.name}`]
    if (service !== undefined) filters.push('--filter', `label=com.docker.compose.service=${service}`)
    const out = (await docker(['ps', '-a', ...filters, '--format', '{{.Names}}'])).stdout
    return out.split('\n').filter(Boolean).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  }

  /** Starts following the logs of every container of the project not followed yet. */
  async follow (): Promise<void> {
    for (const c of await this.containers()) if (!this.logs.has(c)) this.logs.set(c, new ContainerLog(c))
  }

  log (container: string): ContainerLog {
    const l = this.logs.get(container)
    if (l === undefined) throw new Error(`not following ${container}`)
    return l
  }

  get network (): string { return `${this.name}_default` }

  /** Removes the project's containers, networks and volumes; then checks by label that nothing is left. */
  async down (): Promise<void> {
    for (const l of this.logs.values()) l.close()
    const ids = await this.containers()
    // Anonymous volumes carry no project label: note them from the containers' mounts first.
    this.volumes = ids.length === 0 ? [] : (await docker(['inspect', '-f', '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}', ...ids], { check: false })).stdout.split(/\s+/).filter(Boolean)
    await this.compose(['--profile', 'mesh', 'down', '-v', '--remove-orphans', '--timeout', '5'], 120_000).catch(() => {})
    const label = `label=com.docker.compose.project=${this.name}`
    const left = (await docker(['ps', '-aq', '--filter', label])).stdout.split('\n').filter(Boolean)
    if (left.length > 0) await docker(['rm', '-fv', ...left], { check: false })
    const vols = [...new Set([...this.volumes, ...(await docker(['volume', 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean)])]
      .filter(v => this.volumes.includes(v) || v.startsWith(`${this.name}_`))
    if (vols.length > 0) await docker(['volume', 'rm', '-f', ...vols], { check: false })
    const nets = (await docker(['network', 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean)
    if (nets.length > 0) await docker(['network', 'rm', ...nets], { check: false })
  }

  /** What is still there, labelled with this project (for the nothing-left-behind check). */
  async leftovers (): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.name}`
    const out = await Promise.all([
      docker(['ps', '-aq', '--filter', label]),
      docker(['volume', 'ls', '-q', '--filter', label]),
      docker(['network', 'ls', '-q', '--filter', label])
    ])
    const allVolumes = (await docker(['volume', 'ls', '-q'])).stdout.split('\n')
    return [...out.flatMap(r => r.stdout.split('\n').filter(Boolean)), ...this.volumes.filter(v => allVolumes.includes(v))]
  }
}
