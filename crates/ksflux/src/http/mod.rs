//! The HTTP API: routes, the shared context, the JSON extractor, metrics, health and the
//! OpenAPI document (generated from the handlers, so it cannot drift from them).
//!
//! Paths follow KubeSphere's authorizable shape so ks-apiserver's RBAC can guard them:
//! `/kapis/fluxcd.kubesphere.io/v1alpha1[/namespaces/{namespace}]/{resource}[/{name}[/{action}]]`,
//! with the cluster as the `cluster` query parameter (default `host`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

mod application_routes;
mod chart_values;
pub mod extract;
mod history;
mod images;
mod receivers;
mod status;

use axum::{
    Extension, Json, Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use http::StatusCode;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};
use serde::{Deserialize, Serialize};
use tower_http::services::{ServeDir, ServeFile};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::timing::{self, phase};
use crate::{
    applications,
    auth::{self, Authenticator, User},
    catalog,
    clusters::{ClusterView, Clusters, HOST},
    delivery,
    error::{ApiErrors, Cause, Error, Result, Status, WriteErrors},
    kinds::{self, Action, FluxKind},
    objects::Reads,
    resources::{
        ActOptions, ActionQuery, ClusterQuery, ListQuery, ObjectList, ObjectRequest, ObjectView, Scope,
    },
    sources::{self, Chart},
};
pub use extract::{ApiJson, ApiPath, ApiQuery};

/// The API's path prefix.
pub const PREFIX: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";

/// What every handler shares.
#[derive(Clone)]
pub struct ApiContext {
    /// The clusters.
    pub clusters: Clusters,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Set once the first cluster discovery has finished.
    pub ready: Arc<AtomicBool>,
    /// Watch caches of every Flux kind in every cluster.
    pub fleet: crate::status::Fleet,
    /// Where artifacts (Helm repository indexes) may be fetched from.
    pub artifacts: sources::ArtifactPolicy,
    /// Answer every read from the clusters, never from the watch caches.
    pub direct_reads: bool,
    /// The release history and audit log (`None`: none kept).
    pub history: Option<crate::history::History>,
    /// The git hosts ksflux may commit to (image automation's setter markers).
    pub git_hosts: crate::images::setup::GitHosts,
    /// Where the host's notification-controller receiver server is reachable from git hosts
    /// and registries (`--receiver-url`), for Receivers' webhook URLs.
    pub receiver_url: Option<String>,
}

/// Labels of the request metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    method: String,
    route: String,
    code: u16,
}

