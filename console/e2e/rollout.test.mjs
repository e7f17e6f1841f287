// A progressive rollout in the console: a Kustomize application in two waves, staging
// (member-1) then production (member-2). Its waves are drawn as columns of clusters. A new
// revision meets pods that crash on member-1: the page shows, live, the staging wave failing
// and the rollout paused while member-2 keeps the old revision. Once member-1 is fixed,
// Resume (confirmed) finishes it, each wave turning healthy on the open page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, removeApplication, shot } from './lib.mjs';

const NS = 'team-a';
const APP = 'e2e-waves';
const LIVE = 180_000;
let browser;
let page;

const spec = (greeting) => ({
  source: { kind: 'GitRepository', name: 'samples' },
  // Objects of their own (the Kustomize suite deploys the same sample in this namespace).
  kustomize: { path: './base', wait: false, namePrefix: 'wv-', substitute: { greeting } },
  interval: '1m',
  targets: ['member-1', 'member-2'].map((cluster) => ({ cluster, namespace: NS })),
  rollout: {
    waves: [
      { name: 'staging', clusters: ['member-1'] },
      { name: 'production', clusters: ['member-2'] },
    ],
  },
});

const app = async () => (await api('GET', `/namespaces/${NS}/applications/${APP}`)).body;
const greeting = (cluster) =>
  kubectl(cluster, '-n', NS, 'get', 'configmap', 'wv-demo-config', '-o', 'jsonpath={.data.greeting}');
const breakPods = (trigger) =>
  // A field manager of its own: Flux takes back what kubectl's own managers change.
  kubectl('member-1', '-n', NS, 'patch', 'deployment', 'wv-demo', '--field-manager=testbed-fault', '--type=merge', '-p',
    JSON.stringify({ spec: { template: { metadata: { annotations: { 'testbed.ksflux.io/fail': trigger } } } } }));
/** Waits until the page shows `wave` in `state`; a timeout says what the API said. */
async function waveShows(wave, state) {
  try {
    await page.waitForSelector(`[data-testid=wave-${wave}][data-state=${state}]`, { timeout: LIVE });
  } catch (e) {
    const a = await app();
    throw new Error(`wave ${wave} never showed ${state}: ${e.message}\nrollout: ${JSON.stringify(a?.status?.rollout?.waves)}\ntargets: ${JSON.stringify(a?.status?.targets)}`);
  }
}

before(async () => {
  await removeApplication(NS, APP);
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

after(async () => {
  await browser?.close();
  await removeApplication(NS, APP);
});

test('waves drawn live: a failed staging wave pauses the rollout; fixed and resumed, it completes', async () => {
  const created = await api('POST', `/namespaces/${NS}/applications`, { metadata: { name: APP }, spec: spec('v1') });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  await page.waitForSelector('[data-testid=rollout][data-phase=Completed]', { timeout: LIVE });
  await waveShows('staging', 'healthy');
  await waveShows('production', 'healthy');
  assert.equal(greeting('member-2'), 'v1');
  // The page stays open from here on: everything below arrives through the live stream.
  await page.evaluate(() => {
    // Each wave's and target's states as the page showed them, in order.
    window.__seen = {};
    const record = () => {
      for (const el of document.querySelectorAll('[data-testid^=wave-][data-state]')) {
        const states = (window.__seen[el.getAttribute('data-testid')] ??= []);
        const state = el.getAttribute('data-state');
        if (states.at(-1) !== state) states.push(state);
      }
    };
    record();
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
  });

  breakPods('crash-loop');
  const current = await app();
  const r = await api('PUT', `/namespaces/${NS}/applications/${APP}`, {
    metadata: { name: APP, resourceVersion: current.metadata.resourceVersion },
    spec: spec('v2'),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await waveShows('staging', 'failed');
  await page.waitForSelector('[data-testid=rollout][data-phase=Paused]');
  await page.waitForSelector('[data-testid=wave-target-member-1][data-state=failed]');
  assert.equal(await page.getAttribute('[data-testid=wave-production]', 'data-state'), 'pending');
  assert.match(await page.textContent('[data-testid=rollout-message]'), /staging failed: member-1.*CrashLoopBackOff/);
  await shot(page, '60-rollout-paused');
  assert.equal(greeting('member-1'), 'v2');
  assert.equal(greeting('member-2'), 'v1', 'production stays on the old revision');

  breakPods(null);
  await eventually('member-1 healthy again', 120, async () => {
    const t = (await app()).status?.targets?.find((x) => x.cluster === 'member-1');
    return t?.ready === 'True' && t?.workloads?.state === 'healthy';
  });
  // Still paused until someone resumes.
  assert.equal(await page.getAttribute('[data-testid=rollout]', 'data-phase'), 'Paused');
  await page.click('[data-testid=rollout-resume]');
  await page.waitForSelector('[data-testid=rollout-confirm]');
  assert.match(await page.textContent('[data-testid=rollout-confirm]'), /staging \(member-1\)/);
  await page.click('.kubed-modal button:has-text("Resume rollout")');
  await waveShows('staging', 'healthy');
  await waveShows('production', 'healthy');
  await page.waitForSelector('[data-testid=rollout][data-phase=Completed]', { timeout: LIVE });
  await eventually('member-2 on revision 2', 60, () => greeting('member-2') === 'v2');
  const seen = await page.evaluate(() => window.__seen);
  const after = (list, a, b) => (list ?? []).indexOf(a) >= 0 && (list ?? []).lastIndexOf(b) > (list ?? []).indexOf(a);
  assert.ok(after(seen['wave-staging'], 'failed', 'healthy'), `staging: ${seen['wave-staging']}`);
  assert.ok(after(seen['wave-production'], 'pending', 'healthy'), `production: ${seen['wave-production']}`);
  assert.ok(after(seen['wave-target-member-1'], 'failed', 'healthy'), `member-1: ${seen['wave-target-member-1']}`);
  await shot(page, '61-rollout-completed');
});

test('keyboard focus is visible on the page and in the navigation', async () => {
  await page.goto(`${BASE}/applications/${NS}/${APP}`);
  await page.waitForSelector('[data-testid=application-facts]');
  const rings = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    rings.push(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        return { tag: el.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      }),
    );
  }
  const focused = rings.filter(Boolean);
  assert.ok(focused.some((r) => r.tag === 'A') && focused.some((r) => r.tag === 'BUTTON' || r.tag === 'SELECT'), JSON.stringify(focused));
  // A visible ring on each: an outline drawn, at least 2px wide.
  for (const r of focused) assert.ok(r.style !== 'none' && r.width >= 2, JSON.stringify(r));
});
