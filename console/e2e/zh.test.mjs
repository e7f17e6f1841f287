// Every page in Simplified Chinese: the rendered text of each page holds no English word
// except names (of clusters, namespaces, objects, users, revisions) and the terms a Chinese
// Kubernetes user reads in English (kinds, Helm, Flux, YAML, ...). Dates are localised.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, api, createApplication, eventually, kubectl, launch, loggedIn, removeApplication, shot } from './lib.mjs';

const NS = 'team-a';
const APP = 'e2e-zh';
let browser;
let page;

/** Terms left in English in Chinese Kubernetes and Flux writing, and units. */
const TERMS = new Set(
  `ksflux flux kubesphere kubernetes helm kustomize kustomization kustomizations helmrelease helmreleases
  helmrepository helmrepositories helmchart helmcharts gitrepository gitrepositories ocirepository
  ocirepositories bucket buckets provider providers alert alerts receiver receivers imagerepository
  imagerepositories imagepolicy imagepolicies imageupdateautomation imageupdateautomations application
  applications deployment deployments statefulset statefulsets daemonset daemonsets pod pods configmap
  configmaps secret secrets namespace namespaces serviceaccount crd crds yaml json api url urls oci git
  sha sha1 sha256 https http ssh tls rbac sse kubeconfig semver cron utc gmt ms kib mib gib cpu ready
  true false unknown reconciliationsucceeded chart release values github gitlab slack webhook msteams generic hmac
  kubectl apply v1 v1beta2 v2 main master`.split(/\s+/),
);

/** The words of names the API knows: clusters, namespaces, objects, users. */
async function nameWords() {
  const words = new Set();
  const add = (s) => {
    for (const w of String(s ?? '').match(/[A-Za-z]+/g) ?? []) words.add(w.toLowerCase());
  };
  for (const c of (await api('GET', '/clusters')).body?.items ?? []) add(c.name);
  for (const o of (await api('GET', '/status/objects?limit=1000')).body?.items ?? []) {
    add(o.name);
    add(o.namespace);
    add(o.cluster);
    add(o.summary?.revision);
  }
  for (const u of ['admin', 'alice']) add(u);
  // Every namespace of every cluster (the namespace picker lists them).
  for (const c of ['host', 'member-1', 'member-2']) add(kubectl(c, 'get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}'));
  // What the audit log names, objects since deleted among them.
  for (const e of (await api('GET', '/audit?limit=200')).body?.items ?? []) add(e.name);
  return words;
}

/**
 * The English words on the page that are neither names nor terms, each with where it is.
 * Text marked as not to be translated (`translate="no"`: names) or as English (`lang="en"`:
 * a message from Flux said as Flux wrote it) is left out, as are addresses and paths.
 */
async function english(names) {
  const text = await page.evaluate(() => {
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('script, style, [translate="no"], [lang="en"]')) continue;
      out.push(n.textContent);
    }
    return out.join(' ');
  });
  const plain = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ').replace(/(^|\s)\.{0,2}\/\S*/g, ' ');
  const found = new Map();
  for (const m of plain.matchAll(/[A-Za-z][A-Za-z]+/g)) {
    const w = m[0].toLowerCase();
    // Hexadecimal runs (digests, revisions) are names too.
    if (TERMS.has(w) || names.has(w) || /^[a-f]{1,12}$/.test(w)) continue;
    if (!found.has(w)) found.set(w, plain.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\s+/g, ' '));
  }
  return found;
}

before(async () => {
  await createApplication(NS, APP, {
    source: { kind: 'GitRepository', name: 'samples' },
    kustomize: { path: './base', namePrefix: 'zh-' },
    targets: [{ cluster: 'member-1', namespace: NS }],
  });
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
  await page.addInitScript(() => localStorage.setItem('ksflux.lang', 'zh-CN'));
  await eventually(`${APP} ready`, 180, async () => {
    const a = (await api('GET', `/namespaces/${NS}/applications/${APP}`)).body;
    return a?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
});

after(async () => {
  await browser?.close();
  await removeApplication(NS, APP);
});

const PAGES = [
  ['overview', '/', 'h1'],
  ['clusters', '/clusters', '[data-testid^=cluster-lockdown-]'],
  ['cluster', '/clusters/member-1', '[data-testid=cluster-transition]'],
  ['sources', '/sources', 'table tbody tr'],
  ['source', `/sources/gitrepositories/${NS}/samples`, `[data-testid=source-app-${APP}]`],
  ['applications', '/applications', 'table tbody tr'],
  ['application', `/applications/${NS}/${APP}`, '[data-testid^=target-state-]'],
  ['wizard', '/applications/new', 'h1'],
  ['automation', '/automation', 'h1'],
  ['audit', '/audit', 'table tbody tr'],
];

test('every page in Simplified Chinese has no English words but names and terms', async () => {
  const names = await nameWords();
  const left = {};
  for (const [label, path, ready] of PAGES) {
    await page.goto(`${BASE}${path}`);
    await page.waitForSelector(ready);
    // The change stream keeps the network busy: give the page's reads a moment instead.
    await page.waitForTimeout(1500);
    const found = await english(names);
    if (found.size > 0) left[label] = Object.fromEntries(found);
    await shot(page, `70-zh-${label}`);
  }
  assert.deepEqual(left, {}, `English words left:\n${JSON.stringify(left, null, 2)}`);
});

test('dates in Chinese', async () => {
  await page.goto(`${BASE}/audit`);
  await page.waitForSelector('table tbody tr');
  const cell = await page.textContent('table tbody tr td');
  // zh-CN dates read 2026/11/28 (year first), never 11/28/2026.
  assert.match(cell ?? '', /\d{4}\/\d{1,2}\/\d{1,2}/, cell ?? '');
});
