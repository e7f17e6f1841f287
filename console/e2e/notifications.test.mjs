// Notifications set up through the console, against the real notification-controller:
// - "notify me about this application" with a Slack Provider whose webhook URL points at a
//   Slack-shaped webhook FIXTURE (a tiny HTTP server started here, on loopback, standing in
//   for hooks.slack.com): a release that fails reaches it; the release timeline shows the
//   failed release with Flux's message;
// - a `generic` and a `github` (HMAC-signed) Receiver created in the console: called at the
//   URL the console shows, each makes its GitRepository reconcile; a bad signature does not.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot, testbed } from './lib.mjs';

const NS = 'team-a';
// The history outlives applications: a name of this run's own keeps earlier runs' releases apart.
const APP = `e2e-notify-${Date.now().toString(36).slice(-5)}`;
const SOURCE = 'e2e-notify-src';
const REPO = 'e2e-notify';
const PROVIDER = 'e2e-slack';
const LIVE = 240;
let browser;
let page;
let work;
/** The Slack-shaped webhook fixture and what it received. */
let slack;
const received = [];

const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=ksflux-e2e', '-c', 'user.email=e2e@example.local', ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  }).trim();
const pushUrl = () => {
  const f = testbed.fixtures;
  return `http://${f.user}:${f.password}@${f.git_url.replace(/^http:\/\//, '')}/${REPO}.git`;
};
/** Commits `configmap` as base/configmap.yaml and pushes it; the commit's hash. */
function commit(configmap, message) {
  writeFileSync(join(work, 'base/configmap.yaml'), configmap);
  git('commit', '-qam', message);
  git('push', '-q', pushUrl(), 'main');
  return git('rev-parse', 'HEAD');
}

async function deleteAll() {
  for (const [res, name] of [
    ['applications', APP],
    ['alerts', `${APP}-${PROVIDER}`],
    ['providers', PROVIDER],
    ['receivers', 'e2e-generic'],
    ['receivers', 'e2e-github'],
    ['gitrepositories', SOURCE],
  ]) {
    await api('DELETE', `/namespaces/${NS}/${res}/${name}`);
  }
  await eventually('no leftover application', 120, async () =>
    (await api('GET', `/namespaces/${NS}/applications/${APP}`)).status === 404,
  );
}

before(async () => {
  await deleteAll();
  // The FIXTURE: answers like Slack's incoming webhooks ("ok") and keeps each message.
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        received.push({ path: req.url, body: JSON.parse(body) });
      } catch {
        received.push({ path: req.url, body });
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => slack.listen(0, '127.0.0.1', r));

  // A git repository of our own (a copy of the demo repository), so commits here touch no other suite.
  const root = testbed.fixtures.git_root;
  rmSync(join(root, `${REPO}.git`), { recursive: true, force: true });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(root, `${REPO}.git`)]);
  work = mkdtempSync(join(tmpdir(), 'ksflux-e2e-notify-'));
  const f = testbed.fixtures;
  execFileSync('git', ['clone', '-q', `http://${f.user}:${f.password}@${f.git_url.replace(/^http:\/\//, '')}/demo.git`, work]);
  git('push', '-q', pushUrl(), 'main');
  const src = await api('POST', `/namespaces/${NS}/gitrepositories`, {
    metadata: { name: SOURCE },
    // A long interval: reconciles come from the Receivers and the test, not the clock.
    spec: { url: `${f.git_url}/${REPO}.git`, interval: '1h', ref: { branch: 'main' } },
    credentials: { type: 'basic', username: f.user, password: f.password },
  });
  assert.equal(src.status, 201, JSON.stringify(src.body));
  const app = await api('POST', `/namespaces/${NS}/applications`, {
    metadata: { name: APP },
    spec: {
      source: { kind: 'GitRepository', name: SOURCE },
      kustomize: { path: './base', prune: true },
      targets: [{ cluster: 'member-1', namespace: NS }],
      interval: '1m',
    },
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (slack ? slack.close(r) : r()));
  if (work) rmSync(work, { recursive: true, force: true });
  await deleteAll();
});

