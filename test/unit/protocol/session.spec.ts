import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { authProof } from '../../../src/protocol/auth.ts'
import { startSession, step } from '../../../src/protocol/session.ts'
import type { SessionAction, SessionContext, SessionState, Step } from '../../../src/protocol/session.ts'
import { decodeClientLine, encodeTextLine } from '../../../src/protocol/text-codec.ts'
import type { AuthFrame, Frame } from '../../../src/protocol/frames.ts'

const TOKEN = 'letmein123'
const DIALER_ID = '12D3KooWDialerPeerIdDialerPeerIdDialerPeerIdDialer'
const LISTENER_ID = '12D3KooWListenerPeerIdListenerPeerIdListenerPeerId'
const CLIENT_ID = '12D3KooWTextClientTextClientTextClientTextClientTe'

/** Runs fn and checks it throws a ProtocolViolationError with `code`. */
function throwsViolation (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'expected an Error')
    assert.equal(err.name, 'ProtocolViolationError')
    assert.equal((err as Error & { code: string }).code, code, err.message)
    return true
  })
}

/** A nonce source that yields the given nonces in turn. */
function nonces (...values: string[]): () => string {
  let i = 0
  return () => {
    const v = values[i++]
    if (v === undefined) throw new Error('test ran out of nonces')
    return v
  }
}

function textListener (over: Partial<SessionContext> = {}): SessionContext {
  return {
    wire: 'text',
    role: 'listener',
    purpose: 'join',
    token: TOKEN,
    localPeerId: LISTENER_ID,
    remotePeerId: CLIENT_ID,
    localName: 'hub',
    localMode: 'hub',
    acceptsJoins: true,
    nameAvailable: () => true,
    ...over
  }
}

function jsonCtx (role: 'dialer' | 'listener', over: Partial<SessionContext> = {}): SessionContext {
  return {
    wire: 'json',
    role,
    purpose: 'join',
    token: TOKEN,
    localPeerId: role === 'dialer' ? DIALER_ID : LISTENER_ID,
    remotePeerId: role === 'dialer' ? LISTENER_ID : DIALER_ID,
    localName: role === 'dialer' ? 'dave' : 'lisa',
    localMode: role === 'dialer' ? 'peer' : 'hub',
    acceptsJoins: true,
    nameAvailable: () => true,
    ...over
  }
}

const sent = (actions: SessionAction[]): Frame[] => actions.flatMap(a => a.type === 'send' ? [a.frame] : [])

/** Feeds text lines (as a client would send them) through a session from its start. */
function feedLines (ctx: SessionContext, lines: string[]): { state: SessionState, steps: Step[] } {
  let { state } = startSession(ctx)
  const steps: Step[] = []
  for (const line of lines) {
    const s = step(state, decodeClientLine(line), ctx)
    steps.push(s)
    state = s.state
  }
  return { state, steps }
}

