//! Status: watch caches over every Flux kind in every reachable cluster, the fleet summary,
//! and a Server-Sent Events stream of changes.
//!
//! [`Fleet`] runs one kube-runtime reflector per (cluster, Flux kind the cluster serves) and
//! follows clusters as they are added, removed, or start serving Flux. Each cache keeps the
//! objects (without `managedFields` and the last-applied annotation) and a compact
//! [`ObjectStatus`] of each, so the summary and list endpoints answer from memory and never
//! list an apiserver per request. Every change is published once per resourceVersion to
//! subscribers ([`Fleet::subscribe`], the `/status/events` stream). What a user sees is
//! filtered by SubjectAccessReview decisions, cached briefly.
//!
//! Other modules read the caches through [`Fleet::get`], [`Fleet::list_labelled`],
//! [`Fleet::namespaces_labelled`] and [`Fleet::cluster_state`] (whether a cluster's caches can be
//! trusted, and why not).

mod access;
mod cache;
mod index;
mod view;
mod workloads;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use kube::api::DynamicObject;
use tokio::sync::broadcast;

pub use cache::{flux_kinds, kind_named};
pub use view::{
    ChangeType, ClusterSync, FAILING_CAP, Failing, Filter, FleetSummary, ObjectChange, ObjectStatus,
    ObjectStatusList, Replicas, StateCounts, SyncState, WorkloadCounts, count_workloads, summarize_fleet,
    worst_first,
};

use crate::{
    auth::User,
    clusters::{Clusters, HOST},
    kinds::{APPLICATION, FluxKind},
};

/// Whether resourceVersion `have` is `want` or newer. Kubernetes' resourceVersions are
/// opaque, but etcd's are increasing integers; anything else compares equal or not.
fn at_least(have: Option<&str>, want: &str) -> bool {
    match (have.and_then(|h| h.parse::<u64>().ok()), want.parse::<u64>().ok()) {
        (Some(h), Some(w)) => h >= w,
        _ => have == Some(want),
    }
}

/// The watch caches of every cluster.
#[derive(Clone)]
pub struct Fleet {
    caches: Arc<cache::Caches>,
    access: access::Access,
    /// The host's Applications (ksflux's own kind, kept apart from the Flux kinds the status
    /// views count).
    applications: Arc<Applications>,
}

/// The cache of the host's Applications; dropping it stops its watch.
struct Applications {
    cache: Arc<cache::KindCache>,
    task: Option<tokio::task::AbortHandle>,
}

impl Drop for Applications {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// How long a write waits for the caches to show it, so the writer's next read does.
const CATCH_UP: Duration = Duration::from_secs(3);

impl Fleet {
    /// Starts watching every Flux kind in every cluster of `clusters`, and the host's
    /// Applications, following the registry as it changes. The watches stop when the last
    /// clone of the fleet is dropped.
    pub fn start(clusters: Clusters) -> Fleet {
        let caches = Arc::new(cache::Caches::default());
        caches.follow(&clusters);
        let apps = cache::KindCache::new(HOST, &APPLICATION);
        // Application changes go on the same stream: the console reads an application again
        // when its controller writes its status.
        let indexer = cache::Indexer::new(apps.clone(), caches.changes.clone());
        let task = clusters
            .get(HOST)
            .ok()
            .map(|host| tokio::spawn(indexer.run(host)).abort_handle());
        tokio::spawn(cache::supervise(Arc::downgrade(&caches), clusters));
        Fleet {
            caches,
            access: Default::default(),
            applications: Arc::new(Applications { cache: apps, task }),
        }
    }

    fn kind_cache(&self, cluster: &str, kind: &str) -> Option<Arc<cache::KindCache>> {
        let kind = kind_named(kind)?;
        self.caches.cluster(cluster)?.kind(kind.kind)
    }

    /// The cache of `kind` (any kind of the catalog) in `cluster`, when it holds a complete,
    /// current list.
    fn current(&self, cluster: &str, kind: &FluxKind) -> Option<Arc<cache::KindCache>> {
        let cache = if kind.kind == APPLICATION.kind {
            (cluster == HOST).then(|| self.applications.cache.clone())?
        } else {
            self.caches.cluster(cluster)?.kind(kind.kind)?
        };
        cache.current().then_some(cache)
    }

