//! A Receiver's webhook: the path notification-controller serves it at
//! (`status.webhookPath`) and, when ksflux is told where the receiver server is reachable
//! (`--receiver-url`), the whole URL to paste into a git host or registry.

use axum::{Extension, Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, ApiPath, ApiQuery};
use crate::{
    auth::User,
    error::{ApiErrors, Result},
    notifications::RECEIVER,
    resources::ClusterQuery,
};

/// Where a Receiver listens.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverWebhook {
    /// The path notification-controller serves the Receiver at (`status.webhookPath`); null
    /// until the controller has handled the Receiver.
    pub path: Option<String>,
    /// The whole URL (`--receiver-url` + path); null while the path is unknown or ksflux
    /// does not know where the receiver server is reachable.
    pub url: Option<String>,
}

/// The URL of the receiver at `path`, below `base` (one slash between them).
pub fn webhook_url(base: Option<&str>, path: Option<&str>) -> Option<String> {
    let (base, path) = (base?.trim_end_matches('/'), path?);
    (!base.is_empty() && path.starts_with('/')).then(|| format!("{base}{path}"))
}

/// A Receiver's webhook path and URL, read as the caller (who must be allowed to get it).
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/receivers/{name}/webhook", tag = "flux",
    params(("namespace" = String, Path), ("name" = String, Path), ClusterQuery),
    responses((status = 200, body = ReceiverWebhook), ApiErrors))]
async fn receiver_webhook(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
) -> Result<Json<ReceiverWebhook>> {
    let scope = ctx.scope(RECEIVER.plural, q.cluster.as_deref(), &user)?;
    let receiver = ctx.reads().get(&scope, &user, &namespace, &name).await?;
    let path = receiver
        .status
        .get("webhookPath")
        .and_then(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let url = webhook_url(ctx.receiver_url.as_deref(), path.as_deref());
    Ok(Json(ReceiverWebhook { path, url }))
}

/// Routes of the Receiver webhook (authenticated).
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new().routes(routes!(receiver_webhook))
}

#[cfg(test)]
mod tests {
    use super::webhook_url;

    #[test]
    fn the_url_joins_base_and_path_with_one_slash() {
        let path = Some("/hook/abc");
        assert_eq!(
            webhook_url(Some("https://flux.example.com/"), path).as_deref(),
            Some("https://flux.example.com/hook/abc")
        );
        assert_eq!(
            webhook_url(Some("http://127.0.0.1:9292"), path).as_deref(),
            Some("http://127.0.0.1:9292/hook/abc")
        );
        assert_eq!(webhook_url(None, path), None);
        assert_eq!(webhook_url(Some("http://x"), None), None);
        assert_eq!(webhook_url(Some(""), path), None);
    }
}
