import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { createPrinter, useColor } from '../../../src/cli/output.ts'
import { EVENT_TYPES } from '../../../src/cli/commands/start.ts'
import type { OverlayEvent, OverlayEventType } from '../../../src/events.ts'

const PEER = '12D3KooWHbLkxJt3JsDrMYHNZxeSqb7vwmgjBvsmfDsvXf6nD7pq'
const OTHER = '12D3KooWRhY6GkfBpN6oT3aQ1sdWvc6sMZyLkkxQ6nrJ4aGv1xYz'

/** At least one event of every type, with and without each optional field. */
const SAMPLES: OverlayEvent[] = [
  { type: 'listening', peerId: PEER, addrs: [`/ip4/127.0.0.1/tcp/9000/p2p/${PEER}`, `/ip4/10.0.0.2/tcp/9000/p2p/${PEER}`], name: 'hub', mode: 'hub' },
  { type: 'listening', peerId: PEER, addrs: [], name: 'lonely', mode: 'leaf' },
  { type: 'session', action: 'open', peerId: OTHER, name: 'alice', wire: 'json', mode: 'leaf', encryption: 'noise' },
  { type: 'session', action: 'close', peerId: OTHER, name: 'alice', wire: 'text', mode: 'leaf', encryption: 'tls', reason: 'exit' },
  { type: 'joined', name: 'alice', peerId: OTHER, reason: 'join' },
  { type: 'joined', name: 'alice', peerId: OTHER, reason: 'rejoin' },
  { type: 'left', name: 'alice', peerId: OTHER, reason: 'exit' },
  { type: 'left', name: 'bob', peerId: OTHER, reason: 'disconnect' },
  { type: 'left', name: 'carol', peerId: OTHER, reason: 'failed' },
  { type: 'suspect', name: 'alice', peerId: OTHER, reason: 'silent' },
  { type: 'suspect', name: 'alice', peerId: OTHER, reason: 'reported' },
  { type: 'failed', name: 'alice', peerId: OTHER, reason: 'timeout' },
  { type: 'failed', name: 'alice', peerId: OTHER, reason: 'reported' },
  { type: 'alive', name: 'alice', peerId: OTHER, reason: 'refuted' },
  { type: 'alive', name: 'alice', peerId: OTHER, reason: 'rejoined' },
  { type: 'message', id: 'm1', from: 'alice', origin: OTHER, text: 'hello everyone', ts: 1_700_000_000_000 },
  { type: 'message', id: 'm2', from: 'alice', origin: OTHER, text: 'just for you', ts: 1_700_000_000_001, to: 'hub' },
  { type: 'message', id: 'm3', from: 'alice', origin: OTHER, text: 'quotes " and \\ and ünïcödé ✓', ts: 1 },
  { type: 'rejected', peerId: OTHER, code: 'bad_token', message: 'wrong token' },
  { type: 'error', code: 'bootstrap_failed', message: 'no hub answered after 5 attempts' },
  { type: 'bootstrap', addr: '/ip4/127.0.0.1/tcp/9000', attempt: 1, ok: false, error: 'connection refused' },
  { type: 'bootstrap', addr: '/ip4/127.0.0.1/tcp/9000', attempt: 3, ok: true },
  { type: 'reconnecting', attempt: 2, delayMs: 2300, error: 'connection refused' },
  { type: 'reconnected', addr: '/ip4/127.0.0.1/tcp/9000', peerId: OTHER, attempts: 4, downMs: 31_250 }
]

/** A printer writing into memory; `lines()` returns what it printed, split at newlines. */
function capture (json: boolean): { printer: ReturnType<typeof createPrinter>, text: () => string, lines: () => string[] } {
  const out = new PassThrough()
  let text = ''
  out.on('data', (b: Buffer) => { text += b.toString() })
  return { printer: createPrinter(out, json), text: () => text, lines: () => text.split('\n').slice(0, -1) }
}

/** The human line for one event. */
function human (event: OverlayEvent): string {
  const { printer, text } = capture(false)
  printer.event(event)
  return text()
}

