// The wizard's Helm values. A Helm repository is created in the source form with the
// credentials of a Secret that already exists; once a HelmChart has pulled demo-app 1.0.0
// from it, the wizard shows the chart's default values (read by ksflux from Flux's storage)
// beside the values editor, and refuses values that break the chart's values.schema.json,
// naming the value path and its line — in the base values and in a cluster's overrides.
// Nothing is created by the wizard; the test's Secret, repository and HelmChart are deleted
// at the end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot, testbed } from './lib.mjs';

const NS = 'team-a';
const REPO = 'e2e-values';
const SECRET = 'e2e-values-auth';
const CHART = 'e2e-values-demo-app';
const READY = 180;

let browser;
let page;

async function cleanup() {
  await api('DELETE', `/namespaces/${NS}/helmcharts/${CHART}`);
  await api('DELETE', `/namespaces/${NS}/helmrepositories/${REPO}`);
  await eventually('no leftover repository or chart', 120, async () => {
    const r = await api('GET', `/namespaces/${NS}/helmrepositories/${REPO}`);
    const c = await api('GET', `/namespaces/${NS}/helmcharts/${CHART}`);
    return r.status === 404 && c.status === 404;
  });
  kubectl('host', '-n', NS, 'delete', 'secret', SECRET, '--ignore-not-found');
}

const ready = (resource, name) =>
  eventually(`${resource}/${name} Ready`, READY, async () => {
    const r = await api('GET', `/namespaces/${NS}/${resource}/${name}`);
    return r.status === 200 && r.body.summary.state === 'ready';
  });

