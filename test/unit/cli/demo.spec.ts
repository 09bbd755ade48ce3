import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseArgs } from '../../../src/cli/args.ts'
import { startArgs } from '../../../src/cli/commands/demo.ts'

describe('cli demo', () => {
  // A generated token is base64url: it starts with '-' one time in 64.
  for (const token of ['-starts-with-a-dash', '--two', 'plain_token-1']) {
    it(`demo - a node's start arguments carry the token ${JSON.stringify(token)} intact`, () => {
      const args = parseArgs(startArgs('node-2', token, '/tmp/demo/node-2', ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWabc']))
      assert.equal(args.command, 'start')
      assert.deepEqual({ ...args.values }, {
        mode: 'peer', name: 'node-2', listen: ['/ip4/127.0.0.1/tcp/0'], token, 'data-dir': '/tmp/demo/node-2', json: true, bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWabc']
      })
    })
  }
})
