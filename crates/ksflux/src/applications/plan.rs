//! What one reconcile of an Application does, decided from what it observed — pure, so each
//! rule is tested with scenarios (see the tests below): which rendered objects to apply,
//! which children of removed targets to delete, the status to write, the Events to publish
//! and when to look again. The controller observes, calls [`plan`], and carries it out.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{ResourceExt, api::DynamicObject};
use serde_json::{Value, json};

use super::{
    Application, ApplicationStatus, StatusSummary, TargetStatus, WorkloadsSummary,
    placement::ClusterLabels,
    render::Rendered,
    rollout::{self, Choice, REVISION_ANNOTATION},
};
use crate::resources::{REQUESTED_AT, applied_revision};

/// The reason of a target whose cluster is not registered (any more).
pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
/// Annotation on a child ksflux suspended because its cluster left the registry.
pub const SUSPENDED_FOR: &str = "fluxcd.kubesphere.io/suspended-for";

/// Why a target cannot be served now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `False` (only an edit or the cluster's admin fixes it) or `Unknown` (may pass).
    pub ready: &'static str,
    /// A machine-readable reason, e.g. `ClusterUnreachable`.
    pub reason: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

/// What a reconcile observed.
pub struct Observed<'a> {
    /// The application, its targets resolved (placed clusters explicit, layers stacked).
    pub app: &'a Application,
    /// Its spec as written (a rollout's revision is that of this spec).
    pub spec: &'a super::ApplicationSpec,
    /// Its rendered objects, one per target.
    pub rendered: &'a [Rendered],
    /// Its children (with their kind set): in the host, and in agent clusters.
    pub children: &'a [DynamicObject],
    /// The target clusters in agent mode (their children live there).
    pub agent: &'a BTreeSet<String>,
    /// Targets that cannot be served now, by cluster.
    pub problems: &'a BTreeMap<String, Problem>,
    /// The workloads of targets Flux reports ready, by cluster (read in each cluster).
    pub workloads: &'a BTreeMap<String, WorkloadsSummary>,
    /// Every cluster's labels (rollout waves choose by them).
    pub labels: &'a ClusterLabels,
    /// With a rollout, the objects of its stable revision, one per target it had.
    pub stable: &'a [Rendered],
    /// Now.
    pub now: jiff::Timestamp,
}

/// An Event to publish on the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// A warning (else normal).
    pub warning: bool,
    /// Its reason.
    pub reason: &'static str,
    /// Its message.
    pub message: String,
}

/// What to do.
#[derive(Debug)]
pub struct Plan {
    /// Rendered objects to apply (server-side), for the targets that can be served.
    pub apply: Vec<Value>,
    /// Children whose target is gone, to delete (those not already being deleted).
    pub delete: Vec<DynamicObject>,
    /// The status to write, when it differs from the current one.
    pub status: Option<ApplicationStatus>,
    /// Events: a target's state changed.
    pub notes: Vec<Note>,
    /// When to reconcile again (sooner while targets are not ready).
    pub requeue: Duration,
}

/// The Ready/Reconciling/Stalled conditions and the status of an invalid spec.
pub fn invalid(app: &Application, message: &str) -> ApplicationStatus {
    let old = app.status.clone().unwrap_or_default();
    let generation = app.metadata.generation;
    ApplicationStatus {
        observed_generation: generation,
        conditions: conditions(&old, generation, ("False", "InvalidSpec", message), false, true),
        ..old
    }
}

/// The status after a failed reconcile: Ready=False with `reason` (Stalled when only an edit
/// helps); `None` when the status already says so.
pub fn failed(app: &Application, reason: &str, message: &str, stalled: bool) -> Option<ApplicationStatus> {
    let old = app.status.clone().unwrap_or_default();
    let already = old
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "False" && c.reason == reason && c.message == message);
    (!already).then(|| ApplicationStatus {
        conditions: conditions(
            &old,
            app.metadata.generation,
            ("False", reason, message),
            false,
            stalled,
        ),
        ..old.clone()
    })
}

