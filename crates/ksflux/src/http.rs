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

use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::{FromRequest, MatchedPath, Path, Query, Request, State},
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
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tower_http::services::{ServeDir, ServeFile};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    applications,
    auth::{self, Authenticator, User},
    clusters::{ClusterView, Clusters, HOST},
    delivery,
    error::{Cause, Error, Result, Status},
    images, notifications,
    resources::{
        ActOptions, Action, ActionQuery, ClusterQuery, FluxKind, ListQuery, ObjectList, ObjectRequest,
        ObjectView, Scope,
    },
    sources::{self, Chart},
};

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

/// A JSON body whose errors are a `Status` naming the failing field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let ct = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !ct.starts_with("application/json") {
            return Err(Error::BadRequest(
                "the body must be JSON (Content-Type: application/json)".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Error::BadRequest(format!("cannot read the body: {e}")))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(ApiJson).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Error::BadRequest(format!("the body is not valid JSON: {inner}"))
            } else {
                let field = if path == "." { String::new() } else { path };
                Error::invalid(vec![Cause::invalid(field, inner.to_string())])
            }
        })
    }
}

/// Every Flux kind the API serves, by domain.
pub static KINDS: [&FluxKind; 14] = [
    &applications::api::APPLICATION,
    &sources::GIT_REPOSITORY,
    &sources::HELM_REPOSITORY,
    &sources::HELM_CHART,
    &sources::BUCKET,
    &sources::OCI_REPOSITORY,
    &delivery::KUSTOMIZATION,
    &delivery::HELM_RELEASE,
    &notifications::PROVIDER,
    &notifications::ALERT,
    &notifications::RECEIVER,
    &images::IMAGE_REPOSITORY,
    &images::IMAGE_POLICY,
    &images::IMAGE_UPDATE_AUTOMATION,
];

fn kind_of(resource: &str) -> Result<&'static FluxKind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.plural == resource)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "unknown resource {resource:?}; use one of {}",
                KINDS.iter().map(|k| k.plural).collect::<Vec<_>>().join(", ")
            ))
        })
}

impl ApiContext {
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
    responses((status = 200, body = User), (status = 401, body = Status)))]
async fn whoami(Extension(user): Extension<User>) -> Json<User> {
    Json(user)
}

/// Lists the clusters and their health.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters", tag = "clusters",
    responses((status = 200, body = ClusterList), (status = 401, body = Status)))]
async fn list_clusters(State(ctx): State<ApiContext>) -> Json<ClusterList> {
    let items: Vec<ClusterView> = ctx.clusters.all().iter().map(|c| c.view()).collect();
    Json(ClusterList {
        total_items: items.len(),
        items,
    })
}

/// Registers a member cluster; the kubeconfig is checked by connecting before it is stored.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters", tag = "clusters",
    request_body = RegisterCluster,
    responses((status = 201, body = ClusterView), (status = 422, body = Status), (status = 409, body = Status), (status = 403, body = Status)))]
async fn register_cluster(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiJson(req): ApiJson<RegisterCluster>,
) -> Result<(StatusCode, Json<ClusterView>)> {
    let view = ctx.clusters.register(&user, &req.name, &req.kubeconfig).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One cluster and its health (checked now).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/{cluster}", tag = "clusters",
    params(("cluster" = String, Path, description = "cluster name")),
    responses((status = 200, body = ClusterView), (status = 404, body = Status)))]
async fn get_cluster(
    State(ctx): State<ApiContext>,
    Path(cluster): Path<String>,
) -> Result<Json<ClusterView>> {
    let c = ctx.clusters.get(&cluster)?;
    c.check().await;
    Ok(Json(c.view()))
}

/// Removes a member registered through the API.
#[utoipa::path(delete, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/{cluster}", tag = "clusters",
    params(("cluster" = String, Path, description = "cluster name")),
    responses((status = 204), (status = 400, body = Status), (status = 404, body = Status)))]
