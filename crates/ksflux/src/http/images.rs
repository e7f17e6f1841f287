//! Image automation routes: a policy's preview over the tags an ImageRepository scanned, an
//! application's automated images as one status chain (scan → pick → each cluster's tag),
//! and promotion proposals for the clusters that take new tags by hand.

use axum::{Extension, Json, extract::State};
use kube::{Api, api::DynamicObject};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiContext, ApiJson, ApiPath, ApiQuery};
use crate::{
    applications::{self, Application},
    auth::User,
    clusters::HOST,
    error::{ApiErrors, Cause, Error, Result, WriteErrors},
    images::{
        self,
        automation::{self, Mode},
        policy::{Policy, Verdict},
    },
    kinds,
    resources::ClusterQuery,
};

/// A policy to try on a repository's tags: an ImagePolicy's `policy` and `filterTags`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyPreviewRequest {
    /// One of `semver: {range}`, `alphabetical: {order}`, `numerical: {order}`.
    #[schema(value_type = Object)]
    pub policy: Value,
    /// `pattern` (a regular expression) and `extract` (e.g. `$ts`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filter_tags: Option<Value>,
}

/// Which scanned tags a policy would pick from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPreview {
    /// The repository's image.
    pub image: String,
    /// How many tags the last scan found.
    pub tag_count: i64,
    /// When it scanned (RFC 3339), if it has.
    pub scan_time: Option<String>,
    /// Whether `tags` holds every scanned tag. image-reflector-controller reports the 10
    /// latest by name; with more, the preview covers those only.
    pub complete: bool,
    /// The tags and the pick.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Previews an image policy over the tags an ImageRepository scanned (its
/// `status.lastScanResult.latestTags`): which match, which one would be picked, as
/// image-reflector-controller decides. Writes nothing; needs the right to read the repository.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/imagerepositories/{name}/preview", tag = "images",
    params(("namespace" = String, Path), ("name" = String, Path), ClusterQuery),
    request_body = PolicyPreviewRequest,
    responses((status = 200, body = PolicyPreview), ApiErrors))]
