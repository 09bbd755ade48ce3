/**
 * Figure registry, in run order. Each module exports
 * `figure: { id, title, run(opts): Promise<Result[]> }`.
 *
 * EXTENSION POINT (overlay): overlay variants are added inside the existing
 * figures (same ids/cases/metrics, variant 'overlay'); overlay-only figures
 * (e.g. reconnect after a hub restart) are new modules listed here.
 * `pending` lists sides a figure does not measure yet; it is printed and
 * stored in the JSON so nobody mistakes a baseline-only figure for a comparison.
 */
import type { Figure } from '../lib/types.ts'
import { figure as throughput } from './throughput.ts'
import { figure as rtt } from './rtt.ts'
import { figure as dial } from './dial.ts'
import { figure as broadcast } from './broadcast.ts'
import { figure as memory } from './memory.ts'

export interface FigureEntry { figure: Figure, pending: string[] }

export const figures: FigureEntry[] = [
  { figure: throughput, pending: ['overlay'] },
  { figure: rtt, pending: ['overlay'] },
  { figure: dial, pending: ['overlay'] },
  { figure: broadcast, pending: ['overlay'] },
  { figure: memory, pending: ['overlay'] }
]
