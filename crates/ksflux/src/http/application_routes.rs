//! The routes of ksflux's own kind, the Application: its CRUD (the generic object handlers,
//! documented with the Application's own schema), the wizard's preview and diff, and the
//! per-target detail view.

use axum::{Extension, Json, extract::State};
use http::StatusCode;
use serde_json::Value;
use utoipa::{
    ToSchema,
    openapi::{Ref, RefOr, schema::Schema},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, ApiJson, ApiPath, ApiQuery, extract};
use crate::{
    applications,
    auth::User,
    error::{ApiErrors, Result, WriteErrors},
    kinds,
    resources::{
        ClusterQuery, CredentialsView, ListQuery, ObjectList, ObjectRequest, ObjectView, Scope, Summary,
    },
};

const PLURAL: &str = "applications";

fn spec_schema() -> RefOr<Schema> {
    Ref::from_schema_name("ApplicationSpec").into()
}

fn status_schema() -> RefOr<Schema> {
    Ref::from_schema_name("ApplicationStatus").into()
}

/// An application as the API returns it: an object view whose `spec` and `status` are the
/// Application's (the CRD's schema).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(super) struct ApplicationView {
    /// Always `host`: applications live on the host cluster.
    cluster: String,
    /// `fluxcd.kubesphere.io/v1alpha1`.
    api_version: String,
    /// `Application`.
    kind: String,
    /// Kubernetes object metadata.
    #[schema(value_type = Object)]
    metadata: Value,
    /// What the application deploys, where, with which differences.
    #[schema(schema_with = spec_schema)]
    spec: Value,
    /// What the controller observed (`{}` until it has).
    #[schema(schema_with = status_schema)]
    status: Value,
    /// What the status means.
    summary: Summary,
    /// Always empty: applications carry no credentials.
    credential_status: CredentialsView,
}

/// A page of applications.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(super) struct ApplicationList {
    /// This page.
    items: Vec<ApplicationView>,
    /// How many applications match, over all pages.
    total_items: usize,
}

/// A create or update request for an application.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(super) struct ApplicationRequest {
    /// `fluxcd.kubesphere.io/v1alpha1`; optional.
    #[schema(nullable = false)]
    api_version: Option<String>,
    /// `Application`; optional.
    #[schema(nullable = false)]
    kind: Option<String>,
    /// `name` (required), `labels`, `annotations`; for updates also `resourceVersion`
    /// (required: a stale one is refused with 409).
    #[schema(value_type = Object)]
    metadata: Value,
    /// What the application deploys, where, with which differences.
    #[schema(schema_with = spec_schema)]
    spec: Value,
}

/// The Application's spec and status schemas, from its CRD, as OpenAPI components
/// (`ApplicationSpec`, `ApplicationStatus`).
pub(super) fn schemas() -> Vec<(String, RefOr<Schema>)> {
    use kube::CustomResourceExt;
    let crd = ksflux_types::application::Application::crd();
    let root = crd
        .spec
        .versions
        .first()
        .and_then(|v| v.schema.as_ref())
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or_default();
    ["spec", "status"]
        .into_iter()
        .filter_map(|part| {
            let schema = root.pointer(&format!("/properties/{part}"))?.clone();
            let schema: RefOr<Schema> = serde_json::from_value(schema).ok()?;
            Some((format!("Application{}", capitalize(part)), schema))
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Lists applications in every namespace the user may list.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/applications", tag = "applications",
    params(ListQuery),
    responses((status = 200, body = ApplicationList), ApiErrors))]
async fn list_all_applications(
    ctx: State<ApiContext>,
    user: Extension<User>,
    q: ApiQuery<ListQuery>,
) -> Result<Json<ObjectList>> {
    super::list_all(ctx, user, ApiPath(PLURAL.into()), q).await
}

/// Lists the applications of a namespace.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications", tag = "applications",
    params(("namespace" = String, Path), ListQuery),
    responses((status = 200, body = ApplicationList), ApiErrors))]
async fn list_applications(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath(namespace): ApiPath<String>,
    q: ApiQuery<ListQuery>,
) -> Result<Json<ObjectList>> {
    super::list_namespaced(ctx, user, ApiPath((namespace, PLURAL.into())), q).await
}

/// Creates an application. The user's right to create it is checked first; then its targets
/// (clusters, namespaces the user may deploy to) and the Flux objects it renders.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications", tag = "applications",
    params(("namespace" = String, Path)),
    request_body = ApplicationRequest,
    responses((status = 201, body = ApplicationView), ApiErrors, WriteErrors))]
async fn create_application(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath(namespace): ApiPath<String>,
    body: Result<ApiJson<ObjectRequest>>,
) -> Result<(StatusCode, Json<ObjectView>)> {
    let path = ApiPath((namespace, PLURAL.into()));
    super::create(ctx, user, path, ApiQuery(ClusterQuery::default()), body?).await
}

/// Gets an application.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = ApplicationView), ApiErrors))]
async fn get_application(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
) -> Result<Json<ObjectView>> {
    let path = ApiPath((namespace, PLURAL.into(), name));
    super::get_object(ctx, user, path, ApiQuery(ClusterQuery::default())).await
}

