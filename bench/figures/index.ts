/**
 * The list of figures, in run order. Every figure measures the overlay side by
 * side with its baselines in the same run (membership and fan-in have no
 * baseline to run; soak is opt-in with --soak). `pending` lists sides a figure
 * does not measure; it is printed and stored in the JSON.
 */
import type { Figure } from '../lib/types.ts'
import { figure as throughput } from './throughput.ts'
import { figure as rtt } from './rtt.ts'
import { figure as dial } from './dial.ts'
import { figure as broadcast } from './broadcast.ts'
import { figure as membership } from './membership.ts'
import { figure as memory } from './memory.ts'
import { figure as fanin } from './fanin.ts'
import { figure as soak } from './soak.ts'

export interface FigureEntry { figure: Figure, pending: string[], optIn?: boolean }

export const figures: FigureEntry[] = [
  { figure: throughput, pending: [] },
  { figure: rtt, pending: [] },
  { figure: dial, pending: [] },
  { figure: broadcast, pending: [] },
  { figure: membership, pending: [] },
  { figure: memory, pending: [] },
  { figure: fanin, pending: [] },
  { figure: soak, pending: [], optIn: true }
]
