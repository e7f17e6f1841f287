//! The watch caches: one kube-runtime reflector per (cluster, Flux kind the cluster serves),
//! each feeding a store of the objects (without `managedFields`) and an index of their
//! [`ObjectStatus`], and publishing every change on a broadcast channel.
//!
//! A supervisor follows the cluster registry: it starts caches for new clusters and for kinds
//! a cluster starts serving, and stops those of removed clusters and kinds. A failed watch
//! marks its cluster unknown with the error, keeps the last known objects, and starts over
//! (list, then watch) after a backoff.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex, RwLock, Weak},
    time::Duration,
};

use futures::StreamExt;
use kube::{Api, ResourceExt, api::DynamicObject, runtime::watcher};
use serde_json::json;
use tokio::sync::broadcast;

use super::{
    access::Scope,
    index::{Index, Key},
    view::{ChangeType, ClusterSync, ObjectChange, ObjectStatus, SyncState, TallyPart},
    workloads::{MAX_NAMESPACES, NamespaceCache, NamespaceEntry, applied_namespaces},
};
use crate::{
    clusters::{Backoff, Cluster, Clusters, Health},
    kinds::FluxKind,
    resources::summarize,
};

/// How often the supervisor looks at the cluster registry (it also wakes on registry changes).
const POLL: Duration = Duration::from_secs(2);
/// Server-side timeout of each watch request: shorter than the clients' read timeout, so a
/// quiet watch ends cleanly and is resumed instead of failing.
const WATCH_TIMEOUT_SECS: u32 = 45;
/// How many changes a slow event subscriber may fall behind before it is dropped.
pub(crate) const CHANGES_CAPACITY: usize = 4096;
/// The annotation `kubectl apply` leaves: a full copy of the object, not worth keeping.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub use crate::clusters::flux_kinds;

/// The Flux kind called `name` (its kind, case-insensitive, or its plural).
pub fn kind_named(name: &str) -> Option<&'static FluxKind> {
    flux_kinds().find(|k| k.kind.eq_ignore_ascii_case(name) || k.plural == name)
}

/// The kinds a cluster serves at the version ksflux speaks.
fn served(health: &Health) -> Vec<&'static FluxKind> {
    flux_kinds()
        .filter(|k| {
            health.flux_apis.iter().any(|a| {
                a.group == k.group && a.kind == k.kind && a.served_versions.iter().any(|v| v == k.version)
            })
        })
        .collect()
}

/// Removes what the caches need not keep: managed fields and the last-applied annotation.
pub(crate) fn strip(obj: &mut DynamicObject) {
    obj.metadata.managed_fields = None;
    if let Some(a) = obj.metadata.annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
}

/// The compact status of an object.
pub(crate) fn object_status(cluster: &str, kind: &FluxKind, obj: &mut DynamicObject) -> ObjectStatus {
    let meta = json!({"generation": obj.metadata.generation, "annotations": obj.metadata.annotations});
    // `summarize` reads `metadata`, `spec` and `status` of one JSON value; lend it the object's
    // data with a small metadata beside it instead of copying the whole object.
    let summary = match obj.data.as_object_mut() {
        Some(map) => {
            map.insert("metadata".into(), meta);
            let s = summarize(&obj.data);
            if let Some(map) = obj.data.as_object_mut() {
                map.remove("metadata");
            }
            s
        }
        None => summarize(&json!({ "metadata": meta })),
    };
    ObjectStatus {
        cluster: cluster.to_string(),
        kind: kind.kind.to_string(),
        namespace: obj.metadata.namespace.clone().unwrap_or_default(),
        name: obj.metadata.name.clone().unwrap_or_default(),
        resource_version: obj.metadata.resource_version.clone().unwrap_or_default(),
        creation_timestamp: obj
            .metadata
            .creation_timestamp
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        summary,
        replicas: None,
        deploys_to: obj
            .labels()
            .get(crate::clusters::CLUSTER_LABEL)
            .filter(|c| *c != cluster && obj.data.pointer("/spec/kubeConfig").is_some())
            .cloned(),
    }
}

