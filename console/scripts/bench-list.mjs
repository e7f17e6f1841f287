// Measures the application list in Chromium (bench/console/run sets the environment):
// navigation start → the first page of rows with their cluster chips shown ("rows"), and →
// the later of that and the end of the last long task before the page goes quiet for 500 ms
// ("interactive", a time-to-interactive estimate); then a page change and a search. Prints
// medians of RUNS cold loads (a new browser context each).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.KSFLUX_URL;
const tb = JSON.parse(readFileSync(join(process.env.KSFLUX_TESTBED, 'testbed.json'), 'utf8'));
const ns = process.env.BENCH_NAMESPACE;
const count = Number(process.env.BENCH_COUNT);
const runs = Number(process.env.RUNS ?? 7);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { rows: [], interactive: [], nextPage: [], search: [] };

for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(
    ([token, namespace]) => {
      localStorage.setItem('ksflux.token', token);
      localStorage.setItem('ksflux.namespace', namespace);
      localStorage.setItem('ksflux.lang', 'en');
      window.__longTasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__longTasks.push(e.startTime + e.duration);
      }).observe({ type: 'longtask', buffered: true });
    },
    [tb.users.admin, ns],
  );
  const page = await context.newPage();
  await page.goto(`${base}/applications`);
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid^="chip-bench-"]').length >= 60,
    undefined,
    { timeout: 60_000 },
  );
  const rows = await page.evaluate(() => performance.now());
  results.rows.push(rows);
  const total = await page.textContent('[data-testid=app-total]');
  if (!total.includes(String(count))) throw new Error(`expected ${count} applications, the page says ${total}`);
  // Quiet for 500 ms: no long task ends in that window.
  await page.waitForFunction(
    () => {
      const last = Math.max(0, ...window.__longTasks);
      return performance.now() - last > 500;
    },
    undefined,
    { polling: 50 },
  );
  const lastLongTask = await page.evaluate(() => Math.max(0, ...window.__longTasks));
  results.interactive.push(Math.max(rows, lastLongTask));

  let t0 = Date.now();
  await page.click('button:has-text("Next page")');
  await page.waitForSelector('[data-testid=app-bench-0020]');
  results.nextPage.push(Date.now() - t0);

  t0 = Date.now();
  await page.fill('input[name=search]', `bench-${String(count - 1).padStart(4, '0')}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="app-bench-"]').length === 1);
  results.search.push(Date.now() - t0);
  await context.close();
}
await browser.close();

const fmt = (xs) => `median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))})`;
console.log(`application list, ${count} applications x 3 targets, ${runs} cold loads in Chromium:`);
console.log(`  first page of rows with cluster chips: ${fmt(results.rows)}`);
console.log(`  interactive (last long task):          ${fmt(results.interactive)}`);
console.log(`  next page:                             ${fmt(results.nextPage)}`);
console.log(`  search to one row:                     ${fmt(results.search)}`);
