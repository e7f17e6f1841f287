//! The Application controller: one reconcile per Application. It validates the spec, checks
//! every target is allowed, provisions scoped member credentials, applies one Flux object per
//! target (server-side apply, field manager `ksflux`), deletes the objects of removed
//! targets, and writes per-target and aggregated status back. A finalizer deletes every
//! rendered object (whose own Flux finalizers clean up the member clusters) before the
//! Application goes, then revokes credentials no other application of the project needs.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use k8s_openapi::{
    api::core::v1::Namespace,
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams},
    runtime::{
        Controller,
        controller::Action,
        events::{Event, EventType, Recorder, Reporter},
        finalizer::{Event as Finalizer, finalizer},
        reflector::Store,
        watcher,
    },
};
use serde_json::{Value, json};

use super::{
    APPLICATION_LABEL, Application, ApplicationStatus, CLUSTER_LABEL, StatusSummary, TargetStatus, access,
    render,
};
use crate::{clusters::Clusters, resources::REQUESTED_AT};

/// The finalizer ksflux puts on Applications.
pub const FINALIZER: &str = "fluxcd.kubesphere.io/cleanup";
/// The field manager of everything the controller applies.
pub const MANAGER: &str = "ksflux";

/// Errors of a reconcile; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes call failed.
    #[error("kubernetes: {0}")]
    Kube(#[from] kube::Error),
    /// Anything else.
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
    /// Deletion waits for rendered objects to finish their own cleanup.
    #[error("waiting for {0} rendered objects to be deleted")]
    Deleting(usize),
}

/// What the controller shares between reconciles.
pub struct Context {
    /// The clusters.
    pub clusters: Clusters,
    /// ksflux's own client for the host.
    pub host: Client,
    /// Every Application, from the controller's cache.
    pub store: Store<Application>,
    /// Publishes Kubernetes Events on Applications.
    pub recorder: Recorder,
}

fn ar(kind: &str) -> ApiResource {
    if kind == "HelmRelease" {
        crate::delivery::HELM_RELEASE.api_resource()
    } else {
        crate::delivery::KUSTOMIZATION.api_resource()
    }
}

/// Runs the controller until shutdown. Exits early with a hint if the CRD is not installed.
pub async fn run(clusters: Clusters) -> anyhow::Result<()> {
    let host = clusters.host().client();
    let apps: Api<Application> = Api::all(host.clone());
    if let Err(e) = apps.list(&ListParams::default().limit(1)).await {
        anyhow::bail!("the Application CRD is not installed ({e}); run `ksflux crds | kubectl apply -f -`");
    }
    let selector = watcher::Config::default().labels(APPLICATION_LABEL);
    let controller = Controller::new(apps, watcher::Config::default().any_semantic())
        .owns_with(
            Api::<DynamicObject>::all_with(host.clone(), &ar("Kustomization")),
            ar("Kustomization"),
            selector.clone(),
        )
        .owns_with(
            Api::<DynamicObject>::all_with(host.clone(), &ar("HelmRelease")),
            ar("HelmRelease"),
            selector,
        );
    let recorder = Recorder::new(
        host.clone(),
        Reporter {
            controller: "ksflux".into(),
            instance: None,
        },
    );
    // Re-evaluate every application when a cluster appears, goes or changes reachability.
    let changes = futures::stream::unfold(clusters.changes(), |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    });
    let ctx = Arc::new(Context {
        clusters,
        host,
        store: controller.store(),
        recorder,
    });
    controller
        .reconcile_all_on(changes)
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                tracing::debug!(error = %e, "reconcile failed");
            }
        })
        .await;
    Ok(())
}

fn error_policy(
    app: Arc<Application>,
    err: &kube::runtime::finalizer::Error<Error>,
    _: Arc<Context>,
) -> Action {
    match err {
        kube::runtime::finalizer::Error::CleanupFailed(Error::Deleting(_)) => {
            Action::requeue(Duration::from_secs(2))
        }
        e => {
            tracing::warn!(application = app.name_any(), namespace = app.namespace(), error = %e, "reconcile failed");
            Action::requeue(Duration::from_secs(10))
        }
    }
}