/// Whether a kind's cache is listed, and its last error.
#[derive(Clone, Debug, Default)]
pub(crate) struct KindSync {
    /// Listed at least once.
    pub(crate) synced: bool,
    /// Why the last watch failed.
    pub(crate) error: Option<String>,
}

/// One cached object, kept as JSON: parsed, an object of a few hundred bytes of JSON takes
/// about eight times that in memory (measured: 6.7 KB against 0.87 KB for a GitRepository),
/// and the caches hold every Flux object of every cluster. What is read of every object
/// (labels, the namespaces it applies workloads to) is kept beside it.
struct Stored {
    json: Box<str>,
    labels: Vec<(String, String)>,
    /// The (cluster, namespace) pairs it applies workloads to (Kustomizations and
    /// HelmReleases; see [`applied_namespaces`]).
    applies: Vec<(String, String)>,
}

impl Stored {
    fn of(cluster: &str, kind: &FluxKind, o: &DynamicObject) -> Option<Stored> {
        let json = serde_json::to_string(o).ok()?.into_boxed_str();
        let labels = o.labels().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut applies = Vec::new();
        if matches!(kind.kind, "Kustomization" | "HelmRelease") {
            let mut out = BTreeMap::new();
            applied_namespaces(cluster, o, &mut out);
            for (c, namespaces) in out {
                applies.extend(namespaces.into_iter().map(|ns| (c.clone(), ns)));
            }
        }
        Some(Stored {
            json,
            labels,
            applies,
        })
    }

    fn object(&self) -> Option<Arc<DynamicObject>> {
        serde_json::from_str(&self.json).ok().map(Arc::new)
    }

    fn labelled(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(key, value)| self.labels.iter().any(|(k, v)| k == key && v == value))
    }
}

/// One kind in one cluster: the objects and the status index.
pub(crate) struct KindCache {
    pub(crate) cluster: String,
    pub(crate) kind: &'static FluxKind,
    objects: RwLock<HashMap<Key, Stored>>,
    items: RwLock<Index>,
    sync: Mutex<KindSync>,
    /// Bumped after every watch event, so writers can wait for the cache to catch up.
    seen: tokio::sync::watch::Sender<u64>,
}

