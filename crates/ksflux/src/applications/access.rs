//! Where a project may deploy, and the scoped credentials it deploys with.
//!
//! **Allowance.** A project namespace `P` on the host may target, in any cluster:
//! - the namespace named `P` (KubeSphere's multi-cluster projects share their name);
//! - namespaces of the same KubeSphere workspace: when `P` has the label
//!   `kubesphere.io/workspace=W`, any namespace of that cluster labelled the same;
//! - namespaces a platform admin lists in `P`'s annotation
//!   `fluxcd.kubesphere.io/allowed-target-namespaces` (comma-separated `ns` or `cluster/ns`).
//!
//! **Identity.** A project's applications deploy as the ServiceAccount `P/ksflux-deployer`
//! on every cluster they target (`spec.serviceAccountName` of each rendered object), bound to
//! the `admin` ClusterRole (or the one [`DEPLOYER_ROLE_ANNOTATION`] chooses) in exactly the
//! namespaces `P`'s applications target there (created if missing) — or, for the platform
//! namespace (see [`crate::platform`]), cluster-wide to the platform role. On the host, Flux
//! impersonates it. For each member cluster `C`, ksflux also mints a short-lived token for it
//! (TokenRequest) and writes a kubeconfig with that token to the Secret `ksflux-kubeconfig-C`
//! in `P`, rotating it well before it expires; the ServiceAccount may impersonate itself
//! there, so Flux's impersonation (which a multi-tenancy lockdown makes mandatory) changes
//! nothing. No admin kubeconfig is ever copied into a project namespace.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use k8s_openapi::{
    ByteString,
    api::{
        authentication::v1::{TokenRequest, TokenRequestSpec},
        core::v1::{Namespace, Secret, ServiceAccount},
        rbac::v1::{ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject},
    },
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

use crate::{
    clusters::{Cluster, Clusters},
    credentials::MANAGED_LABEL,
    error::{Cause, Error, Result},
    kinds::s,
    platform::Platform,
};

/// Annotation of a project namespace, set by a platform admin, choosing the ClusterRole its
/// deployer is bound to in its target namespaces: comma-separated `role` (every cluster) or
/// `cluster=role` entries, e.g. `edit,member-1=gateway-admin`. Default `admin`.
pub const DEPLOYER_ROLE_ANNOTATION: &str = "fluxcd.kubesphere.io/deployer-role";

/// What a project's deployer is bound to on one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rights {
    /// The ClusterRole.
    pub role: String,
    /// Bound cluster-wide (a platform-level project, see [`Platform`]) rather than in each
    /// namespace the project targets there.
    pub cluster_wide: bool,
}

/// What `project`'s deployer is bound to in `cluster`: the role chosen by
/// [`DEPLOYER_ROLE_ANNOTATION`] (default `admin`) in its target namespaces, or for the
/// platform namespace the platform role (the annotation may still choose per cluster),
/// cluster-wide.
pub fn rights(project: &Namespace, cluster: &str, platform: &Platform) -> Rights {
    let value = project
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DEPLOYER_ROLE_ANNOTATION))
        .cloned()
        .unwrap_or_default();
    let cluster_wide = platform.holds(&project.name_any());
    let default = if cluster_wide {
        platform.role.as_str()
    } else {
        "admin"
    };
    Rights {
        role: deployer_role_of(&value, cluster, default),
        cluster_wide,
    }
}

fn deployer_role_of(value: &str, cluster: &str, default: &str) -> String {
    let mut default = default.to_string();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.split_once('=') {
            Some((c, role)) if c.trim() == cluster && !role.trim().is_empty() => {
                return role.trim().to_string();
            }
            Some(_) => {}
            None => default = entry.to_string(),
        }
    }
    default
}