/// Prometheus metrics of the API.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ksflux");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register("http_requests", "HTTP requests served", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "application_reconciles",
            "Application reconciles, by result",
            applications::controller::RECONCILES.clone(),
        );
        registry.register(
            "application_reconcile_duration_seconds",
            "How long Application reconciles take",
            applications::controller::RECONCILE_SECONDS.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the controller's Lease",
            crate::leader::LEADING.clone(),
        );
        registry.register(
            "kube_requests",
            "Requests sent to the clusters' apiservers",
            crate::clusters::KUBE_REQUESTS.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Metrics {
    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let labels = RequestLabels {
        method,
        route,
        code: res.status().as_u16(),
    };
    metrics.requests.get_or_create(&labels).inc();
    metrics
        .latency
        .get_or_create(&labels)
        .observe(start.elapsed().as_secs_f64());
    res
}

fn kind_of(resource: &str) -> Result<&'static FluxKind> {
    catalog::by_plural(resource).ok_or_else(|| {
        Error::NotFound(format!(
            "unknown resource {resource:?}; use one of {}",
            catalog::KINDS
                .iter()
                .map(|k| k.plural)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

impl ApiContext {
    /// Where reads are answered from.
    fn reads(&self) -> Reads {
        Reads {
            fleet: self.fleet.clone(),
            clusters: self.clusters.clone(),
            direct: self.direct_reads,
        }
    }

    /// The checks that need a cluster: an application's targets, and a raw delivery's
    /// references and target namespaces (see `delivery::check_tenancy`).
    async fn check_tenancy(&self, scope: &Scope<'_>, namespace: &str, req: &ObjectRequest) -> Result<()> {
        match scope.kind.plural {
            p if p == kinds::APPLICATION.plural => {
                applications::api::check(&self.clusters, namespace, req).await?;
            }
            p if (p == delivery::KUSTOMIZATION.plural || p == delivery::HELM_RELEASE.plural)
                && req.spec.is_object() =>
            {
                applications::access::check_delivery(&self.clusters, &scope.cluster, namespace, &req.spec)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    fn scope(&self, resource: &str, cluster: Option<&str>, user: &User) -> Result<Scope<'static>> {
        let kind = kind_of(resource)?;
        let cluster = cluster.filter(|c| !c.is_empty()).unwrap_or(HOST).to_string();
        let c = self.clusters.get(&cluster)?;
        let health = c.health();
        if health.last_checked.is_some() && !health.reachable {
            return Err(Error::Unavailable(format!(
                "cluster {cluster:?} is unreachable: {}",
                health.message
            )));
        }
        if kind.plural == kinds::APPLICATION.plural && cluster != HOST {
            return Err(Error::NotFound(format!(
                "applications live on the host cluster, not {cluster:?}; leave out ?cluster="
            )));
        }
        let served = health.flux_apis.iter().find(|a| a.kind == kind.kind);
        if let Some(api) = served
            && !api.served_versions.iter().any(|v| v == kind.version)
        {
            return Err(Error::NotFound(format!(
                "cluster {cluster:?} does not serve {} {}/{}; install or upgrade Flux there",
                kind.kind, kind.group, kind.version
            )));
        }
        Ok(Scope {
            kind,
            client: self.clusters.client_for(&cluster, user)?,
            own: c.client(),
            cluster,
        })
    }
}

/// A list of clusters.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterList {
    /// The clusters, host first.
    pub items: Vec<ClusterView>,
    /// How many.
    pub total_items: usize,
}

/// A request to register a member cluster.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCluster {
    /// The member's name (a DNS-1123 label, not `host`).
    pub name: String,
    /// A self-contained kubeconfig (inline certificates or token).
    pub kubeconfig: String,
}

impl std::fmt::Debug for RegisterCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegisterCluster({})", self.name)
    }
}

/// The calling user: name and groups (the console shows them).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/whoami", tag = "auth",
    responses((status = 200, body = User), ApiErrors))]
async fn whoami(Extension(user): Extension<User>) -> Json<User> {
    Json(user)
}

/// A list of kinds.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KindList {
    /// Every kind the API serves: the Application, then Flux's kinds by family.
    pub items: Vec<kinds::KindView>,
    /// How many.
    pub total_items: usize,
}

/// The kinds the API serves: their names, family, actions and what credentials they take.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/kinds", tag = "flux",
    responses((status = 200, body = KindList), ApiErrors))]
async fn list_kinds() -> Json<KindList> {
    let items: Vec<kinds::KindView> = catalog::KINDS.iter().map(|k| k.view()).collect();
    Json(KindList {
        total_items: items.len(),
        items,
    })
}

/// Namespaces of the host cluster.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceList {
    /// Their names, sorted.
    pub items: Vec<String>,
    /// How many.
    pub total_items: usize,
}

/// The host's namespaces (projects) in which the caller may list applications — what the
/// console's namespace picker offers, Flux objects in them or not. Terminating namespaces are
/// left out; at most 2,000 are considered.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces", tag = "flux",
    responses((status = 200, body = NamespaceList), ApiErrors))]
async fn list_namespaces(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
) -> Result<Json<NamespaceList>> {
    use futures::StreamExt as _;
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(ctx.clusters.host().client());
    let listed = api
        .list_metadata(&kube::api::ListParams::default().limit(2000))
        .await?;
    let names: Vec<String> = listed
        .items
        .into_iter()
        .filter(|n| n.metadata.deletion_timestamp.is_none())
        .filter_map(|n| n.metadata.name)
        .collect();
    let app = &kinds::APPLICATION;
    let mut items = if ctx.fleet.may_list(&ctx.clusters, &user, HOST, app, "").await {
        names
    } else {
        let (fleet, clusters, user) = (&ctx.fleet, &ctx.clusters, &user);
        futures::stream::iter(names)
            .map(|n| async move { fleet.may_list(clusters, user, HOST, app, &n).await.then_some(n) })
            .buffered(16)
            .filter_map(|n| async move { n })
            .collect()
            .await
    };
    items.sort();
    Ok(Json(NamespaceList {
        total_items: items.len(),
        items,
    }))
}

/// Lists the clusters and their health.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters", tag = "clusters",
    responses((status = 200, body = ClusterList), ApiErrors))]
