/**
 * Server state: one react-query hook per thing the pages read, keyed by cluster (every Flux
 * query key names its cluster), typed by what the API returns (applications have their own
 * hooks), and the mutations they perform. Live changes from the event stream update the
 * cached reads of their kind and cluster (see `live.tsx`).
 */
import { useMutation, useQueries, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import { del, get, HOST, post, put, type Params } from './client';
import type {
  Action,
  ApplicationList,
  ApplicationRequest,
  ApplicationSpec,
  ApplicationView,
  Chart,
  ClusterList,
  ClusterMode,
  ClusterSource,
  ClusterView,
  FleetSummary,
  Inventory,
  KindList,
  NamespaceList,
  ObjectList,
  ObjectManifests,
  ObjectRequest,
  ObjectStatusList,
  ObjectView,
  RegisterCluster,
  Rendered,
  SetMode,
  TargetDetail,
  TargetWorkloads,
  TargetDiff,
  User,
} from './types';

/** Query keys, so invalidation and the live stream agree on them. */
export const keys = {
  whoami: ['whoami'] as const,
  kinds: ['kinds'] as const,
  clusters: ['clusters'] as const,
  summary: (p: Params) => ['status', 'summary', p] as const,
  objects: (p: Params) => ['status', 'objects', p] as const,
  list: (resource: string, cluster: string, namespace: string, p: Params) =>
    ['flux', resource, cluster, namespace, 'list', p] as const,
  object: (resource: string, cluster: string, namespace: string, name: string) =>
    ['flux', resource, cluster, namespace, 'object', name] as const,
  sub: (resource: string, cluster: string, namespace: string, name: string, view: string) =>
    ['flux', resource, cluster, namespace, 'sub', name, view] as const,
};

/** The path of a namespaced resource list, or of all namespaces when `namespace` is empty. */
export function resourcePath(resource: string, namespace: string, name?: string, action?: string): string {
  const base = namespace ? `/namespaces/${encodeURIComponent(namespace)}/${resource}` : `/${resource}`;
  return [base, name && encodeURIComponent(name), action].filter(Boolean).join('/');
}

export function useWhoami() {
  return useQuery(keys.whoami, () => get<User>('/whoami'), { staleTime: 60_000, retry: false });
}

/** The kinds the API serves; they change only with the server, so they are read once. */
export function useKinds() {
  return useQuery(keys.kinds, () => get<KindList>('/kinds'), { staleTime: Infinity, cacheTime: Infinity });
}

export function useClusters(opts: { refetchInterval?: number } = {}) {
  return useQuery(keys.clusters, () => get<ClusterList>('/clusters'), {
    refetchInterval: opts.refetchInterval ?? 30_000,
  });
}

/** One cluster, its health checked at most every 10 s, with its health's last transitions. */
export function useCluster(name: string) {
  return useQuery([...keys.clusters, name], () => get<ClusterView>(`/clusters/${encodeURIComponent(name)}`), {
    enabled: !!name,
    refetchInterval: 10_000,
    retry: false,
  });
}

export function useRegisterCluster() {
  const qc = useQueryClient();
  return useMutation((req: RegisterCluster) => post<ClusterView>('/clusters', req), {
    onSuccess: () => qc.invalidateQueries(keys.clusters),
  });
}

export function useRemoveCluster() {
  const qc = useQueryClient();
  return useMutation((name: string) => del<unknown>(`/clusters/${encodeURIComponent(name)}`), {
    onSuccess: () => qc.invalidateQueries(keys.clusters),
  });
}

/**
 * Sets a member's delivery mode (refused with 422 at `mode` where agent mode cannot run);
 * its application targets move their Flux objects at their next reconciliation.
 */
export function useSetClusterMode() {
  const qc = useQueryClient();
  return useMutation(
    ({ name, mode }: { name: string; mode: ClusterMode }) =>
      put<ClusterView>(`/clusters/${encodeURIComponent(name)}/mode`, { mode } satisfies SetMode),
    { onSuccess: () => qc.invalidateQueries(keys.clusters) },
  );
}

/** The host's namespaces the user may use (for the namespace picker). */
export function useNamespaces() {
  return useQuery(['namespaces'], () => get<NamespaceList>('/namespaces'), { staleTime: 30_000, retry: false });
}

/** The fleet summary (read again with every batch of changes, and every 10 s for workloads). */
export function useSummary(p: Params = {}) {
  return useQuery(keys.summary(p), () => get<FleetSummary>('/status/summary', p), {
    keepPreviousData: true,
    refetchInterval: 10_000,
  });
}

export function useStatusObjects(p: Params, enabled = true) {
  return useQuery(keys.objects(p), () => get<ObjectStatusList>('/status/objects', p), {
    keepPreviousData: true,
    enabled,
  });
}

/** The query meta flag of a view that shows more than its objects' summaries (see `live.tsx`). */
export const REFETCH_ON_CHANGE = 'refetchOnChange';

/**
 * A page of objects of one resource (plural) in one cluster and namespace ('' = all). Live
 * changes patch each listed object's summary; with `refetchOnChange` (a view that shows more
 * of the objects, such as status fields) a change also reads the page again.
 */
export function useObjectList(
  resource: string,
  cluster: string,
  namespace: string,
  p: Params = {},
  opts: Pick<UseQueryOptions<ObjectList>, 'enabled'> & { refetchOnChange?: boolean } = {},
) {
  const { refetchOnChange, ...rest } = opts;
  return useQuery(
    keys.list(resource, cluster, namespace, p),
    ({ signal }) => get<ObjectList>(resourcePath(resource, namespace), { cluster, ...p }, signal),
    { keepPreviousData: true, meta: refetchOnChange ? { [REFETCH_ON_CHANGE]: true } : undefined, ...rest },
  );
}

/** One Flux object (`resource` a plural); read again when it changes, for its status. */
export function useObject(resource: string, cluster: string, namespace: string, name: string) {
  return useQuery(
    keys.object(resource, cluster, namespace, name),
    ({ signal }) => get<ObjectView>(resourcePath(resource, namespace, name), { cluster }, signal),
    { enabled: !!resource && !!namespace && !!name, retry: false, meta: { [REFETCH_ON_CHANGE]: true } },
  );
}

export function useCharts(cluster: string, namespace: string, repository: string) {
  return useQuery(
    keys.sub('helmrepositories', cluster, namespace, repository, 'charts'),
    () => get<Chart[]>(resourcePath('helmrepositories', namespace, repository, 'charts'), { cluster }),
    { enabled: !!repository && !!namespace, retry: false },
  );
}

export function useApplicationTargets(namespace: string, name: string) {
  return useQuery(
    keys.sub('applications', HOST, namespace, name, 'targets'),
    () => get<TargetDetail[]>(resourcePath('applications', namespace, name, 'targets')),
    { enabled: !!name },
  );
}

/**
 * The workloads of each target of an application, with their health (kept current by
 * `useWorkloadStream` while shown; read again every 30 s besides).
 */
export function useApplicationWorkloads(namespace: string, name: string) {
  return useQuery(
    keys.sub('applications', HOST, namespace, name, 'workloads'),
    () => get<TargetWorkloads[]>(resourcePath('applications', namespace, name, 'workloads')),
    { enabled: !!name, refetchInterval: 30_000 },
  );
}

/** The objects an application's target in `cluster` applied, with their health and drift. */
export function useTargetInventory(namespace: string, name: string, cluster: string) {
  return useQuery(
    keys.sub('applications', HOST, namespace, name, `inventory:${cluster}`),
    () => get<Inventory>(resourcePath('applications', namespace, name, 'inventory'), { cluster }),
    { enabled: !!name && !!cluster, refetchInterval: 30_000 },
  );
}

/** One object of a target's inventory: live and, where Flux keeps it, as applied. */
export function useInventoryObject(namespace: string, name: string, cluster: string, id: string | null) {
  return useQuery(
    keys.sub('applications', HOST, namespace, name, `inventory:${cluster}:${id ?? ''}`),
    () => get<ObjectManifests>(resourcePath('applications', namespace, name, 'inventory/object'), { cluster, id: id ?? '' }),
    { enabled: !!name && !!cluster && !!id },
  );
}

/** The source kinds ksflux can distribute from the host to member clusters. */
export const DISTRIBUTABLE_SOURCES = ['gitrepositories', 'helmrepositories', 'ocirepositories', 'buckets'];

/**
 * Where a host source is distributed and how its copy fares in each member cluster (empty
 * when it is not distributed); read again every 10 s.
 */
export function useSourceClusters(resource: string, namespace: string, name: string, enabled = true) {
  return useQuery(
    keys.sub(resource, HOST, namespace, name, 'clusters'),
    () => get<ClusterSource[]>(resourcePath(resource, namespace, name, 'clusters')),
    {
      enabled: enabled && DISTRIBUTABLE_SOURCES.includes(resource) && !!namespace && !!name,
      refetchInterval: 10_000,
      retry: false,
    },
  );
}

/** Invalidates every cached read of `resource`. */
function useInvalidate(resource: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries(['flux', resource]);
    void qc.invalidateQueries(['status']);
  };
}

