/**
 * What the cluster page derives from the API: the application targets deploying to the
 * cluster with their state, their counts by state, and the cluster's health over time as
 * periods. Pure, so it is unit-tested without a page.
 */
import { targetState, type TargetState } from '../../components/StateTag';
import type { ApplicationView, ClusterView } from '../../api/types';

/** One application target deploying to the cluster. */
export interface TargetRow {
  /** The application's namespace and name. */
  namespace: string;
  application: string;
  /** Where in the cluster it deploys. */
  targetNamespace: string;
  state: TargetState;
  reason: string;
  message: string;
  /** The revision last applied (or attempted, when none was applied yet). */
  revision: string;
  /** Ready and desired replicas of its workloads, when known. */
  workloads?: { ready: number; desired: number; state: string };
  /** When its readiness last changed. */
  since?: string;
}

/**
 * The targets of `apps` in `cluster`: those the controller reports (explicit or placed by
 * labels), then explicit ones not reported yet (progressing, or suspended); by namespace and
 * name.
 */
export function targetsOn(apps: readonly ApplicationView[], cluster: string): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const app of apps) {
    const namespace = String(app.metadata.namespace ?? '');
    const application = String(app.metadata.name ?? '');
    const st = app.status?.targets?.find((s) => s.cluster === cluster);
    const spec = app.spec.targets?.find((s) => s.cluster === cluster);
    if (st) {
      rows.push({
        namespace,
        application,
        targetNamespace: st.namespace,
        state: targetState(st.ready, st.suspended, st.reason),
        reason: st.reason ?? '',
        message: st.message ?? '',
        revision: st.lastAppliedRevision || st.lastAttemptedRevision || '',
        workloads: st.workloads,
        since: st.lastTransitionTime,
      });
    } else if (spec) {
      rows.push({
        namespace,
        application,
        targetNamespace: spec.namespace,
        state: spec.suspend || app.spec.suspend ? 'suspended' : 'progressing',
        reason: '',
        message: '',
        revision: '',
      });
    }
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.application.localeCompare(b.application));
}

/** The states counted, in the order shown. */
export const TARGET_STATES: TargetState[] = ['ready', 'degraded', 'failed', 'progressing', 'suspended', 'unknown'];

/** How many rows are in each state. */
export function countTargets(rows: readonly TargetRow[]): Record<TargetState, number> {
  const out = Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Record<TargetState, number>;
  for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}

/** A change of the cluster's health. */
export type Transition = NonNullable<ClusterView['history']>[number];

/** A stretch of time with one health: from a transition to the next (or now). */
export interface Period {
  from: number;
  to: number;
  reachable: boolean;
  message: string;
  /** Its share of the whole span (0–1). */
  share: number;
}

/**
 * The periods between the cluster's health transitions (oldest first), the last one until
 * `now`; transitions with an unreadable time are left out.
 */
export function periods(history: readonly Transition[] | undefined, now: number): Period[] {
  const points = (history ?? [])
    .map((h) => ({ at: Date.parse(h.at), reachable: h.reachable, message: h.message ?? '' }))
    .filter((p) => !Number.isNaN(p.at))
    .sort((a, b) => a.at - b.at);
  if (points.length === 0) return [];
  const end = Math.max(now, points[points.length - 1].at);
  const span = end - points[0].at;
  return points.map((p, i) => {
    const to = i + 1 < points.length ? points[i + 1].at : end;
    return {
      from: p.at,
      to,
      reachable: p.reachable,
      message: p.message,
      share: span > 0 ? (to - p.at) / span : 1 / points.length,
    };
  });
}

/** A unit of a duration: days, hours, minutes, seconds. */
export type Unit = 'd' | 'h' | 'm' | 's';

/** A duration in ms as its two largest non-zero units, e.g. [[2, 'h'], [5, 'm']], or [[0, 's']]. */
export function durationParts(ms: number): [number, Unit][] {
  const s = Math.max(0, Math.round(ms / 1000));
  const all: [number, Unit][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = all.findIndex(([n]) => n > 0);
  if (first < 0) return [[0, 's']];
  return all.slice(first, first + 2).filter(([n]) => n > 0);
}
