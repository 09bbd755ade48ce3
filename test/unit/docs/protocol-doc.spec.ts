/**
 * Ties docs/PROTOCOL.md to the code: every error code and frame type is documented, the protocol ids
 * appear, the defaults and fixed-values tables match the source, and the worked examples (hex frames,
 * the original text session, the AUTH and signature test vectors) are what the code produces.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultConfig } from '../../../src/config/defaults.ts'
import * as C from '../../../src/constants.ts'
import { Signer, signedBytes, Verifier } from '../../../src/mesh/signing.ts'
import { authProof, AuthRole } from '../../../src/protocol/auth.ts'
import { ErrorCode, FrameType } from '../../../src/protocol/frames.ts'
import { decodeJsonFrame, encodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/json-codec.ts'
import { decodeClientLine, encodeTextLine, LineDecoder } from '../../../src/protocol/text-codec.ts'
import type { Frame, MemberFrame, MsgFrame } from '../../../src/protocol/frames.ts'

const ROOT = join(import.meta.dirname, '../../..')
const DOC = readFileSync(join(ROOT, 'docs/PROTOCOL.md'), 'utf8')

/** The session from the original design, byte for byte. */
const ORIGINAL_SESSION = 'AUTH:letmein123\nJOIN:alice\nMSG:hello\nEXIT:alice\n'

/** Fenced blocks with a second info word, keyed "lang tag": ```json example:join -> "json example:join". */
function taggedBlocks (): Map<string, string> {
  const blocks = new Map<string, string>()
  for (const m of DOC.matchAll(/^```(\S+) (\S+)\n([\s\S]*?)\n```$/gm)) {
    const [, lang, tag, body] = m
    assert.ok(lang !== undefined && tag !== undefined && body !== undefined)
    const key = `${lang} ${tag}`
    assert.ok(!blocks.has(key), `block ${key} appears twice`)
    blocks.set(key, body)
  }
  return blocks
}

function block (lang: string, tag: string): string {
  const body = taggedBlocks().get(`${lang} ${tag}`)
  assert.ok(body !== undefined, `docs/PROTOCOL.md has no \`\`\`${lang} ${tag} block`)
  return body
}

/** Data rows of the table between <!-- name:begin --> and <!-- name:end -->, as trimmed cells. */
function tableRows (name: string): string[][] {
  const start = DOC.indexOf(`<!-- ${name}:begin -->`)
  const end = DOC.indexOf(`<!-- ${name}:end -->`)
  assert.ok(start !== -1 && end > start, `docs/PROTOCOL.md has no ${name} table`)
  const cells = (line: string): string[] => line.slice(1, line.lastIndexOf('|')).split(/(?<!\\)\|/).map(c => c.trim())
  const [header, , ...rows] = DOC.slice(start, end).split('\n').filter(l => l.startsWith('|')).map(cells)
  assert.ok(header !== undefined && rows.length > 0, `the ${name} table has rows`)
  // A stray | (say inside a code span) would shift the columns of a row, here and when rendered.
  for (const row of rows) assert.equal(row.length, header.length, `${name} row ${JSON.stringify(row)}`)
  return rows
}

/** `x` -> x; fails unless the cell is exactly one code span. */
function code (cell: string | undefined): string {
  const m = /^`([^`]+)`$/.exec(cell ?? '')
  assert.ok(m?.[1] !== undefined, `expected a single \`code\` cell, got ${JSON.stringify(cell)}`)
  return m[1]
}

function integer (cell: string | undefined): number {
  assert.match(cell ?? '', /^\d+$/, `expected a plain integer, got ${JSON.stringify(cell)}`)
  return Number(cell)
}