/// The children of targets whose cluster left the registry, suspended: Flux stops deploying
/// there at once (their kubeconfig stays valid until its token expires), and they resume when
/// the cluster is registered again. A target that never had a child gets nothing.
fn suspended_for_removal<'a>(o: &'a Observed<'a>) -> impl Iterator<Item = Value> + 'a {
    o.rendered
        .iter()
        .filter(|r| {
            o.problems
                .get(&r.cluster)
                .is_some_and(|p| p.reason == CLUSTER_NOT_FOUND)
        })
        .filter(|r| {
            o.children
                .iter()
                .any(|c| c.types.as_ref().is_some_and(|t| t.kind == r.kind()) && c.name_any() == r.name())
        })
        .map(|r| {
            let mut obj = r.object.clone();
            obj["spec"]["suspend"] = json!(true);
            obj["metadata"]["annotations"] = json!({ SUSPENDED_FOR: "cluster-removed" });
            obj
        })
}

/// Decides one reconcile.
pub fn plan(o: &Observed<'_>) -> Plan {
    let app = o.app;
    let ns = app.namespace().unwrap_or_default();
    let old = app.status.clone().unwrap_or_default();
    let requested = app.annotations().get(REQUESTED_AT).cloned();

    let mut targets: Vec<TargetStatus> = o
        .rendered
        .iter()
        .map(|r| target_status(o, &old, &ns, r))
        .collect();
    let rollout = rollout_step(o, &targets);
    // A target whose wave has not reached it, with nothing deployed yet, says so.
    if let Some((d, _)) = &rollout {
        for ts in &mut targets {
            let waiting = d.choices.get(&ts.cluster) == Some(&Choice::Stable)
                && ts.reason == "Progressing"
                && ts.message == CREATING
                && !o.stable.iter().any(|s| s.cluster == ts.cluster);
            if let Some(w) = d
                .status
                .waves
                .iter()
                .find(|w| w.targets.iter().any(|t| t.cluster == ts.cluster))
                .filter(|_| waiting)
            {
                ts.reason = "RolloutPending".into();
                ts.message = format!("waits for rollout wave {}", w.name);
            }
        }
    }
    let apply = o
        .rendered
        .iter()
        .filter(|r| !o.problems.contains_key(&r.cluster))
        .filter_map(|r| {
            let mut annotations = serde_json::Map::new();
            if let Some(token) = &requested {
                annotations.insert(REQUESTED_AT.into(), json!(token));
            }
            let mut obj = match &rollout {
                None => r.object.clone(),
                Some((d, revision)) => match d.choices.get(&r.cluster) {
                    Some(Choice::Stable) => {
                        // The stable revision where it had this target, else what runs now.
                        let s = o.stable.iter().find(|s| s.cluster == r.cluster)?;
                        let mut obj = s.object.clone();
                        obj["spec"]["suspend"] = r.object["spec"]["suspend"].clone();
                        let stable = d.status.stable_revision.clone().unwrap_or_default();
                        annotations.insert(REVISION_ANNOTATION.into(), json!(stable));
                        obj
                    }
                    _ => {
                        annotations.insert(REVISION_ANNOTATION.into(), json!(revision));
                        r.object.clone()
                    }
                },
            };
            if obj["spec"]["suspend"].is_null()
                && let Some(spec) = obj["spec"].as_object_mut()
            {
                spec.remove("suspend");
            }
            if !annotations.is_empty() {
                obj["metadata"]["annotations"] = Value::Object(annotations);
            }
            Some(obj)
        })
        .chain(suspended_for_removal(o))
        .collect();
    let delete = o
        .children
        .iter()
        .filter(|c| {
            let kind = c.types.as_ref().map(|t| t.kind.as_str()).unwrap_or_default();
            c.metadata.deletion_timestamp.is_none()
                && !o
                    .rendered
                    .iter()
                    .any(|r| r.kind() == kind && r.name() == c.name_any())
        })
        .cloned()
        .collect();

    let mut notes: Vec<Note> = targets
        .iter()
        .filter(|ts| {
            let before = old.targets.iter().find(|b| b.cluster == ts.cluster);
            before.map(|b| (&b.ready, &b.reason)) != Some((&ts.ready, &ts.reason))
        })
        .map(|ts| {
            let (warning, reason) = match ts.ready.as_str() {
                "True" => (false, "TargetReady"),
                "False" => (true, "TargetFailed"),
                _ => (false, "TargetProgressing"),
            };
            Note {
                warning,
                reason,
                message: format!("{}/{}: {} {}", ts.cluster, ts.namespace, ts.reason, ts.message),
            }
        })
        .collect();
    if let Some((d, _)) = &rollout {
        notes.extend(d.notes.iter().map(|(warning, reason, message)| Note {
            warning: *warning,
            reason,
            message: message.clone(),
        }));
    }

    let ready_count = targets.iter().filter(|t| t.ready == "True").count() as u32;
    let total = targets.len() as u32;
    let failed = targets.iter().find(|t| t.ready == "False");
    let waiting = targets.iter().find(|t| t.ready != "True" && t.ready != "False");
    let mut ready = match (failed, waiting) {
        (Some(f), _) => ("False", f.reason.clone(), format!("{}: {}", f.cluster, f.message)),
        (None, Some(w)) => (
            "Unknown",
            w.reason.clone(),
            format!("{}: {}", w.cluster, w.message),
        ),
        (None, None) => (
            "True",
            "Succeeded".to_string(),
            format!("{ready_count}/{total} targets ready"),
        ),
    };
    // A rollout that is paused or under way says so, over targets that are ready.
    let mut rolling = false;
    if let Some((d, _)) = &rollout {
        match d.status.phase.as_str() {
            "Paused" => ready = ("False", "RolloutPaused".into(), d.status.message.clone()),
            "Progressing" if ready.0 == "True" => {
                rolling = true;
                ready = ("Unknown", "RolloutProgressing".into(), d.status.message.clone());
            }
            "Progressing" => rolling = true,
            _ => {}
        }
    }
    // Workloads still rolling out (or not read yet as healthy) are looked at again soon, so a
    // failure that shows after Flux reported ready is seen within seconds.
    let settling = targets
        .iter()
        .any(|t| t.workloads.as_ref().is_some_and(|w| w.state != "healthy"));
    // Flux objects report their progress by watch (each change of one reconciles its
    // application), so a target waiting on Flux needs only a safety net; a target held by a
    // problem of ksflux's own (credentials, the cluster's answer) and workloads still settling
    // are not watched, and are looked at again soon.
    let held = targets
        .iter()
        .any(|t| t.ready != "True" && o.problems.contains_key(&t.cluster));
    let generation = app.metadata.generation;
    let status = ApplicationStatus {
        observed_generation: generation,
        conditions: conditions(
            &old,
            generation,
            (ready.0, &ready.1, &ready.2),
            waiting.is_some() || rolling,
            false,
        ),
        summary: Some(StatusSummary {
            ready: ready_count,
            total,
            text: format!("{ready_count}/{total}"),
        }),
        targets,
        last_handled_reconcile_at: requested.or(old.last_handled_reconcile_at.clone()),
        rollout: rollout.as_ref().map(|(d, _)| d.status.clone()),
    };
    let mut requeue = Duration::from_secs(match (ready.0, held || settling) {
        (_, true) => 15,
        ("True", false) => 300,
        _ => 120,
    });
    if let Some((d, _)) = &rollout {
        requeue = requeue.min(d.requeue);
    }
    Plan {
        apply,
        delete,
        status: (Some(&status) != app.status.as_ref()).then_some(status),
        notes,
        requeue,
    }
}

