//! The status endpoints (the HTTP side of `crate::status`): the fleet summary, the object list and the change stream, all
//! answered from the watch caches and filtered by what the caller may list.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    Extension, Json,
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, extract::ApiQuery};
use crate::{
    auth::User,
    clusters::Clusters,
    error::{ApiErrors, Error, Result},
    kinds::{APPLICATION, FluxKind},
    resources::{ListQuery, State as ObjectState, page_by},
    status::{
        FAILING_CAP, Filter, Fleet, FleetSummary, ObjectChange, ObjectStatusList, count_workloads,
        flux_kinds, kind_named,
    },
};

/// Parameters of the fleet summary.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
}

/// Parameters of the object list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ObjectsQuery {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only this Flux kind (`GitRepository` or `gitrepositories`).
    pub kind: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only objects in this state.
    pub state: Option<ObjectState>,
    /// Substring the name must contain.
    pub name: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<usize>,
    /// Page size (default 10, at most 10000).
    pub limit: Option<usize>,
    /// `createTime` (default), `name`, `namespace`, `state`, `cluster` or `kind`.
    pub sort_by: Option<String>,
    /// Sort ascending (default false).
    pub ascending: Option<bool>,
}

/// Parameters of the change stream.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only this Flux kind (`GitRepository` or `gitrepositories`).
    pub kind: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Also the changes of workloads (Deployments, StatefulSets, DaemonSets, with their
    /// replica counts, and Pods) in the namespaces Flux objects apply to (default false).
    pub workloads: Option<bool>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Checks the cluster and kind parameters; returns the kind.
fn check(
    clusters: &Clusters,
    cluster: Option<&str>,
    kind: Option<&str>,
) -> Result<Option<&'static FluxKind>> {
    if let Some(c) = cluster {
        clusters.get(c)?;
    }
    kind.map(|k| {
        kind_named(k).ok_or_else(|| {
            Error::BadRequest(format!(
                "kind: unknown Flux kind {k:?}; use one of {}",
                flux_kinds().map(|k| k.kind).collect::<Vec<_>>().join(", ")
            ))
        })
    })
    .transpose()
}

/// The fleet at a glance: objects by state, kind, cluster and namespace, each cluster's watch
/// state, and the objects that are not Ready, worst first. Answered from the watch caches;
/// only objects of kinds and namespaces the caller may list are counted.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/status/summary", tag = "status",
    params(SummaryQuery),
    responses((status = 200, body = FleetSummary), ApiErrors))]
async fn summary(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Json<FleetSummary>> {
    let cluster = nonempty(&q.cluster);
    check(&ctx.clusters, cluster, None)?;
    let filter = Filter {
        cluster,
        kind: None,
        namespace: nonempty(&q.namespace),
    };
    let clusters = ctx
        .fleet
        .cluster_states()
        .into_iter()
        .filter(|c| cluster.is_none_or(|f| f == c.name))
        .collect();
    let mut out = ctx
        .fleet
        .summary(&ctx.clusters, &user, filter, clusters, FAILING_CAP)
        .await;
    let workloads = ctx.fleet.visible_workloads(&ctx.clusters, &user, filter).await;
    count_workloads(&mut out, workloads.iter().map(|o| &**o), FAILING_CAP);
    Ok(Json(out))
}

/// Watched objects of every cluster, filtered, sorted and paged, in KubeSphere's list shape.
/// Answered from the watch caches; only objects the caller may list are included.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/status/objects", tag = "status",
    params(ObjectsQuery),
    responses((status = 200, body = ObjectStatusList), ApiErrors))]
async fn objects(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<ObjectsQuery>,
) -> Result<Json<ObjectStatusList>> {
    let cluster = nonempty(&q.cluster);
    let kind = check(&ctx.clusters, cluster, nonempty(&q.kind))?;
    let filter = Filter {
        cluster,
        kind: kind.map(|k| k.kind),
        namespace: nonempty(&q.namespace),
    };
    let list = ListQuery {
        page: q.page,
        limit: q.limit,
        sort_by: q.sort_by.clone(),
        ascending: q.ascending,
        name: q.name.clone(),
        state: q.state,
        ..Default::default()
    };
    let (items, total_items) = match ctx.fleet.visible_page(&ctx.clusters, &user, filter, &list).await {
        Some(page) => page,
        None => page_by(ctx.fleet.visible(&ctx.clusters, &user, filter).await, &list),
    };
    Ok(Json(ObjectStatusList { items, total_items }))
}

