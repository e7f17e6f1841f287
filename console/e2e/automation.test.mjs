// Image automation on the Automation page: an ImageRepository (with registry credentials)
// and an ImagePolicy created through the API; the page shows the tag the policy picked,
// live, from the real image-reflector-controller scanning the testbed's registry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, eventually, launch, loggedIn, shot, testbed } from './lib.mjs';

const NS = 'team-a';
const NAME = 'e2e-app';
let browser;

async function cleanup() {
  await api('DELETE', `/namespaces/${NS}/imagepolicies/${NAME}`);
  await api('DELETE', `/namespaces/${NS}/imagerepositories/${NAME}`);
  await eventually('no leftover image objects', 60, async () =>
    (await api('GET', `/namespaces/${NS}/imagerepositories/${NAME}`)).status === 404,
  );
}

before(cleanup);
after(async () => {
  await browser?.close();
  await cleanup();
});

test('an image policy shows the tag it picked', async () => {
  const { registry, user, password } = testbed.fixtures;
  const repo = await api('POST', `/namespaces/${NS}/imagerepositories`, {
    metadata: { name: NAME },
    spec: { image: `${registry}/demo/app`, interval: '10m', insecure: true },
    credentials: { type: 'basic', username: user, password },
  });
  assert.equal(repo.status, 201, JSON.stringify(repo.body));
  const policy = await api('POST', `/namespaces/${NS}/imagepolicies`, {
    metadata: { name: NAME },
    spec: { imageRepositoryRef: { name: NAME }, policy: { semver: { range: '>=1.0.0 <2.0.0' } } },
  });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));

  browser = await launch();
  const page = await loggedIn(browser, 'admin', NS);
  await page.goto(`${BASE}/automation/imagerepositories`);
  await page.waitForSelector(`[data-testid=object-${NAME}] [data-state=ready]`, { timeout: 120_000 });
  assert.match(await page.textContent(`[data-testid=describe-${NAME}]`), /demo\/app · 4 tags/);
  await page.click('[data-testid=kind-imagepolicies]');
  // 2.0.0-rc.1 is outside the range; 1.2.0 is the newest inside it. It arrives live.
  await page.waitForSelector(`[data-testid=describe-${NAME}]:has-text("/demo/app:1.2.0")`, { timeout: 120_000 });
  assert.match(await page.textContent(`[data-testid=describe-${NAME}]`), /^e2e-app >=1\.0\.0 <2\.0\.0 → .*\/demo\/app:1\.2\.0$/);
  await page.waitForSelector(`[data-testid=object-${NAME}] [data-state=ready]`);
  await shot(page, '25-image-policy');
});