/// With `spec.rollout`: the rollout's step over the targets' health at the new revision, and
/// that revision.
fn rollout_step(o: &Observed<'_>, targets: &[TargetStatus]) -> Option<(rollout::Decision, String)> {
    let app = o.app;
    let settings = o.spec.rollout.as_ref()?;
    let revision = rollout::revision(o.spec);
    let clusters: Vec<String> = app.spec.targets.iter().map(|t| t.cluster.clone()).collect();
    let health = targets
        .iter()
        .map(|ts| {
            let child = o.children.iter().find(|c| {
                c.labels().get(super::CLUSTER_LABEL) == Some(&ts.cluster)
                    && c.metadata.deletion_timestamp.is_none()
            });
            let child_revision = child.and_then(|c| c.annotations().get(REVISION_ANNOTATION).cloned());
            let problem = o.problems.contains_key(&ts.cluster);
            (
                ts.cluster.clone(),
                rollout::health(ts, child_revision.as_deref(), &revision, problem),
            )
        })
        .collect();
    let decision = rollout::step(&rollout::Input {
        spec: o.spec,
        clusters: &clusters,
        rollout: settings,
        previous: app.status.as_ref().and_then(|s| s.rollout.as_ref()),
        labels: o.labels,
        health: &health,
        request: app
            .annotations()
            .get(rollout::REQUEST_ANNOTATION)
            .map(String::as_str),
        now: o.now,
    });
    Some((decision, revision))
}