describe('session text listener', () => {
  it('session - a text listener sends nothing before the client speaks', () => {
    assert.deepEqual(startSession(textListener()), { state: { phase: 'auth' }, actions: [] })
  })

  it('session - text AUTH with the right token answers OK:AUTH', () => {
    const { state, steps } = feedLines(textListener(), ['AUTH:letmein123'])
    assert.deepEqual(state, { phase: 'join' })
    assert.deepEqual(steps[0]?.actions, [{ type: 'authenticated' }, { type: 'send', frame: { type: 'OK', of: 'AUTH' } }])
  })

  it('session - text JOIN answers OK:JOIN and opens with mode text', () => {
    const { state, steps } = feedLines(textListener(), ['AUTH:letmein123', 'JOIN:alice'])
    assert.deepEqual(state, { phase: 'open', remoteName: 'alice' })
    assert.deepEqual(steps[1]?.actions, [{ type: 'send', frame: { type: 'OK', of: 'JOIN' } }, { type: 'open', name: 'alice', mode: 'text' }])
  })

  it('session - text MSG in an open session is handed to the node', () => {
    const { state, steps } = feedLines(textListener(), ['AUTH:letmein123', 'JOIN:alice', 'MSG:a:b'])
    assert.deepEqual(state, { phase: 'open', remoteName: 'alice' })
    assert.deepEqual(steps[2]?.actions, [{ type: 'frame', frame: { type: 'MSG', text: 'a:b' } }])
  })

  it('session - text EXIT with the joined name answers OK:EXIT and closes with reason exit', () => {
    const { state, steps } = feedLines(textListener(), ['AUTH:letmein123', 'JOIN:alice', 'EXIT:alice'])
    assert.deepEqual(state, { phase: 'closed' })
    assert.deepEqual(steps[2]?.actions, [{ type: 'send', frame: { type: 'OK', of: 'EXIT' } }, { type: 'close', reason: 'exit' }])
  })

  it('session - the original example session, as a whole', () => {
    const lines = ['AUTH:letmein123', 'JOIN:alice', 'MSG:hello', 'EXIT:alice']
    const { state, steps } = feedLines(textListener(), lines)
    const all = steps.flatMap(s => s.actions)
    assert.equal(sent(all).map(encodeTextLine).join(''), 'OK:AUTH\nOK:JOIN\nOK:EXIT\n')
    assert.deepEqual(all, [
      { type: 'authenticated' },
      { type: 'send', frame: { type: 'OK', of: 'AUTH' } },
      { type: 'send', frame: { type: 'OK', of: 'JOIN' } },
      { type: 'open', name: 'alice', mode: 'text' },
      { type: 'frame', frame: { type: 'MSG', text: 'hello' } },
      { type: 'send', frame: { type: 'OK', of: 'EXIT' } },
      { type: 'close', reason: 'exit' }
    ])
    assert.deepEqual(state, { phase: 'closed' })
  })

  it('session - a name of exactly 64 allowed characters is accepted', () => {
    const name = 'aZ09._-'.repeat(9) + 'x'
    assert.equal(name.length, 64)
    assert.deepEqual(feedLines(textListener(), ['AUTH:letmein123', `JOIN:${name}`]).state, { phase: 'open', remoteName: name })
  })

  it('session - nameAvailable is asked about the JOIN name and the remote peer id', () => {
    const calls: Array<[string, string]> = []
    const ctx = textListener({ nameAvailable: (n, p) => { calls.push([n, p]); return true } })
    feedLines(ctx, ['AUTH:letmein123', 'JOIN:alice'])
    assert.deepEqual(calls, [['alice', CLIENT_ID]])
  })

  /** Each row: lines that succeed, then one line that must fail with `code`. */
  const violations: Array<{ what: string, lines: string[], code: string, ctx?: Partial<SessionContext> }> = [
    { what: 'wrong token', lines: ['AUTH:letmein124'], code: 'bad_token' },
    { what: 'empty token', lines: ['AUTH:'], code: 'bad_token' },
    { what: 'token with a trailing space', lines: ['AUTH:letmein123 '], code: 'bad_token' },
    { what: 'token prefix', lines: ['AUTH:letmein12'], code: 'bad_token' },
    { what: 'MSG before AUTH', lines: ['MSG:hello'], code: 'auth_required' },
    { what: 'JOIN before AUTH', lines: ['JOIN:alice'], code: 'auth_required' },
    { what: 'EXIT before AUTH', lines: ['EXIT:alice'], code: 'auth_required' },
    { what: 'AUTH twice', lines: ['AUTH:letmein123', 'AUTH:letmein123'], code: 'already_authenticated' },
    { what: 'a wrong AUTH after a good one', lines: ['AUTH:letmein123', 'AUTH:nope'], code: 'already_authenticated' },
    { what: 'AUTH after JOIN', lines: ['AUTH:letmein123', 'JOIN:alice', 'AUTH:letmein123'], code: 'already_authenticated' },
    { what: 'JOIN with an empty name', lines: ['AUTH:letmein123', 'JOIN:'], code: 'bad_name' },
    { what: 'JOIN with a 65-character name', lines: ['AUTH:letmein123', `JOIN:${'a'.repeat(65)}`], code: 'bad_name' },
    { what: 'JOIN with a space in the name', lines: ['AUTH:letmein123', 'JOIN:a b'], code: 'bad_name' },
    { what: 'JOIN with a non-ASCII name', lines: ['AUTH:letmein123', 'JOIN:ü'], code: 'bad_name' },
    { what: 'JOIN with a colon in the name', lines: ['AUTH:letmein123', 'JOIN:a:b'], code: 'bad_name' },
    { what: 'JOIN with a slash in the name', lines: ['AUTH:letmein123', 'JOIN:a/b'], code: 'bad_name' },
    { what: 'JOIN with a tab in the name', lines: ['AUTH:letmein123', 'JOIN:a\tb'], code: 'bad_name' },
    { what: 'JOIN with a taken name', lines: ['AUTH:letmein123', 'JOIN:alice'], code: 'name_taken', ctx: { nameAvailable: () => false } },
    { what: 'JOIN on a node that accepts no sessions', lines: ['AUTH:letmein123', 'JOIN:alice'], code: 'not_accepting', ctx: { acceptsJoins: false } },
    { what: 'MSG before JOIN', lines: ['AUTH:letmein123', 'MSG:hello'], code: 'join_required' },
    { what: 'EXIT before JOIN', lines: ['AUTH:letmein123', 'EXIT:alice'], code: 'join_required' },
    { what: 'JOIN twice', lines: ['AUTH:letmein123', 'JOIN:alice', 'JOIN:alice'], code: 'already_joined' },
    { what: 'EXIT for another name', lines: ['AUTH:letmein123', 'JOIN:alice', 'EXIT:bob'], code: 'bad_exit' },
    { what: 'EXIT with an empty name', lines: ['AUTH:letmein123', 'JOIN:alice', 'EXIT:'], code: 'bad_exit' },
    { what: 'EXIT with the name in another case', lines: ['AUTH:letmein123', 'JOIN:alice', 'EXIT:Alice'], code: 'bad_exit' },
    { what: 'MSG after EXIT', lines: ['AUTH:letmein123', 'JOIN:alice', 'EXIT:alice', 'MSG:late'], code: 'unexpected_frame' }
  ]
  for (const { what, lines, code, ctx } of violations) {
    it(`session - text ${what} is ${code}`, () => {
      const c = textListener(ctx)
      const { state } = feedLines(c, lines.slice(0, -1))
      throwsViolation(() => step(state, decodeClientLine(lines.at(-1) as string), c), code)
    })
  }

  it('session - a bad name is refused before the roster is asked', () => {
    let asked = false
    const ctx = textListener({ nameAvailable: () => { asked = true; return true } })
    const { state } = feedLines(ctx, ['AUTH:letmein123'])
    throwsViolation(() => step(state, { type: 'JOIN', name: 'a b' }, ctx), 'bad_name')
    assert.equal(asked, false)
  })

  it('session - text sessions do not take MEMBER or ACK frames even when open', () => {
    const ctx = textListener()
    const { state } = feedLines(ctx, ['AUTH:letmein123', 'JOIN:alice'])
    throwsViolation(() => step(state, { type: 'MEMBER', peerId: 'p', name: 'n', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 }, ctx), 'unexpected_frame')
    throwsViolation(() => step(state, { type: 'ACK', id: 'i', from: 'f', origin: 'o', to: 't', hops: 0 }, ctx), 'unexpected_frame')
  })

  it('session - ERR from a text peer closes with reason rejected in every phase', () => {
    const ctx = textListener()
    const err: Frame = { type: 'ERR', code: 'shutting_down', message: 'bye' }
    for (const lines of [[], ['AUTH:letmein123'], ['AUTH:letmein123', 'JOIN:alice']]) {
      const { state } = feedLines(ctx, lines)
      assert.deepEqual(step(state, err, ctx), {
        state: { phase: 'closed' },
        actions: [{ type: 'close', reason: 'rejected', code: 'shutting_down', message: 'bye' }]
      })
    }
  })
})

