import { describe, expect, it } from 'vitest';
import type { ApplicationView } from '../../api/types';
import { rolloutActions, stateTone, waveCounts, type RolloutStatus } from './rollout';
import { targetRows } from './Targets';

const base: RolloutStatus = {
  revision: 'b',
  phase: 'Progressing',
  currentWave: 0,
  stableRevision: 'a',
  waves: [
    { name: 'staging', state: 'progressing', targets: [{ cluster: 'm1', state: 'healthy' }, { cluster: 'm2', state: 'progressing' }] },
    { name: 'production', state: 'pending', targets: [{ cluster: 'm3', state: 'pending' }] },
  ],
};

describe('rollout actions', () => {
  it('offers pause, promote and rollback while a wave is under way', () => {
    expect(rolloutActions(base)).toEqual(['pause', 'promote', 'rollback']);
  });
  it('offers resume when paused, and no rollback without a stable revision or of a rolled-back wave', () => {
    expect(rolloutActions({ ...base, phase: 'Paused', stableRevision: undefined })).toEqual(['resume', 'promote']);
    const rolledBack = { ...base, phase: 'Paused', waves: [{ ...base.waves[0], state: 'rolledBack' }, base.waves[1]] };
    expect(rolloutActions(rolledBack)).toEqual(['resume', 'promote']);
  });
  it('offers nothing once completed or without a rollout', () => {
    expect(rolloutActions({ ...base, phase: 'Completed', currentWave: 2 })).toEqual([]);
    expect(rolloutActions(undefined)).toEqual([]);
  });
});

describe('wave display', () => {
  it('colours states and counts healthy targets', () => {
    expect(['healthy', 'failed', 'soaking', 'paused'].map(stateTone)).toEqual(['ok', 'bad', 'busy', 'idle']);
    expect(waveCounts(base.waves[0])).toEqual({ healthy: 1, total: 2 });
  });
});

describe('target rows in a rollout', () => {
  const app = (phase: string) =>
    ({
      metadata: { name: 'web', namespace: 'team-a' },
      spec: {
        source: { kind: 'GitRepository', name: 'repo' },
        kustomize: {},
        targets: [
          { cluster: 'm1', namespace: 'web' },
          { cluster: 'm3', namespace: 'web' },
        ],
      },
      status: { rollout: { ...base, phase } },
    }) as unknown as ApplicationView;

  it('carries each target’s wave and state while a rollout is under way, and nothing once completed', () => {
    const rows = targetRows(app('Paused'));
    expect(rows.map((r) => r.wave)).toEqual([
      { name: 'staging', state: 'healthy' },
      { name: 'production', state: 'pending' },
    ]);
    expect(targetRows(app('Completed')).every((r) => r.wave === undefined)).toBe(true);
  });
});
