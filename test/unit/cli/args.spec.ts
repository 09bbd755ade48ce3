import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { COMMANDS, flagsToConfig, parseArgs, usage, UsageError } from '../../../src/cli/args.ts'
import { main } from '../../../src/cli/main.ts'
import type { CommandName, ParsedArgs } from '../../../src/cli/args.ts'
import type { Io } from '../../../src/cli/main.ts'

/** Calls fn and returns the UsageError it throws (fails if it throws anything else, or nothing). */
function usageError (fn: () => unknown): UsageError {
  let caught: unknown
  assert.throws(fn, (err: unknown) => { caught = err; return true })
  const err = caught as UsageError
  assert.equal(err.name, 'UsageError', String(err))
  return err
}

/** An Io of in-memory streams; `out()` and `err()` return what was written so far. */
function fakeIo (env: Record<string, string | undefined> = {}): { io: Io, out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b: Buffer) => { out += b.toString() })
  stderr.on('data', (b: Buffer) => { err += b.toString() })
  const io: Io = { stdin: new PassThrough(), stdout, stderr, env, signals: new EventEmitter() }
  return { io, out: () => out, err: () => err }
}

const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[]

/** parseArgs with the values copied to a plain object (node:util returns a null-prototype one). */
function parse (argv: string[]): ParsedArgs {
  const parsed = parseArgs(argv)
  return { ...parsed, values: { ...parsed.values } }
}

