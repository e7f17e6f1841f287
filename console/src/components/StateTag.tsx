import { StatusDot } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import type { State } from '../api/types';

const COLORS: Record<string, string> = {
  ready: 'success',
  healthy: 'success',
  degraded: 'error',
  progressing: 'warning',
  failed: 'error',
  suspended: 'default',
  unknown: 'default',
  missing: 'error',
};

const LABELS: Record<string, string> = {
  ready: 'Ready',
  healthy: 'Healthy',
  degraded: 'Degraded',
  progressing: 'Progressing',
  failed: 'Failed',
  suspended: 'Suspended',
  unknown: 'Unknown',
  missing: 'Missing',
};

/** An object's state as a coloured dot and a word. */
export function StateTag({ state, title }: { state: State | string; title?: string }) {
  const { t } = useTranslation();
  return (
    <span title={title} data-state={state} style={{ display: 'inline-flex' }}>
      <StatusDot color={COLORS[state] ?? 'default'} motion={state === 'progressing'}>
        {t(LABELS[state] ?? state)}
      </StatusDot>
    </span>
  );
}

/** A target's state: an object's, or `degraded` (Flux applied it, its workloads fail). */
export type TargetState = State | 'degraded';

/** The reason the API gives a target whose Flux object is ready but whose workloads fail. */
export const WORKLOADS_DEGRADED = 'WorkloadsDegraded';

/**
 * The state of a target (or an application) from its Ready condition's status and reason,
 * and whether it is suspended.
 */
export function targetState(ready: string | undefined, suspended?: boolean, reason?: string): TargetState {
  if (suspended) return 'suspended';
  if (ready === 'True') return 'ready';
  if (ready === 'False') return reason === WORKLOADS_DEGRADED ? 'degraded' : 'failed';
  return 'progressing';
}