/// The state of one target: its child's Ready condition (a Ready of an older generation is
/// still progressing), or its problem.
fn target_status(o: &Observed<'_>, old: &ApplicationStatus, ns: &str, r: &Rendered) -> TargetStatus {
    let suspended = r.object["spec"]["suspend"].as_bool().unwrap_or(false);
    let mut ts = TargetStatus {
        cluster: r.cluster.clone(),
        namespace: o
            .app
            .spec
            .targets
            .iter()
            .find(|t| t.cluster == r.cluster)
            .map(|t| t.namespace.clone())
            .unwrap_or_default(),
        object_ref: format!("{}/{}/{}", r.kind(), ns, r.name()),
        mode: o.agent.contains(&r.cluster).then(|| "agent".to_string()),
        last_drift: old
            .targets
            .iter()
            .find(|p| p.cluster == r.cluster)
            .and_then(|p| p.last_drift.clone()),
        suspended,
        ..Default::default()
    };
    if let Some(problem) = o.problems.get(&r.cluster) {
        ts.ready = problem.ready.into();
        ts.reason = problem.reason.into();
        ts.message = problem.message.clone();
        let previous = old.targets.iter().find(|p| p.cluster == r.cluster);
        ts.last_transition_time = match previous {
            Some(p) if p.ready == problem.ready => p.last_transition_time.clone(),
            _ => Some(crate::resources::status_time(jiff::Timestamp::now())),
        };
        return ts;
    }
    let child = o
        .children
        .iter()
        .find(|c| c.name_any() == r.name() && c.types.as_ref().is_some_and(|t| t.kind == r.kind()));
    let Some(child) = child else {
        ts.ready = "Unknown".into();
        ts.reason = "Progressing".into();
        ts.message = CREATING.into();
        return ts;
    };
    let v = serde_json::to_value(child).unwrap_or_default();
    let ready = v
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
    let field = |k: &str| ready.and_then(|c| c[k].as_str());
    ts.ready = field("status").unwrap_or("Unknown").into();
    ts.reason = field("reason").unwrap_or("Progressing").into();
    ts.message = field("message").unwrap_or_default().into();
    // Waiting for a dependency or the source is progress, not failure.
    if ts.ready == "False" && crate::resources::waiting(&ts.reason, &ts.message) {
        ts.ready = "Unknown".into();
    }
    ts.last_transition_time = field("lastTransitionTime").map(str::to_string);
    ts.last_applied_revision = applied_revision(&v);
    ts.last_attempted_revision = v
        .pointer("/status/lastAttemptedRevision")
        .and_then(Value::as_str)
        .map(str::to_string);
    let generation = v.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = v.pointer("/status/observedGeneration").and_then(Value::as_i64);
    if ts.ready == "True" && generation.is_some() && generation != observed && !suspended {
        ts.ready = "Unknown".into();
        ts.reason = "Progressing".into();
    }
    if ts.ready == "True"
        && let Some(w) = o.workloads.get(&r.cluster)
    {
        ts.workloads = Some(w.clone());
        // Flux applied it (and may have waited for it), but its workloads fail now.
        if w.state == "degraded" {
            let previous = old.targets.iter().find(|p| p.cluster == r.cluster);
            ts.ready = "False".into();
            ts.reason = DEGRADED.into();
            ts.message = w.message.clone();
            ts.last_transition_time = match previous {
                Some(p) if p.ready == "False" && p.reason == DEGRADED => p.last_transition_time.clone(),
                _ => Some(crate::resources::status_time(jiff::Timestamp::now())),
            };
        }
    }
    ts
}