describe('cli args', () => {
  it('args - start parses every flag', () => {
    const parsed = parse([
      'start', '--mode', 'hub', '--name', 'hub-1', '--listen', '/ip4/127.0.0.1/tcp/9000', '--bootstrap', '/ip4/127.0.0.1/tcp/9001',
      '--token', 'letmein123', '--data-dir', '/tmp/x', '--config', 'c.json', '--encryption', 'tls', '--json'
    ])
    assert.deepEqual(parsed, {
      command: 'start',
      values: {
        mode: 'hub',
        name: 'hub-1',
        listen: ['/ip4/127.0.0.1/tcp/9000'],
        bootstrap: ['/ip4/127.0.0.1/tcp/9001'],
        token: 'letmein123',
        'data-dir': '/tmp/x',
        config: 'c.json',
        encryption: 'tls',
        json: true
      }
    })
  })

  it('args - start accepts --token-file and --flag=value', () => {
    const parsed = parseArgs(['start', '--token-file=/tmp/t', '--mode=leaf'])
    assert.equal(parsed.command, 'start')
    assert.equal(parsed.values['token-file'], '/tmp/t')
    assert.equal(parsed.values.mode, 'leaf')
  })

  it('args - start with no flags has no values set', () => {
    const parsed = parseArgs(['start'])
    assert.equal(parsed.command, 'start')
    assert.equal(parsed.values.mode, undefined)
    assert.equal(parsed.values.listen, undefined)
    assert.equal(parsed.values.json, undefined)
  })

  it('args - repeated --listen and --bootstrap collect every value in order', () => {
    const parsed = parseArgs([
      'start', '--listen', '/ip4/127.0.0.1/tcp/1', '--bootstrap', '/ip4/127.0.0.1/tcp/3', '--listen', '/ip4/127.0.0.1/tcp/2',
      '--bootstrap', '/ip4/127.0.0.1/tcp/4', '--bootstrap', '/ip4/127.0.0.1/tcp/5'
    ])
    assert.deepEqual(parsed.values.listen, ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    assert.deepEqual(parsed.values.bootstrap, ['/ip4/127.0.0.1/tcp/3', '/ip4/127.0.0.1/tcp/4', '/ip4/127.0.0.1/tcp/5'])
  })

  it('args - a single --listen is still a list', () => {
    assert.deepEqual(parseArgs(['start', '--listen', '/ip4/127.0.0.1/tcp/0']).values.listen, ['/ip4/127.0.0.1/tcp/0'])
  })

  it('args - id parses the config flags and --json', () => {
    const parsed = parse(['id', '--data-dir', '/tmp/d', '--name', 'alice', '--json'])
    assert.deepEqual(parsed, { command: 'id', values: { 'data-dir': '/tmp/d', name: 'alice', json: true } })
  })

  it('args - id takes --create (an identity is made only when asked)', () => {
    assert.deepEqual(parse(['id', '--name', 'bob', '--create']), { command: 'id', values: { name: 'bob', create: true } })
    assert.match(usage('id'), /--create/)
  })

  it('args - health parses --addr, --timeout and the config flags', () => {
    const parsed = parse(['health', '--addr', '/ip4/127.0.0.1/tcp/9000', '--timeout', '250', '--token', 'letmein123', '--data-dir', '/tmp/d', '--json'])
    assert.deepEqual(parsed, {
      command: 'health',
      values: { addr: '/ip4/127.0.0.1/tcp/9000', timeout: '250', token: 'letmein123', 'data-dir': '/tmp/d', json: true }
    })
  })

  it('args - demo parses --nodes and --json', () => {
    assert.deepEqual(parse(['demo', '--nodes', '3', '--json']), { command: 'demo', values: { nodes: '3', json: true } })
  })

  it('args - no arguments, --help, -h and help ask for the general help', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      assert.deepEqual(parseArgs(argv), { command: 'help', values: {} }, argv.join(' '))
    }
  })

  it('args - --version and -v ask for the version', () => {
    assert.equal(parseArgs(['--version']).command, 'version')
    assert.equal(parseArgs(['-v']).command, 'version')
  })

  it('args - --help (and -h, help CMD) after each command asks for that command\'s help', () => {
    for (const name of COMMAND_NAMES) {
      assert.deepEqual(parseArgs([name, '--help']), { command: 'help', helpFor: name, values: {} }, name)
      assert.deepEqual(parseArgs([name, '-h']), { command: 'help', helpFor: name, values: {} }, name)
      assert.deepEqual(parseArgs(['help', name]), { command: 'help', helpFor: name, values: {} }, name)
    }
  })

  it('args - --help wins over the other flags of a command', () => {
    assert.deepEqual(parseArgs(['start', '--mode', 'hub', '--help']), { command: 'help', helpFor: 'start', values: {} })
  })

  it('args - an unknown flag is a UsageError naming the flag and the command', () => {
    const err = usageError(() => parseArgs(['start', '--bogus']))
    assert.match(err.message, /--bogus/)
    assert.equal(err.command, 'start')
  })

  it('args - a flag of another command is a UsageError', () => {
    assert.equal(usageError(() => parseArgs(['demo', '--mode', 'hub'])).command, 'demo')
    assert.equal(usageError(() => parseArgs(['id', '--listen', '/ip4/127.0.0.1/tcp/0'])).command, 'id')
    assert.equal(usageError(() => parseArgs(['start', '--nodes', '3'])).command, 'start')
  })

  it('args - a string flag without its value is a UsageError', () => {
    const err = usageError(() => parseArgs(['start', '--mode']))
    assert.match(err.message, /--mode/)
  })

  it('args - a value for a boolean flag is a UsageError', () => {
    usageError(() => parseArgs(['start', '--json=yes']))
  })

  it('args - a positional argument is a UsageError', () => {
    const err = usageError(() => parseArgs(['start', 'extra']))
    assert.match(err.message, /extra/)
    assert.equal(err.command, 'start')
  })

  it('args - the error message drops node:util\'s "To specify ..." hint', () => {
    const err = usageError(() => parseArgs(['start', '--bogus']))
    assert.doesNotMatch(err.message, /To specify/)
  })

  it('args - an unknown command is a UsageError without a command', () => {
    const err = usageError(() => parseArgs(['launch']))
    assert.match(err.message, /launch/)
    assert.equal(err.command, undefined)
  })

  it('args - help for an unknown command is a UsageError', () => {
    assert.match(usageError(() => parseArgs(['help', 'launch'])).message, /launch/)
  })

  it('args - a command name from Object.prototype is not a command', () => {
    usageError(() => parseArgs(['toString']))
    usageError(() => parseArgs(['__proto__']))
    usageError(() => parseArgs(['help', 'constructor']))
  })

  it('args - flagsToConfig maps every config flag to its config key', () => {
    const { values } = parseArgs([
      'start', '--mode', 'leaf', '--name', 'alice', '--listen', '/ip4/127.0.0.1/tcp/1', '--listen', '/ip4/127.0.0.1/tcp/2',
      '--bootstrap', '/ip4/127.0.0.1/tcp/3', '--token', 'letmein123', '--data-dir', '/tmp/d', '--encryption', 'tls', '--config', '/tmp/c.json', '--json'
    ])
    assert.deepEqual(flagsToConfig(values), {
      path: '/tmp/c.json',
      flags: {
        mode: 'leaf',
        name: 'alice',
        listen: ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'],
        bootstrap: ['/ip4/127.0.0.1/tcp/3'],
        token: 'letmein123',
        dataDir: '/tmp/d',
        encryption: 'tls'
      }
    })
  })

  it('args - flagsToConfig maps --token-file to tokenFile', () => {
    assert.deepEqual(flagsToConfig(parseArgs(['start', '--token-file', '/tmp/t']).values), { flags: { tokenFile: '/tmp/t' } })
  })

  it('args - flagsToConfig leaves unset flags out (no path, no undefined keys)', () => {
    const result = flagsToConfig(parseArgs(['start']).values)
    assert.deepEqual(result, { flags: {} })
    assert.equal(Object.hasOwn(result, 'path'), false)
    assert.deepEqual(Object.keys(result.flags), [])
  })

  it('args - flagsToConfig ignores flags that are not config (json, nodes, timeout, addr)', () => {
    assert.deepEqual(flagsToConfig(parseArgs(['health', '--timeout', '5', '--addr', '/ip4/127.0.0.1/tcp/1', '--json']).values), { flags: {} })
    assert.deepEqual(flagsToConfig(parseArgs(['demo', '--nodes', '3']).values), { flags: {} })
  })

  it('args - usage() lists every command with its summary', () => {
    const text = usage()
    assert.match(text, /^usage: overlay <command>/)
    for (const [name, spec] of Object.entries(COMMANDS)) {
      assert.ok(text.includes(name), name)
      assert.ok(text.includes(spec.summary), spec.summary)
    }
  })

  it('args - usage(command) lists every flag of the COMMANDS table with its help, and --help', () => {
    for (const name of COMMAND_NAMES) {
      const text = usage(name)
      assert.ok(text.startsWith(`usage: overlay ${name} [flags]`), text)
      assert.ok(text.includes(COMMANDS[name].summary))
      const flags = COMMANDS[name].flags as Record<string, { help: string, arg?: string }>
      for (const [flag, spec] of Object.entries(flags)) {
        const left = `--${flag}${spec.arg === undefined ? '' : ` ${spec.arg}`}`
        assert.match(text, new RegExp(`^  ${escape(left)} +${escape(spec.help)}$`, 'm'), `${name}: ${flag}`)
      }
      assert.match(text, /^ {2}--help +show this help$/m)
    }
  })

  it('args - usage(start) shows a few known flags with their argument names', () => {
    const text = usage('start')
    assert.match(text, /--mode peer\|hub\|leaf/)
    assert.match(text, /--listen MULTIADDR +listen address, repeatable/)
    assert.match(text, /--bootstrap MULTIADDR/)
    assert.match(text, /--token-file F/)
    assert.match(text, /--json +one JSON event per line/)
    assert.match(usage('demo'), /--nodes N/)
    assert.match(usage('health'), /--timeout MS/)
  })

  it('args - every flag in usage() is one parseArgs accepts', () => {
    for (const name of COMMAND_NAMES) {
      for (const [, flag] of usage(name).matchAll(/^ {2}--([a-z-]+)/gm)) {
        if (flag === 'help') continue
        const spec = (COMMANDS[name].flags as Record<string, { type: string }>)[flag as string]
        assert.ok(spec !== undefined, `${name} --${flag}`)
        const argv = spec.type === 'boolean' ? [name, `--${flag}`] : [name, `--${flag}`, 'x']
        assert.equal(parseArgs(argv).command, name, argv.join(' '))
      }
    }
  })
})

