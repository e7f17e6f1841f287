//! What the status API returns, and the pure logic behind it: counting by kind, cluster,
//! namespace and state, and ordering the failing objects worst first.

use std::{cmp::Ordering, collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::resources::{Listed, State, Summary};

/// One watched Flux object, as compact as the fleet views need it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    /// The cluster it lives in.
    pub cluster: String,
    /// Its Flux kind, e.g. `GitRepository`.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `metadata.resourceVersion` when it was last seen.
    pub resource_version: String,
    /// `metadata.creationTimestamp` (RFC 3339).
    #[serde(default)]
    pub creation_timestamp: String,
    /// What its status means (state, Ready reason and message, revision, ...).
    pub summary: Summary,
    /// For workloads (Deployments, StatefulSets, DaemonSets): their replica counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Replicas>,
    /// The cluster it deploys to when that is another one (a Kustomization or HelmRelease
    /// ksflux rendered with `spec.kubeConfig` for a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploys_to: Option<String>,
}

/// The reason of an object shown as unknown because a cluster it depends on is unreachable.
pub const CLUSTER_UNREACHABLE: &str = "ClusterUnreachable";

/// The status of `o` as it stands now, given the clusters that are unreachable (with why):
/// when the cluster it lives in or deploys to is one of them, its state is Unknown with reason
/// [`CLUSTER_UNREACHABLE`] and a message that keeps what was last known; else `o` itself. A
/// suspended object that lives in a reachable cluster stays suspended.
pub fn as_of_now(o: &Arc<ObjectStatus>, unreachable: &BTreeMap<String, String>) -> Arc<ObjectStatus> {
    let own = unreachable.get(&o.cluster).map(|why| (&o.cluster, why));
    let remote = o
        .deploys_to
        .as_ref()
        .and_then(|c| unreachable.get(c).map(|why| (c, why)));
    let Some((cluster, why)) = own.or(remote) else {
        return o.clone();
    };
    if own.is_none() && o.summary.state == State::Suspended {
        return o.clone();
    }
    let mut out = (**o).clone();
    let last = match (o.summary.ready.as_str(), o.summary.reason.as_str()) {
        ("", _) => format!("{:?}", o.summary.state).to_lowercase(),
        (ready, "") => format!("Ready={ready}"),
        (ready, reason) => format!("Ready={ready} ({reason})"),
    };
    out.summary.state = State::Unknown;
    out.summary.ready = "Unknown".into();
    out.summary.reason = CLUSTER_UNREACHABLE.into();
    out.summary.message = format!("cluster {cluster} is unreachable ({why}); last known: {last}");
    Arc::new(out)
}

/// A workload's replica counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    /// Asked for (for a DaemonSet: nodes it should run on).
    pub desired: i32,
    /// At the current revision.
    pub updated: i32,
    /// Ready.
    pub ready: i32,
    /// Available.
    pub available: i32,
}

/// Workloads by health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadCounts {
    /// All of them.
    pub total: usize,
    /// Every replica ready at the current revision.
    pub healthy: usize,
    /// Rolling out, nothing failing.
    pub progressing: usize,
    /// Failing pods or a stalled rollout.
    pub degraded: usize,
}

impl WorkloadCounts {
    /// Counts one more workload whose status is in state `s` (ready: healthy, failed:
    /// degraded, anything else: progressing).
    pub fn add(&mut self, s: State) {
        self.total += 1;
        match s {
            State::Ready => self.healthy += 1,
            State::Failed => self.degraded += 1,
            _ => self.progressing += 1,
        }
    }
}

impl Listed for Arc<ObjectStatus> {
    fn name(&self) -> &str {
        &self.name
    }
    fn namespace(&self) -> &str {
        &self.namespace
    }
    fn created(&self) -> &str {
        &self.creation_timestamp
    }
    fn state(&self) -> State {
        self.summary.state
    }
    fn sort_key(&self, field: &str) -> Option<&str> {
        match field {
            "cluster" => Some(&self.cluster),
            "kind" => Some(&self.kind),
            _ => None,
        }
    }
    fn tie(&self) -> (&str, &str) {
        (&self.cluster, &self.kind)
    }
}

/// A page of watched objects, in KubeSphere's list shape.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatusList {
    /// This page.
    #[schema(value_type = Vec<ObjectStatus>)]
    pub items: Vec<Arc<ObjectStatus>>,
    /// How many objects match, over all pages.
    pub total_items: usize,
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ChangeType {
    /// Created or changed (or first seen).
    Applied,
    /// Deleted (or no longer watched).
    Deleted,
}