/// Reconciles one Application.
pub async fn reconcile(
    app: Arc<Application>,
    ctx: Arc<Context>,
) -> Result<Action, kube::runtime::finalizer::Error<Error>> {
    let ns = app.namespace().unwrap_or_default();
    let api: Api<Application> = Api::namespaced(ctx.host.clone(), &ns);
    finalizer(&api, FINALIZER, app, |event| async {
        match event {
            Finalizer::Apply(app) => apply_or_report(&app, &ctx).await,
            Finalizer::Cleanup(app) => cleanup(&app, &ctx).await,
        }
    })
    .await
}

fn children_api(ctx: &Context, ns: &str, kind: &str) -> Api<DynamicObject> {
    Api::namespaced_with(ctx.host.clone(), ns, &ar(kind))
}

async fn children(ctx: &Context, ns: &str, name: &str) -> Result<Vec<DynamicObject>, Error> {
    let lp = ListParams::default().labels(&format!("{APPLICATION_LABEL}={name}"));
    let mut out = Vec::new();
    for kind in ["Kustomization", "HelmRelease"] {
        for mut o in children_api(ctx, ns, kind).list(&lp).await?.items {
            // Dynamic lists carry no kind per item; restore it.
            o.types = Some(kube::api::TypeMeta {
                api_version: ar(kind).api_version,
                kind: kind.into(),
            });
            out.push(o);
        }
    }
    Ok(out)
}

/// Clusters (and their target namespaces) that project `ns` deploys to, over all its
/// applications except `skip`.
fn project_targets(ctx: &Context, ns: &str, skip: Option<&str>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in ctx.store.state() {
        if a.namespace().as_deref() != Some(ns)
            || Some(a.name_any().as_str()) == skip
            || a.meta().deletion_timestamp.is_some()
        {
            continue;
        }
        for t in &a.spec.targets {
            out.entry(t.cluster.clone())
                .or_default()
                .insert(t.namespace.clone());
        }
    }
    out
}

