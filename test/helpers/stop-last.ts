/**
 * A script whose last step is `await node.stop()`, as a user's would be: a leaf bootstraps to
 * argv[2] with a token the node there refuses, and stops once it was refused (a refusal is final:
 * the node is stopping itself by then, and `stop()` must still finish it). Run
 * without an IPC channel (nothing of the parent's keeps it alive). Prints the data dir's entries
 * afterwards as one JSON line.
 */
import { readdir } from 'node:fs/promises'
import { createOverlayNode } from '../../src/index.ts'

const [addr = '', dataDir = ''] = process.argv.slice(2)
const node = await createOverlayNode({ mode: 'leaf', name: 'refused', listen: [], bootstrap: [addr], token: 'not-the-hubs-token', dataDir })
const refused = new Promise(resolve => { node.addEventListener('error', resolve, { once: true }) })
await node.start()
await refused
await node.stop()
process.stdout.write(JSON.stringify({ stopped: true, left: (await readdir(dataDir)).sort() }) + '\n')
