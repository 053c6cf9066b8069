/**
 * Screenshots of the built UI on mock data: dashboard, tree, table, command
 * menu, command form, GraphiQL, settings; light and dark. Not a test.
 * Usage: npm run build && node bench/shots.mjs [outDir]
 */
import { mkdir } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { serve, CHROMIUM_ARGS } from './serve.mjs'

const out = process.argv[2] ?? '/tmp/ui-shots'
await mkdir(out, { recursive: true })
const { url, close } = await serve()
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })

async function page(theme) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: theme })
  const p = await ctx.newPage()
  p.on('pageerror', (e) => console.error('pageerror', e.message))
  p.on('console', (m) => { if (m.type() === 'error') console.error('console', m.text()) })
  return p
}
const settle = (p, ms = 600) => p.waitForTimeout(ms)

for (const theme of ['light', 'dark']) {
  const p = await page(theme)
  await p.goto(`${url}?mock=1#/`)
  await p.waitForSelector('.sidebar .row')
  await settle(p)
  await p.screenshot({ path: `${out}/dashboard-${theme}.png` })

  await p.goto(`${url}#/workspace/demo/forecast/run1`)
  await p.waitForSelector('.tree-view .row.task')
  // Open a task that has jobs, and its latest job's details.
  await p.locator('.tree-view .row.task:has(.jobs .job-icon)').nth(3).dblclick()
  await settle(p, 200)
  const job = p.locator('.tree-view .row.job').first()
  if (await job.count()) await job.dblclick()
  await settle(p)
  await p.screenshot({ path: `${out}/tree-${theme}.png` })

  await p.locator('.tree-view .row.task .icon-btn').nth(1).click()
  await p.waitForSelector('.cmd-menu .item')
  await settle(p, 200)
  await p.screenshot({ path: `${out}/menu-${theme}.png` })
  if (theme === 'light') {
    await p.locator('.cmd-menu .item', { hasText: 'trigger' }).locator('button').click()
    await p.waitForSelector('.dialog')
    await settle(p, 200)
    await p.screenshot({ path: `${out}/form-${theme}.png` })
    await p.keyboard.press('Escape')
    await p.locator('.dialog .btn', { hasText: 'Cancel' }).click().catch(() => {})
  } else {
    await p.keyboard.press('Escape')
  }

  await p.locator('.tab', { hasText: 'Table' }).click()
  await p.waitForSelector('.table-view .trow')
  await settle(p)
  await p.screenshot({ path: `${out}/table-${theme}.png` })
  await p.locator('.tab', { hasText: 'Tree' }).click()

  await p.goto(`${url}#/graphiql`)
  await p.waitForSelector('.graphiql-container', { timeout: 15000 })
  await settle(p, 800)
  await p.locator('.graphiql-execute-button').click().catch(() => {})
  await settle(p, 1200)
  await p.screenshot({ path: `${out}/graphiql-${theme}.png` })

  if (theme === 'light') {
    await p.goto(`${url}#/`)
    await p.locator('.sidebar .tf').click()
    await p.locator('.sidebar .filters.tasks .chip', { hasText: 'failed' }).first().click()
    await settle(p, 300)
    await p.screenshot({ path: `${out}/sidebar-filter-${theme}.png`, clip: { x: 0, y: 0, width: 320, height: 900 } })
    await p.locator('.sidebar .filters.tasks .chip', { hasText: 'failed' }).first().click()
    await p.locator('.brand .btn').click()
    await p.goto(`${url}#/workspace/demo/forecast/run1`)
    await p.waitForSelector('.tree-view .row.task')
    await settle(p, 300)
    await p.screenshot({ path: `${out}/collapsed-${theme}.png` })
    await p.locator('.brand .btn').click()
  }

  await p.goto(`${url}#/settings`)
  await settle(p)
  await p.screenshot({ path: `${out}/settings-${theme}.png` })
  await p.context().close()
}

await browser.close()
await close()
console.log(`screenshots in ${out}`)
