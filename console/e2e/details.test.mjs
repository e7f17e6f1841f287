// First visit, cluster and source pages: the overview's first steps in a namespace where the
// fleet looks empty (its steps marked from what the API reports), a cluster's page opened from
// its name (its health, the application targets deploying to it), and a source's page opened
// from its row (its artifact and the application built from it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, removeApplication, shot, testbed } from './lib.mjs';

const NS = 'team-a';
// The history outlives objects: a name of this run's own keeps earlier runs' revisions apart.
const NAME = `e2e-details-${Date.now().toString(36).slice(-5)}`;
const MEMBER = 'member-1';
/** A namespace of its own, with nothing in it: there the fleet looks empty. */
const EMPTY = `e2e-empty-${Date.now().toString(36)}`;
let browser;

before(async () => {
  await removeApplication(NS, NAME);
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${NAME}`);
  kubectl('host', 'create', 'namespace', EMPTY);
  const app = await api('POST', `/namespaces/${NS}/applications`, {
    metadata: { name: NAME },
    spec: {
      source: { kind: 'GitRepository', name: NAME },
      kustomize: { path: './base', namePrefix: 'details-' },
      targets: [{ cluster: MEMBER, namespace: NS }],
    },
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  // The source's first revision is recorded from Flux's event: the namespace's Provider must
  // send events to this ksflux before the source is created.
  await eventually(`the ${NS} Provider sends to ${BASE}`, 330, async () => {
    const address = kubectl('host', '-n', NS, 'get', 'providers.notification.toolkit.fluxcd.io', 'ksflux-events',
      '-o', 'jsonpath={.spec.address}');
    return address.startsWith(`${BASE}/`);
  });
  const f = testbed.fixtures;
  const source = await api('POST', `/namespaces/${NS}/gitrepositories`, {
    metadata: { name: NAME },
    spec: { url: `${f.git_url}/demo.git`, interval: '10m', ref: { branch: 'main' } },
    credentials: { type: 'basic', username: f.user, password: f.password },
  });
  assert.equal(source.status, 201, JSON.stringify(source.body));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await removeApplication(NS, NAME);
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${NAME}`);
  try {
    kubectl('host', 'delete', 'namespace', EMPTY, '--wait=false');
  } catch {
    // already gone
  }
});

test('the overview offers the first steps where the fleet looks empty, marked from real data', async () => {
  const page = await loggedIn(browser, 'admin', NS);
  await page.goto(`${BASE}/`);
  // team-a has sources, and members are registered: nothing to start.
  await page.waitForSelector('[data-testid=overview-cluster-link-member-1]');
  await page.waitForTimeout(1500);
  assert.equal(await page.$('[data-testid=getting-started]'), null, 'no first steps in team-a');

  // A namespace with nothing in it: the card, with the cluster step done (members are registered).
  await page.waitForSelector(`select[name=namespace] option[value="${EMPTY}"]`, { state: 'attached' });
  await page.selectOption('select[name=namespace]', EMPTY);
  await page.waitForSelector('[data-testid=getting-started]');
  const done = async (step) => page.getAttribute(`[data-testid=step-${step}]`, 'data-done');
  assert.equal(await done('cluster'), 'true');
  assert.equal(await done('source'), 'false');
  assert.equal(await done('application'), 'false');
  assert.match(await page.textContent('[data-testid=getting-started-progress]'), new RegExp(`1 of 3 steps done.*${EMPTY}`));
  await shot(page, '80-details-getting-started');

  // Its steps lead where the work is done.
  await page.click('[data-testid=step-source] a');
  await page.waitForURL(/\/sources\/gitrepositories$/);
  await page.goBack();
  await page.waitForSelector('[data-testid=getting-started]');
  await page.click('[data-testid=step-application] a');
  await page.waitForURL(/\/applications\/new$/);
  await page.goBack();

  // Dismissed, it stays away, also after a reload (which picks team-a again: the test's start).
  await page.click('[data-testid=getting-started-dismiss]');
  await page.waitForSelector('[data-testid=getting-started]', { state: 'detached' });
  await page.reload();
  await page.waitForSelector(`select[name=namespace] option[value="${EMPTY}"]`, { state: 'attached' });
  await page.selectOption('select[name=namespace]', EMPTY);
  await page.waitForSelector('[data-testid=overview-cluster-link-member-1]');
  await page.waitForTimeout(1500);
  assert.equal(await page.$('[data-testid=getting-started]'), null, 'dismissed for good');
  await page.context().close();
});

