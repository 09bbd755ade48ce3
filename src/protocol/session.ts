/**
 * One session's state machine: step(state, frame, ctx) -> { state, actions }. Pure: it never touches
 * a stream; randomness and the roster arrive through `ctx`. Illegal frames throw ProtocolViolationError.
 */
import { NAME_PATTERN } from '../constants.ts'
import { ProtocolViolationError } from '../errors.ts'
import { authProof, newNonce, proofValid, tokensEqual, AuthRole } from './auth.ts'
import { ErrorCode } from './frames.ts'
import { Wire } from './frames.ts'
import type { ErrorCode as Code, Frame, MeshFrame, PongFrame } from './frames.ts'

export { Wire } from './frames.ts'

/** What the dialer opens the session for. */
export const Purpose = { join: 'join', health: 'health' } as const
export type Purpose = typeof Purpose[keyof typeof Purpose]

export interface SessionContext {
  wire: Wire
  role: AuthRole
  purpose: Purpose
  token: string
  localPeerId: string
  remotePeerId: string
  localName: string
  /** Sent in JSON JOINs so the remote knows whether we relay. */
  localMode: string
  /** Whether this node takes JOINs at all (a leaf does not). */
  acceptsJoins: boolean
  /** Free, or held by this same peer id coming back. */
  nameAvailable: (name: string, peerId: string) => boolean
  nonce?: () => string
}

export type SessionState =
  | { phase: 'auth', dialerNonce?: string, listenerNonce?: string }
  | { phase: 'join' }
  | { phase: 'open', remoteName: string }
  | { phase: 'closed' }

export type SessionAction =
  | { type: 'send', frame: Frame }
  /**
   * The remote proved the token: failures from here on are no failed AUTH (no ban). The auth
   * deadline runs on until the session opens, as it covers JOIN too.
   */
  | { type: 'authenticated' }
  /** Both sides joined: the remote is a session member named `name`. */
  | { type: 'open', name: string, mode?: string }
  /** A mesh frame for the node to handle. */
  | { type: 'frame', frame: MeshFrame }
  /** The remote asked for health: answer PONG and close. */
  | { type: 'ping' }
  | { type: 'pong', frame: PongFrame }
  /** End the session. `exit`: clean EXIT; `rejected`: the remote sent ERR. */
  | { type: 'close', reason: 'exit' | 'rejected', code?: Code, message?: string }

export interface Step { state: SessionState, actions: SessionAction[] }

const violation = (code: Code, message: string): ProtocolViolationError => new ProtocolViolationError(code, message)

/**
 * The first state, and what to send before anything arrives: on JSON, each side's nonce. The
 * listener's needs nothing from the dialer, so it leaves at once and the dialer can prove itself
 * as soon as the stream opens (one round trip less).
 */
export function startSession (ctx: SessionContext): Step {
  if (ctx.wire === Wire.text) return { state: { phase: 'auth' }, actions: [] }
  const nonce = (ctx.nonce ?? newNonce)()
  return ctx.role === AuthRole.dialer
    ? { state: { phase: 'auth', dialerNonce: nonce }, actions: [{ type: 'send', frame: { type: 'AUTH', step: 'challenge', nonce } }] }
    : { state: { phase: 'auth', listenerNonce: nonce }, actions: [{ type: 'send', frame: { type: 'AUTH', step: 'response', nonce } }] }
}

export function step (state: SessionState, frame: Frame, ctx: SessionContext): Step {
  if (frame.type === 'ERR') {
    return { state: { phase: 'closed' }, actions: [{ type: 'close', reason: 'rejected', code: frame.code, message: frame.message }] }
  }
  switch (state.phase) {
    case 'auth': return ctx.wire === Wire.text ? textAuth(frame, ctx) : jsonAuth(state, frame, ctx)
    case 'join': return join(frame, ctx)
    case 'open': return open(state, frame, ctx)
    case 'closed': throw violation(ErrorCode.unexpectedFrame, `${frame.type} after the session closed`)
  }
}

function textAuth (frame: Frame, ctx: SessionContext): Step {
  if (frame.type !== 'AUTH') throw violation(ErrorCode.authRequired, `${frame.type} before AUTH`)
  if (!tokensEqual(frame.token ?? '', ctx.token)) throw violation(ErrorCode.badToken, 'wrong token')
  return { state: { phase: 'join' }, actions: [{ type: 'authenticated' }, { type: 'send', frame: { type: 'OK', of: 'AUTH' } }] }
}

/**
 * The dialer proves first: a listener reveals nothing derived from the token to a dialer that has
 * not proven it knows the token (else anyone who can connect could collect HMACs to test guesses).
 */
