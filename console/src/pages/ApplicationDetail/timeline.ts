/**
 * The release timeline's layout: one lane per cluster (the application's targets, in the
 * spec's order, then any other cluster the history names), each release a mark placed by its
 * start on one time axis shared by all lanes, coloured by outcome; a release's predecessor in
 * its lane, and what changed between them. Pure, so it is unit-tested.
 */
import type { Outcome, Release } from '../../api/types';

/** One release placed on its lane: `x` is its start on the shared axis, 0 (oldest) to 1. */
export interface Mark {
  release: Release;
  x: number;
}

/** A cluster's lane: its releases, oldest first. */
export interface Lane {
  cluster: string;
  marks: Mark[];
}

/** The cluster a release belongs to: the application target it deploys to, else its object's. */
export function laneOf(r: Release): string {
  return r.target ?? r.cluster;
}

/**
 * The lanes: one per cluster in `clusters` (even without releases), then one per other cluster
 * the releases name, alphabetically. Marks share one axis from the oldest start to the newest
 * start; when every release started at the same moment they sit in the middle. Within a lane
 * marks stay at least `minGap` apart (a fraction of the axis), so releases close in time can
 * each be pointed at; their order is kept.
 */
export function layoutLanes(releases: readonly Release[], clusters: readonly string[], minGap = 0): Lane[] {
  const names = [...clusters];
  const others = [...new Set(releases.map(laneOf))].filter((c) => !names.includes(c)).sort();
  names.push(...others);
  const starts = releases.map((r) => r.startedAt);
  const min = Math.min(...starts);
  const max = Math.max(...starts);
  const x = (t: number) => (max > min ? (t - min) / (max - min) : 0.5);
  return names.map((cluster) => {
    const marks = releases
      .filter((r) => laneOf(r) === cluster)
      .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)
      .map((release) => ({ release, x: x(release.startedAt) }));
    return { cluster, marks: spread(marks, minGap) };
  });
}

/** Moves marks apart to at least `gap` (keeping their order and the axis' ends), in place. */
export function spread(marks: Mark[], gap: number): Mark[] {
  const n = marks.length;
  if (gap <= 0 || n < 2) return marks;
  if ((n - 1) * gap >= 1) {
    marks.forEach((m, i) => (m.x = i / (n - 1)));
    return marks;
  }
  for (let i = 1; i < n; i++) marks[i].x = Math.max(marks[i].x, marks[i - 1].x + gap);
  if (marks[n - 1].x > 1) {
    marks[n - 1].x = 1;
    for (let i = n - 2; i >= 0; i--) marks[i].x = Math.min(marks[i].x, marks[i + 1].x - gap);
  }
  return marks;
}

/** The colour of an outcome (KubeSphere's green, red and blue). */
export function outcomeColor(outcome: Outcome): string {
  switch (outcome) {
    case 'succeeded':
      return '#55bc8a';
    case 'failed':
      return '#ca2621';
    default:
      return '#329dce';
  }
}

/** Whether two entries are the same release (a stored one by id; a `status.history` one by object and start). */
function same(a: Release, b: Release): boolean {
  return a.id !== 0 || b.id !== 0 ? a.id === b.id : a.kind === b.kind && a.name === b.name && a.startedAt === b.startedAt;
}

/** The release before `r` in its lane (of the same Flux object), if any. */
export function previousOf(r: Release, releases: readonly Release[]): Release | undefined {
  return releases
    .filter(
      (o) =>
        laneOf(o) === laneOf(r) &&
        o.kind === r.kind &&
        o.name === r.name &&
        !same(o, r) &&
        (o.startedAt < r.startedAt || (o.startedAt === r.startedAt && o.id < r.id)),
    )
    .sort((a, b) => b.startedAt - a.startedAt || b.id - a.id)[0];
}

/** One field that differs between a release and the one before it. */
export interface FieldChange {
  field: 'revision' | 'chartVersion' | 'helmVersion' | 'valuesDigest' | 'outcome';
  before: string;
  after: string;
}

const FIELDS: FieldChange['field'][] = ['revision', 'chartVersion', 'helmVersion', 'valuesDigest', 'outcome'];

/** What changed from `prev` to `r` (every field set on `r` when there is no `prev`). */
export function releaseChanges(prev: Release | undefined, r: Release): FieldChange[] {
  const text = (x: Release | undefined, f: FieldChange['field']): string => {
    const v = x?.[f];
    return v === null || v === undefined ? '' : String(v);
  };
  return FIELDS.filter((f) => text(prev, f) !== text(r, f)).map((f) => ({
    field: f,
    before: text(prev, f),
    after: text(r, f),
  }));
}

/** A revision with its digests shortened (`main@sha1:0123456789ab`). */
export function shortRevision(rev: string): string {
  return rev.replace(/\b(sha1|sha256):([0-9a-f]{12})[0-9a-f]+/g, '$1:$2');
}

/** A duration for people: `850 ms`, `12.3 s`, `3 min 4 s`; '' when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** Whether a release can be rolled back to: a stored HelmRelease release (ksflux heard it). */
export function canRollBackTo(r: Release): boolean {
  return r.kind === 'HelmRelease' && r.id > 0 && r.outcome === 'succeeded';
}