async fn preview(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ClusterQuery>,
    body: Result<ApiJson<PolicyPreviewRequest>>,
) -> Result<Json<PolicyPreview>> {
    let scope = ctx.scope(images::IMAGE_REPOSITORY.plural, q.cluster.as_deref(), &user)?;
    // Read as the caller: the repository's status is what the preview reveals.
    let repo =
        Api::<DynamicObject>::namespaced_with(scope.client.clone(), &namespace, &scope.kind.api_resource())
            .get(&name)
            .await?;
    let ApiJson(req) = body?;
    let spec = json!({"policy": req.policy, "filterTags": req.filter_tags});
    let policy = Policy::from_spec(&spec).map_err(|c| Error::invalid(vec![c]))?;
    let scan = repo.data.pointer("/status/lastScanResult");
    let tags: Vec<&str> = scan
        .and_then(|s| s.get("latestTags"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let tag_count = scan
        .and_then(|s| s.get("tagCount"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Ok(Json(PolicyPreview {
        image: repo
            .data
            .pointer("/spec/image")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        tag_count,
        scan_time: scan
            .and_then(|s| s.get("scanTime"))
            .and_then(Value::as_str)
            .map(str::to_string),
        complete: tag_count <= tags.len() as i64,
        verdict: policy.evaluate(tags),
    }))
}

/// One cluster of an automated image.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageTarget {
    /// The cluster.
    pub cluster: String,
    /// Whether it follows the policy or waits for promotions.
    pub mode: Mode,
    /// The tag recorded for it (what its Flux object deploys); none: the values' or
    /// manifests' own.
    pub tag: Option<String>,
    /// For a manual cluster behind the policy: the tag a promotion would bring.
    pub pending: Option<String>,
    /// Its Flux object's readiness (`True`, `False`, `Unknown`), from the application status.
    pub ready: String,
    /// The source revision it last applied.
    pub applied_revision: Option<String>,
}

/// An automated image, end to end.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageChain {
    /// The ImagePolicy.
    pub policy: String,
    /// Helm: where the tag goes in the values.
    pub values_path: Option<String>,
    /// Kustomize: the image name whose tag is set.
    pub image: Option<String>,
    /// The ImagePolicy's repository.
    pub repository: Option<String>,
    /// The repository's image.
    pub repository_image: Option<String>,
    /// Tags its last scan found.
    pub tag_count: Option<i64>,
    /// When it last scanned.
    pub scan_time: Option<String>,
    /// The policy's pick.
    pub latest: Option<String>,
    /// Whether the policy is Ready; else why not (missing, failing, not readable).
    pub policy_ready: bool,
    /// The policy's (or repository's) message.
    pub message: String,
    /// Each targeted cluster.
    pub targets: Vec<ImageTarget>,
}

fn ready(obj: &Value) -> (bool, String) {
    let cond = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    match cond {
        Some(c) => (
            c["status"] == "True",
            c["message"].as_str().unwrap_or_default().to_string(),
        ),
        None => (false, "not reconciled yet".into()),
    }
}

/// An application's automated images: each policy's repository scan, its pick, and every
/// targeted cluster's tag, mode and readiness, with the promotion a manual cluster awaits.
/// Read as the caller.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/images", tag = "images",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Vec<ImageChain>), ApiErrors))]
async fn application_images(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
) -> Result<Json<Vec<ImageChain>>> {
    let client = ctx.clusters.client_for(HOST, &user)?;
    let app = Api::<Application>::namespaced(client.clone(), &namespace)
        .get(&name)
        .await?;
    let resolved = applications::api::resolved(&ctx.clusters, &app)?;
    let policies =
        Api::<DynamicObject>::namespaced_with(client.clone(), &namespace, &automation::policy_resource());
    let repos =
        Api::<DynamicObject>::namespaced_with(client, &namespace, &images::IMAGE_REPOSITORY.api_resource());
    let statuses = app
        .status
        .as_ref()
        .map(|s| s.targets.as_slice())
        .unwrap_or_default();
    let mut out = Vec::new();
    for a in &app.spec.images {
        let policy = match policies.get_opt(&a.policy).await {
            Ok(p) => p.and_then(|p| serde_json::to_value(p).ok()),
            Err(e) => {
                tracing::debug!(error = %e, "reading an image policy failed");
                None
            }
        };
        let latest = policy.as_ref().and_then(automation::latest_tag);
        let (policy_ready, mut message) = match &policy {
            Some(p) => ready(p),
            None => (
                false,
                format!("ImagePolicy {:?} not found or not readable", a.policy),
            ),
        };
        let repository = policy
            .as_ref()
            .and_then(|p| p.pointer("/spec/imageRepositoryRef/name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let repo = match &repository {
            Some(r) => repos
                .get_opt(r)
                .await
                .ok()
                .flatten()
                .and_then(|r| serde_json::to_value(r).ok()),
            None => None,
        };
        if let Some(r) = &repo
            && !ready(r).0
        {
            message = ready(r).1;
        }
        let scan = repo.as_ref().and_then(|r| r.pointer("/status/lastScanResult"));
        let targets = resolved
            .app
            .spec
            .targets
            .iter()
            .map(|t| {
                let mode = automation::mode(a, &t.cluster);
                let tag = a.tags.get(&t.cluster).cloned();
                let status = statuses.iter().find(|s| s.cluster == t.cluster);
                ImageTarget {
                    cluster: t.cluster.clone(),
                    mode,
                    pending: (mode == Mode::Manual && latest.is_some() && tag != latest)
                        .then(|| latest.clone())
                        .flatten(),
                    tag,
                    ready: status
                        .map(|s| s.ready.clone())
                        .unwrap_or_else(|| "Unknown".into()),
                    applied_revision: status.and_then(|s| s.last_applied_revision.clone()),
                }
            })
            .collect();
        out.push(ImageChain {
            policy: a.policy.clone(),
            values_path: a.values_path.clone(),
            image: a.image.clone(),
            repository,
            repository_image: repo
                .as_ref()
                .and_then(|r| r.pointer("/spec/image"))
                .and_then(Value::as_str)
                .map(str::to_string),
            tag_count: scan.and_then(|s| s.get("tagCount")).and_then(Value::as_i64),
            scan_time: scan
                .and_then(|s| s.get("scanTime"))
                .and_then(Value::as_str)
                .map(str::to_string),
            latest,
            policy_ready,
            message,
            targets,
        });
    }
    Ok(Json(out))
}

/// Which promotion to propose.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PromotionQuery {
    /// The automated image's ImagePolicy.
    pub policy: String,
    /// The cluster to promote.
    pub cluster: String,
    /// The tag to promote to (default: the policy's pick).
    #[serde(default)]
    pub tag: Option<String>,
}

/// What promoting a cluster would change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotionProposal {
    /// The cluster's tag now.
    pub from: Option<String>,
    /// The tag it would run.
    pub to: String,
    /// The application's `resourceVersion` the proposal is based on (send it with the PUT).
    pub resource_version: String,
    /// The proposed application spec.
    #[schema(value_type = Object)]
    pub spec: Value,
    /// Per target, what applying it would change (only the promoted cluster changes).
    pub diff: Vec<applications::api::TargetDiff>,
}

/// Proposes promoting one cluster of an automated image to the policy's pick (or a given
/// tag): the spec and the diff. Nothing is written; applying it is an ordinary update of the
/// application (`PUT` with the proposed spec and `resourceVersion`), so it is checked and
/// audited like any edit. Only for users who may update the application.
#[utoipa::path(get, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/promotion", tag = "images",
    params(("namespace" = String, Path), ("name" = String, Path), PromotionQuery),
    responses((status = 200, body = PromotionProposal), ApiErrors, WriteErrors))]
