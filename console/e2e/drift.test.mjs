// Drift in the inventory tree: a Kustomize and a Helm application on member-1, their
// Deployment edited on the member with kubectl, shown as drifted in the tree with the fields
// (and for Helm the applied → live diff); Reconcile puts the Kustomize one back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, createApplication, eventually, kubectl, launch, loggedIn, removeApplication, shot, targetsShow } from './lib.mjs';

const NS = 'team-a';
const KAPP = 'e2e-drift-k';
const HAPP = 'e2e-drift-h';
const LIVE = 180_000;
let browser;
let page;

const apps = {
  [KAPP]: {
    source: { kind: 'GitRepository', name: 'samples' },
    kustomize: { path: './base' },
    interval: '1h',
    targets: [{ cluster: 'member-1', namespace: NS }],
  },
  [HAPP]: {
    source: { kind: 'HelmRepository', name: 'samples' },
    helm: { chart: 'demo-app', version: '1.x', values: { replicaCount: 1 } },
    targets: [{ cluster: 'member-1', namespace: NS }],
  },
};

before(async () => {
  for (const [name, spec] of Object.entries(apps)) await createApplication(NS, name, spec);
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

after(async () => {
  await browser?.close();
  for (const name of Object.keys(apps)) await removeApplication(NS, name);
});

/** Whether `app`'s Deployment `name` shows as drifted after a reload of the inventory. */
async function driftedAfterReload(name) {
  await page.reload();
  await page.click('[data-testid=tab-inventory]');
  const row = await page.waitForSelector(`[data-testid=inventory-member-1] [data-testid=inventory-object-Deployment-${name}]`, {
    timeout: 30_000,
  });
  return (await row.getAttribute('data-drifted')) === 'true';
}

/** Opens the inventory of `app`'s member-1 target and waits for `selector` in it. */
async function inventory(app, selector) {
  await page.goto(`${BASE}/applications/${NS}/${app}`);
  await targetsShow(page, NS, app, ['member-1'], 'ready', LIVE);
  await page.click('[data-testid=tab-inventory]');
  await page.waitForSelector(`[data-testid=inventory-member-1] ${selector}`, { timeout: 60_000 });
}

test('a Kustomize object edited with kubectl shows as drifted, then restored by Reconcile', async () => {
  await inventory(KAPP, '[data-testid=inventory-object-Deployment-demo][data-drifted=false]');
  kubectl('member-1', '-n', NS, 'scale', 'deployment', 'demo', '--replicas=2');
  await eventually('the tree shows the Deployment drifted', 60, () => driftedAfterReload('demo'));
  await page.click('[data-testid=inventory-filter-drifted]');
  // The ConfigMap is in sync, so the drifted filter hides it.
  assert.equal(await page.$('[data-testid=inventory-object-ConfigMap-demo-config]'), null);
  await page.click('[data-testid=inventory-object-Deployment-demo] button[aria-expanded=false]');
  const fields = await page.textContent('[data-testid=drift-fields]');
  assert.match(fields, /spec\.replicas/);
  // Who changed it: kubectl's field manager (the testbed's kubectl is the `kube` multi-call binary).
  const by = await page.textContent('[data-testid=drift-fields] tbody tr td:nth-child(4)');
  assert.match(by, /^kube(ctl)?/);
  await page.waitForSelector('[data-testid=live-manifest]:has-text("replicas: 2")');
  await shot(page, '60-drift-kustomize');
  await page.click('[data-testid=restore]');
  await eventually('Flux restored the replicas', 90, () =>
    kubectl('member-1', '-n', NS, 'get', 'deployment', 'demo', '-o', 'jsonpath={.spec.replicas}') === '1',
  );
  await eventually('the tree shows it in sync again', 60, async () => !(await driftedAfterReload('demo')));
});

test('a Helm object edited with kubectl shows the applied → live diff', async () => {
  await inventory(HAPP, `[data-testid=inventory-object-Deployment-${HAPP}][data-drifted=false]`);
  kubectl('member-1', '-n', NS, 'set', 'env', `deployment/${HAPP}`, 'EDITED=yes');
  await eventually('the tree shows the Deployment drifted', 60, () => driftedAfterReload(HAPP));
  await page.click(`[data-testid=inventory-object-Deployment-${HAPP}] button[aria-expanded=false]`);
  await page.waitForSelector('[data-testid=manifest-diff]');
  const added = await page.$$eval('[data-testid=manifest-diff] span[data-op="+"]', (s) => s.map((e) => e.textContent));
  assert.ok(added.some((l) => /EDITED/.test(l)), `added lines: ${added.join(' | ')}`);
  const fields = await page.textContent('[data-testid=drift-fields]');
  assert.match(fields, /spec\.template\.spec\.containers\[name=[^\]]+\]/);
  await shot(page, '61-drift-helm');
});
