//! The Application API beyond plain CRUD: request checks (spec rules and where the project
//! may deploy), preview and diff of the rendered Flux objects, per-target actions, and the
//! per-target detail view.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event as KubeEvent, Namespace};
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, Patch, PatchParams, PostParams},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{
    Application, ApplicationSpec, access, placement,
    render::{self, Change, Rendered},
};
use crate::{
    auth::User,
    clusters::Clusters,
    error::{Cause, Error, Result},
    kinds::Action,
    resources::{LAST_ACTION, ObjectRequest, REQUESTED_AT},
};

/// A serde path as the API names fields: `spec.targets[1].overrides.values`.
fn field_of(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => "spec".into(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_of(parent)),
        Path::Map { parent, key } => format!("{}.{key}", field_of(parent)),
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            field_of(parent)
        }
    }
}

/// Reads an application spec: a field of the wrong type, or one the Application does not
/// have, is a 422 naming it (nothing is silently dropped).
fn spec_of(req: &ObjectRequest) -> Result<ApplicationSpec> {
    let mut unknown = Vec::new();
    let mut note = |path: serde_ignored::Path<'_>| unknown.push(field_of(&path));
    let de = serde_ignored::Deserializer::new(req.spec.clone(), &mut note);
    let spec: ApplicationSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(vec![Cause::invalid(
            format!("spec.{path}").trim_end_matches('.'),
            e.inner().to_string(),
        )])
    })?;
    if !unknown.is_empty() {
        return Err(Error::invalid(
            unknown
                .into_iter()
                .map(|field| Cause {
                    reason: "FieldValueNotSupported".into(),
                    message: format!("{field} is not a field of an Application"),
                    field,
                })
                .collect(),
        ));
    }
    Ok(spec)
}

fn app_of(namespace: &str, req: &ObjectRequest, spec: ApplicationSpec) -> Application {
    let mut app = Application::new(&req.metadata.name, spec);
    app.metadata.namespace = Some(namespace.to_string());
    app
}

/// Checks an application request: its spec rules, that every target cluster is registered,
/// and that the project may deploy to every target namespace. Writes nothing.
pub async fn check(clusters: &Clusters, namespace: &str, req: &ObjectRequest) -> Result<ApplicationSpec> {
    let too_large = crate::limits::check_spec(&req.spec);
    if !too_large.is_empty() {
        return Err(Error::invalid(too_large));
    }
    let spec = spec_of(req)?;
    let mut causes = render::validate(&req.metadata.name, &spec);
    let mut resolved = None;
    if causes.is_empty() {
        match placement::resolve(&app_of(namespace, req, spec.clone()), &clusters.labels()) {
            Ok(r) => resolved = Some(r),
            Err(c) => causes.extend(c),
        }
    }
    if let Some(r) = &resolved {
        let namespaces: Api<Namespace> = Api::all(clusters.host().client());
        let project = namespaces.get(namespace).await?;
        for (i, t) in r.app.spec.targets.iter().enumerate() {
            let field = placement::target_field(r, i);
            let Ok(cluster) = clusters.get(&t.cluster) else {
                causes.push(Cause::invalid(
                    format!("{field}.cluster"),
                    format!("cluster {:?} is not registered", t.cluster),
                ));
                continue;
            };
            let client = cluster.health().reachable.then(|| cluster.client());
            if let Err(m) = access::check_allowed(
                &project,
                clusters.platform(),
                &t.cluster,
                client.as_ref(),
                &t.namespace,
            )
            .await
            {
                let field = if i < r.explicit {
                    format!("{field}.namespace")
                } else {
                    "spec.placement.namespace".to_string()
                };
                causes.push(Cause::forbidden(field, format!("{m} (cluster {:?})", t.cluster)));
            }
        }
        if causes.is_empty() {
            causes.extend(check_rendered(&r.app));
        }
    }
    if causes.is_empty() {
        Ok(spec)
    } else {
        Err(Error::invalid(causes))
    }
}

