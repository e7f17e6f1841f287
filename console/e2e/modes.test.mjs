// Delivery mode per cluster: an admin switches member-1 from hub to agent mode on its page and
// back, confirming each time, and the page, the clusters list, the API and the registration
// Secret agree; alice (edit in team-a only, no rights on ksflux's cluster Secrets) is offered
// the switch but refused, the reason shown in the dialog and nothing changed. The testbed is
// shared: member-1 is put back in hub mode whatever happens, and member-2 is never touched.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { BASE, api, eventually, kubectl, launch, loggedIn, shot } from './lib.mjs';

const CLUSTER = 'member-1';
const ANNOTATION = 'fluxcd.kubesphere.io/delivery-mode';

let browser;

/** member-1's mode as the API reports it to admin. */
async function apiMode() {
  const r = await api('GET', `/clusters/${CLUSTER}`);
  assert.equal(r.status, 200, `GET /clusters/${CLUSTER}: ${JSON.stringify(r.body)}`);
  return r.body.mode;
}

/** Puts member-1 back in hub mode through the API, if it is not there. */
async function backToHub() {
  if ((await apiMode()) === 'hub') return;
  const r = await api('PUT', `/clusters/${CLUSTER}/mode`, { mode: 'hub' });
  assert.equal(r.status, 200, `putting ${CLUSTER} back in hub mode: ${JSON.stringify(r.body)}`);
}

/** The mode annotation on member-1's registration Secret (empty when absent: hub). */
function annotated() {
  return kubectl(
    'host', '-n', 'ksflux-system', 'get', 'secret', '-l', `fluxcd.kubesphere.io/cluster=${CLUSTER}`, '-o',
    `jsonpath={.items[*].metadata.annotations.${ANNOTATION.replaceAll('.', '\\.')}}`,
  ).trim();
}

/** Waits until the mode fact on the cluster page shows `mode`, and returns its text. */
async function pageShows(page, mode) {
  await page.waitForSelector(`[data-testid=cluster-mode] [data-mode=${mode}]`);
  return (await page.textContent('[data-testid=cluster-mode]')) ?? '';
}

/** Clicks the mode switch on the cluster page and confirms in its dialog. */
async function switchAndConfirm(page, label) {
  const button = page.locator('[data-testid=cluster-mode-switch]');
  assert.equal((await button.textContent())?.trim(), label);
  await button.click();
  const dialog = page.locator('.kubed-modal:has([data-testid=cluster-mode-confirm])');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), new RegExp(`${label}[\\s\\S]*${CLUSTER}`), 'the dialog says what it does');
  await dialog.getByRole('button', { name: 'Switch', exact: true }).click();
  return dialog;
}

before(async () => {
  browser = await launch();
});

// Each test starts in hub mode, whatever an earlier test (or a run stopped half-way) left.
beforeEach(backToHub);

after(async () => {
  try {
    await backToHub();
  } finally {
    await browser?.close();
  }
});

test('an admin switches member-1 to agent mode and back on its page; the list and the API agree', async () => {
  const page = await loggedIn(browser, 'admin', 'team-a');
  page.on('pageerror', (e) => console.error('page error:', e.message));

  await page.goto(`${BASE}/clusters/${CLUSTER}`);
  assert.match(await pageShows(page, 'hub'), /Hub/);
  assert.equal(annotated() || 'hub', 'hub');

  // To agent mode: confirmed, said in a notice, shown on the page.
  const dialog = await switchAndConfirm(page, 'Switch to agent mode');
  await page.waitForSelector(`text=${CLUSTER} now uses agent mode`);
  await dialog.waitFor({ state: 'hidden' });
  const agent = await pageShows(page, 'agent');
  assert.match(agent, /Agent/);
  assert.match(agent, /own Flux deploys/);
  assert.equal((await page.textContent('[data-testid=cluster-mode-switch]'))?.trim(), 'Switch to hub mode');
  await shot(page, '60-cluster-agent-mode');

  // The API and the registration Secret say agent.
  assert.equal(await apiMode(), 'agent');
  assert.equal(annotated(), 'agent');

  // The clusters list shows it too; member-2 keeps its mode.
  const m2 = (await api('GET', '/clusters/member-2')).body.mode;
  await page.click('nav.side-nav a:has-text("Clusters")');
  await page.waitForSelector(`[data-testid=cluster-mode-${CLUSTER}][data-mode=agent]`);
  assert.equal((await page.textContent(`[data-testid=cluster-mode-${CLUSTER}]`))?.trim(), 'Agent');
  assert.equal((await api('GET', '/clusters/member-2')).body.mode, m2, "member-2's mode is unchanged");

  // Back to hub mode, from the list to the cluster's page.
  await page.click(`[data-testid=cluster-${CLUSTER}] a:has-text("${CLUSTER}")`);
  await page.waitForURL(`**/clusters/${CLUSTER}`);
  await pageShows(page, 'agent');
  await switchAndConfirm(page, 'Switch to hub mode');
  await page.waitForSelector(`text=${CLUSTER} now uses hub mode`);
  assert.match(await pageShows(page, 'hub'), /Hub/);
  assert.equal((await page.textContent('[data-testid=cluster-mode-switch]'))?.trim(), 'Switch to agent mode');
  assert.equal(await apiMode(), 'hub');
  assert.equal(annotated(), 'hub');
  await page.click('nav.side-nav a:has-text("Clusters")');
  await page.waitForSelector(`[data-testid=cluster-mode-${CLUSTER}][data-mode=hub]`);
  await page.context().close();
});

test('alice is offered the switch but refused, with the reason in the dialog and nothing changed', async () => {
  const page = await loggedIn(browser, 'alice', 'team-a');
  await page.goto(`${BASE}/clusters/${CLUSTER}`);
  await pageShows(page, 'hub');

  // The console does not ask beforehand whether she may: the switch is there, the server refuses.
  const dialog = await switchAndConfirm(page, 'Switch to agent mode');
  const error = dialog.locator('[role=alert][data-testid=cluster-mode-error]');
  await error.waitFor();
  assert.match(await error.textContent(), /Request failed/);
  assert.match(await error.textContent(), /forbidden: User "alice" cannot update/);
  await shot(page, '61-cluster-mode-refused');

  // The dialog stays open to say so; closing it leaves hub mode everywhere.
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.match(await pageShows(page, 'hub'), /Hub/);
  await eventually('the API still says hub', 5, async () => (await apiMode()) === 'hub');
  assert.equal(annotated() || 'hub', 'hub');
  await page.context().close();
});
