import { describe, expect, it } from 'vitest';
import { gettingStarted, sourceCount } from './gettingStarted';

const host = { origin: 'host' as const };
const member = { origin: 'secret' as const };
const counts = (total: number) => ({ total, ready: total, progressing: 0, failed: 0, suspended: 0, unknown: 0 });

describe('the first steps', () => {
  it('wait for the clusters, the summary and the applications', () => {
    expect(gettingStarted(undefined, { byKind: {} }, 0)).toBeUndefined();
    expect(gettingStarted([host], undefined, 0)).toBeUndefined();
    expect(gettingStarted([host], { byKind: {} }, undefined)).toBeUndefined();
  });

  it('are all left on a host alone with nothing in it', () => {
    const g = gettingStarted([host], { byKind: {} }, 0);
    expect(g?.steps).toEqual([
      { id: 'cluster', done: false },
      { id: 'source', done: false },
      { id: 'application', done: false },
    ]);
    expect(g?.show).toBe(true);
  });

  it('count a member as a registered cluster and sources people add, not HelmCharts', () => {
    const g = gettingStarted([host, member], { byKind: { HelmChart: counts(4), Kustomization: counts(2) } }, 0);
    expect(g?.steps.map((s) => s.done)).toEqual([true, false, false]);
    expect(g?.done).toBe(1);
    expect(g?.show).toBe(true);
    expect(sourceCount({ byKind: { GitRepository: counts(2), Bucket: counts(1), HelmChart: counts(3) } })).toBe(3);
  });

  it('hide once the fleet is not empty: sources or applications and a member', () => {
    const summary = { byKind: { GitRepository: counts(1) } };
    expect(gettingStarted([host, member], summary, 0)?.show).toBe(false);
    expect(gettingStarted([host, member], { byKind: {} }, 2)?.show).toBe(false);
    // Sources and applications, but only the host: registering a cluster is still left.
    expect(gettingStarted([host], summary, 2)?.show).toBe(true);
    const all = gettingStarted([host, member], summary, 1);
    expect(all?.done).toBe(3);
    expect(all?.show).toBe(false);
  });
});
