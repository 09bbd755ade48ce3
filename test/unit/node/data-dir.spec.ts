import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { acquireDataDir, dataDirFor, dataHome } from '../../../src/node/data-dir.ts'

describe('data-dir', () => {
  const homes: string[] = []
  const newHome = async (): Promise<string> => {
    const home = await mkdtemp(join(tmpdir(), 'overlay-home-'))
    homes.push(home)
    return home
  }
  after(async () => { await Promise.all(homes.map(async h => { await rm(h, { recursive: true, force: true }) })) })

  it('data-dir - two nodes with default settings take different slots, never the same identity dir', async () => {
    const home = await newHome()
    const first = await acquireDataDir(undefined, undefined, home)
    const second = await acquireDataDir(undefined, undefined, home)
    assert.equal(first.path, join(home, 'node'))
    assert.equal(second.path, join(home, 'node-2'))
    await first.release()
    const third = await acquireDataDir(undefined, undefined, home)
    assert.equal(third.path, join(home, 'node'), 'a released slot is reused, so a restart keeps its identity')
    await second.release()
    await third.release()
  })

  it('data-dir - a named node uses <home>/<name>, and a second one with that name is refused', async () => {
    const home = await newHome()
    const alice = await acquireDataDir(undefined, 'alice', home)
    assert.equal(alice.path, join(home, 'alice'))
    await assert.rejects(acquireDataDir(undefined, 'alice', home), { name: 'DataDirLockedError' })
    await alice.release()
  })

  it('data-dir - a lock left by a dead process is stale and taken over', async () => {
    const home = await newHome()
    const dir = join(home, 'node')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'lock'), '2147483646') // no such pid
    const taken = await acquireDataDir(undefined, undefined, home)
    assert.equal(taken.path, dir)
    assert.equal(await readFile(join(dir, 'lock'), 'utf8'), String(process.pid))
    await taken.release()
  })

  it('data-dir - dataHome follows XDG_DATA_HOME; dataDirFor matches what acquireDataDir picks first', () => {
    assert.equal(dataHome({ XDG_DATA_HOME: '/x' }), join('/x', 'p2p-overlay'))
    assert.equal(dataDirFor(undefined, 'bob', '/h'), join('/h', 'bob'))
    assert.equal(dataDirFor(undefined, undefined, '/h'), join('/h', 'node'))
  })
})