describe('cli output', () => {
  it('output - the samples cover every event type the CLI prints', () => {
    const covered = new Set<OverlayEventType>(SAMPLES.map(e => e.type))
    assert.deepEqual([...covered].sort(), [...EVENT_TYPES].sort())
  })

  it('output - json mode prints exactly JSON.stringify(event), one line per event, for every type', () => {
    const { printer, text, lines } = capture(true)
    for (const event of SAMPLES) printer.event(event)
    assert.equal(text(), SAMPLES.map(e => JSON.stringify(e) + '\n').join(''))
    assert.equal(lines().length, SAMPLES.length)
    assert.deepEqual(lines().map(l => JSON.parse(l) as unknown), SAMPLES)
  })

  it('output - json lines start with the type', () => {
    const { printer, lines } = capture(true)
    for (const event of SAMPLES) printer.event(event)
    lines().forEach((line, i) => { assert.ok(line.startsWith(`{"type":"${SAMPLES[i]?.type}"`), line) })
  })

  it('output - json mode keeps newlines inside text escaped, so one event stays one line', () => {
    const { printer, lines } = capture(true)
    printer.event({ type: 'error', code: 'x', message: 'two\nlines' })
    assert.equal(lines().length, 1)
  })

  it('output - json replies print {type, ...detail}', () => {
    const { printer, text } = capture(true)
    printer.reply('peers', { sessions: [{ name: 'hub' }] }, 'ignored in json mode')
    printer.reply('delivered', { id: 'm1', to: 'hub' }, '* delivered to hub')
    assert.equal(text(), '{"type":"peers","sessions":[{"name":"hub"}]}\n{"type":"delivered","id":"m1","to":"hub"}\n')
  })

  it('output - human replies print the human text', () => {
    const { printer, text } = capture(false)
    printer.reply('delivered', { id: 'm1', to: 'hub' }, '* delivered to hub')
    assert.equal(text(), '* delivered to hub\n')
  })

  it('output - human mode prints one non-empty, non-JSON line (ending in a newline) for every event', () => {
    for (const event of SAMPLES) {
      if (event.type === 'bootstrap' && !event.ok && event.attempt > 1) continue
      const line = human(event)
      assert.ok(line.endsWith('\n'), JSON.stringify(event))
      assert.ok(line.trim().length > 0, JSON.stringify(event))
      assert.throws(() => JSON.parse(line), JSON.stringify(event))
      assert.doesNotMatch(line, /undefined|\[object Object\]/, line)
    }
  })

  it('output - human lines name the member (or peer) and the reason', () => {
    for (const event of SAMPLES) {
      const line = human(event)
      if ('name' in event) assert.ok(line.includes(event.name), `${line} lacks ${event.name}`)
      if ('reason' in event && event.reason !== undefined && event.type !== 'joined') assert.ok(line.includes(event.reason), `${line} lacks ${event.reason}`)
    }
  })

  it('output - human listening shows the name, mode, peer id and every address', () => {
    const event = SAMPLES[0] as Extract<OverlayEvent, { type: 'listening' }>
    const line = human(event)
    for (const s of [event.name, event.mode, event.peerId, ...event.addrs]) assert.ok(line.includes(s), `${line} lacks ${s}`)
  })

  it('output - human session lines tell open from close and show wire and encryption', () => {
    assert.match(human(SAMPLES[2] as OverlayEvent), /session with alice \(leaf, json, noise\)/)
    assert.match(human(SAMPLES[3] as OverlayEvent), /session closed with alice \(leaf, text, tls\): exit/)
  })

  it('output - human joined tells a rejoin apart', () => {
    assert.equal(human({ type: 'joined', name: 'alice', peerId: OTHER, reason: 'join' }), '* alice joined\n')
    assert.equal(human({ type: 'joined', name: 'alice', peerId: OTHER, reason: 'rejoin' }), '* alice joined again\n')
  })

  it('output - human messages show the sender and the text, and mark direct ones', () => {
    assert.equal(human(SAMPLES[15] as OverlayEvent), '<alice> hello everyone\n')
    assert.equal(human(SAMPLES[16] as OverlayEvent), '<alice to you> just for you\n')
  })

  it('output - human rejected, error and bootstrap lines carry their code, message and address', () => {
    const rejected = human({ type: 'rejected', peerId: OTHER, code: 'bad_token', message: 'wrong token' })
    for (const s of [OTHER, 'bad_token', 'wrong token']) assert.ok(rejected.includes(s), rejected)
    assert.equal(human({ type: 'error', code: 'bootstrap_failed', message: 'no hub' }), '! bootstrap_failed: no hub\n')
    const failed = human(SAMPLES[20] as OverlayEvent)
    for (const s of ['/ip4/127.0.0.1/tcp/9000', 'attempt 1', 'connection refused']) assert.ok(failed.includes(s), failed)
    assert.equal(human(SAMPLES[21] as OverlayEvent), '* reached /ip4/127.0.0.1/tcp/9000\n')
  })

  it('output - human mode says a round\'s first failed attempt only; the round summary follows as an error', () => {
    assert.equal(human({ type: 'bootstrap', addr: '/ip4/127.0.0.1/tcp/9', attempt: 2, ok: false, error: 'connection refused' }), '')
  })

  it('output - reconnecting and reconnected say the attempt, the next delay and the outage', () => {
    assert.equal(human(SAMPLES[22] as OverlayEvent), '* no hub; reconnecting in 2.3 s (attempt 2: connection refused)\n')
    assert.equal(human(SAMPLES[23] as OverlayEvent), '* reconnected to /ip4/127.0.0.1/tcp/9000 after 31.3 s (4 rounds)\n')
  })

  it('output - identical retry lines are collapsed into a count; messages never are', () => {
    const { printer, lines } = capture(false)
    const e = { type: 'error', code: 'bootstrap_unreachable', message: 'x: still no answer; retrying in 30 s' } as const
    for (let i = 0; i < 4; i++) printer.event(e)
    printer.event({ type: 'joined', name: 'hub', peerId: OTHER, reason: 'join' })
    for (let i = 0; i < 2; i++) printer.event(SAMPLES[15] as OverlayEvent)
    assert.deepEqual(lines(), ['! bootstrap_unreachable: x: still no answer; retrying in 30 s', '  (the line above repeated 3 more times)', '* hub joined', '<alice> hello everyone', '<alice> hello everyone'])
  })

  it('output - colours only when asked, timestamps as HH:MM:SS', () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (b: Buffer) => { text += b.toString() })
    createPrinter(out, false, { color: true, timestamps: true, now: () => new Date(2026, 0, 1, 9, 5, 7) }).event(SAMPLES[15] as OverlayEvent)
    assert.equal(text, '\x1b[2m09:05:07\x1b[0m \x1b[1m\x1b[36m<alice>\x1b[0m hello everyone\n')
    assert.equal(useColor({ isTTY: true }, {}), true)
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false)
    assert.equal(useColor({ isTTY: false }, {}), false)
    assert.equal(useColor({}, {}), false)
  })
})