/// Label the workspace of a KubeSphere namespace.
pub const WORKSPACE_LABEL: &str = "kubesphere.io/workspace";
/// Annotation on a project namespace listing extra namespaces it may target.
pub const ALLOWED_ANNOTATION: &str = "fluxcd.kubesphere.io/allowed-target-namespaces";
/// Label on member-side RBAC objects naming the project.
pub const PROJECT_LABEL: &str = "fluxcd.kubesphere.io/project";
/// Annotation on the kubeconfig Secret: when its token expires (RFC 3339).
pub const EXPIRES_ANNOTATION: &str = "fluxcd.kubesphere.io/token-expires-at";
/// Annotation on the kubeconfig Secret: the namespaces its identity may deploy to.
pub const SCOPE_ANNOTATION: &str = "fluxcd.kubesphere.io/namespaces";
/// The ServiceAccount a project's applications deploy as, in the project's namespace on
/// every cluster they target.
pub const DEPLOYER: &str = "ksflux-deployer";
/// Lifetime of minted tokens.
pub const TOKEN_SECONDS: i64 = 3600;
/// Tokens are renewed when less than this many seconds remain.
pub const RENEW_BEFORE_SECONDS: i64 = 1200;

const MANAGER: &str = "ksflux";

/// Why a target namespace is not allowed, for people.
pub fn not_allowed_message(project: &str, cluster: &str, namespace: &str, workspace: Option<&str>) -> String {
    let mut allowed = vec![format!("{project:?}")];
    if let Some(w) = workspace {
        allowed.push(format!("namespaces of workspace {w:?}"));
    }
    allowed.push(format!(
        "namespaces listed in the project's {ALLOWED_ANNOTATION} annotation"
    ));
    format!(
        "project {project:?} may not deploy to namespace {namespace:?} in cluster {cluster:?}; allowed are {}",
        allowed.join(", ")
    )
}

/// Decides whether project namespace `project` may target `namespace` in `cluster`.
/// `project_ns` is the project's Namespace on the host, `cluster_client` reaches the target
/// cluster (for workspace labels); the platform namespace may target any. Returns the reason
/// when not allowed.
pub async fn check_allowed(
    project_ns: &Namespace,
    platform: &Platform,
    cluster: &str,
    cluster_client: Option<&Client>,
    namespace: &str,
) -> Result<(), String> {
    let project = project_ns.name_any();
    if namespace == project || platform.holds(&project) {
        return Ok(());
    }
    let listed = project_ns
        .annotations()
        .get(ALLOWED_ANNOTATION)
        .cloned()
        .unwrap_or_default();
    if listed
        .split(',')
        .map(str::trim)
        .any(|e| e == namespace || e == format!("{cluster}/{namespace}"))
    {
        return Ok(());
    }
    let workspace = project_ns.labels().get(WORKSPACE_LABEL).cloned();
    if let (Some(w), Some(client)) = (&workspace, cluster_client) {
        let api: Api<Namespace> = Api::all(client.clone());
        if let Ok(Some(ns)) = api.get_metadata_opt(namespace).await
            && ns.labels().get(WORKSPACE_LABEL) == Some(w)
        {
            return Ok(());
        }
    }
    Err(not_allowed_message(
        &project,
        cluster,
        namespace,
        workspace.as_deref(),
    ))
}

/// The result of ensuring credentials: when they next need renewing (seconds from now).
pub struct Provisioned {
    /// Seconds until the token should be renewed.
    pub renew_in: i64,
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn binding_name(project: &str) -> String {
    format!("ksflux-{project}")
}

fn impersonation_name(project: &str) -> String {
    format!("ksflux-{project}-impersonate-self")
}

/// Server-side applies a typed object under ksflux's field manager.
async fn apply<K>(api: &Api<K>, name: &str, obj: &K, api_version: &str, kind: &str) -> anyhow::Result<()>
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut value = serde_json::to_value(obj)?;
    value["apiVersion"] = json!(api_version);
    value["kind"] = json!(kind);
    api.patch(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(value))
        .await?;
    Ok(())
}

/// ksflux's own right to the Secrets of a project namespace it manages. Installed with the
/// chart, ksflux holds no Secrets permission outside its own namespace: when it first writes a
/// project's member kubeconfig, it binds the chart's project ClusterRole (`role`, Secrets
/// only) to itself (`user`, learnt from a SelfSubjectReview) in that namespace, which the
/// chart lets it do (`bind` on that ClusterRole alone). Without it (a local run with an admin
/// kubeconfig) nothing is bound.
#[derive(Clone, Debug)]
pub struct SelfBinding {
    /// The ClusterRole bound in each project namespace.
    pub role: String,
    /// ksflux's user name on the host.
    pub user: String,
}

