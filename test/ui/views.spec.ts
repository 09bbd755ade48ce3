/**
 * The UI's views in a real Chromium against a fake control API (test/helpers/fake-api.ts) that
 * serves the built app (npm run build) and an event stream the test writes to.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.ts'
import { FakeApi } from '../helpers/fake-api.ts'
import { contrast } from '../helpers/contrast.ts'
import { waitFor } from '../helpers/wait-for.ts'

let browser: Browser
const cleanups: Array<() => Promise<void>> = []

before(async () => { browser = await launchBrowser() })
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  await browser?.close()
})

async function fake (opts?: ConstructorParameters<typeof FakeApi>[0]): Promise<FakeApi> {
  const api = await new FakeApi(opts).start()
  cleanups.push(async () => { await api.close() })
  return api
}

interface Opened { ctx: BrowserContext, page: Page, errors: Error[] }

async function open (api: FakeApi, o: { view?: string, width?: number, colorScheme?: 'light' | 'dark' } = {}): Promise<Opened> {
  const ctx = await browser.newContext({ viewport: { width: o.width ?? 1100, height: 760 }, colorScheme: o.colorScheme ?? 'light' })
  cleanups.push(async () => { await ctx.close() })
  const page = await ctx.newPage()
  page.setDefaultTimeout(10_000)
  const errors: Error[] = []
  page.on('pageerror', e => { errors.push(e) })
  await page.goto(api.url + (o.view === undefined ? '' : `#${o.view}`))
  await page.getByTestId('connection').getByText('online').waitFor()
  return { ctx, page, errors }
}

describe('ui views', () => {
  test('ui chat - broadcasts from the compose box, shows sender, time and kind, and counts unread per conversation', async () => {
    const api = await fake()
    const { page, errors } = await open(api)
    await page.getByLabel('Message', { exact: true }).fill('hello mesh')
    await page.getByLabel('Message', { exact: true }).press('Enter')
    await waitFor(() => api.sent.some(s => s.text === 'hello mesh' && s.to === undefined), { timeout: 5000, message: 'broadcast posted' })
    const mine = page.getByTestId('message').filter({ hasText: 'hello mesh' })
    await mine.getByText('broadcast').waitFor()
    assert.equal(await mine.locator('.from').textContent(), 'alice')
    assert.match(await mine.locator('time').textContent() ?? '', /^\d\d:\d\d:\d\d$/)

    const bob = api.members[1]!
    api.push({ type: 'message', id: 'x1', from: bob.name, origin: bob.peerId, text: 'hi all', ts: Date.now() })
    await page.getByTestId('message').filter({ hasText: 'hi all' }).getByText(bob.name).waitFor()

    // A direct line to us lands in its own conversation, counted as unread until opened.
    const carol = api.members[2]!
    api.push({ type: 'message', id: 'x2', from: carol.name, origin: carol.peerId, text: 'psst', ts: Date.now(), to: api.self.peerId })
    api.push({ type: 'message', id: 'x3', from: carol.name, origin: carol.peerId, text: 'psst again', ts: Date.now(), to: api.self.peerId })
    const conv = page.locator(`[data-conv="${carol.name}"]`)
    await conv.getByLabel('2 unread').waitFor()
    assert.equal(await page.getByTestId('message').filter({ hasText: 'psst' }).count(), 0, 'direct lines stay out of the broadcast timeline')
    await conv.click()
    await page.getByTestId('message').filter({ hasText: 'psst again' }).getByText('direct').waitFor()
    assert.equal(await conv.locator('.badge').count(), 0, 'opening the conversation clears its unread count')

    // A direct message we send shows delivered once the API says the member acknowledged it.
    await page.getByLabel('Send to').selectOption(api.members[3]!.name)
    await page.getByLabel('Message', { exact: true }).fill('just for you')
    await page.getByRole('button', { name: 'Send' }).click()
    const direct = page.getByTestId('message').filter({ hasText: 'just for you' })
    await direct.getByText('✓ delivered').waitFor()
    assert.deepEqual(api.sent.at(-1), { text: 'just for you', to: api.members[3]!.name })

    // A member gone before the message left: the line says why it failed.
    api.members.splice(3, 1)
    await page.getByLabel('Message', { exact: true }).fill('too late')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByTestId('message').filter({ hasText: 'too late' }).getByText(/✗ unknown_member/).waitFor()
    assert.deepEqual(errors, [])
  })

  test('ui members - shows state in colour, mode, last heard and round trip; sorts, filters and follows events', async () => {
    const api = await fake({ members: 6 })
    const { page } = await open(api, { view: 'members' })
    const rows = page.getByTestId('member')
    await waitFor(async () => await rows.count() === 6, { timeout: 5000, message: 'six member rows' })
    const row = (name: string) => page.locator(`[data-testid="member"][data-name="${name}"]`)
    assert.match(await row('node-0002').textContent() ?? '', /alive.*node-0002.*hub.*s ago.*2\.0 ms/)

    api.setState('node-0003', 'suspect')
    await page.locator('[data-name="node-0003"][data-state="suspect"]').waitFor()
    const [pillBg, suspectVar] = await page.evaluate(() => [
      getComputedStyle(document.querySelector('[data-name="node-0003"] .pill')!).backgroundColor,
      getComputedStyle(document.documentElement).getPropertyValue('--suspect').trim()
    ])
    assert.equal(pillBg, 'rgb(138, 90, 0)', `suspect pill is ${suspectVar}`)
    api.setState('node-0003', 'failed')
    await page.locator('[data-name="node-0003"][data-state="failed"]').waitFor()
    await page.getByTestId('member-counts').getByText('1 failed').waitFor()
    api.setState('node-0004', 'left')
    await page.locator('[data-name="node-0004"][data-state="left"]').waitFor()
    assert.equal(await page.locator('[data-name="node-0003"]').getAttribute('data-state'), 'failed', 'a failed member stays failed after its "left" (reason failed)')

    await page.getByLabel('State', { exact: true }).selectOption('failed')
    await waitFor(async () => await rows.count() === 1, { timeout: 5000, message: 'state filter leaves one row' })
    await page.getByLabel('State', { exact: true }).selectOption('any')
    await page.getByLabel('Filter').fill('node-000')
    await waitFor(async () => await rows.count() === 5, { timeout: 5000, message: 'name filter drops the self row' })
    await page.getByLabel('Sort by').selectOption('name')
    await page.getByLabel('descending').check()
    await waitFor(async () => await rows.first().getAttribute('data-name') === 'node-0005', { timeout: 5000, message: 'sorted by name, descending' })
  })

  test('ui topology - draws members and links, and recolours a member that turns suspect, then failed', async () => {
    const api = await fake({ members: 6 })
    const { page } = await open(api, { view: 'topology' })
    await waitFor(async () => await page.evaluate(() => window.overlayGraph?.nodes().length ?? 0) === 6, { timeout: 10_000, message: 'six nodes drawn' })
    assert.equal(await page.evaluate(() => window.overlayGraph!.edges().length), 5)
    const colour = async (name: string) => (await page.evaluate(n => window.overlayGraph!.nodes().filter(x => x.data('name') === n).style('background-color') as string, name)).replace(/\s/g, '')
    const cssColour = async (v: string) => (await page.evaluate(n => { const d = document.createElement('i'); d.style.color = `var(${n})`; document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c }, v)).replace(/\s/g, '')
    assert.equal(await colour('node-0004'), await cssColour('--alive'))
    api.setState('node-0004', 'suspect')
    await waitFor(async () => await colour('node-0004') === await cssColour('--suspect'), { timeout: 5000, message: 'node turns the suspect colour' })
    api.setState('node-0004', 'failed')
    await waitFor(async () => await colour('node-0004') === await cssColour('--failed'), { timeout: 5000, message: 'node turns the failed colour' })
    await page.locator('[data-testid="graph-node"][data-name="node-0004"][data-state="failed"]').waitFor({ state: 'attached' })
  })

  test('ui node - shows identity, addresses with copy buttons, the join command and live charts', async () => {
    const api = await fake()
    const { ctx, page } = await open(api, { view: 'node' })
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api.url.replace(/\/$/, '') })
    await page.getByTestId('node-name').getByText('alice').waitFor()
    assert.equal(await page.getByRole('button', { name: /^Copy address / }).count(), 2)
    await page.getByRole('button', { name: 'Copy join command' }).click()
    await page.getByRole('button', { name: 'Copy join command' }).getByText('Copied').waitFor()
    const join = await page.getByTestId('join-command').textContent()
    assert.equal(await page.evaluate(async () => await navigator.clipboard.readText()), join)
    assert.match(join ?? '', /^overlay start --bootstrap \/ip4\//)
    // The chart samples /v1/stats every second: messages per second follow the delivered counter.
    const timer = setInterval(() => { api.stats.delivered = (api.stats.delivered ?? 0) + 5 }, 250)
    try {
      await page.getByText(/Messages delivered per second: \d/).waitFor()
      await waitFor(async () => /Messages delivered per second: ([1-9]\d*)/.test(await page.locator('.chart').first().textContent() ?? ''), { timeout: 8000, message: 'a non-zero message rate' })
      await page.getByText('Sessions: 2').waitFor()
    } finally { clearInterval(timer) }
  })

  test('ui events - lists events newest first and filters them by type and text', async () => {
    const api = await fake()
    const m = api.members
    // Kept by the node from before the page opened: replayed, marked as "at or before".
    api.push({ type: 'message', id: 'old', from: m[1]!.name, origin: m[1]!.peerId, text: 'from before', ts: Date.now() - 60_000 })
    const { page } = await open(api, { view: 'events' })
    await page.locator('[data-testid="event"][data-type="message"] time').getByText(/^≤\d\d:/).waitFor()
    api.push({ type: 'joined', name: m[1]!.name, peerId: m[1]!.peerId, reason: 'join' })
    api.push({ type: 'session', action: 'open', peerId: m[2]!.peerId, name: m[2]!.name, wire: 'json', mode: 'peer', encryption: '/noise' })
    api.push({ type: 'suspect', name: m[3]!.name, peerId: m[3]!.peerId, reason: 'silent' })
    const rows = page.getByTestId('event')
    await waitFor(async () => await rows.count() === 4, { timeout: 5000, message: 'four events listed' })
    assert.equal(await rows.first().getAttribute('data-type'), 'suspect')
    await page.getByLabel('Type', { exact: true }).selectOption('session')
    await waitFor(async () => await rows.count() === 1, { timeout: 5000, message: 'type filter' })
    await page.getByLabel('Type', { exact: true }).selectOption('any')
    await page.getByLabel('Contains').fill('reason=join')
    await waitFor(async () => await rows.count() === 1 && await rows.first().getAttribute('data-type') === 'joined', { timeout: 5000, message: 'text filter' })
    // The replayed line is chat history, not news: no unread count.
    await page.getByRole('tab', { name: 'Chat' }).click()
    await page.getByTestId('message').filter({ hasText: 'from before' }).waitFor()
    assert.equal(await page.locator('.badge').count(), 0)
  })

  test('ui connection - shows node offline while the API is down, reconnects and replays what it missed', async () => {
    const api = await fake()
    const { page } = await open(api)
    api.push({ type: 'message', id: 'early', from: 'node-0001', origin: api.members[1]!.peerId, text: 'before the outage', ts: Date.now() })
    await page.getByTestId('message').filter({ hasText: 'before the outage' }).waitFor()
    api.setOnline(false)
    await page.getByTestId('connection').getByText('node offline').waitFor()
    api.push({ type: 'message', id: 'late', from: 'node-0001', origin: api.members[1]!.peerId, text: 'sent while you were away', ts: Date.now() })
    api.setOnline(true)
    await page.getByTestId('connection').getByText('online').waitFor()
    await page.getByTestId('message').filter({ hasText: 'sent while you were away' }).waitFor()
    assert.ok(api.streamOpens >= 2)
  })

  test('ui connection - says it is not authorized when the API refuses its token, and recovers when it is accepted', async () => {
    const api = await fake()
    api.unauthorized = true
    const ctx = await browser.newContext()
    cleanups.push(async () => { await ctx.close() })
    const page = await ctx.newPage()
    await page.goto(api.url)
    await page.getByTestId('connection').getByText('not authorized').waitFor({ timeout: 10_000 })
    api.unauthorized = false
    await page.getByTestId('connection').getByText('online').waitFor({ timeout: 15_000 })
    await page.getByRole('heading', { name: /alice/ }).waitFor()
  })

  test('ui accessibility - every control has a name, tabs and chat work from the keyboard, colours keep contrast in both themes', async () => {
    const api = await fake()
    for (const scheme of ['light', 'dark'] as const) {
      const { page } = await open(api, { colorScheme: scheme })
      api.setState('node-0002', 'suspect')
      api.setState('node-0003', 'failed')
      api.setState('node-0004', 'left')
      for (const view of ['chat', 'members', 'topology', 'node', 'events']) {
        await page.getByRole('tab', { name: new RegExp(`^${view}`, 'i') }).click()
        await page.locator('section[aria-label]').first().waitFor()
        const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, select, textarea')].filter(el => {
          const e = el as HTMLInputElement
          return (e.labels?.length ?? 0) === 0 && !e.getAttribute('aria-label') && (e.textContent ?? '').trim() === ''
        }).map(el => el.outerHTML))
        assert.deepEqual(unnamed, [], `${scheme} ${view}: controls without a label`)
        // Text on its own background: pills, state words, statuses, muted text.
        const pairs = await page.evaluate(() => {
          const bgOf = (el: Element | null): string => {
            for (let e = el; e !== null; e = e.parentElement) { const b = getComputedStyle(e).backgroundColor; if (b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') return b }
            return getComputedStyle(document.body).backgroundColor
          }
          return [...document.querySelectorAll('.pill, .state-text, .conn, .badge, .kind, label, .summary, .etype, time, button')].map(el => ({ what: el.className || el.tagName, fg: getComputedStyle(el).color, bg: bgOf(el) }))
        })
        for (const p of pairs) assert.ok(contrast(p.fg, p.bg) >= 4.5, `${scheme} ${view}: ${p.what} ${p.fg} on ${p.bg} is ${contrast(p.fg, p.bg).toFixed(2)}:1`)
      }
      // Keyboard only: Tab reaches the tab list, arrows move between views, the compose box sends.
      await page.getByRole('tab', { name: 'Chat' }).focus()
      await page.keyboard.press('ArrowRight')
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Members')
      await page.getByRole('tab', { name: 'Members', selected: true }).waitFor()
      await page.keyboard.press('ArrowLeft')
      await page.getByRole('tab', { name: 'Chat', selected: true }).waitFor()
      let reached = false
      for (let i = 0; i < 12 && !reached; i++) {
        await page.keyboard.press('Tab')
        reached = await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent === 'Message')
      }
      assert.ok(reached, 'Tab reaches the message box')
      await page.keyboard.type(`typed in ${scheme}`)
      await page.keyboard.press('Enter')
      await waitFor(() => api.sent.some(s => s.text === `typed in ${scheme}`), { timeout: 5000, message: 'sent from the keyboard' })
      for (const n of ['node-0002', 'node-0003', 'node-0004']) api.setState(n, 'alive')
    }
  })

  test('ui layout - every view fits a 360 px wide screen without sideways scrolling', async () => {
    const api = await fake()
    const { page } = await open(api, { width: 360 })
    for (const view of ['Chat', 'Members', 'Topology', 'Node', 'Events']) {
      await page.getByRole('tab', { name: new RegExp(`^${view}`) }).click()
      await page.locator('section[aria-label]').first().waitFor()
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 360, `${view} is ${width} px wide`)
    }
  })

  test('ui scale - 1,000 members and 10,000 messages keep only the visible rows in the page', async () => {
    const api = await fake({ members: 1000 })
    const { page, errors } = await open(api)
    const sender = api.members[7]!
    for (let i = 0; i < 10_000; i++) api.push({ type: 'message', id: `s${i}`, from: sender.name, origin: sender.peerId, text: `line ${i}`, ts: Date.now() })
    await page.getByTestId('message').filter({ hasText: /^.*line 9999$/ }).waitFor()
    assert.ok(await page.getByTestId('message').count() < 100, 'the timeline renders only what is on screen')
    await page.getByRole('tab', { name: 'Members' }).click()
    await page.getByTestId('member-counts').getByText('1000 members').waitFor()
    assert.ok(await page.getByTestId('member').count() < 100, 'the members list renders only what is on screen')
    assert.deepEqual(errors, [])
  })
})
