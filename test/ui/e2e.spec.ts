/**
 * The UI end to end: three real nodes (the built CLI) on loopback, the UIs of two of them in a real
 * Chromium. A line typed in UI A reaches UI B and node C's --json output; a direct message shows
 * delivered; C killed turns suspect, then failed, in A's members view and B's graph within 6 s;
 * A restarting on the same data dir and ports leaves its open UI working.
 *
 * With OVERLAY_UI_SCREENSHOTS=DIR it also saves a screenshot of each view there (docs/ui holds the
 * committed ones); CI leaves it unset, so tracked files are not rewritten.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.ts'
import { CliTracker, type CliProcess } from '../helpers/cli-process.ts'
import { freePort } from '../helpers/create-nodes.ts'
import { waitFor } from '../helpers/wait-for.ts'

const TOKEN = 'ui-e2e-mesh-token'
const SHOTS = process.env.OVERLAY_UI_SCREENSHOTS
const tracker = new CliTracker()
let browser: Browser

before(async () => { browser = await launchBrowser() })
after(async () => {
  await browser?.close()
  await tracker.stopAll()
})

async function startNode (name: string, dir: string, extra: string[]): Promise<CliProcess> {
  const p = await tracker.spawn(name, ['start', '--json', '--name', name, '--data-dir', dir, '--token', TOKEN, ...extra], {}, { stdin: 'ignore' })
  await p.waitEvent('listening', undefined, { timeout: 30_000, message: `${name} listening` })
  return p
}

async function openUi (url: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } })
  const page = await ctx.newPage()
  page.setDefaultTimeout(15_000)
  await page.goto(url)
  await page.getByTestId('connection').getByText('online').waitFor()
  return page
}

async function shot (page: Page, name: string): Promise<void> {
  if (SHOTS === undefined) return
  await mkdir(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

const tab = async (page: Page, name: string): Promise<void> => { await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click() }

test('ui end to end - chat between two UIs and a CLI node, delivery marks, failure shown live, a node restart survived', async t => {
  const [dirA, dirB, dirC] = [await tracker.tempDir(), await tracker.tempDir(), await tracker.tempDir()]
  const [tcpA, apiA] = [await freePort(), await freePort()]
  const listenA = `/ip4/127.0.0.1/tcp/${tcpA}`
  const startA = async (): Promise<CliProcess> => await startNode('alice', dirA, ['--listen', listenA, '--api', `127.0.0.1:${apiA}`])
  let a = await startA()
  const seed = (a.of('listening')[0]!.addrs as string[])[0]!
  const b = await startNode('bob', dirB, ['--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', seed])
  const c = await startNode('carol', dirC, ['--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', seed, '--api', 'off'])

  // A's address comes from `overlay ui`, B's from what `start` printed.
  const ui = await tracker.run('ui', ['ui', '--data-dir', dirA, '--json'])
  assert.equal(ui.exit.code, 0, ui.describe())
  const urlA = (JSON.parse(ui.lines[0]!) as { url: string }).url
  assert.match(urlA, new RegExp(`^http://127\\.0\\.0\\.1:${apiA}/\\?token=`))
  const urlB = (await b.waitStderr(l => l.startsWith('UI: '), { timeout: 10_000 })).slice(4)
  const pageA = await openUi(urlA)
  const pageB = await openUi(urlB)
  assert.ok(!pageA.url().includes('token='), `the token left the address bar: ${pageA.url()}`)

  // Everyone is in A's members view before anyone talks.
  await tab(pageA, 'Members')
  await pageA.getByTestId('member-counts').getByText('3 alive').waitFor()

  // A line typed in UI A reaches UI B and node C's --json output.
  await tab(pageA, 'Chat')
  await pageA.getByLabel('Message', { exact: true }).fill('hello from the UI')
  await pageA.getByLabel('Message', { exact: true }).press('Enter')
  await pageB.getByTestId('message').filter({ hasText: 'hello from the UI' }).getByText('alice').waitFor()
  await c.waitEvent('message', e => e.text === 'hello from the UI' && e.from === 'alice', { timeout: 10_000 })
  // And C's line reaches both UIs (C has no UI: it types on stdin-less --json, so B answers instead).
  await pageB.getByLabel('Message', { exact: true }).fill('hi alice, bob here')
  await pageB.getByLabel('Message', { exact: true }).press('Enter')
  await pageA.getByTestId('message').filter({ hasText: 'hi alice, bob here' }).waitFor()

  // A direct message shows delivered once bob acknowledged it; B counts it unread in its own conversation.
  await pageA.getByLabel('Send to').selectOption('bob')
  await pageA.getByLabel('Message', { exact: true }).fill('just for you, bob')
  await pageA.getByLabel('Message', { exact: true }).press('Enter')
  await pageA.getByTestId('message').filter({ hasText: 'just for you, bob' }).getByText('✓ delivered').waitFor()
  await pageB.locator('[data-conv="alice"]').getByLabel('1 unread').waitFor()
  await shot(pageB, 'chat')
  await pageB.locator('[data-conv="alice"]').click()
  await pageB.getByTestId('message').filter({ hasText: 'just for you, bob' }).getByText('direct').waitFor()

  await tab(pageA, 'Node')
  await pageA.getByText(/Sessions: [1-9]/).waitFor()
  await shot(pageA, 'node')
  await tab(pageB, 'Topology')
  await waitFor(async () => await pageB.evaluate(() => window.overlayGraph?.nodes().length ?? 0) === 3, { timeout: 10_000, message: 'B draws three members' })
  await shot(pageB, 'topology')

  // C killed (no EXIT): suspect, then failed, in A's members list and B's graph, within 6 s.
  await tab(pageA, 'Members')
  const graphState = async (): Promise<string | undefined> => await pageB.evaluate(() => window.overlayGraph?.nodes().filter(n => n.data('name') === 'carol').data('state') as string | undefined)
  const listState = async (): Promise<string | null> => await pageA.locator('[data-testid="member"][data-name="carol"]').getAttribute('data-state', { timeout: 1000 }).catch(() => null)
  const graphColour = async (): Promise<string> => await pageB.evaluate(() => window.overlayGraph!.nodes().filter(n => n.data('name') === 'carol').style('background-color') as string)
  const colourOf = async (v: string): Promise<string> => await pageB.evaluate(n => { const d = document.createElement('i'); d.style.color = `var(${n})`; document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c }, v)
  const failedColour = (await colourOf('--failed')).replace(/\s/g, '')
  const killed = Date.now()
  c.signal('SIGKILL')
  const seen: Record<string, number> = {}
  const markA = a.mark()
  try {
    await waitFor(async () => {
      const [l, g] = await Promise.all([listState(), graphState()])
      for (const [where, s] of [['list', l], ['graph', g]] as const) if (s !== null && s !== undefined && seen[`${where}:${s}`] === undefined) seen[`${where}:${s}`] = Date.now() - killed
      return seen['list:failed'] !== undefined && seen['graph:failed'] !== undefined
    }, { timeout: 6_000, interval: 50, message: 'carol failed in A\'s list and B\'s graph' })
  } catch (err) {
    // Say where the time went: the UIs (ms after the kill) and node A's own events.
    const nodeA = a.events.slice(markA).filter(e => e.name === 'carol').map(e => e.type)
    throw new Error(`${(err as Error).message}; UIs saw ${JSON.stringify(seen)}; node A printed ${JSON.stringify(nodeA)}`)
  }
  assert.ok(seen['list:suspect'] !== undefined && seen['list:suspect'] <= seen['list:failed']!, `suspect before failed in the list: ${JSON.stringify(seen)}`)
  assert.ok(seen['graph:suspect'] !== undefined && seen['graph:suspect'] <= seen['graph:failed']!, `suspect before failed in the graph: ${JSON.stringify(seen)}`)
  assert.equal((await graphColour()).replace(/\s/g, ''), failedColour)
  t.diagnostic(`ms after the kill, first seen: ${JSON.stringify(seen)}`)
  await shot(pageA, 'members')
  if (SHOTS !== undefined) {
    // The same members on a phone-sized screen in the dark theme.
    const phone = await browser.newContext({ viewport: { width: 360, height: 640 }, colorScheme: 'dark' })
    const page = await phone.newPage()
    await page.goto(`${urlA}#members`)
    await page.locator('[data-testid="member"][data-name="carol"][data-state="failed"]').waitFor({ timeout: 15_000 })
    await shot(page, 'members-phone-dark')
    await phone.close()
  }
  await shot(pageB, 'topology-failed')
  await tab(pageA, 'Events')
  await pageA.locator('[data-testid="event"][data-type="failed"]').first().waitFor()
  await shot(pageA, 'events')

  // A restarts on the same data dir and ports: its open UI says offline, then carries on by itself.
  await tab(pageA, 'Chat')
  await a.stop()
  await pageA.getByTestId('connection').getByText('node offline').waitFor()
  a = await startA()
  await pageA.getByTestId('connection').getByText('online').waitFor({ timeout: 20_000 })
  await tab(pageA, 'Members')
  await pageA.locator('[data-testid="member"][data-name="bob"][data-state="alive"]').waitFor({ timeout: 20_000 })
  await tab(pageA, 'Chat')
  await pageA.getByLabel('Send to').selectOption('*')
  await pageA.getByLabel('Message', { exact: true }).fill('back after a restart')
  await pageA.getByLabel('Message', { exact: true }).press('Enter')
  await pageB.getByRole('tab', { name: /^Chat/ }).click()
  await pageB.getByRole('button', { name: /^Everyone/ }).click()
  await pageB.getByTestId('message').filter({ hasText: 'back after a restart' }).waitFor({ timeout: 20_000 })
})
