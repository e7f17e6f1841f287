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
    image_updates::{self as automation, Mode},
    images::{
        self,
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
async fn preview_policy(
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
    /// Git: the ImageUpdateAutomation that commits each pick to the source.
    pub automation: Option<String>,
    /// Git: the last commit it pushed.
    pub last_push_commit: Option<String>,
    /// Git: when it pushed it.
    pub last_push_time: Option<String>,
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
    let automations = Api::<DynamicObject>::namespaced_with(
        ctx.clusters.client_for(HOST, &user)?,
        &namespace,
        &images::IMAGE_UPDATE_AUTOMATION.api_resource(),
    );
    // Automated in the application, then through git (policies labelled with the application).
    let mut wanted: Vec<applications::ImageAutomation> = app.spec.images.clone();
    let selector = format!("{}={name}", applications::APPLICATION_LABEL);
    let labelled = policies
        .list(&kube::api::ListParams::default().labels(&selector))
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    for p in labelled {
        let policy = kube::ResourceExt::name_any(&p);
        if !wanted.iter().any(|a| a.policy == policy) {
            let a = applications::ImageAutomation {
                policy,
                ..Default::default()
            };
            wanted.push(a);
        }
    }
    let text = |v: Option<&Value>, p: &str| {
        v.and_then(|v| v.pointer(p))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for a in &wanted {
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
        let repository = text(policy.as_ref(), "/spec/imageRepositoryRef/name");
        let repo = match &repository {
            Some(r) => repos
                .get_opt(r)
                .await
                .ok()
                .flatten()
                .and_then(|r| serde_json::to_value(r).ok()),
            None => None,
        };
        let iua = automations
            .get_opt(&a.policy)
            .await
            .ok()
            .flatten()
            .and_then(|o| serde_json::to_value(o).ok());
        // The first link of the chain that is not Ready says why.
        for o in [&repo, &iua].into_iter().flatten() {
            if policy_ready && !ready(o).0 {
                message = ready(o).1;
            }
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
            repository_image: text(repo.as_ref(), "/spec/image"),
            tag_count: scan.and_then(|s| s.get("tagCount")).and_then(Value::as_i64),
            scan_time: text(scan, "/scanTime"),
            latest,
            policy_ready,
            message,
            targets,
            automation: iua.as_ref().map(|_| a.policy.clone()),
            last_push_commit: text(iua.as_ref(), "/status/lastPushCommit"),
            last_push_time: text(iua.as_ref(), "/status/lastPushTime"),
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
        .routes(routes!(preview_policy))
        .routes(routes!(application_images, setup))
        .routes(routes!(promotion))
}

/// A request to automate one image of an application.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageSetup {
    /// The image, without tag, as the manifests or values name it.
    pub image: String,
    /// The policy: `semver: {range}`, `alphabetical: {order}` or `numerical: {order}`.
    #[schema(value_type = Object)]
    pub policy: Value,
    /// `pattern` and `extract`, as an ImagePolicy's `filterTags`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filter_tags: Option<Value>,
    /// The registry's credentials (stored as a docker config Secret, never returned).
    #[serde(default)]
    pub credentials: Option<crate::credentials::Credentials>,
    /// The registry speaks plain HTTP.
    #[serde(default)]
    pub insecure: bool,
    /// How often the registry is scanned (default 1m).
    #[serde(default)]
    pub interval: Option<String>,
    /// Helm: where the tag goes in the values (found from the values when left out).
    #[serde(default)]
    pub values_path: Option<String>,
    /// Clusters that take new tags only when promoted (Helm, and Kustomize not from git).
    #[serde(default)]
    pub manual: Vec<String>,
    /// Write it; without, only the proposal and its diff are returned.
    #[serde(default)]
    pub confirm: bool,
}

/// The marked lines of one file.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChange {
    /// The file, from the repository's root.
    pub path: String,
    /// Its changed lines.
    pub changes: Vec<images::markers::LineChange>,
}

/// The commit that marks an application's manifests.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkerCommit {
    /// The branch it goes to.
    pub branch: String,
    /// The commit it follows (the branch's head when read).
    pub parent: String,
    /// The commit, once pushed.
    pub sha: Option<String>,
    /// Its message.
    pub message: String,
    /// What it changes.
    pub files: Vec<FileChange>,
}

/// What setting up automation does (or did).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageSetupResult {
    /// `git`: setter markers in the source, and image-automation-controller commits each new
    /// tag; `application`: ksflux sets each cluster's tag in the application.
    pub via: String,
    /// The ImageRepository.
    pub repository: String,
    /// The ImagePolicy.
    pub policy: String,
    /// The ImageUpdateAutomation (`git` only).
    pub automation: Option<String>,
    /// The marker commit (`git` only).
    pub commit: Option<MarkerCommit>,
    /// Per target, what the application edit changes (`application` only).
    pub diff: Vec<applications::api::TargetDiff>,
    /// Whether it was written (`confirm`).
    pub applied: bool,
}

