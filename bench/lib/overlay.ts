/**
 * EXTENSION POINT: the overlay side of the figures.
 *
 * The overlay's library API is being written (src/). When it lands, each
 * figure in bench/figures/*.ts gets an 'overlay' variant, driven by new
 * workers bench/workers/overlay-*.ts that import the API (from
 * '../../src/index.ts') and speak the same IPC commands as the baseline
 * workers (listen/expect/send/rtt/dial, create/connect/status/counters/
 * publish/receipts, idle/hold/measure/connect). Results use the same
 * (figure, case, metric) keys with variant: 'overlay', so the table, JSON,
 * SVG and docs pick them up without further changes.
 *
 * Expected API (as announced by the lead; adjust when it is final):
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface OverlayNodeLike {
  start: () => Promise<void>
  stop: () => Promise<void>
  send: (text: string) => Promise<unknown> | unknown
  sendTo: (name: string, text: string) => Promise<unknown> | unknown
  sessions: () => unknown[]
  members: () => unknown[]
  addEventListener?: (type: string, fn: (evt: unknown) => void) => void
  on?: (type: string, fn: (...args: unknown[]) => void) => unknown
}

export type CreateOverlayNode = (config: Record<string, unknown>) => Promise<OverlayNodeLike> | OverlayNodeLike

const SRC_INDEX = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'index.ts')

/**
 * Whether src/index.ts mentions an exported createOverlayNode yet. A text
 * check, not an import: the bench must not load (or start anything from)
 * code that is being edited. Used only for the "overlay side pending" line;
 * no figure produces overlay numbers until its overlay variant is written.
 */
export function overlayApiStatus (): 'missing' | 'found' {
  if (!existsSync(SRC_INDEX)) return 'missing'
  const text = readFileSync(SRC_INDEX, 'utf8')
  return /export\s+(\{[^}]*\bcreateOverlayNode\b|(async\s+)?function\s+createOverlayNode\b|const\s+createOverlayNode\b)/.test(text) ? 'found' : 'missing'
}