/// One change of a watched object: the body of each Server-Sent Event.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ObjectChange {
    /// `applied` or `deleted`.
    #[serde(rename = "type")]
    pub change: ChangeType,
    /// The object as it is now (as it was last, when deleted).
    #[serde(flatten)]
    #[schema(inline, value_type = ObjectStatus)]
    pub object: Arc<ObjectStatus>,
}

/// Objects per state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    /// All of them.
    pub total: usize,
    /// Ready.
    pub ready: usize,
    /// Reconciling, or not yet Ready for their current generation.
    pub progressing: usize,
    /// Ready=False or Stalled.
    pub failed: usize,
    /// Suspended.
    pub suspended: usize,
    /// Without status yet.
    pub unknown: usize,
}

impl StateCounts {
    /// Counts one more object in state `s`.
    pub fn add(&mut self, s: State) {
        self.total += 1;
        match s {
            State::Ready => self.ready += 1,
            State::Progressing => self.progressing += 1,
            State::Failed => self.failed += 1,
            State::Suspended => self.suspended += 1,
            State::Unknown => self.unknown += 1,
        }
    }

    /// Counts one object in state `s` less.
    pub fn remove(&mut self, s: State) {
        let n = match s {
            State::Ready => &mut self.ready,
            State::Progressing => &mut self.progressing,
            State::Failed => &mut self.failed,
            State::Suspended => &mut self.suspended,
            State::Unknown => &mut self.unknown,
        };
        *n = n.saturating_sub(1);
        self.total = self.total.saturating_sub(1);
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &StateCounts) {
        self.total += other.total;
        self.ready += other.ready;
        self.progressing += other.progressing;
        self.failed += other.failed;
        self.suspended += other.suspended;
        self.unknown += other.unknown;
    }

    /// How many are not Ready (failed, progressing or unknown; suspended objects are not
    /// failing).
    pub fn failing(&self) -> usize {
        self.failed + self.progressing + self.unknown
    }
}

/// How far a cluster's watch caches can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SyncState {
    /// Every served Flux kind is listed and watched.
    Synced,
    /// The first list of some kind has not finished yet (or health is not checked yet).
    Syncing,
    /// A watch failed or the cluster is unreachable: what is shown may be stale.
    Unknown,
}

/// The state of one cluster's watch caches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSync {
    /// The cluster.
    pub name: String,
    /// Synced, syncing or unknown.
    pub state: SyncState,
    /// True when `state` is `synced`.
    pub synced: bool,
    /// The cluster answered its last health check.
    pub reachable: bool,
    /// Flux's source API is served there.
    pub flux_installed: bool,
    /// The Flux kinds watched there.
    pub kinds: Vec<String>,
    /// Why the state is unknown: the failed watch or the health check's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Namespaces whose workloads are watched (where Flux objects apply them).
    #[serde(default)]
    pub workload_namespaces: usize,
    /// Why some workloads cannot be watched (ksflux may not list them there, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads_error: Option<String>,
}

/// An object that is not Ready (and not suspended).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Failing {
    /// Its kind.
    pub kind: String,
    /// Its cluster.
    pub cluster: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Failed, progressing or unknown.
    pub state: State,
    /// The Ready condition's reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The Ready condition's message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When the Ready condition (or the artifact) last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// The fleet at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    /// Every object the caller may see, by state.
    pub states: StateCounts,
    /// By Flux kind.
    pub by_kind: BTreeMap<String, StateCounts>,
    /// By cluster.
    pub by_cluster: BTreeMap<String, StateCounts>,
    /// By namespace (over all clusters).
    pub by_namespace: BTreeMap<String, StateCounts>,
    /// Each cluster's watch state.
    pub clusters: Vec<ClusterSync>,
    /// Objects that are not Ready, worst first (failed, then progressing, then unknown),
    /// at most [`FAILING_CAP`].
    pub failing: Vec<Failing>,
    /// How many objects are not Ready, over the cap.
    pub failing_total: usize,
    /// The workloads (Deployments, StatefulSets, DaemonSets) in the namespaces Flux objects
    /// apply to, by health.
    pub workloads: WorkloadCounts,
    /// The same, by cluster.
    pub workloads_by_cluster: BTreeMap<String, WorkloadCounts>,
    /// Degraded workloads, at most [`FAILING_CAP`], by cluster, namespace and name.
    pub degraded_workloads: Vec<Failing>,
}

