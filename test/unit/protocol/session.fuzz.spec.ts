/**
 * Property-based tests of the session state machine: any frame sequence, in any phase, for either
 * wire and role, only raises ProtocolViolationError and keeps a known phase; a closed session takes
 * nothing more; bytes from a text client go through codec and session with typed errors only; a
 * dialer and a listener run against each other open exactly when their tokens match.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AuthRole } from '../../../src/protocol/auth.ts'
import { decodeJsonFrame, LengthPrefixDecoder } from '../../../src/protocol/json-codec.ts'
import { Purpose, startSession, step, Wire } from '../../../src/protocol/session.ts'
import { decodeClientLine, LineDecoder } from '../../../src/protocol/text-codec.ts'
import { bytesArb, cutAt, cutsArb, fc, fuzzParams, typedError } from '../../helpers/fuzz.ts'
import type { Frame } from '../../../src/protocol/frames.ts'
import type { SessionAction, SessionContext, SessionState } from '../../../src/protocol/session.ts'

const TOKEN = 'letmein123'
const PHASES = new Set(['auth', 'join', 'open', 'closed'])

const ctxArb: fc.Arbitrary<SessionContext> = fc.record({
  wire: fc.constantFrom(Wire.text, Wire.json),
  role: fc.constantFrom(AuthRole.dialer, AuthRole.listener),
  purpose: fc.constantFrom(Purpose.join, Purpose.health),
  acceptsJoins: fc.boolean(),
  nameFree: fc.boolean()
}).map(r => ({
  wire: r.wire,
  role: r.role,
  purpose: r.purpose,
  token: TOKEN,
  localPeerId: 'local-peer',
  remotePeerId: 'remote-peer',
  localName: 'local',
  localMode: 'hub',
  acceptsJoins: r.acceptsJoins,
  nameAvailable: () => r.nameFree,
  nonce: () => 'n'.repeat(24)
}))

const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), fc.string({ maxLength: 70 }))
const nonce = fc.oneof(fc.constant('n'.repeat(24)), fc.string({ maxLength: 140 }))
/** Frames of every type, the right token and well-formed names often enough to get past AUTH and JOIN. */
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.constant(TOKEN), fc.string({ maxLength: 12 })).map(token => ({ type: 'AUTH' as const, token })) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('AUTH' as const), step: fc.constantFrom('challenge' as const, 'response' as const, 'proof' as const), nonce, proof: fc.string({ maxLength: 50 }) }, { requiredKeys: ['type', 'step'], noNullPrototype: true }) },
  { weight: 4, arbitrary: name.map(n => ({ type: 'JOIN' as const, name: n, mode: 'peer' })) },
  { weight: 2, arbitrary: name.map(n => ({ type: 'EXIT' as const, name: n })) },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }).map(text => ({ type: 'MSG' as const, text })) },
  { weight: 1, arbitrary: fc.constantFrom<Frame>({ type: 'PING' }, { type: 'PRUNE' }, { type: 'ACK', id: 'x' }, { type: 'IHAVE', ids: [] }, { type: 'GRAFT', ids: ['a'] }, { type: 'HEARTBEAT', beats: [] }, { type: 'OK', of: 'AUTH' }) },
  { weight: 1, arbitrary: fc.constantFrom<Frame>({ type: 'ERR', code: 'bad_token', message: 'no' }, { type: 'PONG', name: 'x', mode: 'hub', sessions: 0, members: 0 }, { type: 'MEMBER', peerId: 'p', name: 'n', state: 'alive', inc: 0, seq: 0, addrs: [], hops: 0 }) }
)

/** Runs `frames` through a session from its start; checks every step, and that nothing but ProtocolViolationError escapes. */
function run (ctx: SessionContext, frames: Frame[]): { state: SessionState, actions: SessionAction[] } {
  let { state, actions } = startSession(ctx)
  for (const frame of frames) {
    const before = state
    let next: ReturnType<typeof step> | undefined
    const err = typedError(() => { next = step(state, frame, ctx) })
    if (err !== undefined) {
      assert.equal(err.name, 'ProtocolViolationError', `${frame.type} in ${before.phase}: ${err.message}`)
      assert.equal(typeof err.code, 'string')
      return { state: { phase: 'closed' }, actions } // the service ends the session on a violation
    }
    assert.ok(next !== undefined)
    state = next.state
    actions = actions.concat(next.actions)
    assert.ok(PHASES.has(state.phase))
    if (before.phase === 'closed') assert.equal(frame.type, 'ERR', 'only ERR is taken once closed')
    if (next.actions.some(a => a.type === 'open')) assert.equal(state.phase, 'open')
    if (next.actions.some(a => a.type === 'close')) assert.equal(state.phase, 'closed')
  }
  return { state, actions }
}