test('a cluster name opens its page: health, history and the targets deploying to it', async () => {
  await eventually(`${NAME} ready in ${MEMBER}`, 180, async () => {
    const a = (await api('GET', `/namespaces/${NS}/applications/${NAME}`)).body;
    return a?.status?.targets?.some((t) => t.cluster === MEMBER && t.ready === 'True');
  });
  const health = (await api('GET', `/clusters/${MEMBER}`)).body.health;
  const page = await loggedIn(browser, 'admin', NS);
  await page.goto(`${BASE}/clusters`);
  await page.click(`[data-testid=cluster-link-${MEMBER}] a`);
  await page.waitForURL(new RegExp(`/clusters/${MEMBER}$`));
  await page.waitForSelector('[data-testid=cluster-health]');
  assert.equal(await page.textContent('[data-testid=cluster-reachable]'), 'Yes');
  assert.equal(await page.textContent('[data-testid=cluster-kubernetes]'), health.kubernetesVersion);
  assert.notEqual(await page.textContent('[data-testid=cluster-last-checked]'), '-');
  // Health over time: at least the first check.
  const transitions = await page.$$('[data-testid=cluster-transition]');
  assert.ok(transitions.length >= 1, 'the first check is a transition');
  // The application's target there, ready, linking to the application.
  const row = `[data-testid=cluster-target-${NS}-${NAME}]`;
  await page.waitForSelector(`${row} [data-testid=cluster-target-state-${NAME}] [data-state=ready]`);
  assert.equal(await page.getAttribute(`${row} a`, 'href'), `/applications/${NS}/${NAME}`);
  await shot(page, '81-details-cluster');

  // From the overview too.
  await page.goto(`${BASE}/`);
  await page.click('[data-testid=overview-cluster-link-host]');
  await page.waitForURL(/\/clusters\/host$/);
  await page.waitForSelector('[data-testid=cluster-flux-apis]');
  assert.match(await page.textContent('[data-testid=cluster-flux]'), /Flux/);
  await page.waitForSelector('[data-testid=cluster-count-total] b');
  await shot(page, '82-details-host');
  await page.context().close();
});

test('a source row opens its page: artifact, conditions and the application built from it', async () => {
  const revision = await eventually(`${NAME} has an artifact`, 120, async () => {
    const s = (await api('GET', `/namespaces/${NS}/gitrepositories/${NAME}`)).body;
    return s?.status?.artifact?.revision;
  });
  const page = await loggedIn(browser, 'admin', NS);
  await page.goto(`${BASE}/sources/gitrepositories`);
  await page.click(`[data-testid=source-${NAME}] td a`);
  await page.waitForURL(new RegExp(`/sources/gitrepositories/${NS}/${NAME}$`));
  await page.waitForSelector('[data-testid=artifact-revision]');
  assert.equal(await page.textContent('[data-testid=artifact-revision]'), revision);
  assert.match(await page.textContent('[data-testid=artifact-digest]'), /^sha256:[0-9a-f]{64}$/);
  assert.equal(await page.textContent('[data-testid=condition-Ready] td:nth-child(2)'), 'True');
  assert.match(await page.textContent('[data-testid=source-url]'), /demo\.git$/);
  await page.waitForSelector(`[data-testid=source-app-${NAME}]`);
  // Its revision history: the revision it fetched, from Flux's event.
  await page.waitForSelector('[data-testid=source-revision]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid=source-revision] td:first-child'), revision);
  await shot(page, '83-details-source');
  await page.click(`[data-testid=source-app-${NAME}] a`);
  await page.waitForURL(new RegExp(`/applications/${NS}/${NAME}$`));
  await page.context().close();
});
