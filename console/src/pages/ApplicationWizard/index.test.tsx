import { KubedConfigProvider } from '@kubed/components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NamespaceProvider } from '../../app/namespace';
import { KIND_LIST } from '../../test/kinds';
import ApplicationWizard from './index';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const source = (name: string) => ({
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'HelmRepository',
  cluster: 'host',
  metadata: { name, namespace: 'team-a' },
  spec: {},
  status: {},
  credentialStatus: {},
  summary: { state: 'ready', ready: 'True', reconcileHandled: true, suspended: false },
});

const health = { reachable: true, fluxInstalled: true, fluxTooOld: false, fluxApis: [] };

let calls: Call[] = [];
let previewAnswers: Response[] = [];

function fakeApi(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const u = new URL(String(input), 'http://localhost');
  const path = u.pathname.replace('/kapis/fluxcd.kubesphere.io/v1alpha1', '');
  const method = init?.method ?? 'GET';
  calls.push({ method, path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
  if (path === '/kinds') return Promise.resolve(json(200, KIND_LIST));
  if (path === '/clusters')
    return Promise.resolve(
      json(200, {
        items: [
          { name: 'host', origin: 'host', server: 'https://h', health },
          {
            name: 'member-1',
            origin: 'secret',
            server: 'https://m',
            health: { ...health, reachable: false, message: 'connection refused' },
          },
        ],
        totalItems: 2,
      }),
    );
  if (path === '/namespaces/team-a/helmrepositories')
    return Promise.resolve(json(200, { items: [source('charts')], totalItems: 1 }));
  if (path === '/namespaces/team-a/helmrepositories/charts/charts')
    return Promise.resolve(
      json(200, [
        { name: 'podinfo', description: 'Podinfo', versions: [{ version: '6.5.0' }, { version: '6.4.0' }] },
      ]),
    );
  if (path === '/namespaces/team-a/helmrepositories/charts/charts/podinfo/values')
    return Promise.resolve(
      json(200, {
        chart: 'podinfo',
        version: u.searchParams.get('version') ?? '',
        helmChart: 'team-a-other',
        values: '# pods\nreplicaCount: 1\nui:\n  color: blue\n',
        schema: { type: 'object', properties: { replicaCount: { type: 'integer', minimum: 0 } } },
      }),
    );
  if (path === '/namespaces/team-a/applications' && method === 'GET')
    return Promise.resolve(json(200, { items: [{ ...source('database'), kind: 'Application' }], totalItems: 1 }));
  if (path === '/namespaces/team-a/applications/web/preview') {
    return Promise.resolve(previewAnswers.shift() ?? json(500, { message: 'no more answers' }));
  }
  if (path === '/namespaces/team-a/applications/web' && method === 'GET')
    return Promise.resolve(
      json(200, {
        apiVersion: 'fluxcd.kubesphere.io/v1alpha1',
        kind: 'Application',
        cluster: 'host',
        metadata: { name: 'web', namespace: 'team-a', resourceVersion: '7' },
        spec: {
          source: { kind: 'GitRepository', name: 'repo' },
          kustomize: { path: './deploy', prune: true },
          targets: [{ cluster: 'host', namespace: 'team-a' }],
          dependsOn: ['database'],
        },
        status: {},
      }),
    );
  if (path === '/namespaces/team-a/gitrepositories') {
    return Promise.resolve(json(200, { items: [], totalItems: 0 }));
  }
  if (path === '/namespaces/team-a/applications/web/diff')
    return Promise.resolve(
      json(200, [
        {
          cluster: 'host',
          action: 'update',
          kind: 'Kustomization',
          name: 'web-host',
          changes: [{ path: 'spec.path', op: 'changed', old: './deploy', new: './deploy/prod' }],
        },
      ]),
    );
  if (path === '/namespaces/team-a/applications/web' && method === 'PUT')
    return Promise.resolve(
      json(409, { code: 409, reason: 'Conflict', message: 'the object has been modified' }),
    );
  if (path === '/namespaces/team-a/applications' && method === 'POST')
    return Promise.resolve(json(201, { metadata: { name: 'web', namespace: 'team-a' } }));
  return Promise.resolve(json(404, { code: 404, reason: 'NotFound', message: `no ${path}` }));
}

function renderPage(at = '/applications/new') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <KubedConfigProvider>
      <QueryClientProvider client={qc}>
        <NamespaceProvider>
          <MemoryRouter initialEntries={[at]}>
            <Routes>
              <Route path="/applications/new" element={<ApplicationWizard />} />
              <Route path="/applications/:namespace/:name/edit" element={<ApplicationWizard />} />
              <Route path="/applications/:namespace/:name" element={<div>detail page</div>} />
            </Routes>
          </MemoryRouter>
        </NamespaceProvider>
      </QueryClientProvider>
    </KubedConfigProvider>,
  );
}