impl SelfBinding {
    /// ksflux's binding for `role`, with its user name as the host sees it.
    pub async fn discover(host: &Client, role: &str) -> anyhow::Result<SelfBinding> {
        use k8s_openapi::api::authentication::v1::SelfSubjectReview;
        let me = Api::<SelfSubjectReview>::all(host.clone())
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await
            .map_err(|e| anyhow::anyhow!("cannot learn ksflux's own user name (SelfSubjectReview): {e}"))?;
        let user = me
            .status
            .and_then(|s| s.user_info)
            .and_then(|u| u.username)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the SelfSubjectReview named no user"))?;
        Ok(SelfBinding {
            role: role.to_string(),
            user,
        })
    }

    /// Binds the role to ksflux in `project` (once), and waits until the apiserver lets
    /// ksflux write Secrets there.
    pub async fn ensure(&self, host: &Client, project: &str) -> anyhow::Result<()> {
        use k8s_openapi::api::authorization::v1::{
            ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
        };
        let api: Api<RoleBinding> = Api::namespaced(host.clone(), project);
        let binding = RoleBinding {
            metadata: ObjectMeta {
                name: Some(self.role.clone()),
                namespace: Some(project.to_string()),
                labels: Some([(MANAGED_LABEL.0.to_string(), MANAGED_LABEL.1.to_string())].into()),
                ..Default::default()
            },
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "ClusterRole".into(),
                name: self.role.clone(),
            },
            subjects: Some(vec![Subject {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "User".into(),
                name: self.user.clone(),
                namespace: None,
            }]),
        };
        if let Some(have) = api.get_opt(&self.role).await?
            && have.role_ref == binding.role_ref
            && have.subjects == binding.subjects
        {
            return Ok(());
        }
        apply(
            &api,
            &self.role,
            &binding,
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
        )
        .await?;
        // RBAC decisions follow a new binding within moments; ask until they do.
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some(project.to_string()),
                    verb: Some("create".into()),
                    resource: Some("secrets".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let reviews: Api<SelfSubjectAccessReview> = Api::all(host.clone());
        for _ in 0..50 {
            let r = reviews.create(&PostParams::default(), &review).await?;
            if r.status.is_some_and(|s| s.allowed) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!(
            "bound ClusterRole {} to {} in {project}, but Secrets there are still forbidden",
            self.role,
            self.user
        )
    }
}

/// Creates namespace `name` in the cluster `client` reaches, unless it exists.
pub(crate) async fn ensure_namespace(client: &Client, name: &str) -> kube::Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_metadata_opt(name).await?.is_some() {
        return Ok(());
    }
    let n = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    match api.create(&PostParams::default(), &n).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.is_already_exists() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Ensures, on one cluster, what project `project` deploys with there: the namespaces
/// (created if missing), the ServiceAccount [`DEPLOYER`] in the project's namespace, a
/// RoleBinding to its role in exactly `namespaces` (bindings no longer needed go) — or, for
/// the platform namespace, one ClusterRoleBinding — and — on
/// members, where Flux reaches the cluster with that ServiceAccount's own token and then
/// impersonates it — the right to impersonate itself and nothing else.
async fn ensure_rbac(
    client: &Client,
    project: &str,
    namespaces: &BTreeSet<String>,
    impersonate_self: bool,
    rights: &Rights,
) -> anyhow::Result<()> {
    let role = rights.role.as_str();
    let labels: BTreeMap<String, String> = [
        (PROJECT_LABEL.to_string(), project.to_string()),
        (MANAGED_LABEL.0.to_string(), MANAGED_LABEL.1.to_string()),
    ]
    .into();
    for ns in std::iter::once(project).chain(namespaces.iter().map(String::as_str)) {
        ensure_namespace(client, ns).await?;
    }
    let meta = |name: &str, ns: &str| ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    let sa_api: Api<ServiceAccount> = Api::namespaced(client.clone(), project);
    let sa = ServiceAccount {
        metadata: meta(DEPLOYER, project),
        ..Default::default()
    };
    apply(&sa_api, DEPLOYER, &sa, "v1", "ServiceAccount").await?;
    let subject = Subject {
        kind: "ServiceAccount".into(),
        name: DEPLOYER.into(),
        namespace: Some(project.into()),
        ..Default::default()
    };
    let binding = binding_name(project);
    let cluster_wide: Api<ClusterRoleBinding> = Api::all(client.clone());
    let role_ref = RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: "ClusterRole".into(),
        name: role.into(),
    };
    // The platform namespace's deployer is bound cluster-wide only where it deploys.
    if rights.cluster_wide && !namespaces.is_empty() {
        let crb = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(binding.clone()),
                labels: Some(labels.clone()),
                ..Default::default()
            },
            role_ref: role_ref.clone(),
            subjects: Some(vec![subject.clone()]),
        };
        if let Some(existing) = cluster_wide.get_opt(&binding).await?
            && existing.role_ref.name != role
        {
            cluster_wide.delete(&binding, &DeleteParams::default()).await?;
        }
        apply(
            &cluster_wide,
            &binding,
            &crb,
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
        )
        .await?;
    } else {
        // Not (or no longer) needed here: cluster-wide rights go. An identity that may not
        // read ClusterRoleBindings never made one.
        match cluster_wide.get_metadata_opt(&binding).await {
            // Only ksflux's own binding for this project, never another of the same name.
            Ok(Some(b)) if b.labels().get(PROJECT_LABEL).map(String::as_str) == Some(project) => {
                cluster_wide.delete(&binding, &DeleteParams::default()).await?;
            }
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 403 => {}
            Err(e) => return Err(e.into()),
        }
    }
    let bound_in: &BTreeSet<String> = if rights.cluster_wide {
        &BTreeSet::new()
    } else {
        namespaces
    };
    for ns in bound_in {
        let rb = RoleBinding {
            metadata: meta(&binding, ns),
            role_ref: role_ref.clone(),
            subjects: Some(vec![subject.clone()]),
        };
        let api: Api<RoleBinding> = Api::namespaced(client.clone(), ns);
        // A binding's role cannot change: one bound to another role is replaced.
        if let Some(existing) = api.get_opt(&binding).await?
            && existing.role_ref.name != role
        {
            api.delete(&binding, &DeleteParams::default()).await?;
        }
        apply(&api, &binding, &rb, "rbac.authorization.k8s.io/v1", "RoleBinding").await?;
    }
    let own = impersonation_name(project);
    if impersonate_self {
        let role = Role {
            metadata: meta(&own, project),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["serviceaccounts".into()]),
                resource_names: Some(vec![DEPLOYER.into()]),
                verbs: vec!["impersonate".into()],
                ..Default::default()
            }]),
        };
        let roles: Api<Role> = Api::namespaced(client.clone(), project);
        apply(&roles, &own, &role, "rbac.authorization.k8s.io/v1", "Role").await?;
        let rb = RoleBinding {
            metadata: meta(&own, project),
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "Role".into(),
                name: own.clone(),
            },
            subjects: Some(vec![subject]),
        };
        let api: Api<RoleBinding> = Api::namespaced(client.clone(), project);
        apply(&api, &own, &rb, "rbac.authorization.k8s.io/v1", "RoleBinding").await?;
    }
    // Bindings in namespaces the project no longer targets go.
    let all: Api<RoleBinding> = Api::all(client.clone());
    for rb in all
        .list_metadata(&ListParams::default().labels(&format!("{PROJECT_LABEL}={project}")))
        .await?
    {
        let ns = rb.namespace().unwrap_or_default();
        if rb.name_any() == binding && !bound_in.contains(&ns) {
            let api: Api<RoleBinding> = Api::namespaced(client.clone(), &ns);
            api.delete(&rb.name_any(), &DeleteParams::default()).await?;
        }
    }
    Ok(())
}

