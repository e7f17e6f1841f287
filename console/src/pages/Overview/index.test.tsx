import { cleanup, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetSummary } from '../../api/types';
import { renderWithProviders } from '../../test/render';
import Overview from '.';

const counts = { total: 0, ready: 0, progressing: 0, failed: 0, suspended: 0, unknown: 0 };

function summary(total: number): FleetSummary {
  return {
    states: { ...counts, total, ready: total },
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
}

/** Answers the overview's reads: the summary given, no applications, no clusters. */
function stubFetch(s: FleetSummary) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const u = new URL(String(input), 'http://console');
      const body = u.pathname.endsWith('/status/summary') ? s : { items: [], totalItems: 0 };
      return { ok: true, status: 200, statusText: '', text: async () => JSON.stringify(body) } as Response;
    }),
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the overview', () => {
  it('offers the first steps on an empty fleet', async () => {
    stubFetch(summary(0));
    renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    const card = await screen.findByTestId('getting-started');
    const links = [...card.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/clusters', '/sources', '/applications/new']);
  });

  it('does not once the fleet has objects', async () => {
    stubFetch(summary(3));
    renderWithProviders(
      <MemoryRouter>
        <Overview />
      </MemoryRouter>,
    );
    await waitFor(() => expect(screen.getByTestId('count-total').textContent).toContain('3'));
    expect(screen.queryByTestId('getting-started')).toBeNull();
  });
});
