// End-to-end: the console in Chromium against ksflux on the testbed (host + 2 members, real
// Flux). Steps run in order in one browser tab, as a user would; screenshots of each page go
// to artifacts/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ARTIFACTS, BASE, api, eventually, kubectl, launch, shot, testbed } from './lib.mjs';

const NS = 'team-a';
const SOURCE = 'e2e-git';
const APP = 'e2e-helm';
const LIVE = 180_000;

let browser;
let page;

async function cleanup() {
  await api('DELETE', `/namespaces/${NS}/applications/${APP}`);
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${SOURCE}`);
  await eventually('leftovers of an earlier run gone', 120, async () => {
    const a = await api('GET', `/namespaces/${NS}/applications/${APP}`);
    const s = await api('GET', `/namespaces/${NS}/gitrepositories/${SOURCE}`);
    return a.status === 404 && s.status === 404;
  });
}

before(async () => {
  await cleanup();
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  console.log(`screenshots: ${ARTIFACTS}`);
});

test('log in with a token; the user name and a logout are shown', async () => {
  await page.goto(`${BASE}/`);
  await page.waitForURL('**/login');
  await shot(page, '01-login');
  await page.fill('input[name=token]', 'not-a-token');
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('[data-error-for=token]');
  await page.fill('input[name=token]', testbed.users.admin);
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('[data-testid=user]:has-text("admin")');
  assert.ok(await page.isVisible('button:has-text("Log out")'));
  await page.waitForSelector('[data-testid=live][data-connected=true]');
});

test('the overview shows the fleet', async () => {
  await page.waitForSelector('[data-testid=count-total] b:not(:has-text("–"))');
  for (const c of ['host', 'member-1', 'member-2']) {
    await page.waitForSelector(`[data-testid=overview-cluster-${c}]`);
  }
  await shot(page, '02-overview');
});

test('three clusters are healthy, with their Kubernetes and Flux versions', async () => {
  await page.click('nav a:has-text("Clusters")');
  for (const c of ['host', 'member-1', 'member-2']) {
    await page.waitForSelector(`[data-testid=cluster-state-${c}] [data-state=ready]`);
    const row = await page.textContent(`[data-testid=cluster-${c}]`);
    assert.match(row, /v1\.36\.3/, `${c} shows its Kubernetes version`);
    assert.match(row, /v2\.9\.4/, `${c} shows its Flux version`);
  }
  await shot(page, '03-clusters');
});

test("registering a cluster the server cannot reach shows the server's field error", async () => {
  await page.click('button:has-text("Register cluster")');
  await page.fill('input[name=name]', 'Bad Name');
  await page.waitForSelector('[data-error-for=name]');
  await page.fill('input[name=name]', 'unreachable');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
    'users: [{name: x, user: {token: abc}}]',
    'contexts: [{name: x, context: {cluster: x, user: x}}]',
    'current-context: x',
  ].join('\n');
  await page.fill('textarea[name=kubeconfig]', kubeconfig);
  await page.click('.kubed-modal button:has-text("Register")');
  const error = await page.waitForSelector('[data-error-for=kubeconfig]', { timeout: 30_000 });
  assert.ok((await error.textContent()).length > 0);
  await shot(page, '04-register-cluster-error');
  await page.click('.kubed-modal button:has-text("Cancel")');
  const list = await api('GET', '/clusters');
  assert.deepEqual(
    list.body.items.map((c) => c.name).sort(),
    ['host', 'member-1', 'member-2'],
    'nothing was registered',
  );
});