before(async () => {
  await cleanup();
  const f = testbed.fixtures;
  const literals = [`--from-literal=username=${f.user}`, `--from-literal=password=${f.password}`];
  kubectl('host', '-n', NS, 'create', 'secret', 'generic', SECRET, ...literals);
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

after(async () => {
  await browser?.close();
  await cleanup();
});

test('a Helm repository reuses an existing Secret for its credentials', async () => {
  await page.goto(`${BASE}/sources/helmrepositories`);
  await page.click('button:has-text("Create Helm repository")');
  await page.fill('.kubed-modal input[name="metadata.name"]', REPO);
  await page.fill('.kubed-modal input[name="spec.url"]', testbed.fixtures.helm_url);
  await page.selectOption('.kubed-modal select[name="credentials.type"]', 'existing');
  await page.click('.kubed-modal button:has-text("Create")');
  await page.waitForSelector('[data-error-for="spec.secretRef.name"]:has-text("Required")');
  await page.fill('.kubed-modal input[name="spec.secretRef.name"]', SECRET);
  await shot(page, '42-source-existing-secret');
  await page.click('.kubed-modal button:has-text("Create")');
  await page.waitForSelector(`[data-testid=source-${REPO}] [data-state=ready]`, { timeout: READY * 1000 });
  const repo = await api('GET', `/namespaces/${NS}/helmrepositories/${REPO}`);
  assert.deepEqual(repo.body.spec.secretRef, { name: SECRET });
  assert.deepEqual(
    repo.body.credentialStatus.auth,
    { secretName: SECRET, type: 'external', managed: false },
    'ksflux wrote no Secret of its own',
  );
  // The chart is on Flux's storage once a HelmChart (here the test's own) has pulled it.
  const chart = await api('POST', `/namespaces/${NS}/helmcharts`, {
    metadata: { name: CHART },
    spec: { chart: 'demo-app', version: '1.0.0', interval: '5m', sourceRef: { kind: 'HelmRepository', name: REPO } },
  });
  assert.equal(chart.status, 201, JSON.stringify(chart.body));
  await ready('helmcharts', CHART);
});

test("the wizard shows demo-app's default values and refuses values that break its schema", async () => {
  await page.goto(`${BASE}/applications/new`);
  await page.fill('input[name="metadata.name"]', 'e2e-values-app');
  await page.selectOption('select[name=type]', 'helm');
  await page.selectOption('select[name="spec.source.kind"]', 'HelmRepository');
  await page.waitForSelector(`select[name="spec.source.name"] option[value=${REPO}]`, { state: 'attached' });
  await page.selectOption('select[name="spec.source.name"]', REPO);
  await page.click('button:has-text("Next")');
  await page.waitForSelector('select[name="spec.helm.chart"] option[value=demo-app]', { state: 'attached' });
  await page.selectOption('select[name="spec.helm.chart"]', 'demo-app');
  await page.waitForSelector('select[name="spec.helm.version"] option[value="0.2.0"]', { state: 'attached' });

  // A version no HelmChart has pulled: the defaults are not fetched from the repository.
  await page.selectOption('select[name="spec.helm.version"]', '0.2.0');
  await page.click('button:has-text("Next")');
  await page.waitForSelector('[data-testid=chart-defaults-missing]');
  assert.match(await page.textContent('[data-testid=chart-defaults-missing]'), /pulled this version/);
  await page.click('button:has-text("Back")');

  await page.selectOption('select[name="spec.helm.version"]', '1.0.0');
  await page.click('button:has-text("Next")');

  // The defaults, as the chart's values.yaml says them, beside the editor.
  await page.waitForSelector('[data-testid=chart-defaults] textarea');
  const defaults = await page.inputValue('[data-testid=chart-defaults] textarea');
  assert.match(defaults, /^replicaCount: 1$/m);
  assert.match(defaults, /message: hello from demo-app/);
  assert.match(defaults, /# Requests, so that the scheduler/);
  assert.equal(await page.textContent('[data-testid=chart-defaults-version]'), 'demo-app 1.0.0');
  assert.match(await page.textContent('[data-testid=chart-defaults-panel]'), /values schema/);

  // A YAML syntax error: its line is marked.
  await page.fill('textarea[name="spec.helm.values"]', 'message: hi\nimage: [\n');
  await page.waitForSelector('[data-error-for="spec.helm.values"]:has-text("Not valid YAML")');
  await page.waitForSelector('[data-field="spec.helm.values"] [data-problem=true]');

  // Values that break the schema: refused, each value path named on its line.
  await page.fill('textarea[name="spec.helm.values"]', 'message: hi\nreplicaCount: three\nimage:\n  tag: ""\n');
  await page.waitForSelector('[data-error-for="spec.helm.values"]:has-text("break the chart\'s schema")');
  const problems = page.locator('[data-testid="schema-problems-spec.helm.values"] li');
  assert.equal(await problems.count(), 2);
  assert.equal(await problems.nth(0).getAttribute('data-path'), 'replicaCount');
  assert.match(await problems.nth(0).textContent(), /Line 2.*replicaCount.*Must be of type integer, not string/);
  assert.equal(await problems.nth(1).getAttribute('data-path'), 'image.tag');
  assert.match(await problems.nth(1).textContent(), /Line 4.*image\.tag.*Must not be empty/);
  for (const line of [2, 4]) {
    assert.equal(
      await page.getAttribute(`[data-field="spec.helm.values"] [data-line="${line}"]`, 'data-problem'),
      'true',
    );
  }
  await shot(page, '40-wizard-values-schema');
  await page.click('button:has-text("Next")');
  assert.equal(await page.getAttribute('[data-testid=wizard-step]', 'data-step'), '2', 'Next is refused');

  // Clicking a problem goes to its line.
  await problems.nth(1).locator('button').click();
  const selected = await page.evaluate(() => {
    const a = document.querySelector('textarea[name="spec.helm.values"]');
    return a.value.slice(a.selectionStart, a.selectionEnd);
  });
  assert.equal(selected, '  tag: ""');

  // Fixed: accepted, and the targets step checks each cluster's overrides too.
  await page.fill('textarea[name="spec.helm.values"]', 'message: hi\nreplicaCount: 2\n');
  await page.waitForSelector('[data-testid="schema-problems-spec.helm.values"]', { state: 'detached' });
  await page.fill('input[name="spec.helm.timeout"]', '10m');
  await page.fill('input[name="spec.helm.install.remediation.retries"]', '3');
  await page.click('button:has-text("Next")');
  await page.check('input[name=target-cluster-member-1]');
  await page.click('[data-testid=override-tab-member-1]');
  await page.fill('textarea[name="spec.targets[0].overrides.values"]', 'replicaCount: 500\n');
  await page.waitForSelector('[data-testid="schema-problems-spec.targets[0].overrides.values"]:has-text("Must be at most 100")');
  await shot(page, '41-wizard-override-schema');
  await page.click('button:has-text("Next")');
  assert.equal(await page.getAttribute('[data-testid=wizard-step]', 'data-step'), '3', 'Next is refused');
  await page.fill('textarea[name="spec.targets[0].overrides.values"]', 'replicaCount: 5\n');
  await page.waitForSelector('[data-testid="schema-problems-spec.targets[0].overrides.values"]', { state: 'detached' });
  await page.click('button:has-text("Next")');
  // The server renders what the wizard would create, with the fields the wizard set.
  await page.waitForSelector('[data-testid=preview-member-1]');
  await page.click('[data-testid=preview-member-1]');
  await page.waitForSelector('[data-testid=preview-member-1]:has-text("replicaCount: 5")');
  const preview = await page.textContent('[data-testid=preview-member-1]');
  assert.match(preview, /timeout: 10m/);
  assert.match(preview, /retries: 3/);
  assert.equal((await api('GET', `/namespaces/${NS}/applications/e2e-values-app`)).status, 404, 'nothing created');
});
