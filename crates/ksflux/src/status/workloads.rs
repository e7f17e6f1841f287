//! Watch caches of workloads. In each cluster, for the namespaces Flux objects apply
//! workloads to (a Kustomization's inventory and `targetNamespace`, a HelmRelease's target
//! and release namespace), reflectors of Deployments, StatefulSets, DaemonSets and Pods, read
//! with ksflux's own identity in that cluster. Every change goes on the fleet's change
//! channel as an [`ObjectChange`] of that kind (`/status/events?workloads=true`); the
//! workload views and the fleet summary answer from here instead of listing a cluster per
//! request. At most [`MAX_NAMESPACES`] namespaces are watched per cluster.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    fmt::Debug,
    sync::{Arc, Mutex},
};

use futures::StreamExt;
use k8s_openapi::{
    NamespaceResourceScope,
    api::{
        apps::v1::{DaemonSet, Deployment, StatefulSet},
        core::v1::Pod,
    },
    apimachinery::pkg::apis::meta::v1::LabelSelector,
};
use kube::{
    Api, Resource, ResourceExt,
    api::DynamicObject,
    runtime::{
        reflector::{ObjectRef, Store, store::Writer},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::broadcast;

use super::{
    cache::KindSync,
    view::{ChangeType, ObjectChange, ObjectStatus, Replicas},
};
use crate::{
    clusters::{Backoff, CLUSTER_LABEL, Cluster},
    resources::{State, Summary},
    workloads::{self, WorkloadHealth, WorkloadKind, WorkloadState},
};

/// At most this many namespaces are watched per cluster (the first, by name).
pub(crate) const MAX_NAMESPACES: usize = 256;
const WATCH_TIMEOUT_SECS: u32 = 45;

/// A kind the workload caches hold, as SubjectAccessReviews name it.
#[derive(Debug)]
pub(crate) struct Watched {
    /// The kind.
    pub(crate) kind: &'static str,
    /// Its API group (`""` for the core group).
    pub(crate) group: &'static str,
    /// Its resource.
    pub(crate) plural: &'static str,
}

pub(crate) static DEPLOYMENTS: Watched = Watched {
    kind: "Deployment",
    group: "apps",
    plural: "deployments",
};
pub(crate) static STATEFUL_SETS: Watched = Watched {
    kind: "StatefulSet",
    group: "apps",
    plural: "statefulsets",
};
pub(crate) static DAEMON_SETS: Watched = Watched {
    kind: "DaemonSet",
    group: "apps",
    plural: "daemonsets",
};
pub(crate) static PODS: Watched = Watched {
    kind: "Pod",
    group: "",
    plural: "pods",
};
/// Every kind the workload caches hold, in their slot order.
pub(crate) static WATCHED: [&Watched; 4] = [&DEPLOYMENTS, &STATEFUL_SETS, &DAEMON_SETS, &PODS];

/// The watched kind called `kind`.
pub(crate) fn watched(kind: &str) -> Option<&'static Watched> {
    WATCHED.iter().copied().find(|w| w.kind == kind)
}

impl Watched {
    fn of(kind: WorkloadKind) -> &'static Watched {
        match kind {
            WorkloadKind::Deployment => &DEPLOYMENTS,
            WorkloadKind::StatefulSet => &STATEFUL_SETS,
            WorkloadKind::DaemonSet => &DAEMON_SETS,
        }
    }
}

/// The cluster a Flux object applies to: the one its ksflux cluster label names, else its own
/// cluster when it has no `spec.kubeConfig`; `None` for a remote one ksflux did not render.
fn applies_to<'a>(own: &'a str, o: &'a DynamicObject) -> Option<&'a str> {
    if let Some(c) = o.labels().get(CLUSTER_LABEL) {
        return Some(c.as_str());
    }
    o.data.pointer("/spec/kubeConfig").is_none().then_some(own)
}