/// Ensures project `project` can deploy to `namespaces` of the host: Flux on the host runs
/// the project's Kustomizations and HelmReleases as the project's [`DEPLOYER`]
/// ServiceAccount (`spec.serviceAccountName`), which may act in exactly those namespaces.
pub async fn ensure_host(
    host: &Client,
    project: &str,
    namespaces: &BTreeSet<String>,
    rights: &Rights,
) -> anyhow::Result<()> {
    ensure_rbac(host, project, namespaces, false, rights).await
}

/// Ensures project `project` can deploy to `namespaces` of member `cluster`: the same
/// ServiceAccount and bindings on the member, and a fresh kubeconfig Secret with its token in
/// the project namespace on the host when the current one is missing, for other namespaces,
/// or due for renewal.
pub async fn ensure(
    host: &Client,
    cluster: &Cluster,
    project: &str,
    namespaces: &BTreeSet<String>,
    rights: &Rights,
) -> anyhow::Result<Provisioned> {
    let member = cluster.client();
    let pp = PatchParams::apply(MANAGER).force();
    ensure_rbac(&member, project, namespaces, true, rights).await?;
    let sa = DEPLOYER.to_string();
    let sa_api: Api<ServiceAccount> = Api::namespaced(member.clone(), project);

    // The kubeconfig Secret: reuse it while its token is fresh and its scope unchanged.
    let secret_name = super::render::kubeconfig_secret(&cluster.name);
    let secrets: Api<Secret> = Api::namespaced(host.clone(), project);
    let scope = namespaces.iter().cloned().collect::<Vec<_>>().join(",");
    let now = jiff::Timestamp::now();
    if let Some(existing) = secrets.get_opt(&secret_name).await? {
        let expires = existing
            .annotations()
            .get(EXPIRES_ANNOTATION)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let same_scope = existing.annotations().get(SCOPE_ANNOTATION) == Some(&scope);
        if let Some(exp) = expires {
            let left = exp.as_second() - now.as_second();
            if same_scope && left > RENEW_BEFORE_SECONDS {
                return Ok(Provisioned {
                    renew_in: left - RENEW_BEFORE_SECONDS,
                });
            }
        }
    }
    let (token, expiration) = request_token(&sa_api, &sa, &cluster.name).await?;
    let expires_at =
        expiration.unwrap_or_else(|| (now + jiff::SignedDuration::from_secs(TOKEN_SECONDS)).to_string());
    let ca = cluster
        .ca_der()
        .map(|der| base64::engine::general_purpose::STANDARD.encode(pem(&der)));
    let mut cluster_entry = json!({"server": cluster.server()});
    if let Some(ca) = ca {
        cluster_entry["certificate-authority-data"] = json!(ca);
    }
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": cluster.name, "cluster": cluster_entry}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": cluster.name, "context": {"cluster": cluster.name, "user": sa}}],
        "current-context": cluster.name,
    });
    let data: BTreeMap<String, ByteString> = [(
        "value".to_string(),
        ByteString(serde_yaml_ng::to_string(&kubeconfig)?.into_bytes()),
    )]
    .into();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(secret_name.clone()),
            namespace: Some(project.to_string()),
            labels: Some([(MANAGED_LABEL.0.to_string(), MANAGED_LABEL.1.to_string())].into()),
            annotations: Some(
                [
                    (EXPIRES_ANNOTATION.to_string(), expires_at),
                    (SCOPE_ANNOTATION.to_string(), scope),
                    ("fluxcd.kubesphere.io/cluster".to_string(), cluster.name.clone()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        data: Some(data),
        type_: Some("Opaque".into()),
        ..Default::default()
    };
    let mut value = serde_json::to_value(&secret)?;
    value["apiVersion"] = json!("v1");
    value["kind"] = json!("Secret");
    secrets.patch(&secret_name, &pp, &Patch::Apply(value)).await?;
    Ok(Provisioned {
        renew_in: TOKEN_SECONDS - RENEW_BEFORE_SECONDS,
    })
}

/// The ServiceAccount ksflux writes to an agent member as, in each project namespace there.
pub const AGENT: &str = "ksflux-agent";

/// What [`AGENT`] may do, in its project namespace on the member only: manage the Flux
/// sources, Kustomizations and HelmReleases ksflux applies there, and the Secrets and
/// ConfigMaps they reference (source credentials, `valuesFrom`). Nothing else: no workloads,
/// no RBAC, nothing in other namespaces or at cluster scope.
fn agent_rules() -> Vec<PolicyRule> {
    let verbs: Vec<String> = ["get", "list", "watch", "create", "update", "patch", "delete"]
        .iter()
        .map(|v| v.to_string())
        .collect();
    let rule = |group: &str, resources: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.clone(),
        ..Default::default()
    };
    vec![
        rule(
            "source.toolkit.fluxcd.io",
            &[
                "gitrepositories",
                "helmrepositories",
                "ocirepositories",
                "buckets",
            ],
        ),
        rule("kustomize.toolkit.fluxcd.io", &["kustomizations"]),
        rule("helm.toolkit.fluxcd.io", &["helmreleases"]),
        rule("", &["secrets", "configmaps"]),
    ]
}