describe('session fuzz', () => {
  it('session - any frame sequence raises only ProtocolViolationError and keeps a known phase', () => {
    fc.assert(fc.property(ctxArb, fc.array(frameArb, { maxLength: 12 }), (ctx, frames) => { run(ctx, frames) }), fuzzParams())
  })

  it('session - a closed session refuses every frame but ERR', () => {
    fc.assert(fc.property(ctxArb, frameArb, (ctx, frame) => {
      const err = typedError(() => step({ phase: 'closed' }, frame, ctx))
      if (frame.type === 'ERR') assert.equal(err, undefined)
      else assert.equal(err?.code, 'unexpected_frame')
    }), fuzzParams())
  })

  it('session - a text listener never opens without the token and a valid name', () => {
    fc.assert(fc.property(ctxArb, fc.array(frameArb, { maxLength: 12 }), (ctx, frames) => {
      const listener = { ...ctx, wire: Wire.text, role: AuthRole.listener }
      const { state, actions } = run(listener, frames)
      const opened = actions.find(a => a.type === 'open')
      if (opened === undefined) return
      assert.ok(frames.some(f => f.type === 'AUTH' && f.token === TOKEN))
      assert.ok(opened.type === 'open' && /^[A-Za-z0-9._-]{1,64}$/.test(opened.name))
      assert.ok(listener.acceptsJoins)
      assert.ok(['open', 'closed'].includes(state.phase))
    }), fuzzParams())
  })

  it('session - arbitrary bytes from a client go through codec and session with typed errors only', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, fc.array(frameArb, { maxLength: 8 }).map(fs => new TextEncoder().encode(fs.map(f => `${f.type}:${'token' in f ? f.token ?? '' : 'name' in f ? f.name : 'text' in f ? f.text : ''}\n`).join('')))), cutsArb, fc.boolean(), (bytes, cuts, json) => {
      const ctx: SessionContext = { wire: json ? Wire.json : Wire.text, role: AuthRole.listener, purpose: Purpose.join, token: TOKEN, localPeerId: 'l', remotePeerId: 'r', localName: 'hub', localMode: 'hub', acceptsJoins: true, nameAvailable: () => true }
      let state = startSession(ctx).state
      const lines = new LineDecoder(4096)
      const bodies = new LengthPrefixDecoder(4096)
      const onFrame = (frame: Frame): void => { state = step(state, frame, ctx).state }
      typedError(() => {
        for (const chunk of cutAt(bytes, cuts)) {
          if (json) bodies.each(chunk, b => { onFrame(decodeJsonFrame(b)) })
          else lines.each(chunk, l => { onFrame(decodeClientLine(l)) })
        }
      })
    }), fuzzParams())
  })

  it('session - a JSON dialer and listener open both sides exactly when their tokens match', () => {
    fc.assert(fc.property(fc.oneof(fc.constant(TOKEN), fc.string({ minLength: 1, maxLength: 20 })), fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), (dialerToken, dialerName) => {
      const base = { wire: Wire.json, purpose: Purpose.join, acceptsJoins: true, nameAvailable: () => true, localMode: 'peer' }
      const dialer: SessionContext = { ...base, role: AuthRole.dialer, token: dialerToken, localPeerId: 'D', remotePeerId: 'L', localName: dialerName }
      const listener: SessionContext = { ...base, role: AuthRole.listener, token: TOKEN, localPeerId: 'L', remotePeerId: 'D', localName: 'hub' }
      const d = startSession(dialer)
      const l = startSession(listener)
      const sides = { d: { state: d.state, ctx: dialer, opened: false }, l: { state: l.state, ctx: listener, opened: false } }
      // Deliver each side's sends to the other, in order, until nothing is left in flight (bounded).
      const queue: Array<{ to: 'd' | 'l', frame: Frame }> = [
        ...d.actions.flatMap(a => a.type === 'send' ? [{ to: 'l' as const, frame: a.frame }] : []),
        ...l.actions.flatMap(a => a.type === 'send' ? [{ to: 'd' as const, frame: a.frame }] : [])
      ]
      let failure: string | undefined
      for (let i = 0; i < 20 && queue.length > 0 && failure === undefined; i++) {
        const { to, frame } = queue.shift() as { to: 'd' | 'l', frame: Frame }
        const side = sides[to]
        const err = typedError(() => {
          const next = step(side.state, frame, side.ctx)
          side.state = next.state
          for (const a of next.actions) {
            if (a.type === 'send') queue.push({ to: to === 'd' ? 'l' : 'd', frame: a.frame })
            if (a.type === 'open') side.opened = true
          }
        })
        if (err !== undefined) failure = err.code
      }
      if (dialerToken === TOKEN) {
        assert.equal(failure, undefined)
        assert.ok(sides.d.opened && sides.l.opened)
        assert.equal(sides.l.state.phase === 'open' && sides.l.state.remoteName, dialerName)
      } else {
        assert.equal(failure, 'bad_token')
        assert.ok(!sides.d.opened && !sides.l.opened)
      }
    }), fuzzParams())
  })
})
