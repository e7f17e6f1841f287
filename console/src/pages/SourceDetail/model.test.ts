import { describe, expect, it } from 'vitest';
import type { ApplicationView } from '../../api/types';
import { applicationsUsing, artifactOf, conditionsOf, formatSize, refOf } from './model';

describe('a source', () => {
  it('has its artifact read from the status', () => {
    expect(artifactOf({})).toBeUndefined();
    expect(
      artifactOf({
        artifact: { revision: 'main@sha1:abc', digest: 'sha256:def', size: 2048, lastUpdateTime: '2025-01-01T00:00:00Z' },
      }),
    ).toEqual({ revision: 'main@sha1:abc', digest: 'sha256:def', size: 2048, lastUpdateTime: '2025-01-01T00:00:00Z' });
    expect(artifactOf({ artifact: { revision: 'r' } })?.size).toBeUndefined();
  });

  it('has its conditions Ready first', () => {
    const c = conditionsOf({
      conditions: [
        { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message: 'stored' },
        { type: 'Ready', status: 'False', reason: 'GitOperationFailed', message: 'auth' },
        { status: 'True' },
      ],
    });
    expect(c.map((x) => x.type)).toEqual(['Ready', 'ArtifactInStorage']);
    expect(conditionsOf(undefined)).toEqual([]);
  });

  it('says sizes and references for people', () => {
    expect(formatSize(900)).toBe('900 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(20 * 1024 * 1024)).toBe('20 MiB');
    expect(refOf({ ref: { branch: 'main' } })).toEqual({ key: 'branch', value: 'main' });
    expect(refOf({ ref: { branch: 'main', commit: 'abc' } })).toEqual({ key: 'commit', value: 'abc' });
    expect(refOf({ url: 'x' })).toBeUndefined();
  });

  it('is used by the applications of its namespace that name it', () => {
    const app = (name: string, namespace: string, kind: string, source: string) =>
      ({ metadata: { name, namespace }, spec: { source: { kind, name: source }, targets: [] } }) as unknown as ApplicationView;
    const apps = [
      app('web', 'team-a', 'GitRepository', 'samples'),
      app('api', 'team-a', 'GitRepository', 'samples'),
      app('chart', 'team-a', 'HelmRepository', 'samples'),
      app('elsewhere', 'team-b', 'GitRepository', 'samples'),
      app('other', 'team-a', 'GitRepository', 'other'),
    ];
    expect(applicationsUsing(apps, 'GitRepository', 'team-a', 'samples').map((a) => a.metadata.name)).toEqual([
      'api',
      'web',
    ]);
  });
});