/// Ensures project `project` can be delivered to `namespaces` of agent member `cluster`: the
/// deployer ServiceAccount and its bindings there (the member's Flux impersonates it, so no
/// credential leaves the member), the ServiceAccount [`AGENT`] bound to [`agent_rules`] in
/// the project namespace, and a client with a fresh token of [`AGENT`] (valid
/// [`TOKEN_SECONDS`]), which is how ksflux writes there. Returns the client and the seconds
/// until it is due for renewal.
pub async fn ensure_agent(
    cluster: &Cluster,
    project: &str,
    namespaces: &BTreeSet<String>,
    rights: &Rights,
) -> anyhow::Result<(Client, i64)> {
    let member = cluster.client();
    ensure_rbac(&member, project, namespaces, false, rights).await?;
    let labels: BTreeMap<String, String> = [
        (PROJECT_LABEL.to_string(), project.to_string()),
        (MANAGED_LABEL.0.to_string(), MANAGED_LABEL.1.to_string()),
    ]
    .into();
    let meta = ObjectMeta {
        name: Some(AGENT.into()),
        namespace: Some(project.into()),
        labels: Some(labels),
        ..Default::default()
    };
    let sa_api: Api<ServiceAccount> = Api::namespaced(member.clone(), project);
    let sa = ServiceAccount {
        metadata: meta.clone(),
        ..Default::default()
    };
    apply(&sa_api, AGENT, &sa, "v1", "ServiceAccount").await?;
    let role = Role {
        metadata: meta.clone(),
        rules: Some(agent_rules()),
    };
    let roles: Api<Role> = Api::namespaced(member.clone(), project);
    apply(&roles, AGENT, &role, "rbac.authorization.k8s.io/v1", "Role").await?;
    let rb = RoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: AGENT.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: AGENT.into(),
            namespace: Some(project.into()),
            ..Default::default()
        }]),
    };
    let bindings: Api<RoleBinding> = Api::namespaced(member.clone(), project);
    apply(
        &bindings,
        AGENT,
        &rb,
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
    )
    .await?;
    let (token, _) = request_token(&sa_api, AGENT, &cluster.name).await?;
    let mut config = kube::Config::new(cluster.server().parse()?);
    config.root_cert = cluster.ca_der().map(|c| vec![c]);
    config.auth_info.token = Some(token.into());
    config.connect_timeout = Some(std::time::Duration::from_secs(5));
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    let client = Client::try_from(config)?;
    Ok((client, TOKEN_SECONDS - RENEW_BEFORE_SECONDS))
}

