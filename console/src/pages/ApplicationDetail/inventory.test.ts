import { describe, expect, it } from 'vitest';
import {
  helmHistory,
  inventoryEntries,
  inventoryTree,
  parseInventoryId,
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