/// The message of a target whose Flux object does not exist yet.
const CREATING: &str = "the Flux object is being created";

/// The reason of a target whose Flux object is ready but whose workloads fail.
pub const DEGRADED: &str = "WorkloadsDegraded";

/// The Ready, Reconciling and Stalled conditions, keeping transition times that did not move.
fn conditions(
    old: &ApplicationStatus,
    generation: Option<i64>,
    ready: (&str, &str, &str),
    reconciling: bool,
    stalled: bool,
) -> Vec<Condition> {
    let now = Time(jiff::Timestamp::now());
    let make = |type_: &str, status: &str, reason: &str, message: &str| {
        let previous = old.conditions.iter().find(|c| c.type_ == type_);
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            observed_generation: generation,
            last_transition_time: match previous {
                Some(p) if p.status == status => p.last_transition_time.clone(),
                _ => now.clone(),
            },
        }
    };
    let mut out = vec![make("Ready", ready.0, ready.1, ready.2)];
    if reconciling {
        out.push(make(
            "Reconciling",
            "True",
            "Progressing",
            "waiting for targets to become ready",
        ));
    }
    if stalled {
        out.push(make("Stalled", "True", ready.1, ready.2));
    }
    out
}

#[cfg(test)]
mod tests {
    use kube::api::{ApiResource, ObjectMeta, TypeMeta};

    use super::*;
    use crate::applications::{ApplicationSpec, render};

    /// An application with targets host/web and member-1/web, deploying a Kustomize path.
    fn app(annotations: &[(&str, &str)]) -> Application {
        let spec: ApplicationSpec = serde_json::from_value(json!({
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./deploy"},
            "targets": [{"cluster": "host", "namespace": "web"}, {"cluster": "member-1", "namespace": "web"}],
        }))
        .expect("spec");
        let mut a = Application::new("shop", spec);
        a.metadata = ObjectMeta {
            name: Some("shop".into()),
            namespace: Some("team-a".into()),
            uid: Some("u1".into()),
            generation: Some(2),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        };
        a
    }

    /// A Kustomization child as the kustomize-controller leaves it.
    fn child(name: &str, ready: &str, generation: i64, observed: i64) -> DynamicObject {
        let ar = ApiResource {
            group: "kustomize.toolkit.fluxcd.io".into(),
            version: "v1".into(),
            api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
            kind: "Kustomization".into(),
            plural: "kustomizations".into(),
        };
        let mut o = DynamicObject::new(name, &ar).within("team-a");
        o.types = Some(TypeMeta {
            api_version: ar.api_version.clone(),
            kind: "Kustomization".into(),
        });
        o.metadata.generation = Some(generation);
        o.data = json!({"status": {"observedGeneration": observed, "lastAppliedRevision": "main@sha1:abc",
            "conditions": [{"type": "Ready", "status": ready, "reason": if ready == "True" {"ReconciliationSucceeded"} else {"BuildFailed"},
                            "message": "m", "lastTransitionTime": "2026-11-27T10:00:00Z"}]}});
        o
    }

    fn run(app: &Application, children: &[DynamicObject], problems: &[(&str, Problem)]) -> Plan {
        run_with(app, children, problems, &BTreeMap::new())
    }

