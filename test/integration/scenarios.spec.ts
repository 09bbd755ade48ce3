/**
 * The original design's six scenarios, end to end over loopback TCP with real nodes:
 * single connection, messages after auth, invalid token, retry, disconnection cleanup, sequential clients.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, it } from 'node:test'
import { createNode, createNodes, freePort, hasSession, isMember, knowsMember, loopbackAddr, startNode, stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { connectTextClient } from '../helpers/text-client.ts'
import { nextEvent, recordEvents, waitFor } from '../helpers/wait-for.ts'
import type { OverlayEvents } from '../../src/index.ts'

afterEach(stopAll)

describe('scenario 1: single peer connection', () => {
  it('single connection - hub and leaf both list the session and each sees the other join once', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const hubLog = recordEvents(hub)
    const leaf = await createNode({ mode: 'leaf', name: 'leaf1', bootstrap: [loopbackAddr(hub)] })
    const leafLog = recordEvents(leaf)
    await leaf.start()

    await waitFor(() => hasSession(hub, leaf) && hasSession(leaf, hub), { timeout: 10_000, message: 'hub and leaf list each other' })
    assert.deepEqual(hub.sessions().map(s => ({ peerId: s.peerId, name: s.name, wire: s.wire, mode: s.mode })),
      [{ peerId: leaf.peerId, name: 'leaf1', wire: 'json', mode: 'leaf' }])
    assert.deepEqual(leaf.sessions().map(s => ({ peerId: s.peerId, name: s.name, wire: s.wire, mode: s.mode })),
      [{ peerId: hub.peerId, name: 'hub', wire: 'json', mode: 'hub' }])

    await waitFor(() => hubLog.of('joined').length === 1 && leafLog.of('joined').length === 1, { timeout: 5_000, message: 'joined on both sides' })
    assert.deepEqual(hubLog.of('joined'), [{ name: 'leaf1', peerId: leaf.peerId, reason: 'join' }])
    assert.deepEqual(leafLog.of('joined'), [{ name: 'hub', peerId: hub.peerId, reason: 'join' }])
    assert.ok(isMember(hub, leaf.peerId) && isMember(leaf, hub.peerId), 'both list the other as a member')
    assert.deepEqual(hubLog.of('session').map(s => s.action), ['open'])
    assert.deepEqual(leafLog.of('bootstrap').map(b => [b.attempt, b.ok]), [[1, true]])
  })
})

describe('scenario 2: message exchange after authentication', () => {
  it('messages - a leaf broadcast reaches the hub and the other leaf, marked with its name', async () => {
    const { hub, leaves: [a, b] } = await createNodes({ hub: 1, leaf: 2 })
    assert.ok(hub !== undefined && a !== undefined && b !== undefined)
    // b learns about a through the hub's membership gossip.
    await waitFor(() => isMember(b, a.peerId) && isMember(a, b.peerId), { timeout: 5_000, message: 'the leaves know each other' })
    const aLog = recordEvents(a, ['message'])

    const atHub = nextEvent(hub, 'message', m => m.text === 'hello from a', { timeout: 5_000 })
    const atB = nextEvent(b, 'message', m => m.text === 'hello from a', { timeout: 5_000 })
    const { id } = await a.send('hello from a')
    const [h, m] = await Promise.all([atHub, atB])
    for (const got of [h, m]) {
      assert.equal(got.from, 'leaf0')
      assert.equal(got.origin, a.peerId)
      assert.equal(got.id, id)
      assert.equal(got.to, undefined)
    }
    assert.deepEqual(aLog.of('message'), [], 'the sender does not receive its own broadcast')

    const back = nextEvent(a, 'message', x => x.text === 'and back', { timeout: 5_000 })
    await b.send('and back')
    assert.equal((await back).from, 'leaf1')
  })

  it('messages - a direct message reaches only the named leaf and is acknowledged', async () => {
    const { hub, leaves: [a, b, c] } = await createNodes({ hub: 1, leaf: 3 })
    assert.ok(hub !== undefined && a !== undefined && b !== undefined && c !== undefined)
    await waitFor(() => isMember(a, 'leaf1'), { timeout: 5_000, message: 'leaf0 knows leaf1' })
    const cLog = recordEvents(c, ['message'])
    const hubLog = recordEvents(hub, ['message'])

    const atB = nextEvent(b, 'message', x => x.text === 'psst', { timeout: 5_000 })
    await a.sendTo('leaf1', 'psst') // resolves on the acknowledgement
    const got = await atB
    assert.equal(got.from, 'leaf0')
    assert.equal(got.to, b.peerId)
    assert.deepEqual(cLog.of('message'), [], 'another leaf does not see a direct message')
    assert.deepEqual(hubLog.of('message'), [], 'the relaying hub does not deliver it to itself')

    const atHub = nextEvent(hub, 'message', x => x.text === 'to the hub', { timeout: 5_000 })
    await a.sendTo('hub', 'to the hub')
    assert.equal((await atHub).from, 'leaf0')
  })
})

describe('scenario 3: invalid token', () => {
  it('invalid token - the hub rejects a leaf with the wrong token (bad_token) and never lists it', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const hubLog = recordEvents(hub)
    const leaf = await createNode({ mode: 'leaf', name: 'intruder', token: 'not-the-token', bootstrap: [loopbackAddr(hub)] })
    const leafLog = recordEvents(leaf)
    const leafRefused = nextEvent(leaf, 'error', e => e.code === 'bad_token', { timeout: 10_000 })
    const hubRejected = nextEvent(hub, 'rejected', r => r.peerId === leaf.peerId, { timeout: 3_000, message: 'the hub emits rejected for the leaf' })
    await leaf.start()

    // Final: not retried, and it says what to do.
    assert.match((await leafRefused).message, /refused the token; it refuses this peer for 60 s/)
    await leaf.stopped
    assert.equal(leaf.fatalError?.code, 'bad_token')
    assert.deepEqual(leafLog.of('bootstrap'), [], 'a refusal is not a failed attempt to retry')
    assert.equal(hasSession(hub, leaf), false)
    assert.equal(knowsMember(hub, leaf.peerId) || knowsMember(hub, 'intruder'), false, 'the hub never lists the leaf as a member')
    assert.deepEqual(hubLog.of('session'), [])
    assert.deepEqual(hubLog.of('joined'), [])
    assert.deepEqual(leafLog.of('session'), [])
    // The hub itself must refuse the intruder and say why (the leaf's side is covered in auth.spec.ts).
    const rejected = await hubRejected
    assert.equal(rejected.code, 'bad_token')
  })

  it('invalid token - a rejected leaf is refused by the hub gater for banMs, even with the right token', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { banMs: 600_000 } })
    const hubLog = recordEvents(hub)
    const key = await generateKeyPair('Ed25519')
    const bad = await startNode({ mode: 'leaf', name: 'intruder', token: 'not-the-token', bootstrap: [loopbackAddr(hub)], retry: { attempts: 1 } }, { privateKey: key })
    await waitFor(() => hubLog.of('rejected').length > 0 || bad.libp2p.status !== 'started', { timeout: 10_000, message: 'the first attempt ended' })
    await bad.stop()

    // Same peer id, now with the right token: the hub refuses it for the ban period, and says so.
    const again = await createNode({ mode: 'leaf', name: 'intruder', bootstrap: [loopbackAddr(hub)], retry: { attempts: 2, intervalMs: 200 } }, { privateKey: key })
    const againLog = recordEvents(again)
    const refused = nextEvent(again, 'error', e => e.code === 'banned', { timeout: 15_000, message: 'the banned peer is told' })
    await again.start()
    assert.match((await refused).message, /refuses this peer for (599|600) s more/)
    await again.stopped
    assert.deepEqual(againLog.of('bootstrap'), [], 'not retried')
    assert.deepEqual(hubLog.of('session'), [], 'the hub never opened a session with the banned peer')
    assert.equal(knowsMember(hub, peerIdFromPrivateKey(key).toString()), false)
    assert.deepEqual(hubLog.of('rejected').map(r => r.code), ['bad_token', 'banned'], 'the first attempt was rejected for its token, the second for the ban')
  })

  it('invalid token - the ban expires after banMs and the same peer then joins', async () => {
    const banMs = 1_500
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { banMs } })
    const hubLog = recordEvents(hub)
    const key = await generateKeyPair('Ed25519')
    const bad = await startNode({ mode: 'leaf', name: 'intruder', token: 'not-the-token', bootstrap: [loopbackAddr(hub)], retry: { attempts: 1 } }, { privateKey: key })
    await nextEvent(hub, 'rejected', r => r.code === 'bad_token', { timeout: 3_000, message: 'the hub rejects the wrong token' })
    const bannedAt = Date.now()
    await bad.stop()

    const early = await startNode({ mode: 'leaf', name: 'intruder', bootstrap: [loopbackAddr(hub)] }, { privateKey: key })
    await early.stopped
    assert.equal(early.fatalError?.code, 'banned', 'refused while banned')
    await waitFor(() => Date.now() - bannedAt > banMs, { timeout: banMs + 1_000, message: 'the ban period passes' })
    const again = await createNode({ mode: 'leaf', name: 'intruder', bootstrap: [loopbackAddr(hub)] }, { privateKey: key })
    const joined = nextEvent(again, 'bootstrap', b => b.ok, { timeout: 15_000 })
    await again.start()
    const ok = await joined
    assert.equal(ok.attempt, 1, 'let in at once after the ban')
    await waitFor(() => hasSession(hub, again), { timeout: 5_000, message: 'the hub lists the peer once the ban is over' })
    assert.equal(hubLog.of('session', s => s.action === 'open').length, 1)
  })

  it('invalid token - a text client with the wrong token gets ERR:bad_token, is dropped and banned, then let in after banMs', async () => {
    const banMs = 1_500
    const hub = await startNode({ mode: 'hub', name: 'hub', timeouts: { banMs } })
    const hubLog = recordEvents(hub)
    const key = await generateKeyPair('Ed25519')
    const client = await connectTextClient(loopbackAddr(hub), { privateKey: key })
    const rejected = nextEvent(hub, 'rejected', r => r.peerId === client.peerId, { timeout: 5_000 })
    client.write('AUTH:wrong\nJOIN:mallory\n')
    assert.equal((await rejected).code, 'bad_token')
    await client.connectionClosed
    assert.deepEqual(client.lines.map(l => l.split(':').slice(0, 2).join(':')), ['ERR:bad_token'])
    const bannedAt = Date.now()

    // While banned, the same peer id is told so before it may say anything, and its connection closes.
    await client.connect(loopbackAddr(hub))
    assert.match(await client.waitLine(/^ERR:banned:/), /^ERR:banned:this peer is refused for \d s more, after a failed AUTH$/)
    await client.connectionClosed
    assert.deepEqual(hubLog.of('session'), [])

    await waitFor(() => Date.now() - bannedAt > banMs, { timeout: banMs + 1_000, message: 'the ban period passes' })
    await client.connect(loopbackAddr(hub))
    client.write(`AUTH:${TEST_TOKEN}\nJOIN:mallory\n`)
    await client.waitLine('OK:JOIN')
    assert.ok(hasSession(hub, client.peerId))
  })
})

describe('scenario 4: retry on connection failure', () => {
  it('retry - a leaf started before its hub gets in on a later attempt', async () => {
    const port = await freePort()
    const addr = `/ip4/127.0.0.1/tcp/${port}`
    const hub = await createNode({ mode: 'hub', name: 'hub', listen: [addr] })
    const leaf = await createNode({ mode: 'leaf', name: 'early', bootstrap: [addr] })
    const leafLog = recordEvents(leaf, ['bootstrap', 'error'])
    const inside = nextEvent(leaf, 'bootstrap', b => b.ok, { timeout: 15_000, message: 'the leaf reaches the late hub' })
    await leaf.start()
    let hubStart: Promise<void> | undefined
    const timer = setTimeout(() => { hubStart = hub.start() }, 2_500)
    try {
      const ok = await inside
      await hubStart
      assert.ok(ok.attempt > 1, `got in on attempt ${ok.attempt}`)
      const failures = leafLog.of('bootstrap', b => !b.ok)
      assert.deepEqual(failures.map(f => f.attempt), Array.from({ length: ok.attempt - 1 }, (_, i) => i + 1), 'every earlier attempt failed, in order')
      assert.ok(failures.every(f => f.error === 'connection refused'), JSON.stringify(failures))
      assert.deepEqual(leafLog.of('error'), [])
      await waitFor(() => hasSession(hub, leaf), { timeout: 5_000, message: 'the hub lists the leaf' })
    } finally {
      clearTimeout(timer)
      await hubStart?.catch(() => {})
    }
  })

  it('retry - a leaf with no hub gives up with bootstrap_failed after exactly 5 attempts about 1 s apart', async () => {
    const addr = `/ip4/127.0.0.1/tcp/${await freePort()}`
    const leaf = await createNode({ mode: 'leaf', name: 'alone', bootstrap: [addr] })
    const times: number[] = []
    leaf.addEventListener('bootstrap', () => { times.push(Date.now()) })
    const log = recordEvents(leaf, ['bootstrap', 'error'])
    const gaveUp = nextEvent(leaf, 'error', e => e.code === 'bootstrap_failed', { timeout: 20_000 })
    await leaf.start()
    const err = await gaveUp
    assert.match(err.message, /5 attempts/)
    const attempts = log.of('bootstrap')
    assert.deepEqual(attempts.map(a => [a.attempt, a.ok]), [[1, false], [2, false], [3, false], [4, false], [5, false]])
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number)
      assert.ok(gap >= 900, `attempt ${i + 1} came ${gap} ms after the previous one`)
    }
    assert.deepEqual(log.events.map(e => e.type), ['bootstrap', 'bootstrap', 'bootstrap', 'bootstrap', 'bootstrap', 'error'], 'the error comes after the fifth attempt')
    // The node stops itself (the CLI turns this into exit code 1).
    await leaf.stopped
    assert.equal(leaf.fatalError?.code, 'bootstrap_failed')
    assert.equal(leaf.libp2p.status, 'stopped')
  })
})

describe('scenario 5: peer disconnection cleanup', () => {
  it('disconnect - a leaf that vanishes without EXIT is dropped, then suspected, failed and left within the mesh timings', async () => {
    const mesh = { heartbeatMs: 200, suspectAfterMs: 600, failAfterMs: 400 }
    let cut = false
    const hub = await startNode({ mode: 'hub', name: 'hub', mesh })
    const leaf = await createNode({ mode: 'leaf', name: 'ghost', bootstrap: [loopbackAddr(hub)], mesh }, {
      // Once cut, the leaf cannot come back: it stays gone, as if its host died.
      connectionGater: { denyDialPeer: () => cut, denyInboundConnection: () => cut }
    })
    await leaf.start()
    await waitFor(() => hasSession(hub, leaf) && isMember(hub, leaf.peerId), { timeout: 10_000, message: 'the leaf joined' })
    const log = recordEvents(hub)
    const failedEvt = nextEvent(hub, 'failed', f => f.peerId === leaf.peerId, { timeout: 10_000 })
    const leftEvt = nextEvent(hub, 'left', f => f.peerId === leaf.peerId, { timeout: 10_000 })

    cut = true
    const cutAt = Date.now()
    const connections = leaf.libp2p.getConnections(hub.libp2p.peerId)
    assert.equal(connections.length, 1)
    connections[0]?.abort(new Error('cable pulled'))

    await waitFor(() => !hasSession(hub, leaf), { timeout: 5_000, message: 'the hub drops the session' })
    const [failed, left] = await Promise.all([failedEvt, leftEvt])
    const took = Date.now() - cutAt
    const bound = mesh.suspectAfterMs + mesh.failAfterMs + 2 * mesh.heartbeatMs + 1_000
    assert.ok(took <= bound, `failed after ${took} ms; expected at most ${bound}`)
    assert.equal(failed.reason, 'timeout')
    assert.equal(left.reason, 'failed')
    assert.equal(left.name, 'ghost')
    assert.ok(!isMember(hub, leaf.peerId))
    assert.equal(hub.members().find(m => m.peerId === leaf.peerId)?.state, 'failed')

    const forLeaf = (e: { peerId: string }): boolean => e.peerId === leaf.peerId
    const closes = log.of('session', s => forLeaf(s) && s.action === 'close')
    assert.equal(closes.length, 1, 'exactly one session close')
    assert.equal(closes[0]?.reason, 'disconnect')
    assert.deepEqual(log.of('session', s => forLeaf(s) && s.action === 'open'), [], 'it never came back')
    assert.equal(log.of('suspect', forLeaf).length, 1)
    assert.equal(log.of('failed', forLeaf).length, 1)
    assert.equal(log.of('left', forLeaf).length, 1)
    const order = log.events.filter(e => 'peerId' in e && e.peerId === leaf.peerId).map(e => e.type)
    assert.deepEqual(order, ['session', 'suspect', 'failed', 'left'])
  })
})

describe('scenario 6: multiple clients one after another', () => {
  it('sequential clients - five leaves join and leave in turn; each joined and left is seen once and the hub ends empty', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const log = recordEvents(hub)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const leaf = await startNode({ mode: 'leaf', name: `visitor${i}`, bootstrap: [loopbackAddr(hub)] })
      ids.push(leaf.peerId)
      await waitFor(() => hasSession(hub, leaf) && isMember(hub, leaf.peerId), { timeout: 10_000, message: `visitor${i} joined` })
      assert.equal(hub.sessions().length, 1, 'only the current visitor is connected')
      const left = nextEvent(hub, 'left', l => l.peerId === leaf.peerId, { timeout: 5_000 })
      await leaf.stop()
      assert.equal((await left).reason, 'exit')
      await waitFor(() => !hasSession(hub, leaf), { timeout: 5_000, message: `visitor${i} session closed` })
    }
    assert.deepEqual(hub.sessions(), [])
    assert.deepEqual(hub.members().filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')), [])
    const summary = (type: 'joined' | 'left'): Array<[string, string]> =>
      log.of(type).map((e: OverlayEvents['joined'] | OverlayEvents['left']) => [e.name, e.reason])
    assert.deepEqual(summary('joined'), ids.map((_, i) => [`visitor${i}`, 'join']))
    assert.deepEqual(summary('left'), ids.map((_, i) => [`visitor${i}`, 'exit']))
    assert.deepEqual(log.of('session').map(s => `${s.name}:${s.action}:${s.reason ?? ''}`),
      ids.flatMap((_, i) => [`visitor${i}:open:`, `visitor${i}:close:exit`]))
  })
})
