/**
 * The UI's three performance figures, in the machine's Chromium (see .ci/ui-prereqs.sh):
 *
 *   npm run build && node bench/tools/ui.ts [--runs=5] [--seconds=10]
 *
 * 1. JavaScript shipped at first load: every script the browser fetched while opening the UI,
 *    gzip -9 (the graph library is a separate chunk, fetched only when Topology is opened).
 * 2. Time from opening the URL to the members list on screen with 50 members: navigation start
 *    to the first frame showing the member count and rows (performance.now() in the page).
 * 3. Frame times while 100 events a second arrive (member state flips and chat lines) with
 *    1,000 members listed: every requestAnimationFrame interval and every long task.
 *
 * The page talks to the fake control API of the view tests (test/helpers/fake-api.ts), which
 * answers at once, so the figures are the UI's own cost. Loopback only.
 */
import { gzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import { launchBrowser } from '../../test/helpers/browser.ts'
import { FakeApi } from '../../test/helpers/fake-api.ts'
import { median, quantile } from '../lib/stats.ts'
import { mulberry32 } from '../lib/random.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '10' } }, strict: true })
const [runs, seconds] = [Number(values.runs), Number(values.seconds)]
const rand = mulberry32(1)
const TARGETS = { firstLoadKiB: 250, membersMs: 1000, frameMs: 50 }

/** What the page records for figure 3: [end time, length] of every frame interval, [start, duration] of every long task. */
interface Recorder { frames_: Array<[number, number]>, longTasks: Array<[number, number]> }
const viewport = { width: 1100, height: 760 }

const browser = await launchBrowser()
const results: Record<string, unknown> = {}
try {
  // 1 and 2: a fresh context per run, so nothing is cached.
  const small = await new FakeApi({ members: 50 }).start()
  const times: number[] = []
  let firstLoad: Array<{ url: string, raw: number, gz: number }> = []
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ viewport })
    const page = await ctx.newPage()
    const scripts: Array<Promise<{ url: string, raw: number, gz: number }>> = []
    page.on('response', res => {
      if (res.request().resourceType() === 'script') scripts.push(res.body().then(b => ({ url: new URL(res.url()).pathname, raw: b.length, gz: gzipSync(b, { level: 9 }).length })))
    })
    await page.goto(`${small.url}#members`)
    const ms = await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="member"]').length
      return rows > 0 && /^50 members/.test(document.querySelector('[data-testid="member-counts"]')?.textContent ?? '') ? performance.now() : false
    }, undefined, { polling: 'raf', timeout: 10_000 })
    times.push(await ms.jsonValue() as number)
    firstLoad = await Promise.all(scripts)
    await ctx.close()
  }
  await small.close()
  const kib = (key: 'raw' | 'gz'): number => +(firstLoad.reduce((a, s) => a + s[key], 0) / 1024).toFixed(1)
  results.firstLoad = { scripts: firstLoad, gzKiB: kib('gz'), rawKiB: kib('raw') }
  results.membersOnScreenMs = { runs: times.map(t => Math.round(t)), median: Math.round(median(times)), max: Math.round(quantile(times, 1)) }

  // 3: 1,000 members on screen, 100 events a second for `seconds`.
  const big = await new FakeApi({ members: 1000 }).start()
  const ctx = await browser.newContext({ viewport })
  const page = await ctx.newPage()
  await page.goto(`${big.url}#members`)
  await page.waitForFunction(() => /^1000 members/.test(document.querySelector('[data-testid="member-counts"]')?.textContent ?? ''), undefined, { timeout: 10_000 })
  await page.evaluate(() => {
    const w = window as unknown as Recorder
    w.frames_ = []
    w.longTasks = []
    new PerformanceObserver(list => { for (const e of list.getEntries()) w.longTasks.push([e.startTime, e.duration]) }).observe({ type: 'longtask' })
    let last = performance.now()
    const tick = (t: number): void => { w.frames_.push([t, t - last]); last = t; requestAnimationFrame(tick) }
    requestAnimationFrame(tick)
  })
  const states = ['suspect', 'alive'] as const
  let sent = 0
  const started = Date.now()
  await new Promise<void>(resolve => {
    const timer = setInterval(() => {
      // 10 events every 100 ms: 8 state flips among the 1,000, 2 chat lines.
      for (let k = 0; k < 10; k++) {
        const m = big.members[1 + Math.floor(rand() * 999)]!
        if (k < 8) big.setState(m.name, states[sent % 2]!)
        else big.push({ type: 'message', id: `b${sent}`, from: m.name, origin: m.peerId, text: `line ${sent}`, ts: Date.now() })
        sent++
      }
      if (Date.now() - started >= seconds * 1000) { clearInterval(timer); resolve() }
    }, 100)
  })
  const { frames, longTasks } = await page.evaluate(() => ({ frames: (window as unknown as Recorder).frames_.slice(1), longTasks: (window as unknown as Recorder).longTasks }))
  await ctx.close()
  await big.close()
  // A long frame with no long task in it is the page waiting for the CPU (the machine is shared),
  // not the page's own work.
  const slow = frames.filter(([, d]) => d > 50)
  const withTask = slow.filter(([end, d]) => longTasks.some(([start, len]) => start < end && start + len > end - d))
  const pct = (p: number): number => +quantile(frames.map(([, d]) => d), p).toFixed(1)
  results.frames = {
    events: sent, eventsPerSecond: +(sent / ((Date.now() - started) / 1000)).toFixed(0), frames: frames.length, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1),
    over50Ms: slow.length, over50MsWithALongTask: withTask.length, longTasks: longTasks.length, longestTaskMs: +Math.max(0, ...longTasks.map(([, len]) => len)).toFixed(1)
  }
} finally {
  await browser.close()
}
const { firstLoad: { gzKiB }, membersOnScreenMs: { max }, frames: { maxMs } } = results as { firstLoad: { gzKiB: number }, membersOnScreenMs: { max: number }, frames: { maxMs: number } }
console.log(JSON.stringify(results, null, 2))
console.log(`first-load JS ${gzKiB} KiB gz (target <= ${TARGETS.firstLoadKiB}): ${gzKiB <= TARGETS.firstLoadKiB ? 'met' : 'MISSED'}`)
console.log(`members on screen, worst of ${runs}: ${max} ms (target <= ${TARGETS.membersMs}): ${max <= TARGETS.membersMs ? 'met' : 'MISSED'}`)
console.log(`longest frame ${maxMs} ms (target <= ${TARGETS.frameMs}): ${maxMs <= TARGETS.frameMs ? 'met' : 'MISSED'}`)