    /// The compact statuses of `kind` in `cluster` that `user` may list, from a current cache
    /// (`namespace`: of that namespace only). `None` when no current cache holds the kind, or
    /// when `user` may not list it in `namespace`: the caller asks the cluster instead, which
    /// answers with its own error.
    pub async fn readable(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &'static FluxKind,
        namespace: Option<&str>,
    ) -> Option<Vec<Arc<ObjectStatus>>> {
        let cache = self.current(cluster, kind)?;
        if let Some(ns) = namespace
            && !self.access.allowed(clusters, user, cluster, kind, ns).await
        {
            return None;
        }
        let group = access::Group {
            cluster: cluster.to_string(),
            kind,
            items: cache.statuses(namespace),
        };
        Some(self.access.filter(clusters, user, vec![group], namespace).await)
    }

    /// The cached object, from a current cache, when `user` may get `kind` in `namespace`.
    /// `None` when it is not cached or the user may not read it there: the caller asks the
    /// cluster, which answers with the object or its own error.
    pub async fn readable_object(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &'static FluxKind,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<DynamicObject>> {
        let cache = self.current(cluster, kind)?;
        let obj = cache.get(namespace, name)?;
        self.access
            .allowed_to("get", clusters, user, cluster, kind, namespace)
            .await
            .then_some(obj)
    }

    /// Looks up cached objects (`namespace`, `name`) of `kind` in `cluster`, not filtered for
    /// any user; the cache is found once, for many lookups. `None` without a current cache.
    pub fn lookup(
        &self,
        cluster: &str,
        kind: &FluxKind,
    ) -> Option<impl Fn(&str, &str) -> Option<Arc<DynamicObject>> + use<>> {
        let cache = self.current(cluster, kind)?;
        Some(move |namespace: &str, name: &str| cache.get(namespace, name))
    }

    /// Waits (briefly) until the caches show a write: the object at `resource_version` or
    /// newer, or gone (`None`). Returns whether they do.
    pub async fn caught_up(
        &self,
        cluster: &str,
        kind: &FluxKind,
        namespace: &str,
        name: &str,
        resource_version: Option<&str>,
    ) -> bool {
        let Some(cache) = self.current(cluster, kind) else {
            return false;
        };
        cache
            .wait_until(CATCH_UP, |c| match (c.get(namespace, name), resource_version) {
                (Some(o), Some(rv)) => at_least(o.metadata.resource_version.as_deref(), rv),
                (Some(o), None) => o.metadata.deletion_timestamp.is_some(),
                (None, rv) => rv.is_none(),
            })
            .await
    }

    /// Waits until `done` holds for the cached object (`None`: not cached), at most `timeout`;
    /// returns the object then. `None` when no current cache holds the kind or time ran out.
    pub async fn wait_for(
        &self,
        cluster: &str,
        kind: &FluxKind,
        namespace: &str,
        name: &str,
        timeout: Duration,
        done: impl Fn(Option<&DynamicObject>) -> bool,
    ) -> Option<Arc<DynamicObject>> {
        let cache = self.current(cluster, kind)?;
        cache
            .wait_until(timeout, |c| done(c.get(namespace, name).as_deref()))
            .await
            .then(|| cache.get(namespace, name))
            .flatten()
    }

    /// The cached object `kind` (kind or plural) `namespace/name` of `cluster`.
    pub fn get(&self, cluster: &str, kind: &str, namespace: &str, name: &str) -> Option<Arc<DynamicObject>> {
        self.kind_cache(cluster, kind)?.get(namespace, name)
    }

    /// The cached objects of `kind` in `cluster` that carry every label of `labels`.
    pub fn list_labelled(
        &self,
        cluster: &str,
        kind: &str,
        labels: &[(&str, &str)],
    ) -> Vec<Arc<DynamicObject>> {
        self.kind_cache(cluster, kind)
            .map(|k| k.labelled(labels))
            .unwrap_or_default()
    }

    /// The namespaces of `cluster` that hold a cached object of `kind` with label `key`.
    pub fn namespaces_labelled(&self, cluster: &str, kind: &str, key: &str) -> BTreeSet<String> {
        self.kind_cache(cluster, kind)
            .map(|k| k.namespaces_labelled(key))
            .unwrap_or_default()
    }

