import { cleanup, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterView } from '../../api/types';
import i18n from '../../i18n';
import { renderWithProviders } from '../../test/render';
import Clusters from '.';

const health: ClusterView['health'] = {
  reachable: true,
  fluxInstalled: true,
  fluxVersion: 'v2.7.0',
  fluxApis: [],
  fluxTooOld: false,
  lastChecked: '2024-05-01T10:00:00Z',
};

function cluster(name: string, over: Partial<ClusterView> = {}): ClusterView {
  return { name, origin: name === 'host' ? 'host' : 'secret', server: `https://${name}:6443`, labels: {}, mode: 'hub', health, ...over };
}

function stubClusters(items: ClusterView[]) {
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async () =>
        ({ ok: true, status: 200, statusText: '', text: async () => JSON.stringify({ items, totalItems: items.length }) }) as Response,
    ),
  );
}

function renderPage() {
  renderWithProviders(
    <MemoryRouter future={{ v7_relativeSplatPath: true, v7_startTransition: true }}>
      <Clusters />
    </MemoryRouter>,
  );
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the clusters list', () => {
  it("shows each cluster's delivery mode", async () => {
    stubClusters([cluster('host'), cluster('member-1'), cluster('member-2', { mode: 'agent' })]);
    renderPage();
    const member2 = await screen.findByTestId('cluster-mode-member-2');
    expect(screen.getByRole('columnheader', { name: 'Delivery mode' })).toBeTruthy();
    expect(member2.textContent).toBe('Agent');
    expect(member2.dataset.mode).toBe('agent');
    expect(member2.getAttribute('title')).toBe('This cluster’s own Flux deploys what ksflux applies here');
    expect(screen.getByTestId('cluster-mode-member-1').textContent).toBe('Hub');
    expect(screen.getByTestId('cluster-mode-host').textContent).toBe('Hub');
  });

  it('marks an agent cluster whose Flux is gone as failed, with the reason', async () => {
    const why = 'agent mode needs Flux’s source-, kustomize- and helm-controller on member-1, but Flux is not installed';
    stubClusters([cluster('member-1', { mode: 'agent', agentBlocked: why })]);
    renderPage();
    expect((await screen.findByTestId('cluster-agent-blocked-member-1')).textContent).toBe(why);
    const state = screen.getByTestId('cluster-state-member-1').querySelector('[data-state]');
    expect(state?.getAttribute('data-state')).toBe('failed');
  });

  it('says in Chinese which mode each cluster uses', async () => {
    await i18n.changeLanguage('zh-CN');
    stubClusters([cluster('member-1'), cluster('member-2', { mode: 'agent' })]);
    renderPage();
    expect((await screen.findByTestId('cluster-mode-member-2')).textContent).toBe('代理');
    expect(screen.getByTestId('cluster-mode-member-1').textContent).toBe('中心');
    expect(screen.getByRole('columnheader', { name: '交付模式' })).toBeTruthy();
  });
});