/// The namespaces a Flux object (in cluster `own`) applies workloads to, with that cluster:
/// a Kustomization's `targetNamespace` and the namespaces of the workloads in its inventory;
/// a HelmRelease's target (or own) namespace and its current release's namespace.
pub(crate) fn applied_namespaces(own: &str, o: &DynamicObject, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let Some(cluster) = applies_to(own, o) else {
        return;
    };
    let set = out.entry(cluster.to_string()).or_default();
    let str_at = |p: &str| {
        o.data
            .pointer(p)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(ns) = str_at("/spec/targetNamespace") {
        set.insert(ns.to_string());
    }
    if let Some(entries) = o
        .data
        .pointer("/status/inventory/entries")
        .and_then(Value::as_array)
    {
        let ids: Vec<String> = entries
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect();
        set.extend(workloads::from_inventory(&ids).into_iter().map(|(_, ns, _)| ns));
    }
    if o.data.pointer("/spec/chart").is_some() || o.data.pointer("/spec/chartRef").is_some() {
        if str_at("/spec/targetNamespace").is_none()
            && let Some(ns) = o.metadata.namespace.as_deref()
        {
            set.insert(ns.to_string());
        }
        if let Some(ns) = str_at("/status/history/0/namespace") {
            set.insert(ns.to_string());
        }
    }
}

/// What a workload's health means as a status summary.
fn health_summary(h: &WorkloadHealth) -> Summary {
    let (state, ready) = match h.state {
        WorkloadState::Healthy => (State::Ready, "True"),
        WorkloadState::Progressing => (State::Progressing, "False"),
        WorkloadState::Degraded => (State::Failed, "False"),
    };
    let counts = format!("{}/{} ready, {} up to date", h.ready, h.desired, h.updated);
    Summary {
        state,
        ready: ready.into(),
        reason: h.state.as_str().into(),
        message: match &h.message {
            Some(m) => format!("{counts}: {m}"),
            None => counts,
        },
        suspended: false,
        revision: None,
        last_update_time: None,
        reconcile_requested_at: None,
        last_handled_reconcile_at: None,
        reconcile_handled: true,
    }
}

fn status_of<K: Resource>(
    cluster: &str,
    kind: &str,
    o: &K,
    summary: Summary,
    replicas: Option<Replicas>,
) -> ObjectStatus {
    let meta = o.meta();
    ObjectStatus {
        cluster: cluster.to_string(),
        kind: kind.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        resource_version: meta.resource_version.clone().unwrap_or_default(),
        creation_timestamp: meta
            .creation_timestamp
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        summary,
        replicas,
        deploys_to: None,
    }
}

/// The compact status of a workload, from its own status (its pods' problems are not in it).
fn workload_status(cluster: &str, h: &WorkloadHealth, o: &impl Resource) -> ObjectStatus {
    let replicas = Replicas {
        desired: h.desired,
        updated: h.updated,
        ready: h.ready,
        available: h.available,
    };
    status_of(cluster, h.kind.as_str(), o, health_summary(h), Some(replicas))
}

/// The compact status of a pod: ready, failing (with the reason) or not ready yet.
fn pod_status(cluster: &str, p: &Pod) -> ObjectStatus {
    let (state, ready, reason, message) = match workloads::pod_problem(p) {
        Some((r, m)) if r != "NotReady" => (State::Failed, "False", r, m.unwrap_or_default()),
        Some((r, m)) => (State::Progressing, "False", r, m.unwrap_or_default()),
        None => {
            let phase = p
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default();
            if phase == "Running" || phase == "Succeeded" {
                (State::Ready, "True", phase, String::new())
            } else {
                (State::Progressing, "False", phase, String::new())
            }
        }
    };
    let summary = Summary {
        state,
        ready: ready.into(),
        reason,
        message,
        suspended: false,
        revision: None,
        last_update_time: None,
        reconcile_requested_at: None,
        last_handled_reconcile_at: None,
        reconcile_handled: true,
    };
    status_of(cluster, PODS.kind, p, summary, None)
}

type StatusFn<K> = fn(&str, &K) -> ObjectStatus;

/// One namespace of one cluster: the four reflectors' stores and their sync states.
pub(crate) struct NamespaceCache {
    pub(crate) cluster: String,
    pub(crate) namespace: String,
    deployments: Store<Deployment>,
    stateful_sets: Store<StatefulSet>,
    daemon_sets: Store<DaemonSet>,
    pods: Store<Pod>,
    sync: [Mutex<KindSync>; 4],
}

/// A running namespace cache; dropping it stops its watches.
pub(crate) struct NamespaceEntry {
    pub(crate) cache: Arc<NamespaceCache>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for NamespaceEntry {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl NamespaceCache {
    /// Starts watching the workloads and pods of `namespace` in `cluster` with `client`.
    pub(crate) fn start(
        cluster: &Arc<Cluster>,
        namespace: &str,
        changes: &broadcast::Sender<Arc<ObjectChange>>,
    ) -> NamespaceEntry {
        let deployments = Writer::<Deployment>::default();
        let stateful_sets = Writer::<StatefulSet>::default();
        let daemon_sets = Writer::<DaemonSet>::default();
        let pods = Writer::<Pod>::default();
        let cache = Arc::new(NamespaceCache {
            cluster: cluster.name.clone(),
            namespace: namespace.to_string(),
            deployments: deployments.as_reader(),
            stateful_sets: stateful_sets.as_reader(),
            daemon_sets: daemon_sets.as_reader(),
            pods: pods.as_reader(),
            sync: Default::default(),
        });
        let deployment: StatusFn<Deployment> = |c, d| workload_status(c, &workloads::deployment(d), d);
        let stateful_set: StatusFn<StatefulSet> = |c, s| workload_status(c, &workloads::stateful_set(s), s);
        let daemon_set: StatusFn<DaemonSet> = |c, d| workload_status(c, &workloads::daemon_set(d), d);
        let tasks = vec![
            cache.spawn(0, cluster, deployments, deployment, changes.clone()),
            cache.spawn(1, cluster, stateful_sets, stateful_set, changes.clone()),
            cache.spawn(2, cluster, daemon_sets, daemon_set, changes.clone()),
            cache.spawn(3, cluster, pods, pod_status, changes.clone()),
        ];
        NamespaceEntry { cache, tasks }
    }

    fn spawn<K>(
        self: &Arc<Self>,
        slot: usize,
        cluster: &Arc<Cluster>,
        writer: Writer<K>,
        status: StatusFn<K>,
        changes: broadcast::Sender<Arc<ObjectChange>>,
    ) -> tokio::task::AbortHandle
    where
        K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
    {
        let api: Api<K> = Api::namespaced(cluster.client(), &self.namespace);
        tokio::spawn(
            self.clone()
                .watch(slot, cluster.clone(), api, writer, status, changes),
        )
        .abort_handle()
    }

    fn set_sync(&self, slot: usize, synced: bool, error: Option<String>) {
        if let Ok(mut s) = self.sync[slot].lock() {
            if synced {
                s.synced = true;
            }
            s.error = error;
        }
    }

    /// Whether every reflector has listed and watches without error.
    pub(crate) fn current(&self) -> bool {
        self.sync
            .iter()
            .all(|s| s.lock().map(|s| s.synced && s.error.is_none()).unwrap_or(false))
    }

    /// The first watch error, if any.
    pub(crate) fn error(&self) -> Option<String> {
        self.sync.iter().zip(WATCHED).find_map(|(s, w)| {
            let e = s.lock().ok()?.error.clone()?;
            Some(format!("watching {} in {}: {e}", w.plural, self.namespace))
        })
    }

    /// Lists and watches one kind forever, publishing each new resourceVersion; a failed watch
    /// keeps the last known objects and starts over after a backoff.
    async fn watch<K>(
        self: Arc<Self>,
        slot: usize,
        cluster: Arc<Cluster>,
        api: Api<K>,
        mut writer: Writer<K>,
        status: StatusFn<K>,
        changes: broadcast::Sender<Arc<ObjectChange>>,
    ) where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        // Statuses are made only while someone listens.
        let status_of = |o: &K| (changes.receiver_count() > 0).then(|| Arc::new(status(&self.cluster, o)));
        let reader = writer.as_reader();
        let mut backoff = Backoff::new();
        let mut listing: Option<HashSet<String>> = None;
        loop {
            let config = watcher::Config::default()
                .any_semantic()
                .timeout(WATCH_TIMEOUT_SECS);
            let mut stream = std::pin::pin!(watcher(api.clone(), config));
            let failure = loop {
                let event = match stream.next().await {
                    Some(Ok(e)) => e.modify(|o| o.meta_mut().managed_fields = None),
                    Some(Err(watcher::Error::WatchError(s))) if s.code == 410 => continue,
                    Some(Err(e)) => break e.to_string(),
                    None => break "the watch ended".to_string(),
                };
                // What to publish is decided against the store before the event, and sent
                // after it is applied: a reader woken by it sees the store at least as new.
                let mut out: Vec<(ChangeType, Option<Arc<ObjectStatus>>)> = Vec::new();
                match &event {
                    watcher::Event::Init => listing = Some(HashSet::new()),
                    watcher::Event::InitApply(o) | watcher::Event::Apply(o) => {
                        if let (watcher::Event::InitApply(_), Some(seen)) = (&event, listing.as_mut()) {
                            seen.insert(o.name_any());
                        }
                        let before = reader
                            .get(&ObjectRef::from_obj(o))
                            .and_then(|b| b.meta().resource_version.clone());
                        if before != o.meta().resource_version {
                            out.push((ChangeType::Applied, status_of(o)));
                        }
                    }
                    watcher::Event::Delete(o) => out.push((ChangeType::Deleted, status_of(o))),
                    watcher::Event::InitDone => {
                        let seen = listing.take().unwrap_or_default();
                        for gone in reader.state().iter().filter(|o| !seen.contains(&o.name_any())) {
                            out.push((ChangeType::Deleted, status_of(gone)));
                        }
                    }
                }
                writer.apply_watcher_event(&event);
                for (change, object) in out {
                    if let Some(object) = object {
                        let _ = changes.send(Arc::new(ObjectChange { change, object }));
                    }
                }
                if matches!(event, watcher::Event::InitDone) {
                    self.set_sync(slot, true, None);
                    backoff.reset();
                }
            };
            tracing::warn!(
                cluster = self.cluster,
                namespace = self.namespace,
                resource = WATCHED[slot].plural,
                error = failure,
                "watch failed; retrying in {}s (or as soon as the cluster answers again)",
                backoff.next().as_secs()
            );
            self.set_sync(slot, false, Some(failure));
            listing = None;
            backoff.wait(&cluster).await;
        }
    }

    fn pods_selected(&self, selector: Option<&LabelSelector>) -> Vec<Arc<Pod>> {
        let Some(sel) = selector else {
            return Vec::new();
        };
        self.pods
            .state()
            .into_iter()
            .filter(|p| workloads::selects(sel, p.labels()))
            .collect()
    }

    /// The health of workload `kind` `name`, with its pods' problems; `None` when it is not
    /// there.
    pub(crate) fn health(&self, kind: WorkloadKind, name: &str) -> Option<WorkloadHealth> {
        let ns = self.namespace.as_str();
        let (health, selector) = match kind {
            WorkloadKind::Deployment => {
                let d = self.deployments.get(&ObjectRef::new(name).within(ns))?;
                (
                    workloads::deployment(&d),
                    d.spec.as_ref().map(|s| s.selector.clone()),
                )
            }
            WorkloadKind::StatefulSet => {
                let s = self.stateful_sets.get(&ObjectRef::new(name).within(ns))?;
                (
                    workloads::stateful_set(&s),
                    s.spec.as_ref().map(|s| s.selector.clone()),
                )
            }
            WorkloadKind::DaemonSet => {
                let d = self.daemon_sets.get(&ObjectRef::new(name).within(ns))?;
                (
                    workloads::daemon_set(&d),
                    d.spec.as_ref().map(|s| s.selector.clone()),
                )
            }
        };
        let pods = self.pods_selected(selector.as_ref());
        Some(workloads::with_pods(health, pods.iter().map(|p| &**p)))
    }

    /// Every workload of the namespace, `(kind, name)`.
    pub(crate) fn names(&self) -> Vec<(WorkloadKind, String)> {
        let mut out: Vec<(WorkloadKind, String)> = Vec::new();
        out.extend(
            self.deployments
                .state()
                .iter()
                .map(|o| (WorkloadKind::Deployment, o.name_any())),
        );
        out.extend(
            self.stateful_sets
                .state()
                .iter()
                .map(|o| (WorkloadKind::StatefulSet, o.name_any())),
        );
        out.extend(
            self.daemon_sets
                .state()
                .iter()
                .map(|o| (WorkloadKind::DaemonSet, o.name_any())),
        );
        out.sort();
        out
    }

    /// The workloads Helm release `release` installed here (by Helm's release annotation).
    pub(crate) fn helm_release(&self, release: &str) -> Vec<(WorkloadKind, String, String)> {
        fn of<K>(
            store: &Store<K>,
            kind: WorkloadKind,
            ns: &str,
            release: &str,
        ) -> Vec<(WorkloadKind, String, String)>
        where
            K: Resource<DynamicType = ()> + Clone + 'static,
        {
            store
                .state()
                .iter()
                .filter(|o| {
                    o.meta()
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(workloads::HELM_RELEASE_ANNOTATION))
                        .map(String::as_str)
                        == Some(release)
                })
                .filter_map(|o| Some((kind, ns.to_string(), o.meta().name.clone()?)))
                .collect()
        }
        let ns = &self.namespace;
        let mut out = of(&self.deployments, WorkloadKind::Deployment, ns, release);
        out.extend(of(&self.stateful_sets, WorkloadKind::StatefulSet, ns, release));
        out.extend(of(&self.daemon_sets, WorkloadKind::DaemonSet, ns, release));
        out.sort();
        out.truncate(workloads::MAX_WORKLOADS);
        out
    }

    /// The compact status of every workload here, with its pods' problems counted in.
    pub(crate) fn statuses(&self) -> Vec<ObjectStatus> {
        let mut out = Vec::new();
        let mut add = |h: Option<WorkloadHealth>, o: &dyn Fn(WorkloadHealth) -> ObjectStatus| {
            if let Some(h) = h {
                out.push(o(h));
            }
        };
        for d in self.deployments.state() {
            add(self.health(WorkloadKind::Deployment, &d.name_any()), &|h| {
                workload_status(&self.cluster, &h, &*d)
            });
        }
        for s in self.stateful_sets.state() {
            add(self.health(WorkloadKind::StatefulSet, &s.name_any()), &|h| {
                workload_status(&self.cluster, &h, &*s)
            });
        }
        for d in self.daemon_sets.state() {
            add(self.health(WorkloadKind::DaemonSet, &d.name_any()), &|h| {
                workload_status(&self.cluster, &h, &*d)
            });
        }
        out
    }

    /// How many pods the cache holds.
    pub(crate) fn pod_count(&self) -> usize {
        self.pods.state().len()
    }
}

/// The resource a workload kind is reviewed as.
pub(crate) fn resource_of(kind: WorkloadKind) -> &'static Watched {
    Watched::of(kind)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flux(kind_path: &str, v: Value) -> DynamicObject {
        let mut o: DynamicObject = serde_json::from_value(v).expect("object");
        o.types = Some(kube::api::TypeMeta {
            api_version: kind_path.into(),
            kind: "X".into(),
        });
        o
    }

    #[test]
    fn namespaces_come_from_inventories_targets_and_releases_of_the_cluster_applied_to() {
        let mut out = BTreeMap::new();
        let ks = flux(
            "kustomize.toolkit.fluxcd.io/v1",
            json!({"metadata": {"name": "a", "namespace": "team-a", "labels": {CLUSTER_LABEL: "member-1"}},
                   "spec": {"targetNamespace": "web", "kubeConfig": {"secretRef": {"name": "k"}}},
                   "status": {"inventory": {"entries": [
                       {"id": "web_api_apps_Deployment", "v": "v1"},
                       {"id": "jobs_db_apps_StatefulSet", "v": "v1"},
                       {"id": "other_cm__ConfigMap", "v": "v1"}]}}}),
        );
        applied_namespaces("host", &ks, &mut out);
        let remote = flux(
            "kustomize.toolkit.fluxcd.io/v1",
            json!({"metadata": {"name": "b", "namespace": "x"},
                   "spec": {"targetNamespace": "nope", "kubeConfig": {"secretRef": {"name": "k"}}}}),
        );
        applied_namespaces("host", &remote, &mut out);
        let hr = flux(
            "helm.toolkit.fluxcd.io/v2",
            json!({"metadata": {"name": "c", "namespace": "team-b"},
                   "spec": {"chart": {"spec": {"chart": "demo"}}},
                   "status": {"history": [{"name": "c", "namespace": "team-b"}]}}),
        );
        applied_namespaces("host", &hr, &mut out);
        let want: BTreeMap<String, BTreeSet<String>> = [
            ("host".to_string(), ["team-b".to_string()].into()),
            (
                "member-1".to_string(),
                ["jobs".to_string(), "web".to_string()].into(),
            ),
        ]
        .into();
        assert_eq!(out, want);
    }

    #[test]
    fn a_pod_status_says_ready_failing_with_its_reason_or_not_ready_yet() {
        let pod = |status: Value| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "ns", "resourceVersion": "3"}, "status": status}))
                .expect("pod")
        };
        let ready = pod_status(
            "member-1",
            &pod(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]})),
        );
        assert_eq!((ready.summary.state, ready.kind.as_str()), (State::Ready, "Pod"));
        let crash = pod_status(
            "member-1",
            &pod(
                json!({"phase": "Running", "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 2,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}),
            ),
        );
        assert_eq!(
            (crash.summary.state, crash.summary.reason.as_str()),
            (State::Failed, "CrashLoopBackOff")
        );
        let starting = pod_status("member-1", &pod(json!({"phase": "Pending"})));
        assert_eq!(starting.summary.state, State::Progressing);
    }

    #[test]
    fn a_workload_status_carries_its_replicas_and_what_its_health_means() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "generation": 2, "resourceVersion": "9"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 1, "availableReplicas": 1}
        }))
        .expect("deployment");
        let s = workload_status("member-1", &workloads::deployment(&d), &d);
        assert_eq!(s.kind, "Deployment");
        assert_eq!(
            s.replicas,
            Some(Replicas {
                desired: 3,
                updated: 3,
                ready: 1,
                available: 1
            })
        );
        assert_eq!(s.summary.state, State::Progressing);
        assert_eq!(s.summary.message, "1/3 ready, 3 up to date");
    }
}