// ---- JSON -------------------------------------------------------------------------------------

interface Side {
  ctx: SessionContext
  state: SessionState
  sent: Frame[]
  actions: SessionAction[]
  error?: Error & { code?: string }
}

/**
 * Runs a JSON handshake: both sides start (the dialer's first frames go first), and each side's sent
 * frames are fed to the other until nobody has anything left to say or one side throws.
 */
function handshake (dialerCtx: SessionContext, listenerCtx: SessionContext): { dialer: Side, listener: Side } {
  const dialer: Side = { ctx: dialerCtx, state: { phase: 'closed' }, sent: [], actions: [] }
  const listener: Side = { ctx: listenerCtx, state: { phase: 'closed' }, sent: [], actions: [] }
  const queue: Array<{ to: Side, frame: Frame }> = []
  for (const [side, other] of [[dialer, listener], [listener, dialer]] as const) {
    const start = startSession(side.ctx)
    side.state = start.state
    side.actions.push(...start.actions)
    for (const f of sent(start.actions)) { side.sent.push(f); queue.push({ to: other, frame: f }) }
  }
  while (queue.length > 0) {
    const { to, frame } = queue.shift() as { to: Side, frame: Frame }
    const other = to === dialer ? listener : dialer
    if (to.error !== undefined) continue
    let s: Step
    try {
      s = step(to.state, frame, to.ctx)
    } catch (err) {
      to.error = err as Error
      continue
    }
    to.state = s.state
    to.actions.push(...s.actions)
    for (const f of sent(s.actions)) { to.sent.push(f); queue.push({ to: other, frame: f }) }
  }
  return { dialer, listener }
}

const D_NONCE = 'dddddddddddddddddddddddddddddddddddddddddd1'
const L_NONCE = 'lllllllllllllllllllllllllllllllllllllllllll1'