async fn delete_cluster(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path(cluster): Path<String>,
) -> Result<StatusCode> {
    ctx.clusters.unregister(&user, &cluster).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists objects of a Flux kind in every namespace the user may list.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/{resource}", tag = "flux",
    params(("resource" = String, Path, description = "a Flux kind's plural: gitrepositories, helmrepositories, helmcharts, buckets, ocirepositories, kustomizations, helmreleases, providers, alerts, receivers, imagerepositories, imagepolicies, imageupdateautomations"), ListQuery),
    responses((status = 200, body = ObjectList), (status = 403, body = Status), (status = 404, body = Status)))]
async fn list_all(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path(resource): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ObjectList>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(scope.list(None, &q).await?))
}

/// Lists objects of a Flux kind in a namespace.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ListQuery),
    responses((status = 200, body = ObjectList), (status = 403, body = Status)))]
async fn list_namespaced(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ObjectList>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(scope.list(Some(&namespace), &q).await?))
}

/// Creates an object (and its credential Secrets).
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ClusterQuery),
    request_body = ObjectRequest,
    responses((status = 201, body = ObjectView), (status = 400, body = Status), (status = 403, body = Status),
               (status = 409, body = Status), (status = 422, body = Status)))]
async fn create(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource)): Path<(String, String)>,
    Query(q): Query<ClusterQuery>,
    ApiJson(req): ApiJson<ObjectRequest>,
) -> Result<(StatusCode, Json<ObjectView>)> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    if scope.kind.plural == applications::api::APPLICATION.plural {
        applications::api::check(&ctx.clusters, &namespace, &req).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(scope.create(&namespace, req, &user).await?),
    ))
}

/// Gets an object.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 200, body = ObjectView), (status = 403, body = Status), (status = 404, body = Status)))]
async fn get_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource, name)): Path<(String, String, String)>,
    Query(q): Query<ClusterQuery>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    Ok(Json(scope.get(&namespace, &name).await?))
}

/// Replaces an object's spec, labels and annotations; `metadata.resourceVersion` is required
/// and a stale one is refused with 409.
#[utoipa::path(put, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    request_body = ObjectRequest,
    responses((status = 200, body = ObjectView), (status = 409, body = Status), (status = 422, body = Status)))]
async fn update(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource, name)): Path<(String, String, String)>,
    Query(q): Query<ClusterQuery>,
    ApiJson(req): ApiJson<ObjectRequest>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    if scope.kind.plural == applications::api::APPLICATION.plural {
        applications::api::check(&ctx.clusters, &namespace, &req).await?;
    }
    Ok(Json(scope.update(&namespace, &name, req, &user).await?))
}

/// Deletes an object.
#[utoipa::path(delete, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 204), (status = 403, body = Status), (status = 404, body = Status)))]
async fn delete_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource, name)): Path<(String, String, String)>,
    Query(q): Query<ClusterQuery>,
) -> Result<StatusCode> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    scope.delete(&namespace, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs an action: `reconcile` (optionally `?wait=N` seconds for the controller to handle
/// it, `?withSource=true` to reconcile the source first), `suspend`, `resume`, and for
/// HelmRelease `force` and `reset`.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/{action}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path),
           ("action" = Action, Path), ActionQuery),
    request_body(content = Option<ObjectRequest>, description = "for applications' preview and diff: the edited application"),
    responses((status = 200, body = ObjectView, description = "the object after the action"),
              (status = 200, body = Vec<applications::render::Rendered>, description = "preview"),
              (status = 200, body = Vec<applications::api::TargetDiff>, description = "diff"),
              (status = 403, body = Status), (status = 404, body = Status), (status = 422, body = Status)))]