/// Replaces an application's spec, labels and annotations; `metadata.resourceVersion` is
/// required and a stale one is refused with 409.
#[utoipa::path(put, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body = ApplicationRequest,
    responses((status = 200, body = ApplicationView), ApiErrors, WriteErrors))]
async fn update_application(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<ApiJson<ObjectRequest>>,
) -> Result<Json<ObjectView>> {
    let path = ApiPath((namespace, PLURAL.into(), name));
    super::update(ctx, user, path, ApiQuery(ClusterQuery::default()), body?).await
}

/// Changes part of an application (a JSON merge patch or a JSON patch of its editable form),
/// as `kubectl patch` does; see the generic PATCH for the rules.
#[utoipa::path(patch, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body(content(
        (Object = "application/merge-patch+json"),
        (Vec<Object> = "application/json-patch+json"),
    ), description = "a JSON merge patch or a JSON patch of the application's editable form"),
    responses((status = 200, body = ApplicationView), ApiErrors, WriteErrors))]
async fn patch_application(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<extract::PatchBody>,
) -> Result<Json<ObjectView>> {
    let path = ApiPath((namespace, PLURAL.into(), name));
    super::patch_object(ctx, user, path, ApiQuery(ClusterQuery::default()), body).await
}

/// Deletes an application and, through it, what it deployed.
#[utoipa::path(delete, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "deleted"), ApiErrors))]
async fn delete_application(
    ctx: State<ApiContext>,
    user: Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
) -> Result<StatusCode> {
    let path = ApiPath((namespace, PLURAL.into(), name));
    super::delete_object(ctx, user, path, ApiQuery(ClusterQuery::default())).await
}

/// Checks that `user` may write applications in `namespace` (before anything is validated
/// or rendered for them), and reads the edited application; the scope is the host's.
async fn application_request(
    ctx: &ApiContext,
    user: &User,
    verb: &str,
    namespace: &str,
    name: &str,
    body: Result<ApiJson<ObjectRequest>>,
) -> Result<(Scope<'static>, ObjectRequest)> {
    let scope = ctx.scope(kinds::APPLICATION.plural, None, user)?;
    scope
        .authorize(user, verb, namespace, (verb != "create").then_some(name))
        .await?;
    let ApiJson(mut req) = body?;
    if req.metadata.name.is_empty() {
        req.metadata.name = name.to_string();
    }
    Ok((scope, req))
}

/// The Flux objects an application would render for each target, writing nothing (for the
/// wizard). Needs the right to create applications in the namespace.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/preview", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body(content = ApplicationRequest, description = "the application as it would be created or saved"),
    responses((status = 200, body = Vec<applications::render::Rendered>, description = "per target, the rendered Flux object"),
              ApiErrors, WriteErrors))]
async fn preview(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<ApiJson<ObjectRequest>>,
) -> Result<Json<Vec<applications::render::Rendered>>> {
    let (_, req) = application_request(&ctx, &user, "create", &namespace, &name, body).await?;
    Ok(Json(
        applications::api::preview(&ctx.clusters, &namespace, &req).await?,
    ))
}

/// What saving an edit would change in each target, writing nothing. Needs the right to
/// update the application.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/diff", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body(content = ApplicationRequest, description = "the edited application"),
    responses((status = 200, body = Vec<applications::api::TargetDiff>, description = "per target, what would change"),
              ApiErrors, WriteErrors))]
async fn diff(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<ApiJson<ObjectRequest>>,
) -> Result<Json<Vec<applications::api::TargetDiff>>> {
    let (scope, req) = application_request(&ctx, &user, "update", &namespace, &name, body).await?;
    Ok(Json(
        applications::api::diff(&ctx.clusters, &scope.client, &namespace, &name, &req).await?,
    ))
}

/// Each target of an application in detail: its Flux object, inventory, history and events.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/targets", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Vec<applications::api::TargetDetail>), ApiErrors))]
async fn targets(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
) -> Result<Json<Vec<applications::api::TargetDetail>>> {
    Ok(Json(
        applications::api::targets(&ctx.clusters, &ctx.fleet, &user, &namespace, &name).await?,
    ))
}

/// The workloads each target of an application applied (Deployments, StatefulSets,
/// DaemonSets), read in its cluster as the caller: replicas desired, updated, ready and
/// available, whether a rollout is under way, and why pods are unhealthy. A target whose
/// namespace the caller may not read carries an `error` instead.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/workloads", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Vec<applications::api::TargetWorkloads>), ApiErrors))]
async fn workloads(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
) -> Result<Json<Vec<applications::api::TargetWorkloads>>> {
    Ok(Json(
        applications::api::workloads(&ctx.clusters, &ctx.fleet, &user, &namespace, &name).await?,
    ))
}

/// Which target's objects to read.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InventoryQuery {
    /// The target's cluster.
    pub cluster: String,
    /// One object, by its Flux inventory id (`<namespace>_<name>_<group>_<Kind>`).
    #[serde(default)]
    pub id: Option<String>,
}