/// A fresh token of ServiceAccount `sa` on `cluster` (TokenRequest, valid
/// [`TOKEN_SECONDS`]), and when it expires.
async fn request_token(
    sa_api: &Api<ServiceAccount>,
    sa: &str,
    cluster: &str,
) -> anyhow::Result<(String, Option<String>)> {
    let tr = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(TOKEN_SECONDS),
            ..Default::default()
        }),
        ..Default::default()
    };
    let status = sa_api
        .create_subresource::<_, TokenRequest>("token", sa, &PostParams::default(), &tr)
        .await?
        .status
        .ok_or_else(|| anyhow::anyhow!("token request for {sa} on {cluster} returned no status"))?;
    let token = status
        .token
        .ok_or_else(|| anyhow::anyhow!("token request for {sa} on {cluster} returned no token"))?;
    Ok((token, status.expiration_timestamp.map(|t| t.0.to_string())))
}

/// Removes what [`ensure`], [`ensure_agent`] or [`ensure_host`] made for `project` on a
/// cluster (`client`): its RoleBindings, ClusterRoleBinding, Roles and ServiceAccounts.
async fn revoke_rbac(client: &Client, project: &str) {
    let crbs: Api<ClusterRoleBinding> = Api::all(client.clone());
    if let Ok(list) = crbs
        .list_metadata(&ListParams::default().labels(&format!("{PROJECT_LABEL}={project}")))
        .await
    {
        for crb in list {
            let _ = crbs.delete(&crb.name_any(), &DeleteParams::default()).await;
        }
    }
    let all: Api<RoleBinding> = Api::all(client.clone());
    if let Ok(list) = all
        .list_metadata(&ListParams::default().labels(&format!("{PROJECT_LABEL}={project}")))
        .await
    {
        for rb in list {
            let api: Api<RoleBinding> = Api::namespaced(client.clone(), &rb.namespace().unwrap_or_default());
            let _ = api.delete(&rb.name_any(), &DeleteParams::default()).await;
        }
    }
    let roles: Api<Role> = Api::namespaced(client.clone(), project);
    let _ = roles
        .delete(&impersonation_name(project), &DeleteParams::default())
        .await;
    let _ = roles.delete(AGENT, &DeleteParams::default()).await;
    let sa_api: Api<ServiceAccount> = Api::namespaced(client.clone(), project);
    let _ = sa_api.delete(DEPLOYER, &DeleteParams::default()).await;
    let _ = sa_api.delete(AGENT, &DeleteParams::default()).await;
}

