// A Kustomize application through the wizard: one git path to two members with a different
// substitution on member-1, Ready live; then member-1 scaled by a per-cluster patch, its
// rollout followed live in the workloads panel; then deleted from its page (typed-name
// confirmation), which removes what it applied in each cluster.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, changes, eventually, kubectl, launch, loggedIn, shot, targetsShow } from './lib.mjs';

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

test('scaling member-1 by a per-cluster patch: the rollout progresses live over the event stream', async () => {
  const stream = await changes('?workloads=true');
  // Every replica count the panel shows, as it shows it.
  await page.evaluate(() => {
    const seen = [];
    window.__replicas = seen;
    const note = () => {
      const el = document.querySelector('[data-testid=workloads-member-1] [data-testid=replicas-demo]');
      const text = el?.textContent ?? '';
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.waitForSelector('[data-testid=workloads-member-1][data-live=true]');
  // Four replicas on member-1, each pod Ready within 8 s (the testbed's KWOK stage reads the
  // annotation), as pods of a real rollout become Ready one by one.
  const patch = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: demo}',
    'spec:',
    '  replicas: 4',
    '  template:',
    '    metadata:',
    '      annotations: {testbed.ksflux.io/ready-within: 8s}',
  ].join('\n');
  await eventually('the patch saved', 30, async () => {
    const app = (await api('GET', `/namespaces/${NS}/applications/${APP}`)).body;
    const targets = app.spec.targets.map((t) =>
      t.cluster === 'member-1'
        ? { ...t, overrides: { ...(t.overrides ?? {}), patches: [{ patch, target: { kind: 'Deployment', name: 'demo' } }] } }
        : t,
    );
    const r = await api('PUT', `/namespaces/${NS}/applications/${APP}`, { ...app, spec: { ...app.spec, targets } });
    return r.status === 200;
  });
  // The rollout is over when every replica runs the new template and is ready (on the way,
  // "4/4" can show while old pods still count, then dip as they go).
  await eventually('member-1 rolled out 4 new replicas', LIVE / 1000, async () => {
    const s = JSON.parse(kubectl('member-1', '-n', NS, 'get', 'deployment', 'demo', '-o', 'jsonpath={.status}'));
    return s.replicas === 4 && s.updatedReplicas === 4 && s.readyReplicas === 4 && s.availableReplicas === 4;
  });
  await page.waitForSelector('[data-testid=workloads-member-1] [data-testid=replicas-demo]:has-text("4/4")', {
    timeout: LIVE,
  });
  await shot(page, '25-kustomize-scaled-live');
  await stream.close();
  const demo = stream.seen.filter(
    (c) => c.kind === 'Deployment' && c.cluster === 'member-1' && c.namespace === NS && c.name === 'demo' && c.replicas,
  );
  const asked = demo.filter((c) => c.replicas.desired === 4);
  const final = asked.findIndex((c) => c.replicas.ready === 4);
  assert.ok(final >= 0, `the stream brought the final state: ${JSON.stringify(demo.map((c) => c.replicas))}`);
  assert.ok(
    asked.slice(0, final).some((c) => c.replicas.ready < 4),
    `the stream brought intermediate states first: ${JSON.stringify(asked.map((c) => c.replicas))}`,
  );
  const shown = await page.evaluate(() => window.__replicas);
  assert.ok(
    shown.some((text) => /^[0-3]\/4$/.test(text)),
    `the panel showed the rollout under way: ${JSON.stringify(shown)}`,
  );
  assert.equal(shown[shown.length - 1], '4/4');
  // member-2 is not scaled.
  const workloads = (await api('GET', `/namespaces/${NS}/applications/${APP}/workloads`)).body;
  const m2 = workloads.find((t) => t.cluster === 'member-2').workloads[0];
  assert.deepEqual([m2.name, m2.desired, m2.ready], ['demo', 1, 1]);
  assert.equal(kubectl('member-1', '-n', NS, 'get', 'deployment', 'demo', '-o', 'jsonpath={.status.readyReplicas}'), '4');
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