    /// The compact status of a cached object.
    pub fn status(
        &self,
        cluster: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<ObjectStatus>> {
        self.kind_cache(cluster, kind)?.status(namespace, name)
    }

    /// The compact statuses matching `filter`, not filtered for any user.
    pub fn statuses(&self, filter: Filter<'_>) -> Vec<Arc<ObjectStatus>> {
        let mut out = Vec::new();
        for g in self.groups(filter) {
            out.extend(g.items);
        }
        out
    }

    /// Whether `user` may list `kind` in `namespace` of `cluster` (a cached
    /// SubjectAccessReview decision).
    pub async fn may_list(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &'static FluxKind,
        namespace: &str,
    ) -> bool {
        self.access
            .allowed(clusters, user, cluster, kind, namespace)
            .await
    }

    /// A page of the statuses matching `filter` that `user` may list, in the order of `q`, and
    /// how many there are: read from the front of each cache's ordered index, without sorting
    /// every object. `None` when `q` filters by name or state or sorts by a field no index
    /// keeps (then [`Fleet::visible`] and [`page_by`](crate::resources::page_by) answer).
    pub async fn visible_page(
        &self,
        clusters: &Clusters,
        user: &User,
        filter: Filter<'_>,
        q: &crate::resources::ListQuery,
    ) -> Option<(Vec<Arc<ObjectStatus>>, usize)> {
        index::Order::of(q)?;
        let (caches, scopes) = self.scoped_caches(clusters, user, filter).await;
        let (mut page, total) = index::page(q, |order, descending, n, out| {
            caches
                .iter()
                .zip(&scopes)
                .filter_map(|(k, scope)| {
                    k.with_index(|ix| {
                        out.extend(ix.first(order, descending, scope, filter.namespace, n));
                        ix.count(scope, filter.namespace)
                    })
                })
                .sum()
        })?;
        let unreachable = self.unreachable();
        if !unreachable.is_empty() {
            page = page.iter().map(|o| view::as_of_now(o, &unreachable)).collect();
        }
        Some((page, total))
    }

    /// The statuses matching `filter` that `user` may list.
    pub async fn visible(
        &self,
        clusters: &Clusters,
        user: &User,
        filter: Filter<'_>,
    ) -> Vec<Arc<ObjectStatus>> {
        let groups = self.groups(filter);
        self.access.filter(clusters, user, groups, filter.namespace).await
    }

    /// Whether `user` may list workloads of `kind` (`Deployment`, `StatefulSet`, `DaemonSet`,
    /// `Pod`) in `namespace` of `cluster`; false for any other kind.
    pub async fn may_list_workloads(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &str,
        namespace: &str,
    ) -> bool {
        match workloads::watched(kind) {
            Some(w) => self.access.allowed(clusters, user, cluster, w, namespace).await,
            None => false,
        }
    }

    /// Whether `kind` is one of the workload kinds the fleet watches.
    pub fn is_workload_kind(kind: &str) -> bool {
        workloads::watched(kind).is_some()
    }

    /// The compact statuses of the cached workloads matching `filter` (its kind is ignored)
    /// that `user` may list, their pods' problems counted in.
    pub async fn visible_workloads(
        &self,
        clusters: &Clusters,
        user: &User,
        filter: Filter<'_>,
    ) -> Vec<Arc<ObjectStatus>> {
        let unreachable = self.unreachable();
        let mut groups: Vec<access::Group> = Vec::new();
        for c in self.caches.all() {
            if filter.cluster.is_some_and(|f| f != c.cluster.name) {
                continue;
            }
            let mut by_kind: std::collections::BTreeMap<&'static str, Vec<Arc<ObjectStatus>>> =
                Default::default();
            for ns in c.all_workloads() {
                if filter.namespace.is_some_and(|f| f != ns.namespace) {
                    continue;
                }
                for s in ns.statuses() {
                    if let Some(w) = workloads::watched(&s.kind) {
                        let s = view::as_of_now(&Arc::new(s), &unreachable);
                        by_kind.entry(w.kind).or_default().push(s);
                    }
                }
            }
            for (kind, items) in by_kind {
                if let Some(w) = workloads::watched(kind) {
                    groups.push(access::Group {
                        cluster: c.cluster.name.clone(),
                        kind: w,
                        items,
                    });
                }
            }
        }
        self.access.filter(clusters, user, groups, filter.namespace).await
    }

    /// The health of the workloads Flux object `object` applied in `cluster` (a
    /// Kustomization's inventory, a HelmRelease's current release), from the workload caches,
    /// as `user` may see them: `Err` names a namespace they may not read. `None` when the
    /// caches of those namespaces are not current: the caller reads the cluster instead.
    pub async fn applied_workloads(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        object: Option<&serde_json::Value>,
    ) -> Option<Result<Vec<crate::workloads::WorkloadHealth>, String>> {
        use crate::workloads::{WorkloadKind, from_inventory};
        let cc = self.caches.cluster(cluster)?;
        let current = |ns: &str| cc.workloads(ns).filter(|c| c.current());
        let Some(o) = object else {
            return Some(Ok(Vec::new()));
        };
        let named: Vec<(WorkloadKind, String, String)> =
            if let Some(entries) = o.pointer("/status/inventory/entries").and_then(|e| e.as_array()) {
                let ids: Vec<String> = entries
                    .iter()
                    .filter_map(|e| e["id"].as_str().map(str::to_string))
                    .collect();
                from_inventory(&ids)
            } else {
                let release = o.pointer("/status/history/0");
                match (
                    release.and_then(|r| r["name"].as_str()),
                    release.and_then(|r| r["namespace"].as_str()),
                ) {
                    (Some(name), Some(ns)) => current(ns)?.helm_release(name),
                    _ => Vec::new(),
                }
            };
        let mut caches = std::collections::BTreeMap::new();
        for (_, ns, _) in &named {
            if !caches.contains_key(ns.as_str()) {
                caches.insert(ns.as_str(), current(ns)?);
            }
        }
        let denied =
            |ns: &str| format!("you may not read workloads in namespace {ns:?} of cluster {cluster:?}");
        for ns in caches.keys() {
            if !self
                .access
                .allowed(clusters, user, cluster, &workloads::PODS, ns)
                .await
            {
                return Some(Err(denied(ns)));
            }
        }
        let kinds: std::collections::BTreeSet<(&str, WorkloadKind)> =
            named.iter().map(|(k, ns, _)| (ns.as_str(), *k)).collect();
        for (ns, k) in kinds {
            let r = workloads::resource_of(k);
            if !self
                .access
                .allowed_to("get", clusters, user, cluster, r, ns)
                .await
            {
                return Some(Err(denied(ns)));
            }
        }
        Some(Ok(named
            .iter()
            .filter_map(|(k, ns, name)| caches.get(ns.as_str())?.health(*k, name))
            .collect()))
    }

    /// How many workloads and pods the workload caches hold.
    pub fn workload_counts(&self) -> (usize, usize) {
        let mut workloads = 0;
        let mut pods = 0;
        for c in self.caches.all() {
            for ns in c.all_workloads() {
                workloads += ns.names().len();
                pods += ns.pod_count();
            }
        }
        (workloads, pods)
    }

    /// The clusters that are unreachable now, with why.
    fn unreachable(&self) -> BTreeMap<String, String> {
        self.caches
            .all()
            .iter()
            .filter_map(|c| {
                let h = c.cluster.health();
                (h.last_checked.is_some() && !h.reachable).then(|| (c.cluster.name.clone(), h.message))
            })
            .collect()
    }

    /// The kind caches `filter` asks for, each with the namespaces `user` may list there.
    async fn scoped_caches(
        &self,
        clusters: &Clusters,
        user: &User,
        filter: Filter<'_>,
    ) -> (Vec<Arc<cache::KindCache>>, Vec<access::Scope>) {
        let caches = self.kind_caches(filter);
        let wanted: Vec<access::Wanted> = caches
            .iter()
            .map(|k| access::Wanted {
                cluster: k.cluster.clone(),
                kind: k.kind,
            })
            .collect();
        let namespaces = |i: usize| caches[i].namespaces();
        let scopes = self
            .access
            .scopes(clusters, user, &wanted, namespaces, filter.namespace)
            .await;
        (caches, scopes)
    }

    /// The kind caches `filter` asks for.
    fn kind_caches(&self, filter: Filter<'_>) -> Vec<Arc<cache::KindCache>> {
        let mut out = Vec::new();
        for c in self.caches.all() {
            if filter.cluster.is_some_and(|f| f != c.cluster.name) {
                continue;
            }
            out.extend(
                c.kinds()
                    .into_iter()
                    .filter(|k| filter.kind.is_none_or(|f| f == k.kind.kind)),
            );
        }
        out
    }

    /// The cached statuses matching `filter`, by cluster and kind, each as of now (see
    /// [`view::as_of_now`]).
    fn groups(&self, filter: Filter<'_>) -> Vec<access::Group> {
        let unreachable = self.unreachable();
        self.kind_caches(filter)
            .into_iter()
            .map(|k| {
                let mut items = k.statuses(filter.namespace);
                if !unreachable.is_empty() {
                    items = items.iter().map(|o| view::as_of_now(o, &unreachable)).collect();
                }
                access::Group {
                    cluster: k.cluster.clone(),
                    kind: k.kind,
                    items,
                }
            })
            .collect()
    }

    /// The summary of the objects matching `filter` that `user` may list (see
    /// [`summarize_fleet`]), with `clusters` as its cluster states. Added up from the caches'
    /// running tallies, so its cost grows with the namespaces, not the objects; while a
    /// cluster is unreachable (objects in or deploying to it count as Unknown), from every
    /// object as of now.
    pub async fn summary(
        &self,
        clusters: &Clusters,
        user: &User,
        filter: Filter<'_>,
        cluster_states: Vec<ClusterSync>,
        cap: usize,
    ) -> FleetSummary {
        if !self.unreachable().is_empty() {
            let items = self.visible(clusters, user, filter).await;
            return summarize_fleet(items.iter().map(|o| &**o), cluster_states, cap);
        }
        let (caches, scopes) = self.scoped_caches(clusters, user, filter).await;
        let mut parts = Vec::new();
        let mut candidates = Vec::new();
        for (k, scope) in caches.iter().zip(&scopes) {
            k.tally(scope, filter.namespace, cap, &mut parts, &mut candidates);
        }
        view::summarize_tallies(&parts, &candidates, cluster_states, cap)
    }

    /// The state of `cluster`'s caches; `None` when the fleet does not know the cluster.
    pub fn cluster_state(&self, cluster: &str) -> Option<ClusterSync> {
        self.caches.cluster(cluster).map(|c| c.state())
    }

    /// The state of every cluster's caches, host first.
    pub fn cluster_states(&self) -> Vec<ClusterSync> {
        let mut all: Vec<ClusterSync> = self.caches.all().iter().map(|c| c.state()).collect();
        all.sort_by(|a, b| {
            (a.name != crate::clusters::HOST, &a.name).cmp(&(b.name != crate::clusters::HOST, &b.name))
        });
        all
    }

    /// How many objects the caches hold.
    pub fn len(&self) -> usize {
        self.caches
            .all()
            .iter()
            .flat_map(|c| c.kinds())
            .map(|k| k.len())
            .sum()
    }

    /// Whether the caches hold nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Changes from now on: one per resourceVersion of each object, and `deleted` for objects
    /// that go away (or stop being watched). A receiver that falls more than a few thousand
    /// changes behind gets `Lagged` and should read the lists again.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ObjectChange>> {
        self.caches.changes.subscribe()
    }
}

impl crate::resources::Watch for Fleet {
    fn watches(&self, cluster: &str, kind: &FluxKind) -> bool {
        self.current(cluster, kind).is_some()
    }

    fn handled<'a>(
        &'a self,
        cluster: &'a str,
        kind: &'a FluxKind,
        namespace: &'a str,
        name: &'a str,
        token: &'a str,
        timeout: Duration,
    ) -> crate::resources::Watched<'a> {
        Box::pin(async move {
            let cache = self.current(cluster, kind)?;
            cache
                .wait_until(timeout, |c| {
                    c.get(namespace, name).is_none_or(|o| {
                        o.data
                            .pointer("/status/lastHandledReconcileAt")
                            .and_then(|v| v.as_str())
                            == Some(token)
                    })
                })
                .await;
            cache.get(namespace, name).map(|o| (*o).clone())
        })
    }
}