impl Failing {
    fn of(o: &ObjectStatus) -> Failing {
        Failing {
            kind: o.kind.clone(),
            cluster: o.cluster.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            state: o.summary.state,
            reason: o.summary.reason.clone(),
            message: o.summary.message.clone(),
            since: o.summary.last_update_time.clone(),
        }
    }
}

/// How many failing objects the summary lists.
pub const FAILING_CAP: usize = 50;

/// How bad a state is: lower is worse; `None` for states that are not failing.
pub(crate) fn badness(s: State) -> Option<u8> {
    match s {
        State::Failed => Some(0),
        State::Progressing => Some(1),
        State::Unknown => Some(2),
        State::Ready | State::Suspended => None,
    }
}

/// Orders failing objects worst first, then by cluster, namespace, kind and name.
pub fn worst_first(a: &ObjectStatus, b: &ObjectStatus) -> Ordering {
    badness(a.summary.state)
        .cmp(&badness(b.summary.state))
        .then_with(|| a.cluster.cmp(&b.cluster))
        .then_with(|| a.namespace.cmp(&b.namespace))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.name.cmp(&b.name))
}

/// Counts workload statuses (kinds Deployment, StatefulSet, DaemonSet) into `summary`, and
/// lists the degraded ones (at most `cap`).
pub fn count_workloads<'a>(
    summary: &mut FleetSummary,
    items: impl IntoIterator<Item = &'a ObjectStatus>,
    cap: usize,
) {
    let mut degraded: Vec<&ObjectStatus> = Vec::new();
    for o in items {
        let s = o.summary.state;
        summary.workloads.add(s);
        summary
            .workloads_by_cluster
            .entry(o.cluster.clone())
            .or_default()
            .add(s);
        if s == State::Failed {
            degraded.push(o);
        }
    }
    degraded.sort_by(|a, b| (&a.cluster, &a.namespace, &a.name).cmp(&(&b.cluster, &b.namespace, &b.name)));
    summary.degraded_workloads = degraded.into_iter().take(cap).map(Failing::of).collect();
}

/// Counts `items` by state, kind, cluster and namespace, and lists the worst `cap` of those
/// that are not Ready.
pub fn summarize_fleet<'a>(
    items: impl IntoIterator<Item = &'a ObjectStatus>,
    clusters: Vec<ClusterSync>,
    cap: usize,
) -> FleetSummary {
    let mut out = FleetSummary {
        clusters,
        ..Default::default()
    };
    let mut failing: Vec<&ObjectStatus> = Vec::new();
    for o in items {
        let s = o.summary.state;
        out.states.add(s);
        count(&mut out.by_kind, &o.kind, s);
        count(&mut out.by_cluster, &o.cluster, s);
        count(&mut out.by_namespace, &o.namespace, s);
        if badness(s).is_some() {
            failing.push(o);
        }
    }
    out.failing_total = failing.len();
    out.failing = worst(failing, cap);
    out
}

/// One namespace's tally of one kind in one cluster, for [`summarize_tallies`].
pub(crate) struct TallyPart<'a> {
    pub(crate) cluster: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) namespace: String,
    pub(crate) counts: StateCounts,
}

/// What [`summarize_fleet`] gives for the objects behind `parts`, from their tallies:
/// `candidates` must hold at least the worst `cap` failing objects of every part.
pub(crate) fn summarize_tallies(
    parts: &[TallyPart<'_>],
    candidates: &[Arc<ObjectStatus>],
    clusters: Vec<ClusterSync>,
    cap: usize,
) -> FleetSummary {
    let mut out = FleetSummary {
        clusters,
        ..Default::default()
    };
    for p in parts {
        out.states.merge(&p.counts);
        merge(&mut out.by_kind, p.kind, &p.counts);
        merge(&mut out.by_cluster, p.cluster, &p.counts);
        merge(&mut out.by_namespace, &p.namespace, &p.counts);
        out.failing_total += p.counts.failing();
    }
    out.failing = worst(candidates.iter().map(|o| &**o).collect(), cap);
    out
}

/// The worst `cap` of `failing`, worst first.
fn worst(mut failing: Vec<&ObjectStatus>, cap: usize) -> Vec<Failing> {
    // Only the worst `cap` need ordering.
    if failing.len() > cap && cap > 0 {
        failing.select_nth_unstable_by(cap - 1, |a, b| worst_first(a, b));
        failing.truncate(cap);
    }
    failing.sort_by(|a, b| worst_first(a, b));
    failing.truncate(cap);
    failing.into_iter().map(Failing::of).collect()
}

fn merge(map: &mut BTreeMap<String, StateCounts>, key: &str, c: &StateCounts) {
    match map.get_mut(key) {
        Some(m) => m.merge(c),
        None => {
            map.insert(key.to_string(), *c);
        }
    }
}

fn count(map: &mut BTreeMap<String, StateCounts>, key: &str, s: State) {
    let mut one = StateCounts::default();
    one.add(s);
    merge(map, key, &one);
}

/// Which objects a request asks for; `None` matches anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// Only this cluster.
    pub cluster: Option<&'a str>,
    /// Only this kind (the kind's name, e.g. `GitRepository`).
    pub kind: Option<&'a str>,
    /// Only this namespace.
    pub namespace: Option<&'a str>,
}

