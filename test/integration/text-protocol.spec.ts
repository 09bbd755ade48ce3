/**
 * The legacy text protocol (/p2p-overlay/text/1.0.0) driven byte by byte from a bare libp2p node:
 * the original example, interplay with JSON leaves, and every way a node refuses a client.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { TEXT_PROTOCOL } from '../../src/index.ts'
import { createNodes, hasSession, isMember, knowsMember, loopbackAddr, startNode, stopAll, TEST_TOKEN, tracker } from '../helpers/create-nodes.ts'
import { connectTextClient, createTextClient } from '../helpers/text-client.ts'
import { nextEvent, recordEvents, waitFor } from '../helpers/wait-for.ts'
import type { OverlayNode } from '../../src/index.ts'
import type { TextClient } from '../helpers/text-client.ts'
import type { EventLog } from '../helpers/wait-for.ts'

const AUTH = `AUTH:${TEST_TOKEN}\n`

/** The lines in `lines` that `pick` accepts, in order. */
const only = (lines: string[], pick: RegExp): string[] => lines.filter(l => pick.test(l))

describe('text protocol - happy paths', () => {
  afterEach(stopAll)

  it('text protocol - the original example bytes in one write: OK replies in order, hello delivered from alice, alice joins then exits', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub' })
    const log = recordEvents(hub)
    const client = await connectTextClient(loopbackAddr(hub))
    const delivered = nextEvent(hub, 'message', m => m.text === 'hello', { timeout: 5_000 })
    const left = nextEvent(hub, 'left', l => l.name === 'alice', { timeout: 5_000 })
    client.write('AUTH:letmein123\nJOIN:alice\nMSG:hello\nEXIT:alice\n')

    const msg = await delivered
    assert.equal(msg.from, 'alice')
    assert.equal(msg.origin, hub.peerId, 'the hub speaks for its text client')
    assert.equal((await left).reason, 'exit')
    await client.remoteEnded
    assert.deepEqual(only(client.lines, /^(OK|ERR):/), ['OK:AUTH', 'OK:JOIN', 'OK:EXIT'])
    assert.deepEqual(only(client.lines, /^JOIN:/), ['JOIN:hub'], 'the client is told who is there')

    const forAlice = log.events.filter(e => 'name' in e && e.name === 'alice').map(e => e.type === 'session' ? `session:${e.action}` : e.type)
    assert.deepEqual(forAlice, ['session:open', 'joined', 'session:close', 'left'])
    assert.deepEqual(log.of('session').map(s => [s.wire, s.mode, s.reason]), [['text', 'text', undefined], ['text', 'text', 'exit']])
    assert.equal(hasSession(hub, client.peerId), false)
    assert.equal(isMember(hub, 'alice'), false)
    await client.end()
    await client.closed
  })

  it('text protocol - a JSON leaf and a text client see each other join, exchange messages and see each other leave', async () => {
    const { hub, leaves: [leaf] } = await createNodes({ hub: 1, leaf: 1 })
    assert.ok(hub !== undefined && leaf !== undefined)
    const leafLog = recordEvents(leaf)
    const client = await connectTextClient(loopbackAddr(hub))
    client.write(`${AUTH}JOIN:bob\n`)
    await client.waitLine('OK:JOIN')
    await client.waitLine('JOIN:leaf0')
    await client.waitLine('JOIN:hub')

    await waitFor(() => isMember(leaf, 'bob'), { timeout: 5_000, message: 'the leaf lists bob' })
    assert.equal(leafLog.of('joined', j => j.name === 'bob').length, 1)

    const atLeaf = nextEvent(leaf, 'message', m => m.text === 'hi from text', { timeout: 5_000 })
    client.write('MSG:hi from text\n')
    assert.equal((await atLeaf).from, 'bob')

    await leaf.send('hi from json')
    await client.waitLine('MSG:leaf0:hi from json')

    const late = await tracker.startNode({ mode: 'leaf', name: 'late', bootstrap: [loopbackAddr(hub)] })
    await client.waitLine('JOIN:late')
    await late.stop()
    await client.waitLine('EXIT:late')

    const bobLeft = nextEvent(leaf, 'left', l => l.name === 'bob', { timeout: 5_000 })
    client.write('EXIT:bob\n')
    await client.waitLine('OK:EXIT')
    assert.equal((await bobLeft).reason, 'exit')
    assert.equal(leafLog.of('message', m => m.from === 'leaf0').length, 0, 'the leaf does not get its own message back')
    assert.deepEqual(only(client.lines, /^MSG:/), ['MSG:leaf0:hi from json'], 'the client does not get its own message back')
  })

  it('text protocol - acceptText false: the text protocol is not offered, JSON still is', async () => {
    const hub = await startNode({ mode: 'hub', name: 'hub', acceptText: false })
    const client = await createTextClient()
    await assert.rejects(client.connect(loopbackAddr(hub), TEXT_PROTOCOL), (err: Error) => err.name === 'UnsupportedProtocolError')
    const leaf = await startNode({ mode: 'leaf', name: 'leaf0', bootstrap: [loopbackAddr(hub)] })
    await waitFor(() => hasSession(hub, leaf), { timeout: 10_000, message: 'a JSON leaf still joins' })
    assert.deepEqual(hub.sessions().map(s => s.wire), ['json'])
  })
})