const field = <T extends Element>(name: string) => document.querySelector<T>(`[name="${name}"]`) as T;

describe('ApplicationWizard', () => {
  beforeEach(() => {
    calls = [];
    previewAnswers = [];
    window.localStorage.setItem('ksflux.namespace', 'team-a');
    vi.stubGlobal('fetch', vi.fn(fakeApi));
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('checks each step, sends a server field error back to its step, creates the application', async () => {
    const user = userEvent.setup();
    renderPage();

    // Step 1: nothing picked yet, Next shows the errors and stays.
    await user.click(screen.getByText('Next'));
    expect(document.querySelector('[data-error-for="metadata.name"]')?.textContent).toBe('Required');
    expect(document.querySelector('[data-error-for="spec.source.name"]')?.textContent).toBe('Pick a source');
    await user.type(field('metadata.name'), 'web');
    await screen.findByRole('option', { name: 'charts (Ready)' });
    await user.selectOptions(field('spec.source.name'), 'charts');
    // It waits for another application of the namespace.
    await user.click(await screen.findByRole('checkbox', { name: 'database' }));
    await user.click(screen.getByText('Next'));

    // Step 2: the chart from the repository's index.
    await screen.findByRole('option', { name: /podinfo/ });
    await user.selectOptions(field('spec.helm.chart'), 'podinfo');
    await user.selectOptions(field('spec.helm.version'), '6.5.0');
    await user.click(screen.getByText('Next'));

    // Step 3: base values beside the chart's defaults; values that break its schema are refused.
    await screen.findByTestId('chart-defaults');
    expect(document.querySelector<HTMLTextAreaElement>('[data-testid=chart-defaults] textarea')?.value).toContain(
      'color: blue',
    );
    expect(screen.getByTestId('chart-defaults-version').textContent).toBe('podinfo 6.5.0');
    await user.type(field('spec.helm.values'), 'ui: {{}{enter}replicaCount: many');
    expect(document.querySelector('[data-error-for="spec.helm.values"]')?.textContent).toBe(
      "The values break the chart's schema",
    );
    const problem = screen.getByTestId('schema-problems-spec.helm.values');
    expect(problem.textContent).toContain('Line 2');
    expect(problem.textContent).toContain('replicaCount');
    expect(problem.textContent).toContain('Must be of type integer, not string');
    expect(document.querySelector('[data-field="spec.helm.values"] [data-line="2"]')?.getAttribute('data-problem')).toBe('true');
    await user.click(screen.getByText('Next'));
    expect(screen.getByTestId('wizard-step').getAttribute('data-step')).toBe('2');
    await user.clear(field('spec.helm.values'));
    await user.type(field('spec.helm.values'), 'replicaCount: 1');
    expect(screen.queryByTestId('schema-problems-spec.helm.values')).toBeNull();
    await user.type(field('spec.helm.timeout'), '10m');
    await user.type(field('spec.helm.install.remediation.retries'), 'x');
    await user.click(screen.getByText('Next'));
    expect(document.querySelector('[data-error-for="spec.helm.install.remediation.retries"]')?.textContent).toBe(
      'A whole number (-1 retries forever)',
    );
    await user.clear(field('spec.helm.install.remediation.retries'));
    await user.type(field('spec.helm.install.remediation.retries'), '3');
    await user.click(screen.getByText('Next'));

    // Step 4: targets; an unreachable cluster is selectable and says why.
    await user.click(screen.getByText('Next'));
    const none = document.querySelector('[data-error-for="spec.targets"]');
    expect(none?.textContent).toBe('Pick at least one cluster');
    expect(await screen.findByText('connection refused')).toBeTruthy();
    await user.click(field('target-cluster-host'));
    await user.click(field('target-cluster-member-1'));
    await user.click(screen.getByTestId('override-tab-member-1'));
    await user.type(field('spec.targets[1].overrides.values'), 'replicaCount: 3');
    expect(screen.getByTestId('rendered-member-1').textContent).toContain('replicaCount: 3');

    previewAnswers = [
      json(422, {
        code: 422,
        reason: 'Invalid',
        message: 'invalid',
        details: {
          causes: [{ field: 'spec.targets[1].namespace', message: 'team-a is not allowed in member-1' }],
        },
      }),
      json(200, [
        { cluster: 'host', namespace: 'team-a', object: { kind: 'HelmRelease', metadata: { name: 'web-host' } } },
        {
          cluster: 'member-1',
          namespace: 'other',
          object: { kind: 'HelmRelease', metadata: { name: 'web-member-1' } },
        },
      ]),
    ];
    await user.click(screen.getByText('Next'));
    // The server refused a target namespace: back on the targets step, message by the field.
    const error = await waitFor(() => {
      const e = document.querySelector('[data-error-for="spec.targets[1].namespace"]');
      expect(e).not.toBeNull();
      return e;
    });
    expect(error?.textContent).toBe('team-a is not allowed in member-1');
    await user.clear(field('spec.targets[1].namespace'));
    await user.type(field('spec.targets[1].namespace'), 'other');
    expect(document.querySelector('[data-error-for="spec.targets[1].namespace"]')).toBeNull();
    await user.click(screen.getByText('Next'));

    expect((await screen.findByTestId('preview-member-1')).textContent).toContain('web-member-1');
    await user.click(screen.getByText('Next'));
    await user.click(screen.getByText('Create'));
    expect(await screen.findByText('detail page')).toBeTruthy();

    const create = calls.find((c) => c.method === 'POST' && c.path === '/namespaces/team-a/applications');
    expect(create?.body).toEqual({
      metadata: { name: 'web' },
      spec: {
        source: { kind: 'HelmRepository', name: 'charts' },
        helm: {
          chart: 'podinfo',
          version: '6.5.0',
          values: { replicaCount: 1 },
          timeout: '10m',
          install: { remediation: { retries: 3 } },
        },
        targets: [
          { cluster: 'host', namespace: 'team-a' },
          { cluster: 'member-1', namespace: 'other', overrides: { values: { replicaCount: 3 } } },
        ],
        dependsOn: ['database'],
        interval: '5m',
      },
    });
  }, 30_000);

  it('edits: shows the diff, saves with the resourceVersion, explains a conflict', async () => {
    const user = userEvent.setup();
    renderPage('/applications/team-a/web/edit');
    // Loaded: name and namespace are fixed; the first step is valid as stored.
    await waitFor(() => expect(field<HTMLInputElement>('metadata.name')?.value).toBe('web'));
    expect(field<HTMLInputElement>('metadata.name').disabled).toBe(true);
    await user.click(screen.getByText('Next'));
    const path = field<HTMLInputElement>('spec.kustomize.path');
    await user.clear(path);
    await user.type(path, './deploy/prod');
    await user.click(screen.getByText('Next'));
    await user.click(screen.getByText('Next'));
    previewAnswers = [
      json(200, [
        { cluster: 'host', namespace: 'team-a', object: { kind: 'Kustomization', metadata: { name: 'web-host' } } },
      ]),
    ];
    await user.click(screen.getByText('Next'));
    const diff = await screen.findByTestId('diff-host');
    expect(diff.textContent).toContain('spec.path');
    expect(diff.textContent).toContain('./deploy/prod');
    await user.click(screen.getByText('Next'));
    await user.click(screen.getByText('Save'));
    expect(await screen.findByText('Someone else changed it; reload and try again')).toBeTruthy();
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toEqual({
      metadata: { name: 'web', resourceVersion: '7' },
      spec: {
        source: { kind: 'GitRepository', name: 'repo' },
        kustomize: { path: './deploy/prod', prune: true },
        targets: [{ cluster: 'host', namespace: 'team-a' }],
        dependsOn: ['database'],
      },
    });
  }, 30_000);
});