async fn apply(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let name = app.name_any();
    let ns = app.namespace().unwrap_or_default();
    let generation = app.metadata.generation;
    let old = app.status.clone().unwrap_or_default();
    let causes = render::validate(&name, &app.spec);
    if !causes.is_empty() {
        let message = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect::<Vec<_>>()
            .join("; ");
        let status = ApplicationStatus {
            observed_generation: generation,
            conditions: conditions(&old, generation, ("False", "InvalidSpec", &message), false, true),
            ..old.clone()
        };
        write_status(ctx, app, &status).await?;
        event(ctx, app, EventType::Warning, "InvalidSpec", &message).await;
        return Ok(Action::await_change());
    }

    let namespaces: Api<Namespace> = Api::all(ctx.host.clone());
    let project = namespaces.get(&ns).await?;
    let requested = app.annotations().get(REQUESTED_AT).cloned();
    let mut problems: BTreeMap<String, (String, String, String)> = BTreeMap::new(); // cluster -> (ready, reason, message)
    let mut renew_in = i64::MAX;

    // Which members this project uses, and where, across all its applications.
    let mut scopes = project_targets(ctx, &ns, Some(&name));
    for t in &app.spec.targets {
        scopes
            .entry(t.cluster.clone())
            .or_default()
            .insert(t.namespace.clone());
    }
    // The project's ServiceAccount exists on the host for every target (Flux looks it up
    // there before pruning, even for members), bound where the project targets the host.
    let host_scope = scopes.get(crate::clusters::HOST).cloned().unwrap_or_default();
    let host_identity = access::ensure_host(&ctx.host, &ns, &host_scope)
        .await
        .err()
        .map(|e| format!("{e:#}"));
    for t in &app.spec.targets {
        let cluster = match ctx.clusters.get(&t.cluster) {
            Ok(c) => c,
            Err(_) => {
                problems.insert(
                    t.cluster.clone(),
                    (
                        "False".into(),
                        "ClusterNotFound".into(),
                        format!("cluster {:?} is not registered", t.cluster),
                    ),
                );
                continue;
            }
        };
        let health = cluster.health();
        if health.last_checked.is_some() && !health.reachable {
            problems.insert(
                t.cluster.clone(),
                (
                    "Unknown".into(),
                    "ClusterUnreachable".into(),
                    health.message.clone(),
                ),
            );
            continue;
        }
        if let Err(m) =
            access::check_allowed(&project, &t.cluster, Some(&cluster.client()), &t.namespace).await
        {
            problems.insert(t.cluster.clone(), ("False".into(), "TargetNotAllowed".into(), m));
            continue;
        }
        let allowed: BTreeSet<String> = scopes.get(&t.cluster).cloned().unwrap_or_default();
        if let Some(e) = &host_identity {
            problems.insert(
                t.cluster.clone(),
                ("Unknown".into(), "CredentialsFailed".into(), e.clone()),
            );
            continue;
        }
        if t.cluster != crate::clusters::HOST {
            match access::ensure(&ctx.host, &cluster, &ns, &allowed).await {
                Ok(p) => renew_in = renew_in.min(p.renew_in),
                Err(e) => {
                    problems.insert(
                        t.cluster.clone(),
                        ("Unknown".into(), "CredentialsFailed".into(), format!("{e:#}")),
                    );
                    continue;
                }
            }
        }
    }

    // Apply the rendered objects of the targets that can be served.
    let rendered = render::render(app);
    let pp = PatchParams::apply(MANAGER).force();
    for r in &rendered {
        if problems.contains_key(&r.cluster) {
            continue;
        }
        let mut obj = r.object.clone();
        if let Some(token) = &requested {
            obj["metadata"]["annotations"] = json!({REQUESTED_AT: token});
        }
        children_api(ctx, &ns, r.kind())
            .patch(r.name(), &pp, &Patch::Apply(&obj))
            .await?;
    }
    // Objects of targets that are gone.
    let wanted: BTreeSet<(String, String)> = rendered
        .iter()
        .map(|r| (r.kind().to_string(), r.name().to_string()))
        .collect();
    let mut deletion_pending = false;
    for child in children(ctx, &ns, &name).await? {
        let kind = child.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
        if wanted.contains(&(kind.clone(), child.name_any())) || child.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if !delete_child(ctx, &ns, &kind, &child).await? {
            deletion_pending = true;
        } else {
            event(
                ctx,
                app,
                EventType::Normal,
                "TargetRemoved",
                &format!("deleted {kind} {}", child.name_any()),
            )
            .await;
        }
    }

    // Status, per target then overall.
    let live = children(ctx, &ns, &name).await?;
    let mut targets = Vec::new();
    for r in &rendered {
        let t = app.spec.targets.iter().find(|t| t.cluster == r.cluster);
        let suspended = r.object["spec"]["suspend"].as_bool().unwrap_or(false);
        let object_ref = format!("{}/{}/{}", r.kind(), ns, r.name());
        let mut ts = TargetStatus {
            cluster: r.cluster.clone(),
            namespace: t.map(|t| t.namespace.clone()).unwrap_or_default(),
            object_ref,
            suspended,
            ..Default::default()
        };
        let child = live.iter().find(|c| c.name_any() == r.name());
        if let Some(c) = child {
            let v = serde_json::to_value(c).unwrap_or_default();
            let ready = v
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
            ts.ready = ready
                .and_then(|c| c["status"].as_str())
                .unwrap_or("Unknown")
                .to_string();
            ts.reason = ready
                .and_then(|c| c["reason"].as_str())
                .unwrap_or("Progressing")
                .to_string();
            ts.message = ready
                .and_then(|c| c["message"].as_str())
                .unwrap_or_default()
                .to_string();
            ts.last_transition_time = ready
                .and_then(|c| c["lastTransitionTime"].as_str())
                .map(str::to_string);
            ts.last_applied_revision = crate::resources::applied_revision(&v);
            ts.last_attempted_revision = v
                .pointer("/status/lastAttemptedRevision")
                .and_then(Value::as_str)
                .map(str::to_string);
            // A stale Ready from an older generation is still progressing.
            let gen_ = v.pointer("/metadata/generation").and_then(Value::as_i64);
            let observed = v.pointer("/status/observedGeneration").and_then(Value::as_i64);
            if ts.ready == "True" && gen_.is_some() && gen_ != observed && !suspended {
                ts.ready = "Unknown".into();
                ts.reason = "Progressing".into();
            }
        } else {
            ts.ready = "Unknown".into();
            ts.reason = "Progressing".into();
            ts.message = "the Flux object is being created".into();
        }
        if let Some((ready, reason, message)) = problems.get(&r.cluster) {
            ts.ready = ready.clone();
            ts.reason = reason.clone();
            ts.message = message.clone();
            let previous = old.targets.iter().find(|o| o.cluster == r.cluster);
            ts.last_transition_time = match previous {
                Some(p) if p.ready == *ready => p.last_transition_time.clone(),
                _ => Some(jiff::Timestamp::now().to_string()),
            };
        }
        targets.push(ts);
    }
    for ts in &targets {
        let before = old.targets.iter().find(|o| o.cluster == ts.cluster);
        if before.map(|b| (&b.ready, &b.reason)) != Some((&ts.ready, &ts.reason)) {
            let (kind, reason) = match ts.ready.as_str() {
                "True" => (EventType::Normal, "TargetReady"),
                "False" => (EventType::Warning, "TargetFailed"),
                _ => (EventType::Normal, "TargetProgressing"),
            };
            let note = format!("{}/{}: {} {}", ts.cluster, ts.namespace, ts.reason, ts.message);
            event(ctx, app, kind, reason, &note).await;
        }
    }
    let ready_count = targets.iter().filter(|t| t.ready == "True").count() as u32;
    let total = targets.len() as u32;
    let failed = targets.iter().find(|t| t.ready == "False");
    let waiting = targets.iter().find(|t| t.ready != "True" && t.ready != "False");
    let ready = if let Some(f) = failed {
        ("False", f.reason.clone(), format!("{}: {}", f.cluster, f.message))
    } else if let Some(w) = waiting {
        (
            "Unknown",
            w.reason.clone(),
            format!("{}: {}", w.cluster, w.message),
        )
    } else {
        (
            "True",
            "Succeeded".to_string(),
            format!("{ready_count}/{total} targets ready"),
        )
    };
    let status = ApplicationStatus {
        observed_generation: generation,
        conditions: conditions(
            &old,
            generation,
            (ready.0, &ready.1, &ready.2),
            waiting.is_some(),
            false,
        ),
        summary: Some(StatusSummary {
            ready: ready_count,
            total,
            text: format!("{ready_count}/{total}"),
        }),
        targets,
        last_handled_reconcile_at: requested.or(old.last_handled_reconcile_at.clone()),
    };
    if Some(&status) != app.status.as_ref() {
        write_status(ctx, app, &status).await?;
    }
    let next = if deletion_pending {
        2
    } else if ready.0 == "True" {
        300
    } else {
        15
    };
    let next = next.min(renew_in.max(5));
    Ok(Action::requeue(Duration::from_secs(next as u64)))
}

