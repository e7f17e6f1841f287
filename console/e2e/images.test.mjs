// Image automation from an application's page: a Helm application automated in three clicks
// with member-2 waiting for promotion (member-1 takes the policy's pick, member-2 shows it
// available, Promote shows the diff, then member-2 rolls); and a Kustomize application from
// git, where ksflux shows the setter-marker commit, pushes it on confirmation, and
// image-automation-controller's commit of the pick reaches both members.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot, targetsShow, testbed } from './lib.mjs';

const NS = 'team-a';
const HELM_APP = 'e2e-images-helm';
const GIT_APP = 'e2e-images-git';
const REPO = 'e2e-images';
const POLICY = 'e2e-images-form';
const LIVE = 180_000;
const f = testbed.fixtures;
const IMAGE = `${f.registry}/demo/app`;
const pushUrl = (repo) => f.git_url.replace('://', `://${f.user}:${f.password}@`) + `/${repo}.git`;
const git = (args, cwd) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let browser;
let page;

const imageOn = (cluster, name) =>
  kubectl(cluster, '-n', NS, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

async function removeAll() {
  for (const app of [HELM_APP, GIT_APP]) {
    await api('DELETE', `/namespaces/${NS}/applications/${app}`);
    for (const kind of ['imageupdateautomations', 'imagepolicies', 'imagerepositories']) {
      await api('DELETE', `/namespaces/${NS}/${kind}/${app}-app`);
    }
  }
  await api('DELETE', `/namespaces/${NS}/gitrepositories/${REPO}`);
  await api('DELETE', `/namespaces/${NS}/imagepolicies/${POLICY}`);
  for (const app of [HELM_APP, GIT_APP]) {
    await eventually(`no leftover ${app}`, 120, async () =>
      (await api('GET', `/namespaces/${NS}/applications/${app}`)).status === 404,
    );
  }
}

before(async () => {
  await removeAll();
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
});

// Later suites use team-a too (and the sample's Deployment name): leave nothing behind.
after(async () => {
  await browser?.close();
  await removeAll();
});

test('a Helm application follows its image policy on member-1; member-2 is promoted', async () => {
  const created = await api('POST', `/namespaces/${NS}/applications`, {
    metadata: { name: HELM_APP },
    spec: {
      source: { kind: 'HelmRepository', name: 'samples' },
      helm: { chart: 'demo-app', version: '1.x', values: { image: { repository: IMAGE, tag: '1.0.0' } } },
      targets: ['member-1', 'member-2'].map((cluster) => ({ cluster, namespace: NS })),
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.goto(`${BASE}/applications/${NS}/${HELM_APP}`);
  await targetsShow(page, NS, HELM_APP, ['member-1', 'member-2'], 'ready', LIVE);

  // Click 1: the image and a range come from the values.
  await page.click('[data-testid=automate-image]');
  await page.waitForSelector('[data-testid=automate-form]');
  assert.equal(await page.inputValue('input[name=image]'), IMAGE);
  assert.equal(await page.inputValue('input[name=range]'), '>=1.0.0');
  await page.click('summary:has-text("Registry credentials")');
  await page.fill('input[name=registry-username]', f.user);
  await page.fill('input[name=registry-password]', f.password);
  assert.equal(await page.isChecked('input[name=insecure]'), true, 'a loopback registry is plain HTTP');
  await page.check('input[name=manual-member-2]');
  // Click 2: the proposal, nothing written yet.
  await page.click('.kubed-modal button:has-text("Preview")');
  await page.waitForSelector('[data-testid=setup-diff]');
  assert.match(await page.textContent('[data-testid=setup-diff]'), /nothing changes/i);
  await shot(page, '40-images-helm-setup');
  assert.equal((await api('GET', `/namespaces/${NS}/imagepolicies/${HELM_APP}-app`)).status, 404);
  // Click 3: written.
  await page.click('.kubed-modal button:has-text("Confirm")');
  await page.waitForSelector('[data-testid=image-chain-e2e-images-helm-app]', { timeout: LIVE });

  // member-1 follows the policy's pick; member-2 shows it available.
  await eventually('member-1 runs 1.2.0', 180, async () => imageOn('member-1', HELM_APP) === `${IMAGE}:1.2.0`);
  await page.waitForSelector('[data-testid=image-pending-member-2]:has-text("1.2.0 available")', { timeout: LIVE });
  assert.equal(imageOn('member-2', HELM_APP), `${IMAGE}:1.0.0`);
  await page.waitForSelector('[data-testid=image-running-member-1]:has-text("1.2.0")', { timeout: LIVE });
  await shot(page, '41-images-helm-pending');

  // Promote: the diff first, then member-2 rolls.
  await page.click('[data-testid=promote-member-2]');
  await page.waitForSelector('[data-testid=promote-confirm]');
  const diff = await page.textContent('[data-testid=promote-confirm]');
  assert.match(diff, /member-2.*spec\.values\.image\.tag.*"1\.0\.0".*"1\.2\.0"/s);
  assert.doesNotMatch(diff, /member-1 spec/);
  await shot(page, '42-images-helm-promote');
  await page.click('.kubed-modal button:has-text("Promote")');
  await eventually('member-2 runs 1.2.0', 180, async () => imageOn('member-2', HELM_APP) === `${IMAGE}:1.2.0`);
  await page.waitForSelector('[data-testid=image-running-member-2]:has-text("1.2.0")', { timeout: LIVE });
  // The pending note goes with the next refresh of the chain.
  await page.waitForSelector('[data-testid=image-pending-member-2]', { state: 'detached', timeout: LIVE });
  await shot(page, '43-images-helm-promoted');
});

test('a Kustomize application from git: the marker commit, then every target takes the pick', async () => {
  // A repository of the test's own: the sample manifests, the image line unmarked.
  const bare = join(f.git_root, `${REPO}.git`);
  rmSync(bare, { recursive: true, force: true });
  git(['init', '-q', '--bare', '-b', 'main', bare]);
  const work = mkdtempSync(join(tmpdir(), 'e2e-images-'));
  git(['clone', '-q', pushUrl('demo'), work]);
  const manifest = join(work, 'base', 'deployment.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/ # \{"\$imagepolicy".*$/m, ''));
  git(['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', 'commit', '-qam', 'unmarked'], work);
  git(['push', '-q', pushUrl(REPO), 'main'], work);
  const head = () => git(['ls-remote', pushUrl(REPO), 'refs/heads/main']).split(/\s/)[0];
  const before = head();

  const source = await api('POST', `/namespaces/${NS}/gitrepositories`, {
    metadata: { name: REPO },
    spec: { url: `${f.git_url}/${REPO}.git`, interval: '1m', ref: { branch: 'main' } },
    credentials: { type: 'basic', username: f.user, password: f.password },
  });
  assert.equal(source.status, 201, JSON.stringify(source.body));
  const created = await api('POST', `/namespaces/${NS}/applications`, {
    metadata: { name: GIT_APP },
    spec: {
      source: { kind: 'GitRepository', name: REPO },
      kustomize: { path: './base' },
      targets: ['member-1', 'member-2'].map((cluster) => ({ cluster, namespace: NS })),
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.goto(`${BASE}/applications/${NS}/${GIT_APP}`);
  await targetsShow(page, NS, GIT_APP, ['member-1', 'member-2'], 'ready', LIVE);

  // The image comes from what the workloads run.
  await page.click('[data-testid=automate-image]');
  await page.waitForSelector('[data-testid=automate-form]');
  await eventually('the image is suggested', 30, async () => (await page.inputValue('input[name=image]')) === IMAGE);
  await page.click('summary:has-text("Registry credentials")');
  await page.fill('input[name=registry-username]', f.user);
  await page.fill('input[name=registry-password]', f.password);
  await page.click('.kubed-modal button:has-text("Preview")');
  await page.waitForSelector('[data-testid=marker-commit]');
  const commit = await page.textContent('[data-testid=marker-commit]');
  assert.match(commit, /base\/deployment\.yaml/);
  assert.match(commit, new RegExp(`\\+ +image: ${IMAGE.replace(/[.]/g, '\\.')}:1\\.0\\.0 # \\{"\\$imagepolicy": "${NS}:${GIT_APP}-app"\\}`));
  await shot(page, '44-images-git-marker-commit');
  assert.equal(head(), before, 'a proposal pushes nothing');
  await page.click('.kubed-modal button:has-text("Confirm")');
  await page.waitForSelector(`[data-testid=image-chain-${GIT_APP}-app]`, { timeout: LIVE });
  await eventually('the marker commit is on main', 30, async () => head() !== before);
  const log = git(['log', '-1', '--format=%an %s', head()], bare);
  assert.match(log, /^ksflux Mark /);

  // image-automation-controller commits the pick (asked now rather than at its interval);
  // the source is read again and both members run it.
  await eventually('the automation commits 1.2.0', 180, async () => {
    await api('POST', `/namespaces/${NS}/imageupdateautomations/${GIT_APP}-app/reconcile`, {});
    return git(['show', 'main:base/deployment.yaml'], bare).includes(`${IMAGE}:1.2.0`);
  });
  await api('POST', `/namespaces/${NS}/gitrepositories/${REPO}/reconcile`, {});
  for (const c of ['member-1', 'member-2']) {
    await eventually(`${c} runs 1.2.0`, 180, async () => imageOn(c, 'demo') === `${IMAGE}:1.2.0`);
  }
  await page.waitForSelector('[data-testid=image-push]:has-text("pushed")', { timeout: LIVE });
  await page.waitForSelector('[data-testid=image-running-member-2]:has-text("1.2.0")', { timeout: LIVE });
  await shot(page, '45-images-git-applied');
  rmSync(work, { recursive: true, force: true });
});

test('an image policy made in its form previews the tags it picks', async () => {
  // The Helm test's repository scanned the sample image's tags.
  await page.goto(`${BASE}/automation/imagepolicies`);
  await page.click('[data-testid=create-object]');
  await page.waitForSelector('[data-testid=image-form]');
  await page.fill('.kubed-modal input[name="metadata.name"]', POLICY);
  await page.waitForSelector(`select[name="spec.imageRepositoryRef.name"] option[value=${HELM_APP}-app]`, { state: 'attached' });
  await page.selectOption('select[name="spec.imageRepositoryRef.name"]', `${HELM_APP}-app`);
  await page.fill('input[name="spec.policy.semver.range"]', '>=1.0.0 <2.0.0');
  await page.waitForSelector('[data-testid="preview-tag-1.2.0"][data-pick]', { timeout: 30_000 });
  const rc = await page.textContent('[data-testid="preview-tag-2.0.0-rc.1"]');
  assert.match(rc, /no.*pre-release/);
  assert.match(await page.textContent('[data-testid=policy-preview]'), /Picks 1\.2\.0/);
  await shot(page, '46-images-policy-preview');
  await page.click('.kubed-modal button:has-text("Create")');
  await eventually('the policy picks what the preview said', 120, async () => {
    const p = await api('GET', `/namespaces/${NS}/imagepolicies/${POLICY}`);
    return p.body?.status?.latestRef?.tag === '1.2.0';
  });
});