impl Filter<'_> {
    /// Whether `o` matches.
    pub fn matches(&self, o: &ObjectStatus) -> bool {
        self.cluster.is_none_or(|c| c == o.cluster)
            && self.kind.is_none_or(|k| k == o.kind)
            && self.namespace.is_none_or(|n| n == o.namespace)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::summarize;

    fn obj(
        cluster: &str,
        kind: &str,
        ns: &str,
        name: &str,
        ready: Option<&str>,
        suspend: bool,
    ) -> ObjectStatus {
        let mut v = json!({"metadata": {"name": name}, "spec": {"suspend": suspend}});
        if let Some(r) = ready {
            v["status"] = json!({"conditions": [{"type": "Ready", "status": r, "reason": format!("R{r}"), "message": "m"}]});
        }
        ObjectStatus {
            cluster: cluster.into(),
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
            resource_version: "1".into(),
            creation_timestamp: String::new(),
            summary: summarize(&v),
            replicas: None,
            deploys_to: None,
        }
    }

    #[test]
    fn objects_on_or_deploying_to_an_unreachable_cluster_are_unknown() {
        let down: BTreeMap<String, String> = [(
            "member-1".to_string(),
            "unreachable: connection refused".to_string(),
        )]
        .into();
        let mut hub = obj("host", "HelmRelease", "a", "web", Some("True"), false);
        hub.deploys_to = Some("member-1".into());
        let hub = Arc::new(hub);
        let seen = as_of_now(&hub, &down);
        assert_eq!(seen.summary.state, State::Unknown);
        assert_eq!(seen.summary.reason, CLUSTER_UNREACHABLE);
        assert_eq!(
            seen.summary.message,
            "cluster member-1 is unreachable (unreachable: connection refused); last known: Ready=True (RTrue)"
        );
        // Living there is the same; elsewhere nothing changes.
        let there = Arc::new(obj("member-1", "GitRepository", "a", "src", Some("False"), false));
        assert_eq!(as_of_now(&there, &down).summary.state, State::Unknown);
        let elsewhere = Arc::new(obj("member-2", "GitRepository", "a", "src", Some("False"), false));
        assert!(Arc::ptr_eq(&as_of_now(&elsewhere, &down), &elsewhere));
        assert!(Arc::ptr_eq(&as_of_now(&hub, &BTreeMap::new()), &hub));
        // A suspended hub object stays suspended: the host knows it is.
        let mut paused = obj("host", "Kustomization", "a", "p", Some("True"), true);
        paused.deploys_to = Some("member-1".into());
        let paused = Arc::new(paused);
        assert_eq!(as_of_now(&paused, &down).summary.state, State::Suspended);
        // Counted as unknown in the summary.
        let s = summarize_fleet([&*as_of_now(&hub, &down)], Vec::new(), 10);
        assert_eq!((s.states.unknown, s.states.ready), (1, 0));
        assert_eq!(s.failing[0].reason, CLUSTER_UNREACHABLE);
    }

    fn fleet() -> Vec<ObjectStatus> {
        vec![
            obj("host", "GitRepository", "a", "ok", Some("True"), false),
            obj("host", "GitRepository", "a", "broken", Some("False"), false),
            obj("host", "Kustomization", "b", "paused", Some("True"), true),
            obj("member-1", "Kustomization", "a", "busy", Some("Unknown"), false),
            obj("member-1", "GitRepository", "b", "new", None, false),
            obj(
                "member-1",
                "GitRepository",
                "a",
                "also-broken",
                Some("False"),
                false,
            ),
        ]
    }

    #[test]
    fn counts_by_state_kind_cluster_and_namespace() {
        let items = fleet();
        let s = summarize_fleet(&items, Vec::new(), FAILING_CAP);
        assert_eq!(
            s.states,
            StateCounts {
                total: 6,
                ready: 1,
                progressing: 1,
                failed: 2,
                suspended: 1,
                unknown: 1
            }
        );
        assert_eq!(s.by_kind["GitRepository"].total, 4);
        assert_eq!(s.by_kind["GitRepository"].failed, 2);
        assert_eq!(s.by_kind["Kustomization"].suspended, 1);
        assert_eq!(s.by_cluster["host"].total, 3);
        assert_eq!(s.by_cluster["member-1"].unknown, 1);
        assert_eq!(s.by_namespace["a"].total, 4);
        assert_eq!(s.by_namespace["b"].total, 2);
    }

    #[test]
    fn failing_lists_failed_before_progressing_before_unknown() {
        let items = fleet();
        let s = summarize_fleet(&items, Vec::new(), FAILING_CAP);
        let order: Vec<(&str, State)> = s.failing.iter().map(|f| (f.name.as_str(), f.state)).collect();
        assert_eq!(
            order,
            [
                ("broken", State::Failed),
                ("also-broken", State::Failed),
                ("busy", State::Progressing),
                ("new", State::Unknown)
            ]
        );
        assert_eq!(s.failing_total, 4);
        assert_eq!(s.failing[0].reason, "RFalse");
        assert_eq!(s.failing[0].message, "m");
    }

    #[test]
    fn failing_is_capped_but_counted_in_full() {
        let mut items = Vec::new();
        for i in 0..120 {
            let state = if i % 3 == 0 {
                Some("False")
            } else {
                Some("Unknown")
            };
            items.push(obj(
                "host",
                "GitRepository",
                "a",
                &format!("r{i:03}"),
                state,
                false,
            ));
        }
        let s = summarize_fleet(&items, Vec::new(), 50);
        assert_eq!(s.failing.len(), 50);
        assert_eq!(s.failing_total, 120);
        // All 40 failed ones come first, in name order, then the progressing ones.
        assert!(s.failing[..40].iter().all(|f| f.state == State::Failed));
        assert!(s.failing[40..].iter().all(|f| f.state == State::Progressing));
        assert_eq!(s.failing[0].name, "r000");
        assert_eq!(s.failing[39].name, "r117");
        assert_eq!(s.failing[40].name, "r001");
    }

    #[test]
    fn an_empty_fleet_counts_nothing() {
        let s = summarize_fleet(std::iter::empty(), Vec::new(), FAILING_CAP);
        assert_eq!(s.states.total, 0);
        assert!(s.failing.is_empty() && s.by_kind.is_empty());
    }

    #[test]
    fn filters_match_cluster_kind_and_namespace() {
        let items = fleet();
        let f = Filter {
            cluster: Some("member-1"),
            kind: Some("GitRepository"),
            namespace: None,
        };
        let names: Vec<&str> = items
            .iter()
            .filter(|o| f.matches(o))
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(names, ["new", "also-broken"]);
        let f = Filter {
            namespace: Some("b"),
            ..Default::default()
        };
        assert_eq!(items.iter().filter(|o| f.matches(o)).count(), 2);
        assert_eq!(items.iter().filter(|o| Filter::default().matches(o)).count(), 6);
    }

    #[test]
    fn object_lists_sort_by_cluster_and_kind_too() {
        let items: Vec<Arc<ObjectStatus>> = fleet().into_iter().map(Arc::new).collect();
        let q = crate::resources::ListQuery {
            sort_by: Some("cluster".into()),
            ascending: Some(false),
            limit: Some(2),
            ..Default::default()
        };
        let (page, total) = crate::resources::page_by(items.clone(), &q);
        assert_eq!(total, 6);
        assert!(page.iter().all(|o| o.cluster == "member-1"));
        let q = crate::resources::ListQuery {
            sort_by: Some("kind".into()),
            ascending: Some(true),
            state: Some(State::Failed),
            ..Default::default()
        };
        let (page, total) = crate::resources::page_by(items, &q);
        assert_eq!(total, 2);
        let names: Vec<&str> = page.iter().map(|o| o.name.as_str()).collect();
        // Same kind: ties break by namespace, then name.
        assert_eq!(names, ["also-broken", "broken"]);
    }

    #[test]
    fn a_change_is_the_object_plus_its_type() {
        let c = ObjectChange {
            change: ChangeType::Deleted,
            object: Arc::new(obj("host", "GitRepository", "a", "x", None, false)),
        };
        let v = serde_json::to_value(&c).unwrap_or_default();
        assert_eq!(v["type"], "deleted");
        assert_eq!(v["cluster"], "host");
        assert_eq!(v["kind"], "GitRepository");
        assert_eq!(v["resourceVersion"], "1");
        assert_eq!(v["summary"]["state"], "unknown");
    }
}
