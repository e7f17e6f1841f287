//! Workload health: what a delivery applied (a Kustomization's inventory, a Helm release's
//! objects), read in the cluster it applied to, as Deployments, StatefulSets and DaemonSets
//! with their replica counts, rollout progress and the reasons their pods are unhealthy.
//!
//! Reads go to the target cluster as the user (impersonated), so a user sees workloads only
//! where they may read them; a refusal is reported on the target, not as an error of the
//! whole request. The health rules ([`deployment`], [`stateful_set`], [`daemon_set`],
//! [`pod_problems`], [`state`]) are pure.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        apps::v1::{DaemonSet, Deployment, StatefulSet},
        core::v1::Pod,
    },
    apimachinery::pkg::apis::meta::v1::LabelSelector,
};
use kube::{Api, Client, ResourceExt, api::ListParams};
use serde::Serialize;
use utoipa::ToSchema;

/// At most this many workloads are read per target.
pub const MAX_WORKLOADS: usize = 50;
/// Helm's annotation naming the release an object belongs to.
pub const HELM_RELEASE_ANNOTATION: &str = "meta.helm.sh/release-name";

/// A workload kind ksflux reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub enum WorkloadKind {
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 DaemonSet.
    DaemonSet,
}

impl WorkloadKind {
    /// Its Kubernetes kind.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }

    /// The workload kind called `kind`.
    pub fn named(kind: &str) -> Option<WorkloadKind> {
        match kind {
            "Deployment" => Some(WorkloadKind::Deployment),
            "StatefulSet" => Some(WorkloadKind::StatefulSet),
            "DaemonSet" => Some(WorkloadKind::DaemonSet),
            _ => None,
        }
    }
}

/// Why some pods of a workload are unhealthy, and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodProblem {
    /// `CrashLoopBackOff`, `ImagePullBackOff`, `ErrImagePull`, `Unschedulable`, `NotReady`, ...
    pub reason: String,
    /// Pods with this reason.
    pub count: u32,
    /// One pod's message for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The pods (at most 5 names).
    pub pods: Vec<String>,
    /// The latest Events of the first of those pods (at most [`MAX_POD_EVENTS`]), newest
    /// first; read only for failing pods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<PodEvent>,
}

/// An Event of a pod, as `kubectl describe pod` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodEvent {
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    /// E.g. `BackOff`, `Failed`, `Unhealthy`, `Scheduled`.
    pub reason: String,
    /// What happened.
    pub message: String,
    /// How many times.
    pub count: i32,
    /// When it last happened (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

/// At most this many Events are shown per pod problem.
pub const MAX_POD_EVENTS: usize = 5;
/// Pod problems whose Events are read, per target.
const EVENTS_FOR_PROBLEMS: usize = 3;

/// Adds the latest Events of one pod of each failing reason (not merely not ready), read with
/// `client` (as the user); Events that cannot be read are left out.
pub async fn add_pod_events(client: &Client, workloads: &mut [WorkloadHealth]) {
    use k8s_openapi::api::core::v1::Event;
    let mut budget = EVENTS_FOR_PROBLEMS;
    for w in workloads.iter_mut() {
        for p in w.pod_problems.iter_mut().filter(|p| p.reason != "NotReady") {
            let Some(pod) = p.pods.first() else { continue };
            if budget == 0 {
                return;
            }
            budget -= 1;
            let api: Api<Event> = Api::namespaced(client.clone(), &w.namespace);
            let lp = ListParams::default()
                .fields(&format!("involvedObject.kind=Pod,involvedObject.name={pod}"))
                .limit(50);
            let Ok(list) = api.list(&lp).await else { continue };
            p.events = latest_events(list.items);
        }
    }
}

/// The newest [`MAX_POD_EVENTS`] of `events`, newest first.
fn latest_events(events: Vec<k8s_openapi::api::core::v1::Event>) -> Vec<PodEvent> {
    let when = |e: &k8s_openapi::api::core::v1::Event| {
        e.last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(e.event_time.as_ref().map(|t| t.0))
            .or(e.metadata.creation_timestamp.as_ref().map(|t| t.0))
    };
    let mut events = events;
    events.sort_by_key(|e| std::cmp::Reverse(when(e)));
    events
        .into_iter()
        .take(MAX_POD_EVENTS)
        .map(|e| PodEvent {
            last_seen: when(&e).map(|t| t.to_string()),
            type_: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            message: e.message.unwrap_or_default(),
            count: e.count.unwrap_or(1),
        })
        .collect()
}