export interface Target {
  cluster: string;
  namespace: string;
}

/** Create (no `resourceVersion`) or update (with it) an object. */
export function useSave(resource: string) {
  const invalidate = useInvalidate(resource);
  return useMutation(
    ({ cluster, namespace, req, create }: Target & { req: ObjectRequest; create: boolean }) => {
      const name = String(req.metadata.name ?? '');
      return create
        ? post<ObjectView>(resourcePath(resource, namespace), req, { cluster })
        : put<ObjectView>(resourcePath(resource, namespace, name), req, { cluster });
    },
    { onSuccess: invalidate },
  );
}

export function useDelete(resource: string) {
  const invalidate = useInvalidate(resource);
  return useMutation(
    ({ cluster, namespace, name }: Target & { name: string }) =>
      del<unknown>(resourcePath(resource, namespace, name), { cluster }),
    { onSuccess: invalidate },
  );
}

/** The actions objects take (the kinds list says which each kind takes). */
export type { Action };

export function useAction(resource: string) {
  const invalidate = useInvalidate(resource);
  return useMutation(
    ({
      cluster,
      namespace,
      name,
      action,
      target,
      withSource,
      wait,
    }: Target & {
      name: string;
      action: Action;
      target?: string;
      withSource?: boolean;
      /** Wait up to this many seconds for the controller to handle it. */
      wait?: number;
    }) =>
      post<unknown>(resourcePath(resource, namespace, name, action), undefined, {
        cluster,
        target,
        withSource,
        wait,
      }),
    { onSuccess: invalidate },
  );
}

