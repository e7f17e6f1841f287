import { KubedConfigProvider } from '@kubed/components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API } from '../../api/client';
import { historyKeys } from '../../api/history';
import { keys } from '../../api/hooks';
import type { ApplicationView, Inventory, TargetDetail, TargetStatus, TargetWorkloads } from '../../api/types';
import { fmtTime } from './common';
import ApplicationDetail from '.';

const statuses: TargetStatus[] = [
  {
    cluster: 'member-1',
    namespace: 'web',
    objectRef: 'Kustomization/demo/web-member-1',
    ready: 'True',
    reason: 'ReconciliationSucceeded',
    message: 'Applied revision: main@sha1:abc',
    lastAppliedRevision: 'main@sha1:abc',
  },
  {
    cluster: 'member-2',
    namespace: 'web',
    objectRef: 'Kustomization/demo/web-member-2',
    ready: 'True',
    reason: 'Suspended',
    message: 'suspended by the application',
    lastAppliedRevision: 'main@sha1:old',
    suspended: true,
  },
];

const app: ApplicationView = {
  apiVersion: 'fluxcd.kubesphere.io/v1alpha1',
  kind: 'Application',
  cluster: 'host',
  metadata: {
    name: 'web',
    namespace: 'demo',
    creationTimestamp: '2024-05-01T10:00:00Z',
    managedFields: [{ manager: 'ksflux' }],
  },
  spec: {
    source: { kind: 'GitRepository', name: 'podinfo' },
    kustomize: { path: './kustomize' },
    targets: [
      { cluster: 'member-1', namespace: 'web' },
      { cluster: 'member-2', namespace: 'web', suspend: true },
    ],
    dependsOn: ['db'],
  },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'Progressing',
        message: '1 of 2 targets ready',
        lastTransitionTime: '2024-05-01T10:06:00Z',
      },
    ],
    targets: statuses,
    summary: { ready: 1, total: 2, text: '1/2' },
  },
  summary: { state: 'progressing', ready: 'False', suspended: false, reconcileHandled: true },
  credentialStatus: {},
};

const targets: TargetDetail[] = [
  {
    cluster: 'member-1',
    namespace: 'web',
    status: statuses[0],
    object: {
      kind: 'Kustomization',
      metadata: { name: 'web-member-1', namespace: 'demo' },
      status: {
        lastAppliedRevision: 'main@sha1:abc',
        lastAttemptedRevision: 'main@sha1:abc',
        inventory: {
          entries: [
            { id: 'web_podinfo_apps_Deployment', v: 'v1' },
            { id: 'web_podinfo__Service', v: 'v1' },
            { id: '_web__Namespace', v: 'v1' },
          ],
        },
      },
    },
    events: [
      {
        type: 'Normal',
        reason: 'ReconciliationSucceeded',
        message: 'all good',
        lastTimestamp: '2024-05-01T10:05:00Z',
      },
      {
        type: 'Warning',
        reason: 'HealthCheckFailed',
        message: 'timeout',
        lastTimestamp: '2024-05-01T10:06:00Z',
      },
    ],
    dependsOn: ['db-member-1'],
  },
  {
    cluster: 'member-2',
    namespace: 'web',
    status: statuses[1],
    object: null,
    events: [],
    dependsOn: [],
  },
];

/** The inventory endpoint's answer: one object drifted, one missing. */
const inventoryAnswer: Inventory = {
  cluster: 'member-1',
  namespace: 'web',
  from: 'inventory',
  driftFrom: 'managedFields',
  truncated: 0,
  objects: [
    {
      id: 'web_podinfo_apps_Deployment',
      namespace: 'web',
      name: 'podinfo',
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      health: 'healthy',
      drifted: true,
      drift: [{ path: 'spec.replicas', live: 3, by: 'kubectl-edit', at: '2024-05-01T10:07:00Z' }],
    },
    { id: 'web_podinfo__Service', namespace: 'web', name: 'podinfo', group: '', version: 'v1', kind: 'Service', health: 'healthy', drifted: false, drift: [] },
    {
      id: '_web__Namespace',
      namespace: '',
      name: 'web',
      group: '',
      version: 'v1',
      kind: 'Namespace',
      health: 'missing',
      message: 'not found in the cluster: Flux applies it again at its next reconciliation',
      drifted: null,
      drift: [],
    },
  ],
};

