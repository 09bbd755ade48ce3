/** README's CLI reference against the argument table: every command is there, with flags it accepts. */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { COMMANDS, usage } from '../../../src/cli/args.ts'
import type { CommandName } from '../../../src/cli/args.ts'

const README = new URL('../../../README.md', import.meta.url)

async function referenceBlock (): Promise<string> {
  const readme = await readFile(README, 'utf8')
  const section = readme.slice(readme.indexOf('## CLI reference'))
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(block !== undefined, 'README has a CLI reference block')
  return block
}

describe('cli readme', () => {
  it('readme - the CLI reference names every command, and every flag it shows is one that command accepts', async () => {
    const block = await referenceBlock()
    const shown = new Map<string, Set<string>>()
    let current: string | undefined
    for (const line of block.split('\n')) {
      const cmd = /^overlay ([a-z]+)\b/.exec(line)?.[1]
      if (cmd !== undefined) current = cmd
      if (current === undefined) continue
      const flags = shown.get(current) ?? new Set<string>()
      for (const [, flag] of line.matchAll(/(?:^|[\s[|])--([a-z][a-z-]*)/g)) flags.add(flag as string)
      shown.set(current, flags)
    }
    for (const name of Object.keys(COMMANDS)) assert.ok(shown.has(name), `README shows overlay ${name}`)
    for (const [cmd, flags] of shown) {
      if (!Object.hasOwn(COMMANDS, cmd)) continue // `overlay --help`
      const accepted = COMMANDS[cmd as CommandName].flags as Record<string, unknown>
      for (const flag of flags) assert.ok(flag === 'help' || flag === 'version' || Object.hasOwn(accepted, flag), `README shows overlay ${cmd} --${flag}, which it does not accept`)
    }
  })

  it('readme - --help of each verb that talks to a running node shows how it finds the node', () => {
    for (const cmd of ['members', 'peers', 'send', 'events', 'stats', 'leave'] as const) {
      const text = usage(cmd)
      for (const flag of ['--data-dir DIR', '--name NAME', '--api URL', '--api-token T', '--timeout MS']) assert.ok(text.includes(flag), `${cmd} --help shows ${flag}`)
    }
    assert.match(usage('send'), /^usage: overlay send \[flags\] TEXT$/m)
    assert.match(usage('start'), /--api HOST:PORT\|off/)
  })
})