/// The health of one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadHealth {
    /// Deployment, StatefulSet or DaemonSet.
    pub kind: WorkloadKind,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Replicas asked for (for a DaemonSet: nodes it should run on).
    pub desired: i32,
    /// Replicas at the current revision.
    pub updated: i32,
    /// Ready replicas.
    pub ready: i32,
    /// Available replicas.
    pub available: i32,
    /// The controller has not seen the latest spec, or replicas of an older revision remain.
    pub rolling_out: bool,
    /// `healthy`, `progressing` or `degraded`.
    pub state: WorkloadState,
    /// The images its pod template runs (containers, then init containers).
    pub images: Vec<String>,
    /// Why, when not healthy (a condition's message, or the pods' problem).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unhealthy pods by reason.
    pub pod_problems: Vec<PodProblem>,
}

/// A workload's (or a target's) health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum WorkloadState {
    /// Every replica ready at the current revision.
    Healthy,
    /// A rollout is under way and nothing is failing.
    Progressing,
    /// Pods fail (crash, image pull, unschedulable) or the rollout stalled.
    Degraded,
}

fn rollout(
    kind: WorkloadKind,
    namespace: String,
    name: String,
    counts: [i32; 4],
    rolling_out: bool,
    stalled: Option<String>,
) -> WorkloadHealth {
    let [desired, updated, ready, available] = counts;
    let (state, message) = match stalled {
        Some(m) => (WorkloadState::Degraded, Some(m)),
        None if rolling_out || ready < desired || updated < desired => (WorkloadState::Progressing, None),
        None => (WorkloadState::Healthy, None),
    };
    WorkloadHealth {
        kind,
        namespace,
        name,
        desired,
        updated,
        ready,
        available,
        rolling_out,
        state,
        message,
        images: Vec::new(),
        pod_problems: Vec::new(),
    }
}

/// The images of a pod template: its containers', then its init containers'.
fn template_images(t: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>) -> Vec<String> {
    let Some(spec) = t.and_then(|t| t.spec.as_ref()) else {
        return Vec::new();
    };
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .filter_map(|c| c.image.clone())
        .collect()
}

/// A Deployment's health from its spec and status.
pub fn deployment(d: &Deployment) -> WorkloadHealth {
    let spec = d.spec.as_ref();
    let st = d.status.clone().unwrap_or_default();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let updated = st.updated_replicas.unwrap_or(0);
    let behind = d.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0);
    let stalled = st.conditions.unwrap_or_default().into_iter().find_map(|c| {
        (c.type_ == "Progressing" && c.status == "False").then(|| {
            c.message
                .unwrap_or_else(|| c.reason.unwrap_or_else(|| "the rollout stalled".into()))
        })
    });
    let old = st.replicas.unwrap_or(0) > updated;
    let mut w = rollout(
        WorkloadKind::Deployment,
        d.namespace().unwrap_or_default(),
        d.name_any(),
        [
            desired,
            updated,
            st.ready_replicas.unwrap_or(0),
            st.available_replicas.unwrap_or(0),
        ],
        behind || old,
        stalled,
    );
    w.images = template_images(spec.map(|s| &s.template));
    w
}

/// A StatefulSet's health from its spec and status.
pub fn stateful_set(s: &StatefulSet) -> WorkloadHealth {
    let st = s.status.clone().unwrap_or_default();
    let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let behind = s.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0);
    let revision_pending = st.update_revision.is_some() && st.update_revision != st.current_revision;
    let mut w = rollout(
        WorkloadKind::StatefulSet,
        s.namespace().unwrap_or_default(),
        s.name_any(),
        [
            desired,
            st.updated_replicas.unwrap_or(0),
            st.ready_replicas.unwrap_or(0),
            st.available_replicas.unwrap_or(0),
        ],
        behind || revision_pending,
        None,
    );
    w.images = template_images(s.spec.as_ref().map(|s| &s.template));
    w
}

/// A DaemonSet's health from its status.
pub fn daemon_set(d: &DaemonSet) -> WorkloadHealth {
    let st = d.status.clone().unwrap_or_default();
    let behind = d.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0);
    let mut w = rollout(
        WorkloadKind::DaemonSet,
        d.namespace().unwrap_or_default(),
        d.name_any(),
        [
            st.desired_number_scheduled,
            st.updated_number_scheduled.unwrap_or(0),
            st.number_ready,
            st.number_available.unwrap_or(0),
        ],
        behind,
        None,
    );
    w.images = template_images(d.spec.as_ref().map(|s| &s.template));
    w
}

