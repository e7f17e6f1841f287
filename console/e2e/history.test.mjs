// Release history in the console, against real Flux: a Helm application on two members
// upgraded twice shows three releases per lane on its timeline; rolling member-1 back to
// release 1 from the timeline shows the diff first (member-1 changes, member-2 does not), and
// applying it (an ordinary edit, in the audit log) makes member-1 run release 1's chart and
// values while member-2 stays on release 3.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot } from './lib.mjs';

const NS = 'team-a';
// The history outlives applications: a name of this run's own keeps earlier runs' releases apart.
const APP = `e2e-rb-${Date.now().toString(36).slice(-5)}`;
const TARGETS = ['member-1', 'member-2'];
const LIVE = 240;
let browser;
let page;

const spec = (version, message, suspend) => ({
  source: { kind: 'HelmRepository', name: 'samples' },
  helm: { chart: 'demo-app', version, values: { message } },
  targets: TARGETS.map((cluster) => ({ cluster, namespace: NS, suspend })),
});

/** Replaces the application's spec (reading its resourceVersion again on a conflict). */
async function put(s) {
  for (let i = 0; i < 5; i++) {
    const current = await api('GET', `/namespaces/${NS}/applications/${APP}`);
    const r = await api('PUT', `/namespaces/${NS}/applications/${APP}`, {
      metadata: { name: APP, resourceVersion: current.body.metadata.resourceVersion },
      spec: s,
    });
    if (r.status !== 409) return r;
  }
  throw new Error('five conflicts in a row');
}

const releases = async (target) =>
  (await api('GET', `/namespaces/${NS}/applications/${APP}/history?target=${target}&limit=100`)).body?.items ?? [];
const helmRelease = (target, n) =>
  eventually(`${target}: Helm release ${n}`, LIVE, async () =>
    (await releases(target)).find((r) => r.helmVersion === n && r.outcome === 'succeeded'),
  );
const configOf = (cluster) =>
  JSON.parse(kubectl(cluster, '-n', NS, 'get', 'configmap', `${APP}-config`, '-o', 'jsonpath={.data}') || '{}');

before(async () => {
  await api('DELETE', `/namespaces/${NS}/applications/${APP}`);
  await eventually('no leftover application', 120, async () =>
    (await api('GET', `/namespaces/${NS}/applications/${APP}`)).status === 404,
  );
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

after(async () => {
  await browser?.close();
  await api('DELETE', `/namespaces/${NS}/applications/${APP}`);
});

test('three Helm releases per cluster on the timeline; member-1 rolled back to release 1 from it', async () => {
  // Suspended until ksflux's own Alert is in the namespace, so release 1 is heard too.
  const created = await api('POST', `/namespaces/${NS}/applications`, {
    metadata: { name: APP },
    spec: spec('0.1.0', 'r1', true),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await eventually('ksflux-events Alert in the namespace', 120, () =>
    kubectl('host', '-n', NS, 'get', 'alerts', '-o', 'name').includes('ksflux-events'),
  );
  for (const [n, [version, message]] of [
    ['0.1.0', 'r1'],
    ['0.2.0', 'r2'],
    ['1.0.0', 'r3'],
  ].entries()) {
    const r = await put(spec(version, message, false));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const target of TARGETS) {
      const release = await helmRelease(target, n + 1);
      assert.equal(release.chartVersion, version);
    }
  }
  const first = await helmRelease('member-1', 1);

  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  for (const target of TARGETS) {
    await page.waitForSelector(`[data-testid=lane-${target}] [data-outcome=succeeded] >> nth=2`);
  }
  await page.hover(`[data-testid=release-${first.id}]`);
  await page.waitForSelector('[data-testid=release-tip]:has-text("0.1.0")');
  await shot(page, '67-timeline-helm');
  await page.click(`[data-testid=release-${first.id}]`);
  await page.waitForSelector('[data-testid=release-details]:has-text("0.1.0")');
  await page.click('button:has-text("Roll member-1 back to this release")');
  await page.waitForSelector('[data-testid=rollback] [data-testid=diff-member-1]');
  assert.match(await page.textContent('[data-testid=rollback] [data-testid=diff-member-1]'), /update/);
  assert.match(await page.textContent('[data-testid=rollback] [data-testid=diff-member-1]'), /0\.1\.0/);
  assert.match(await page.textContent('[data-testid=rollback] [data-testid=diff-member-2]'), /unchanged/);
  assert.equal(configOf('member-1').message, 'r3', 'the proposal writes nothing');
  await shot(page, '68-rollback-diff');
  await page.click('[data-testid=rollback-apply]');
  await page.waitForSelector('[data-testid=release-details]', { state: 'detached' });

  const app = await api('GET', `/namespaces/${NS}/applications/${APP}`);
  assert.equal(app.body.spec.targets[0].overrides.version, '0.1.0');
  await eventually('member-1 on release 1 chart and values', LIVE, () => {
    const c = configOf('member-1');
    return c.message === 'r1' && c.chartVersion === '0.1.0';
  });
  const m2 = configOf('member-2');
  assert.deepEqual([m2.message, m2.chartVersion], ['r3', '1.0.0'], 'member-2 stays on release 3');

  // The audit log: the rollback is an ordinary update of the application, by admin.
  await page.goto(`${BASE}/audit`);
  await page.fill('input[name=name]', APP);
  const row = await page.waitForSelector(`[data-testid=audit-log] tr:has-text("${APP}"):has-text("update")`);
  assert.match(await row.textContent(), /admin/);
  await shot(page, '69-audit-log');

  // The same in Simplified Chinese.
  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  await page.selectOption('header.top-bar select[name=language]', 'zh-CN');
  await page.waitForSelector('h2:has-text("发布历史")');
  await page.waitForSelector('nav.side-nav a:has-text("审计日志")');
  await page.waitForSelector('[data-testid=lane-member-1] [data-outcome=succeeded]');
  await page.click('[data-testid=notify-me]');
  await page.waitForSelector('.kubed-modal :text("告警把本应用的事件")');
  await shot(page, '70-history-notify-zh');
});
