import { describe, expect, it } from 'vitest';
import type { ApplicationView } from '../../api/types';
import { countTargets, durationParts, periods, targetsOn } from './model';

function app(name: string, spec: Partial<ApplicationView['spec']>, targets: NonNullable<ApplicationView['status']>['targets'] = []) {
  return {
    metadata: { name, namespace: 'team-a' },
    spec: { source: { kind: 'GitRepository', name: 's' }, targets: [], ...spec },
    status: { targets },
  } as unknown as ApplicationView;
}

describe('targets on a cluster', () => {
  it('come from the status, else from the spec, with their state', () => {
    const apps = [
      app('web', { targets: [{ cluster: 'm1', namespace: 'web' }] }, [
        {
          cluster: 'm1',
          namespace: 'web',
          objectRef: 'Kustomization/team-a/web-m1',
          ready: 'False',
          reason: 'WorkloadsDegraded',
          message: 'crash',
          lastAppliedRevision: 'main@sha1:abc',
          workloads: { ready: 0, desired: 2, state: 'degraded' },
        },
        { cluster: 'm2', namespace: 'web', objectRef: 'Kustomization/team-a/web-m2', ready: 'True' },
      ]),
      app('api', { targets: [{ cluster: 'm1', namespace: 'api', suspend: true }] }),
      app('db', { targets: [{ cluster: 'm1', namespace: 'db' }] }),
      app('other', { targets: [{ cluster: 'm2', namespace: 'x' }] }),
      // Placed by labels: only in the status.
      app('placed', {}, [{ cluster: 'm1', namespace: 'p', objectRef: 'HelmRelease/team-a/p', ready: 'True' }]),
    ];
    const rows = targetsOn(apps, 'm1');
    expect(rows.map((r) => [r.application, r.targetNamespace, r.state, r.revision])).toEqual([
      ['api', 'api', 'suspended', ''],
      ['db', 'db', 'progressing', ''],
      ['placed', 'p', 'ready', ''],
      ['web', 'web', 'degraded', 'main@sha1:abc'],
    ]);
    expect(rows[3].workloads).toEqual({ ready: 0, desired: 2, state: 'degraded' });
    expect(countTargets(rows)).toMatchObject({ ready: 1, degraded: 1, progressing: 1, suspended: 1, failed: 0 });
  });
});

describe('health over time', () => {
  it('is one period per transition, the last until now, with its share of the span', () => {
    const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
    const now = Date.UTC(2025, 0, 1, 0, 0, 100);
    const p = periods(
      [
        { at: at(50), reachable: false, message: 'unreachable: connection refused' },
        { at: at(0), reachable: true },
        { at: 'garbage', reachable: true },
        { at: at(60), reachable: true },
      ],
      now,
    );
    expect(p.map((x) => [x.reachable, (x.to - x.from) / 1000, x.share])).toEqual([
      [true, 50, 0.5],
      [false, 10, 0.1],
      [true, 40, 0.4],
    ]);
    expect(p[1].message).toBe('unreachable: connection refused');
    expect(periods(undefined, now)).toEqual([]);
  });

  it('says durations in their two largest units', () => {
    expect(durationParts(0)).toEqual([[0, 's']]);
    expect(durationParts(45_000)).toEqual([[45, 's']]);
    expect(durationParts(125_000)).toEqual([
      [2, 'm'],
      [5, 's'],
    ]);
    expect(durationParts(3_600_000 + 30_000)).toEqual([[1, 'h']]);
    expect(durationParts(2 * 86_400_000 + 3 * 3_600_000 + 60_000)).toEqual([
      [2, 'd'],
      [3, 'h'],
    ]);
  });
});
