/**
 * What docs/PROTOCOL.md (3.4, 4.7, 5.1) promises before AUTH: a stream that simply ends gets no ERR
 * and no ban, one that ends mid-line gets `truncated`, a JSON body with a byte-order mark is
 * malformed, and the ERR for an oversized line reaches the client before the connection closes.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { JSON_PROTOCOL } from '../../../src/index.ts'
import { encodeJsonFrame } from '../../../src/protocol/json-codec.ts'
import { loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../../helpers/create-nodes.ts'
import { HubProcess } from '../../helpers/node-process.ts'
import { connectTextClient } from '../../helpers/text-client.ts'
import { recordEvents, waitFor } from '../../helpers/wait-for.ts'

const MiB = 1024 * 1024

describe('hardening - before AUTH, as documented', () => {
  afterEach(stopAll)

  it('pre-auth - a stream that ends before AUTH with nothing sent gets no ERR and no ban; the same peer then joins', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const log = recordEvents(hub)
    const client = await connectTextClient(loopbackAddr(hub))
    await client.end()
    await client.closed
    assert.deepEqual(client.lines, [], 'no ERR')
    assert.equal(client.connection.status, 'open', 'the connection stays')
    assert.deepEqual(log.of('rejected'), [], 'no rejection, so no ban')

    await client.connect(loopbackAddr(hub))
    client.write(`AUTH:${TEST_TOKEN}\nJOIN:again\n`)
    await client.waitLine('OK:JOIN')
  })

  it('pre-auth - complete lines that are no AUTH yet (blank lines) then the end: no ERR, no ban', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const log = recordEvents(hub)
    const client = await connectTextClient(loopbackAddr(hub))
    client.write('\n\r\n')
    await client.end()
    await client.closed
    assert.deepEqual(client.lines, [])
    assert.deepEqual(log.of('rejected'), [])
  })

  it('pre-auth - a stream that ends in the middle of the AUTH line gets ERR:truncated', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const log = recordEvents(hub)
    const client = await connectTextClient(loopbackAddr(hub))
    client.write('AUTH:letm')
    await client.end()
    const line = await client.waitLine(l => l.startsWith('ERR:'))
    // A pre-auth failure on a listener bans, and its ERR says for how long (PROTOCOL.md 3.4 and 4).
    assert.equal(line, 'ERR:truncated:stream ended in the middle of a line (9 bytes); this peer is now refused for 60 s')
    await client.closed
    await waitFor(() => log.of('rejected').length === 1, { timeout: 5_000, message: 'one rejection' })
    assert.equal(log.of('rejected')[0]?.code, 'truncated')
  })

  it('pre-auth - a JSON body that starts with a byte-order mark is refused as bad_frame', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const client = await connectTextClient(loopbackAddr(hub), { protocol: JSON_PROTOCOL })
    const frame = encodeJsonFrame({ type: 'AUTH', step: 'challenge', nonce: 'n'.repeat(43) })
    const body = frame.subarray(1) // a one-byte prefix: the body is under 128 bytes
    const withBom = new Uint8Array([body.length + 3, 0xef, 0xbb, 0xbf, ...body])
    client.write(withBom)
    const err = await client.waitFrame(f => f.type === 'ERR')
    assert.equal(err.type === 'ERR' ? err.code : '', 'bad_frame')
    // The listener's nonce leaves as the stream opens (6.1); the bad frame got nothing else but ERR.
    assert.deepEqual(client.frames().map(f => f.type === 'AUTH' ? `AUTH ${f.step}` : f.type), ['AUTH response', 'ERR'])
  })

  it('pre-auth - a 10 MiB line before AUTH to a hub in its own process: ERR:frame_too_large arrives before the close, 20 times in 20, whether or not the client ends its side', async () => {
    const hub = await HubProcess.start()
    const big = new Uint8Array(10 * MiB).fill(0x61) // 'a', no newline
    for (let round = 0; round < 20; round++) {
      const client = await connectTextClient(hub.addr) // a fresh peer id: the last one is banned
      try {
        client.write(big)
      } catch {} // the hub may already have closed
      // Half the rounds end their side after the line, half keep the stream open (the hub then waits 1 s).
      if (round % 2 === 0) client.end().catch(() => {})
      // A client too busy to read for a moment: the ERR must still be there when it reads.
      const busyUntil = performance.now() + 200
      while (performance.now() < busyUntil) {} // eslint-disable-line no-empty
      await client.connectionClosed
      assert.ok(client.lines.some(l => l.startsWith('ERR:frame_too_large:')), `round ${round}: got ${JSON.stringify(client.lines)}`)
      await client.stop()
    }
    assert.equal((await hub.status()).uncaught, 0)
  })
})