fn request(value: Value) -> Result<crate::resources::ObjectRequest> {
    serde_json::from_value(value).map_err(|e| Error::Internal(e.into()))
}

/// Sets up image automation for one image of an application, in one step: an
/// ImageRepository (with the registry's credentials) and an ImagePolicy, then, for a
/// Kustomize application from a GitRepository, a commit of ksflux's own adding setter markers
/// to the manifests and an ImageUpdateAutomation that commits each new pick; for the others,
/// an `images` entry in the application (ksflux sets each cluster's tag). Without `confirm`
/// nothing is written and the marker commit or application diff is returned to confirm.
/// Every right is checked first, then the request, the source (a branch, a git host ksflux
/// may reach, credentials that may push) and every object (dry runs); only then is anything
/// written.
#[utoipa::path(post, path = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/applications/{name}/images", tag = "images",
    params(("namespace" = String, Path), ("name" = String, Path)),
    request_body = ImageSetup,
    responses((status = 200, body = ImageSetupResult), ApiErrors, WriteErrors))]
async fn setup(
    State(ctx): State<ApiContext>,
    Extension(user): Extension<User>,
    ApiPath((namespace, name)): ApiPath<(String, String)>,
    body: Result<ApiJson<ImageSetup>>,
) -> Result<Json<ImageSetupResult>> {
    use crate::{images::markers, images::setup as s, sources};
    let app_scope = ctx.scope(kinds::APPLICATION.plural, None, &user)?;
    app_scope
        .authorize(&user, "update", &namespace, Some(&name))
        .await?;
    let ir = ctx.scope(images::IMAGE_REPOSITORY.plural, None, &user)?;
    ir.authorize(&user, "create", &namespace, None).await?;
    let ip = ctx.scope(images::IMAGE_POLICY.plural, None, &user)?;
    ip.authorize(&user, "create", &namespace, None).await?;
    let app = Api::<Application>::namespaced(app_scope.client.clone(), &namespace)
        .get(&name)
        .await?;
    let git = app.spec.kustomize.is_some() && app.spec.source.kind == applications::SourceKind::GitRepository;
    let iua = ctx.scope(images::IMAGE_UPDATE_AUTOMATION.plural, None, &user)?;
    let source = ctx.scope(sources::GIT_REPOSITORY.plural, None, &user)?;
    if git {
        iua.authorize(&user, "create", &namespace, None).await?;
        source
            .authorize(&user, "update", &namespace, Some(&app.spec.source.name))
            .await?;
    }
    let ApiJson(req) = body?;

    let mut causes = Vec::new();
    let image = req.image.trim().to_string();
    if image.is_empty() {
        causes.push(Cause::required("image"));
    } else if image.contains("://") || markers::split(&image).1.is_some() || image.contains('@') {
        causes.push(Cause::invalid(
            "image",
            "give the image without scheme, tag or digest",
        ));
    }
    let policy_spec = json!({"policy": req.policy, "filterTags": req.filter_tags});
    if let Err(mut c) = Policy::from_spec(&policy_spec) {
        c.field = c.field.trim_start_matches("spec.").to_string();
        causes.push(c);
    }
    if !causes.is_empty() {
        return Err(Error::invalid(causes));
    }
    let object = s::object_name(&name, &image);
    let mut repo_req = json!({"metadata": {"name": object},
        "spec": {"image": image, "interval": req.interval.clone().unwrap_or_else(|| "1m".into())}});
    if req.insecure {
        repo_req["spec"]["insecure"] = json!(true);
    }
    let mut repo_req = request(repo_req)?;
    repo_req.credentials = req.credentials.clone();
    let mut policy_req = json!({"metadata": {"name": object}, "spec": {"imageRepositoryRef": {"name": object}, "policy": req.policy}});
    if let Some(f) = &req.filter_tags {
        policy_req["spec"]["filterTags"] = f.clone();
    }
    let policy_req = request(policy_req)?;
    ir.check_create(&namespace, &repo_req).await?;
    ip.check_create(&namespace, &policy_req).await?;

    let mut result = ImageSetupResult {
        via: if git { "git" } else { "application" }.into(),
        repository: object.clone(),
        policy: object.clone(),
        automation: None,
        commit: None,
        diff: Vec::new(),
        applied: false,
    };
    if git {
        let invalid = |c: Cause| Error::invalid(vec![c]);
        let repo = source.get(&namespace, &app.spec.source.name).await?;
        let repo = json!({"spec": repo.spec});
        let branch = s::branch_of(&repo).map_err(|m| invalid(Cause::invalid("source", m)))?;
        let remote = s::remote(&ctx.clusters.host().client(), &namespace, &repo, &ctx.git_hosts)
            .await
            .map_err(invalid)?;
        remote.refs("git-receive-pack").await.map_err(|e| {
            invalid(Cause::invalid(
                "source",
                format!("the source's credentials may not push: {e:#}"),
            ))
        })?;
        let snapshot = remote
            .fetch(&branch)
            .await
            .map_err(|e| invalid(Cause::invalid("source", format!("{e:#}"))))?;
        let path = app
            .spec
            .kustomize
            .as_ref()
            .and_then(|k| k.path.clone())
            .unwrap_or_default();
        let dir = path.trim_start_matches("./").trim_matches('/').to_string();
        let marker = format!("{namespace}:{object}");
        let mut changed = Vec::new();
        let mut files = Vec::new();
        let mut already = false;
        let mut current: Option<String> = None;
        let listed = snapshot
            .files(&dir)
            .map_err(|e| invalid(Cause::invalid("source", format!("{e:#}"))))?;
        for (file, blob) in listed
            .iter()
            .filter(|(f, _)| f.ends_with(".yaml") || f.ends_with(".yml"))
        {
            let data = snapshot.read(blob).map_err(Error::Internal)?;
            let Ok(text) = String::from_utf8(data) else {
                continue;
            };
            let (new, changes) = markers::mark(&text, &image, &marker);
            let found = markers::images_in(file, &text);
            already |= found
                .iter()
                .any(|f| f.name == image && f.marker.as_deref() == Some(marker.as_str()));
            current = current.or_else(|| found.into_iter().find(|f| f.name == image).and_then(|f| f.tag));
            if !changes.is_empty() {
                changed.push((file.clone(), new.into_bytes()));
                files.push(FileChange {
                    path: file.clone(),
                    changes,
                });
            }
        }
        if changed.is_empty() && !already {
            return Err(invalid(Cause::invalid(
                "image",
                format!(
                    "no manifest under {:?} of the source deploys {image}",
                    if dir.is_empty() { "/" } else { &dir }
                ),
            )));
        }
        let update_path = if dir.is_empty() {
            "./".to_string()
        } else {
            format!("./{dir}")
        };
        let automation_req = request(json!({"metadata": {"name": object}, "spec": {
            "interval": "1m",
            "sourceRef": {"kind": "GitRepository", "name": app.spec.source.name},
            "git": {"checkout": {"ref": {"branch": branch}},
                    "commit": {"author": {"name": "ksflux", "email": "ksflux@kubesphere.io"},
                               "messageTemplate": format!("Update {image} for {namespace}/{name}\n\n{{{{ range .Changed.Changes }}}}{{{{ .OldValue }}}} -> {{{{ .NewValue }}}}\n{{{{ end }}}}")},
                    "push": {"branch": branch}},
            "update": {"path": update_path, "strategy": "Setters"},
            "policySelector": {"matchLabels": {applications::APPLICATION_LABEL: name}}}}))?;
        iua.check_create(&namespace, &automation_req).await?;
        // Manual clusters stay on the tag the manifests name now until promoted.
        let pinned = if req.manual.is_empty() {
            None
        } else {
            let Some(tag) = current.clone() else {
                return Err(invalid(Cause::invalid(
                    "manual",
                    format!("the manifests name no tag of {image} for the manual clusters to stay on"),
                )));
            };
            let tags: serde_json::Map<String, Value> =
                req.manual.iter().map(|c| (c.clone(), json!(tag))).collect();
            let entry =
                json!({"policy": object, "image": image, "manual": req.manual, "viaGit": true, "tags": tags});
            let (current_app, spec) = with_entry(&app_scope, &namespace, &name, entry.clone()).await?;
            let edit = app_request(&name, &current_app, spec)?;
            result.diff =
                applications::api::diff(&ctx.clusters, &app_scope.client, &namespace, &name, &edit).await?;
            Some(entry)
        };
        let message = format!(
            "Mark {image} for image policy {namespace}/{object}\n\nSet up in ksflux by {}.",
            user.name
        );
        let mut commit = MarkerCommit {
            branch: branch.clone(),
            parent: snapshot.head.clone(),
            sha: None,
            message: message.clone(),
            files,
        };
        if req.confirm {
            if !changed.is_empty() {
                let now = jiff::Timestamp::now().as_second();
                let (sha, objects) = snapshot
                    .commit(&changed, ("ksflux", "ksflux@kubesphere.io"), &message, now)
                    .map_err(Error::Internal)?;
                remote
                    .push(&branch, &snapshot.head, &sha, &objects)
                    .await
                    .map_err(|e| Error::Conflict {
                        reason: "Conflict",
                        message: format!("{e:#}; read the proposal again"),
                    })?;
                commit.sha = Some(sha);
            }
            let mut policy_req = policy_req;
            policy_req.metadata.labels =
                Some([(applications::APPLICATION_LABEL.to_string(), name.clone())].into());
            create(&ctx, &user, &ir, &namespace, repo_req).await?;
            create(&ctx, &user, &ip, &namespace, policy_req).await?;
            create(&ctx, &user, &iua, &namespace, automation_req).await?;
            if let Some(entry) = pinned {
                add_entry(&ctx, &user, &app_scope, (&namespace, &name), entry).await?;
            }
            result.applied = true;
        }
        result.automation = Some(object);
        result.commit = Some(commit);
        return Ok(Json(result));
    }

    // Helm (and Kustomize not from git): ksflux sets each cluster's tag in the application.
    if app.spec.images.iter().any(|i| i.policy == object) {
        return Err(Error::invalid(vec![Cause::invalid(
            "image",
            format!("{image} is automated already"),
        )]));
    }
    let mut entry = json!({"policy": object});
    if let Some(h) = &app.spec.helm {
        let path = req
            .values_path
            .clone()
            .or_else(|| h.values.as_ref().and_then(|v| s::values_path(v, &image)));
        let Some(path) = path else {
            return Err(Error::invalid(vec![Cause::required("valuesPath")]));
        };
        entry["valuesPath"] = json!(path);
    } else {
        entry["image"] = json!(image);
    }
    if !req.manual.is_empty() {
        entry["manual"] = json!(req.manual);
    }
    let (current, spec) = with_entry(&app_scope, &namespace, &name, entry.clone()).await?;
    let edit = app_request(&name, &current, spec)?;
    result.diff = applications::api::diff(&ctx.clusters, &app_scope.client, &namespace, &name, &edit).await?;
    if req.confirm {
        create(&ctx, &user, &ir, &namespace, repo_req).await?;
        create(&ctx, &user, &ip, &namespace, policy_req).await?;
        add_entry(&ctx, &user, &app_scope, (&namespace, &name), entry).await?;
        result.applied = true;
    }
    Ok(Json(result))
}

