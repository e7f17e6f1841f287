//! The history endpoints (the HTTP side of `crate::history`): releases per application and
//! per Flux object, every visible release, the audit log, and the event ingest for
//! notification-controller (outside the authenticated API: it is signed instead).

use axum::{
    Extension, Json, Router,
    body::Body,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::post,
};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, ApiPath, ApiQuery, kind_of};
use crate::{
    auth::User,
    error::{ApiErrors, Error, Result, WriteErrors},
    history::{
        AuditFilter, AuditList, History, Ingested, Outcome, ReleaseFilter, ReleaseList, audit::spec_diff,
        ingest::MAX_EVENT_BODY,
    },
    kinds::APPLICATION,
    resources::Scope,
};

/// Parameters of the release queries.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The cluster of the Flux object (default `host`); for an application, only releases of
    /// objects in this cluster.
    pub cluster: Option<String>,
    /// Applications: only this target (its cluster).
    pub target: Option<String>,
    /// Only releases with this outcome: `progressing`, `succeeded` or `failed`.
    pub outcome: Option<String>,
    /// Only releases started at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only releases started before this time (RFC 3339).
    pub until: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// Page size (default 20, at most 500).
    pub limit: Option<i64>,
}

/// Parameters of the list of every visible release.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReleasesQuery {
    /// Only this cluster (of the Flux object).
    pub cluster: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only this Flux kind (`Kustomization`, `HelmRelease`, ...).
    pub kind: Option<String>,
    /// Only this outcome: `progressing`, `succeeded` or `failed`.
    pub outcome: Option<String>,
    /// Started at or after (RFC 3339).
    pub since: Option<String>,
    /// Started before (RFC 3339).
    pub until: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// Page size (default 20, at most 500).
    pub limit: Option<i64>,
}

/// Parameters of the audit log.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only this kind (`Application`, `GitRepository`, ...).
    pub kind: Option<String>,
    /// Only this object name.
    pub name: Option<String>,
    /// Only this user.
    pub user: Option<String>,
    /// At or after (RFC 3339).
    pub since: Option<String>,
    /// Before (RFC 3339).
    pub until: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// Page size (default 20, at most 500).
    pub limit: Option<i64>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

fn time(name: &str, s: &Option<String>) -> Result<Option<i64>> {
    nonempty(s)
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|_| Error::bad_param(name, "must be an RFC 3339 time, such as 2026-11-27T10:00:00Z"))
        })
        .transpose()
}

fn outcome(s: &Option<String>) -> Result<Option<Outcome>> {
    nonempty(s)
        .map(|s| s.parse().map_err(|m: String| Error::bad_param("outcome", m)))
        .transpose()
}

fn paging(page: Option<i64>, limit: Option<i64>) -> Result<(i64, i64)> {
    let page = page.unwrap_or(1);
    let limit = limit.unwrap_or(20);
    if page < 1 {
        return Err(Error::bad_param("page", "must be 1 or more"));
    }
    if !(1..=500).contains(&limit) {
        return Err(Error::bad_param("limit", "must be between 1 and 500"));
    }
    if (page - 1).checked_mul(limit).is_none() {
        return Err(Error::bad_param("page", "is too large"));
    }
    Ok((page, limit))
}

fn history(ctx: &ApiContext) -> Result<&History> {
    ctx.history.as_ref().ok_or_else(|| {
        Error::Unavailable("this ksflux keeps no history (start it with --data-dir or --database-url)".into())
    })
}

/// The releases of an application (every target, or `?target=`) or of one Flux object
/// (`?cluster=`), newest first: each revision applied or tried, with its outcome, Flux's
/// message and duration; HelmReleases completed from Helm's `status.history`. Only for users
/// who may list the kind in the namespace.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}/{name}/history", tag = "history",
    params(("namespace" = String, Path), ("resource" = String, Path), ("name" = String, Path), HistoryQuery),
    responses((status = 200, body = ReleaseList), ApiErrors))]
