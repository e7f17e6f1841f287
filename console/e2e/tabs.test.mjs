// Eight tabs at once: they share one change stream (one tab streams, the others listen), so
// the browser's per-host connection limit is never reached, and every tab shows a new source
// live.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, launch, loggedIn, testbed } from './lib.mjs';

const NS = 'team-a';
const NAME = 'e2e-tabs';
const TABS = 8;
let browser;

before(async () => {
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${NAME}`);
  browser = await launch();
});

after(async () => {
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${NAME}`);
  await browser?.close();
});

test('eight tabs share one change stream and each shows a new source live', async () => {
  const first = await loggedIn(browser, 'admin', NS);
  const context = first.context();
  /** Event-stream requests still open, over all tabs. */
  let open = 0;
  let most = 0;
  const streams = new Set();
  context.on('request', (r) => {
    if (r.url().includes('/status/events')) {
      streams.add(r);
      open += 1;
      most = Math.max(most, open);
    }
  });
  const closed = (r) => {
    if (streams.delete(r)) open -= 1;
  };
  context.on('requestfinished', closed);
  context.on('requestfailed', closed);
  const pages = [first];
  for (let i = 1; i < TABS; i++) pages.push(await context.newPage());
  for (const p of pages) {
    await p.goto(`${BASE}/sources`);
    await p.waitForSelector('[data-testid=source-samples]');
  }
  for (const p of pages) await p.waitForSelector('[data-testid=live][data-connected=true]');
  assert.equal(most, 1, `one stream for ${TABS} tabs, not ${most}`);

  const created = await api('POST', `/namespaces/${NS}/gitrepositories`, {
    metadata: { name: NAME },
    spec: { url: `${testbed.fixtures.git_url}/demo.git`, interval: '10m', ref: { branch: 'main' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const [i, p] of pages.entries()) {
    await p.waitForSelector(`[data-testid=source-${NAME}]`, { timeout: 30_000 }).catch((e) => {
      throw new Error(`tab ${i + 1} did not show the new source: ${e.message}`);
    });
  }

  // The streaming tab closes: another takes over, and the change after that still arrives.
  await pages[0].close();
  const rest = pages.slice(1);
  await eventually('another tab streams', 30, async () => open === 1);
  const deleted = await api('DELETE', `/namespaces/${NS}/gitrepositories/${NAME}`);
  assert.ok(deleted.status < 300, JSON.stringify(deleted.body));
  for (const [i, p] of rest.entries()) {
    await p.waitForSelector(`[data-testid=source-${NAME}]`, { state: 'detached', timeout: 30_000 }).catch((e) => {
      throw new Error(`tab ${i + 2} still shows the deleted source: ${e.message}`);
    });
  }
  assert.ok(most <= 2, `at most one stream at a time (two only during the handover), saw ${most}`);
  await context.close();
});