/// The application as stored and its spec with `entry` added to `images`.
async fn with_entry(
    scope: &crate::resources::Scope<'static>,
    namespace: &str,
    name: &str,
    entry: Value,
) -> Result<(crate::resources::ObjectView, Value)> {
    let current = scope.get(namespace, name).await?;
    let mut spec = current.spec.clone();
    match spec.get_mut("images").and_then(Value::as_array_mut) {
        Some(list) => list.push(entry),
        None => spec["images"] = json!([entry]),
    }
    Ok((current, spec))
}

/// An update of the application to `spec`, based on the version read.
fn app_request(
    name: &str,
    current: &crate::resources::ObjectView,
    spec: Value,
) -> Result<crate::resources::ObjectRequest> {
    request(
        json!({"metadata": {"name": name, "resourceVersion": current.metadata["resourceVersion"]}, "spec": spec}),
    )
}

/// Adds `entry` to the application's `images` and saves it (audited). The caller sent no
/// version to hold to, so a write that meets a newer one (the controller's status) adds the
/// entry to that one instead.
async fn add_entry(
    ctx: &ApiContext,
    user: &User,
    scope: &crate::resources::Scope<'static>,
    (namespace, name): (&str, &str),
    entry: Value,
) -> Result<()> {
    let mut tries = 0;
    loop {
        let (current, spec) = with_entry(scope, namespace, name, entry.clone()).await?;
        match scope
            .update(namespace, name, app_request(name, &current, spec)?, user)
            .await
        {
            Ok(updated) => {
                let specs = (&current.spec, &updated.spec);
                super::history::record(ctx, user, scope, (namespace, name), "update", Some(specs)).await;
                return Ok(());
            }
            Err(Error::Conflict { .. }) if tries < 5 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Creates an object as the API's create does (audited).
async fn create(
    ctx: &ApiContext,
    user: &User,
    scope: &crate::resources::Scope<'static>,
    namespace: &str,
    req: crate::resources::ObjectRequest,
) -> Result<()> {
    let created = scope.create(namespace, req, user).await?;
    ctx.reads().written(scope, &created).await;
    let name = created.metadata["name"].as_str().unwrap_or_default().to_string();
    super::history::record(ctx, user, scope, (namespace, &name), "create", None).await;
    Ok(())
}