async fn object_history(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, resource, name)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<ReleaseList>> {
    let kind = kind_of(&resource)?;
    let (page, limit) = paging(q.page, q.limit)?;
    let mut filter = ReleaseFilter {
        namespace: Some(namespace),
        outcome: outcome(&q.outcome)?,
        since: time("since", &q.since)?,
        until: time("until", &q.until)?,
        cluster: nonempty(&q.cluster),
        ..Default::default()
    };
    if let Some(c) = &filter.cluster {
        ctx.clusters.get(c)?;
    }
    let h = history(&ctx)?;
    let access = (&ctx.fleet, &ctx.clusters, &user);
    if kind.kind == APPLICATION.kind {
        filter.application = Some(name);
        filter.target = nonempty(&q.target);
        return Ok(Json(h.application_releases(access, &filter, page, limit).await?));
    }
    if q.target.is_some() {
        return Err(Error::bad_param("target", "only applications have targets"));
    }
    filter.kind = Some(kind.kind.to_string());
    filter.name = Some(name);
    filter
        .cluster
        .get_or_insert_with(|| crate::clusters::HOST.to_string());
    Ok(Json(h.object_releases(access, &filter, page, limit).await?))
}

/// Every release the caller may see (their kinds' namespaces), newest first, filtered.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/history/releases", tag = "history",
    params(ReleasesQuery),
    responses((status = 200, body = ReleaseList), ApiErrors))]
async fn releases(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<ReleasesQuery>,
) -> Result<Json<ReleaseList>> {
    let (page, limit) = paging(q.page, q.limit)?;
    let kind = nonempty(&q.kind)
        .map(|k| {
            crate::status::kind_named(&k)
                .map(|k| k.kind.to_string())
                .ok_or_else(|| Error::bad_param("kind", format!("unknown Flux kind {k:?}")))
        })
        .transpose()?;
    let filter = ReleaseFilter {
        cluster: nonempty(&q.cluster),
        namespace: nonempty(&q.namespace),
        kind,
        outcome: outcome(&q.outcome)?,
        since: time("since", &q.since)?,
        until: time("until", &q.until)?,
        ..Default::default()
    };
    let h = history(&ctx)?;
    Ok(Json(
        h.releases((&ctx.fleet, &ctx.clusters, &user), &filter, page, limit)
            .await?,
    ))
}

async fn audit_page(
    ctx: &ApiContext,
    user: &User,
    namespace: Option<String>,
    q: AuditQuery,
) -> Result<AuditList> {
    let (page, limit) = paging(q.page, q.limit)?;
    let filter = AuditFilter {
        cluster: nonempty(&q.cluster),
        kind: nonempty(&q.kind),
        namespace,
        name: nonempty(&q.name),
        user: nonempty(&q.user),
        since: time("since", &q.since)?,
        until: time("until", &q.until)?,
    };
    history(ctx)?
        .audit_log((&ctx.fleet, &ctx.clusters, user), &filter, page, limit)
        .await
}

/// ksflux's audit log: every write through its API (who, when, which object, what action,
/// and for updates which spec fields changed), newest first. Only entries of objects whose
/// kind the caller may list in their namespace are shown.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/audit", tag = "history",
    params(AuditQuery),
    responses((status = 200, body = AuditList), ApiErrors))]
async fn audit_all(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>> {
    Ok(Json(audit_page(&ctx, &user, None, q).await?))
}

/// The audit log of one namespace.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/audit", tag = "history",
    params(("namespace" = String, Path), AuditQuery),
    responses((status = 200, body = AuditList), ApiErrors))]
async fn audit_namespaced(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath(namespace): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>> {
    Ok(Json(audit_page(&ctx, &user, Some(namespace), q).await?))
}

/// Parameters of the release stream.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReleaseEventsQuery {
    /// Only releases of objects in this cluster.
    pub cluster: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
}

