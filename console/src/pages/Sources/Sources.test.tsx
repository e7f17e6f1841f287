import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n';
import Sources from '.';
import { KIND_LIST } from '../../test/kinds';
import { renderWithProviders } from '../../test/render';

const API = '/kapis/fluxcd.kubesphere.io/v1alpha1';

const podinfo = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  cluster: 'host',
  metadata: { name: 'podinfo', namespace: 'flux-system', resourceVersion: '1' },
  spec: { url: 'https://github.com/stefanprodan/podinfo', interval: '1m', ref: { branch: 'master' } },
  status: {},
  summary: {
    state: 'ready',
    ready: 'True',
    suspended: false,
    reconcileHandled: true,
    revision: 'master@sha1:0123456789abcdef0123456789abcdef01234567',
    lastUpdateTime: new Date().toISOString(),
  },
  credentialStatus: { auth: { secretName: 'podinfo-git-auth', type: 'basic', managed: true } },
};

type FakeResponse = { ok: boolean; status: number; statusText: string; text: () => Promise<string> };
let listReply: { status: number; body: unknown };
const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<FakeResponse>>(async (url, init) => {
  const reply = (status: number, body: unknown): FakeResponse => ({
    ok: status < 300,
    status,
    statusText: String(status),
    text: async () => JSON.stringify(body),
  });
  if (url.startsWith(`${API}/kinds`)) return reply(200, KIND_LIST);
  if (url.startsWith(`${API}/clusters`)) {
    return reply(200, { items: [{ name: 'host' }, { name: 'member-1' }] });
  }
  if (init?.method === 'POST') return reply(200, {});
  return reply(listReply.status, listReply.body);
});

beforeEach(async () => {
  listReply = { status: 200, body: { items: [podinfo], totalItems: 1 } };
  fetchMock.mockClear();
  vi.stubGlobal('fetch', fetchMock);
  await i18n.changeLanguage('en');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderPage() {
  renderWithProviders(
    <MemoryRouter initialEntries={['/sources/gitrepositories']}>
      <Routes>
        <Route path="/sources/:kind" element={<Sources />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('Sources page', { timeout: 30_000 }, () => {
  it('lists sources with URL, revision and credentials, and reconciles one', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage();
    const row = await screen.findByTestId('source-podinfo');
    expect(row.textContent).toContain('https://github.com/stefanprodan/podinfo');
    expect(row.textContent).toContain('master@sha1:0123456789ab');
    expect(row.textContent).toContain('podinfo-git-auth (basic)');
    expect(row.querySelector('[data-state="ready"]')).not.toBeNull();
    // all namespaces, host cluster, first page of 20
    const list = fetchMock.mock.calls.map(([u]) => u).find((u) => u.startsWith(`${API}/gitrepositories`));
    expect(list).toBe(`${API}/gitrepositories?cluster=host&page=1&limit=20`);
    // the source kinds the API serves
    const kinds = ['Git repositories', 'Helm repositories', 'OCI repositories', 'Buckets', 'Helm charts'];
    for (const label of kinds) {
      expect(screen.getByRole('link', { name: label })).toBeTruthy();
    }

    await user.click(within(row).getByRole('button', { name: 'Reconcile' }));
    const post = () => fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    await waitFor(() => expect(post()).toBeDefined());
    const [url] = post() ?? [''];
    expect(url).toBe(`${API}/namespaces/flux-system/gitrepositories/podinfo/reconcile?cluster=host&wait=30`);
  });

  it('suggests picking a namespace when listing all of them is forbidden', async () => {
    listReply = {
      status: 403,
      body: { code: 403, reason: 'Forbidden', message: 'cannot list gitrepositories at the cluster scope' },
    };
    renderPage();
    expect(await screen.findByText(/pick a namespace in the header/)).toBeTruthy();
    expect(screen.getByText(/cannot list gitrepositories at the cluster scope/)).toBeTruthy();
  });
});
