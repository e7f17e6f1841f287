// A Kustomize application through the wizard: one git path to two members with a different
// substitution on member-1, Ready live, then deleted from its page (typed-name confirmation),
// which removes what it applied in each cluster.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot, targetsShow } from './lib.mjs';

const NS = 'team-a';
const APP = 'e2e-kustomize';
const LIVE = 180_000;
let browser;
let page;

const configData = (cluster) =>
  JSON.parse(kubectl(cluster, '-n', NS, 'get', 'configmap', 'demo-config', '-o', 'jsonpath={.data}') || '{}');

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
});

test('a Kustomize application with a per-cluster substitution', async () => {
  await page.goto(`${BASE}/applications/new`);
  await page.fill('input[name="metadata.name"]', APP);
  await page.selectOption('select[name=type]', 'kustomize');
  await page.selectOption('select[name="spec.source.kind"]', 'GitRepository');
  await page.waitForSelector('select[name="spec.source.name"] option[value=samples]', { state: 'attached' });
  await page.selectOption('select[name="spec.source.name"]', 'samples');
  await page.click('button:has-text("Next")');
  await page.fill('input[name="spec.kustomize.path"]', './base');
  await page.click('button:has-text("Next")');
  await page.click('button:has-text("Add substitution")');
  await page.fill('input[name="spec.kustomize.substitute[0].key"]', 'greeting');
  await page.fill('input[name="spec.kustomize.substitute[0].value"]', 'hello');
  await page.click('button:has-text("Next")');
  for (const c of ['member-1', 'member-2']) await page.check(`input[name=target-cluster-${c}]`);
  await page.click('[data-testid=override-tab-member-1]');
  await page.click('[data-testid=overrides-editor] button:has-text("Add substitution")');
  await page.fill('input[name="spec.targets[0].overrides.substitute[0].key"]', 'greeting');
  await page.fill('input[name="spec.targets[0].overrides.substitute[0].value"]', 'hi');
  await page.waitForSelector('[data-testid=rendered-member-1]:has-text("greeting: hi")');
  assert.match(await page.textContent('[data-testid=rendered-member-1]'), /cluster_name: member-1/);
  await shot(page, '23-kustomize-overrides');
  await page.click('button:has-text("Next")');
  await page.waitForSelector('[data-testid=preview-member-2]');
  await page.click('button:has-text("Next")');
  await page.click('button:has-text("Create")');
  await page.waitForURL(`**/applications/${NS}/${APP}`);
  await targetsShow(page, NS, APP, ['member-1', 'member-2'], 'ready', LIVE);
  // The workloads it runs, read in the member: the Deployment's pod is ready there.
  await page.click('[data-testid=tab-workloads]');
  await page.waitForSelector('[data-testid=workloads-member-1] [data-testid=replicas-demo]:has-text("1/1")');
  assert.ok(await page.$('[data-testid=workload-demo] [data-state=healthy]'));
  await shot(page, '24-kustomize-ready');
  await eventually('the ConfigMaps in both members', 60, () => configData('member-2').greeting === 'hello');
  assert.deepEqual(
    [configData('member-1').greeting, configData('member-1').cluster],
    ['hi', 'member-1'],
  );
  assert.equal(configData('member-2').cluster, 'member-2');
});

test('delete it from its page: typed-name confirmation, then gone from every cluster', async () => {
  await page.click('button:has-text("Delete")');
  const ok = '.kubed-modal button:has-text("Delete")';
  assert.ok(await page.isDisabled(ok), 'Delete waits for the name');
  await page.fill('.kubed-modal input[name=confirm-name]', APP);
  await page.click(ok);
  await page.waitForURL('**/applications');
  await eventually('the application is gone', 120, async () =>
    (await api('GET', `/namespaces/${NS}/applications/${APP}`)).status === 404,
  );
  for (const c of ['member-1', 'member-2']) {
    await eventually(`demo-config gone from ${c}`, 60, () =>
      !kubectl(c, '-n', NS, 'get', 'configmap', '--no-headers', '-o', 'name').includes('demo-config'),
    );
  }
});