/// Removes what [`ensure`] made for `project` on member `cluster`, and its kubeconfig Secret.
pub async fn revoke(host: &Client, cluster: Option<&Cluster>, project: &str) -> anyhow::Result<()> {
    if let Some(cluster) = cluster {
        revoke_rbac(&cluster.client(), project).await;
        let secrets: Api<Secret> = Api::namespaced(host.clone(), project);
        let _ = secrets
            .delete(
                &super::render::kubeconfig_secret(&cluster.name),
                &DeleteParams::default(),
            )
            .await;
    }
    Ok(())
}

/// Deletes `project`'s kubeconfig Secret for `cluster`, a cluster that left the registry
/// (what ksflux made on it cannot be reached any more; the token in the Secret expires within
/// [`TOKEN_SECONDS`] as nothing renews it).
pub async fn forget_removed(host: &Client, project: &str, cluster: &str) {
    let secrets: Api<Secret> = Api::namespaced(host.clone(), project);
    let name = super::render::kubeconfig_secret(cluster);
    if let Ok(Some(_)) = secrets.get_metadata_opt(&name).await {
        match secrets.delete(&name, &DeleteParams::default()).await {
            Ok(_) => tracing::info!(
                project,
                cluster,
                "cluster left the registry; deleted its kubeconfig"
            ),
            Err(e) => {
                tracing::warn!(project, cluster, error = %e, "deleting the kubeconfig of a removed cluster failed")
            }
        }
    }
}

/// Removes what [`ensure_host`] made for `project` on the host.
pub async fn revoke_host(host: &Client, project: &str) {
    revoke_rbac(host, project).await;
}

// ---------------------------------------------------------------------------------------------
// raw deliveries

