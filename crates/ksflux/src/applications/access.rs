//! Where a project may deploy, and the scoped credentials it deploys with.
//!
//! **Allowance.** A project namespace `P` on the host may target, in any cluster:
//! - the namespace named `P` (KubeSphere's multi-cluster projects share their name);
//! - namespaces of the same KubeSphere workspace: when `P` has the label
//!   `kubesphere.io/workspace=W`, any namespace of that cluster labelled the same;
//! - namespaces a platform admin lists in `P`'s annotation
//!   `fluxcd.kubesphere.io/allowed-target-namespaces` (comma-separated `ns` or `cluster/ns`).
//!
//! **Credentials.** For each member cluster `C` a project deploys to, ksflux creates on `C` a
//! ServiceAccount `ksflux-system/project-P`, bound to the `admin` ClusterRole in exactly the
//! namespaces `P`'s applications target there (created if missing), mints a short-lived token
//! for it (TokenRequest) and writes a kubeconfig with that token to the Secret
//! `ksflux-kubeconfig-C` in `P`, rotating it well before it expires. No admin kubeconfig is
//! ever copied into a project namespace.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use k8s_openapi::{
    ByteString,
    api::{
        authentication::v1::{TokenRequest, TokenRequestSpec},
        core::v1::{Namespace, Secret, ServiceAccount},
        rbac::v1::{RoleBinding, RoleRef, Subject},
    },
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
};
use serde_json::json;

use crate::{clusters::Cluster, credentials::MANAGED_LABEL};

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
/// Namespace on members holding the projects' ServiceAccounts.
pub const AGENT_NAMESPACE: &str = "ksflux-system";
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
/// cluster (for workspace labels). Returns the reason when not allowed.
pub async fn check_allowed(
    project_ns: &Namespace,
    cluster: &str,
    cluster_client: Option<&Client>,
    namespace: &str,
) -> Result<(), String> {
    let project = project_ns.name_any();
    if namespace == project {
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

fn sa_name(project: &str) -> String {
    format!("project-{project}")
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

/// Ensures project `project` can deploy to `namespaces` of member `cluster`: namespaces,
/// ServiceAccount, RoleBindings (and removal of bindings it no longer needs), and a fresh
/// kubeconfig Secret in the project namespace on the host when the current one is missing,
/// for other namespaces, or due for renewal.
pub async fn ensure(
    host: &Client,
    cluster: &Cluster,
    project: &str,
    namespaces: &BTreeSet<String>,
) -> anyhow::Result<Provisioned> {
    let member = cluster.client();
    let pp = PatchParams::apply(MANAGER).force();
    let labels = json!({PROJECT_LABEL: project, MANAGED_LABEL.0: MANAGED_LABEL.1});
    let ns_api: Api<Namespace> = Api::all(member.clone());
    for ns in std::iter::once(AGENT_NAMESPACE).chain(namespaces.iter().map(String::as_str)) {
        if ns_api.get_metadata_opt(ns).await?.is_none() {
            let n = Namespace {
                metadata: ObjectMeta {
                    name: Some(ns.into()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match ns_api.create(&PostParams::default(), &n).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.is_already_exists() => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let sa = sa_name(project);
    let sa_api: Api<ServiceAccount> = Api::namespaced(member.clone(), AGENT_NAMESPACE);
    sa_api
        .patch(
            &sa,
            &pp,
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": sa, "namespace": AGENT_NAMESPACE, "labels": labels}})),
        )
        .await?;
    let binding = format!("ksflux-{project}");
    for ns in namespaces {
        let rb = RoleBinding {
            metadata: ObjectMeta {
                name: Some(binding.clone()),
                namespace: Some(ns.clone()),
                labels: Some(serde_json::from_value(labels.clone())?),
                ..Default::default()
            },
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "ClusterRole".into(),
                name: "admin".into(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa.clone(),
                namespace: Some(AGENT_NAMESPACE.into()),
                ..Default::default()
            }]),
        };
        let api: Api<RoleBinding> = Api::namespaced(member.clone(), ns);
        let mut value = serde_json::to_value(&rb)?;
        value["apiVersion"] = json!("rbac.authorization.k8s.io/v1");
        value["kind"] = json!("RoleBinding");
        api.patch(&binding, &pp, &Patch::Apply(value)).await?;
    }
    // Bindings in namespaces the project no longer targets go.
    let all: Api<RoleBinding> = Api::all(member.clone());
    for rb in all
        .list_metadata(&ListParams::default().labels(&format!("{PROJECT_LABEL}={project}")))
        .await?
    {
        let ns = rb.namespace().unwrap_or_default();
        if !namespaces.contains(&ns) {
            let api: Api<RoleBinding> = Api::namespaced(member.clone(), &ns);
            api.delete(&rb.name_any(), &DeleteParams::default()).await?;
        }
    }

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
    let tr = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(TOKEN_SECONDS),
            ..Default::default()
        }),
        ..Default::default()
    };
    let token: TokenRequest = sa_api
        .create_subresource("token", &sa, &PostParams::default(), &tr)
        .await?;
    let status = token
        .status
        .ok_or_else(|| anyhow::anyhow!("token request for {sa} on {} returned no token", cluster.name))?;
    let expires_at = status
        .expiration_timestamp
        .map(|t| t.0.to_string())
        .unwrap_or_else(|| (now + jiff::SignedDuration::from_secs(TOKEN_SECONDS)).to_string());
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
        "users": [{"name": sa, "user": {"token": status.token}}],
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

/// Removes what [`ensure`] made for `project` on member `cluster`, and its kubeconfig Secret.
pub async fn revoke(host: &Client, cluster: Option<&Cluster>, project: &str) -> anyhow::Result<()> {
    if let Some(cluster) = cluster {
        let member = cluster.client();
        let all: Api<RoleBinding> = Api::all(member.clone());
        for rb in all
            .list_metadata(&ListParams::default().labels(&format!("{PROJECT_LABEL}={project}")))
            .await?
        {
            let api: Api<RoleBinding> = Api::namespaced(member.clone(), &rb.namespace().unwrap_or_default());
            let _ = api.delete(&rb.name_any(), &DeleteParams::default()).await;
        }
        let sa_api: Api<ServiceAccount> = Api::namespaced(member, AGENT_NAMESPACE);
        let _ = sa_api.delete(&sa_name(project), &DeleteParams::default()).await;
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
