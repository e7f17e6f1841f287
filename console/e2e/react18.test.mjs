// The same pages built with React 18 (`npm run build:react18` → dist-react18/) in Chromium
// against the same ksflux: the API answers from ksflux, the page's files come from that build.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BASE, launch, shot, testbed } from './lib.mjs';

const DIST = new URL('../dist-react18/', import.meta.url).pathname;
let browser;

after(async () => {
  await browser?.close();
});

test('the pages run on React 18', async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'build it first: npm run build:react18');
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  await context.route(
    (url) => url.origin === new URL(BASE).origin && !url.pathname.startsWith('/kapis'),
    async (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = join(DIST, path);
      await route.fulfill({ path: path !== '/' && existsSync(file) ? file : join(DIST, 'index.html') });
    },
  );
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${BASE}/login`);
  assert.match(await page.getAttribute('html', 'data-react'), /^18\./, 'the page runs React 18');
  await page.fill('input[name=token]', testbed.users.admin);
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('[data-testid=user]:has-text("admin")');
  await page.waitForSelector('[data-testid=count-total] b:not(:has-text("–"))');
  await page.click('nav.side-nav a:has-text("Clusters")');
  await page.waitForSelector('[data-testid=cluster-state-member-2] [data-state=ready]');
  await page.click('nav.side-nav a:has-text("Sources")');
  await page.selectOption('header.top-bar select[name=namespace]', 'team-a');
  await page.waitForSelector('[data-testid=source-samples] [data-state=ready]');
  await page.click('nav.side-nav a:has-text("Applications")');
  await page.click('button:has-text("Create application")');
  await page.fill('input[name="metadata.name"]', 'react18');
  await page.waitForSelector('select[name="spec.source.name"] option[value=samples]', { state: 'attached' });
  await shot(page, '22-react18-wizard');
  assert.deepEqual(errors, [], 'no errors in the page');
});
