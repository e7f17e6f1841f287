import { describe, expect, it } from 'vitest';
import { applicationsStale, patchWorkloads, planChange, touchesWorkloads, type CacheEntry } from './changes';
import { KINDS } from '../test/kinds';
import { keys } from './hooks';
import type { ObjectChange, ObjectList, ObjectView, Summary, TargetWorkloads } from './types';

const ready: Summary = { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true };
const failed: Summary = { state: 'failed', ready: 'False', suspended: false, reconcileHandled: true, message: 'boom' };

const view = (name: string, namespace = 'apps', cluster = 'host'): ObjectView => ({
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  cluster,
  metadata: { name, namespace, resourceVersion: '1', labels: { team: 'a' } },
  spec: { url: 'https://x' },
  status: {},
  summary: ready,
  credentialStatus: {},
});

const list = (...items: ObjectView[]): ObjectList => ({ items, totalItems: items.length });

const change = (type: ObjectChange['type'], name: string, summary = failed, cluster = 'host'): ObjectChange => ({
  type,
  cluster,
  kind: 'GitRepository',
  namespace: 'apps',
  name,
  resourceVersion: '2',
  summary,
});

const allApps = keys.list('gitrepositories', 'host', '', { page: 1, limit: 20 });
const inApps = keys.list('gitrepositories', 'host', 'apps', { name: 'po' });
const detail = keys.object('gitrepositories', 'host', 'apps', 'podinfo');

describe('planChange', () => {
  it('patches the summary and resourceVersion of a listed object in every cached list, in place', () => {
    const entries: CacheEntry[] = [
      { key: allApps, data: list(view('podinfo'), view('other')) },
      { key: inApps, data: list(view('podinfo')) },
      { key: detail, data: view('podinfo') },
    ];
    const plan = planChange(entries, change('applied', 'podinfo'));
    expect(plan.newObject).toBe(false);
    expect(plan.stale).toEqual([]);
    expect(plan.set.map((e) => e.key)).toEqual([allApps, inApps, detail]);
    const [first, , one] = plan.set;
    expect(first.data).toEqual({
      items: [
        { ...view('podinfo'), summary: failed, metadata: { ...view('podinfo').metadata, resourceVersion: '2' } },
        view('other'),
      ],
      totalItems: 2,
    });
    expect(one.data).toEqual({
      ...view('podinfo'),
      summary: failed,
      metadata: { ...view('podinfo').metadata, resourceVersion: '2' },
    });
    // The cached data itself is not changed.
    expect(entries[0].data).toEqual(list(view('podinfo'), view('other')));
  });

  it('removes a deleted object from cached lists at once and reads the lists and its detail again', () => {
    const entries: CacheEntry[] = [
      { key: allApps, data: list(view('podinfo'), view('other')) },
      { key: detail, data: view('podinfo') },
    ];
    const plan = planChange(entries, change('deleted', 'podinfo'));
    expect(plan.set).toEqual([{ key: allApps, data: list(view('other')) }]);
    // The list too: a read under way may answer from before the delete.
    expect(plan.stale).toEqual([allApps, detail]);
    expect(plan.newObject).toBe(false);
  });

  it('calls an applied object no cached list holds new', () => {
    const entries: CacheEntry[] = [{ key: allApps, data: list(view('other')) }];
    const plan = planChange(entries, change('applied', 'podinfo'));
    expect(plan).toEqual({ set: [], stale: [], newObject: true });
    // A deleted object nobody lists changes nothing.
    expect(planChange(entries, change('deleted', 'podinfo'))).toEqual({ set: [], stale: [], newObject: false });
    expect(planChange([], change('applied', 'podinfo')).newObject).toBe(true);
  });

  it("leaves other clusters' reads, other objects' details, sub-views and reads still loading", () => {
    const member = keys.list('gitrepositories', 'member-1', '', {});
    const entries: CacheEntry[] = [
      { key: member, data: list(view('podinfo', 'apps', 'member-1')) },
      { key: keys.object('gitrepositories', 'host', 'apps', 'other'), data: view('other') },
      { key: keys.object('gitrepositories', 'host', 'team-b', 'podinfo'), data: view('podinfo', 'team-b') },
      { key: keys.sub('gitrepositories', 'host', 'apps', 'podinfo', 'charts'), data: [] },
      { key: allApps, data: undefined },
    ];
    const plan = planChange(entries, change('applied', 'podinfo'));
    expect(plan).toEqual({ set: [], stale: [], newObject: true });
  });

  it('reads a patched view again when it shows more than the summary', () => {
    const entries: CacheEntry[] = [
      { key: allApps, data: list(view('podinfo')), refetch: true },
      { key: inApps, data: list(view('podinfo')) },
      { key: keys.list('gitrepositories', 'host', 'team-b', {}), data: list(view('x', 'team-b')), refetch: true },
    ];
    const plan = planChange(entries, change('applied', 'podinfo'));
    expect(plan.set.map((e) => e.key)).toEqual([allApps, inApps]);
    expect(plan.stale).toEqual([allApps]);
  });

  it('matches by namespace as well as name', () => {
    const entries: CacheEntry[] = [{ key: allApps, data: list(view('podinfo', 'team-b')) }];
    expect(planChange(entries, change('applied', 'podinfo')).newObject).toBe(true);
  });
});