/** A fetch stub answering the page's reads with the fixtures and every action with `{}`. */
function stubFetch(notFound = false) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const u = new URL(String(input), 'http://console');
    const method = init?.method ?? 'GET';
    let status = 200;
    let body: unknown = {};
    if (method === 'GET' && u.pathname.endsWith('/targets')) body = targets;
    else if (method === 'GET' && u.pathname.endsWith('/inventory')) body = inventoryAnswer;
    else if (method === 'GET' && u.pathname.endsWith('/inventory/object'))
      body = { object: inventoryAnswer.objects[0], live: { kind: 'Deployment', spec: { replicas: 3 } } };
    else if (method === 'GET' && u.pathname.endsWith('/workloads')) body = workloadsAnswer;
    else if (method === 'GET' && notFound) {
      status = 404;
      body = { kind: 'Status', code: 404, reason: 'NotFound', message: 'applications "web" not found' };
    } else if (method === 'GET') body = app;
    return {
      ok: status < 400,
      status,
      statusText: '',
      text: async () => JSON.stringify(body),
    } as Response;
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** What the stub answers for an application's workloads. */
let workloadsAnswer: unknown = [];

function renderPage(preset = true, data: { app: ApplicationView; targets: TargetDetail[] } = { app, targets }) {
  const qc = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: Infinity } },
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
  });
  if (preset) {
    qc.setQueryData(keys.object('applications', 'host', 'demo', 'web'), data.app);
    qc.setQueryData(keys.sub('applications', 'host', 'demo', 'web', 'targets'), data.targets);
    qc.setQueryData(historyKeys.application('demo', 'web', {}), { items: [], totalItems: 0 });
  }
  // No image is automated.
  qc.setQueryData(keys.sub('applications', 'host', 'demo', 'web', 'images'), []);
  return render(
    <KubedConfigProvider>
      <QueryClientProvider client={qc}>
        <MemoryRouter
          initialEntries={['/applications/demo/web']}
          future={{ v7_relativeSplatPath: true, v7_startTransition: true }}
        >
          <Routes>
            <Route path="/applications/:namespace/:name" element={<ApplicationDetail />} />
            <Route path="/applications" element={<div>list</div>} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>
    </KubedConfigProvider>,
  );
}

/** The POST requests the stub received, as URLs. */
function posts(fetchMock: ReturnType<typeof stubFetch>): URL[] {
  return fetchMock.mock.calls
    .filter(([, init]) => init?.method === 'POST')
    .map(([input]) => new URL(String(input), 'http://console'));
}