/// A Server-Sent Events stream of releases as they start or finish (each event named
/// `release`, its data a `Release`; a new release and its later finish are two events with the
/// same `id`). Only releases of objects the caller may list are sent. A client that falls too
/// far behind gets a `lagged` event and the stream ends; it should read the history again and
/// reconnect.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/history/events", tag = "history",
    params(ReleaseEventsQuery),
    responses((status = 200, content_type = "text/event-stream", body = crate::history::Release), ApiErrors))]
async fn release_events(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<ReleaseEventsQuery>,
) -> Result<Sse<impl futures::Stream<Item = std::result::Result<Event, std::convert::Infallible>>>> {
    let cluster = nonempty(&q.cluster);
    if let Some(c) = &cluster {
        ctx.clusters.get(c)?;
    }
    let namespace = nonempty(&q.namespace);
    let rx = history(&ctx)?.subscribe();
    let state = (rx, ctx, user, cluster, namespace);
    let first = futures::stream::once(async { Ok(Event::default().comment("subscribed")) });
    let rest = futures::stream::unfold(Some(state), |state| async move {
        let (mut rx, ctx, user, cluster, namespace) = state?;
        loop {
            let r = match rx.recv().await {
                Ok(r) => r,
                Err(RecvError::Lagged(missed)) => {
                    let e = Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}"));
                    return Some((Ok(e), None));
                }
                Err(RecvError::Closed) => return None,
            };
            if cluster.as_ref().is_some_and(|c| *c != r.cluster)
                || namespace.as_ref().is_some_and(|n| *n != r.namespace)
            {
                continue;
            }
            let Some(kind) = crate::status::kind_named(&r.kind) else {
                continue;
            };
            if !ctx
                .fleet
                .may_list(&ctx.clusters, &user, &r.cluster, kind, &r.namespace)
                .await
            {
                continue;
            }
            match Event::default().event("release").json_data(&*r) {
                Ok(e) => return Some((Ok(e), Some((rx, ctx, user, cluster, namespace)))),
                Err(e) => tracing::warn!(error = %e, "cannot encode a release"),
            }
        }
    });
    Ok(Sse::new(futures::StreamExt::chain(first, rest))
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))))
}

/// Parameters of a rollback proposal.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RollbackQuery {
    /// The target (its cluster) to roll back.
    pub target: String,
    /// The release to go back to: its `id` in the application's history.
    pub release: i64,
}

/// What rolling a Helm target back to a release would change.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackProposal {
    /// The release gone back to.
    pub release: crate::history::Release,
    /// The application's `resourceVersion` the proposal is based on (send it with the PUT).
    pub resource_version: String,
    /// The proposed application spec: the target's override set to the release's chart
    /// version and values; everything else as it is.
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    /// Per target, what applying it would change (only the rolled-back target changes).
    pub diff: Vec<crate::applications::api::TargetDiff>,
}

/// Proposes rolling one Helm target of an application back to an earlier release: the
/// target override (that release's chart version and values) and the diff. Nothing is
/// written; applying it is an ordinary update of the application (`PUT` with the proposed
/// spec and `resourceVersion`), so it goes through the usual checks and into the audit log.
/// Only for users who may update the application.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/rollback", tag = "history",
    params(("namespace" = String, Path), ("name" = String, Path), RollbackQuery),
    responses((status = 200, body = RollbackProposal), ApiErrors, WriteErrors))]
