/**
 * p2p-overlay: a peer mesh on js-libp2p.
 *
 * @example
 * ```ts
 * import { createOverlayNode } from 'p2p-overlay'
 * const node = await createOverlayNode({ name: 'alice', token: 'letmein123', bootstrap: ['/ip4/127.0.0.1/tcp/9000'] })
 * node.addEventListener('message', evt => { console.log(evt.detail.from, evt.detail.text) })
 * await node.start()
 * await node.send('hello')
 * await node.stop()
 * ```
 * @packageDocumentation
 */
export { createOverlayNode, createOverlayNodeFromConfig } from './create.ts'
export { OverlayNode, MODES } from './node/index.ts'
export type { CreateOptions, SessionInfo, MemberInfo, OverlayEventMap } from './node/index.ts'
export type { MeshStats } from './mesh/index.ts'
export type { OverlayEvents, OverlayEvent, OverlayEventType, LeftReason } from './events.ts'
export { OverlayEventTypes, OVERLAY_EVENT_TYPES } from './events.ts'
export { defaultConfig, loadConfig, validateConfig, Mode, Encryption, ENV_VARS } from './config/index.ts'
export type { OverlayConfig, PartialConfig } from './config/index.ts'
export { TEXT_PROTOCOL, JSON_PROTOCOL } from './constants.ts'
export { FrameType, ErrorCode, MemberState } from './protocol/frames.ts'
export * from './errors.ts'
