export type { MeshStats } from './mesh.ts'
