#!/usr/bin/env node
import { main } from './main.ts'

// libp2p waits on unref'd timers while it stops (e.g. a socket's close grace after the remote hung
// up): without a handle of our own, Node would end the process in the middle of a command (exit 13).
const keepAlive = setInterval(() => {}, 1 << 30)
try {
  process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process })
} finally {
  clearInterval(keepAlive)
}