    fn run_with(
        app: &Application,
        children: &[DynamicObject],
        problems: &[(&str, Problem)],
        workloads: &BTreeMap<String, WorkloadsSummary>,
    ) -> Plan {
        let rendered = render::render(app);
        let problems: BTreeMap<String, Problem> =
            problems.iter().map(|(c, p)| (c.to_string(), p.clone())).collect();
        plan(&Observed {
            app,
            spec: &app.spec,
            rendered: &rendered,
            children,
            agent: &BTreeSet::new(),
            problems: &problems,
            workloads,
            labels: &BTreeMap::new(),
            stable: &[],
            now: jiff::Timestamp::now(),
        })
    }

    #[test]
    fn a_ready_target_whose_workloads_fail_is_degraded() {
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "True", 3, 3),
        ];
        let summary = |state: &str, ready: i32, message: &str| WorkloadsSummary {
            state: state.into(),
            ready,
            desired: 2,
            message: message.into(),
        };
        let workloads = BTreeMap::from([
            ("host".to_string(), summary("healthy", 2, "")),
            (
                "member-1".to_string(),
                summary("degraded", 0, "Deployment web: 2 pod(s) CrashLoopBackOff"),
            ),
        ]);
        let p = run_with(&app(&[]), &kids, &[], &workloads);
        assert_eq!(ready_of(&p), ("False".into(), DEGRADED.into()));
        let s = p.status.expect("status");
        let m1 = &s.targets[1];
        assert_eq!((m1.ready.as_str(), m1.reason.as_str()), ("False", DEGRADED));
        assert_eq!(m1.message, "Deployment web: 2 pod(s) CrashLoopBackOff");
        assert_eq!(m1.workloads.as_ref().map(|w| (w.ready, w.desired)), Some((0, 2)));
        assert_eq!(s.targets[0].ready, "True");
        assert_eq!(
            s.targets[0].workloads.as_ref().map(|w| w.state.as_str()),
            Some("healthy")
        );
        assert!(p.notes.iter().any(|n| n.warning && n.message.contains(DEGRADED)));
        assert_eq!(p.requeue, Duration::from_secs(15), "looked at again soon");
    }

    #[test]
    fn a_ready_application_whose_workloads_still_roll_out_is_looked_at_again_soon() {
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "True", 3, 3),
        ];
        let w = |state: &str| WorkloadsSummary {
            state: state.into(),
            ready: 1,
            desired: 2,
            message: String::new(),
        };
        let rolling = BTreeMap::from([("member-1".to_string(), w("progressing"))]);
        let p = run_with(&app(&[]), &kids, &[], &rolling);
        assert_eq!(ready_of(&p), ("True".into(), "Succeeded".into()));
        assert_eq!(p.requeue, Duration::from_secs(15));
        let healthy = BTreeMap::from([("member-1".to_string(), w("healthy"))]);
        assert_eq!(
            run_with(&app(&[]), &kids, &[], &healthy).requeue,
            Duration::from_secs(300)
        );
    }

    #[test]
    fn a_first_revision_in_waves_applies_wave_one_and_says_the_others_wait() {
        let mut a = app(&[]);
        a.spec.rollout = Some(
            serde_json::from_value(json!({"waves": [
                {"name": "first", "clusters": ["host"]},
                {"name": "second", "clusters": ["member-1"]}
            ]}))
            .expect("rollout"),
        );
        let p = run(&a, &[], &[]);
        let applied: Vec<&str> = p
            .apply
            .iter()
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        assert_eq!(applied, ["shop-host"], "only the first wave's object is created");
        assert!(p.apply[0]["metadata"]["annotations"][REVISION_ANNOTATION].is_string());
        let s = p.status.expect("status");
        let m1 = s
            .targets
            .iter()
            .find(|t| t.cluster == "member-1")
            .expect("member-1");
        assert_eq!(
            (m1.ready.as_str(), m1.reason.as_str()),
            ("Unknown", "RolloutPending")
        );
        assert_eq!(m1.message, "waits for rollout wave second");
        let r = s.rollout.expect("rollout status");
        assert_eq!(r.phase, "Progressing");
        assert_eq!(r.waves[0].state, "progressing");
        assert_eq!(r.waves[1].state, "pending");
        assert!(p.requeue <= Duration::from_secs(5));
    }

    fn ready_of(p: &Plan) -> (String, String) {
        let s = p.status.as_ref().expect("a status");
        let c = s.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
        (c.status.clone(), c.reason.clone())
    }

    #[test]
    fn a_target_waiting_for_its_source_is_progressing_not_failed() {
        let mut waiting = child("shop-host", "False", 1, 1);
        waiting.data["status"]["conditions"][0]["reason"] = json!("ArtifactFailed");
        waiting.data["status"]["conditions"][0]["message"] =
            json!("Source artifact not found, retrying in 30s");
        let p = run(&app(&[]), &[waiting], &[]);
        let s = p.status.as_ref().expect("status");
        let host = s
            .targets
            .iter()
            .find(|t| t.cluster == "host")
            .expect("host target");
        assert_eq!(
            (host.ready.as_str(), host.reason.as_str()),
            ("Unknown", "ArtifactFailed")
        );
        assert_ne!(ready_of(&p).0, "False");
    }

    #[test]
    fn a_new_application_applies_every_target_and_is_progressing() {
        let p = run(&app(&[]), &[], &[]);
        assert_eq!(p.apply.len(), 2);
        assert!(p.delete.is_empty());
        assert_eq!(ready_of(&p), ("Unknown".into(), "Progressing".into()));
        let s = p.status.expect("status");
        assert_eq!(s.summary.map(|s| s.text), Some("0/2".into()));
        assert!(s.conditions.iter().any(|c| c.type_ == "Reconciling"));
        assert_eq!(
            p.requeue,
            Duration::from_secs(120),
            "Flux's progress comes by watch"
        );
        assert_eq!(p.notes.len(), 2, "each target's first state is an event");
    }

    #[test]
    fn ready_children_make_the_application_ready_and_it_is_checked_less_often() {
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "True", 3, 3),
        ];
        let p = run(&app(&[]), &kids, &[]);
        assert_eq!(ready_of(&p), ("True".into(), "Succeeded".into()));
        let s = p.status.expect("status");
        assert_eq!(
            s.targets[0].last_applied_revision.as_deref(),
            Some("main@sha1:abc")
        );
        assert_eq!(p.requeue, Duration::from_secs(300));
    }

    #[test]
    fn a_ready_of_an_older_generation_is_still_progressing() {
        let kids = [
            child("shop-host", "True", 2, 1),
            child("shop-member-1", "True", 1, 1),
        ];
        let s = run(&app(&[]), &kids, &[]).status.expect("status");
        assert_eq!(
            (s.targets[0].ready.as_str(), s.targets[0].reason.as_str()),
            ("Unknown", "Progressing")
        );
        assert_eq!(s.targets[1].ready, "True");
    }

    #[test]
    fn one_failed_target_fails_the_application_and_names_the_cluster() {
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "False", 1, 1),
        ];
        let p = run(&app(&[]), &kids, &[]);
        assert_eq!(ready_of(&p), ("False".into(), "BuildFailed".into()));
        let msg = p.status.expect("status").conditions[0].message.clone();
        assert!(msg.starts_with("member-1: "), "{msg}");
        assert!(p.notes.iter().any(|n| n.warning && n.reason == "TargetFailed"));
    }

    #[test]
    fn a_target_with_a_problem_is_not_applied_and_shows_the_problem() {
        let unreachable = Problem {
            ready: "Unknown",
            reason: "ClusterUnreachable",
            message: "connection refused".into(),
        };
        let p = run(
            &app(&[]),
            &[child("shop-host", "True", 1, 1)],
            &[("member-1", unreachable)],
        );
        assert_eq!(p.apply.len(), 1);
        assert_eq!(p.apply[0]["metadata"]["name"], "shop-host");
        assert_eq!(
            p.requeue,
            Duration::from_secs(15),
            "a problem is not watched: polled"
        );
        let s = p.status.expect("status");
        assert_eq!(s.targets[1].reason, "ClusterUnreachable");
        assert!(s.targets[1].last_transition_time.is_some());
    }

    #[test]
    fn a_target_whose_cluster_left_the_registry_is_suspended_not_deleted() {
        let removed = || Problem {
            ready: "False",
            reason: CLUSTER_NOT_FOUND,
            message: "cluster \"member-1\" is not registered".into(),
        };
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "True", 1, 1),
        ];
        let p = run(&app(&[]), &kids, &[("member-1", removed())]);
        assert!(p.delete.is_empty(), "{:?}", p.delete);
        let suspended: Vec<&Value> = p.apply.iter().filter(|o| o["spec"]["suspend"] == true).collect();
        assert_eq!(suspended.len(), 1);
        assert_eq!(suspended[0]["metadata"]["name"], "shop-member-1");
        assert_eq!(
            suspended[0]["metadata"]["annotations"][SUSPENDED_FOR],
            "cluster-removed"
        );
        let s = p.status.expect("status");
        assert_eq!(
            (s.targets[1].ready.as_str(), s.targets[1].reason.as_str()),
            ("False", CLUSTER_NOT_FOUND)
        );
        // Never deployed there: nothing to suspend.
        let p = run(&app(&[]), &kids[..1], &[("member-1", removed())]);
        assert!(p.apply.iter().all(|o| o["spec"]["suspend"] != true));
        // Registered again: applied as rendered, so it resumes.
        let p = run(&app(&[]), &kids, &[]);
        let back = p
            .apply
            .iter()
            .find(|o| o["metadata"]["name"] == "shop-member-1")
            .expect("applied");
        assert_ne!(back["spec"]["suspend"], true, "{back}");
    }

    #[test]
    fn children_of_removed_targets_are_deleted_once() {
        let gone = child("shop-member-2", "True", 1, 1);
        let mut going = child("shop-member-3", "True", 1, 1);
        going.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::now()));
        let p = run(&app(&[]), &[child("shop-host", "True", 1, 1), gone, going], &[]);
        let names: Vec<String> = p.delete.iter().map(|d| d.name_any()).collect();
        assert_eq!(names, ["shop-member-2"]);
    }

    #[test]
    fn a_reconcile_request_is_passed_to_every_child_and_recorded_as_handled() {
        let p = run(&app(&[(REQUESTED_AT, "t1")]), &[], &[]);
        assert!(
            p.apply
                .iter()
                .all(|o| o["metadata"]["annotations"][REQUESTED_AT] == "t1")
        );
        assert_eq!(
            p.status.and_then(|s| s.last_handled_reconcile_at).as_deref(),
            Some("t1")
        );
    }

    #[test]
    fn an_unchanged_status_is_not_written_again() {
        let kids = [
            child("shop-host", "True", 1, 1),
            child("shop-member-1", "True", 1, 1),
        ];
        let mut a = app(&[]);
        a.status = run(&a, &kids, &[]).status;
        let p = run(&a, &kids, &[]);
        assert!(p.status.is_none());
        assert!(p.notes.is_empty());
    }

    #[test]
    fn failures_are_reported_once() {
        let mut a = app(&[]);
        let s = failed(&a, "ApplyRejected", "refused", true).expect("new failure");
        assert!(
            s.conditions
                .iter()
                .any(|c| c.type_ == "Stalled" && c.status == "True")
        );
        a.status = Some(s);
        assert!(failed(&a, "ApplyRejected", "refused", true).is_none());
        let s = invalid(&a, "spec.targets: required");
        assert_eq!(s.conditions[0].reason, "InvalidSpec");
        assert_eq!(s.observed_generation, Some(2));
    }
}