describe('ApplicationDetail', () => {
  let fetchMock: ReturnType<typeof stubFetch>;
  beforeEach(() => {
    fetchMock = stubFetch();
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows each target state from its status, without a request', () => {
    renderPage();
    expect(fetchMock).not.toHaveBeenCalled();
    const m2 = within(screen.getByTestId('target-state-member-2'));
    expect(m2.getByText('Suspended')).toBeTruthy();
    const stateOf = (cluster: string) =>
      screen.getByTestId(`target-state-${cluster}`).querySelector('[data-state]')?.getAttribute('data-state');
    expect(stateOf('member-2')).toBe('suspended');
    expect(stateOf('member-1')).toBe('ready');
    const row2 = within(screen.getByTestId('target-member-2'));
    expect(row2.getByText('suspended by the application')).toBeTruthy();
    expect(screen.getByTestId('application-summary').textContent).toBe('1/2 targets ready · 1 suspended');
    const edit = screen.getByRole('link', { name: 'Edit' });
    expect(edit.getAttribute('href')).toBe('/applications/demo/web/edit');
    const deploys = 'Kustomize path ./kustomize from GitRepository/podinfo';
    expect(screen.getByText(deploys, { selector: 'dd' })).toBeTruthy();
  });

  it("posts a row's actions for that target only", async () => {
    const user = userEvent.setup();
    renderPage();
    await user.click(within(screen.getByTestId('target-member-2')).getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(posts(fetchMock)).toHaveLength(1));
    const resume = posts(fetchMock)[0];
    expect(resume.pathname).toBe(`${API}/namespaces/demo/applications/web/resume`);
    expect(resume.searchParams.get('target')).toBe('member-2');
    expect(resume.searchParams.get('cluster')).toBe('host');

    await user.click(within(screen.getByTestId('target-member-1')).getByRole('button', { name: 'Suspend' }));
    await waitFor(() => expect(posts(fetchMock)).toHaveLength(2));
    const suspend = posts(fetchMock)[1];
    expect(suspend.pathname).toBe(`${API}/namespaces/demo/applications/web/suspend`);
    expect(suspend.searchParams.get('target')).toBe('member-1');
  });

  it('acts on all targets from the header (no target parameter)', async () => {
    const user = userEvent.setup();
    renderPage();
    const header = screen.getAllByRole('button', { name: 'Reconcile' }).find((b) => !b.closest('tr'));
    expect(header).toBeTruthy();
    if (header) await user.click(header);
    await waitFor(() => expect(posts(fetchMock)).toHaveLength(1));
    const reconcile = posts(fetchMock)[0];
    expect(reconcile.pathname).toBe(`${API}/namespaces/demo/applications/web/reconcile`);
    expect(reconcile.searchParams.has('target')).toBe(false);
  });

  it("shows the selected target's inventory tree, events newest first and dependencies", async () => {
    const user = userEvent.setup();
    renderPage();
    expect(screen.getByTestId('revisions').textContent).toContain('main@sha1:abc');

    await user.click(screen.getByRole('tab', { name: 'Inventory' }));
    const tree = await screen.findByTestId('inventory-tree');
    expect(within(tree).getByText('Cluster-scoped')).toBeTruthy();
    expect(within(tree).getByText('Deployment')).toBeTruthy();
    expect(within(tree).getAllByText('podinfo')).toHaveLength(2);
    // Health and drift per object; the filters keep the drifted or unhealthy ones.
    const deployment = screen.getByTestId('inventory-object-Deployment-podinfo');
    expect(deployment.getAttribute('data-drifted')).toBe('true');
    expect(within(deployment).getByTestId('drifted').textContent).toContain('1');
    expect(screen.getByTestId('inventory-object-Namespace-web').querySelector('[data-state=missing]')).toBeTruthy();
    await user.click(screen.getByTestId('inventory-filter-drifted'));
    expect(within(screen.getByTestId('inventory-tree')).queryByText('Service')).toBeNull();
    await user.click(screen.getByTestId('inventory-filter-unhealthy'));
    expect(screen.getByTestId('inventory-object-Namespace-web')).toBeTruthy();
    expect(screen.queryByTestId('inventory-object-Deployment-podinfo')).toBeNull();
    await user.click(screen.getByTestId('inventory-filter-all'));
    // Opened: the drifted field, who changed it, and the live manifest (Flux keeps no copy).
    await user.click(within(screen.getByTestId('inventory-object-Deployment-podinfo')).getByRole('button', { expanded: false }));
    const fields = screen.getByTestId('drift-fields');
    expect(fields.textContent).toContain('spec.replicas');
    expect(fields.textContent).toContain('kubectl-edit');
    await waitFor(() => expect(screen.getByTestId('live-manifest').textContent).toContain('replicas: 3'));

    await user.click(screen.getByRole('tab', { name: 'Events' }));
    const items = screen.getByTestId('events').querySelectorAll('li');
    expect(items[0].getAttribute('data-type')).toBe('Warning');
    expect(items[0].className).toBe('warning');
    expect(items[1].textContent).toContain('all good');

    await user.click(screen.getByRole('tab', { name: 'Depends on' }));
    expect(screen.getByTestId('dependency-db')).toBeTruthy();
    expect(screen.getByTestId('dependency-db-member-1')).toBeTruthy();

    await user.click(screen.getByRole('tab', { name: 'YAML' }));
    const yaml = screen.getByTestId('yaml-application').textContent ?? '';
    expect(yaml).toContain('name: web');
    expect(yaml).not.toContain('managedFields');

    await user.selectOptions(screen.getByLabelText('Target'), 'member-2');
    await user.click(screen.getByRole('tab', { name: 'Inventory' }));
    expect(screen.getByText('The Flux object is not created yet')).toBeTruthy();
  });

  it("shows each target's workloads: ready of desired, failing pods by reason, or why they cannot be read", async () => {
    const user = userEvent.setup();
    const workloads: TargetWorkloads[] = [
      {
        cluster: 'member-1',
        namespace: 'web',
        state: 'degraded',
        workloads: [
          {
            kind: 'Deployment',
            namespace: 'web',
            name: 'podinfo',
            desired: 2,
            updated: 2,
            ready: 1,
            available: 1,
            rollingOut: false,
            state: 'degraded',
            message: '1 pod(s) CrashLoopBackOff: back-off',
            images: ['ghcr.io/stefanprodan/podinfo:6.5.0'],
            podProblems: [{ reason: 'CrashLoopBackOff', count: 1, message: 'back-off', pods: ['podinfo-x'] }],
          },
        ],
      },
      { cluster: 'member-2', namespace: 'web', state: null, workloads: [], error: 'you may not read workloads' },
    ];
    workloadsAnswer = workloads;
    renderPage();
    await user.click(screen.getByRole('tab', { name: 'Workloads' }));
    await waitFor(() => expect(screen.getByTestId('workloads-member-1')).toBeTruthy());
    expect(screen.getByTestId('replicas-podinfo').textContent).toBe('1/2');
    expect(screen.getByTestId('workload-podinfo').querySelector('[data-state=degraded]')).toBeTruthy();
    expect(screen.getByTestId('problem-podinfo-CrashLoopBackOff').textContent).toContain('1 pods: CrashLoopBackOff');

    await user.selectOptions(screen.getByLabelText('Target'), 'member-2');
    await user.click(screen.getByRole('tab', { name: 'Workloads' }));
    expect(await screen.findByText(/you may not read workloads/)).toBeTruthy();
  });

  it('shows a Helm release: chart version, history newest first', async () => {
    const user = userEvent.setup();
    const helmApp: ApplicationView = {
      ...app,
      spec: {
        ...app.spec,
        source: { kind: 'HelmRepository', name: 'charts' },
        kustomize: undefined,
        helm: { chart: 'podinfo', version: '6.x' },
      },
    };
    const release = (version: number, chartVersion: string, status: string) => ({
      version,
      name: 'web',
      namespace: 'web',
      chartName: 'podinfo',
      chartVersion,
      appVersion: chartVersion,
      status,
      firstDeployed: '2024-05-01T10:00:00Z',
      lastDeployed: '2024-05-01T10:00:00Z',
      digest: `sha256:${version}0000000000000000`,
      configDigest: 'sha256:c',
    });
    const helmTargets = [
      {
        ...targets[0],
        object: {
          kind: 'HelmRelease',
          status: { history: [release(1, '6.0.0', 'superseded'), release(2, '6.1.0', 'deployed')] },
        },
      },
      targets[1],
    ];
    renderPage(true, { app: helmApp, targets: helmTargets });
    const deploys = 'Helm chart podinfo version 6.x from HelmRepository/charts';
    expect(screen.getByText(deploys, { selector: 'dd' })).toBeTruthy();
    expect(screen.getByTestId('revisions').textContent).toContain('6.1.0');
    await user.click(screen.getByRole('tab', { name: 'Inventory' }));
    const release2 = 'chart podinfo 6.1.0, revision 2, deployed';
    expect(screen.getByTestId('helm-release').textContent).toContain(release2);
    await user.click(screen.getByRole('tab', { name: 'Helm history' }));
    const rows = screen.getByTestId('helm-history').querySelectorAll('tbody tr');
    const order = [...rows].map((r) => r.getAttribute('data-testid'));
    expect(order).toEqual(['helm-revision-2', 'helm-revision-1']);
  });

  it("marks a target in agent mode and says when its Flux object was edited there and put back", () => {
    const agent: TargetStatus = {
      ...statuses[0],
      objectRef: 'Kustomization/demo/web',
      mode: 'agent',
      lastDrift: { at: '2024-05-01T10:08:00Z', fields: ['spec.values.message', 'spec.suspend'] },
    };
    renderPage(true, { app: { ...app, status: { ...app.status, targets: [agent, statuses[1]] } }, targets });
    const row1 = within(screen.getByTestId('target-member-1'));
    expect(row1.getByTestId('target-mode-member-1').textContent).toBe('Agent');
    const drift = row1.getByTestId('target-drift-member-1');
    expect(drift.textContent).toBe(
      `Flux object edited in the cluster at ${fmtTime('2024-05-01T10:08:00Z')} and put back: spec.values.message, spec.suspend`,
    );
    expect(drift.querySelector('[translate=no]')?.textContent).toBe('spec.values.message, spec.suspend');
    // A target in hub mode has neither.
    const row2 = within(screen.getByTestId('target-member-2'));
    expect(row2.queryByTestId('target-mode-member-2')).toBeNull();
    expect(row2.queryByTestId('target-drift-member-2')).toBeNull();
  });

  it('says when the application does not exist', async () => {
    vi.unstubAllGlobals();
    stubFetch(true);
    renderPage(false);
    expect((await screen.findByTestId('not-found')).textContent).toContain('This application does not exist');
    const back = screen.getByRole('link', { name: 'Back to applications' });
    expect(back.getAttribute('href')).toBe('/applications');
  });
});
