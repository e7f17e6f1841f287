import { describe, expect, it } from 'vitest';
import type { ApplicationView, TargetStatus } from '../../api/types';
import { degradedTargets } from './degraded';

const target = (cluster: string, ready: string, reason: string, message = ''): TargetStatus => ({
  cluster,
  namespace: 'web',
  objectRef: `Kustomization/shop/x-${cluster}`,
  ready,
  reason,
  message,
});

const app = (namespace: string, name: string, targets: TargetStatus[]): ApplicationView => ({
  apiVersion: 'fluxcd.kubesphere.io/v1alpha1',
  kind: 'Application',
  cluster: 'host',
  metadata: { namespace, name },
  spec: { source: { kind: 'GitRepository', name: 'demo' }, targets: [] },
  status: { conditions: [], targets },
  summary: { state: 'failed', ready: 'False', suspended: false, reconcileHandled: true },
  credentialStatus: {},
});

describe('degradedTargets', () => {
  it('lists targets whose workloads fail, not those Flux failed or that are ready', () => {
    const apps = [
      app('team-b', 'web', [
        target('member-1', 'False', 'WorkloadsDegraded', 'Deployment web: 1 pod(s) CrashLoopBackOff'),
        target('host', 'True', 'ReconciliationSucceeded'),
      ]),
      app('team-a', 'shop', [
        target('member-2', 'False', 'HealthCheckFailed', 'timeout'),
        target('member-1', 'False', 'WorkloadsDegraded', 'Deployment shop: 1 pod(s) ImagePullBackOff'),
      ]),
    ];
    expect(degradedTargets(apps)).toEqual([
      { namespace: 'team-a', name: 'shop', cluster: 'member-1', message: 'Deployment shop: 1 pod(s) ImagePullBackOff' },
      { namespace: 'team-b', name: 'web', cluster: 'member-1', message: 'Deployment web: 1 pod(s) CrashLoopBackOff' },
    ]);
    expect(degradedTargets([app('a', 'b', [])])).toEqual([]);
  });
});
