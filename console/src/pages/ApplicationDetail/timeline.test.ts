import { describe, expect, it } from 'vitest';
import type { Release } from '../../api/types';
import {
  canRollBackTo,
  formatDuration,
  layoutLanes,
  outcomeColor,
  previousOf,
  releaseChanges,
  shortRevision,
} from './timeline';

const rel = (id: number, target: string, startedAt: number, extra: Partial<Release> = {}): Release => ({
  id,
  cluster: 'host',
  target,
  application: 'podinfo',
  kind: 'Kustomization',
  namespace: 'team-a',
  name: `podinfo-${target}`,
  revision: `main@sha1:${String(id).repeat(40).slice(0, 40)}`,
  outcome: 'succeeded',
  reason: 'ReconciliationSucceeded',
  message: 'applied',
  startedAt,
  finishedAt: startedAt + 1000,
  durationMs: 1000,
  events: 1,
  origin: 'host',
  ...extra,
});

describe('layoutLanes', () => {
  it('gives every target a lane in the spec order, then other clusters alphabetically', () => {
    const lanes = layoutLanes([rel(1, 'member-9', 10), rel(2, 'member-1', 20), rel(3, 'member-3', 30)], [
      'member-2',
      'member-1',
    ]);
    expect(lanes.map((l) => l.cluster)).toEqual(['member-2', 'member-1', 'member-3', 'member-9']);
    expect(lanes[0].marks).toEqual([]);
  });

  it('places marks by start on one axis shared by every lane, oldest first', () => {
    const lanes = layoutLanes([rel(3, 'a', 300), rel(1, 'a', 100), rel(2, 'b', 200)], ['a', 'b']);
    expect(lanes[0].marks.map((m) => [m.release.id, m.x])).toEqual([
      [1, 0],
      [3, 1],
    ]);
    expect(lanes[1].marks.map((m) => m.x)).toEqual([0.5]);
  });

  it('puts releases that all started together in the middle', () => {
    expect(layoutLanes([rel(1, 'a', 5)], ['a'])[0].marks[0].x).toBe(0.5);
  });

  it('keeps marks close in time apart, in order, inside the axis', () => {
    const lanes = layoutLanes([rel(1, 'a', 0), rel(2, 'a', 990), rel(3, 'a', 1000), rel(4, 'b', 500)], ['a', 'b'], 0.05);
    const xs = lanes[0].marks.map((m) => m.x);
    expect(xs[0]).toBe(0);
    expect(xs[2]).toBe(1);
    expect(xs[1]).toBeCloseTo(0.95);
    expect(lanes[1].marks[0].x).toBe(0.5);
  });

  it('spaces marks evenly when they cannot all keep the gap', () => {
    const lanes = layoutLanes([rel(1, 'a', 0), rel(2, 'a', 1), rel(3, 'a', 2)], ['a'], 0.6);
    expect(lanes[0].marks.map((m) => m.x)).toEqual([0, 0.5, 1]);
  });

  it('uses the object cluster when a release has no target', () => {
    const lanes = layoutLanes([rel(1, 'x', 1, { target: null, cluster: 'host' })], []);
    expect(lanes.map((l) => l.cluster)).toEqual(['host']);
  });
});

describe('previousOf and releaseChanges', () => {
  const all = [rel(1, 'a', 100), rel(2, 'b', 150), rel(3, 'a', 200, { outcome: 'failed' }), rel(4, 'a', 300)];

  it('finds the release before in the same lane', () => {
    expect(previousOf(all[3], all)?.id).toBe(3);
    expect(previousOf(all[2], all)?.id).toBe(1);
    expect(previousOf(all[0], all)).toBeUndefined();
    expect(previousOf(all[1], all)).toBeUndefined();
  });

  it('names each field that changed, before and after', () => {
    const changes = releaseChanges(all[2], all[3]);
    expect(changes.map((c) => c.field)).toEqual(['revision', 'outcome']);
    expect(changes[1]).toEqual({ field: 'outcome', before: 'failed', after: 'succeeded' });
  });

  it('lists every field set for the first release', () => {
    const helm = rel(5, 'a', 1, { kind: 'HelmRelease', chartVersion: '6.5.0', helmVersion: 1, valuesDigest: null });
    expect(releaseChanges(undefined, helm).map((c) => c.field)).toEqual([
      'revision',
      'chartVersion',
      'helmVersion',
      'outcome',
    ]);
  });
});

describe('labels', () => {
  it('colours outcomes', () => {
    expect(outcomeColor('succeeded')).toBe('#55bc8a');
    expect(outcomeColor('failed')).toBe('#ca2621');
    expect(outcomeColor('progressing')).toBe('#329dce');
  });

  it('writes durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(null)).toBe('');
  });

  it('shortens digests', () => {
    expect(shortRevision(`main@sha1:${'a'.repeat(40)}`)).toBe('main@sha1:aaaaaaaaaaaa');
  });

  it('rolls back only to stored, successful Helm releases', () => {
    expect(canRollBackTo(rel(1, 'a', 1, { kind: 'HelmRelease' }))).toBe(true);
    expect(canRollBackTo(rel(0, 'a', 1, { kind: 'HelmRelease' }))).toBe(false);
    expect(canRollBackTo(rel(1, 'a', 1))).toBe(false);
    expect(canRollBackTo(rel(1, 'a', 1, { kind: 'HelmRelease', outcome: 'failed' }))).toBe(false);
  });
});