/// Applies an application, and when that fails, says so on the application: Ready=False
/// with the reason (and Stalled when a cluster refused a rendered object, which only an edit
/// fixes), plus a Warning Event when the failure is new. The error still goes back to the
/// controller, which retries.
async fn apply_or_report(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let err = match apply(app, ctx).await {
        Ok(action) => return Ok(action),
        Err(e) => e,
    };
    let (reason, stalled, message) = match &err {
        // A server-side apply of a field of the wrong type fails as a 500 "failed to create
        // typed patch object": as much a refusal as a 422.
        Error::Kube(kube::Error::Api(s))
            if s.code == 422
                || s.code == 400
                || s.message.contains("failed to create typed patch object") =>
        {
            (
                "ApplyRejected",
                true,
                format!("a rendered Flux object was refused: {}", s.message),
            )
        }
        Error::Kube(kube::Error::Api(s)) => ("ReconcileFailed", false, s.message.clone()),
        e => ("ReconcileFailed", false, e.to_string()),
    };
    let old = app.status.clone().unwrap_or_default();
    let already = old
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "False" && c.reason == reason && c.message == message);
    if !already {
        let status = ApplicationStatus {
            conditions: conditions(
                &old,
                app.metadata.generation,
                ("False", reason, &message),
                false,
                stalled,
            ),
            ..old.clone()
        };
        if let Err(e) = write_status(ctx, app, &status).await {
            tracing::warn!(application = app.name_any(), error = %e, "cannot write the failure to the status");
        }
        event(ctx, app, EventType::Warning, reason, &message).await;
    }
    Err(err)
}

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