struct Subscription {
    rx: tokio::sync::broadcast::Receiver<Arc<ObjectChange>>,
    fleet: Fleet,
    clusters: Clusters,
    user: User,
    cluster: Option<String>,
    kind: Option<&'static FluxKind>,
    namespace: Option<String>,
    workloads: bool,
}

impl Subscription {
    /// The next event for this subscriber and whether it is the last; `None` when the
    /// stream should end.
    async fn next(&mut self) -> Option<(Event, bool)> {
        loop {
            let change = match self.rx.recv().await {
                Ok(c) => c,
                Err(RecvError::Lagged(missed)) => {
                    // Too slow: end the stream rather than hold the watchers back; the client
                    // reads the lists again and reconnects.
                    let e = Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}"));
                    return Some((e, true));
                }
                Err(RecvError::Closed) => return None,
            };
            let o = &change.object;
            let filter = Filter {
                cluster: self.cluster.as_deref(),
                kind: self.kind.map(|k| k.kind),
                namespace: self.namespace.as_deref(),
            };
            if !filter.matches(o) {
                continue;
            }
            if Fleet::is_workload_kind(&o.kind) {
                if self.workloads
                    && self
                        .fleet
                        .may_list_workloads(&self.clusters, &self.user, &o.cluster, &o.kind, &o.namespace)
                        .await
                {
                    match Event::default().json_data(&*change) {
                        Ok(e) => return Some((e, false)),
                        Err(e) => tracing::warn!(error = %e, "cannot encode a change"),
                    }
                }
                continue;
            }
            let Some(kind) =
                kind_named(&o.kind).or_else(|| (o.kind == APPLICATION.kind).then_some(&APPLICATION))
            else {
                continue;
            };
            if !self
                .fleet
                .may_list(&self.clusters, &self.user, &o.cluster, kind, &o.namespace)
                .await
            {
                continue;
            }
            match Event::default().json_data(&*change) {
                Ok(e) => return Some((e, false)),
                Err(e) => tracing::warn!(error = %e, "cannot encode a change"),
            }
        }
    }
}

/// A Server-Sent Events stream of changes to watched objects (Flux objects in every cluster,
/// and the host's Applications, whose status their controller writes): each event's data is a JSON
/// object `{type: applied|deleted, cluster, kind, namespace, name, resourceVersion,
/// creationTimestamp, summary}`, one per resourceVersion (workloads also carry `replicas`, with
/// `workloads=true`). Only objects the caller may list are sent. A client that falls too far behind gets a `lagged` event and the stream ends; it
/// should read the lists again and reconnect. Comments keep the connection alive.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/status/events", tag = "status",
    params(EventsQuery),
    responses((status = 200, content_type = "text/event-stream", body = ObjectChange), ApiErrors))]
async fn events(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let cluster = nonempty(&q.cluster).map(str::to_string);
    let kind = check(&ctx.clusters, cluster.as_deref(), nonempty(&q.kind))?;
    let sub = Subscription {
        rx: ctx.fleet.subscribe(),
        fleet: ctx.fleet.clone(),
        clusters: ctx.clusters.clone(),
        user,
        cluster,
        kind,
        namespace: nonempty(&q.namespace).map(str::to_string),
        workloads: q.workloads.unwrap_or(false),
    };
    let first = futures::stream::once(async { Ok(Event::default().comment("subscribed")) });
    let rest = futures::stream::unfold(Some(sub), |sub| async move {
        let mut sub = sub?;
        let (event, last) = sub.next().await?;
        Some((Ok(event), (!last).then_some(sub)))
    });
    Ok(Sse::new(futures::StreamExt::chain(first, rest))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Routes of the status API.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(objects))
        .routes(routes!(events))
}
