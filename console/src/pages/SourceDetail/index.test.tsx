import { cleanup, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterSource, ObjectView } from '../../api/types';
import i18n from '../../i18n';
import { KIND_LIST } from '../../test/kinds';
import { renderWithProviders } from '../../test/render';
import SourceDetail from '.';

const source: ObjectView = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  cluster: 'host',
  metadata: {
    name: 'podinfo',
    namespace: 'demo',
    annotations: { 'fluxcd.kubesphere.io/distribute-to': 'member-1,member-2' },
  },
  spec: { url: 'https://github.com/stefanprodan/podinfo', interval: '1m', ref: { branch: 'master' } },
  status: {},
  credentialStatus: {},
  summary: { state: 'ready', ready: 'True', reconcileHandled: true, suspended: false },
};

const clusters: ClusterSource[] = [
  { cluster: 'member-1', ready: 'True', reason: 'Succeeded', message: 'stored artifact', revision: 'master@sha1:abc123' },
  { cluster: 'member-2', ready: 'False', reason: 'GitOperationFailed', message: 'auth failed', revision: null },
];

function stubFetch() {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const u = new URL(String(input), 'http://console');
      let body: unknown = { items: [], totalItems: 0 };
      if (u.pathname.endsWith('/kinds')) body = KIND_LIST;
      else if (u.pathname.endsWith('/gitrepositories/podinfo/clusters')) body = clusters;
      else if (u.pathname.endsWith('/gitrepositories/podinfo')) body = source;
      return { ok: true, status: 200, statusText: '', text: async () => JSON.stringify(body) } as Response;
    }),
  );
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
  stubFetch();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the source page', () => {
  it('shows the member clusters a distributed source reaches, with their state and revision', async () => {
    renderWithProviders(
      <MemoryRouter
        initialEntries={['/sources/gitrepositories/demo/podinfo']}
        future={{ v7_relativeSplatPath: true, v7_startTransition: true }}
      >
        <Routes>
          <Route path="/sources/:kind/:namespace/:name" element={<SourceDetail />} />
        </Routes>
      </MemoryRouter>,
    );
    const panel = await screen.findByTestId('source-distribution');
    expect(within(panel).getByRole('heading').textContent).toBe('Distributed to clusters');
    expect(panel.querySelectorAll('code[translate="no"]').length).toBe(2);
    const one = await within(panel).findByTestId('source-cluster-member-1');
    expect(within(one).getByText('member-1')).toBeTruthy();
    expect(one.querySelector('[data-state]')?.getAttribute('data-state')).toBe('ready');
    expect(within(one).getByText('master@sha1:abc123').getAttribute('translate')).toBe('no');
    const two = within(panel).getByTestId('source-cluster-member-2');
    expect(two.querySelector('[data-state]')?.getAttribute('data-state')).toBe('failed');
    expect(two.textContent).toContain('auth failed');
    expect(two.textContent).toContain('–');
  });
});
