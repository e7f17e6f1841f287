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
//! Other modules read the caches through [`Fleet::get`], [`Fleet::list`],
//! [`Fleet::list_labelled`] and [`Fleet::cluster_state`] (whether a cluster's caches can be
//! trusted, and why not).

mod access;
mod cache;
mod view;

use std::sync::Arc;

use kube::api::DynamicObject;
use tokio::sync::broadcast;

pub use cache::{flux_kinds, kind_named};
pub use view::{
    ChangeType, ClusterSync, FAILING_CAP, Failing, Filter, FleetSummary, ObjectChange, ObjectStatus,
    ObjectStatusList, StateCounts, SyncState, summarize_fleet, worst_first,
};

use crate::{auth::User, clusters::Clusters};

/// The watch caches of every cluster.
#[derive(Clone)]
pub struct Fleet {
    caches: Arc<cache::Caches>,
    access: access::Access,
}

impl Fleet {
    /// Starts watching every Flux kind in every cluster of `clusters`, following the registry
    /// as it changes. The watches stop when the last clone of the fleet is dropped.
    pub fn start(clusters: Clusters) -> Fleet {
        let caches = Arc::new(cache::Caches::default());
        caches.follow(&clusters);
        tokio::spawn(cache::supervise(Arc::downgrade(&caches), clusters));
        Fleet {
            caches,
            access: Default::default(),
        }
    }

    fn kind_cache(&self, cluster: &str, kind: &str) -> Option<Arc<cache::KindCache>> {
        let kind = kind_named(kind)?;
        self.caches.cluster(cluster)?.kind(kind.kind)
    }

    /// The cached object `kind` (kind or plural) `namespace/name` of `cluster`.
    pub fn get(&self, cluster: &str, kind: &str, namespace: &str, name: &str) -> Option<Arc<DynamicObject>> {
        self.kind_cache(cluster, kind)?.get(namespace, name)
    }

    /// Every cached object of `kind` in `cluster`.
    pub fn list(&self, cluster: &str, kind: &str) -> Vec<Arc<DynamicObject>> {
        self.kind_cache(cluster, kind)
            .map(|k| k.objects())
            .unwrap_or_default()
    }

    /// The cached objects of `kind` in `cluster` that carry every label of `labels`.
    pub fn list_labelled(
        &self,
        cluster: &str,
        kind: &str,
        labels: &[(&str, &str)],
    ) -> Vec<Arc<DynamicObject>> {
        self.kind_cache(cluster, kind)
            .map(|k| {
                k.objects_where(|o| {
                    labels.iter().all(|(key, value)| {
                        o.metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get(*key))
                            .is_some_and(|v| v == value)
                    })
                })
            })
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
        kind: &'static crate::kinds::FluxKind,
        namespace: &str,
    ) -> bool {
        self.access
            .allowed(clusters, user, cluster, kind, namespace)
            .await
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

    /// The statuses matching `filter`, grouped by (cluster, kind).
    fn groups(&self, filter: Filter<'_>) -> Vec<access::Group> {
        let mut out = Vec::new();
        for c in self.caches.all() {
            if filter.cluster.is_some_and(|f| f != c.cluster.name) {
                continue;
            }
            for k in c.kinds() {
                if filter.kind.is_some_and(|f| f != k.kind.kind) {
                    continue;
                }
                out.push(access::Group {
                    cluster: c.cluster.name.clone(),
                    kind: k.kind,
                    items: k.statuses(filter.namespace),
                });
            }
        }
        out
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