test('notify me: a Slack Provider made in the console hears of the application failing (webhook FIXTURE)', async () => {
  await eventually('the application ready in member-1', LIVE, async () => {
    const a = await api('GET', `/namespaces/${NS}/applications/${APP}`);
    return a.body?.status?.summary?.ready === 1;
  });

  // The Provider: type slack, its webhook URL kept in a Secret.
  const hook = `http://127.0.0.1:${slack.address().port}/services/T000/B000/e2e`;
  await page.goto(`${BASE}/automation/providers`);
  await page.click('[data-testid=create-object]');
  await page.fill('.kubed-modal input[name="metadata.name"]', PROVIDER);
  await page.selectOption('.kubed-modal select[name="spec.type"]', 'slack');
  await page.selectOption('.kubed-modal select[name=secret]', 'address');
  await page.fill('.kubed-modal input[name="credentials.address"]', hook);
  await shot(page, '60-provider-form-slack');
  await page.click('.kubed-modal button:has-text("Create")');
  await page.waitForSelector(`[data-testid=object-${PROVIDER}]`);
  const provider = await api('GET', `/namespaces/${NS}/providers/${PROVIDER}`);
  assert.equal(provider.body.spec.type, 'slack');
  assert.equal(provider.body.spec.address, undefined, 'the webhook URL is not in the spec');
  assert.ok(!JSON.stringify(provider.body).includes('/services/T000'), 'the webhook URL is never returned');
  const secret = provider.body.credentialStatus.auth.secretName;
  assert.equal(
    Buffer.from(kubectl('host', '-n', NS, 'get', 'secret', secret, '-o', 'jsonpath={.data.address}'), 'base64').toString(),
    hook,
  );

  // Notify me, from the application's page.
  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  await page.click('[data-testid=notify-me]');
  await page.waitForSelector(`[data-testid=notify-dialog] select[name=provider] option[value=${PROVIDER}]`, {
    state: 'attached',
  });
  await page.selectOption('[data-testid=notify-dialog] select[name=provider]', PROVIDER);
  await page.selectOption('[data-testid=notify-dialog] select[name=severity]', 'error');
  await shot(page, '61-notify-me');
  await page.click('.kubed-modal button:has-text("Create alert")');
  const alertName = `${APP}-${PROVIDER}`;
  const alert = await eventually('the Alert', 30, async () => {
    const a = await api('GET', `/namespaces/${NS}/alerts/${alertName}`);
    return a.status === 200 && a.body;
  });
  assert.equal(alert.spec.providerRef.name, PROVIDER);
  assert.equal(alert.spec.eventSeverity, 'error');

  // A bad commit: the member-1 release fails; the fixture receives Flux's error as Slack would.
  const bad = commit('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n', 'broken manifest');
  await api('POST', `/namespaces/${NS}/applications/${APP}/reconcile`, undefined);
  await api('POST', `/namespaces/${NS}/gitrepositories/${SOURCE}/reconcile`, undefined);
  const message = await eventually('a Slack message about the failure', LIVE, () =>
    received.find((m) => m.body?.attachments?.some((a) => a.color === 'danger' && a.author_name?.includes(`${APP}-member-1`))),
  );
  const attachment = message.body.attachments.find((a) => a.color === 'danger');
  assert.match(attachment.author_name, new RegExp(`kustomization/${APP}-member-1\\.${NS}`, 'i'));
  assert.ok(attachment.text.length > 0, JSON.stringify(message.body));
  assert.ok(
    attachment.fields?.some((f) => String(f.value).includes(bad)) || JSON.stringify(message.body).includes(bad.slice(0, 12)),
    `the message names the bad revision: ${JSON.stringify(message.body)}`,
  );
  assert.equal(message.path, '/services/T000/B000/e2e');
  assert.ok(
    received.every((m) => !m.body?.attachments?.some((a) => a.color === 'good')),
    'severity error: no success messages',
  );

  // The timeline shows the failed release in member-1's lane; its details give Flux's message.
  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  const failed = await eventually('the failed release in the history', LIVE, async () =>
    (await api('GET', `/namespaces/${NS}/applications/${APP}/history?target=member-1`)).body?.items?.find(
      (r) => r.outcome === 'failed' && r.revision.includes(bad),
    ),
  );
  const mark = await page.waitForSelector(`[data-testid=lane-member-1] [data-testid=release-${failed.id}][data-outcome=failed]`, {
    timeout: LIVE * 1000,
  });
  await mark.hover();
  await page.waitForSelector('[data-testid=release-tip]');
  assert.match(await page.textContent('[data-testid=release-tip]'), new RegExp(bad.slice(0, 12)));
  await shot(page, '62-timeline-failed-release');
  await mark.click();
  await page.waitForSelector('[data-testid=release-details]');
  const shown = await page.textContent('[data-testid=release-message]');
  const ks = JSON.parse(kubectl('host', '-n', NS, 'get', 'kustomization', `${APP}-member-1`, '-o', 'json'));
  const ready = ks.status.conditions.find((c) => c.type === 'Ready');
  assert.equal(ready.status, 'False');
  assert.ok(shown.length > 0 && ready.message.includes(shown.slice(0, 40)), `${shown} vs ${ready.message}`);
  assert.match(await page.textContent('[data-testid=release-changes]'), /Revision/);
  await shot(page, '63-release-details');
});

