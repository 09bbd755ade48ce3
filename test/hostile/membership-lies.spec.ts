/**
 * Hostile peers: membership lies, from members with the token (127.0.0.9). A member announces
 * itself under the honest leaf's name and signs a message "from" it; announces the hub's own name;
 * claims the hub's peer ID at incarnation 2^53-1; and a leaf announces 1,000 invented members. Only
 * a member speaks for itself: none of this may take a name, forge a sender, stop the hub, push
 * incarnations past safe integers, or reach other members as joins.
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { JSON_PROTOCOL } from '../../src/index.ts'
import { Signer } from '../../src/mesh/signing.ts'
import { CliTracker } from '../helpers/cli-process.ts'
import { stopAll, TEST_TOKEN } from '../helpers/create-nodes.ts'
import { attackerIp, hubQuery, joinedTextClient, openArena, stopClients, underAttack } from '../helpers/hostile.ts'
import { cameTrue } from '../helpers/wait-for.ts'
import { jsonJoin, sendFrame } from '../helpers/json-client.ts'
import { createTextClient } from '../helpers/text-client.ts'
import type { MemberFrame, MsgFrame } from '../../src/protocol/frames.ts'
import type { CliProcess } from '../helpers/cli-process.ts'
import type { TextClient } from '../helpers/text-client.ts'
import type { PrivateKey } from '@libp2p/interface'

const cli = new CliTracker()
const INVENTED = 1_000

/** An identity whose peer ID sorts before `peerId`: today's tie-break on a name clash favours it. */
async function keyBefore (peerId: string): Promise<PrivateKey> {
  for (let i = 0; i < 200; i++) {
    const key = await generateKeyPair('Ed25519')
    if (peerIdFromPrivateKey(key).toString() < peerId) return key
  }
  throw new Error(`no key sorting before ${peerId} in 200 tries`)
}

/** Waits until `observer` has seen `n` more of the honest pings: the hub has handled what came before. */
async function hubMovedOn (observer: TextClient, n = 5): Promise<boolean> {
  const pings = (): number => observer.lines.filter(l => l.startsWith('MSG:honest-text:ping-')).length
  const start = pings()
  return await cameTrue(() => pings() >= start + n, { timeout: 5_000 })
}

/** The hub's own incarnation, as `/members` reports it (`since` of its own entry). */
async function selfIncarnation (hub: CliProcess): Promise<number> {
  const members = (await hubQuery(hub, '/members').catch(() => ({ members: [] }))).members as Array<{ self: boolean, since: number }>
  return members.find(m => m.self)?.since ?? Number.NaN
}

describe('hostile membership lies', () => {
  afterEach(async () => { await stopAll(); await cli.stopAll() })
  after(async () => { await cli.stopAll() })

  it('hostile - lies about membership take no name, forge no sender, stop no node and invent no member', async (t) => {
    const arena = await openArena(cli)
    const ip = attackerIp(9)
    const report = await underAttack(arena, 'membership lies', async ({ expect }) => {
      const clients: TextClient[] = []
      try {
        const observer = await joinedTextClient(arena.addr, 'observer', '127.0.0.1')
        clients.push(observer)
        const key = await keyBefore(arena.peerId)
        const liar = await createTextClient({ privateKey: key, localAddress: ip })
        clients.push(liar)
        await liar.connect(arena.addr, JSON_PROTOCOL)
        await jsonJoin(liar, { listenerPeerId: arena.peerId, token: TEST_TOKEN, name: 'liar', mode: 'peer' })
        const member = (over: Partial<MemberFrame>): MemberFrame => ({ type: 'MEMBER', peerId: liar.peerId, name: 'liar', state: 'alive', inc: 1, seq: 0, addrs: [], hops: 0, ...over })

        // 1. Another member's name, then a message signed by the liar "from" that member.
        sendFrame(liar, member({ name: 'honest-leaf', inc: 10 }))
        const forged: MsgFrame = { type: 'MSG', id: `forged-${Date.now()}`, origin: liar.peerId, from: 'honest-leaf', ts: Date.now(), hops: 0, text: 'forged-by-liar' }
        forged.sig = new Signer(key).sign(forged)
        sendFrame(liar, forged)
        await hubMovedOn(observer)
        expect(!observer.lines.includes('MSG:honest-leaf:forged-by-liar'), 'a message signed by the liar never reaches anyone as "from" the honest leaf')

        // 2. The hub's own name at incarnation 0.
        sendFrame(liar, member({ name: arena.name, inc: 0, seq: 1 }))
        await hubMovedOn(observer)
        expect(arena.hub.running, `the hub keeps running after a MEMBER with its own name (exit: ${JSON.stringify(arena.hub.exit)})`)

        // 3. The hub's peer ID at the largest safe incarnation.
        if (arena.hub.running) {
          const before = await selfIncarnation(arena.hub)
          sendFrame(liar, member({ peerId: arena.peerId, name: arena.name, state: 'suspect', inc: Number.MAX_SAFE_INTEGER }))
          await hubMovedOn(observer)
          const after = await selfIncarnation(arena.hub)
          // A refutation may add one; the liar's number must not become the hub's.
          expect(Number.isSafeInteger(after) && Number.isSafeInteger(after + 1) && after - before <= 1, `the hub's incarnation stays bounded after a claim at 2^53-1 (${before} before, ${after} after)`)
        }

        // 4. A leaf that announces 1,000 invented members with IDs that are not peer IDs.
        if (arena.hub.running) {
          const fakeLeaf = await createTextClient({ localAddress: ip })
          clients.push(fakeLeaf)
          await fakeLeaf.connect(arena.addr, JSON_PROTOCOL)
          await jsonJoin(fakeLeaf, { listenerPeerId: arena.peerId, token: TEST_TOKEN, name: 'fake-host', mode: 'leaf' })
          for (let i = 0; i < INVENTED; i++) sendFrame(fakeLeaf, { type: 'MEMBER', peerId: `not-a-peer-id-${i}`, name: `invented-${i}`, state: 'alive', inc: 0, seq: 0, addrs: [], hops: 0 })
          await hubMovedOn(observer, 10)
          const told = observer.lines.filter(l => l.startsWith('JOIN:invented-')).length
          expect(told === 0, `no invented member is announced to other members (${told} of ${INVENTED} were)`)
          const listed = ((await hubQuery(arena.hub, '/members').catch(() => ({ members: [] }))).members as Array<{ name: string }>).filter(m => m.name.startsWith('invented-')).length
          expect(listed === 0, `the hub lists no invented member (${listed} of ${INVENTED})`)
        }
      } finally {
        await stopClients(clients)
      }
    }, { timeoutMs: 60_000 })
    t.diagnostic(JSON.stringify(report))
    assert.deepEqual(report.failures, [])
  })
})