async fn act(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource, name, action)): Path<(String, String, String, String)>,
    Query(q): Query<ActionQuery>,
    body: Bytes,
) -> Result<Response> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    let is_app = scope.kind.plural == applications::api::APPLICATION.plural;
    if is_app && (action == "preview" || action == "diff") {
        let de = &mut serde_json::Deserializer::from_slice(&body);
        let mut req: ObjectRequest = serde_path_to_error::deserialize(de).map_err(|e| {
            Error::invalid(vec![Cause::invalid(
                e.path().to_string(),
                e.into_inner().to_string(),
            )])
        })?;
        if req.metadata.name.is_empty() {
            req.metadata.name = name.clone();
        }
        return Ok(if action == "preview" {
            Json(applications::api::preview(&ctx.clusters, &namespace, &req).await?).into_response()
        } else {
            Json(applications::api::diff(&ctx.clusters, &scope.client, &namespace, &name, &req).await?)
                .into_response()
        });
    }
    let action: Action = serde_json::from_value(serde_json::Value::String(action.clone())).map_err(|_| {
        Error::NotFound(format!(
            "unknown action {action:?}; use reconcile, suspend, resume, force or reset"
        ))
    })?;
    if is_app && let Some(target) = q.target.as_deref() {
        applications::api::act_on_target(&scope.client, &namespace, &name, target, action, &user).await?;
        return Ok(Json(scope.get(&namespace, &name).await?).into_response());
    }
    let opts = ActOptions {
        wait: q.wait,
        with_source: q.with_source.unwrap_or(false),
    };
    Ok(Json(scope.act(&namespace, &name, action, opts, &user).await?).into_response())
}

/// The charts and versions a HelmRepository offers (`{action}` = `charts`), from its artifact.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/{action}", tag = "flux",
    params(("namespace" = String, Path), ("resource" = String, Path, description = "helmrepositories"), ("name" = String, Path),
           ("action" = String, Path, description = "charts"), ClusterQuery),
    responses((status = 200, body = Vec<Chart>, description = "helmrepositories/{name}/charts"),
              (status = 200, body = Vec<applications::api::TargetDetail>, description = "applications/{name}/targets"),
              (status = 404, body = Status), (status = 503, body = Status)))]
async fn subview(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    Path((namespace, resource, name, view)): Path<(String, String, String, String)>,
    Query(q): Query<ClusterQuery>,
) -> Result<Response> {
    let scope = ctx.scope(&resource, q.cluster.as_deref(), &user)?;
    match (scope.kind.plural, view.as_str()) {
        ("helmrepositories", "charts") => {
            let api =
                kube::Api::namespaced_with(scope.client.clone(), &namespace, &scope.kind.api_resource());
            Ok(Json(sources::charts(&api, &name).await?).into_response())
        }
        ("applications", "targets") => Ok(Json(
            applications::api::targets(&scope.client, &ctx.fleet, &namespace, &name).await?,
        )
        .into_response()),
        _ => Err(Error::NotFound(format!(
            "{resource}/{view} does not exist; see helmrepositories/<name>/charts and applications/<name>/targets"
        ))),
    }
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
        .routes(routes!(list_clusters, register_cluster))
        .routes(routes!(get_cluster, delete_cluster))
        .routes(routes!(list_all))
        .routes(routes!(list_namespaced, create))
        .routes(routes!(get_object, update, delete_object))
        .routes(routes!(act, subview))
        .merge(crate::status::router())
}

async fn not_found() -> Error {
    Error::NotFound("no such path".into())
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The whole HTTP application: the authenticated API plus unauthenticated health, metrics
/// and OpenAPI endpoints, and the console's files from `console` when given (any other path
/// outside the API gets its `index.html`, so the console's routes can be reloaded).
pub fn app(ctx: ApiContext, authenticator: Authenticator, console: Option<&std::path::Path>) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let doc = Arc::new(doc);
    let api = api
        .layer(middleware::from_fn_with_state(authenticator, auth::require_user))
        .with_state(ctx.clone());
    let ready = ctx.ready.clone();
    let metrics = ctx.metrics.clone();
    let router = Router::new()
        .merge(api)
        .route(
            "/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                if ready.load(Ordering::Relaxed) {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "discovering clusters")
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
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
