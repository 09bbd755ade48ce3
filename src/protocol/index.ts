import { OverlayProtocol } from './overlay-protocol.ts'
import type { OverlayProtocolComponents, OverlayProtocolInit } from './overlay-protocol.ts'

export * from './frames.ts'
export { LengthPrefixDecoder, encodeJsonFrame, decodeJsonFrame } from './json-codec.ts'
export { OverlayProtocol } from './overlay-protocol.ts'
export type { OverlayProtocolComponents, OverlayProtocolInit } from './overlay-protocol.ts'

/**
 * The overlay protocol as a libp2p service: `services: { overlay: overlayProtocol({ token }) }`,
 * then `libp2p.services.overlay`. libp2p passes the components and starts and stops it.
 */
export function overlayProtocol (init: OverlayProtocolInit): (components: OverlayProtocolComponents) => OverlayProtocol {
  return components => new OverlayProtocol(components, init)
}
