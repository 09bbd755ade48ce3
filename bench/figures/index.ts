/** The figures, in run order; opt-in ones (soak) run only with their flag or --only. */
import { figure as throughput } from './throughput.ts'
import { figure as rtt } from './rtt.ts'
import { figure as dial } from './dial.ts'
import { figure as broadcast } from './broadcast.ts'
import { figure as membership } from './membership.ts'
import { figure as memory } from './memory.ts'
import { figure as fanin } from './fanin.ts'
import { figure as soak } from './soak.ts'

export const figures = [throughput, rtt, dial, broadcast, membership, memory, fanin, soak]