async fn list_clusters(State(ctx): State<ApiContext>) -> Json<ClusterList> {
    let items: Vec<ClusterView> = ctx.clusters.all().iter().map(|c| c.view()).collect();
    Json(ClusterList {
        total_items: items.len(),
        items,
    })
}

/// Registers a member cluster. Only users who may create Secrets in ksflux's namespace may
/// (checked before anything else); the kubeconfig is then checked by connecting before it is
/// stored, and a failed connection is reported by its class, never with the server's reply.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters", tag = "clusters",
    request_body = RegisterCluster,
    responses((status = 201, body = ClusterView), ApiErrors, WriteErrors))]
async fn register_cluster(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiJson(req): ApiJson<RegisterCluster>,
) -> Result<(StatusCode, Json<ClusterView>)> {
    let view = ctx.clusters.register(&user, &req.name, &req.kubeconfig).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One cluster and its health (checked now, unless checked in the last 10 seconds), with the
/// last changes of its health since ksflux started (`history`).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/{cluster}", tag = "clusters",
    params(("cluster" = String, Path, description = "cluster name")),
    responses((status = 200, body = ClusterView), ApiErrors))]
async fn get_cluster(
    State(ctx): State<ApiContext>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<Json<ClusterView>> {
    let c = ctx.clusters.get(&cluster)?;
    c.check_unless_fresh().await;
    Ok(Json(c.view_with_history()))
}

/// A cluster's delivery mode to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMode {
    /// `hub` (the host's Flux reaches the cluster) or `agent` (the cluster's own Flux runs
    /// what ksflux applies there).
    pub mode: crate::clusters::Mode,
}

/// Sets a member's delivery mode. Needs update on Secrets in ksflux's namespace; agent mode is
/// refused (422 at `mode`) where the member's Flux is missing or too old. Applications with
/// targets there move their Flux objects on their next reconcile.
#[utoipa::path(put, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/{cluster}/mode", tag = "clusters",
    params(("cluster" = String, Path, description = "cluster name")),
    request_body = SetMode,
    responses((status = 200, body = ClusterView), ApiErrors, WriteErrors))]
async fn set_cluster_mode(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath(cluster): ApiPath<String>,
    ApiJson(req): ApiJson<SetMode>,
) -> Result<Json<ClusterView>> {
    Ok(Json(ctx.clusters.set_mode(&user, &cluster, req.mode).await?))
}

/// Removes a member registered through the API.
#[utoipa::path(delete, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/{cluster}", tag = "clusters",
    params(("cluster" = String, Path, description = "cluster name")),
    responses((status = 204, description = "removed"), ApiErrors))]
async fn delete_cluster(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath(cluster): ApiPath<String>,
) -> Result<StatusCode> {
    ctx.clusters.unregister(&user, &cluster).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists objects of a Flux kind in every namespace the user may list.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/{resource}", tag = "flux",
    params(("resource" = String, Path, description = "a Flux kind's plural: gitrepositories, helmrepositories, helmcharts, buckets, ocirepositories, kustomizations, helmreleases, providers, alerts, receivers, imagerepositories, imagepolicies, imageupdateautomations, or applications"), ListQuery),
    responses((status = 200, body = ObjectList), ApiErrors))]
async fn list_all(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath(resource): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ObjectList>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(ctx.reads().list(&scope, &user, None, &q).await?))
}

/// Lists objects of a Flux kind in a namespace.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ListQuery),
    responses((status = 200, body = ObjectList), ApiErrors))]
async fn list_namespaced(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ObjectList>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(ctx.reads().list(&scope, &user, Some(&namespace), &q).await?))
}

/// Creates an object (and its credential Secrets). The user's right to create it is checked
/// first; then the request is validated; nothing is written unless all of it is good.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ClusterQuery),
    request_body = ObjectRequest,
    responses((status = 201, body = ObjectView), ApiErrors, WriteErrors))]
async fn create(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
    ApiJson(req): ApiJson<ObjectRequest>,
) -> Result<(StatusCode, Json<ObjectView>)> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    phase("authorize", scope.authorize(&user, "create", &namespace, None)).await?;
    phase("validate", ctx.check_tenancy(&scope, &namespace, &req)).await?;
    let created = phase("write", scope.create(&namespace, req, &user)).await?;
    phase("cache", ctx.reads().written(&scope, &created)).await;
    let name = created.metadata["name"].as_str().unwrap_or_default();
    phase(
        "audit",
        history::record(&ctx, &user, &scope, (&namespace, name), "create", None),
    )
    .await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Gets an object.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 200, body = ObjectView), ApiErrors))]
