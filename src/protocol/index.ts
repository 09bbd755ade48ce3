import { OverlayProtocol } from './overlay-protocol.ts'
import type { OverlayProtocolComponents, OverlayProtocolInit } from './overlay-protocol.ts'

export * from './frames.ts'
export { LineDecoder, decodeClientLine, decodeNodeLine, encodeTextLine } from './text-codec.ts'
export type { TextClientFrame, TextNodeFrame } from './text-codec.ts'
export { LengthPrefixDecoder, encodeJsonFrame, decodeJsonFrame } from './json-codec.ts'
export { startSession, step, Purpose } from './session.ts'
export type { SessionContext, SessionState, SessionAction, Step } from './session.ts'
export { AuthRole, authProof, proofValid, tokensEqual, newNonce, generateToken } from './auth.ts'
export { OverlayProtocol } from './overlay-protocol.ts'
export type { OverlayProtocolComponents, OverlayProtocolInit } from './overlay-protocol.ts'
export { Session, SessionShared, defaultLimits } from './stream-session.ts'
export { SendWhen, LINGER_MS } from './write-queue.ts'
export type { SessionPolicy, SessionEvents, SessionSettings, CloseReason, ProtocolStats, ProtocolLimits } from './port.ts'

/**
 * The overlay protocol as a libp2p service: `services: { overlay: overlayProtocol({ token }) }`,
 * then `libp2p.services.overlay`. libp2p passes the components and starts and stops it.
 */
export function overlayProtocol (init: OverlayProtocolInit): (components: OverlayProtocolComponents) => OverlayProtocol {
  return components => new OverlayProtocol(components, init)
}