function jsonAuth (state: Extract<SessionState, { phase: 'auth' }>, frame: Frame, ctx: SessionContext): Step {
  if (ctx.role === AuthRole.dialer) {
    if (state.listenerNonce === undefined) {
      if (frame.type !== 'AUTH' || frame.step !== 'response' || !nonceOk(frame.nonce)) {
        throw violation(ErrorCode.authRequired, `expected an AUTH response with a nonce of 16-128 characters, got ${frame.type}`)
      }
      const proof = authProof(ctx.token, AuthRole.dialer, bind(ctx, state.dialerNonce ?? '', frame.nonce))
      // JOIN (or PING) rides with the proof: it reveals only our name and mode, and saves a round trip.
      // Nothing else is sent until the listener's proof checks out.
      const next: Frame = ctx.purpose === Purpose.health ? { type: 'PING' } : { type: 'JOIN', name: ctx.localName, mode: ctx.localMode }
      return { state: { ...state, listenerNonce: frame.nonce }, actions: [{ type: 'send', frame: { type: 'AUTH', step: 'proof', proof } }, { type: 'send', frame: next }] }
    }
    if (frame.type !== 'AUTH' || frame.step !== 'proof' || frame.proof === undefined) {
      throw violation(ErrorCode.authRequired, `expected the listener's AUTH proof, got ${frame.type}`)
    }
    if (!proofValid(ctx.token, AuthRole.listener, bind(ctx, state.dialerNonce ?? '', state.listenerNonce), frame.proof)) {
      throw violation(ErrorCode.badToken, 'the listener could not prove it knows the token')
    }
    return { state: { phase: 'join' }, actions: [{ type: 'authenticated' }] }
  }
  if (frame.type !== 'AUTH') throw violation(ErrorCode.authRequired, `${frame.type} before AUTH`)
  if (state.dialerNonce === undefined) {
    if (frame.step !== 'challenge' || !nonceOk(frame.nonce)) {
      throw violation(ErrorCode.authRequired, 'expected an AUTH challenge with a nonce of 16-128 characters')
    }
    return { state: { ...state, dialerNonce: frame.nonce }, actions: [] }
  }
  if (frame.step !== 'proof' || frame.proof === undefined) throw violation(ErrorCode.authRequired, 'expected an AUTH proof')
  const binding = bind(ctx, state.dialerNonce, state.listenerNonce ?? '')
  if (!proofValid(ctx.token, AuthRole.dialer, binding, frame.proof)) throw violation(ErrorCode.badToken, 'wrong token')
  const proof = authProof(ctx.token, AuthRole.listener, binding)
  return { state: { phase: 'join' }, actions: [{ type: 'authenticated' }, { type: 'send', frame: { type: 'AUTH', step: 'proof', proof } }] }
}

function nonceOk (nonce: string | undefined): nonce is string {
  return nonce !== undefined && nonce.length >= 16 && nonce.length <= 128
}

function bind (ctx: SessionContext, dialerNonce: string, listenerNonce: string): Parameters<typeof authProof>[2] {
  const dialerIsLocal = ctx.role === AuthRole.dialer
  return {
    dialerNonce,
    listenerNonce,
    dialerPeerId: dialerIsLocal ? ctx.localPeerId : ctx.remotePeerId,
    listenerPeerId: dialerIsLocal ? ctx.remotePeerId : ctx.localPeerId
  }
}

function join (frame: Frame, ctx: SessionContext): Step {
  if (ctx.role === AuthRole.dialer) {
    if (ctx.purpose === Purpose.health && frame.type === 'PONG') {
      return { state: { phase: 'closed' }, actions: [{ type: 'pong', frame }] }
    }
    if (frame.type !== 'JOIN') throw violation(ErrorCode.unexpectedFrame, `expected the listener's JOIN, got ${frame.type}`)
    checkName(frame.name)
    return { state: { phase: 'open', remoteName: frame.name }, actions: [{ type: 'open', name: frame.name, ...(frame.mode === undefined ? {} : { mode: frame.mode }) }] }
  }
  switch (frame.type) {
    case 'AUTH': throw violation(ErrorCode.alreadyAuthenticated, 'AUTH sent twice')
    case 'PING': return { state: { phase: 'closed' }, actions: [{ type: 'ping' }] }
    case 'JOIN': {
      if (!ctx.acceptsJoins) throw violation(ErrorCode.notAccepting, 'this node accepts no sessions')
      checkName(frame.name)
      if (!ctx.nameAvailable(frame.name, ctx.remotePeerId)) throw violation(ErrorCode.nameTaken, `the name "${frame.name}" is in use`)
      const reply: Frame = ctx.wire === Wire.text ? { type: 'OK', of: 'JOIN' } : { type: 'JOIN', name: ctx.localName, mode: ctx.localMode }
      const mode = ctx.wire === Wire.text ? Wire.text : frame.mode
      return { state: { phase: 'open', remoteName: frame.name }, actions: [{ type: 'send', frame: reply }, { type: 'open', name: frame.name, ...(mode === undefined ? {} : { mode }) }] }
    }
    default: throw violation(ErrorCode.joinRequired, `${frame.type} before JOIN`)
  }
}

function open (state: Extract<SessionState, { phase: 'open' }>, frame: Frame, ctx: SessionContext): Step {
  switch (frame.type) {
    case 'MSG':
    case 'ACK':
    case 'MEMBER':
    case 'HEARTBEAT':
    case 'IHAVE':
    case 'GRAFT':
    case 'PRUNE':
    case 'PROBE':
    case 'PROBEACK':
    case 'DIGEST':
      if (ctx.wire === Wire.text && frame.type !== 'MSG') break
      return { state, actions: [{ type: 'frame', frame }] }
    case 'EXIT': {
      if (frame.name !== state.remoteName) throw violation(ErrorCode.badExit, `EXIT for "${frame.name}" but this session joined as "${state.remoteName}"`)
      const ack: SessionAction[] = ctx.wire === Wire.text ? [{ type: 'send', frame: { type: 'OK', of: 'EXIT' } }] : []
      return { state: { phase: 'closed' }, actions: [...ack, { type: 'close', reason: 'exit' }] }
    }
    case 'JOIN': throw violation(ErrorCode.alreadyJoined, 'JOIN sent twice')
    case 'AUTH': throw violation(ErrorCode.alreadyAuthenticated, 'AUTH sent twice')
  }
  throw violation(ErrorCode.unexpectedFrame, `${frame.type} is not allowed in an open session`)
}

function checkName (name: string): void {
  if (!NAME_PATTERN.test(name)) throw violation(ErrorCode.badName, 'a name is 1-64 characters from [A-Za-z0-9._-]')
}