impl KindCache {
    pub(crate) fn new(cluster: &str, kind: &'static FluxKind) -> Arc<KindCache> {
        Arc::new(KindCache {
            cluster: cluster.to_string(),
            kind,
            objects: Default::default(),
            items: Default::default(),
            sync: Default::default(),
            seen: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Whether the cache holds a complete, current list: listed, and watching without error.
    pub(crate) fn current(&self) -> bool {
        let s = self.sync();
        s.synced && s.error.is_none()
    }

    /// Waits until `done` holds for the cache, or `timeout` passes; returns whether it held.
    pub(crate) async fn wait_until(&self, timeout: Duration, done: impl Fn(&KindCache) -> bool) -> bool {
        let mut seen = self.seen.subscribe();
        let waiting = async {
            loop {
                if done(self) {
                    return true;
                }
                if seen.changed().await.is_err() {
                    return done(self);
                }
            }
        };
        tokio::time::timeout(timeout, waiting).await.unwrap_or(false)
    }

    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<Arc<DynamicObject>> {
        let objects = self.objects.read().ok()?;
        objects.get(&(namespace.to_string(), name.to_string()))?.object()
    }

    /// Every object.
    #[cfg(test)]
    pub(crate) fn objects(&self) -> Vec<Arc<DynamicObject>> {
        self.labelled(&[])
    }

    /// The objects that carry every label of `labels`.
    pub(crate) fn labelled(&self, labels: &[(&str, &str)]) -> Vec<Arc<DynamicObject>> {
        let Ok(objects) = self.objects.read() else {
            return Vec::new();
        };
        objects
            .values()
            .filter(|o| o.labelled(labels))
            .filter_map(Stored::object)
            .collect()
    }

    /// The namespaces that hold an object with label `key`.
    pub(crate) fn namespaces_labelled(&self, key: &str) -> BTreeSet<String> {
        let Ok(objects) = self.objects.read() else {
            return BTreeSet::new();
        };
        objects
            .iter()
            .filter(|(_, o)| o.labels.iter().any(|(k, _)| k == key))
            .map(|((ns, _), _)| ns.clone())
            .collect()
    }

    /// Adds the namespaces its objects apply workloads to, by cluster, to `out`.
    pub(crate) fn applied_namespaces(&self, out: &mut BTreeMap<String, BTreeSet<String>>) {
        if let Ok(objects) = self.objects.read() {
            for (cluster, ns) in objects.values().flat_map(|o| &o.applies) {
                match out.get_mut(cluster) {
                    Some(set) => {
                        if !set.contains(ns) {
                            set.insert(ns.clone());
                        }
                    }
                    None => {
                        out.insert(cluster.clone(), [ns.clone()].into());
                    }
                }
            }
        }
    }

    pub(crate) fn status(&self, namespace: &str, name: &str) -> Option<Arc<ObjectStatus>> {
        let items = self.items.read().ok()?;
        items.get(namespace, name).cloned()
    }

    /// What `read` makes of the status index (`None` if its lock is poisoned).
    pub(crate) fn with_index<T>(&self, read: impl FnOnce(&Index) -> T) -> Option<T> {
        self.items.read().ok().map(|items| read(&items))
    }

    /// The statuses, all or of one namespace.
    pub(crate) fn statuses(&self, namespace: Option<&str>) -> Vec<Arc<ObjectStatus>> {
        let Ok(items) = self.items.read() else {
            return Vec::new();
        };
        match namespace {
            Some(ns) => items.values().filter(|o| o.namespace == ns).cloned().collect(),
            None => items.values().cloned().collect(),
        }
    }

    /// The namespaces that hold objects.
    pub(crate) fn namespaces(&self) -> BTreeSet<String> {
        self.items
            .read()
            .map(|i| i.tallies().keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds the tallies of the namespaces `scope` admits (only `namespace`, when given) to
    /// `parts`, and the worst `cap` failing objects of each to `candidates`.
    pub(crate) fn tally<'a>(
        &'a self,
        scope: &Scope,
        namespace: Option<&str>,
        cap: usize,
        parts: &mut Vec<TallyPart<'a>>,
        candidates: &mut Vec<Arc<ObjectStatus>>,
    ) {
        if let Ok(items) = self.items.read() {
            items.tally(
                &self.cluster,
                self.kind.kind,
                scope,
                namespace,
                cap,
                parts,
                candidates,
            );
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.read().map(|i| i.len()).unwrap_or(0)
    }

    pub(crate) fn sync(&self) -> KindSync {
        self.sync.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set_sync(&self, synced: bool, error: Option<String>) {
        if let Ok(mut s) = self.sync.lock() {
            s.synced = synced;
            s.error = error;
        }
    }

    /// Publishes `deleted` for everything, when the cache goes away.
    fn retire(&self, changes: &broadcast::Sender<Arc<ObjectChange>>) {
        if let Ok(mut objects) = self.objects.write() {
            objects.clear();
        }
        let items = self.items.write().map(|mut i| i.take()).unwrap_or_default();
        if changes.receiver_count() > 0 {
            for object in items {
                let _ = changes.send(Arc::new(ObjectChange {
                    change: ChangeType::Deleted,
                    object,
                }));
            }
        }
    }
}

/// Feeds watcher events into a [`KindCache`]: its objects, its index and the change channel.
pub(crate) struct Indexer {
    cache: Arc<KindCache>,
    changes: broadcast::Sender<Arc<ObjectChange>>,
    /// Keys listed since the last `Init`, while a (re)list is under way.
    listing: Option<HashSet<Key>>,
}

impl Indexer {
    pub(crate) fn new(cache: Arc<KindCache>, changes: broadcast::Sender<Arc<ObjectChange>>) -> Self {
        Indexer {
            cache,
            changes,
            listing: None,
        }
    }

    fn publish(&self, change: ChangeType, object: Arc<ObjectStatus>) {
        if self.changes.receiver_count() > 0 {
            let _ = self.changes.send(Arc::new(ObjectChange { change, object }));
        }
    }

    /// Applies one watcher event; returns true when a (re)list has just completed.
    pub(crate) fn apply(&mut self, event: watcher::Event<DynamicObject>) -> bool {
        let listed = self.index(event);
        self.cache.seen.send_modify(|n| *n = n.wrapping_add(1));
        listed
    }

    fn index(&mut self, event: watcher::Event<DynamicObject>) -> bool {
        let mut event = event.modify(strip);
        let status = match &mut event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) | watcher::Event::Delete(o) => {
                Some(object_status(&self.cache.cluster, self.cache.kind, o))
            }
            watcher::Event::Init | watcher::Event::InitDone => None,
        };
        self.store(&event);
        match (event, status) {
            (watcher::Event::Init, _) => {
                self.listing = Some(HashSet::new());
                false
            }
            (watcher::Event::InitApply(_), Some(s)) => {
                if let Some(seen) = self.listing.as_mut() {
                    seen.insert((s.namespace.clone(), s.name.clone()));
                }
                self.upsert(s);
                false
            }
            (watcher::Event::Apply(_), Some(s)) => {
                self.upsert(s);
                false
            }
            (watcher::Event::Delete(_), Some(s)) => {
                let key = (s.namespace.clone(), s.name.clone());
                let removed = self.cache.items.write().ok().and_then(|mut i| i.remove(&key));
                if removed.is_some() {
                    self.publish(ChangeType::Deleted, Arc::new(s));
                }
                false
            }
            (watcher::Event::InitDone, _) => {
                let seen = self.listing.take().unwrap_or_default();
                let gone: Vec<Arc<ObjectStatus>> = match self.cache.items.write() {
                    Ok(mut items) => {
                        let keys: Vec<Key> = items.keys().filter(|k| !seen.contains(*k)).cloned().collect();
                        keys.iter().filter_map(|k| items.remove(k)).collect()
                    }
                    Err(_) => Vec::new(),
                };
                for o in gone {
                    self.publish(ChangeType::Deleted, o);
                }
                self.cache.set_sync(true, None);
                true
            }
            _ => false,
        }
    }

    /// Keeps the object of `event` (drops a deleted one); a relist's leftovers go at
    /// `InitDone`, with the index's.
    fn store(&self, event: &watcher::Event<DynamicObject>) {
        let Ok(mut objects) = self.cache.objects.write() else {
            return;
        };
        match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                let key = (o.namespace().unwrap_or_default(), o.name_any());
                match Stored::of(&self.cache.cluster, self.cache.kind, o) {
                    Some(stored) => objects.insert(key, stored),
                    None => objects.remove(&key),
                };
            }
            watcher::Event::Delete(o) => {
                objects.remove(&(o.namespace().unwrap_or_default(), o.name_any()));
            }
            watcher::Event::InitDone => {
                if let Some(seen) = &self.listing {
                    objects.retain(|k, _| seen.contains(k));
                }
            }
            watcher::Event::Init => {}
        }
    }

    fn upsert(&self, s: ObjectStatus) {
        let s = Arc::new(s);
        let changed = match self.cache.items.write() {
            Ok(mut items) => {
                let changed = items
                    .get(&s.namespace, &s.name)
                    .is_none_or(|old| old.resource_version != s.resource_version);
                if changed {
                    items.insert(s.clone());
                }
                changed
            }
            Err(_) => false,
        };
        if changed {
            self.publish(ChangeType::Applied, s);
        }
    }

    /// Lists and watches, forever: a failed watch marks the cache unknown with the error and
    /// starts over after a backoff, keeping the last known objects meanwhile.
    pub(crate) async fn run(mut self, cluster: Arc<Cluster>) {
        let api: Api<DynamicObject> = Api::all_with(cluster.client(), &self.cache.kind.api_resource());
        let mut backoff = Backoff::new();
        loop {
            let config = watcher::Config::default()
                .any_semantic()
                .timeout(WATCH_TIMEOUT_SECS);
            let mut stream = std::pin::pin!(watcher(api.clone(), config));
            let failure = loop {
                match stream.next().await {
                    Some(Ok(event)) => {
                        if self.apply(event) {
                            backoff.reset();
                        }
                    }
                    // Too old a resourceVersion: the watcher lists again by itself.
                    Some(Err(watcher::Error::WatchError(s))) if s.code == 410 => {}
                    Some(Err(e)) => break e.to_string(),
                    None => break "the watch ended".to_string(),
                }
            };
            tracing::warn!(
                cluster = self.cache.cluster,
                kind = self.cache.kind.kind,
                error = failure,
                "watch failed; retrying in {}s (or as soon as the cluster answers again)",
                backoff.next().as_secs()
            );
            self.cache.set_sync(false, Some(failure));
            self.listing = None;
            backoff.wait(&cluster).await;
        }
    }
}

/// A running kind cache; dropping it stops its watch.
struct KindEntry {
    cache: Arc<KindCache>,
    task: tokio::task::AbortHandle,
}

impl Drop for KindEntry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One cluster's caches.
pub(crate) struct ClusterCache {
    pub(crate) cluster: Arc<Cluster>,
    kinds: RwLock<BTreeMap<&'static str, KindEntry>>,
    /// The workload caches, by namespace.
    workloads: RwLock<BTreeMap<String, NamespaceEntry>>,
}

impl ClusterCache {
    pub(crate) fn kind(&self, kind: &str) -> Option<Arc<KindCache>> {
        self.kinds.read().ok()?.get(kind).map(|e| e.cache.clone())
    }

    pub(crate) fn kinds(&self) -> Vec<Arc<KindCache>> {
        self.kinds
            .read()
            .map(|k| k.values().map(|e| e.cache.clone()).collect())
            .unwrap_or_default()
    }

    /// The state of this cluster's caches.
    pub(crate) fn state(&self) -> ClusterSync {
        let health = self.cluster.health();
        let kinds = self.kinds();
        let workloads = self.all_workloads();
        let mut synced = health.last_checked.is_some();
        let mut error = None;
        for k in &kinds {
            let s = k.sync();
            synced &= s.synced;
            if error.is_none()
                && let Some(e) = s.error
            {
                error = Some(format!("watching {}: {e}", k.kind.kind));
            }
        }
        if health.last_checked.is_some() && !health.reachable {
            error = Some(if health.message.is_empty() {
                "unreachable".to_string()
            } else {
                health.message.clone()
            });
        }
        let state = if error.is_some() {
            SyncState::Unknown
        } else if synced {
            SyncState::Synced
        } else {
            SyncState::Syncing
        };
        ClusterSync {
            name: self.cluster.name.clone(),
            synced: state == SyncState::Synced,
            state,
            reachable: health.reachable,
            flux_installed: health.flux_installed,
            kinds: kinds.iter().map(|k| k.kind.kind.to_string()).collect(),
            error,
            workload_namespaces: workloads.len(),
            workloads_error: workloads.iter().find_map(|w| w.error()),
        }
    }

    /// Starts caches for `wanted` kinds not yet watched and stops those no longer wanted.
    fn set_kinds(&self, wanted: &[&'static FluxKind], changes: &broadcast::Sender<Arc<ObjectChange>>) {
        let Ok(mut kinds) = self.kinds.write() else {
            return;
        };
        kinds.retain(|name, entry| {
            let keep = wanted.iter().any(|k| k.kind == *name);
            if !keep {
                tracing::info!(
                    cluster = self.cluster.name,
                    kind = name,
                    "no longer served; stopped watching"
                );
                entry.cache.retire(changes);
            }
            keep
        });
        for kind in wanted {
            if kinds.contains_key(kind.kind) {
                continue;
            }
            let cache = KindCache::new(&self.cluster.name, kind);
            let indexer = Indexer::new(cache.clone(), changes.clone());
            let task = tokio::spawn(indexer.run(self.cluster.clone())).abort_handle();
            kinds.insert(kind.kind, KindEntry { cache, task });
        }
    }

    fn retire(&self, changes: &broadcast::Sender<Arc<ObjectChange>>) {
        if let Ok(mut kinds) = self.kinds.write() {
            for (_, entry) in std::mem::take(&mut *kinds) {
                entry.cache.retire(changes);
            }
        }
        if let Ok(mut w) = self.workloads.write() {
            w.clear();
        }
    }

    /// The workload cache of `namespace`.
    pub(crate) fn workloads(&self, namespace: &str) -> Option<Arc<NamespaceCache>> {
        self.workloads
            .read()
            .ok()?
            .get(namespace)
            .map(|e| e.cache.clone())
    }

    /// Every workload cache of this cluster.
    pub(crate) fn all_workloads(&self) -> Vec<Arc<NamespaceCache>> {
        self.workloads
            .read()
            .map(|w| w.values().map(|e| e.cache.clone()).collect())
            .unwrap_or_default()
    }

    /// Watches the workloads of `wanted` namespaces (at most [`MAX_NAMESPACES`]) and stops
    /// watching the others.
    fn set_workload_namespaces(
        &self,
        wanted: &BTreeSet<String>,
        changes: &broadcast::Sender<Arc<ObjectChange>>,
    ) {
        let Ok(mut watched) = self.workloads.write() else {
            return;
        };
        if wanted.len() > MAX_NAMESPACES {
            tracing::warn!(
                cluster = self.cluster.name,
                namespaces = wanted.len(),
                "watching the workloads of the first {MAX_NAMESPACES} namespaces only"
            );
        }
        let wanted: BTreeSet<&String> = wanted.iter().take(MAX_NAMESPACES).collect();
        watched.retain(|ns, _| wanted.contains(ns));
        for ns in wanted {
            if !watched.contains_key(ns) {
                let entry = NamespaceCache::start(&self.cluster, ns, changes);
                watched.insert(ns.clone(), entry);
            }
        }
    }
}

/// Every cluster's caches and the change channel.
pub(crate) struct Caches {
    pub(crate) clusters: RwLock<BTreeMap<String, Arc<ClusterCache>>>,
    pub(crate) changes: broadcast::Sender<Arc<ObjectChange>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            clusters: Default::default(),
            changes: broadcast::Sender::new(CHANGES_CAPACITY),
        }
    }
}

impl Caches {
    pub(crate) fn cluster(&self, name: &str) -> Option<Arc<ClusterCache>> {
        self.clusters.read().ok()?.get(name).cloned()
    }