/// Checks every rendered object against Flux's own schema (the generated types). The
/// application's Flux options are typed already (`install.disableWait: "yes"` is refused when
/// the spec is read); this guards the whole rendered object, so nothing a controller cannot
/// apply is written. The cause names the application's field the rendered one comes from.
fn check_rendered(app: &Application) -> Vec<Cause> {
    let helm = app.spec.helm.is_some();
    let kind = if helm {
        &crate::delivery::HELM_RELEASE
    } else {
        &crate::delivery::KUSTOMIZATION
    };
    let mut causes = Vec::new();
    for (i, r) in render::render(app).iter().enumerate() {
        if let Err(c) = (kind.schema)(&r.object) {
            let field = application_field(helm, &c.field, i);
            if !causes.iter().any(|x: &Cause| x.field == field) {
                causes.push(Cause::invalid(
                    field,
                    format!(
                        "{} (in the {} for cluster {:?}, at {})",
                        c.message, kind.kind, r.cluster, c.field
                    ),
                ));
            }
        }
    }
    causes
}

/// The application field a rendered object's field comes from (the target itself when the
/// field is computed).
fn application_field(helm: bool, rendered: &str, target: usize) -> String {
    let rest = rendered.strip_prefix("spec.").unwrap_or(rendered);
    let top = rest.split(['.', '[']).next().unwrap_or_default();
    let passthrough: &[&str] = if helm {
        &[
            "install",
            "upgrade",
            "rollback",
            "uninstall",
            "values",
            "valuesFrom",
            "test",
            "timeout",
            "driftDetection",
            "postRenderers",
            "postRenderStrategy",
            "maxHistory",
            "persistentClient",
            "commonMetadata",
            "healthCheckExprs",
            "waitStrategy",
        ]
    } else {
        &[
            "patches",
            "images",
            "wait",
            "components",
            "ignoreMissingComponents",
            "commonMetadata",
            "force",
            "healthChecks",
            "healthCheckExprs",
            "namePrefix",
            "nameSuffix",
            "timeout",
            "retryInterval",
            "deletionPolicy",
            "decryption",
            "ignore",
            "buildMetadata",
        ]
    };
    if passthrough.contains(&top) {
        format!("spec.{}.{rest}", if helm { "helm" } else { "kustomize" })
    } else {
        format!("spec.targets[{target}]")
    }
}

/// Renders the Flux objects of every target of a requested spec (the placement's clusters
/// included, each with the label layers it got), writing nothing.
pub async fn preview(clusters: &Clusters, namespace: &str, req: &ObjectRequest) -> Result<Vec<Rendered>> {
    let spec = check(clusters, namespace, req).await?;
    render_resolved(clusters, &app_of(namespace, req, spec))
}

/// `app` resolved with the clusters' current labels, a conflict being a 422.
pub fn resolved(clusters: &Clusters, app: &Application) -> Result<placement::Resolved> {
    placement::resolve(app, &clusters.labels()).map_err(Error::invalid)
}

/// The Flux objects `app` renders with the clusters' current labels, with the layers each got.
fn render_resolved(clusters: &Clusters, app: &Application) -> Result<Vec<Rendered>> {
    let r = resolved(clusters, app)?;
    let mut out = render::render(&r.app);
    for o in &mut out {
        o.layers = r.layers.get(&o.cluster).cloned().unwrap_or_default();
    }
    Ok(out)
}

/// What an edit would change in one target.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetDiff {
    /// The cluster.
    pub cluster: String,
    /// The Flux object's kind.
    pub kind: String,
    /// The Flux object's name.
    pub name: String,
    /// `create`, `update`, `delete` or `unchanged`.
    pub action: String,
    /// The changes, by path.
    pub changes: Vec<Change>,
}

