import { WORKLOADS_DEGRADED } from '../../components/StateTag';
import type { ApplicationView } from '../../api/types';

/** A target whose Flux object is ready but whose workloads fail. */
export interface DegradedTarget {
  namespace: string;
  name: string;
  cluster: string;
  /** The failing workload and its pods' reason. */
  message: string;
}

/** The degraded targets of `apps`, by application then cluster. */
export function degradedTargets(apps: readonly ApplicationView[]): DegradedTarget[] {
  return apps
    .flatMap((a) =>
      (a.status?.targets ?? [])
        .filter((t) => t.ready === 'False' && t.reason === WORKLOADS_DEGRADED)
        .map((t) => ({
          namespace: String(a.metadata.namespace ?? ''),
          name: String(a.metadata.name ?? ''),
          cluster: t.cluster,
          message: t.message ?? '',
        })),
    )
    .sort(
      (x, y) =>
        x.namespace.localeCompare(y.namespace) || x.name.localeCompare(y.name) || x.cluster.localeCompare(y.cluster),
    );
}
