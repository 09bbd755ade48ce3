/** The figures, in run order; opt-in ones (soak) run only with their flag or --only. */
import type { Figure } from '../lib/results.ts'
import { throughput, rtt, dial } from './pairwise.ts'
import { broadcast } from './broadcast.ts'
import { membership, soak } from './membership.ts'
import { memory, fanin } from './memory.ts'
import { idle } from './idle.ts'

export const figures: Figure[] = [throughput, rtt, dial, broadcast, membership, idle, memory, fanin, soak]