/// Where a delivery's references point outside its own namespace: Flux's
/// `--no-cross-namespace-refs` refuses these, and so does ksflux, with the field named.
fn cross_namespace_refs(namespace: &str, spec: &Value) -> Vec<Cause> {
    let mut refs: Vec<(String, Option<&Value>)> = vec![
        (
            "spec.sourceRef.namespace".into(),
            spec.pointer("/sourceRef/namespace"),
        ),
        (
            "spec.chart.spec.sourceRef.namespace".into(),
            spec.pointer("/chart/spec/sourceRef/namespace"),
        ),
        (
            "spec.chartRef.namespace".into(),
            spec.pointer("/chartRef/namespace"),
        ),
    ];
    if let Some(deps) = spec.get("dependsOn").and_then(Value::as_array) {
        for (i, d) in deps.iter().enumerate() {
            refs.push((format!("spec.dependsOn[{i}].namespace"), d.get("namespace")));
        }
    }
    refs.into_iter()
        .filter_map(|(field, v)| {
            let ns = v
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty() && *n != namespace)?;
            Some(Cause::forbidden(
                field,
                format!("references to namespace {ns:?} are not allowed; use objects in {namespace:?}"),
            ))
        })
        .collect()
}

/// Checks a raw Kustomization or HelmRelease written through ksflux against the same
/// tenancy rules as applications: references stay in the object's namespace, and the
/// namespaces it applies to (`targetNamespace`, a HelmRelease's `storageNamespace`) are ones
/// the project may target (see [`check_allowed`]) in the cluster it applies to — the
/// cluster it lives in, or the member whose ksflux-managed kubeconfig it uses. Objects using
/// any other kubeconfig are bounded by that kubeconfig's identity.
pub async fn check_delivery(clusters: &Clusters, cluster: &str, namespace: &str, spec: &Value) -> Result<()> {
    let mut causes = cross_namespace_refs(namespace, spec);
    let kubeconfig = spec.pointer("/kubeConfig/secretRef/name").and_then(Value::as_str);
    let applies_to = match kubeconfig {
        None => Some(cluster.to_string()),
        Some(secret) => clusters
            .all()
            .iter()
            .map(|c| c.name.clone())
            .find(|c| super::render::kubeconfig_secret(c) == secret),
    };
    if let Some(target) = applies_to {
        let home = clusters.get(cluster)?.client();
        let project: Api<Namespace> = Api::all(home);
        let project = project.get(namespace).await?;
        let target_client = clusters.get(&target).ok().map(|c| c.client());
        for field in ["targetNamespace", "storageNamespace"] {
            if let Some(ns) = s(spec, field).filter(|n| *n != namespace)
                && let Err(m) =
                    check_allowed(&project, clusters.platform(), &target, target_client.as_ref(), ns).await
            {
                causes.push(Cause::forbidden(format!("spec.{field}"), m));
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(causes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployer_role_is_chosen_per_cluster_with_a_default() {
        assert_eq!(deployer_role_of("", "member-1", "admin"), "admin");
        assert_eq!(deployer_role_of("", "member-1", "cluster-admin"), "cluster-admin");
        assert_eq!(deployer_role_of("edit", "member-1", "admin"), "edit");
        let v = "edit, member-1=gateway-admin,member-2=";
        assert_eq!(deployer_role_of(v, "member-1", "admin"), "gateway-admin");
        assert_eq!(
            deployer_role_of(v, "member-2", "admin"),
            "edit",
            "an empty role is ignored"
        );
        assert_eq!(deployer_role_of(v, "host", "admin"), "edit");
    }

    #[test]
    fn references_stay_in_the_objects_namespace() {
        let ok =
            serde_json::json!({"sourceRef": {"kind": "GitRepository", "name": "a", "namespace": "team-a"}});
        assert!(cross_namespace_refs("team-a", &ok).is_empty());
        let bad = serde_json::json!({"chart": {"spec": {"sourceRef": {"kind": "HelmRepository", "name": "a", "namespace": "team-b"}}},
            "dependsOn": [{"name": "x"}, {"name": "y", "namespace": "kube-system"}]});
        let fields: Vec<String> = cross_namespace_refs("team-a", &bad)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.chart.spec.sourceRef.namespace",
                "spec.dependsOn[1].namespace"
            ]
        );
    }
}