async fn promotion(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PromotionQuery>,
) -> Result<Json<PromotionProposal>> {
    let scope = ctx.scope(kinds::APPLICATION.plural, None, &user)?;
    scope.authorize(&user, "update", &namespace, Some(&name)).await?;
    let current = scope.get(&namespace, &name).await?;
    let bad = |field: &str, m: String| Error::invalid(vec![Cause::invalid(field, m)]);
    let to = match q.tag.clone() {
        Some(t) => t,
        None => {
            let policies = Api::<DynamicObject>::namespaced_with(
                scope.client.clone(),
                &namespace,
                &automation::policy_resource(),
            );
            let p = policies.get_opt(&q.policy).await?;
            p.and_then(|p| serde_json::to_value(p).ok())
                .as_ref()
                .and_then(automation::latest_tag)
                .ok_or_else(|| {
                    bad(
                        "policy",
                        format!("ImagePolicy {:?} has picked no tag yet", q.policy),
                    )
                })?
        }
    };
    let app: Application = serde_json::from_value(
        json!({"apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
                                     "metadata": current.metadata, "spec": current.spec}),
    )
    .map_err(|e| Error::Internal(e.into()))?;
    let resolved = applications::api::resolved(&ctx.clusters, &app)?;
    if !resolved.app.spec.targets.iter().any(|t| t.cluster == q.cluster) {
        return Err(bad(
            "cluster",
            format!("the application does not target cluster {:?}", q.cluster),
        ));
    }
    let from = app
        .spec
        .images
        .iter()
        .find(|i| i.policy == q.policy)
        .and_then(|i| i.tags.get(&q.cluster).cloned());
    let spec =
        automation::promote(&current.spec, &q.policy, &q.cluster, &to).map_err(|m| bad("policy", m))?;
    let resource_version = current.metadata["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let req: crate::resources::ObjectRequest = serde_json::from_value(json!({
        "metadata": {"name": name, "resourceVersion": resource_version},
        "spec": spec,
    }))
    .map_err(|e| Error::Internal(e.into()))?;
    let diff = applications::api::diff(&ctx.clusters, &scope.client, &namespace, &name, &req).await?;
    Ok(Json(PromotionProposal {
        from,
        to,
        resource_version,
        spec,
        diff,
    }))
}

/// The image automation routes.
pub(super) fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .routes(routes!(application_images))
        .routes(routes!(promotion))
}
