import { describe, expect, it } from 'vitest';
import {
  helmHistory,
  inventoryEntries,
  inventoryTree,
  lineDiff,
  liveCounts,
  liveTree,
  parseInventoryId,
  projectOnto,
  sortEvents,
  withoutManagedFields,
} from './inventory';

describe('parseInventoryId', () => {
  it('reads a namespaced object of a named group', () => {
    expect(parseInventoryId('demo_web_apps_Deployment', 'v1')).toEqual({
      namespace: 'demo',
      name: 'web',
      group: 'apps',
      kind: 'Deployment',
      version: 'v1',
    });
  });

  it('reads the core group (empty) and cluster-scoped objects (empty namespace)', () => {
    expect(parseInventoryId('demo_web__Service')).toMatchObject({
      namespace: 'demo',
      name: 'web',
      group: '',
      kind: 'Service',
    });
    expect(parseInventoryId('_demo__Namespace')).toMatchObject({
      namespace: '',
      name: 'demo',
      group: '',
      kind: 'Namespace',
    });
    expect(parseInventoryId('_podinfo-view_rbac.authorization.k8s.io_ClusterRole')).toMatchObject({
      namespace: '',
      name: 'podinfo-view',
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
    });
  });

  it('keeps underscores in names', () => {
    const id = '_system_auth_delegator_rbac.authorization.k8s.io_ClusterRoleBinding';
    expect(parseInventoryId(id)).toMatchObject({
      namespace: '',
      name: 'system_auth_delegator',
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRoleBinding',
    });
  });

  it('rejects ids without four parts or without a name', () => {
    expect(parseInventoryId('demo_web_Deployment')).toBeNull();
    expect(parseInventoryId('')).toBeNull();
    expect(parseInventoryId('demo___Service')).toBeNull();
  });
});

describe('inventoryTree', () => {
  it('groups by namespace then kind, sorted, cluster-scoped first, duplicates once', () => {
    const tree = inventoryTree([
      { id: 'demo_web_apps_Deployment', v: 'v1' },
      { id: 'demo_api_apps_Deployment', v: 'v1' },
      { id: 'demo_web__Service', v: 'v1' },
      { id: 'demo_web__Service', v: 'v1' },
      { id: 'other_cache_apps_StatefulSet', v: 'v1' },
      { id: '_demo__Namespace', v: 'v1' },
      { id: 'broken', v: 'v1' },
    ]);
    expect(tree.map((n) => n.namespace)).toEqual(['', 'demo', 'other']);
    expect(tree[0]).toEqual({
      namespace: '',
      count: 1,
      kinds: [{ kind: 'Namespace', group: '', apiVersion: 'v1', names: ['demo'] }],
    });
    expect(tree[1].count).toBe(3);
    expect(tree[1].kinds).toEqual([
      { kind: 'Deployment', group: 'apps', apiVersion: 'apps/v1', names: ['api', 'web'] },
      { kind: 'Service', group: '', apiVersion: 'v1', names: ['web'] },
    ]);
    expect(tree[2].kinds[0]).toMatchObject({ kind: 'StatefulSet', names: ['cache'] });
  });

  it('is empty without entries', () => {
    expect(inventoryTree([])).toEqual([]);
  });
});

