/** The one place that decides what each mode does. Everything else reads these flags. */
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
}

export const MODES: Record<Mode, ModeBehaviour> = {
  peer: {
    defaultListen: ['/ip4/0.0.0.0/tcp/0'],
    acceptsJoins: true,
    relays: true,
    watchesLiveness: true,
    keepsDegree: true,
    oneUpstream: false
  },
  hub: {
    defaultListen: [`/ip4/0.0.0.0/tcp/${DEFAULT_HUB_PORT}`],
    acceptsJoins: true,
    relays: true,
    watchesLiveness: true,
    keepsDegree: true,
    oneUpstream: false
  },
  leaf: {
    // Loopback only, and only for `overlay health`: a leaf refuses every JOIN.
    defaultListen: ['/ip4/127.0.0.1/tcp/0'],
    acceptsJoins: false,
    relays: false,
    watchesLiveness: false,
    keepsDegree: false,
    oneUpstream: true
  }
}