async fn get_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(ctx.reads().get(&scope, &user, &namespace, &name).await?))
}

/// Where a source on the host is distributed (its annotations
/// `fluxcd.kubesphere.io/distribute-to` and `fluxcd.kubesphere.io/distribute-selector`) and how
/// its copy fares in each of those clusters (their source-controller's Ready and revision). The
/// source is read as the user first, so the user's RBAC decides.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/clusters", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path, description = "gitrepositories, helmrepositories, ocirepositories or buckets"), ("name" = String, Path)),
    responses((status = 200, body = Vec<crate::distribution::ClusterSource>), ApiErrors))]
async fn source_clusters(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
) -> Result<Json<Vec<crate::distribution::ClusterSource>>> {
    use crate::distribution;
    let scope = ctx.scope(&resource, None, &user)?;
    if !distribution::kinds().iter().any(|k| k.kind == scope.kind.kind) {
        return Err(crate::error::Error::NotFound(format!(
            "resource: {resource:?} is not a source that can be distributed"
        )));
    }
    let source = scope.api(Some(&namespace)).get(&name).await?;
    Ok(Json(
        distribution::status(&ctx.clusters, scope.kind, &source).await,
    ))
}

/// Replaces an object's spec, labels and annotations; `metadata.resourceVersion` is required
/// and a stale one is refused with 409. The user's right to update it is checked first.
#[utoipa::path(put, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    request_body = ObjectRequest,
    responses((status = 200, body = ObjectView), ApiErrors, WriteErrors))]
async fn update(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
    ApiJson(req): ApiJson<ObjectRequest>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    phase(
        "authorize",
        scope.authorize(&user, "update", &namespace, Some(&name)),
    )
    .await?;
    phase("validate", ctx.check_tenancy(&scope, &namespace, &req)).await?;
    let old = phase("audit", history::before(&ctx, &scope, &namespace, &name)).await;
    let updated = phase("write", scope.update(&namespace, &name, req, &user)).await?;
    phase("cache", ctx.reads().written(&scope, &updated)).await;
    let specs = old.as_ref().map(|o| (o, &updated.spec));
    phase(
        "audit",
        history::record(&ctx, &user, &scope, (&namespace, &name), "update", specs),
    )
    .await;
    Ok(Json(updated))
}

/// Changes part of an object, as `kubectl patch` does: a JSON merge patch
/// (`application/merge-patch+json`) or a JSON patch (`application/json-patch+json`) applied to
/// its editable form — `metadata.labels`, `metadata.annotations`, `metadata.resourceVersion`,
/// `spec`, and `credentials` / `tls` to rotate them. The result is checked and written like a
/// PUT. A patch that sets (or tests) `metadata.resourceVersion` applies only to that version
/// (409 otherwise); one that does not applies to the current version.
#[utoipa::path(patch, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    request_body(content(
        (Object = "application/merge-patch+json"),
        (Vec<Object> = "application/json-patch+json"),
    ), description = "a JSON merge patch or a JSON patch of the object's editable form"),
    responses((status = 200, body = ObjectView), ApiErrors, WriteErrors))]