/// The objects an application's target applied in its cluster (a Kustomization's inventory,
/// a Helm release's objects), each with its health and whether it drifted from what Flux
/// applied, read in that cluster as the caller. For Helm, drift compares each object with the
/// release's manifest; for Kustomize, with its managed fields (fields written by others since
/// Flux applied, which Flux puts back at its next reconciliation).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/inventory", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path), InventoryQuery),
    responses((status = 200, body = crate::inventory::Inventory), ApiErrors))]
async fn inventory(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> Result<Json<crate::inventory::Inventory>> {
    Ok(Json(
        applications::api::inventory(&ctx.clusters, &ctx.fleet, &user, &namespace, &name, &q.cluster).await?,
    ))
}

/// One object an application's target applied (`id`): its live manifest (without managed
/// fields, Secret values hidden), the manifest Flux applied where Flux keeps it (Helm), its
/// health and drift.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/inventory/object", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path), InventoryQuery),
    responses((status = 200, body = crate::inventory::ObjectManifests), ApiErrors))]
async fn inventory_object(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> Result<Json<crate::inventory::ObjectManifests>> {
    let Some(id) = q.id.as_deref().filter(|i| !i.is_empty()) else {
        return Err(crate::error::Error::BadRequest(
            "id: name the object by its inventory id".into(),
        ));
    };
    if id.len() > 1024 {
        return Err(crate::error::Error::BadRequest(
            "id: longer than 1024 characters".into(),
        ));
    }
    Ok(Json(
        applications::api::inventory_object(
            &ctx.clusters,
            &ctx.fleet,
            &user,
            &namespace,
            &name,
            &q.cluster,
            id,
        )
        .await?,
    ))
}

/// A request to an application's rollout.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutRequest {
    /// `pause`, `resume`, `promote` (the wave under way) or `rollback` (the wave under way).
    pub action: applications::rollout::Request,
}

/// Acts on an application's progressive rollout: pause it, resume it (the wave under way tries
/// the new revision again), promote the wave under way by hand, or roll that wave back to the
/// stable revision. Needs the right to update the application.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/rollout", tag = "applications",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body(content = RolloutRequest),
    responses((status = 200, body = ObjectView, description = "the application with the request recorded"),
              ApiErrors, WriteErrors))]
async fn rollout(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<ApiJson<RolloutRequest>>,
) -> Result<Json<ObjectView>> {
    let scope = ctx.scope(kinds::APPLICATION.plural, None, &user)?;
    scope.authorize(&user, "update", &namespace, Some(&name)).await?;
    let ApiJson(req) = body?;
    applications::api::request_rollout(&scope.client, &namespace, &name, req.action, &user).await?;
    let view = scope.get(&namespace, &name).await?;
    ctx.reads().written(&scope, &view).await;
    let what = format!("rollout {}", req.action.as_str());
    super::history::record(&ctx, &user, &scope, (&namespace, &name), &what, None).await;
    Ok(Json(view))
}

/// The application routes.
pub(super) fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(list_all_applications))
        .routes(routes!(list_applications, create_application))
        .routes(routes!(
            get_application,
            update_application,
            patch_application,
            delete_application
        ))
        .routes(routes!(preview))
        .routes(routes!(diff))
        .routes(routes!(targets))
        .routes(routes!(workloads))
        .routes(routes!(inventory))
        .routes(routes!(inventory_object))
        .routes(routes!(rollout))
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::*;

    fn properties(schema: RefOr<Schema>) -> Vec<String> {
        let v = serde_json::to_value(schema).unwrap_or_default();
        let mut p: Vec<String> = v["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        p.sort();
        p
    }

    #[test]
    fn the_application_view_documents_every_field_of_an_object_view() {
        assert_eq!(
            properties(ApplicationView::schema()),
            properties(ObjectView::schema())
        );
    }

    #[test]
    fn the_application_schemas_come_from_the_crd() {
        let s = schemas();
        let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ApplicationSpec", "ApplicationStatus"]);
        let spec = serde_json::to_value(&s[0].1).unwrap_or_default();
        assert!(spec["properties"]["targets"]["items"]["properties"]["cluster"].is_object());
        // Targets may come from a placement instead (the CRD's rule asks for one of them).
        assert_eq!(spec["required"], serde_json::json!(["source"]));
        assert!(spec["properties"]["placement"]["properties"]["clusterSelector"].is_object());
        assert!(spec["properties"]["layers"]["items"]["properties"]["overrides"].is_object());
        // The Flux options are typed through to the console's generated types.
        let helm = &spec["properties"]["helm"]["properties"];
        assert_eq!(helm["install"]["properties"]["disableWait"]["type"], "boolean");
        let modes = helm["driftDetection"]["properties"]["mode"]["enum"]
            .as_array()
            .cloned();
        assert!(modes.unwrap_or_default().contains(&"warn".into()), "{helm}");
        let overrides = &spec["properties"]["targets"]["items"]["properties"]["overrides"]["properties"];
        assert!(overrides["components"]["items"].is_object(), "{overrides}");
    }
}
