#!/usr/bin/env node
import { keepingAlive } from '../node/keep-alive.ts'
import { main } from './main.ts'

// Every command runs held open: see keepingAlive (`overlay health` stops a plain libp2p node).
process.exitCode = await keepingAlive(async () => await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process }))