/** A page of applications (they live in the host cluster) in a namespace ('' = all). */
export function useApplications(namespace: string, p: Params = {}) {
  return useQuery(
    keys.list('applications', HOST, namespace, p),
    ({ signal }) => get<ApplicationList>(resourcePath('applications', namespace), p, signal),
    { keepPreviousData: true },
  );
}

/**
 * The applications of several namespaces, one request each (for a scope, such as a KubeSphere
 * workspace, whose user may list its namespaces one by one but not all namespaces at once).
 */
export function useApplicationsIn(namespaces: string[], p: Params = {}) {
  return useQueries({
    queries: namespaces.map((ns) => ({
      queryKey: keys.list('applications', HOST, ns, p),
      queryFn: ({ signal }: { signal?: AbortSignal }) => get<ApplicationList>(resourcePath('applications', ns), p, signal),
    })),
  });
}

/** One application. */
export function useApplication(namespace: string, name: string, enabled = true) {
  return useQuery(
    keys.object('applications', HOST, namespace, name),
    () => get<ApplicationView>(resourcePath('applications', namespace, name)),
    { enabled: enabled && !!name && !!namespace },
  );
}

/** A request body for an application (create, or update with `resourceVersion`). */
export function applicationRequest(name: string, spec: ApplicationSpec, resourceVersion?: string): ApplicationRequest {
  return { metadata: resourceVersion ? { name, resourceVersion } : { name }, spec };
}

/** Create (no `resourceVersion` in the request) or update an application. */
export function useSaveApplication() {
  const invalidate = useInvalidate('applications');
  return useMutation(
    ({ namespace, req, create }: { namespace: string; req: ApplicationRequest; create: boolean }) =>
      create
        ? post<ApplicationView>(resourcePath('applications', namespace), req)
        : put<ApplicationView>(resourcePath('applications', namespace, String(req.metadata.name ?? '')), req),
    { onSuccess: invalidate },
  );
}

/** What an application would render (nothing written). */
export function usePreview() {
  return useMutation(({ namespace, name, spec }: { namespace: string; name: string; spec: ApplicationSpec }) =>
    post<Rendered[]>(resourcePath('applications', namespace, name, 'preview'), applicationRequest(name, spec)),
  );
}

/** What an edit would change, per target (nothing written). */
export function useDiff() {
  return useMutation(({ namespace, name, spec }: { namespace: string; name: string; spec: ApplicationSpec }) =>
    post<TargetDiff[]>(resourcePath('applications', namespace, name, 'diff'), applicationRequest(name, spec)),
  );
}