describe('object helpers', () => {
  it('reads inventory entries from a Kustomization status', () => {
    const ks = { status: { inventory: { entries: [{ id: 'a_b__C', v: 'v1' }, { v: 'x' }] } } };
    expect(inventoryEntries(ks)).toEqual([{ id: 'a_b__C', v: 'v1' }]);
    expect(inventoryEntries(null)).toEqual([]);
    expect(inventoryEntries({ status: {} })).toEqual([]);
  });

  it('orders Helm history newest first', () => {
    const hr = {
      status: {
        history: [
          { version: 1, chartVersion: '1.0.0', status: 'superseded' },
          { version: 3, chartVersion: '1.2.0', status: 'deployed' },
          { version: 2, chartVersion: '1.1.0', status: 'failed' },
        ],
      },
    };
    expect(helmHistory(hr).map((h) => h.version)).toEqual([3, 2, 1]);
    expect(helmHistory({})).toEqual([]);
  });

  it('orders events newest first, by lastTimestamp or eventTime', () => {
    const events = sortEvents([
      { reason: 'old', lastTimestamp: '2024-01-01T00:00:00Z' },
      { reason: 'new', eventTime: '2024-03-01T00:00:00Z' },
      { reason: 'mid', lastTimestamp: '2024-02-01T00:00:00Z' },
      { reason: 'unknown' },
    ]);
    expect(events.map((e) => e.reason)).toEqual(['new', 'mid', 'old', 'unknown']);
  });

  it('drops managedFields and keeps the rest', () => {
    const o = { kind: 'X', metadata: { name: 'a', managedFields: [{ manager: 'k' }] } };
    expect(withoutManagedFields(o)).toEqual({ kind: 'X', metadata: { name: 'a' } });
    expect(o.metadata.managedFields).toHaveLength(1);
  });
});

describe('the live inventory tree', () => {
  const objects = [
    { id: 'shop_web_apps_Deployment', namespace: 'shop', name: 'web', group: 'apps', kind: 'Deployment', health: 'degraded', drifted: true },
    { id: 'shop_cfg__ConfigMap', namespace: 'shop', name: 'cfg', group: '', kind: 'ConfigMap', health: 'healthy', drifted: false },
    { id: 'shop_api_apps_Deployment', namespace: 'shop', name: 'api', group: 'apps', kind: 'Deployment', health: 'healthy', drifted: false },
    { id: '_shop__Namespace', namespace: '', name: 'shop', group: '', kind: 'Namespace', health: 'missing', drifted: null },
  ];

  it('groups by namespace then kind, and filters unhealthy or drifted objects', () => {
    const all = liveTree(objects, 'all');
    expect(all.map((n) => n.namespace)).toEqual(['', 'shop']);
    expect(all[1].kinds.map((k) => [k.kind, k.objects.map((o) => o.name)])).toEqual([
      ['ConfigMap', ['cfg']],
      ['Deployment', ['api', 'web']],
    ]);
    const bad = liveTree(objects, 'unhealthy');
    expect(bad.flatMap((n) => n.kinds.flatMap((k) => k.objects.map((o) => o.name)))).toEqual(['shop', 'web']);
    const drifted = liveTree(objects, 'drifted');
    expect(drifted.flatMap((n) => n.kinds.flatMap((k) => k.objects.map((o) => o.name)))).toEqual(['web']);
    expect(liveCounts(objects)).toEqual({ total: 4, unhealthy: 2, drifted: 1 });
  });

  it('diffs lines, keeping what is common', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
    ]);
    expect(lineDiff('', 'a')).toEqual([{ op: '+', text: 'a' }]);
  });

  it('projects the live object onto what was applied', () => {
    const desired = { spec: { replicas: 1, template: { containers: [{ name: 'web', image: 'a' }] } }, status: {} };
    const live = {
      metadata: { uid: 'u' },
      spec: { replicas: 3, strategy: {}, template: { containers: [{ name: 'web', image: 'b', imagePullPolicy: 'Always' }] } },
      status: { replicas: 3 },
    };
    expect(projectOnto(desired, live)).toEqual({ spec: { replicas: 3, template: { containers: [{ name: 'web', image: 'b' }] } } });
    // A field added outside Flux (named by the drift) is kept too.
    const edited = { ...live, spec: { ...live.spec, template: { containers: [{ name: 'web', image: 'b', env: [{ name: 'E', value: '1' }] }] } } };
    expect(projectOnto(desired, edited, ['spec.template.containers[name=web].env'])).toEqual({
      spec: { replicas: 3, template: { containers: [{ name: 'web', image: 'b', env: [{ name: 'E', value: '1' }] }] } },
    });
  });
});