    pub(crate) fn all(&self) -> Vec<Arc<ClusterCache>> {
        self.clusters
            .read()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Brings the caches in line with the registry: new and replaced clusters get caches,
    /// removed ones lose theirs, and each reachable cluster watches the kinds it serves. An
    /// unreachable cluster keeps its caches (marked unknown) until it answers again.
    pub(crate) fn follow(&self, registry: &Clusters) {
        let all = registry.all();
        let Ok(mut clusters) = self.clusters.write() else {
            return;
        };
        clusters.retain(|name, cache| {
            let keep = all
                .iter()
                .any(|c| c.name == *name && Arc::ptr_eq(c, &cache.cluster));
            if !keep {
                tracing::info!(
                    cluster = name,
                    "cluster removed or reconfigured; stopped watching"
                );
                cache.retire(&self.changes);
            }
            keep
        });
        for c in all {
            let health = c.health();
            let cache = clusters
                .entry(c.name.clone())
                .or_insert_with(|| {
                    Arc::new(ClusterCache {
                        cluster: c.clone(),
                        kinds: Default::default(),
                        workloads: Default::default(),
                    })
                })
                .clone();
            if health.reachable {
                cache.set_kinds(&served(&health), &self.changes);
            }
        }
        // Workloads are watched where Flux objects (of any cluster) apply them.
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for cache in clusters.values() {
            for kind in ["Kustomization", "HelmRelease"] {
                if let Some(k) = cache.kind(kind) {
                    k.applied_namespaces(&mut wanted);
                }
            }
        }
        for (name, cache) in clusters.iter() {
            if cache.cluster.health().reachable {
                let none = BTreeSet::new();
                cache.set_workload_namespaces(wanted.get(name).unwrap_or(&none), &self.changes);
            }
        }
    }
}

/// Follows the registry until the caches are dropped.
pub(crate) async fn supervise(caches: Weak<Caches>, registry: Clusters) {
    let mut changed = registry.changes();
    loop {
        match caches.upgrade() {
            Some(c) => c.follow(&registry),
            None => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            r = changed.changed() => {
                if r.is_err() {
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use kube::api::ObjectMeta;

    use super::*;
    use crate::{resources::State, sources::GIT_REPOSITORY};

    fn repo(name: &str, rv: &str, ready: &str) -> DynamicObject {
        let mut o = DynamicObject::new(name, &GIT_REPOSITORY.api_resource()).within("ns");
        o.metadata = ObjectMeta {
            resource_version: Some(rv.into()),
            managed_fields: Some(vec![Default::default()]),
            annotations: Some(
                [
                    (LAST_APPLIED.to_string(), "{...}".to_string()),
                    ("keep".to_string(), "me".to_string()),
                ]
                .into(),
            ),
            ..o.metadata
        };
        o.data = json!({"spec": {"url": "http://x"}, "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m"}]}});
        o
    }

    fn indexer() -> (Indexer, Arc<KindCache>, broadcast::Receiver<Arc<ObjectChange>>) {
        let cache = KindCache::new("host", &GIT_REPOSITORY);
        let (tx, rx) = broadcast::channel(64);
        (Indexer::new(cache.clone(), tx), cache, rx)
    }

    fn drain(rx: &mut broadcast::Receiver<Arc<ObjectChange>>) -> Vec<(ChangeType, String, String)> {
        let mut out = Vec::new();
        while let Ok(c) = rx.try_recv() {
            out.push((c.change, c.object.name.clone(), c.object.resource_version.clone()));
        }
        out
    }

    #[test]
    fn a_list_fills_store_and_index_and_publishes_each_object() {
        let (mut ix, cache, mut rx) = indexer();
        assert!(!ix.apply(watcher::Event::Init));
        ix.apply(watcher::Event::InitApply(repo("a", "1", "True")));
        ix.apply(watcher::Event::InitApply(repo("b", "2", "False")));
        assert!(!cache.sync().synced);
        assert!(ix.apply(watcher::Event::InitDone));
        assert!(cache.sync().synced);
        assert_eq!(cache.len(), 2);
        let a = cache.get("ns", "a").expect("in the store");
        assert!(a.metadata.managed_fields.is_none());
        let annotations = a.metadata.annotations.clone().unwrap_or_default();
        assert!(!annotations.contains_key(LAST_APPLIED));
        assert_eq!(annotations.get("keep").map(String::as_str), Some("me"));
        assert_eq!(
            cache.status("ns", "b").map(|s| s.summary.state),
            Some(State::Failed)
        );
        assert_eq!(
            drain(&mut rx),
            [
                (ChangeType::Applied, "a".into(), "1".into()),
                (ChangeType::Applied, "b".into(), "2".into())
            ]
        );
    }

    #[test]
    fn objects_are_kept_whole_and_selected_by_label_and_by_where_they_apply() {
        let cache = KindCache::new("host", &crate::delivery::KUSTOMIZATION);
        let (tx, _rx) = broadcast::channel(64);
        let mut ix = Indexer::new(cache.clone(), tx);
        let kustomization = |ns: &str, name: &str, labels: &[(&str, &str)], data: serde_json::Value| {
            let mut o = DynamicObject::new(name, &crate::delivery::KUSTOMIZATION.api_resource()).within(ns);
            o.metadata.resource_version = Some("1".into());
            o.metadata.labels = Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
            o.data = data;
            o
        };
        let member = kustomization(
            "p1",
            "web-member-1",
            &[("app", "web"), (crate::clusters::CLUSTER_LABEL, "member-1")],
            json!({"spec": {"targetNamespace": "web", "kubeConfig": {"secretRef": {"name": "k"}}}}),
        );
        ix.apply(watcher::Event::Apply(member.clone()));
        ix.apply(watcher::Event::Apply(kustomization(
            "p2",
            "own",
            &[],
            json!({"spec": {"path": "./"}, "status": {"inventory": {"entries": [
                {"id": "shop_api_apps_Deployment", "v": "v1"}]}}}),
        )));
        let got = cache.get("p1", "web-member-1").expect("kept");
        assert_eq!(got.data, member.data);
        assert_eq!(got.metadata.labels, member.metadata.labels);
        let web: Vec<String> = cache
            .labelled(&[("app", "web")])
            .iter()
            .map(|o| o.name_any())
            .collect();
        assert_eq!(web, ["web-member-1"]);
        assert!(cache.labelled(&[("app", "web"), ("tier", "x")]).is_empty());
        assert_eq!(cache.objects().len(), 2);
        assert_eq!(
            cache.namespaces_labelled("app"),
            BTreeSet::from(["p1".to_string()])
        );
        let mut applied = BTreeMap::new();
        cache.applied_namespaces(&mut applied);
        assert_eq!(
            applied,
            BTreeMap::from([
                ("member-1".to_string(), BTreeSet::from(["web".to_string()])),
                ("host".to_string(), BTreeSet::from(["shop".to_string()])),
            ])
        );
        ix.apply(watcher::Event::Delete(member));
        assert!(cache.get("p1", "web-member-1").is_none());
        assert!(cache.namespaces_labelled("app").is_empty());
    }

    #[test]
    fn changes_are_published_once_per_resource_version() {
        let (mut ix, cache, mut rx) = indexer();
        ix.apply(watcher::Event::Apply(repo("a", "1", "Unknown")));
        ix.apply(watcher::Event::Apply(repo("a", "1", "Unknown")));
        ix.apply(watcher::Event::Apply(repo("a", "2", "True")));
        assert_eq!(
            cache.status("ns", "a").map(|s| s.summary.state),
            Some(State::Ready)
        );
        ix.apply(watcher::Event::Delete(repo("a", "3", "True")));
        assert!(cache.get("ns", "a").is_none() && cache.status("ns", "a").is_none());
        assert_eq!(
            drain(&mut rx),
            [
                (ChangeType::Applied, "a".into(), "1".into()),
                (ChangeType::Applied, "a".into(), "2".into()),
                (ChangeType::Deleted, "a".into(), "3".into())
            ]
        );
    }

    #[test]
    fn a_relist_drops_what_is_gone_and_republishes_only_what_changed() {
        let (mut ix, cache, mut rx) = indexer();
        ix.apply(watcher::Event::Init);
        ix.apply(watcher::Event::InitApply(repo("a", "1", "True")));
        ix.apply(watcher::Event::InitApply(repo("b", "2", "True")));
        ix.apply(watcher::Event::InitDone);
        drain(&mut rx);
        // The watch failed; the cache keeps its objects while it lists again.
        cache.set_sync(false, Some("connection refused".into()));
        ix.apply(watcher::Event::Init);
        ix.apply(watcher::Event::InitApply(repo("a", "1", "True")));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.objects().len(), 2);
        ix.apply(watcher::Event::InitApply(repo("c", "5", "True")));
        ix.apply(watcher::Event::InitDone);
        let sync = cache.sync();
        assert!(sync.synced && sync.error.is_none());
        let mut names: Vec<String> = cache.statuses(None).iter().map(|s| s.name.clone()).collect();
        names.sort();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(cache.objects().len(), 2);
        assert_eq!(
            drain(&mut rx),
            [
                (ChangeType::Applied, "c".into(), "5".into()),
                (ChangeType::Deleted, "b".into(), "2".into())
            ]
        );
    }

    #[test]
    fn a_status_reads_suspend_generation_and_requested_reconcile() {
        let mut o = repo("a", "7", "True");
        o.metadata.generation = Some(3);
        o.data["status"]["observedGeneration"] = json!(2);
        let s = object_status("member-1", &GIT_REPOSITORY, &mut o);
        assert_eq!(s.summary.state, State::Progressing);
        assert!(o.data.get("metadata").is_none(), "the object is left as it was");
        o.data["spec"]["suspend"] = json!(true);
        let s = object_status("member-1", &GIT_REPOSITORY, &mut o);
        assert_eq!(
            (s.summary.state, s.cluster.as_str(), s.kind.as_str()),
            (State::Suspended, "member-1", "GitRepository")
        );
    }

    #[test]
    fn kinds_are_found_by_kind_or_plural_but_not_our_own() {
        assert_eq!(kind_named("gitrepository").map(|k| k.kind), Some("GitRepository"));
        assert_eq!(kind_named("helmreleases").map(|k| k.kind), Some("HelmRelease"));
        assert!(kind_named("Application").is_none());
        assert!(kind_named("Pod").is_none());
        assert_eq!(flux_kinds().count(), crate::catalog::KINDS.len() - 1);
    }
}