/// Why a pod is unhealthy (its reason and message); `None` for a healthy or finished pod.
pub(crate) fn pod_problem(p: &Pod) -> Option<(String, Option<String>)> {
    let st = p.status.as_ref()?;
    let phase = st.phase.as_deref().unwrap_or("");
    if phase == "Succeeded" || p.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let conditions = st.conditions.as_deref().unwrap_or_default();
    if let Some(c) = conditions
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    {
        return Some((
            c.reason.clone().unwrap_or_else(|| "Unschedulable".into()),
            c.message.clone(),
        ));
    }
    let containers = st
        .init_container_statuses
        .iter()
        .flatten()
        .chain(st.container_statuses.iter().flatten());
    for c in containers {
        if let Some(w) = c.state.as_ref().and_then(|s| s.waiting.as_ref())
            && let Some(reason) = w
                .reason
                .as_ref()
                .filter(|r| !r.is_empty() && *r != "ContainerCreating" && *r != "PodInitializing")
        {
            return Some((reason.clone(), w.message.clone()));
        }
        if let Some(t) = c.state.as_ref().and_then(|s| s.terminated.as_ref())
            && t.exit_code != 0
        {
            return Some((
                t.reason.clone().unwrap_or_else(|| "Error".into()),
                t.message.clone(),
            ));
        }
    }
    if phase == "Failed" {
        return Some((
            st.reason.clone().unwrap_or_else(|| "Failed".into()),
            st.message.clone(),
        ));
    }
    let ready = conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    (phase == "Running" && !ready).then(|| ("NotReady".to_string(), None))
}

/// Unhealthy pods grouped by reason, most frequent first.
pub fn pod_problems<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> Vec<PodProblem> {
    let mut by: BTreeMap<String, PodProblem> = BTreeMap::new();
    for p in pods {
        if let Some((reason, message)) = pod_problem(p) {
            let e = by.entry(reason.clone()).or_insert_with(|| PodProblem {
                reason,
                count: 0,
                message: None,
                pods: Vec::new(),
                events: Vec::new(),
            });
            e.count += 1;
            if e.message.is_none() {
                e.message = message;
            }
            if e.pods.len() < 5 {
                e.pods.push(p.name_any());
            }
        }
    }
    let mut out: Vec<PodProblem> = by.into_values().collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    out
}

/// A workload with its pods' problems. Pods that fail (crash, image pull, unschedulable, ...)
/// make it degraded; pods merely not ready yet leave it progressing (until its rollout stalls).
pub(crate) fn with_pods<'a>(
    mut w: WorkloadHealth,
    pods: impl IntoIterator<Item = &'a Pod>,
) -> WorkloadHealth {
    w.pod_problems = pod_problems(pods);
    if w.state != WorkloadState::Degraded
        && let Some(p) = w.pod_problems.iter().find(|p| p.reason != "NotReady")
    {
        w.state = WorkloadState::Degraded;
        w.message = Some(format!(
            "{} pod(s) {}{}",
            p.count,
            p.reason,
            p.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        ));
    }
    w
}

impl WorkloadState {
    /// As the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadState::Healthy => "healthy",
            WorkloadState::Progressing => "progressing",
            WorkloadState::Degraded => "degraded",
        }
    }
}