async fn patch_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
    body: Result<extract::PatchBody>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    scope.authorize(&user, "patch", &namespace, Some(&name)).await?;
    let patch = body?;
    // Without a resourceVersion of its own, a patch applies to whatever version is current:
    // when a controller writes the object between our read and our write, read again.
    let precondition = patch.names_resource_version();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = scope.get(&namespace, &name).await?;
        let meta = &current.metadata;
        let mut doc = serde_json::json!({
            "metadata": {
                "name": name,
                "labels": meta.get("labels").cloned().unwrap_or_else(|| serde_json::json!({})),
                "annotations": meta.get("annotations").cloned().unwrap_or_else(|| serde_json::json!({})),
                "resourceVersion": meta.get("resourceVersion").cloned().unwrap_or_default(),
            },
            "spec": current.spec,
        });
        patch.apply(&mut doc)?;
        let req: ObjectRequest =
            extract::parse_json(&serde_json::to_vec(&doc).map_err(|e| Error::Internal(e.into()))?)?;
        ctx.check_tenancy(&scope, &namespace, &req).await?;
        match scope.update(&namespace, &name, req, &user).await {
            Err(Error::Kube(s)) if s.code == 409 && !precondition && attempt < 5 => continue,
            Ok(updated) => {
                ctx.reads().written(&scope, &updated).await;
                let specs = Some((&current.spec, &updated.spec));
                history::record(&ctx, &user, &scope, (&namespace, &name), "patch", specs).await;
                return Ok(Json(updated));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Deletes an object.
#[utoipa::path(delete, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 204, description = "deleted"), ApiErrors))]
async fn delete_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> Result<StatusCode> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    scope.delete(&namespace, &name).await?;
    ctx.reads().deleted(&scope, &namespace, &name).await;
    history::record(&ctx, &user, &scope, (&namespace, &name), "delete", None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `action` on an object (or, for an application with `?target=`, on one target).
async fn run_action(
    ctx: &ApiContext,
    user: &User,
    (namespace, resource, name): (String, String, String),
    action: Action,
    q: ActionQuery,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), user)?;
    if scope.kind.plural == kinds::APPLICATION.plural
        && let Some(target) = q.target.as_deref()
    {
        applications::api::act_on_target(&scope.client, &namespace, &name, target, action, user).await?;
        let view = scope.get(&namespace, &name).await?;
        ctx.reads().written(&scope, &view).await;
        let what = format!("{action:?} target {target}").to_lowercase();
        history::record(ctx, user, &scope, (&namespace, &name), &what, None).await;
        return Ok(Json(view));
    }
    let opts = ActOptions {
        wait: q.wait,
        with_source: q.with_source.unwrap_or(false),
        watch: (!ctx.direct_reads).then_some(&ctx.fleet as &dyn crate::resources::Watch),
    };
    let view = scope.act(&namespace, &name, action, opts, user).await?;
    ctx.reads().written(&scope, &view).await;
    let what = format!("{action:?}").to_lowercase();
    history::record(ctx, user, &scope, (&namespace, &name), &what, None).await;
    Ok(Json(view))
}

/// One handler per action, so that each is its own OpenAPI operation with its own answer.
macro_rules! action {
    ($(#[doc = $doc:tt])* $name:ident, $action:expr, $path:tt, $answer:tt) => {
        $(#[doc = $doc])*
        #[utoipa::path(post, path = $path, tag = "flux",
            params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ActionQuery),
            responses((status = 200, body = ObjectView, description = $answer), ApiErrors))]
        async fn $name(
            State(ctx): State<ApiContext>,
            Extension(user): Extension<User>,
            ApiPath(path): ApiPath<(String, String, String)>,
            ApiQuery(q): ApiQuery<ActionQuery>,
        ) -> Result<Json<ObjectView>> {
            run_action(&ctx, &user, path, $action, q).await
        }
    };
    // HelmRelease only.
    ($(#[doc = $doc:tt])* helm $name:ident, $action:expr, $path:tt, $answer:tt) => {
        $(#[doc = $doc])*
        #[utoipa::path(post, path = $path, tag = "flux",
            params(("namespace" = String, Path), ("name" = String, Path), ActionQuery),
            responses((status = 200, body = ObjectView, description = $answer), ApiErrors))]
        async fn $name(
            State(ctx): State<ApiContext>,
            Extension(user): Extension<User>,
            ApiPath((namespace, name)): ApiPath<(String, String)>,
            ApiQuery(q): ApiQuery<ActionQuery>,
        ) -> Result<Json<ObjectView>> {
            let path = (namespace, delivery::HELM_RELEASE.plural.to_string(), name);
            run_action(&ctx, &user, path, $action, q).await
        }
    };
}

action!(
    /// Asks the controller to reconcile now (`reconcile.fluxcd.io/requestedAt`); `?wait=N` waits
    /// up to N seconds until it handled the request, `?withSource=true` reconciles the source
    /// first, `?target=` (applications) acts on one target.
    reconcile, Action::Reconcile,
    "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/reconcile",
    "the object after the request"
);
action!(
    /// Suspends reconciliation (`spec.suspend: true`).
    suspend, Action::Suspend,
    "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/suspend",
    "the suspended object"
);
action!(
    /// Resumes reconciliation and asks for one now.
    resume, Action::Resume,
    "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/resume",
    "the resumed object"
);
action!(
    /// HelmRelease: a one-off forced install or upgrade (`reconcile.fluxcd.io/forceAt`).
    helm force, Action::Force,
    "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/helmreleases/{name}/force",
    "the HelmRelease after the request"
);
action!(
    /// HelmRelease: resets its failure counters (`reconcile.fluxcd.io/resetAt`).
    helm reset, Action::Reset,
    "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/helmreleases/{name}/reset",
    "the HelmRelease after the request"
);

