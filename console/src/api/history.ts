/**
 * The release history, the audit log, Helm rollback proposals and Receivers' webhook URLs:
 * one react-query hook each, keyed like the rest (the cluster where there is one).
 */
import { useQuery } from '@tanstack/react-query';
import { get, HOST, type Params } from './client';
import { resourcePath } from './hooks';
import type { AuditList, ReceiverWebhook, ReleaseList, RollbackProposal } from './types';

/** How often an open history or audit view reads again (releases also arrive live). */
const REFRESH_MS = 10_000;

export const historyKeys = {
  application: (namespace: string, name: string, p: Params) =>
    ['history', 'application', namespace, name, p] as const,
  object: (resource: string, cluster: string, namespace: string, name: string, p: Params) =>
    ['history', 'object', resource, cluster, namespace, name, p] as const,
  audit: (namespace: string, p: Params) => ['history', 'audit', namespace, p] as const,
  rollback: (namespace: string, name: string, target: string, release: number) =>
    ['history', 'rollback', namespace, name, target, release] as const,
  webhook: (cluster: string, namespace: string, name: string) =>
    ['flux', 'receivers', cluster, namespace, 'sub', name, 'webhook'] as const,
};

/** An application's releases, every target, newest first. */
export function useApplicationHistory(namespace: string, name: string, p: Params = {}) {
  return useQuery(
    historyKeys.application(namespace, name, p),
    ({ signal }) =>
      get<ReleaseList>(resourcePath('applications', namespace, name, 'history'), { limit: 500, ...p }, signal),
    { enabled: !!namespace && !!name, refetchInterval: REFRESH_MS, keepPreviousData: true },
  );
}

/**
 * The releases of one Flux object in `cluster`, newest first: for a source, each revision it
 * fetched (from Flux's events ksflux stored).
 */
export function useObjectHistory(resource: string, cluster: string, namespace: string, name: string, p: Params = {}) {
  return useQuery(
    historyKeys.object(resource, cluster, namespace, name, p),
    ({ signal }) => get<ReleaseList>(resourcePath(resource, namespace, name, 'history'), { cluster, limit: 50, ...p }, signal),
    { enabled: !!resource && !!namespace && !!name, refetchInterval: REFRESH_MS, keepPreviousData: true, retry: false },
  );
}

/** The audit log of a namespace ('' = every namespace the user may list), newest first. */
export function useAudit(namespace: string, p: Params = {}) {
  return useQuery(
    historyKeys.audit(namespace, p),
    ({ signal }) => get<AuditList>(namespace ? `/namespaces/${encodeURIComponent(namespace)}/audit` : '/audit', p, signal),
    { refetchInterval: REFRESH_MS, keepPreviousData: true },
  );
}

/** What rolling `target` back to `release` would change (nothing written); `null` = not asked. */
export function useRollbackProposal(namespace: string, name: string, target: string, release: number | null) {
  return useQuery(
    historyKeys.rollback(namespace, name, target, release ?? 0),
    () =>
      get<RollbackProposal>(resourcePath('applications', namespace, name, 'rollback'), {
        target,
        release: release ?? 0,
      }),
    { enabled: release !== null, retry: false, staleTime: 0, cacheTime: 0 },
  );
}

/** A Receiver's webhook path and URL; read again until the controller has given it a path. */
export function useReceiverWebhook(namespace: string, name: string, cluster = HOST, enabled = true) {
  return useQuery(
    historyKeys.webhook(cluster, namespace, name),
    () => get<ReceiverWebhook>(resourcePath('receivers', namespace, name, 'webhook'), { cluster }),
    {
      enabled: enabled && !!name && !!namespace,
      refetchInterval: (data) => (data?.path ? false : 2_000),
    },
  );
}
