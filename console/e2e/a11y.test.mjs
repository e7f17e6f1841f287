// Accessibility: axe-core checks every page of the console (and the row menu and a dialog
// open) for serious and critical violations, printing the counts per page; each page names
// the browser tab after itself, in English and Chinese; keyboard focus shows as a ring, on
// primary buttons too; a row's actions stay on one line, the rest of them in a menu used by
// keyboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import axe from 'axe-core';
import { BASE, api, createApplication, eventually, launch, loggedIn, removeApplication, shot } from './lib.mjs';

const NS = 'team-a';
const APP = 'e2e-a11y';
/** The focus ring's colour (#3385ff). */
const RING = 'rgb(51, 133, 255)';

let browser;
let page;
/** Per page: the count of violations by impact. */
const counts = {};

before(async () => {
  await createApplication(NS, APP, {
    source: { kind: 'GitRepository', name: 'samples' },
    kustomize: { path: './base', namePrefix: 'a11y-' },
    targets: [{ cluster: 'member-1', namespace: NS }],
  });
  browser = await launch();
  page = await loggedIn(browser, 'admin', NS);
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  await removeApplication(NS, APP);
  if (Object.keys(counts).length) {
    console.log('axe violations per page (nodes by impact):');
    console.table(counts);
  }
});

/**
 * Runs axe on page `p` as it is; records its counts under `label` and returns the serious
 * and critical violations, described.
 */
async function check(label, p = page) {
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(axe.source);
  const violations = await p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
  const c = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of violations) c[v.impact] = (c[v.impact] ?? 0) + v.nodes.length;
  counts[label] = c;
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${label}: [${v.impact}] ${v.id} (${v.help})\n  ${v.nodes.slice(0, 5).join('\n  ')}`);
}

/** Opens `path`, waits for `ready`, and gives the page's reads a moment (the change stream keeps the network busy). */
async function open(path, ready) {
  await page.goto(`${BASE}${path}`);
  await page.waitForSelector(ready);
  await page.waitForTimeout(1000);
}

test('no page has serious or critical accessibility violations', async () => {
  const found = [];

  // Logged out: the login page.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  const login = await context.newPage();
  await login.goto(`${BASE}/login`);
  await login.waitForSelector('input[name=token]');
  found.push(...(await check('login', login)));
  assert.equal(await login.title(), 'Log in · ksflux');
  await context.close();

  await eventually(`${APP} ready`, 180, async () => {
    const a = (await api('GET', `/namespaces/${NS}/applications/${APP}`)).body;
    return a?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });

  await open('/', '[data-testid=count-total]');
  found.push(...(await check('overview')));
  await open('/clusters', '[data-testid=cluster-member-1]');
  found.push(...(await check('clusters')));
  await open('/clusters/member-1', '[data-testid=cluster-mode] [data-testid=cluster-mode-switch]');
  found.push(...(await check('cluster')));
  // With the delivery mode switch's dialog open (cancelled: the mode stays).
  await page.click('[data-testid=cluster-mode-switch]');
  await page.waitForSelector('.kubed-modal [data-testid=cluster-mode-confirm]');
  await page.waitForTimeout(500);
  found.push(...(await check('cluster: mode dialog')));
  await page.click('.kubed-modal button:has-text("Cancel")');

  // Sources: every kind's tab.
  await open('/sources', '[data-testid^=kind-]');
  const sourceKinds = await page.$$eval('[data-testid^=kind-]', (as) => as.map((a) => a.dataset.testid.slice(5)));
  assert.ok(sourceKinds.includes('gitrepositories'), sourceKinds.join());
  for (const k of sourceKinds) {
    await open(`/sources/${k}`, 'table tbody tr');
    found.push(...(await check(`sources/${k}`)));
  }
  // With a row's menu open, and with the create dialog open.
  await open('/sources/gitrepositories', '[data-testid=source-samples]');
  await page.click('[data-testid=more-samples]');
  await page.waitForSelector('[role=menu]');
  found.push(...(await check('sources: row menu')));
  await page.keyboard.press('Escape');
  await page.click('button:has-text("Create Git repository")');
  await page.waitForSelector('.kubed-modal [data-testid=source-form]');
  await page.waitForTimeout(500);
  found.push(...(await check('sources: create dialog')));
  await page.click('.kubed-modal button:has-text("Cancel")');

  await open('/applications', `[data-testid=app-${APP}]`);
  found.push(...(await check('applications')));
  await open(`/applications/${NS}/${APP}`, '[data-testid=target-state-member-1] [data-state=ready]');
  found.push(...(await check('application')));
  await open('/applications/new', 'input[name="metadata.name"]');
  found.push(...(await check('wizard')));

  // Automation: every kind's tab.
  await open('/automation', '[data-testid^=kind-]');
  const automationKinds = await page.$$eval('[data-testid^=kind-]', (as) => as.map((a) => a.dataset.testid.slice(5)));
  for (const k of automationKinds) {
    await open(`/automation/${k}`, 'table tbody tr');
    found.push(...(await check(`automation/${k}`)));
  }
  await open('/audit', 'table tbody tr');
  found.push(...(await check('audit')));

  assert.deepEqual(found, [], found.join('\n'));
});

test('each page names the browser tab after itself, in English and in Chinese', async () => {
  const titles = [
    ['/', 'Overview · ksflux', '概览 · ksflux'],
    ['/sources/gitrepositories', 'Git repositories · Sources · ksflux', 'Git 仓库 · 来源 · ksflux'],
    [`/applications/${NS}/${APP}`, `${APP} · Applications · ksflux`, `${APP} · 应用 · ksflux`],
  ];
  for (const [path, en] of titles) {
    await open(path, 'h1');
    assert.equal(await page.title(), en);
  }
  const zh = await loggedIn(browser, 'admin', NS);
  await zh.addInitScript(() => localStorage.setItem('ksflux.lang', 'zh-CN'));
  for (const [path, , chinese] of titles) {
    await zh.goto(`${BASE}${path}`);
    await zh.waitForSelector('h1');
    await eventually(`the title of ${path} in Chinese`, 10, async () => (await zh.title()) === chinese);
  }
  await zh.context().close();
});

/** What has keyboard focus: its text, and its outline while focused. */
function focused() {
  return page.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    return {
      text: (e.textContent ?? '').trim(),
      role: e.getAttribute('role'),
      testid: e.dataset.testid,
      outline: `${s.outlineStyle} ${s.outlineColor}`,
    };
  });
}

/** Waits until an item of an open menu has the focus. */
function menuFocused() {
  return page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'menuitem');
}

/** Presses Tab until what has focus says `text` (at most `n` times). */
async function tabTo(text, n = 40) {
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    if ((await focused()).text === text) return;
  }
  throw new Error(`${text} never got the focus`);
}

test('keyboard focus shows as a ring, on primary buttons and in dialogs too', async () => {
  await open('/applications', `[data-testid=app-${APP}]`);
  await tabTo('Create application');
  await page.waitForTimeout(100);
  assert.equal((await focused()).outline, `solid ${RING}`);
  await shot(page, '90-a11y-focus-primary');

  await open('/sources/gitrepositories', '[data-testid=source-samples]');
  await page.click('button:has-text("Create Git repository")');
  await page.waitForSelector('.kubed-modal [data-testid=source-form]');
  await page.fill('input[name="metadata.name"]', 'x');
  await tabTo('Create');
  assert.equal((await focused()).outline, `solid ${RING}`);
  // The dialog's fields keep off its edges.
  const [dialog, field] = await Promise.all([
    page.$eval('.kubed-modal', (e) => e.getBoundingClientRect().toJSON()),
    page.$eval('.kubed-modal input[name="metadata.name"]', (e) => e.getBoundingClientRect().toJSON()),
  ]);
  assert.ok(field.left - dialog.left >= 16, `the name field is ${field.left - dialog.left}px from the dialog's edge`);
  await shot(page, '91-a11y-focus-dialog');
  await page.keyboard.press('Escape');
});