/// The charts and versions a HelmRepository offers, read from its index on the
/// source-controller's storage (for a chart picker).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/helmrepositories/{name}/charts", tag = "flux",
    params(("namespace" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 200, body = Vec<Chart>), ApiErrors))]
async fn charts(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> Result<Json<Vec<Chart>>> {
    let scope = ctx.scope(sources::HELM_REPOSITORY.plural, q.cluster.as_deref(), &user)?;
    let api = kube::Api::namespaced_with(scope.client.clone(), &namespace, &scope.kind.api_resource());
    Ok(Json(sources::charts(&api, &name, &ctx.artifacts).await?))
}

/// The workloads a Kustomization or HelmRelease applied (its inventory; its Helm release's
/// objects), in the cluster it applies to (ksflux's cluster label, else its own cluster;
/// a remote one ksflux did not render reports an error), with their health, as the caller may
/// read them there: desired / up-to-date / ready / available replicas, rollout, and failing
/// pods with their reasons and Events.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/workloads", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path, description = "kustomizations or helmreleases"),
           ("name" = String, Path), ClusterQuery),
    responses((status = 200, body = crate::applications::api::TargetWorkloads), ApiErrors))]
async fn object_workloads(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> Result<Json<crate::applications::api::TargetWorkloads>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    if scope.kind.family != kinds::Family::Delivery {
        return Err(Error::NotFound(format!(
            "{resource} apply no workloads; use kustomizations or helmreleases"
        )));
    }
    let api: kube::Api<kube::api::DynamicObject> =
        kube::Api::namespaced_with(scope.client.clone(), &namespace, &scope.kind.api_resource());
    let object = api.get(&name).await?;
    let own = q.cluster.as_deref().filter(|c| !c.is_empty()).unwrap_or(HOST);
    let applies_to = match kube::ResourceExt::labels(&object).get(crate::clusters::CLUSTER_LABEL) {
        Some(c) => Some(c.clone()),
        None => object
            .data
            .pointer("/spec/kubeConfig")
            .is_none()
            .then(|| own.to_string()),
    };
    let target_ns = object
        .data
        .pointer("/spec/targetNamespace")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(&namespace)
        .to_string();
    let Some(cluster) = applies_to else {
        return Ok(Json(crate::applications::api::TargetWorkloads {
            cluster: String::new(),
            namespace: target_ns,
            state: None,
            workloads: Vec::new(),
            error: Some(
                "it applies to a cluster through its own spec.kubeConfig, which ksflux does not know".into(),
            ),
        }));
    };
    let value = serde_json::to_value(&object).ok();
    Ok(Json(
        crate::applications::api::workloads_of(
            &ctx.clusters,
            &ctx.fleet,
            &user,
            &cluster,
            &target_ns,
            value.as_ref(),
        )
        .await,
    ))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ksflux",
        description = "FluxCD for KubeSphere: multi-cluster Flux API"
    ),
    components(schemas(Status, Cause, Action))
)]
struct ApiDoc;

fn api_router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(whoami))
        .routes(routes!(list_kinds))
        .routes(routes!(list_namespaces))
        .routes(routes!(list_clusters, register_cluster))
        .routes(routes!(get_cluster, delete_cluster))
        .routes(routes!(set_cluster_mode))
        .routes(routes!(list_all))
        .routes(routes!(list_namespaced, create))
        .routes(routes!(get_object, update, patch_object, delete_object))
        .routes(routes!(source_clusters))
        .routes(routes!(reconcile))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(force))
        .routes(routes!(reset))
        .routes(routes!(charts))
        .routes(routes!(object_workloads))
        .merge(application_routes::router())
        .merge(chart_values::router())
        .merge(status::router())
        .merge(history::router())
        .merge(images::router())
        .merge(receivers::router())
}

async fn not_found() -> Error {
    Error::NotFound("no such path".into())
}

/// The API's routes and its OpenAPI document (with the Application's schemas, which come
/// from its CRD).
fn document() -> (Router<ApiContext>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = api_router().split_for_parts();
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(application_routes::schemas());
    (router, doc)
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    document().1
}

