import type { ClusterView } from '../../api/types';
import { HOST } from '../../api/client';

/**
 * A cluster is healthy when it answers and its Flux (if any) is recent enough. Members in hub
 * mode need no Flux of their own: the host's Flux applies to them; the host needs Flux, and so
 * does a member in agent mode (its own Flux runs what ksflux applies there).
 */
export function clusterHealthy(c: ClusterView): boolean {
  const h = c.health;
  if (c.mode === 'agent' && c.agentBlocked) return false;
  return h.reachable && !h.fluxTooOld && (h.fluxInstalled || c.origin !== HOST);
}
