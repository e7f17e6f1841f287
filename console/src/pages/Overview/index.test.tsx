import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetSummary } from '../../api/types';
import { renderWithProviders } from '../../test/render';
import Overview from '.';

const counts = { total: 0, ready: 0, progressing: 0, failed: 0, suspended: 0, unknown: 0 };

function summary(total: number, sources = 0): FleetSummary {
  return {
    states: { ...counts, total, ready: total },
    byKind: sources > 0 ? { GitRepository: { ...counts, total: sources, ready: sources } } : {},
    byCluster: {},
    byNamespace: {},
    clusters: [],
    failing: [],
    failingTotal: 0,
    workloads: { total: 0, healthy: 0, progressing: 0, degraded: 0 },
    workloadsByCluster: {},
    degradedWorkloads: [],
  };
}

const health = { reachable: true, fluxInstalled: true, fluxApis: [], fluxTooOld: false };
const cluster = (name: string, origin: string) => ({ name, origin, server: 'https://x', labels: {}, health });

/** Answers the overview's reads: the summary, the clusters and the number of applications given. */
function stubFetch(s: FleetSummary, clusters = [cluster('host', 'host')], apps = 0) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const u = new URL(String(input), 'http://console');
      const body = u.pathname.endsWith('/status/summary')
        ? s
        : u.pathname.endsWith('/clusters')
          ? { items: clusters, totalItems: clusters.length }
          : { items: [], totalItems: apps };
      return { ok: true, status: 200, statusText: '', text: async () => JSON.stringify(body) } as Response;
    }),
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

describe('the overview', () => {
  it('offers the first steps on an empty fleet, none done', async () => {
    stubFetch(summary(0));
    renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    const card = await screen.findByTestId('getting-started');
    const links = [...card.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/clusters?register=1', '/sources', '/applications/new']);
    expect(screen.getByTestId('step-cluster').dataset.done).toBe('false');
    expect(screen.getByTestId('getting-started-progress').textContent).toContain('0 of 3');
  });

  it('marks a registered member done and forgets the card once dismissed', async () => {
    stubFetch(summary(0), [cluster('host', 'host'), cluster('member-1', 'secret')]);
    const { unmount } = renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    await screen.findByTestId('getting-started');
    expect(screen.getByTestId('step-cluster').dataset.done).toBe('true');
    expect(screen.getByTestId('step-source').dataset.done).toBe('false');
    fireEvent.click(screen.getByTestId('getting-started-dismiss'));
    expect(screen.queryByTestId('getting-started')).toBeNull();
    unmount();
    renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    await waitFor(() => expect(screen.getByTestId('overview-cluster-link-member-1')).toBeTruthy());
    expect(screen.queryByTestId('getting-started')).toBeNull();
  });

  it('does not once the fleet has sources, applications and a member', async () => {
    stubFetch(summary(3, 1), [cluster('host', 'host'), cluster('member-1', 'secret')], 2);
    renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    await waitFor(() => expect(screen.getByTestId('count-total').textContent).toContain('3'));
    await screen.findByTestId('overview-cluster-link-member-1');
    expect(screen.queryByTestId('getting-started')).toBeNull();
    expect(screen.getByTestId('overview-cluster-link-member-1').getAttribute('href')).toBe('/clusters/member-1');
  });
});
