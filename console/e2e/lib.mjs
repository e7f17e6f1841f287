// Helpers of the end-to-end tests: the testbed's facts, a browser, screenshots, kubectl and
// the API, all against the real ksflux and testbed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** Where ksflux serves the console and the API. */
export const BASE = process.env.KSFLUX_URL ?? 'http://127.0.0.1:9480';
const state = process.env.KSFLUX_TESTBED;
if (!state) throw new Error('KSFLUX_TESTBED must name the testbed state directory (testbed/up prints it)');
/** testbed.json: tokens, fixture URLs and credentials, binaries. */
export const testbed = JSON.parse(readFileSync(join(state, 'testbed.json'), 'utf8'));
/** Screenshots go here. */
export const ARTIFACTS = process.env.KSFLUX_ARTIFACTS ?? new URL('../artifacts/e2e/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

/** Starts Debian's Chromium, headless. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

/** Saves a full-page screenshot named `name`.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs kubectl against `cluster` (host, member-1, ...). */
export function kubectl(cluster, ...args) {
  return execFileSync(
    join(testbed.bin_dir, 'kube'),
    ['kubectl', '--kubeconfig', join(state, 'kubeconfigs', `${cluster}.yaml`), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Calls the ksflux API as admin; returns status and parsed body. */
export async function api(method, path, body) {
  const res = await fetch(`${BASE}/kapis/fluxcd.kubesphere.io/v1alpha1${path}`, {
    method,
    headers: { Authorization: `Bearer ${testbed.users.admin}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Opens the change stream (`/status/events`, with `query`) as admin and records every change
 * into the returned `seen` array until `close()`.
 */
export async function changes(query = '') {
  const controller = new AbortController();
  const res = await fetch(`${BASE}/kapis/fluxcd.kubesphere.io/v1alpha1/status/events${query}`, {
    headers: { Authorization: `Bearer ${testbed.users.admin}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const seen = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (data) seen.push(JSON.parse(data));
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    seen,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

/** Polls `f` until it returns a truthy value or `seconds` pass. */
export async function eventually(what, seconds, f) {
  const end = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${seconds}s (last: ${last})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Deletes application `name` in `namespace` (if there) and waits until it is gone. */
export async function removeApplication(namespace, name) {
  await api('DELETE', `/namespaces/${namespace}/applications/${name}`);
  await eventually(`application ${name} gone`, 120, async () =>
    (await api('GET', `/namespaces/${namespace}/applications/${name}`)).status === 404,
  );
}

/**
 * Creates application `name` in `namespace` with `spec`, after removing one an earlier run
 * left; throws unless it was created.
 */
export async function createApplication(namespace, name, spec) {
  await removeApplication(namespace, name);
  const r = await api('POST', `/namespaces/${namespace}/applications`, { metadata: { name }, spec });
  if (r.status !== 201) throw new Error(`creating application ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A new page in `browser`, already logged in as `user` with `namespace` picked, in English. */
export async function loggedIn(browser, user, namespace) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  await context.addInitScript(
    ([token, ns]) => {
      localStorage.setItem('ksflux.token', token);
      localStorage.setItem('ksflux.namespace', ns);
      localStorage.setItem('ksflux.lang', 'en');
    },
    [testbed.users[user], namespace],
  );
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

/**
 * Waits until the application page shows `state` for each cluster, live. On a timeout the
 * error tells what the API, the page and the clusters said, so a failure explains itself.
 */
export async function targetsShow(page, namespace, app, clusters, state, timeout) {
  for (const c of clusters) {
    try {
      await page.waitForSelector(`[data-testid=target-state-${c}] [data-state=${state}]`, { timeout });
    } catch (e) {
      throw new Error(`${c} never showed ${state}: ${e.message}\n${await diagnosis(page, namespace, app, c)}`);
    }
  }
}

async function diagnosis(page, namespace, app, cluster) {
  const lines = [];
  const note = (what, f) => {
    try {
      lines.push(`${what}: ${f()}`);
    } catch (e) {
      lines.push(`${what}: (${e.message.split('\n')[0]})`);
    }
  };
  const shown = await page
    .$eval(`[data-testid=target-state-${cluster}]`, (e) => e.textContent)
    .catch(() => '(absent)');
  lines.push(`the page shows for ${cluster}: ${shown}`);
  const a = await api('GET', `/namespaces/${namespace}/applications/${app}`).catch((e) => ({ status: e.message }));
  lines.push(`the API's application status: ${a.status} ${JSON.stringify(a.body?.status ?? null)}`);
  for (const kind of ['kustomizations', 'helmreleases']) {
    note(`host ${kind} of ${app}`, () =>
      kubectl('host', '-n', namespace, 'get', kind, '-l', `fluxcd.kubesphere.io/application=${app}`, '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.status.conditions}{"\\n"}{end}'),
    );
  }
  note(`${cluster} nodes`, () => kubectl(cluster, 'get', 'nodes', '--no-headers'));
  note(`${cluster} pods in ${namespace}`, () => kubectl(cluster, '-n', namespace, 'get', 'pods', '--no-headers'));
  return lines.join('\n');
}