/// Per target, the difference between the Flux objects the stored application renders (what
/// the controller applies) and those the edit would render.
pub async fn diff(
    clusters: &Clusters,
    user_client: &Client,
    namespace: &str,
    name: &str,
    req: &ObjectRequest,
) -> Result<Vec<TargetDiff>> {
    let api: Api<Application> = Api::namespaced(user_client.clone(), namespace);
    let current = api.get(name).await?;
    let spec = check(clusters, namespace, req).await?;
    let mut edited = app_of(namespace, req, spec);
    edited.metadata.uid = current.metadata.uid.clone();
    // The stored application as the controller renders it now (a conflict renders nothing).
    let before = render_resolved(clusters, &current).unwrap_or_default();
    let after = render_resolved(clusters, &edited)?;
    let mut out = Vec::new();
    for a in &after {
        match before.iter().find(|b| b.cluster == a.cluster) {
            Some(b) => {
                let changes = render::diff(&b.object, &a.object);
                out.push(TargetDiff {
                    cluster: a.cluster.clone(),
                    kind: a.kind().into(),
                    name: a.name().into(),
                    action: if changes.is_empty() { "unchanged" } else { "update" }.into(),
                    changes,
                });
            }
            None => out.push(TargetDiff {
                cluster: a.cluster.clone(),
                kind: a.kind().into(),
                name: a.name().into(),
                action: "create".into(),
                changes: render::diff(&json!({}), &a.object),
            }),
        }
    }
    for b in before
        .iter()
        .filter(|b| !after.iter().any(|a| a.cluster == b.cluster))
    {
        out.push(TargetDiff {
            cluster: b.cluster.clone(),
            kind: b.kind().into(),
            name: b.name().into(),
            action: "delete".into(),
            changes: Vec::new(),
        });
    }
    Ok(out)
}