test("a row's actions stay on one line: the first as a button, the rest in a menu used by keyboard", async () => {
  await open('/sources/gitrepositories', '[data-testid=source-samples]');
  const row = '[data-testid=source-samples]';
  // One line: the row is as high as one line of buttons, and the search box's text starts at its left.
  const height = await page.$eval(row, (e) => e.getBoundingClientRect().height);
  assert.ok(height < 48, `the row is ${height}px high`);
  const indent = await page.$eval('input[name=search]', (e) => {
    const box = e.closest('.input-wrapper') ?? e.parentElement;
    return e.getBoundingClientRect().left - box.getBoundingClientRect().left;
  });
  assert.ok(indent < 16, `the search box's text starts ${indent}px into the box`);
  assert.ok(await page.isVisible(`${row} button:has-text("Reconcile")`));
  assert.equal(await page.$(`${row} button:has-text("Edit")`), null, 'Edit is in the menu');

  // The menu, by keyboard: open on its first item, move, close back onto its button.
  await tabTo('Reconcile');
  await page.keyboard.press('Tab');
  let f = await focused();
  assert.equal(f.testid, 'more-samples');
  assert.equal(f.outline, `solid ${RING}`);
  await page.keyboard.press('Enter');
  await menuFocused();
  f = await focused();
  assert.deepEqual([f.role, f.text], ['menuitem', 'Suspend']);
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused()).text, 'Edit');
  await shot(page, '92-a11y-row-menu');
  await page.keyboard.press('Escape');
  assert.equal((await focused()).testid, 'more-samples');
  assert.equal(await page.$('[role=menu]'), null);
  // Picking an item does it.
  await page.keyboard.press('ArrowDown');
  await menuFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.kubed-modal:has-text("Edit Git repository")');
  await page.click('.kubed-modal button:has-text("Cancel")');
  await shot(page, '93-a11y-sources');
});
