/**
 * Benchmark (not a test): a 20,000-task-proxy workflow from the mock backend
 * in headless Chromium. Reports the initial render time of the Tree and the
 * Table and frame times while deltas stream in (50 task updates every 100 ms)
 * and the view scrolls. Writes JSON to bench/results/<timestamp>.json.
 * Usage: npm run build && node bench/run.mjs [tasks]
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { serve, CHROMIUM_ARGS } from './serve.mjs'

const TASKS = Number(process.argv[2] ?? 20000)
const MEASURE_MS = 5000

const { url, close } = await serve()
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
page.on('pageerror', (e) => console.error('pageerror', e.message))

/** Frame times (ms between animation frames) while scrolling `selector`. */
async function frames(selector) {
  const before = await page.evaluate(() => window.__cylc.ticks())
  const r = await page.evaluate(async ({ selector, ms }) => {
    const el = document.querySelector(selector)
    const times = []
    let long = 0
    const obs = new PerformanceObserver((l) => { long += l.getEntries().length })
    try { obs.observe({ type: 'longtask', buffered: false }) } catch {}
    const start = performance.now()
    let last = start
    let dir = 1
    await new Promise((resolve) => {
      const tick = (t) => {
        times.push(t - last)
        last = t
        // Scroll steadily, bouncing between the ends.
        if (el) {
          el.scrollTop += dir * 120
          if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) dir = -1
          if (el.scrollTop <= 0) dir = 1
        }
        if (t - start < ms) requestAnimationFrame(tick)
        else resolve()
      }
      requestAnimationFrame(tick)
    })
    obs.disconnect()
    times.shift()
    const sorted = [...times].sort((a, b) => a - b)
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    return {
      frames: times.length, meanMs: times.reduce((a, b) => a + b, 0) / times.length,
      p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99), maxMs: sorted[sorted.length - 1],
      over50Ms: times.filter((t) => t > 50).length, longTasks: long,
    }
  }, { selector, ms: MEASURE_MS })
  // Proof that deltas kept arriving while we measured.
  r.batchesApplied = (await page.evaluate(() => window.__cylc.ticks())) - before
  return r
}

const t0 = Date.now()
await page.goto(`${url}?mock=${TASKS}#/workspace/bench/big`)
await page.waitForFunction(() => {
  const c = document.querySelector('.tree-view .count')?.textContent ?? ''
  return Number(c.replace(/[^\d]/g, '')) > 1000 && document.querySelector('.tree-view .row.task')
}, null, { timeout: 60000 })
const treeInitialMs = Date.now() - t0
const treeRows = await page.locator('.tree-view .count').textContent()
const tree = await frames('.tree-view .rows')

const t1 = Date.now()
await page.locator('.tab', { hasText: 'Table' }).click()
await page.waitForSelector('.table-view .trow', { timeout: 60000 })
const tableInitialMs = Date.now() - t1
const tableRowsText = await page.locator('.table-view .count').textContent()
const table = await frames('.table-view .rows')
const mounted = await page.evaluate(() => document.querySelectorAll('.table-view .trow').length)

const result = {
  date: new Date().toISOString(), tasks: TASKS, updates: '50 task updates every 100 ms (mock backend, same page)',
  tree: { initialRenderMs: treeInitialMs, rows: treeRows?.trim(), ...tree },
  table: { initialRenderMs: tableInitialMs, rows: tableRowsText?.trim(), mountedRows: mounted, ...table },
  note: 'initialRenderMs includes page load, mock data generation and the first merge; frame times include the mock generating deltas',
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
const file = new URL(`./results/bench-${Date.now()}.json`, import.meta.url)
await writeFile(file, JSON.stringify(result, null, 2))
console.log(JSON.stringify(result, null, 2))
await browser.close()
await close()