describe('session JSON handshake', () => {
  it('session - a JSON dialer starts with an AUTH challenge carrying its nonce', () => {
    const s = startSession(jsonCtx('dialer', { nonce: nonces(D_NONCE) }))
    assert.deepEqual(s, {
      state: { phase: 'auth', dialerNonce: D_NONCE },
      actions: [{ type: 'send', frame: { type: 'AUTH', step: 'challenge', nonce: D_NONCE } }]
    })
  })

  it('session - a JSON listener sends its nonce at once, without waiting for the challenge', () => {
    assert.deepEqual(startSession(jsonCtx('listener', { nonce: nonces(L_NONCE) })), {
      state: { phase: 'auth', listenerNonce: L_NONCE },
      actions: [{ type: 'send', frame: { type: 'AUTH', step: 'response', nonce: L_NONCE } }]
    })
  })

  it('session - a JSON listener takes the challenge, then wants the proof: a proof before the challenge is auth_required', () => {
    const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE) })
    const start = startSession(ctx)
    throwsViolation(() => step(start.state, { type: 'AUTH', step: 'proof', proof: 'x'.repeat(43) }, ctx), 'auth_required')
    const challenged = step(start.state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx)
    assert.deepEqual(challenged, { state: { phase: 'auth', listenerNonce: L_NONCE, dialerNonce: D_NONCE }, actions: [] }, 'its nonce went already')
    throwsViolation(() => step(challenged.state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx), 'auth_required')
  })

  it('session - dialer and listener with the same token both reach open with each other\'s names', () => {
    const { dialer, listener } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    assert.equal(dialer.error, undefined)
    assert.equal(listener.error, undefined)
    assert.deepEqual(dialer.state, { phase: 'open', remoteName: 'lisa' })
    assert.deepEqual(listener.state, { phase: 'open', remoteName: 'dave' })
    assert.deepEqual(dialer.actions.filter(a => a.type === 'open'), [{ type: 'open', name: 'lisa', mode: 'hub' }])
    assert.deepEqual(listener.actions.filter(a => a.type === 'open'), [{ type: 'open', name: 'dave', mode: 'peer' }])
    assert.equal(dialer.actions.filter(a => a.type === 'authenticated').length, 1)
    assert.equal(listener.actions.filter(a => a.type === 'authenticated').length, 1)
  })

  it('session - the handshake exchanges exactly challenge, response, dialer proof and JOIN, listener proof and JOIN: two round trips', () => {
    const { dialer, listener } = handshake(jsonCtx('dialer', { nonce: nonces(D_NONCE) }), jsonCtx('listener', { nonce: nonces(L_NONCE) }))
    assert.deepEqual(dialer.sent.map(f => [f.type, (f as AuthFrame).step]), [['AUTH', 'challenge'], ['AUTH', 'proof'], ['JOIN', undefined]])
    assert.deepEqual(listener.sent.map(f => [f.type, (f as AuthFrame).step]), [['AUTH', 'response'], ['AUTH', 'proof'], ['JOIN', undefined]])
    assert.deepEqual(dialer.sent[0], { type: 'AUTH', step: 'challenge', nonce: D_NONCE })
    assert.deepEqual(listener.sent[0], { type: 'AUTH', step: 'response', nonce: L_NONCE }, 'the response carries no proof')
    const binding = { dialerNonce: D_NONCE, listenerNonce: L_NONCE, dialerPeerId: DIALER_ID, listenerPeerId: LISTENER_ID }
    assert.deepEqual(dialer.sent[1], { type: 'AUTH', step: 'proof', proof: authProof(TOKEN, 'dialer', binding) })
    assert.deepEqual(listener.sent[1], { type: 'AUTH', step: 'proof', proof: authProof(TOKEN, 'listener', binding) })
    assert.deepEqual(dialer.sent[2], { type: 'JOIN', name: 'dave', mode: 'peer' })
    assert.deepEqual(listener.sent[2], { type: 'JOIN', name: 'lisa', mode: 'hub' })
  })

  it('session - the token itself never travels in the JSON handshake', () => {
    const { dialer, listener } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    const wire = JSON.stringify([...dialer.sent, ...listener.sent])
    assert.ok(!wire.includes(TOKEN))
    assert.ok([...dialer.sent, ...listener.sent].every(f => f.type !== 'AUTH' || f.token === undefined))
  })

  it('session - two handshakes with random nonces use different nonces and proofs', () => {
    const a = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    const b = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    assert.notDeepEqual(a.dialer.sent[0], b.dialer.sent[0])
    assert.notDeepEqual(a.listener.sent[0], b.listener.sent[0])
    assert.notDeepEqual(a.dialer.sent[1], b.dialer.sent[1])
  })

  for (const [which, dialerToken, listenerToken] of [['a listener with a different token', TOKEN, 'other-token'], ['a dialer with a wrong token', 'other-token', TOKEN]]) {
    it(`session - ${which}: the listener refuses the dialer's proof with bad_token, having sent nothing but its nonce`, () => {
      const { dialer, listener } = handshake(jsonCtx('dialer', { token: dialerToken }), jsonCtx('listener', { token: listenerToken }))
      assert.equal(listener.error?.name, 'ProtocolViolationError')
      assert.equal(listener.error?.code, 'bad_token')
      assert.deepEqual(listener.sent, [{ type: 'AUTH', step: 'response', nonce: (listener.sent[0] as AuthFrame).nonce }])
      // Its JOIN rode with its proof: the listener learnt a name and a mode, nothing derived from the token.
      assert.deepEqual(dialer.sent.map(f => [f.type, (f as AuthFrame).step]), [['AUTH', 'challenge'], ['AUTH', 'proof'], ['JOIN', undefined]])
      assert.equal([...dialer.actions, ...listener.actions].some(a => a.type === 'authenticated' || a.type === 'open'), false)
      assert.equal(dialer.state.phase, 'auth')
    })
  }

  it('session - a dialer refuses a listener proof made with a wrong token (bad_token), and goes on after the right one', () => {
    const ctx = jsonCtx('dialer', { nonce: nonces(D_NONCE) })
    const { state, actions } = step(startSession(ctx).state, { type: 'AUTH', step: 'response', nonce: L_NONCE }, ctx)
    assert.deepEqual(actions.map(a => a.type === 'send' ? a.frame.type : a.type), ['AUTH', 'JOIN'], 'the proof, and JOIN with it')
    const binding = { dialerNonce: D_NONCE, listenerNonce: L_NONCE, dialerPeerId: DIALER_ID, listenerPeerId: LISTENER_ID }
    throwsViolation(() => step(state, { type: 'AUTH', step: 'proof', proof: authProof('other-token', 'listener', binding) }, ctx), 'bad_token')
    const ok = step(state, { type: 'AUTH', step: 'proof', proof: authProof(TOKEN, 'listener', binding) }, ctx)
    assert.deepEqual(ok, { state: { phase: 'join' }, actions: [{ type: 'authenticated' }] }, 'nothing more to send: JOIN went with the proof')
  })

  it('session - a dialer proof made with a wrong token is refused by the listener with bad_token', () => {
    // A dialer that skips checking the listener (or an attacker) still cannot get in.
    const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE) })
    const response = step(startSession(ctx).state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx)
    const proof = authProof('other-token', 'dialer', { dialerNonce: D_NONCE, listenerNonce: L_NONCE, dialerPeerId: DIALER_ID, listenerPeerId: LISTENER_ID })
    throwsViolation(() => step(response.state, { type: 'AUTH', step: 'proof', proof }, ctx), 'bad_token')
    // The same proof made with the right token gets in: the binding above is the one the listener uses.
    const good = authProof(TOKEN, 'dialer', { dialerNonce: D_NONCE, listenerNonce: L_NONCE, dialerPeerId: DIALER_ID, listenerPeerId: LISTENER_ID })
    assert.deepEqual(step(response.state, { type: 'AUTH', step: 'proof', proof: good }, ctx).state, { phase: 'join' })
  })

  it('session - a listener refuses a proof step with no proof', () => {
    const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE) })
    const response = step(startSession(ctx).state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx)
    throwsViolation(() => step(response.state, { type: 'AUTH', step: 'proof' }, ctx), 'auth_required')
    throwsViolation(() => step(response.state, { type: 'AUTH', step: 'proof', proof: '' }, ctx), 'bad_token')
  })

  it('session - a listener that took the wrong peer ids refuses the dialer\'s proof', () => {
    const { listener } = handshake(jsonCtx('dialer'), jsonCtx('listener', { remotePeerId: '12D3KooWSomeoneElse' }))
    assert.equal(listener.error?.code, 'bad_token')
  })

  it('session - a dialer proof replayed into a handshake with a different listener nonce fails', () => {
    const first = handshake(jsonCtx('dialer', { nonce: nonces(D_NONCE) }), jsonCtx('listener', { nonce: nonces(L_NONCE) }))
    const captured = first.dialer.sent[1] as AuthFrame
    assert.equal(captured.step, 'proof')
    // An attacker without the token reuses the same dialer nonce; only the listener nonce differs.
    const ctx = jsonCtx('listener', { nonce: nonces('a-different-listener-nonce-0123456789abcdef') })
    let { state } = startSession(ctx)
    state = step(state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx).state
    throwsViolation(() => step(state, captured, ctx), 'bad_token')
  })

  it('session - a dialer proof replayed from another peer id fails even with the same nonces', () => {
    const first = handshake(jsonCtx('dialer', { nonce: nonces(D_NONCE) }), jsonCtx('listener', { nonce: nonces(L_NONCE) }))
    const captured = first.dialer.sent[1] as AuthFrame
    const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE), remotePeerId: '12D3KooWMallory' })
    let { state } = startSession(ctx)
    state = step(state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx).state
    throwsViolation(() => step(state, captured, ctx), 'bad_token')
  })

  it('session - a listener proof replayed to a dialer with a different nonce fails', () => {
    const first = handshake(jsonCtx('dialer', { nonce: nonces(D_NONCE) }), jsonCtx('listener', { nonce: nonces(L_NONCE) }))
    const captured = first.listener.sent[1] as AuthFrame
    assert.equal(captured.step, 'proof')
    const ctx = jsonCtx('dialer', { nonce: nonces('another-dialer-nonce-0123456789abcdef') })
    const { state } = step(startSession(ctx).state, first.listener.sent[0] as Frame, ctx)
    throwsViolation(() => step(state, captured, ctx), 'bad_token')
  })

  it('session - a dialer\'s own proof sent back to it is not accepted as the listener\'s (no reflection)', () => {
    const ctx = jsonCtx('dialer', { nonce: nonces(D_NONCE) })
    const s = step(startSession(ctx).state, { type: 'AUTH', step: 'response', nonce: L_NONCE }, ctx)
    const own = sent(s.actions)[0] as AuthFrame
    assert.equal(own.step, 'proof')
    throwsViolation(() => step(s.state, own, ctx), 'bad_token')
  })

  const challengeNonces: Array<{ what: string, nonce: string | undefined, ok: boolean }> = [
    { what: 'missing', nonce: undefined, ok: false },
    { what: 'empty', nonce: '', ok: false },
    { what: '15 characters', nonce: 'x'.repeat(15), ok: false },
    { what: '16 characters', nonce: 'x'.repeat(16), ok: true },
    { what: '128 characters', nonce: 'x'.repeat(128), ok: true },
    { what: '129 characters', nonce: 'x'.repeat(129), ok: false }
  ]
  for (const { what, nonce, ok } of challengeNonces) {
    it(`session - a JSON listener ${ok ? 'accepts' : 'refuses'} a challenge nonce that is ${what}`, () => {
      const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE) })
      const frame: AuthFrame = { type: 'AUTH', step: 'challenge' }
      if (nonce !== undefined) frame.nonce = nonce
      const run = (): Step => step(startSession(ctx).state, frame, ctx)
      if (ok) assert.equal(run().state.phase, 'auth')
      else throwsViolation(run, 'auth_required')
    })
  }

  const listenerFirstFrames: Array<{ what: string, frame: Frame, code: string }> = [
    { what: 'JOIN', frame: { type: 'JOIN', name: 'dave' }, code: 'auth_required' },
    { what: 'PING', frame: { type: 'PING' }, code: 'auth_required' },
    { what: 'MSG', frame: { type: 'MSG', text: 'x' }, code: 'auth_required' },
    { what: 'a text-style AUTH token', frame: { type: 'AUTH', token: TOKEN }, code: 'auth_required' },
    { what: 'an AUTH proof', frame: { type: 'AUTH', step: 'proof', proof: 'x' }, code: 'auth_required' },
    { what: 'an AUTH response', frame: { type: 'AUTH', step: 'response', nonce: 'x'.repeat(20), proof: 'x' }, code: 'auth_required' }
  ]
  for (const { what, frame, code } of listenerFirstFrames) {
    it(`session - a JSON listener refuses ${what} as the first frame with ${code}`, () => {
      const ctx = jsonCtx('listener')
      throwsViolation(() => step(startSession(ctx).state, frame, ctx), code)
    })
  }

  it('session - a JSON listener refuses a second challenge instead of a proof', () => {
    const ctx = jsonCtx('listener', { nonce: nonces(L_NONCE, 'x'.repeat(43)) })
    const { state } = step(startSession(ctx).state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx)
    throwsViolation(() => step(state, { type: 'AUTH', step: 'challenge', nonce: D_NONCE }, ctx), 'auth_required')
    throwsViolation(() => step(state, { type: 'JOIN', name: 'dave' }, ctx), 'auth_required')
  })

  it('session - a JSON dialer refuses anything but an AUTH response with a 16-128 character nonce first', () => {
    const ctx = jsonCtx('dialer')
    const { state } = startSession(ctx)
    for (const frame of [
      { type: 'OK', of: 'AUTH' },
      { type: 'JOIN', name: 'lisa' },
      { type: 'AUTH', step: 'response', proof: 'p' },
      { type: 'AUTH', step: 'response', nonce: 'x'.repeat(15) },
      { type: 'AUTH', step: 'response', nonce: 'x'.repeat(129) },
      { type: 'AUTH', step: 'proof', proof: 'p' },
      { type: 'AUTH', step: 'challenge', nonce: L_NONCE }
    ] as Frame[]) {
      throwsViolation(() => step(state, frame, ctx), 'auth_required')
    }
    assert.equal(sent(step(state, { type: 'AUTH', step: 'response', nonce: L_NONCE }, ctx).actions)[0]?.type, 'AUTH')
  })

  it('session - a JSON dialer wants the listener\'s AUTH proof after its own', () => {
    const dctx = jsonCtx('dialer', { nonce: nonces(D_NONCE) })
    const lctx = jsonCtx('listener', { nonce: nonces(L_NONCE) })
    const start = startSession(dctx)
    const response = sent(startSession(lctx).actions)[0] as Frame
    const { state } = step(start.state, response, dctx)
    throwsViolation(() => step(state, { type: 'JOIN', name: 'lisa' }, dctx), 'auth_required')
    throwsViolation(() => step(state, { type: 'OK', of: 'AUTH' }, dctx), 'auth_required')
    throwsViolation(() => step(state, { type: 'AUTH', step: 'proof' }, dctx), 'auth_required')
    throwsViolation(() => step(state, response, dctx), 'auth_required')
  })

  it('session - a JSON dialer refuses a listener JOIN with a bad name', () => {
    const dctx = jsonCtx('dialer')
    const { dialer } = handshake(dctx, jsonCtx('listener', { localName: 'bad name' }))
    assert.equal(dialer.error?.code, 'bad_name')
  })

  it('session - a JSON listener refuses a dialer JOIN with a taken name', () => {
    const { listener } = handshake(jsonCtx('dialer'), jsonCtx('listener', { nameAvailable: () => false }))
    assert.equal(listener.error?.code, 'name_taken')
    assert.deepEqual(listener.state, { phase: 'join' })
  })
})

