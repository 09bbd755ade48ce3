/**
 * Ties the connection-limits table of docs/SECURITY.md to the code: each config key exists with the
 * documented default, and each counter is a field of node.stats().connections.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { defaultConfig } from '../../../src/config/defaults.ts'
import { ConnGuard } from '../../../src/node/conn-guard.ts'

const DOC = readFileSync(join(import.meta.dirname, '../../../docs/SECURITY.md'), 'utf8')

function rows (): string[][] {
  const start = DOC.indexOf('<!-- connection-limits:begin -->')
  const end = DOC.indexOf('<!-- connection-limits:end -->')
  assert.ok(start !== -1 && end > start, 'docs/SECURITY.md has the connection-limits table')
  const cells = (line: string): string[] => line.slice(1, line.lastIndexOf('|')).split('|').map(c => c.trim())
  const [header, , ...body] = DOC.slice(start, end).split('\n').filter(l => l.startsWith('|')).map(cells)
  assert.ok(header !== undefined && body.length > 0)
  for (const row of body) assert.equal(row.length, header.length, JSON.stringify(row))
  return body
}

const codes = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map(m => m[1] as string)
const configValue = (key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], defaultConfig())

describe('security-doc', () => {
  it('security-doc - every config key in the connection-limits table exists with the documented default', () => {
    const config = defaultConfig()
    let checked = 0
    for (const [, keyCell = '', defaultCell = ''] of rows()) {
      const keys = codes(keyCell).filter(k => /^(limits|timeouts)\.\w+$/.test(k))
      const numbers = [...defaultCell.matchAll(/\d+/g)].map(m => Number(m[0]))
      if (keyCell.startsWith('derived')) {
        const l = config.limits
        assert.deepEqual(numbers, [l.maxSessions + l.maxUnauthenticatedPerIp + 64], 'maxConnections')
        continue
      }
      assert.ok(keys.length > 0, `a config key in ${keyCell}`)
      assert.deepEqual(keys.map(configValue), numbers, keyCell)
      checked++
    }
    assert.ok(checked >= 10)
  })

  it('security-doc - every counter in the table is a field of node.stats().connections', () => {
    const stats = new ConnGuard({ ...defaultConfig().limits, failureWindowMs: 1, banMs: 1, authMs: 1, upgradeMs: 1 }).stats() as unknown as Record<string, unknown>
    let checked = 0
    for (const row of rows()) {
      for (const counter of codes(row[3] ?? '').filter(c => /^[a-zA-Z.]+$/.test(c) && !['rejected'].includes(c))) {
        const value = counter.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], stats)
        assert.equal(typeof value, 'number', `stats().connections.${counter}`)
        checked++
      }
    }
    assert.ok(checked >= 10)
  })
})