describe('text protocol - rejections', () => {
  let hub: OverlayNode
  let leaf: OverlayNode
  let log: EventLog
  /** Short, so the deadline test is quick; it covers AUTH and JOIN together. */
  const authMs = 1_000
  const maxFrameBytes = 1024

  before(async () => {
    const mesh = await createNodes({ hub: 1, leaf: 1 }, { hub: { timeouts: { authMs }, limits: { maxFrameBytes } } })
    hub = mesh.hub as OverlayNode
    leaf = mesh.leaves[0] as OverlayNode
    log = recordEvents(hub)
  })
  after(stopAll)

  /** A fresh client with its own peer id, connected to the hub. */
  const connect = async (): Promise<TextClient> => await connectTextClient(loopbackAddr(hub))

  /** The ERR line arrived with `code`, and it is the last thing the client got. */
  async function expectErr (client: TextClient, code: string): Promise<void> {
    const line = await client.waitLine(l => l.startsWith('ERR:'))
    assert.equal(line.split(':')[1], code, `got ${line}`)
    await client.remoteEnded
    assert.equal(client.lines.at(-1), line, 'nothing after the ERR line')
  }

  /** The hub ended the stream (and the connection too when `connection`); it keeps no stream from the client. */
  async function expectClosed (client: TextClient, connection: boolean): Promise<void> {
    if (connection) {
      await client.connectionClosed
    } else {
      assert.equal(client.connection.status, 'open', 'an authenticated client keeps its connection; only the stream ends')
      await client.end()
    }
    await client.closed
    await waitFor(() => hub.libp2p.getConnections(client.node.peerId).flatMap(c => c.streams).every(s => s.protocol !== TEXT_PROTOCOL), {
      timeout: 5_000,
      message: 'the hub holds no text stream from the client'
    })
  }

  /** The client never became a session or a member, here or at the leaf. */
  function expectNeverListed (client: TextClient, name?: string): void {
    const peerId = client.peerId
    assert.equal(log.of('session', s => s.peerId === peerId).length, 0, 'the hub never opened a session')
    assert.equal(hasSession(hub, peerId), false)
    assert.equal(knowsMember(hub, peerId), false)
    assert.equal(knowsMember(leaf, peerId), false)
    if (name !== undefined) assert.equal(log.of('joined', j => j.name === name && j.peerId === peerId).length, 0)
  }

  it('text rejection - no AUTH within authMs: ERR:auth_timeout, connection closed, rejected event', async () => {
    const client = await connect()
    const rejected = nextEvent(hub, 'rejected', r => r.peerId === client.peerId, { timeout: authMs + 5_000 })
    const t0 = Date.now()
    await expectErr(client, 'auth_timeout')
    assert.ok(Date.now() - t0 >= authMs - 50, 'not before the deadline')
    assert.equal((await rejected).code, 'auth_timeout')
    await expectClosed(client, true)
    expectNeverListed(client)
    // A timeout bans nobody: the same peer id, on a new connection, is let in at once.
    await client.connect(loopbackAddr(hub))
    client.write(AUTH)
    await client.waitLine('OK:AUTH')
    assert.equal(log.of('rejected', r => r.peerId === client.peerId && r.code === 'banned').length, 0)
    await client.close()
  })

  it('text rejection - AUTH but no JOIN within authMs: ERR:auth_timeout, stream closed, not banned', async () => {
    const client = await connect()
    client.write(AUTH)
    await client.waitLine('OK:AUTH')
    await expectErr(client, 'auth_timeout')
    // Reported (the hub logs every refusal), but it proved the token, so it is not banned: its connection stays.
    assert.deepEqual(log.of('rejected', r => r.peerId === client.peerId).map(r => r.code), ['auth_timeout'])
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - MSG before AUTH: ERR:auth_required, connection closed, rejected event', async () => {
    const client = await connect()
    const rejected = nextEvent(hub, 'rejected', r => r.peerId === client.peerId, { timeout: 5_000 })
    client.write('MSG:sneaky\n')
    await expectErr(client, 'auth_required')
    assert.equal((await rejected).code, 'auth_required')
    await expectClosed(client, true)
    expectNeverListed(client)
    assert.equal(log.of('message', m => m.text === 'sneaky').length, 0)
  })

  it('text rejection - a wrong token: ERR:bad_token, connection closed, rejected event', async () => {
    const client = await connect()
    const rejected = nextEvent(hub, 'rejected', r => r.peerId === client.peerId, { timeout: 5_000 })
    client.write('AUTH:letmein124\nJOIN:eve\n')
    await expectErr(client, 'bad_token')
    assert.equal((await rejected).code, 'bad_token')
    await expectClosed(client, true)
    expectNeverListed(client, 'eve')
  })

  it('text rejection - AUTH twice: ERR:already_authenticated, stream closed', async () => {
    const client = await connect()
    client.write(`${AUTH}${AUTH}JOIN:twice\n`)
    await expectErr(client, 'already_authenticated')
    assert.deepEqual(client.lines.slice(0, 1), ['OK:AUTH'])
    await expectClosed(client, false)
    expectNeverListed(client, 'twice')
  })

  it('text rejection - JOIN with a bad name: ERR:bad_name, stream closed', async () => {
    const client = await connect()
    client.write(`${AUTH}JOIN:no spaces allowed\n`)
    await expectErr(client, 'bad_name')
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - JOIN with a name another member holds: ERR:name_taken, stream closed', async () => {
    const client = await connect()
    client.write(`${AUTH}JOIN:${leaf.name}\n`)
    await expectErr(client, 'name_taken')
    await expectClosed(client, false)
    expectNeverListed(client)
    assert.ok(isMember(hub, leaf.peerId), 'the holder keeps its name')
  })

  it('text rejection - JOIN with the hub\'s own name: ERR:name_taken', async () => {
    const client = await connect()
    client.write(`${AUTH}JOIN:${hub.name}\n`)
    await expectErr(client, 'name_taken')
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - EXIT for another name: ERR:bad_exit, stream closed, the member is removed', async () => {
    const client = await connect()
    client.write(`${AUTH}JOIN:carol\n`)
    await client.waitLine('OK:JOIN')
    await waitFor(() => isMember(leaf, 'carol'), { timeout: 5_000, message: 'carol joined' })
    const left = nextEvent(hub, 'left', l => l.name === 'carol', { timeout: 5_000 })
    client.write(`EXIT:${leaf.name}\n`)
    await expectErr(client, 'bad_exit')
    assert.equal((await left).reason, 'disconnect')
    await expectClosed(client, false)
    assert.equal(hasSession(hub, client.peerId), false)
    assert.equal(isMember(hub, 'carol'), false)
    await waitFor(() => !isMember(leaf, 'carol'), { timeout: 5_000, message: 'the leaf drops carol too' })
    assert.ok(isMember(hub, leaf.peerId), 'the member named in the bad EXIT is untouched')
  })

  it('text rejection - a line longer than maxFrameBytes: ERR:frame_too_large, stream closed', async () => {
    const client = await connect()
    client.write(AUTH)
    await client.waitLine('OK:AUTH')
    client.write(`JOIN:${'x'.repeat(maxFrameBytes + 10)}\n`)
    await expectErr(client, 'frame_too_large')
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - lines before a bad line in the same write still count: OK:AUTH, then the ERR, and no ban', async () => {
    const client = await connect()
    // One chunk: a valid AUTH, then an oversized line. The AUTH must be processed before the bad line.
    client.write(`${AUTH}JOIN:${'x'.repeat(maxFrameBytes + 10)}\n`)
    await expectErr(client, 'frame_too_large')
    assert.deepEqual(client.lines, ['OK:AUTH', client.lines[1]], `the AUTH was answered first: ${JSON.stringify(client.lines)}`)
    // Reported with its code, but not banned: an authenticated client keeps its connection.
    assert.deepEqual(log.of('rejected', r => r.peerId === client.peerId).map(r => r.code), ['frame_too_large'])
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - an endless line without a newline: ERR:frame_too_large before it ends', async () => {
    const client = await connect()
    client.write(AUTH)
    await client.waitLine('OK:AUTH')
    client.write('MSG:' + 'y'.repeat(maxFrameBytes * 2)) // no newline: the hub must not buffer it all
    await expectErr(client, 'frame_too_large')
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - invalid UTF-8: ERR:bad_utf8, stream closed', async () => {
    const client = await connect()
    client.write(AUTH)
    await client.waitLine('OK:AUTH')
    client.write(Uint8Array.from([...Buffer.from('JOIN:dan'), 0xc3, 0x28, 0x0a]))
    await expectErr(client, 'bad_utf8')
    await expectClosed(client, false)
    expectNeverListed(client)
  })

  it('text rejection - the client closes mid-line: the session ends, the member is removed, nothing is delivered', async () => {
    const client = await connect()
    client.write(`${AUTH}JOIN:hal\n`)
    await client.waitLine('OK:JOIN')
    await waitFor(() => isMember(hub, 'hal'), { timeout: 5_000, message: 'hal joined' })
    const left = nextEvent(hub, 'left', l => l.name === 'hal', { timeout: 5_000 })
    const closed = nextEvent(hub, 'session', s => s.name === 'hal' && s.action === 'close', { timeout: 5_000 })
    client.write('MSG:hal')
    await client.end()
    assert.equal((await left).reason, 'disconnect')
    await closed
    await client.remoteEnded
    await client.closed
    assert.equal(hasSession(hub, client.peerId), false)
    assert.equal(log.of('message', m => m.from === 'hal').length, 0, 'the half line is not delivered')
    assert.equal(log.of('session', s => s.name === 'hal' && s.action === 'close').length, 1)
    // The cut is reported to the client as truncated, if it still reads.
    assert.deepEqual(only(client.lines, /^ERR:/).map(l => l.split(':')[1]), ['truncated'])
  })

  it('text rejection - after all of the above the hub still works: a fresh client joins and talks to the leaf', async () => {
    assert.equal(hub.libp2p.status, 'started')
    assert.deepEqual(hub.sessions().map(s => s.peerId), [leaf.peerId], 'only the leaf is left')
    const client = await connect()
    const atLeaf = nextEvent(leaf, 'message', m => m.from === 'zoe' && m.text === 'still here?', { timeout: 5_000 })
    client.write(`${AUTH}JOIN:zoe\nMSG:still here?\n`)
    await client.waitLine('OK:JOIN')
    await atLeaf
    assert.ok(hasSession(hub, client.peerId))
    assert.ok(hasSession(leaf, hub.peerId), 'the leaf kept its session through all of it')
  })
})
