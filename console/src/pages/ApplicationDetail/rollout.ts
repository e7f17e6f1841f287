/** What the rollout picture needs from an application's `status.rollout`, pure. */
import type { ApplicationStatus } from '../../api/types';

export type RolloutStatus = NonNullable<ApplicationStatus['rollout']>;
export type WaveStatus = RolloutStatus['waves'][number];

/** What a rollout can be asked to do. */
export type RolloutAction = 'pause' | 'resume' | 'promote' | 'rollback';

/** The actions that make sense now: none once completed; resume only when paused. */
export function rolloutActions(r: RolloutStatus | null | undefined): RolloutAction[] {
  if (!r || r.phase === 'Completed') return [];
  const wave = r.waves[r.currentWave];
  const out: RolloutAction[] = [];
  if (r.phase === 'Paused') out.push('resume');
  else out.push('pause');
  if (wave) out.push('promote');
  if (wave && r.stableRevision && wave.state !== 'rolledBack') out.push('rollback');
  return out;
}

/** The colour family of a wave's or a target's state. */
export function stateTone(state: string): 'ok' | 'bad' | 'busy' | 'idle' {
  if (state === 'healthy') return 'ok';
  if (state === 'failed') return 'bad';
  if (state === 'progressing' || state === 'soaking') return 'busy';
  return 'idle';
}

/** Counts of a wave's targets: healthy of all. */
export function waveCounts(w: WaveStatus): { healthy: number; total: number } {
  return { healthy: w.targets.filter((t) => t.state === 'healthy').length, total: w.targets.length };
}

/** The words for a wave's or a target's rollout state (translation keys). */
export const STATE_LABELS: Record<string, string> = {
  pending: 'Pending',
  progressing: 'Progressing',
  soaking: 'Soaking',
  healthy: 'Healthy',
  failed: 'Failed',
  paused: 'Paused',
  rolledBack: 'Rolled back',
};