/** A JSON listener that completed AUTH (challenge, response, both proofs) and now waits for JOIN or PING. */
function authedListener (over: Partial<SessionContext> = {}): { ctx: SessionContext, state: SessionState } {
  const ctx = jsonCtx('listener', over)
  const dctx = jsonCtx('dialer')
  const challenge = startSession(dctx)
  const response = startSession(ctx)
  const challenged = step(response.state, sent(challenge.actions)[0] as Frame, ctx)
  const proof = step(challenge.state, sent(response.actions)[0] as Frame, dctx)
  const ok = step(challenged.state, sent(proof.actions)[0] as Frame, ctx)
  assert.deepEqual(ok.actions.map(a => a.type === 'send' ? [a.type, a.frame.type, (a.frame as AuthFrame).step] : [a.type]), [['authenticated'], ['send', 'AUTH', 'proof']])
  assert.deepEqual(ok.state, { phase: 'join' })
  return { ctx, state: ok.state }
}

describe('session JSON join phase and open session', () => {
  it('session - a leaf (acceptsJoins false) answers JOIN with not_accepting', () => {
    const { listener } = handshake(jsonCtx('dialer'), jsonCtx('listener', { acceptsJoins: false }))
    assert.equal(listener.error?.code, 'not_accepting')
    assert.deepEqual(listener.state, { phase: 'join' })
  })

  it('session - a leaf answers PING with a ping action and closes', () => {
    const { ctx, state } = authedListener({ acceptsJoins: false })
    assert.deepEqual(step(state, { type: 'PING' }, ctx), { state: { phase: 'closed' }, actions: [{ type: 'ping' }] })
  })

  it('session - a health dialer sends PING after the listener\'s proof and the listener asks for a ping', () => {
    const { dialer, listener } = handshake(jsonCtx('dialer', { purpose: 'health' }), jsonCtx('listener', { acceptsJoins: false }))
    assert.equal(dialer.error, undefined)
    assert.equal(listener.error, undefined)
    assert.deepEqual(dialer.sent.at(-1), { type: 'PING' })
    assert.deepEqual(listener.actions.at(-1), { type: 'ping' })
    assert.deepEqual(listener.state, { phase: 'closed' })
  })

  it('session - a health dialer takes PONG and closes with a pong action', () => {
    const ctx = jsonCtx('dialer', { purpose: 'health' })
    const pong: Frame = { type: 'PONG', name: 'lisa', mode: 'leaf', sessions: 0, members: 3 }
    assert.deepEqual(step({ phase: 'join' }, pong, ctx), { state: { phase: 'closed' }, actions: [{ type: 'pong', frame: pong }] })
  })

  it('session - a join dialer refuses PONG in place of JOIN', () => {
    const ctx = jsonCtx('dialer')
    throwsViolation(() => step({ phase: 'join' }, { type: 'PONG', name: 'l', mode: 'hub', sessions: 0, members: 0 }, ctx), 'unexpected_frame')
  })

  it('session - a JSON listener in the join phase refuses AUTH and mesh frames', () => {
    const { ctx, state } = authedListener()
    throwsViolation(() => step(state, { type: 'AUTH', step: 'proof', proof: 'x' }, ctx), 'already_authenticated')
    throwsViolation(() => step(state, { type: 'MSG', text: 'x' }, ctx), 'join_required')
    throwsViolation(() => step(state, { type: 'MEMBER', peerId: 'p', name: 'n', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 }, ctx), 'join_required')
  })

  it('session - a JSON listener JOIN without mode opens without mode', () => {
    const { ctx, state } = authedListener()
    assert.deepEqual(step(state, { type: 'JOIN', name: 'dave' }, ctx).actions, [
      { type: 'send', frame: { type: 'JOIN', name: 'lisa', mode: 'hub' } },
      { type: 'open', name: 'dave' }
    ])
  })

  it('session - an open JSON session hands MSG, ACK and MEMBER to the node', () => {
    const { dialer } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    const frames: Frame[] = [
      { type: 'MSG', text: 'hi', id: 'i', origin: 'o', from: 'lisa', ts: 1, hops: 0 },
      { type: 'ACK', id: 'i', from: 'lisa', origin: 'o', to: 't', hops: 1 },
      { type: 'MEMBER', peerId: 'p', name: 'n', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0 }
    ]
    for (const frame of frames) {
      assert.deepEqual(step(dialer.state, frame, dialer.ctx), { state: dialer.state, actions: [{ type: 'frame', frame }] })
    }
  })

  /** The broadcast-tree and heartbeat-batch frames (7.4, 8.7): mesh frames on JSON only, after JOIN. */
  const treeFrames: Frame[] = [
    { type: 'HEARTBEAT', beats: [['12D3KooWabc', 1, 2]] },
    { type: 'HEARTBEAT', beats: [] },
    { type: 'IHAVE', ids: ['id-1', 'id-2'] },
    { type: 'GRAFT', ids: ['id-1'] },
    { type: 'GRAFT', ids: [] },
    { type: 'PRUNE' }
  ]
  for (const frame of treeFrames) {
    const label = JSON.stringify(frame)
    it(`session - an open JSON session hands ${label} to the node, on both sides`, () => {
      const { dialer, listener } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
      for (const side of [dialer, listener]) {
        assert.deepEqual(step(side.state, frame, side.ctx), { state: side.state, actions: [{ type: 'frame', frame }] }, side.ctx.role)
      }
    })

    it(`session - an open text session refuses ${label} with unexpected_frame`, () => {
      const ctx = textListener()
      const { state } = feedLines(ctx, ['AUTH:letmein123', 'JOIN:alice'])
      throwsViolation(() => step(state, frame, ctx), 'unexpected_frame')
    })

    it(`session - ${label} before JOIN is join_required at a listener, unexpected_frame at a dialer`, () => {
      const { ctx, state } = authedListener()
      throwsViolation(() => step(state, frame, ctx), 'join_required')
      throwsViolation(() => step({ phase: 'join' }, frame, jsonCtx('dialer')), 'unexpected_frame')
    })

    it(`session - ${label} before AUTH is auth_required`, () => {
      const ctx = jsonCtx('listener')
      throwsViolation(() => step(startSession(ctx).state, frame, ctx), 'auth_required')
      const text = textListener()
      throwsViolation(() => step(startSession(text).state, frame, text), 'auth_required')
    })
  }

  it('session - an open JSON session refuses PING, PONG, OK, JOIN and AUTH', () => {
    const { dialer } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    const cases: Array<[Frame, string]> = [
      [{ type: 'PING' }, 'unexpected_frame'],
      [{ type: 'PONG', name: 'l', mode: 'hub', sessions: 0, members: 0 }, 'unexpected_frame'],
      [{ type: 'OK', of: 'AUTH' }, 'unexpected_frame'],
      [{ type: 'JOIN', name: 'lisa' }, 'already_joined'],
      [{ type: 'AUTH', step: 'proof', proof: 'x' }, 'already_authenticated']
    ]
    for (const [frame, code] of cases) throwsViolation(() => step(dialer.state, frame, dialer.ctx), code)
  })

  it('session - JSON EXIT closes with reason exit and sends no OK', () => {
    const { dialer, listener } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    assert.deepEqual(step(dialer.state, { type: 'EXIT', name: 'lisa' }, dialer.ctx), { state: { phase: 'closed' }, actions: [{ type: 'close', reason: 'exit' }] })
    assert.deepEqual(step(listener.state, { type: 'EXIT', name: 'dave' }, listener.ctx), { state: { phase: 'closed' }, actions: [{ type: 'close', reason: 'exit' }] })
    throwsViolation(() => step(dialer.state, { type: 'EXIT', name: 'dave' }, dialer.ctx), 'bad_exit')
  })

  it('session - a closed session refuses every further frame but ERR', () => {
    const ctx = jsonCtx('dialer')
    throwsViolation(() => step({ phase: 'closed' }, { type: 'MSG', text: 'x' }, ctx), 'unexpected_frame')
    throwsViolation(() => step({ phase: 'closed' }, { type: 'PING' }, ctx), 'unexpected_frame')
  })

  it('session - ERR from the remote closes with reason rejected, at every step, for both roles', () => {
    const err: Frame = { type: 'ERR', code: 'name_taken', message: 'the name "dave" is in use' }
    const expected: Step = { state: { phase: 'closed' }, actions: [{ type: 'close', reason: 'rejected', code: 'name_taken', message: 'the name "dave" is in use' }] }
    const { dialer, listener } = handshake(jsonCtx('dialer'), jsonCtx('listener'))
    const states: Array<[SessionContext, SessionState]> = [
      [dialer.ctx, startSession(jsonCtx('dialer')).state],
      [dialer.ctx, { phase: 'auth', dialerNonce: D_NONCE, listenerNonce: L_NONCE }],
      [dialer.ctx, { phase: 'join' }],
      [dialer.ctx, dialer.state],
      [listener.ctx, startSession(listener.ctx).state],
      [listener.ctx, { phase: 'auth', dialerNonce: D_NONCE, listenerNonce: L_NONCE }],
      [listener.ctx, { phase: 'join' }],
      [listener.ctx, listener.state]
    ]
    for (const [ctx, state] of states) assert.deepEqual(step(state, err, ctx), expected, `${ctx.role} in ${state.phase}`)
  })

  it('session - a listener that refuses the JSON handshake with ERR makes the dialer close as rejected', () => {
    const ctx = jsonCtx('dialer')
    const { state } = startSession(ctx)
    const s = step(state, { type: 'ERR', code: 'bad_token', message: 'wrong token' }, ctx)
    assert.deepEqual(s.actions, [{ type: 'close', reason: 'rejected', code: 'bad_token', message: 'wrong token' }])
  })
})
