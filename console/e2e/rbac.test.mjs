// A user with rights in one project only (alice: edit in team-a) sees and changes only what
// Kubernetes RBAC lets her: every request runs as her.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { BASE, api, launch, shot, testbed } from './lib.mjs';

let browser;

after(async () => {
  await browser?.close();
});

test('alice works in team-a and is refused in team-b, with nothing written', async () => {
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${BASE}/login`);
  await page.fill('input[name=token]', testbed.users.alice);
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('[data-testid=user]:has-text("alice")');

  // Every namespace at once shows what she may list there, and nothing else: team-a's
  // sources, none of team-b's (where another user works).
  await page.click('nav.side-nav a:has-text("Sources")');
  await page.waitForSelector('[data-testid=source-samples] [data-state=ready]');
  const listed = await page.$$eval('tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
  assert.ok(listed.length > 0 && listed.every((ns) => ns === 'team-a'), `namespaces listed for alice: ${listed}`);
  // The namespaces offered are the ones she can see (once the picker has loaded them).
  await page.waitForSelector('header.top-bar select[name=namespace] option[value=team-a]', { state: 'attached' });
  const offered = await page.$$eval('header.top-bar select[name=namespace] option', (os) => os.map((o) => o.value));
  assert.ok(offered.includes('team-a'), `team-a is offered: ${offered}`);
  assert.ok(!offered.includes('team-b'), `team-b is not offered: ${offered}`);
  await page.selectOption('header.top-bar select[name=namespace]', 'team-a');
  await page.waitForSelector('[data-testid=source-samples] [data-state=ready]');

  // Creating in team-b is refused by Kubernetes RBAC, and the form says so.
  await page.click('button:has-text("Create Git repository")');
  await page.fill('.kubed-modal input[name="metadata.namespace"]', 'team-b');
  await page.fill('.kubed-modal input[name="metadata.name"]', 'alice-try');
  await page.fill('.kubed-modal input[name="spec.url"]', `${testbed.fixtures.git_url}/demo.git`);
  await page.click('.kubed-modal button:has-text("Create")');
  const banner = await page.waitForSelector('[data-testid=form-banner]');
  assert.match(await banner.textContent(), /forbidden|not allowed|cannot/i);
  await shot(page, '21-alice-forbidden');
  assert.equal((await api('GET', '/namespaces/team-b/gitrepositories/alice-try')).status, 404, 'nothing written');
});
