// End-to-end: the console in Chromium against ksflux on the testbed (host + 2 members, real
// Flux). Steps run in order in one browser tab, as a user would; screenshots of each page go
// to artifacts/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ARTIFACTS, BASE, api, eventually, kubectl, launch, shot, targetsShow, testbed } from './lib.mjs';

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
  assert.match(await page.getAttribute('html', 'data-react'), /^17\./, 'the standalone build runs React 17');
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
  // Hub mode (every cluster's until switched): Flux runs in the host and applies to the
  // members, which need none of their own (the testbed's members run one, for agent mode).
  await page.click('nav.side-nav a:has-text("Clusters")');
  for (const c of ['host', 'member-1', 'member-2']) {
    await page.waitForSelector(`[data-testid=cluster-state-${c}] [data-state=ready]`);
    const row = await page.textContent(`[data-testid=cluster-${c}]`);
    assert.match(row, /v1\.36\.3/, `${c} shows its Kubernetes version`);
    if (c === 'host') {
      assert.match(row, /v2\.9\.4/, 'the host shows its Flux version');
      // The testbed's Flux runs with its multi-tenancy lockdown, and the page says so.
      assert.equal((await page.textContent('[data-testid=cluster-lockdown-host]'))?.trim(), 'Locked down');
    }
    assert.equal(
      (await page.textContent(`[data-testid=cluster-mode-${c}]`))?.trim(),
      'Hub',
      `${c} is served by the host's Flux`,
    );
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

test('a bad form input shows the field error and creates nothing', async () => {
  await page.click('nav.side-nav a:has-text("Sources")');
  await page.selectOption('header.top-bar select[name=namespace]', NS);
  await page.waitForSelector('[data-testid=source-samples]');
  const before = await api('GET', `/namespaces/${NS}/gitrepositories`);
  await page.click('button:has-text("Create Git repository")');
  await page.fill('.kubed-modal input[name="metadata.name"]', 'Bad_Name');
  await page.fill('.kubed-modal input[name="spec.url"]', 'ftp://example.com/repo.git');
  await page.waitForSelector('[data-error-for="metadata.name"]');
  await page.waitForSelector('[data-error-for="spec.url"]');
  await page.click('.kubed-modal button:has-text("Create")');
  await shot(page, '05-source-form-errors');
  // A name the server refuses although it looks fine here: it already exists.
  await page.fill('.kubed-modal input[name="metadata.name"]', 'samples');
  await page.fill('.kubed-modal input[name="spec.url"]', `${testbed.fixtures.git_url}/demo.git`);
  await page.click('.kubed-modal button:has-text("Create")');
  const serverError = await page.waitForSelector('[data-error-for="metadata.name"]');
  assert.match(await serverError.textContent(), /exist/i);
  await shot(page, '06-source-form-server-error');
  await page.click('.kubed-modal button:has-text("Cancel")');
  const afterList = await api('GET', `/namespaces/${NS}/gitrepositories`);
  assert.equal(afterList.body.totalItems, before.body.totalItems, 'nothing was created');
  const samples = await api('GET', `/namespaces/${NS}/gitrepositories/samples`);
  assert.equal(samples.body.spec.url, `${testbed.fixtures.git_url}/demo.git`, 'the existing source is untouched');
});

test('create a Git source with credentials; it becomes Ready live', async () => {
  await page.click('button:has-text("Create Git repository")');
  await page.fill('.kubed-modal input[name="metadata.name"]', SOURCE);
  await page.fill('.kubed-modal input[name="spec.url"]', `${testbed.fixtures.git_url}/demo.git`);
  await page.selectOption('.kubed-modal select[name="credentials.type"]', 'basic');
  await page.fill('.kubed-modal input[name="credentials.username"]', testbed.fixtures.user);
  await page.fill('.kubed-modal input[name="credentials.password"]', testbed.fixtures.password);
  await shot(page, '07-source-form');
  await page.click('.kubed-modal button:has-text("Create")');
  await page.waitForSelector(`[data-testid=source-${SOURCE}]`);
  // Ready arrives over the event stream: no reload, no click.
  await page.waitForSelector(`[data-testid=source-${SOURCE}] [data-state=ready]`, { timeout: LIVE });
  await shot(page, '08-sources');
  const created = await api('GET', `/namespaces/${NS}/gitrepositories/${SOURCE}`);
  assert.equal(created.body.credentialStatus.auth.type, 'basic');
  assert.ok(!JSON.stringify(created.body).includes(testbed.fixtures.password), 'the password is never returned');
});

test('create a Helm application for host and both members, 3 replicas on member-1 only', async () => {
  await page.click('nav.side-nav a:has-text("Applications")');
  await page.click('button:has-text("Create application")');
  await page.waitForURL('**/applications/new');
  // 1. basics and source
  await page.fill('input[name="metadata.name"]', APP);
  await page.fill('input[name="metadata.namespace"]', NS);
  await page.selectOption('select[name=type]', 'helm');
  await page.selectOption('select[name="spec.source.kind"]', 'HelmRepository');
  await page.waitForSelector('select[name="spec.source.name"] option[value=samples]', { state: 'attached' });
  await page.selectOption('select[name="spec.source.name"]', 'samples');
  await shot(page, '09-wizard-source');
  await page.click('button:has-text("Next")');
  // 2. the chart, picked from the repository's index
  await page.waitForSelector('select[name="spec.helm.chart"] option[value=demo-app]', { state: 'attached' });
  await page.selectOption('select[name="spec.helm.chart"]', 'demo-app');
  await page.waitForSelector('select[name="spec.helm.version"] option[value="1.0.0"]', { state: 'attached' });
  await page.selectOption('select[name="spec.helm.version"]', '1.0.0');
  await shot(page, '10-wizard-chart');
  await page.click('button:has-text("Next")');
  // 3. base values; the testbed runs no kubelet, so Helm must not wait for pods
  await page.fill('textarea[name="spec.helm.values"]', 'replicaCount: 1\nmessage: hello from ksflux\n');
  await page.uncheck('input[name="spec.helm.wait"]');
  await page.click('button:has-text("Next")');
  // 4. targets and the per-cluster overrides, beside the base and the rendered result
  for (const c of ['host', 'member-1', 'member-2']) await page.check(`input[name=target-cluster-${c}]`);
  await page.click('[data-testid=override-tab-member-1]');
  await page.fill('textarea[name="spec.targets[1].overrides.values"]', 'replicaCount: 3\n');
  await page.waitForSelector('[data-testid=rendered-member-1]:has-text("replicaCount: 3")');
  assert.match(await page.textContent('[data-testid=rendered-member-1]'), /message: hello from ksflux/);
  await page.click('[data-testid=override-tab-member-2]');
  assert.match(await page.textContent('[data-testid=rendered-member-2]'), /replicaCount: 1/);
  await shot(page, '11-wizard-overrides');
  await page.click('button:has-text("Next")');
  // 5. preview, rendered by the server (nothing written yet)
  await page.waitForSelector('[data-testid=preview-member-1]');
  await page.click('[data-testid=preview-member-1]');
  await page.waitForSelector('[data-testid=preview-member-1]:has-text("replicaCount: 3")');
  assert.equal((await api('GET', `/namespaces/${NS}/applications/${APP}`)).status, 404, 'preview writes nothing');
  await shot(page, '12-wizard-preview');
  await page.click('button:has-text("Next")');
  await shot(page, '13-wizard-apply');
  await page.click('button:has-text("Create")');
  await page.waitForURL(`**/applications/${NS}/${APP}`);
});

test('the application becomes Ready on all three clusters, live', async () => {
  // The detail page shows each cluster's state as it changes: no reload.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await targetsShow(page, NS, APP, ['host', 'member-1', 'member-2'], 'ready', LIVE);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
  await shot(page, '14-application-ready');
  const replicas = (cluster) =>
    kubectl(cluster, '-n', NS, 'get', 'deployment', APP, '-o', 'jsonpath={.spec.replicas}');
  await eventually('member-1 runs 3 replicas', 60, () => replicas('member-1') === '3');
  assert.equal(replicas('member-2'), '1');
  assert.equal(replicas('host'), '1');
  for (const tab of ['inventory', 'history', 'events', 'dependsOn', 'yaml']) {
    const t = await page.$(`[data-testid=tab-${tab}]`);
    if (t) {
      await t.click();
      await shot(page, `15-application-${tab}`);
    }
  }
});

test('the application list shows a chip per cluster', async () => {
  await page.click('nav.side-nav a:has-text("Applications")');
  for (const c of ['host', 'member-1', 'member-2']) {
    await page.waitForSelector(`[data-testid=chip-${APP}-${c}][data-state=ready]`, { timeout: LIVE });
  }
  await shot(page, '16-applications');
});

test('suspend one target; the others stay ready', async () => {
  await page.click(`[data-testid=app-${APP}] a`);
  await page.waitForSelector('[data-testid=target-member-2]');
  // Reconcile shows on the row; Suspend, Resume, Force and Reset are in its menu.
  await page.click('[data-testid=target-more-member-2]');
  await page.click('[data-testid=target-member-2] [role=menuitem]:has-text("Suspend")');
  await targetsShow(page, NS, APP, ['member-2'], 'suspended', LIVE);
  assert.ok(await page.$('[data-testid=target-state-member-1] [data-state=ready]'));
  // The header says so, and each row offers only the action that applies.
  await page.waitForSelector('[data-testid=application-suspended]:has-text("1 suspended")');
  await page.click('[data-testid=target-more-member-2]');
  await page.waitForSelector('[data-testid=target-member-2] [role=menuitem]:has-text("Resume")');
  assert.equal(await page.$('[data-testid=target-member-2] [role=menuitem]:has-text("Suspend")'), null);
  await page.keyboard.press('Escape');
  await page.click('[data-testid=target-more-member-1]');
  await page.waitForSelector('[data-testid=target-member-1] [role=menuitem]:has-text("Suspend")');
  assert.equal(await page.$('[data-testid=target-member-1] [role=menuitem]:has-text("Resume")'), null);
  await page.keyboard.press('Escape');
  const hr = await api('GET', `/namespaces/${NS}/helmreleases/${APP}-member-2`);
  assert.equal(hr.body.spec.suspend, true, "member-2's HelmRelease is suspended");
  const hr1 = await api('GET', `/namespaces/${NS}/helmreleases/${APP}-member-1`);
  assert.notEqual(hr1.body.spec.suspend, true, "member-1's is not");
  await shot(page, '17-application-suspended');
});

test("Helm's Force and Reset on one target, each confirmed with what it does", async () => {
  for (const [action, annotation, handled] of [
    ['force', 'reconcile.fluxcd.io/forceAt', 'lastHandledForceAt'],
    ['reset', 'reconcile.fluxcd.io/resetAt', 'lastHandledResetAt'],
  ]) {
    await page.click('[data-testid=target-more-member-1]');
    await page.click(`[data-testid=target-member-1] [data-testid=helm-${action}]`);
    const says = await page.textContent('[data-testid=helm-confirm]');
    assert.match(says, new RegExp(annotation.replace(/[./]/g, '\\$&')));
    assert.match(says, /member-1/);
    await page.click(`.kubed-modal button:has-text("${action === 'force' ? 'Force' : 'Reset'}")`);
    const token = await eventually(`${annotation} on member-1's HelmRelease`, 30, async () => {
      const hr = await api('GET', `/namespaces/${NS}/helmreleases/${APP}-member-1`);
      return hr.body.metadata.annotations?.[annotation];
    });
    await eventually(`helm-controller handled the ${action}`, 120, async () => {
      const hr = await api('GET', `/namespaces/${NS}/helmreleases/${APP}-member-1`);
      return hr.body.status?.[handled] === token;
    });
  }
  await shot(page, '17b-helm-force-reset');
});

test('edit: the diff shows only member-1 changing, then it rolls out there', async () => {
  await page.click('a:has-text("Edit")');
  await page.waitForURL(`**/applications/${NS}/${APP}/edit`);
  await page.waitForSelector(`input[name="metadata.name"][value="${APP}"]`);
  for (let i = 0; i < 3; i++) await page.click('button:has-text("Next")');
  await page.click('[data-testid=override-tab-member-1]');
  await page.fill('textarea[name="spec.targets[1].overrides.values"]', 'replicaCount: 4\n');
  await page.waitForSelector('[data-testid=rendered-member-1]:has-text("replicaCount: 4")');
  await page.click('button:has-text("Next")');
  const diff = await page.waitForSelector('[data-testid=diff-member-1] [data-action=update]');
  assert.ok(diff);
  assert.match(await page.textContent('[data-testid=diff-member-1]'), /spec\.values\.replicaCount/);
  assert.match(await page.textContent('[data-testid=diff-host]'), /unchanged/);
  assert.match(await page.textContent('[data-testid=diff-member-2]'), /unchanged/);
  await shot(page, '18-wizard-diff');
  await page.click('button:has-text("Next")');
  await page.click('button:has-text("Save")');
  await page.waitForURL(`**/applications/${NS}/${APP}`);
  await eventually('member-1 scaled to 4 replicas', 120, () =>
    kubectl('member-1', '-n', NS, 'get', 'deployment', APP, '-o', 'jsonpath={.spec.replicas}') === '4',
  );
  assert.equal(kubectl('host', '-n', NS, 'get', 'deployment', APP, '-o', 'jsonpath={.spec.replicas}'), '1');
});

test('switch to Chinese: the page is translated', async () => {
  await page.selectOption('header.top-bar select[name=language]', 'zh-CN');
  await page.waitForSelector('nav.side-nav a:has-text("应用")');
  assert.ok(await page.isVisible('nav.side-nav a:has-text("概览")'));
  assert.ok(await page.isVisible('button:has-text("退出登录")'));
  await shot(page, '19-application-zh');
  await page.click('nav.side-nav a:has-text("集群")');
  await page.waitForSelector('h1:has-text("集群")');
  await shot(page, '20-clusters-zh');
  await page.selectOption('header.top-bar select[name=language]', 'en');
});

test('log out', async () => {
  await page.click('button:has-text("Log out")');
  await page.waitForURL('**/login');
  await cleanup();
});