function configValue (path: string): unknown {
  let cur: unknown = defaultConfig()
  for (const part of path.split('.')) {
    assert.ok(typeof cur === 'object' && cur !== null && Object.hasOwn(cur, part), `defaultConfig() has no ${path}`)
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

/** The value of `const NAME = <integer expression>` in a source file (digits, `_` and `*` only). */
function sourceConstant (file: string, name: string): number {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const m = new RegExp(`^(?:export )?const ${name} = ([\\d_ *]+)$`, 'm').exec(text)
  assert.ok(m?.[1] !== undefined, `${file} defines no integer constant ${name}`)
  return m[1].split('*').map(f => Number(f.trim().replaceAll('_', ''))).reduce((a, b) => a * b, 1)
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('docs/PROTOCOL.md', () => {
  it('protocol-doc - both protocol ids appear', () => {
    assert.ok(DOC.includes(`\`${C.TEXT_PROTOCOL}\``), C.TEXT_PROTOCOL)
    assert.ok(DOC.includes(`\`${C.JSON_PROTOCOL}\``), C.JSON_PROTOCOL)
  })

  it('protocol-doc - the error table lists exactly the ErrorCode values', () => {
    const documented = tableRows('errors').map(r => code(r[0]))
    assert.deepEqual([...documented].sort(), [...Object.values(ErrorCode)].sort())
    for (const row of tableRows('errors')) {
      assert.ok((row[1] ?? '').length > 0 && (row[2] ?? '').length > 0, `${row[0]}: when it is sent and whether it bans`)
    }
  })

  it('protocol-doc - every ErrorCode value appears in the doc', () => {
    for (const value of Object.values(ErrorCode)) assert.ok(DOC.includes(`\`${value}\``), value)
  })

  it('protocol-doc - the frames table covers exactly the FrameType values', () => {
    const types = tableRows('frames').map(r => r[0] ?? '').filter(c => c !== '').map(c => code(c))
    assert.deepEqual([...new Set(types)].sort(), [...Object.values(FrameType)].sort())
    assert.equal(new Set(types).size, types.length, 'each type starts one group of rows')
  })

  it('protocol-doc - every FrameType appears in the doc', () => {
    for (const value of Object.values(FrameType)) assert.ok(DOC.includes(`\`${value}\``), value)
  })

  it('protocol-doc - the defaults table equals src/constants.ts and defaultConfig()', () => {
    const rows = tableRows('defaults')
    const seen = new Set<string>()
    for (const row of rows) {
      const name = code(row[1])
      const value = integer(row[2])
      const constant = (C as Record<string, unknown>)[name]
      assert.equal(typeof constant, 'number', `${name} is a number exported by src/constants.ts`)
      assert.equal(value, constant, `${name}: documented ${value}, code ${String(constant)}`)
      if (row[0] !== '-') assert.equal(configValue(code(row[0])), value, `defaultConfig().${code(row[0])}`)
      seen.add(name)
    }
    const numeric = Object.entries(C).filter(([, v]) => typeof v === 'number').map(([k]) => k)
    for (const name of numeric) assert.ok(seen.has(name), `${name} is missing from the defaults table`)
  })

  it('protocol-doc - every numeric defaultConfig() key is in the defaults table', () => {
    const documented = new Set(tableRows('defaults').filter(r => r[0] !== '-').map(r => code(r[0])))
    const walk = (value: unknown, path: string[]): string[] =>
      typeof value === 'number'
        ? [path.join('.')]
        : typeof value === 'object' && value !== null && !Array.isArray(value)
          ? Object.entries(value).flatMap(([k, v]) => walk(v, [...path, k]))
          : []
    for (const key of walk(defaultConfig(), [])) assert.ok(documented.has(key), `${key} is missing from the defaults table`)
  })

  it('protocol-doc - the fixed-values table equals the source files', () => {
    const rows = tableRows('fixed')
    assert.ok(rows.length > 0)
    for (const row of rows) {
      const name = code(row[0])
      const file = code(row[1])
      assert.equal(integer(row[2]), sourceConstant(file, name), `${file} ${name}`)
    }
  })

  it('protocol-doc - each hex example is encodeJsonFrame() of its JSON example', () => {
    const tags = [...taggedBlocks().keys()].filter(k => k.startsWith('json example:')).map(k => k.slice('json '.length))
    assert.ok(tags.includes('example:join') && tags.includes('example:member'), 'the join and member examples')
    for (const tag of tags) {
      const frame = JSON.parse(block('json', tag)) as Frame
      const wire = encodeJsonFrame(frame)
      assert.equal(block('hex', tag).replace(/\s+/g, ''), hex(wire), tag)
      const bodies = new LengthPrefixDecoder(C.DEFAULT_MAX_FRAME_BYTES).push(wire)
      assert.equal(bodies.length, 1)
      assert.deepEqual(decodeJsonFrame(bodies[0] as Uint8Array), frame)
    }
  })

  it('protocol-doc - the original example session appears byte for byte', () => {
    assert.ok(DOC.includes('```text\n' + ORIGINAL_SESSION + '```'), 'the session as a text block')
    assert.ok(DOC.includes(JSON.stringify(ORIGINAL_SESSION)), 'the session as a string literal')
    assert.ok(DOC.includes(`original design, ${Buffer.byteLength(ORIGINAL_SESSION)} bytes`), 'its length')
    const frames = new LineDecoder(C.DEFAULT_MAX_FRAME_BYTES).push(new TextEncoder().encode(ORIGINAL_SESSION)).map(decodeClientLine)
    assert.deepEqual(frames, [
      { type: 'AUTH', token: 'letmein123' },
      { type: 'JOIN', name: 'alice' },
      { type: 'MSG', text: 'hello' },
      { type: 'EXIT', name: 'alice' }
    ])
    assert.equal(frames.map(encodeTextLine).join(''), ORIGINAL_SESSION)
  })

  it('protocol-doc - the documented node replies are what encodeTextLine produces', () => {
    const alone = ([{ type: 'OK', of: 'AUTH' }, { type: 'OK', of: 'JOIN' }, { type: 'JOIN', name: 'hub' }, { type: 'OK', of: 'EXIT' }] satisfies Frame[])
      .map(encodeTextLine).join('')
    assert.equal(alone, 'OK:AUTH\nOK:JOIN\nJOIN:hub\nOK:EXIT\n')
    assert.ok(DOC.includes('```text\n' + alone + '```'), 'the replies as a text block')
    assert.ok(DOC.includes(JSON.stringify(alone)), 'the replies as a string literal')
    assert.ok(DOC.includes(JSON.stringify('OK:AUTH\nOK:JOIN\nJOIN:bob\nJOIN:hub\nOK:EXIT\n')))
    const truncated = encodeTextLine({ type: 'ERR', code: ErrorCode.truncated, message: 'stream ended in the middle of a line (7 bytes)' })
    assert.ok(DOC.includes(JSON.stringify('OK:AUTH\n' + truncated)))
    assert.throws(() => { const d = new LineDecoder(64); d.push(new TextEncoder().encode('AUTH:letmein123\nJOIN:al')); d.end() },
      (err: Error & { code?: string }) => err.code === ErrorCode.truncated && err.message === 'stream ended in the middle of a line (7 bytes)')
  })

  it('protocol-doc - the AUTH test vector matches authProof() and the documented HMAC input', () => {
    const v = JSON.parse(block('json', 'auth-vector')) as Record<string, string>
    const binding = { dialerNonce: v.dialerNonce ?? '', listenerNonce: v.listenerNonce ?? '', dialerPeerId: v.dialerPeerId ?? '', listenerPeerId: v.listenerPeerId ?? '' }
    const token = v.token ?? ''
    assert.equal(authProof(token, AuthRole.listener, binding), v.listenerProof)
    assert.equal(authProof(token, AuthRole.dialer, binding), v.dialerProof)
    const input = block('text', 'hmac-input:listener')
    assert.equal(input, ['p2p-overlay/auth/v2', 'listener', binding.dialerNonce, binding.listenerNonce, binding.dialerPeerId, binding.listenerPeerId].join('\n'))
    assert.equal(createHmac('sha256', token).update(input).digest('base64url'), v.listenerProof)
    assert.equal(v.dialerNonce?.length, 43)
  })

  it('protocol-doc - the signature test vector matches Signer, signedBytes() and Verifier', async () => {
    const v = JSON.parse(block('json', 'sig-vector')) as { seedHex: string, publicKeyHex: string, frame: MsgFrame }
    const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(v.seedHex, 'hex'))
    assert.equal(hex(key.publicKey.raw), v.publicKeyHex)
    assert.equal(peerIdFromPrivateKey(key).toString(), v.frame.origin)
    assert.equal(new TextDecoder().decode(signedBytes(v.frame)), block('text', 'signed-bytes'))
    const { sig, ...unsigned } = v.frame
    assert.equal(new Signer(key).sign(unsigned), sig)
    assert.ok(new Verifier().verify(v.frame))
    assert.ok(!new Verifier().verify({ ...v.frame, text: v.frame.text + '!' }), 'the text is signed')
    assert.ok(new Verifier().verify({ ...v.frame, hops: 7 }), 'hops is not signed')
    const bodies = new LengthPrefixDecoder(C.DEFAULT_MAX_FRAME_BYTES).push(encodeJsonFrame(v.frame))
    assert.deepEqual(bodies.map(decodeJsonFrame), [v.frame])
  })

  it('protocol doc - the MEMBER signature test vector (7.10) is what the code signs and verifies', async () => {
    const v = JSON.parse(block('json', 'sig-vector')) as { seedHex: string }
    const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(v.seedHex, 'hex'))
    const frame = JSON.parse(block('json', 'member-sig-vector')) as MemberFrame
    assert.equal(peerIdFromPrivateKey(key).toString(), frame.peerId)
    assert.equal(new TextDecoder().decode(signedBytes(frame)), block('text', 'member-signed-bytes'))
    const { sig, ...unsigned } = frame
    assert.equal(new Signer(key).sign(unsigned), sig)
    assert.ok(new Verifier().verifyBy(frame, frame.peerId))
    assert.ok(new Verifier().verifyBy({ ...frame, seq: 43, hops: 2 }, frame.peerId), 'seq and hops are not signed')
    assert.ok(!new Verifier().verifyBy({ ...frame, inc: frame.inc + 1 }, frame.peerId), 'inc is signed')
    assert.deepEqual(new LengthPrefixDecoder(C.DEFAULT_MAX_FRAME_BYTES).push(encodeJsonFrame(frame)).map(decodeJsonFrame), [frame])
  })
})