describe('cli main', () => {
  it('main - --help prints the general usage on stdout and exits 0', async () => {
    const { io, out, err } = fakeIo()
    assert.equal(await main(['--help'], io), 0)
    assert.equal(out(), usage() + '\n')
    assert.equal(err(), '')
  })

  it('main - no arguments prints the general usage and exits 0', async () => {
    const { io, out } = fakeIo()
    assert.equal(await main([], io), 0)
    assert.equal(out(), usage() + '\n')
  })

  it('main - CMD --help prints that command\'s usage and exits 0', async () => {
    for (const name of COMMAND_NAMES) {
      const { io, out, err } = fakeIo()
      assert.equal(await main([name, '--help'], io), 0, name)
      assert.equal(out(), usage(name) + '\n')
      assert.equal(err(), '')
    }
  })

  it('main - --version prints the package version and exits 0', async () => {
    const { io, out } = fakeIo()
    assert.equal(await main(['--version'], io), 0)
    assert.match(out(), /^\d+\.\d+\.\d+\S*\n$/)
  })

  it('main - an unknown flag exits 2 with the message and the command\'s usage on stderr', async () => {
    const { io, out, err } = fakeIo()
    assert.equal(await main(['start', '--bogus'], io), 2)
    assert.equal(out(), '')
    assert.match(err(), /^overlay: .*--bogus/)
    assert.ok(err().includes(usage('start')), err())
  })

  it('main - an unknown command exits 2 with the general usage on stderr', async () => {
    const { io, out, err } = fakeIo()
    assert.equal(await main(['launch'], io), 2)
    assert.equal(out(), '')
    assert.match(err(), /launch/)
    assert.ok(err().includes(usage()), err())
  })

  it('main - start --mode foo exits 2 naming "--mode" as typed, before starting anything', async () => {
    const { io, out, err } = fakeIo()
    assert.equal(await main(['start', '--mode', 'foo'], io), 2)
    assert.equal(out(), '')
    assert.match(err(), /^overlay: --mode: /)
    assert.match(err(), /foo/)
    assert.ok(err().includes(usage('start')), err())
  })

  it('main - a bad OVERLAY_* variable exits 2 naming the variable', async () => {
    const { io, err } = fakeIo({ OVERLAY_MODE: 'foo' })
    assert.equal(await main(['start'], io), 2)
    assert.match(err(), /OVERLAY_MODE/)
  })

  it('main - health --timeout x exits 2 naming --timeout', async () => {
    const { io, out, err } = fakeIo()
    assert.equal(await main(['health', '--timeout', 'x'], io), 2)
    assert.equal(out(), '')
    assert.match(err(), /--timeout/)
    assert.ok(err().includes(usage('health')), err())
  })

  it('main - health --timeout 0 and a fraction exit 2', async () => {
    for (const t of ['0', '-5', '1.5']) {
      const { io } = fakeIo()
      assert.equal(await main(['health', '--timeout', t], io), 2, t)
    }
  })

  it('main - demo --nodes outside 2-50 exits 2 naming --nodes', async () => {
    for (const n of ['1', '51', 'x', '2.5']) {
      const { io, err } = fakeIo()
      assert.equal(await main(['demo', '--nodes', n], io), 2, n)
      assert.match(err(), /--nodes/)
      assert.ok(err().includes(usage('demo')), err())
    }
  })

  it('main - a missing --config file exits 2 naming the file', async () => {
    const { io, err } = fakeIo()
    assert.equal(await main(['start', '--config', '/nonexistent/overlay-config.json'], io), 2)
    assert.match(err(), /overlay-config\.json/)
  })
})

function escape (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
