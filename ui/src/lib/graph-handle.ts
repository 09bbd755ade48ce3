import type { Core } from 'cytoscape'

declare global {
  // The topology graph while it is on screen, for the browser tests and the devtools console.
  interface Window { overlayGraph?: Core }
}
