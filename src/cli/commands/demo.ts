/**
 * `overlay demo`: N peers on loopback, each its own `overlay start` process. Prints their events,
 * has each say hello once the mesh has converged, and stops them all on Ctrl-C.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateToken } from '../../protocol/auth.ts'
import { UsageError } from '../args.ts'
import type { ChildProcess } from 'node:child_process'
import type { ParsedArgs } from '../args.ts'
import type { Io } from '../main.ts'

const DEFAULT_NODES = 5
const MAX_NODES = 50
const STOP_GRACE_MS = 10_000
const BIN = fileURLToPath(new URL(`../bin${extname(fileURLToPath(import.meta.url))}`, import.meta.url))

interface DemoNode { name: string, child: ChildProcess, members: Set<string>, said: boolean }

/**
 * The `overlay start` arguments of one demo node. The token goes as `--token=T`: a generated token
 * starts with a dash one time in 64, and `--token -x...` would read as another flag.
 */
export function startArgs (name: string, token: string, dataDir: string, bootstrap: string[]): string[] {
  return ['start', '--mode', 'peer', '--name', name, '--listen', '/ip4/127.0.0.1/tcp/0', `--token=${token}`, '--data-dir', dataDir, '--json', ...bootstrap.flatMap(b => ['--bootstrap', b])]
}

export async function runDemo (values: ParsedArgs['values'], io: Io): Promise<number> {
  const count = values.nodes === undefined ? DEFAULT_NODES : Number(values.nodes)
  if (!Number.isSafeInteger(count) || count < 2 || count > MAX_NODES) throw new UsageError(`--nodes must be a whole number from 2 to ${MAX_NODES}`, 'demo')
  const dir = await mkdtemp(join(tmpdir(), 'overlay-demo-'))
  const token = generateToken()
  const nodes: DemoNode[] = []
  const json = values.json === true
  const say = (name: string, text: string): void => { io.stdout.write(json ? text + '\n' : `[${name}] ${text}\n`) }

  const launch = (i: number, bootstrap: string[]): DemoNode => {
    const name = `node-${i}`
    const child = spawn(process.execPath, [BIN, ...startArgs(name, token, join(dir, name), bootstrap)], { stdio: ['pipe', 'pipe', 'inherit'] })
    child.stdin?.on('error', () => {}) // a line typed as the child exits
    const node: DemoNode = { name, child, members: new Set([name]), said: false }
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => { onEvent(node, line) })
    nodes.push(node)
    return node
  }

  let seed: ((addr: string) => void) | undefined
  const seedAddr = new Promise<string>(resolve => { seed = resolve })
  const onEvent = (node: DemoNode, line: string): void => {
    let e: { type: string, [k: string]: unknown }
    try { e = JSON.parse(line) } catch { say(node.name, line); return }
    if (e.type === 'listening' && node.name === 'node-1') seed?.((e.addrs as string[])[0] as string)
    if (e.type === 'joined') node.members.add(e.name as string)
    if (e.type === 'left') node.members.delete(e.name as string)
    // JSON lines carry the node that saw them, since every node's events share one stream.
    if (['joined', 'left', 'failed', 'message', 'error'].includes(e.type)) say(node.name, json ? JSON.stringify({ ...e, node: node.name }) : describe(e))
    // Once every node sees the whole mesh, each says hello once.
    if (nodes.length === count && nodes.every(n => n.members.size === count)) {
      for (const n of nodes) {
        if (!n.said) { n.said = true; n.child.stdin?.write(`hello from ${n.name}\n`) }
      }
    }
  }

  // Handlers first, so a Ctrl-C at any point still stops every child and removes the temp dir.
  let stop: () => void = () => {}
  const stopped = new Promise<void>(resolve => { stop = resolve })
  io.signals.on('SIGINT', stop)
  io.signals.on('SIGTERM', stop)
  try {
    const first = launch(1, [])
    const seedTimeout = new Promise<never>((_resolve, reject) => { setTimeout(() => { reject(new Error('the first node did not start within 10 s')) }, STOP_GRACE_MS).unref() })
    // Its own error is on stderr already (inherited); without this the demo would wait for an address that never comes.
    const seedExit = new Promise<never>((_resolve, reject) => {
      first.child.once('exit', (code, signal) => { reject(new Error(`node-1 exited (${signal ?? `code ${code}`}) before it listened`)) })
    })
    const addr = await Promise.race([seedAddr, seedTimeout, seedExit, stopped])
    if (typeof addr !== 'string') return 0
    for (let i = 2; i <= count; i++) launch(i, [addr])
    if (!json) io.stdout.write(`demo: ${count} nodes on loopback; type a line to send it from node-1, Ctrl-C stops them all\n`)
    // Stays interactive: what is typed goes out from node-1 (its /commands work too). End of input keeps the demo running.
    const input = createInterface({ input: io.stdin, terminal: false })
    input.on('line', line => { if (line.trim() !== '') first.child.stdin?.write(line + '\n') })
    try {
      await stopped
    } finally {
      input.close()
    }
    return 0
  } finally {
    io.signals.off('SIGINT', stop)
    io.signals.off('SIGTERM', stop)
    await Promise.all(nodes.map(async n => { await stopChild(n.child) }))
    await rm(dir, { recursive: true, force: true })
  }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

function describe (e: { type: string, [k: string]: unknown }): string {
  switch (e.type) {
    case 'message': return `<${String(e.from)}> ${String(e.text)}`
    case 'error': return `! ${String(e.code)}: ${String(e.message)}`
    default: return `* ${String(e.name)} ${e.type}${e.reason === undefined ? '' : ` (${String(e.reason)})`}`
  }
}
