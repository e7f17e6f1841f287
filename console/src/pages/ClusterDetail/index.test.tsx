import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API } from '../../api/client';
import type { ClusterView, FleetSummary } from '../../api/types';
import i18n from '../../i18n';
import { renderWithProviders } from '../../test/render';
import ClusterDetail from '.';

const health: ClusterView['health'] = {
  reachable: true,
  fluxInstalled: true,
  fluxVersion: 'v2.7.0',
  fluxApis: [],
  fluxTooOld: false,
  kubernetesVersion: 'v1.33.1',
  lastChecked: '2024-05-01T10:00:00Z',
};

function cluster(name: string, over: Partial<ClusterView> = {}): ClusterView {
  return {
    name,
    origin: name === 'host' ? 'host' : 'secret',
    server: `https://${name}:6443`,
    labels: {},
    mode: 'hub',
    health,
    ...over,
  };
}

const BLOCKED =
  'agent mode needs Flux’s source-, kustomize- and helm-controller on member-1, but Flux is not installed; install Flux there (`flux install`, or the Flux Operator) or use hub mode';

const counts = { total: 0, ready: 0, progressing: 0, failed: 0, suspended: 0, unknown: 0 };
const summary: FleetSummary = {
  states: counts,
  byKind: {},
  byCluster: {},
  byNamespace: {},
  clusters: [],
  failing: [],
  failingTotal: 0,
  workloads: { total: 0, healthy: 0, progressing: 0, degraded: 0 },
  workloadsByCluster: {},
  degradedWorkloads: [],
};

type Reply = { status: number; body: unknown };
/** What the stub answers the mode PUT with. */
let modeReply: Reply;
/** The clusters the stub serves. */
let clusters: ClusterView[];

function stubFetch() {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const u = new URL(String(input), 'http://console');
    const method = init?.method ?? 'GET';
    let reply: Reply = { status: 200, body: { items: [], totalItems: 0 } };
    const one = u.pathname.match(/\/clusters\/([^/]+)$/);
    if (method === 'PUT' && u.pathname.endsWith('/mode')) reply = modeReply;
    else if (u.pathname.endsWith('/clusters')) reply = { status: 200, body: { items: clusters, totalItems: clusters.length } };
    else if (one) {
      const c = clusters.find((x) => x.name === decodeURIComponent(one[1]));
      reply = c ? { status: 200, body: { ...c, history: [] } } : { status: 404, body: { message: 'not found' } };
    } else if (u.pathname.endsWith('/status/summary')) reply = { status: 200, body: summary };
    return {
      ok: reply.status < 400,
      status: reply.status,
      statusText: '',
      text: async () => JSON.stringify(reply.body),
    } as Response;
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** The mode PUTs the stub received: path and body. */
function puts(fetchMock: ReturnType<typeof stubFetch>) {
  return fetchMock.mock.calls
    .filter(([, init]) => init?.method === 'PUT')
    .map(([input, init]) => ({ path: new URL(String(input), 'http://console').pathname, body: JSON.parse(String(init?.body)) }));
}

function renderDetail(name: string) {
  return renderWithProviders(
    <MemoryRouter initialEntries={[`/clusters/${name}`]} future={{ v7_relativeSplatPath: true, v7_startTransition: true }}>
      <Routes>
        <Route path="/clusters/:name" element={<ClusterDetail />} />
      </Routes>
    </MemoryRouter>,
  );
}

let fetchMock: ReturnType<typeof stubFetch>;
beforeEach(async () => {
  await i18n.changeLanguage('en');
  clusters = [cluster('host'), cluster('member-1'), cluster('member-2', { mode: 'agent' })];
  modeReply = { status: 200, body: cluster('member-1', { mode: 'agent' }) };
  fetchMock = stubFetch();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the cluster page', () => {
  it('switches a member to agent mode once confirmed', async () => {
    const user = userEvent.setup();
    renderDetail('member-1');
    const fact = await screen.findByTestId('cluster-mode');
    expect(within(fact).getByText('Hub')).toBeTruthy();
    expect(fact.textContent).toContain('The host’s Flux deploys here');
    await user.click(within(fact).getByRole('button', { name: 'Switch to agent mode' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('cluster-mode-confirm').textContent).toContain(
      'ksflux creates them in member-1, whose own Flux runs them, and deletes them from the host',
    );
    expect(puts(fetchMock)).toEqual([]);
    await user.click(within(dialog).getByRole('button', { name: 'Switch' }));
    await waitFor(() => expect(puts(fetchMock)).toHaveLength(1));
    expect(puts(fetchMock)[0]).toEqual({ path: `${API}/clusters/member-1/mode`, body: { mode: 'agent' } });
    await waitFor(() => expect(screen.queryByTestId('cluster-mode-confirm')).toBeNull());
  });

  it('shows why the server refused agent mode, in the dialog', async () => {
    const user = userEvent.setup();
    const why = 'agent mode needs Flux 2.7 or later on member-1';
    modeReply = {
      status: 422,
      body: {
        kind: 'Status',
        code: 422,
        reason: 'Invalid',
        message: 'the request is invalid',
        details: { causes: [{ field: 'mode', reason: 'FieldValueInvalid', message: why }] },
      },
    };
    renderDetail('member-1');
    await user.click(await screen.findByRole('button', { name: 'Switch to agent mode' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Switch' }));
    const error = await within(dialog).findByTestId('cluster-mode-error');
    expect(error.textContent).toContain(why);
    expect(error.textContent).not.toContain('the request is invalid');
    expect(screen.getByTestId('cluster-mode-confirm')).toBeTruthy();
  });

  it('offers no switch to agent mode where it cannot run, and says why', async () => {
    clusters = [cluster('member-1', { agentBlocked: BLOCKED, health: { ...health, fluxInstalled: false, fluxVersion: null } })];
    renderDetail('member-1');
    const button = await screen.findByRole('button', { name: 'Switch to agent mode' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(button.getAttribute('title')).toBe(BLOCKED);
    expect(screen.getByTestId('cluster-agent-blocked').textContent).toBe(BLOCKED);
    expect(button.getAttribute('aria-describedby')).toBe('cluster-agent-blocked');
  });

  it('switches an agent member back to hub mode, and offers no switch on the host', async () => {
    const user = userEvent.setup();
    modeReply = { status: 200, body: cluster('member-2') };
    renderDetail('member-2');
    const fact = await screen.findByTestId('cluster-mode');
    expect(fact.textContent).toContain('This cluster’s own Flux deploys what ksflux applies here');
    await user.click(within(fact).getByRole('button', { name: 'Switch to hub mode' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Switch' }));
    await waitFor(() => expect(puts(fetchMock)).toHaveLength(1));
    expect(puts(fetchMock)[0]).toEqual({ path: `${API}/clusters/member-2/mode`, body: { mode: 'hub' } });

    cleanup();
    renderDetail('host');
    expect(await screen.findByTestId('cluster-mode')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Switch/ })).toBeNull();
  });
});