async fn write_status(ctx: &Context, app: &Application, status: &ApplicationStatus) -> Result<(), Error> {
    let api: Api<Application> = Api::namespaced(ctx.host.clone(), &app.namespace().unwrap_or_default());
    let patch = json!({"status": status});
    api.patch_status(&app.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(())
}

async fn event(ctx: &Context, app: &Application, type_: EventType, reason: &str, note: &str) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &app.object_ref(&())).await {
        tracing::debug!(error = %e, "publishing an event failed");
    }
}

/// Deletes a rendered object so that Flux cleans up after it: a suspended Flux object is
/// deleted without pruning or uninstalling, so it is resumed first.
/// How long a child unsuspended for its deletion may take to be seen by its controller
/// before it is deleted anyway.
const UNSUSPEND_GRACE: Duration = Duration::from_secs(60);

/// Deletes a child so that Flux cleans up what it applied. Flux skips that clean-up for a
/// suspended object, so a suspended child is first resumed with a reconcile request, and
/// deleted only once its controller handled that request (or after [`UNSUSPEND_GRACE`]);
/// returns whether the delete was sent.
async fn delete_child(ctx: &Context, ns: &str, kind: &str, child: &DynamicObject) -> Result<bool, Error> {
    let api = children_api(ctx, ns, kind);
    if child.data.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        let token = jiff::Timestamp::now().to_string();
        let patch = json!({"metadata": {"annotations": {REQUESTED_AT: token}}, "spec": {"suspend": false}});
        api.patch(&child.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        return Ok(false);
    }
    let requested = child.annotations().get(REQUESTED_AT);
    let handled = child
        .data
        .pointer("/status/lastHandledReconcileAt")
        .and_then(Value::as_str);
    let waited_enough = requested
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| jiff::Timestamp::now().duration_since(t).unsigned_abs() > UNSUSPEND_GRACE);
    if requested.is_some() && requested.map(String::as_str) != handled && !waited_enough {
        return Ok(false);
    }
    api.delete(&child.name_any(), &DeleteParams::background()).await?;
    Ok(true)
}

async fn cleanup(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let name = app.name_any();
    let ns = app.namespace().unwrap_or_default();
    let live = children(ctx, &ns, &name).await?;
    if !live.is_empty() {
        for c in &live {
            if c.metadata.deletion_timestamp.is_none() {
                let kind = c.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
                delete_child(ctx, &ns, &kind, c).await?;
            }
        }
        // Flux's own finalizers remove what the objects applied to the members; credentials
        // must outlive that, so wait.
        return Err(Error::Deleting(live.len()));
    }
    let still_used = project_targets(ctx, &ns, Some(&name));
    if still_used.is_empty() {
        access::revoke_host(&ctx.host, &ns).await;
    }
    for t in &app.spec.targets {
        if t.cluster == crate::clusters::HOST || still_used.contains_key(&t.cluster) {
            continue;
        }
        // Other applications' objects may still be finalizing against this cluster.
        let lp = ListParams::default().labels(&format!("{CLUSTER_LABEL}={}", t.cluster));
        let mut in_use = false;
        for kind in ["Kustomization", "HelmRelease"] {
            in_use |= !children_api(ctx, &ns, kind)
                .list_metadata(&lp)
                .await?
                .items
                .is_empty();
        }
        if !in_use {
            access::revoke(&ctx.host, ctx.clusters.get(&t.cluster).ok().as_deref(), &ns).await?;
        }
    }
    event(
        ctx,
        app,
        EventType::Normal,
        "Deleted",
        "deleted the Flux objects of every target",
    )
    .await;
    Ok(Action::await_change())
}