/** The GitRepository's reconcile request and what source-controller last handled. */
function reconcileState() {
  const o = JSON.parse(kubectl('host', '-n', NS, 'get', 'gitrepository', SOURCE, '-o', 'json'));
  return {
    requested: o.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'],
    handled: o.status?.lastHandledReconcileAt,
  };
}

/** Creates a Receiver in the console for the test's GitRepository; returns the webhook URL it shows. */
async function createReceiver(name, type, token) {
  await page.goto(`${BASE}/automation/receivers`);
  await page.click('[data-testid=create-object]');
  await page.fill('.kubed-modal input[name="metadata.name"]', name);
  await page.selectOption('.kubed-modal select[name="spec.type"]', type);
  if (type === 'github') await page.fill('.kubed-modal input[name="spec.events"]', 'push');
  await page.selectOption('.kubed-modal select[name="spec.resources-kind"]', 'GitRepository');
  await page.waitForSelector(`.kubed-modal select[name="spec.resources-name"] option[value=${SOURCE}]`, { state: 'attached' });
  await page.selectOption('.kubed-modal select[name="spec.resources-name"]', SOURCE);
  await page.click('.kubed-modal button:has-text("Add")');
  if (token) {
    await page.fill('.kubed-modal input[name="credentials.token"]', token);
  } else {
    await page.click('.kubed-modal button:has-text("Generate a token")');
    await page.waitForSelector('[data-testid=token-value]');
  }
  await shot(page, `64-receiver-form-${type}`);
  await page.click('.kubed-modal button:has-text("Create")');
  await page.waitForSelector('[data-testid=webhook-url]', { timeout: 60_000 });
  await shot(page, `65-receiver-url-${type}`);
  const url = (await page.textContent('[data-testid=webhook-url]')).trim();
  const status = (await api('GET', `/namespaces/${NS}/receivers/${name}`)).body.status;
  assert.equal(url, `${testbed.flux.receiver_url}${status.webhookPath}`);
  await page.keyboard.press('Escape');
  return url;
}

/** Waits until source-controller has handled the request `at`. */
const handled = (at) =>
  eventually(`source-controller handled ${at}`, LIVE, () => reconcileState().handled === at);

test('a generic Receiver made in the console reconciles its GitRepository', async () => {
  const url = await createReceiver('e2e-generic', 'generic');
  const before = reconcileState();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200, await res.text());
  // notification-controller annotates the resource before it answers.
  const now = reconcileState();
  assert.notEqual(now.requested, before.requested);
  await handled(now.requested);
});

test('a github Receiver made in the console: a signed push reconciles, a bad signature does not', async () => {
  const token = 'e2e-github-receiver-token';
  const url = await createReceiver('e2e-github', 'github', token);
  const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'example/e2e-notify' } });
  const sign = (key) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  const call = (signature) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': `e2e-${Date.now()}`,
        'X-Hub-Signature-256': signature,
      },
      body,
    });

  const before = reconcileState();
  const forged = await call(sign('not-the-token'));
  assert.ok(forged.status >= 400, `a bad signature is refused (${forged.status})`);
  assert.equal(reconcileState().requested, before.requested, 'a bad signature requests nothing');

  const good = await call(sign(token));
  assert.equal(good.status, 200, await good.text());
  const now = reconcileState();
  assert.notEqual(now.requested, before.requested);
  await handled(now.requested);
  await page.goto(`${BASE}/automation/receivers`);
  await page.waitForSelector('[data-testid=object-e2e-github]');
  await shot(page, '66-receivers');
});
