export { OverlayNode } from './create-node.ts'
export type { CreateOptions, SessionInfo, MemberInfo, OverlayEventMap } from './create-node.ts'
export { MODES } from './modes.ts'