async fn rollback(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<RollbackQuery>,
) -> Result<Json<RollbackProposal>> {
    let scope = ctx.scope(APPLICATION.plural, None, &user)?;
    scope.authorize(&user, "update", &namespace, Some(&name)).await?;
    let h = history(&ctx)?;
    let release = h
        .store()
        .release(q.release)
        .await
        .map_err(Error::Internal)?
        .filter(|r| {
            r.namespace == namespace
                && r.application.as_deref() == Some(name.as_str())
                && r.target.as_deref() == Some(q.target.as_str())
        })
        .ok_or_else(|| {
            Error::NotFound(format!(
                "application {name:?} has no release {} on target {:?}",
                q.release, q.target
            ))
        })?;
    let unusable = |m: &str| Error::invalid(vec![crate::error::Cause::invalid("release", m)]);
    if release.kind != "HelmRelease" {
        return Err(unusable("only Helm releases can be rolled back to"));
    }
    let spec = release
        .spec
        .clone()
        .ok_or_else(|| unusable("ksflux did not record what this release applied"))?;
    let version = release
        .chart_version
        .as_deref()
        .map(|v| v.split('+').next().unwrap_or(v).to_string())
        .ok_or_else(|| unusable("the release names no chart version"))?;
    let current = scope.get(&namespace, &name).await?;
    let resource_version = current.metadata["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let proposed = crate::history::rollback::propose(&current.spec, &q.target, &version, &spec)
        .map_err(|m| Error::invalid(vec![crate::error::Cause::invalid("target", m)]))?;
    let req: crate::resources::ObjectRequest = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "resourceVersion": resource_version},
        "spec": proposed,
    }))
    .map_err(|e| Error::Internal(e.into()))?;
    let diff = crate::applications::api::diff(&ctx.clusters, &scope.client, &namespace, &name, &req).await?;
    Ok(Json(RollbackProposal {
        release,
        resource_version,
        spec: proposed,
        diff,
    }))
}

/// Routes of the history API (authenticated).
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(rollback))
        .routes(routes!(release_events))
        .routes(routes!(object_history))
        .routes(routes!(releases))
        .routes(routes!(audit_all))
        .routes(routes!(audit_namespaced))
}

/// Takes one Flux event from notification-controller's `generic-hmac` provider: 202 when
/// stored, 200 for a repeat, 401 for a missing or wrong signature, 413 above 3 MiB, 429 when
/// the object sends too many events that change no release.
async fn ingest(
    State(ctx): State<ApiContext>,
    axum::extract::Path((cluster, namespace)): axum::extract::Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let h = history(&ctx)?;
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let too_large = || Error::TooLarge(format!("an event may have at most {} MiB", MAX_EVENT_BODY >> 20));
        if declared.is_some_and(|n| n > MAX_EVENT_BODY) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(body, MAX_EVENT_BODY)
            .await
            .map_err(|_| too_large())?;
        let signature = headers.get("x-signature").and_then(|v| v.to_str().ok());
        h.ingest(&cluster, &namespace, signature, &bytes).await
    }
    .await;
    match result {
        Ok(Ingested::Stored) => StatusCode::ACCEPTED.into_response(),
        Ok(Ingested::Duplicate | Ingested::Ignored) => StatusCode::OK.into_response(),
        Ok(Ingested::Limited) => {
            let mut status = Error::Unavailable(String::new()).to_status();
            status.code = 429;
            status.reason = "TooManyRequests".into();
            status.message = "too many events for this object that change no release; dropped".into();
            (StatusCode::TOO_MANY_REQUESTS, Json(status)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The event ingest route, outside the authenticated API.
pub fn ingest_router(ctx: ApiContext) -> Router {
    Router::new()
        .route("/ingest/flux/{cluster}/{namespace}", post(ingest))
        .with_state(ctx)
}

/// Records a write in the audit log (when a history store is kept): `old` and `new` are the
/// specs before and after an update.
pub(super) async fn record(
    ctx: &ApiContext,
    user: &User,
    scope: &Scope<'_>,
    (namespace, name): (&str, &str),
    action: &str,
    specs: Option<(&serde_json::Value, &serde_json::Value)>,
) {
    let Some(h) = &ctx.history else { return };
    let summary = specs.map(|(old, new)| spec_diff(old, new)).unwrap_or_default();
    h.audit(
        user,
        (&scope.cluster, scope.kind.kind, namespace, name),
        action,
        summary,
    )
    .await;
}

/// The spec of an object before a write, for the audit log (only when one is kept).
pub(super) async fn before(
    ctx: &ApiContext,
    scope: &Scope<'_>,
    namespace: &str,
    name: &str,
) -> Option<serde_json::Value> {
    ctx.history.as_ref()?;
    scope.get(namespace, name).await.ok().map(|v| v.spec)
}
