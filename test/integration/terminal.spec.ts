/**
 * The terminal UI of `overlay start` in a real pseudo-terminal (util-linux `script`): a prompt that is
 * redrawn under every incoming line so half-typed text is never split, timestamps, colours on a
 * TTY (none with NO_COLOR), `//text` for a line starting with `/`, and a /help that explains plain lines.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { stripVTControlCharacters as strip } from 'node:util'
import { afterEach, describe, it } from 'node:test'
import { BIN, CliTracker } from '../helpers/cli-process.ts'
import { waitFor } from '../helpers/wait-for.ts'
/* eslint-disable no-control-regex -- these tests look for the terminal's escape sequences */
import type { ChildProcess } from 'node:child_process'

const TOKEN = 'letmein123'
const T = 20_000
const cli = new CliTracker()
const ptys: ChildProcess[] = []
afterEach(async () => {
  for (const p of ptys.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  await cli.stopAll()
})

/** `overlay <args>` on a pseudo-terminal; `out()` is everything it drew. */
async function inPty (args: string[], env: Record<string, string>): Promise<{ child: ChildProcess, out: () => string, type: (s: string) => void }> {
  const command = [process.execPath, BIN, ...args].map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...(await cli.env(env)), TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] })
  ptys.push(child)
  let text = ''
  child.stdout?.on('data', (b: Buffer) => { text += b.toString() })
  child.stdin?.on('error', () => {})
  return { child, out: () => text, type: s => { child.stdin?.write(s) } }
}

describe('terminal', () => {
  it('terminal - in a pty the prompt is redrawn under incoming lines, half-typed text survives, //text and /help work', { timeout: 60_000 }, async () => {
    const hub = await cli.spawn('hub', ['start', '--mode', 'hub', '--name', 'hub', '--listen', '/ip4/127.0.0.1/tcp/0', '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'])
    const addr = (await hub.waitEvent('listening', () => true, { timeout: T })).addrs as string[]
    const alice = await cli.spawn('alice', ['start', '--mode', 'leaf', '--name', 'alice', '--bootstrap', addr[0] as string, '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'])
    await hub.waitEvent('joined', e => e.name === 'alice', { timeout: T })
    const tty = await inPty(['start', '--mode', 'leaf', '--name', 'tty', '--bootstrap', addr[0] as string, '--token', TOKEN, '--data-dir', await cli.tempDir()], {})
    await hub.waitEvent('joined', e => e.name === 'tty', { timeout: T })
    await waitFor(() => strip(tty.out()).includes('tty> '), { timeout: T, message: 'the prompt' })

    tty.type('I am half')
    await waitFor(() => strip(tty.out()).includes('tty> I am half'), { timeout: T, message: 'the echo of what is typed' })
    const before = tty.out().length
    hub.write('interrupting message')
    await waitFor(() => strip(tty.out().slice(before)).includes('tty> I am half'), { timeout: T, message: 'the prompt redrawn with the half-typed text' })
      .catch(err => { throw new Error(`${(err as Error).message}: ${JSON.stringify(tty.out())}\n${alice.describe()}\n${hub.describe()}`) })
    const drawn = tty.out().slice(before)
    // The incoming line replaces the prompt line (cleared first), carries a timestamp and a coloured sender...
    assert.match(drawn, /\x1b\[2K/, JSON.stringify(drawn))
    assert.match(strip(drawn), /\d\d:\d\d:\d\d <hub> interrupting message\r?\n/)
    assert.match(drawn, /\x1b\[1m\x1b\[36m<hub>/, 'the sender in colour on a TTY')
    // ...and never lands inside the typed text.
    assert.doesNotMatch(strip(drawn), /I am half[^\n]*<hub>/)
    tty.type(' way\r')
    await alice.waitEvent('message', e => e.from === 'tty' && e.text === 'I am half way', { timeout: T })

    tty.type('//etc/hosts is a path\r')
    await alice.waitEvent('message', e => e.from === 'tty' && e.text === '/etc/hosts is a path', { timeout: T })
    tty.type('/help\r')
    await waitFor(() => strip(tty.out()).includes('A line that does not start with / is sent to every member.'), { timeout: T, message: '/help' })
    tty.type('/exit\r')
    await hub.waitEvent('left', e => e.name === 'tty' && e.reason === 'exit', { timeout: T })
  })

  it('terminal - NO_COLOR turns colours off on a TTY; timestamps stay', { timeout: 60_000 }, async () => {
    const hub = await cli.spawn('hub', ['start', '--mode', 'hub', '--name', 'hub', '--listen', '/ip4/127.0.0.1/tcp/0', '--token', TOKEN, '--data-dir', await cli.tempDir(), '--json'])
    const addr = ((await hub.waitEvent('listening', () => true, { timeout: T })).addrs as string[])[0] as string
    const tty = await inPty(['start', '--mode', 'leaf', '--name', 'plain', '--bootstrap', addr, '--token', TOKEN, '--data-dir', await cli.tempDir()], { NO_COLOR: '1' })
    await hub.waitEvent('joined', e => e.name === 'plain', { timeout: T })
    hub.write('no colours please')
    await waitFor(() => strip(tty.out()).includes('<hub> no colours please'), { timeout: T, message: 'the message' })
    assert.match(tty.out(), /\d\d:\d\d:\d\d <hub> no colours please/)
    assert.doesNotMatch(tty.out(), /\x1b\[(1|2|31|36)m/)
    // Ctrl-C on the raw terminal is a clean leave, like SIGINT.
    const exited = new Promise<number | null>(resolve => { tty.child.once('exit', code => { resolve(code) }) })
    tty.type('\x03')
    await hub.waitEvent('left', e => e.name === 'plain' && e.reason === 'exit', { timeout: T })
    assert.equal(await exited, 0)
  })
})