/// Whether ksflux is ready to serve: the clusters were discovered, the host answers, and the
/// host's caches have listed what they watch. A member's outage does not make ksflux unready
/// (its objects are served as unknown).
fn readiness(
    discovered: bool,
    host: &crate::clusters::Health,
    caches: Option<&crate::status::ClusterSync>,
) -> Result<(), String> {
    use crate::status::SyncState;
    if !discovered {
        return Err("discovering clusters".into());
    }
    if host.last_checked.is_some() && !host.reachable {
        return Err(format!("the host cluster is unreachable: {}", host.message));
    }
    match caches {
        Some(c) if c.state == SyncState::Synced => Ok(()),
        Some(c) if c.state == SyncState::Unknown => Err(format!(
            "the host's caches are not current: {}",
            c.error.as_deref().unwrap_or("unknown")
        )),
        _ => Err("the host's caches are still listing".into()),
    }
}

/// The whole HTTP application: the authenticated API plus unauthenticated health, metrics
/// and OpenAPI endpoints, and the console's files from `console` when given (any other path
/// outside the API gets its `index.html`, so the console's routes can be reloaded).
pub fn app(ctx: ApiContext, authenticator: Authenticator, console: Option<&std::path::Path>) -> Router {
    let (api, doc) = document();
    let doc = Arc::new(doc);
    let api = api
        .layer(DefaultBodyLimit::max(extract::MAX_BODY))
        .layer(middleware::from_fn_with_state(authenticator, auth::require_user))
        .layer(middleware::from_fn(timing::server_timing))
        .with_state(ctx.clone());
    let ready = ctx.ready.clone();
    let clusters = ctx.clusters.clone();
    let fleet = ctx.fleet.clone();
    let metrics = ctx.metrics.clone();
    let router = Router::new()
        .merge(api)
        .merge(history::ingest_router(ctx.clone()))
        .route(
            "/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                let discovered = ready.load(Ordering::Relaxed);
                let host = fleet.cluster_state(crate::clusters::HOST);
                match readiness(discovered, &clusters.host().health(), host.as_ref()) {
                    Ok(()) => (StatusCode::OK, "ok".to_string()),
                    Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
                }
            }),
        )
        .route(
            "/metrics",
            get({
                let metrics = metrics.clone();
                move || async move {
                    (
                        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        metrics.render(),
                    )
                        .into_response()
                }
            }),
        )
        .route("/kapis/{*rest}", any(not_found));
    let router = match console {
        Some(dir) => {
            router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))))
        }
        None => router.fallback(not_found),
    };
    router
        .layer(middleware::from_fn_with_state(metrics, track))
        // 5xx answers are logged where they arise (internal errors at ERROR, an unready
        // replica not at all), not again by the trace layer.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
}

#[cfg(test)]
mod tests {
    use super::readiness;
    use crate::{
        clusters::Health,
        status::{ClusterSync, SyncState},
    };

    fn caches(state: SyncState, error: Option<&str>) -> ClusterSync {
        ClusterSync {
            name: "host".into(),
            state,
            synced: state == SyncState::Synced,
            reachable: true,
            flux_installed: true,
            kinds: Vec::new(),
            error: error.map(str::to_string),
            workload_namespaces: 0,
            workloads_error: None,
        }
    }

    #[test]
    fn ready_needs_the_registry_read_the_host_answering_and_its_caches_listed() {
        let up = Health {
            reachable: true,
            last_checked: Some("2026-11-28T00:00:00Z".into()),
            ..Default::default()
        };
        let synced = caches(SyncState::Synced, None);
        assert_eq!(readiness(true, &up, Some(&synced)), Ok(()));
        assert_eq!(
            readiness(false, &up, Some(&synced)),
            Err("discovering clusters".into())
        );
        let down = Health {
            reachable: false,
            message: "unreachable: connection refused".into(),
            ..up.clone()
        };
        assert_eq!(
            readiness(true, &down, Some(&synced)),
            Err("the host cluster is unreachable: unreachable: connection refused".into())
        );
        assert_eq!(
            readiness(true, &up, Some(&caches(SyncState::Syncing, None))),
            Err("the host's caches are still listing".into())
        );
        let failed = caches(SyncState::Unknown, Some("watching GitRepository: 500"));
        assert!(readiness(true, &up, Some(&failed)).is_err_and(|e| e.contains("GitRepository")));
    }
}