describe('applicationsStale', () => {
  const kinds = KINDS;
  const of = (kind: string, cluster = 'host'): ObjectChange => ({ ...change('applied', 'x'), kind, cluster });
  it('reads every application view again when an Application changes', () => {
    expect(applicationsStale(of('Application'), kinds)).toBe('all');
  });
  it('reads the targets again when a delivery object in the host changes', () => {
    expect(applicationsStale(of('Kustomization'), kinds)).toBe('targets');
    expect(applicationsStale(of('HelmRelease'), undefined)).toBe('targets');
  });
  it('leaves them alone for sources and for members', () => {
    expect(applicationsStale(of('GitRepository'), kinds)).toBeNull();
    expect(applicationsStale(of('Kustomization', 'member-1'), kinds)).toBeNull();
  });
});

describe('workload changes', () => {
  const targets: TargetWorkloads[] = [
    {
      cluster: 'member-1',
      namespace: 'shop',
      state: 'healthy',
      workloads: [
        {
          kind: 'Deployment',
          namespace: 'web',
          name: 'demo',
          desired: 1,
          updated: 1,
          ready: 1,
          available: 1,
          rollingOut: false,
          state: 'healthy',
          images: [],
      podProblems: [],
        },
      ],
    },
    { cluster: 'member-2', namespace: 'shop', state: 'healthy', workloads: [] },
  ];
  const deployment = (cluster: string, namespace: string, name: string, ready: number): ObjectChange => ({
    type: 'applied',
    cluster,
    kind: 'Deployment',
    namespace,
    name,
    resourceVersion: '7',
    summary: { state: 'progressing', ready: 'False', suspended: false, reconcileHandled: true },
    replicas: { desired: 3, updated: 3, ready, available: ready },
  });

  it('concern a target by cluster and the namespace of the target or of its workloads', () => {
    expect(touchesWorkloads(targets, deployment('member-1', 'web', 'other', 1))).toBe(true);
    expect(touchesWorkloads(targets, { ...deployment('member-2', 'shop', 'x', 1), kind: 'Pod' })).toBe(true);
    expect(touchesWorkloads(targets, deployment('member-2', 'web', 'x', 1))).toBe(false);
    expect(touchesWorkloads(targets, { ...deployment('member-1', 'web', 'demo', 1), kind: 'GitRepository' })).toBe(false);
  });

  it('patch the replica counts of the workload shown, and nothing else', () => {
    const patched = patchWorkloads(targets, deployment('member-1', 'web', 'demo', 2));
    expect(patched?.[0].workloads[0]).toMatchObject({ desired: 3, ready: 2, updated: 3, available: 2, state: 'healthy' });
    expect(patched?.[1]).toBe(targets[1]);
    expect(patchWorkloads(targets, deployment('member-2', 'web', 'demo', 2))).toBeNull();
    expect(patchWorkloads(targets, { ...deployment('member-1', 'web', 'demo', 2), replicas: null })).toBeNull();
  });
});