/// Runs an action on one target: `reconcile` asks Flux to reconcile that target's object now;
/// `suspend` / `resume` set the target's `suspend` in the application (so it persists).
pub async fn act_on_target(
    user_client: &Client,
    namespace: &str,
    name: &str,
    cluster: &str,
    action: Action,
    user: &User,
) -> Result<Application> {
    let api: Api<Application> = Api::namespaced(user_client.clone(), namespace);
    let now = jiff::Timestamp::now().to_string();
    let note = format!("{action:?} of target {cluster} by {} at {now}", user.name).to_lowercase();
    for _ in 0..5 {
        let mut app = api.get(name).await?;
        let Some(target) = app.spec.targets.iter_mut().find(|t| t.cluster == cluster) else {
            return Err(Error::NotFound(format!(
                "application {name:?} has no target in cluster {cluster:?}"
            )));
        };
        match action {
            Action::Reconcile => {
                let child = render::child_name(name, cluster);
                let kind = delivery_kind(&app);
                let children: Api<kube::api::DynamicObject> =
                    Api::namespaced_with(user_client.clone(), namespace, &kind.api_resource());
                let patch = json!({"metadata": {"annotations": {REQUESTED_AT: now}}});
                children
                    .patch(&child, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                return Ok(app);
            }
            Action::Suspend => target.suspend = Some(true),
            Action::Resume => target.suspend = None,
            other => {
                return Err(Error::BadRequest(format!(
                    "{other:?} is not an action on an application target"
                )));
            }
        }
        app.annotations_mut().insert(LAST_ACTION.into(), note.clone());
        match api.replace(name, &PostParams::default(), &app).await {
            Ok(a) => return Ok(a),
            Err(kube::Error::Api(s)) if s.is_conflict() => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict {
        reason: "Conflict",
        message: format!("application {name:?} kept changing; try again"),
    })
}

/// Asks an application's rollout to pause, resume, promote the wave under way or roll it back
/// (the controller acts on the `fluxcd.kubesphere.io/rollout-request` annotation written here,
/// as the user). A request the rollout cannot take is a 409 saying why.
pub async fn request_rollout(
    user_client: &Client,
    namespace: &str,
    name: &str,
    action: super::rollout::Request,
    user: &User,
) -> Result<Application> {
    use super::rollout::{REQUEST_ANNOTATION, Request};
    let api: Api<Application> = Api::namespaced(user_client.clone(), namespace);
    let now = jiff::Timestamp::now().to_string();
    let refuse = |message: String| Error::Conflict {
        reason: "Conflict",
        message,
    };
    for _ in 0..5 {
        let mut app = api.get(name).await?;
        if app.spec.rollout.is_none() {
            return Err(refuse(format!(
                "application {name:?} has no spec.rollout: every target takes a change at once"
            )));
        }
        let status = app.status.as_ref().and_then(|s| s.rollout.as_ref());
        let Some(status) = status else {
            return Err(refuse(format!(
                "the rollout of {name:?} has not started yet; try again"
            )));
        };
        if status.phase == "Completed" {
            return Err(refuse(format!(
                "revision {} is on every target: there is no wave to {}",
                status.revision,
                action.as_str()
            )));
        }
        if action == Request::Rollback && status.stable_revision.is_none() {
            return Err(refuse(
                "no revision has completed a rollout yet, so there is none to roll back to".into(),
            ));
        }
        let note = format!("rollout {} by {} at {now}", action.as_str(), user.name);
        let annotations = app.annotations_mut();
        annotations.insert(REQUEST_ANNOTATION.into(), format!("{}@{now}", action.as_str()));
        annotations.insert(LAST_ACTION.into(), note);
        match api.replace(name, &PostParams::default(), &app).await {
            Ok(a) => return Ok(a),
            Err(kube::Error::Api(s)) if s.is_conflict() => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict {
        reason: "Conflict",
        message: format!("application {name:?} kept changing; try again"),
    })
}

/// One target in the detail view.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetDetail {
    /// The cluster.
    pub cluster: String,
    /// The namespace in that cluster.
    pub namespace: String,
    /// The target's status as the controller last wrote it.
    #[schema(value_type = Object)]
    pub status: Value,
    /// The rendered Flux object as it is in the host, with its status (inventory,
    /// Helm history, revisions); null until created.
    #[schema(value_type = Object, nullable)]
    pub object: Value,
    /// Recent Kubernetes Events of that Flux object, newest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
    /// The Flux objects this target waits for.
    pub depends_on: Vec<String>,
}

/// The kind of Flux object an application renders.
fn delivery_kind(app: &Application) -> &'static crate::kinds::FluxKind {
    if app.spec.helm.is_some() {
        &crate::delivery::HELM_RELEASE
    } else {
        &crate::delivery::KUSTOMIZATION
    }
}

/// A target's rendered Flux object in the host: from the watch cache when it has it, else
/// from the apiserver through `children` (as the user) while the cache is not synced.
async fn rendered_object(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    app: &Application,
    cluster: &str,
) -> Result<Option<kube::api::DynamicObject>> {
    let namespace = app.namespace().unwrap_or_default();
    let kind = delivery_kind(app);
    let child = render::child_name(&app.name_any(), cluster);
    // In agent mode the object lives in the target cluster, else in the host.
    let in_agent = app.status.as_ref().is_some_and(|s| {
        s.targets
            .iter()
            .any(|t| t.cluster == cluster && t.mode.as_deref() == Some("agent"))
    });
    let at = if in_agent { cluster } else { crate::clusters::HOST };
    if let Some(o) = fleet.get(at, kind.kind, &namespace, &child) {
        return Ok(Some((*o).clone()));
    }
    let api: Api<kube::api::DynamicObject> =
        Api::namespaced_with(clusters.client_for(at, user)?, &namespace, &kind.api_resource());
    Ok(api.get_opt(&child).await?)
}

/// Per-target detail of an application. The application is read as the user (so RBAC
/// decides); its Flux objects come from the watch cache.
pub async fn targets(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    namespace: &str,
    name: &str,
) -> Result<Vec<TargetDetail>> {
    let user_client = clusters.client_for(crate::clusters::HOST, user)?;
    let api: Api<Application> = Api::namespaced(user_client.clone(), namespace);
    let app = api.get(name).await?;
    let kind = delivery_kind(&app);
    let events: Api<KubeEvent> = Api::namespaced(user_client.clone(), namespace);
    let status = app.status.clone().unwrap_or_default();
    // The explicit targets, then those the controller placed by labels (from its status).
    let mut placed = app.spec.targets.clone();
    for s in &status.targets {
        if !placed.iter().any(|t| t.cluster == s.cluster) {
            placed.push(super::Target {
                cluster: s.cluster.clone(),
                namespace: s.namespace.clone(),
                ..Default::default()
            });
        }
    }
    let mut out = Vec::new();
    for t in &placed {
        let child = render::child_name(name, &t.cluster);
        let found = rendered_object(clusters, fleet, user, &app, &t.cluster).await?;
        let object = match found {
            Some(o) => {
                let mut v = serde_json::to_value(&o).unwrap_or_default();
                if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.remove("managedFields");
                }
                v
            }
            None => Value::Null,
        };
        let lp = ListParams::default().fields(&format!(
            "involvedObject.name={child},involvedObject.kind={}",
            kind.kind
        ));
        let mut evs: Vec<KubeEvent> = events.list(&lp).await.map(|l| l.items).unwrap_or_default();
        evs.sort_by_key(|e| {
            std::cmp::Reverse(
                e.last_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .or(e.event_time.as_ref().map(|t| t.0)),
            )
        });
        let events = evs
            .into_iter()
            .take(20)
            .map(|e| {
                json!({"type": e.type_, "reason": e.reason, "message": e.message, "count": e.count,
                       "lastTimestamp": e.last_timestamp.map(|t| t.0.to_string()),
                       "annotations": e.metadata.annotations})
            })
            .collect();
        out.push(TargetDetail {
            cluster: t.cluster.clone(),
            namespace: t.namespace.clone(),
            status: status
                .targets
                .iter()
                .find(|s| s.cluster == t.cluster)
                .map(|s| json!(s))
                .unwrap_or(Value::Null),
            depends_on: object
                .pointer("/spec/dependsOn")
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(|x| x["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            object,
            events,
        });
    }
    Ok(out)
}

/// The workloads of one target of an application, read in its cluster as the user.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetWorkloads {
    /// The cluster.
    pub cluster: String,
    /// The namespace in that cluster.
    pub namespace: String,
    /// The worst state of its workloads; null when they could not be read.
    pub state: Option<crate::workloads::WorkloadState>,
    /// Its Deployments, StatefulSets and DaemonSets (at most 50), by kind and name.
    pub workloads: Vec<crate::workloads::WorkloadHealth>,
    /// Why the workloads could not be read (the user may not, the cluster does not answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a target's Flux object applied, as workloads: a Kustomization's inventory, or the
/// objects of a HelmRelease's current Helm release (in the release's namespace).
pub(super) async fn applied_workloads(
    client: &Client,
    object: Option<&Value>,
) -> kube::Result<Vec<(crate::workloads::WorkloadKind, String, String)>> {
    let Some(o) = object else {
        return Ok(Vec::new());
    };
    if let Some(entries) = o.pointer("/status/inventory/entries").and_then(Value::as_array) {
        let ids: Vec<String> = entries
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect();
        return Ok(crate::workloads::from_inventory(&ids));
    }
    let release = o.pointer("/status/history/0");
    match (
        release.and_then(|r| r["name"].as_str()),
        release.and_then(|r| r["namespace"].as_str()),
    ) {
        (Some(name), Some(ns)) => crate::workloads::of_helm_release(client, ns, name).await,
        _ => Ok(Vec::new()),
    }
}

/// The workloads of each target of an application, with their health. The application is
/// read as the user; each target's workloads are read in its cluster as the user too, so a
/// target whose namespace the user may not read reports why instead of its workloads.
pub async fn workloads(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    namespace: &str,
    name: &str,
) -> Result<Vec<TargetWorkloads>> {
    let host = clusters.client_for(crate::clusters::HOST, user)?;
    let app = Api::<Application>::namespaced(host.clone(), namespace)
        .get(name)
        .await?;
    let placed = placement::targets_of(&app, &clusters.labels());
    let mut out = Vec::new();
    for t in &placed {
        let object = rendered_object(clusters, fleet, user, &app, &t.cluster)
            .await?
            .and_then(|o| serde_json::to_value(o).ok());
        out.push(workloads_of(clusters, fleet, user, &t.cluster, &t.namespace, object.as_ref()).await);
    }
    Ok(out)
}

/// The workloads Flux object `object` applied in `cluster` (its target namespace `namespace`),
/// with their health, as `user` may see them: from the workload caches when they are current
/// there, else read in the cluster as the user; failing pods get their latest Events.
pub async fn workloads_of(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    cluster: &str,
    namespace: &str,
    object: Option<&Value>,
) -> TargetWorkloads {
    let client = clusters.client_for(cluster, user).map_err(|e| e.to_string());
    let read = async {
        let client = client.as_ref().map_err(Clone::clone)?;
        if let Some(cached) = fleet.applied_workloads(clusters, user, cluster, object).await {
            return cached;
        }
        let named = applied_workloads(client, object)
            .await
            .map_err(|e| workload_error(&e, cluster, namespace))?;
        crate::workloads::read(client, &named)
            .await
            .map_err(|e| workload_error(&e, cluster, namespace))
    };
    let (state, workloads, error) = match read.await {
        Ok(mut w) => {
            if let Ok(client) = &client {
                crate::workloads::add_pod_events(client, &mut w).await;
            }
            (Some(crate::workloads::state(&w)), w, None)
        }
        Err(e) => (None, Vec::new(), Some(e)),
    };
    TargetWorkloads {
        cluster: cluster.to_string(),
        namespace: namespace.to_string(),
        state,
        workloads,
        error,
    }
}

/// The target of an application in `cluster` and its rendered Flux object, read as the user.
async fn target_object(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    namespace: &str,
    name: &str,
    cluster: &str,
) -> Result<(String, Option<Value>)> {
    let host = clusters.client_for(crate::clusters::HOST, user)?;
    let app = Api::<Application>::namespaced(host.clone(), namespace)
        .get(name)
        .await?;
    let placed = placement::targets_of(&app, &clusters.labels());
    let Some(target) = placed.iter().find(|t| t.cluster == cluster) else {
        return Err(Error::NotFound(format!(
            "cluster: application {name:?} has no target in cluster {cluster:?}"
        )));
    };
    let object = rendered_object(clusters, fleet, user, &app, cluster)
        .await?
        .and_then(|o| serde_json::to_value(o).ok());
    Ok((target.namespace.clone(), object))
}

/// The objects an application's target in `cluster` applied, each with its health and drift,
/// read in that cluster as the user.
pub async fn inventory(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    namespace: &str,
    name: &str,
    cluster: &str,
) -> Result<crate::inventory::Inventory> {
    let (target_ns, object) = target_object(clusters, fleet, user, namespace, name, cluster).await?;
    match clusters.client_for(cluster, user) {
        Ok(client) => Ok(crate::inventory::read(&client, cluster, &target_ns, object.as_ref()).await),
        Err(e) => Ok(crate::inventory::Inventory::empty(
            cluster,
            &target_ns,
            Some(e.to_string()),
        )),
    }
}

/// One object an application's target in `cluster` applied (by its inventory id): live, as
/// applied where Flux keeps it, and its drift.
pub async fn inventory_object(
    clusters: &Clusters,
    fleet: &crate::status::Fleet,
    user: &User,
    namespace: &str,
    name: &str,
    cluster: &str,
    id: &str,
) -> Result<crate::inventory::ObjectManifests> {
    let (_, object) = target_object(clusters, fleet, user, namespace, name, cluster).await?;
    let client = clusters.client_for(cluster, user)?;
    crate::inventory::object(&client, object.as_ref(), id).await
}

fn workload_error(e: &kube::Error, cluster: &str, namespace: &str) -> String {
    match e {
        kube::Error::Api(s) if s.code == 403 => {
            format!("you may not read workloads in namespace {namespace:?} of cluster {cluster:?}")
        }
        other => format!("cannot read workloads in cluster {cluster:?}: {other}"),
    }
}

/// The names of an application's rendered objects, for callers that need the child of a
/// cluster.
pub fn child_of(app: &Application, cluster: &str) -> String {
    render::child_name(&app.name_any(), cluster)
}
