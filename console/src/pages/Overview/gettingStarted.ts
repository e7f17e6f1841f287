/**
 * The overview's first steps: register a member cluster, add a source, create an application,
 * each done or not from what the API reports (in the namespace picked, if any). Pure, so it is
 * unit-tested without a page.
 */
import type { ClusterView, FleetSummary } from '../../api/types';

/** The source kinds a person adds (HelmCharts are made by HelmReleases, so they do not count). */
export const ADDED_SOURCE_KINDS = ['GitRepository', 'HelmRepository', 'OCIRepository', 'Bucket'] as const;

/** Where the dismissal of the card is remembered. */
export const DISMISSED_KEY = 'ksflux.gettingStarted.dismissed';

export type StepId = 'cluster' | 'source' | 'application';

export interface Step {
  id: StepId;
  done: boolean;
}

export interface GettingStarted {
  steps: Step[];
  /** How many steps are done. */
  done: number;
  /** Whether the card is shown: the fleet looks empty to the user and a step is left. */
  show: boolean;
}

/** How many sources of the kinds a person adds the summary counts. */
export function sourceCount(summary: Pick<FleetSummary, 'byKind'>): number {
  return ADDED_SOURCE_KINDS.reduce((n, k) => n + (summary.byKind[k]?.total ?? 0), 0);
}

/**
 * The steps, from the clusters, the summary (of the namespace picked, or of every namespace)
 * and how many applications there are; `undefined` until all three are read. The card shows
 * while the fleet looks empty (no application and no source, or no member cluster) and some
 * step is left.
 */
export function gettingStarted(
  clusters: Pick<ClusterView, 'origin'>[] | undefined,
  summary: Pick<FleetSummary, 'byKind'> | undefined,
  applications: number | undefined,
): GettingStarted | undefined {
  if (!clusters || !summary || applications === undefined) return undefined;
  const members = clusters.filter((c) => c.origin !== 'host').length;
  const sources = sourceCount(summary);
  const steps: Step[] = [
    { id: 'cluster', done: members > 0 },
    { id: 'source', done: sources > 0 },
    { id: 'application', done: applications > 0 },
  ];
  const done = steps.filter((s) => s.done).length;
  const empty = (applications === 0 && sources === 0) || members === 0;
  return { steps, done, show: empty && done < steps.length };
}
