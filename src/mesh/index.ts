export type { MeshStats } from './mesh.ts'
export type { OverlayEvents, OverlayEvent, OverlayEventType, LeftReason } from './events.ts'
