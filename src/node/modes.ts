/**
 * The one place that decides what this node does in each mode; the node and the mesh read these
 * flags, never the mode itself. (How a node treats a neighbour by the mode that neighbour announced,
 * such as not believing a leaf's news about others, is the mesh's rule about that neighbour.)
 */
import { DEFAULT_HUB_PORT } from '../constants.ts'
import type { Mode } from '../config/defaults.ts'

export interface ModeBehaviour {
  /** Where to listen when the config says nothing. */
  defaultListen: string[]
  /** Takes JOINs from other nodes and text clients. */
  acceptsJoins: boolean
  /** Passes broadcasts and membership on to its other sessions. */
  relays: boolean
  /** Watches member heartbeats and declares suspects and failures. */
  watchesLiveness: boolean
  /** Dials known members until it holds the target degree, and retries failed ones (healing). */
  keepsDegree: boolean
  /** Holds one bootstrap session at a time, fails over to the next, and exits when none answers (a leaf). */
  oneUpstream: boolean
  /** The modes of the members it dials to keep its degree: hubs mesh with hubs, peers with peers and hubs; nobody dials a leaf. */
  dials: readonly Mode[]
}

export const MODES: Record<Mode, ModeBehaviour> = {
  peer: {
    defaultListen: ['/ip4/0.0.0.0/tcp/0'],
    acceptsJoins: true,
    relays: true,
    watchesLiveness: true,
    keepsDegree: true,
    oneUpstream: false,
    dials: ['hub', 'peer']
  },
  hub: {
    defaultListen: [`/ip4/0.0.0.0/tcp/${DEFAULT_HUB_PORT}`],
    acceptsJoins: true,
    relays: true,
    watchesLiveness: true,
    keepsDegree: true,
    oneUpstream: false,
    dials: ['hub']
  },
  leaf: {
    // Loopback only, and only for `overlay health`: a leaf refuses every JOIN.
    defaultListen: ['/ip4/127.0.0.1/tcp/0'],
    acceptsJoins: false,
    relays: false,
    watchesLiveness: false,
    keepsDegree: false,
    oneUpstream: true,
    dials: []
  }
}
