import type { ClusterView } from '../../api/types';
import { HOST } from '../../api/client';

/**
 * A cluster is healthy when it answers and its Flux (if any) is recent enough. Members need no
 * Flux of their own: the host's Flux applies to them (hub mode); the host needs Flux.
 */
export function clusterHealthy(c: ClusterView): boolean {
  const h = c.health;
  return h.reachable && !h.fluxTooOld && (h.fluxInstalled || c.origin !== HOST);
}
