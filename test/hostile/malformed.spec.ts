/**
 * Hostile peers: malformed and oversized input, each case from its own address (127.0.0.100 and up,
 * so a per-IP failed-auth budget never hides the next case's answer). Each kind of bad input gets its ERR
 * (bad_utf8, bad_frame, frame_too_large, truncated) before the close, a JSON body with a byte-order
 * mark is refused, a stream that ends before AUTH with nothing sent gets no ERR and no ban, and a
 * member that sends garbage after JOIN is removed like any disconnect.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encode as varint } from 'uint8-varint'
import { JSON_PROTOCOL } from '../../src/index.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { attackerIp, joinedTextClient, openArena, stopClients, underAttack, why } from '../helpers/hostile.ts'
import { newTestNonce } from '../helpers/json-client.ts'
import { createTextClient } from '../helpers/text-client.ts'
import type { TextClient } from '../helpers/text-client.ts'

const cli = new CliTracker()
const enc = new TextEncoder()

/** Pre-auth text input and the ERR code it must get. */
const TEXT_CASES: Array<{ what: string, bytes: Uint8Array, code: string }> = [
  { what: 'bad UTF-8', bytes: Uint8Array.from([0xff, 0xfe, 0x3a, 0x80, 0x0a]), code: 'bad_utf8' },
  { what: 'a line without a tag', bytes: enc.encode('garbage\n'), code: 'bad_frame' },
  { what: 'an unknown tag', bytes: enc.encode('FOO:bar\n'), code: 'bad_frame' },
  { what: 'an empty tag', bytes: enc.encode(':x\n'), code: 'bad_frame' },
  { what: 'NUL bytes', bytes: Uint8Array.from([0, 0, 0, 0x0a]), code: 'bad_frame' },
  { what: 'a 70 KB line', bytes: enc.encode('A'.repeat(70_000) + '\n'), code: 'frame_too_large' },
  { what: 'a 10 MiB line (1)', bytes: new Uint8Array(10 * 1024 * 1024).fill(0x41), code: 'frame_too_large' },
  { what: 'a 10 MiB line (2)', bytes: new Uint8Array(10 * 1024 * 1024).fill(0x41), code: 'frame_too_large' },
  { what: 'a 10 MiB line (3)', bytes: new Uint8Array(10 * 1024 * 1024).fill(0x41), code: 'frame_too_large' }
]

function jsonFrame (body: Uint8Array): Uint8Array {
  const prefix = varint(body.length)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

/** Pre-auth JSON input and the ERR code it must get (the JSON ERR is a frame). */
const JSON_CASES: Array<{ what: string, bytes: Uint8Array, code: string }> = [
  { what: 'a byte-order mark before the JSON', bytes: jsonFrame(enc.encode(`\uFEFF${JSON.stringify({ type: 'AUTH', step: 'challenge', nonce: newTestNonce() })}`)), code: 'bad_frame' },
  { what: 'a length prefix of 1 GiB', bytes: Uint8Array.from(varint(1 << 30)), code: 'frame_too_large' },
  { what: 'a six-byte length prefix', bytes: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), code: 'bad_frame' },
  { what: 'a JSON array', bytes: jsonFrame(enc.encode('[1,2,3]')), code: 'bad_frame' },
  { what: 'an unknown frame type', bytes: jsonFrame(enc.encode('{"type":"NOPE"}')), code: 'bad_frame' }
]

async function send (addr: string, ip: string, protocol: string | undefined, bytes: Uint8Array): Promise<TextClient> {
  const c = await createTextClient({ localAddress: ip })
  await c.connect(addr, protocol, 5_000)
  c.write(bytes)
  return c
}

/** The ERR code `c` got before its stream closed, within `timeout`. */
async function errCode (c: TextClient, json: boolean, timeout = 10_000): Promise<string> {
  const first = (): string | undefined => {
    if (!json) return c.lines.find(l => l.startsWith('ERR:'))?.split(':')[1]
    try {
      const f = c.frames().find(f => f.type === 'ERR')
      return f?.type === 'ERR' ? f.code : undefined
    } catch { return undefined }
  }
  await Promise.race([c.closed, new Promise(resolve => { setTimeout(resolve, timeout).unref() })])
  return first() ?? `none (stream ${c.stream.status})`
}

describe('hostile malformed input', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - malformed and oversized input gets its ERR, and nothing else happens', async (t) => {
    // A short auth deadline bounds the cases the hub fails to answer.
    const arena = await openArena(cli, { OVERLAY_TIMEOUTS_AUTH_MS: '2000' })
    let next = 100
    const nextIp = (): string => attackerIp(next++)
    const report = await underAttack(arena, 'malformed and oversized input', async ({ expect }) => {
      const clients: TextClient[] = []
      try {
        for (const kase of TEXT_CASES) {
          const c = await send(arena.addr, nextIp(), undefined, kase.bytes)
          clients.push(c)
          const got = await errCode(c, false)
          expect(got === kase.code, `text: ${kase.what} gets ERR:${kase.code} before the close (got ${got})`)
        }
        for (const kase of JSON_CASES) {
          const c = await send(arena.addr, nextIp(), JSON_PROTOCOL, kase.bytes)
          clients.push(c)
          const got = await errCode(c, true)
          expect(got === kase.code, `json: ${kase.what} gets ERR ${kase.code} before the close (got ${got})`)
        }

        // A partial line, then the end: ERR:truncated.
        const partial = await send(arena.addr, nextIp(), undefined, enc.encode('AUTH:letm'))
        clients.push(partial)
        await partial.end()
        const truncated = await errCode(partial, false)
        expect(truncated === 'truncated', `text: a stream that ends in the middle of a line before AUTH gets ERR:truncated (got ${truncated})`)

        // Nothing sent, then the end: no ERR and no ban; the same identity authenticates after.
        const quiet = await createTextClient({ localAddress: nextIp() })
        clients.push(quiet)
        await quiet.connect(arena.addr, undefined, 5_000)
        await quiet.end()
        await Promise.race([quiet.closed, new Promise(resolve => { setTimeout(resolve, 5_000).unref() })])
        expect(!quiet.lines.some(l => l.startsWith('ERR:')), `text: a stream that ends before AUTH with nothing sent gets no ERR (got ${quiet.lines.join(' | ').slice(0, 100)})`)
        const reply = await (async () => {
          try {
            const again = await quiet.connect(arena.addr, undefined, 5_000)
            again.write(`AUTH:${TEST_TOKEN}\n`)
            return await again.waitLine(l => l.startsWith('OK:') || l.startsWith('ERR:'), 5_000)
          } catch (err) { return `refused: ${why(err, 100)}` }
        })()
        expect(reply === 'OK:AUTH', `text: after a stream that ended before AUTH, the same identity is not banned (got "${reply}")`)

        // Garbage after JOIN: ERR, and the member goes like any disconnect (the ghost check follows).
        const member = await joinedTextClient(arena.addr, 'garbler', nextIp())
        clients.push(member)
        member.write(Uint8Array.from([0xc3, 0x28, 0x0a]))
        const after = await errCode(member, false)
        expect(after === 'bad_utf8', `text: bad UTF-8 after JOIN gets ERR:bad_utf8 (got ${after})`)
      } finally {
        await stopClients(clients)
      }
    }, { timeoutMs: 120_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