impl WorkloadHealth {
    /// Its kind's name.
    pub fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// The worst state of a target's workloads (healthy without any).
pub fn state(workloads: &[WorkloadHealth]) -> WorkloadState {
    workloads
        .iter()
        .map(|w| w.state)
        .max()
        .unwrap_or(WorkloadState::Healthy)
}

/// The workloads among a Kustomization's inventory entries (`<ns>_<name>_<group>_<kind>`).
pub fn from_inventory(entries: &[String]) -> Vec<(WorkloadKind, String, String)> {
    let mut out: Vec<(WorkloadKind, String, String)> = entries
        .iter()
        .filter_map(|id| {
            // Names and namespaces have no underscores; the group may be empty.
            let mut parts = id.splitn(4, '_');
            let (ns, name, group, kind) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            (group == "apps")
                .then(|| WorkloadKind::named(kind))
                .flatten()
                .map(|k| (k, ns.to_string(), name.to_string()))
        })
        .collect();
    out.sort();
    out.truncate(MAX_WORKLOADS);
    out
}

/// Whether `selector` selects an object with `labels` (an empty selector selects nothing, as
/// a workload's never is).
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_labels = selector.match_labels.iter().flatten();
    let exprs = selector.match_expressions.iter().flatten();
    let mut any = false;
    for (k, v) in by_labels {
        any = true;
        if labels.get(k) != Some(v) {
            return false;
        }
    }
    for e in exprs {
        any = true;
        let value = labels.get(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        let ok = match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

fn selector_of(labels: Option<&BTreeMap<String, String>>) -> Option<String> {
    let l = labels.filter(|l| !l.is_empty())?;
    Some(
        l.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

async fn pods_of(client: &Client, namespace: &str, selector: Option<String>) -> kube::Result<Vec<Pod>> {
    let Some(selector) = selector else {
        return Ok(Vec::new());
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    Ok(pods
        .list(&ListParams::default().labels(&selector).limit(200))
        .await?
        .items)
}

async fn get_one<K>(client: &Client, namespace: &str, name: &str) -> kube::Result<Option<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
}

/// Reads the named workloads (and their pods) with `client`; missing ones are skipped.
pub async fn read(
    client: &Client,
    named: &[(WorkloadKind, String, String)],
) -> kube::Result<Vec<WorkloadHealth>> {
    let mut out = Vec::new();
    for (kind, ns, name) in named {
        let found = match kind {
            WorkloadKind::Deployment => get_one::<Deployment>(client, ns, name).await?.map(|d| {
                let sel = d.spec.as_ref().and_then(|s| s.selector.match_labels.clone());
                (deployment(&d), sel)
            }),
            WorkloadKind::StatefulSet => get_one::<StatefulSet>(client, ns, name).await?.map(|s| {
                let sel = s.spec.as_ref().and_then(|s| s.selector.match_labels.clone());
                (stateful_set(&s), sel)
            }),
            WorkloadKind::DaemonSet => get_one::<DaemonSet>(client, ns, name).await?.map(|d| {
                let sel = d.spec.as_ref().and_then(|s| s.selector.match_labels.clone());
                (daemon_set(&d), sel)
            }),
        };
        if let Some((health, labels)) = found {
            let pods = pods_of(client, ns, selector_of(labels.as_ref())).await?;
            out.push(with_pods(health, &pods));
        }
    }
    Ok(out)
}

async fn annotated<K>(
    client: &Client,
    namespace: &str,
    release: &str,
    kind: WorkloadKind,
) -> kube::Result<Vec<(WorkloadKind, String, String)>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Ok(Api::<K>::namespaced(client.clone(), namespace)
        .list_metadata(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|o| o.annotations().get(HELM_RELEASE_ANNOTATION).map(String::as_str) == Some(release))
        .map(|o| (kind, namespace.to_string(), o.name_any()))
        .collect())
}

/// The workloads of Helm release `release` in `namespace` (by Helm's release annotation).
pub async fn of_helm_release(
    client: &Client,
    namespace: &str,
    release: &str,
) -> kube::Result<Vec<(WorkloadKind, String, String)>> {
    let mut out = annotated::<Deployment>(client, namespace, release, WorkloadKind::Deployment).await?;
    out.extend(annotated::<StatefulSet>(client, namespace, release, WorkloadKind::StatefulSet).await?);
    out.extend(annotated::<DaemonSet>(client, namespace, release, WorkloadKind::DaemonSet).await?);
    out.sort();
    out.truncate(MAX_WORKLOADS);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deploy(spec_replicas: i32, generation: i64, status: serde_json::Value) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "shop", "generation": generation},
            "spec": {"replicas": spec_replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}},
            "status": status
        }))
        .expect("a Deployment")
    }

    fn pod(name: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": name}, "status": status})).expect("a Pod")
    }

    #[test]
    fn a_deployment_is_healthy_progressing_or_stalled() {
        let ok = deployment(&deploy(
            3,
            2,
            json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}),
        ));
        assert_eq!(
            (ok.state, ok.desired, ok.ready, ok.rolling_out),
            (WorkloadState::Healthy, 3, 3, false)
        );
        let scaling = deployment(&deploy(
            5,
            3,
            json!({"observedGeneration": 3, "replicas": 5, "updatedReplicas": 5, "readyReplicas": 3, "availableReplicas": 3}),
        ));
        assert_eq!(scaling.state, WorkloadState::Progressing);
        let unseen = deployment(&deploy(
            3,
            4,
            json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3}),
        ));
        assert!(unseen.rolling_out, "the controller has not seen generation 4");
        let stalled = deployment(&deploy(
            1,
            1,
            json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                   "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                   "message": "ReplicaSet \"web-1\" has timed out progressing."}]}),
        ));
        assert_eq!(stalled.state, WorkloadState::Degraded);
        assert_eq!(
            stalled.message.as_deref(),
            Some("ReplicaSet \"web-1\" has timed out progressing.")
        );
    }

    #[test]
    fn a_selector_matches_labels_and_expressions_and_an_empty_one_nothing() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "front")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sel = |v: serde_json::Value| -> LabelSelector { serde_json::from_value(v).expect("selector") };
        assert!(selects(&sel(json!({"matchLabels": {"app": "web"}})), &labels));
        assert!(!selects(&sel(json!({"matchLabels": {"app": "api"}})), &labels));
        assert!(selects(
            &sel(json!({"matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "back"]},
                {"key": "canary", "operator": "DoesNotExist"}]})),
            &labels
        ));
        assert!(!selects(
            &sel(
                json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]})
            ),
            &labels
        ));
        assert!(!selects(
            &sel(
                json!({"matchExpressions": [{"key": "app", "operator": "Exists"}, {"key": "x", "operator": "Exists"}]})
            ),
            &labels
        ));
        assert!(!selects(&LabelSelector::default(), &labels));
    }

    #[test]
    fn pod_problems_are_grouped_by_reason_most_frequent_first() {
        let crash = |n: &str| {
            pod(
                n,
                json!({"phase": "Running", "containerStatuses": [{"name": "app", "image": "x", "imageID": "",
                "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting"}}}]}),
            )
        };
        let pods = vec![
            crash("web-a"),
            crash("web-b"),
            pod(
                "web-c",
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "message": "0/3 nodes are available"}]}),
            ),
            pod(
                "web-d",
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}),
            ),
            pod(
                "web-e",
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}),
            ),
            pod("job-f", json!({"phase": "Succeeded"})),
        ];
        let p = pod_problems(&pods);
        let got: Vec<(&str, u32)> = p.iter().map(|p| (p.reason.as_str(), p.count)).collect();
        assert_eq!(
            got,
            [("CrashLoopBackOff", 2), ("NotReady", 1), ("Unschedulable", 1)]
        );
        assert_eq!(p[0].pods, ["web-a", "web-b"]);
        assert_eq!(p[0].message.as_deref(), Some("back-off 40s restarting"));

        // Failing pods degrade a workload; pods not ready yet only keep it progressing.
        let w = deployment(&deploy(
            2,
            1,
            json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 0}),
        ));
        let degraded = with_pods(w.clone(), &pods[..2]);
        assert_eq!(degraded.state, WorkloadState::Degraded);
        assert_eq!(
            degraded.message.as_deref(),
            Some("2 pod(s) CrashLoopBackOff: back-off 40s restarting")
        );
        assert_eq!(with_pods(w, &pods[4..5]).state, WorkloadState::Progressing);
    }

    #[test]
    fn workloads_come_from_the_inventory_and_the_worst_state_wins() {
        let inv = [
            "shop_web_apps_Deployment".to_string(),
            "shop_web-config__ConfigMap".to_string(),
            "shop_db_apps_StatefulSet".to_string(),
            "shop_agent_apps_DaemonSet".to_string(),
            "shop_web_networking.k8s.io_Ingress".to_string(),
        ];
        let got = from_inventory(&inv);
        assert_eq!(
            got.iter().map(|(k, _, n)| (*k, n.as_str())).collect::<Vec<_>>(),
            [
                (WorkloadKind::Deployment, "web"),
                (WorkloadKind::StatefulSet, "db"),
                (WorkloadKind::DaemonSet, "agent")
            ]
        );
        assert_eq!(state(&[]), WorkloadState::Healthy);
        let healthy = deployment(&deploy(
            1,
            1,
            json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1}),
        ));
        let mut bad = healthy.clone();
        bad.state = WorkloadState::Degraded;
        assert_eq!(state(&[healthy.clone(), bad]), WorkloadState::Degraded);
        assert_eq!(state(&[healthy]), WorkloadState::Healthy);
    }
}
