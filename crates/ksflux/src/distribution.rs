//! Sources as multi-cluster objects: a source defined once on the host, annotated with the
//! clusters it goes to ([`CLUSTERS_ANNOTATION`]: names, or `*`) and/or a label selector over
//! the clusters' labels ([`SELECTOR_ANNOTATION`]: `key=value,...`), is copied with the Secrets
//! it references into the same namespace of each chosen member whose own Flux serves it, and
//! kept in sync (credential rotation included). Copies are labelled [`DISTRIBUTED_LABEL`] and
//! say where they come from ([`ORIGIN_ANNOTATION`]); a copy no longer chosen, or whose origin
//! is gone, is deleted. Each member's source-controller then reports on its copy, which the
//! API shows per cluster ([`status`]).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams},
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::{
    applications::{access::SelfBinding, agent},
    clusters::{Cluster, Clusters, HOST},
    kinds::FluxKind,
    sources,
};

/// Annotation of a host source: the clusters it is distributed to (comma-separated, or `*`).
pub const CLUSTERS_ANNOTATION: &str = "fluxcd.kubesphere.io/distribute-to";
/// Annotation of a host source: a label selector (`key=value,...`) over the clusters' labels.
pub const SELECTOR_ANNOTATION: &str = "fluxcd.kubesphere.io/distribute-selector";
/// Label of every copy ksflux distributed.
pub const DISTRIBUTED_LABEL: &str = "fluxcd.kubesphere.io/distributed";
/// Annotation of a copy: `Kind/namespace/name` of its origin on the host.
pub const ORIGIN_ANNOTATION: &str = "fluxcd.kubesphere.io/distributed-from";
const MANAGER: &str = "ksflux-distribution";

/// The source kinds that can be distributed.
pub fn kinds() -> [&'static FluxKind; 4] {
    [
        &sources::GIT_REPOSITORY,
        &sources::HELM_REPOSITORY,
        &sources::OCI_REPOSITORY,
        &sources::BUCKET,
    ]
}

/// The clusters (members only) a source's annotations choose, given every cluster's labels.
pub fn chosen(
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(names) = annotations.get(CLUSTERS_ANNOTATION) {
        for n in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if n == "*" {
                out.extend(labels.keys().cloned());
            } else if labels.contains_key(n) {
                out.insert(n.to_string());
            }
        }
    }
    if let Some(selector) = annotations.get(SELECTOR_ANNOTATION) {
        let wanted: Vec<(&str, &str)> = selector
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        if !wanted.is_empty() {
            for (cluster, l) in labels {
                if wanted
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
                {
                    out.insert(cluster.clone());
                }
            }
        }
    }
    out.remove(HOST);
    out
}

/// A distributed source's state in one cluster.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSource {
    /// The cluster.
    pub cluster: String,
    /// `True`, `False` or `Unknown` (the copy's Ready condition there).
    pub ready: String,
    /// Why.
    pub reason: String,
    /// Details.
    pub message: String,
    /// The revision of the artifact the cluster's source-controller stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// Where a host source is distributed and how its copy fares in each cluster, read with
/// ksflux's own client there (the caller has been authorised to read the host source).
pub async fn status(clusters: &Clusters, kind: &FluxKind, source: &DynamicObject) -> Vec<ClusterSource> {
    let ns = source.namespace().unwrap_or_default();
    let mut out = Vec::new();
    for cluster in chosen(source.annotations(), &clusters.labels()) {
        let row = |ready: &str, reason: &str, message: String, revision: Option<String>| ClusterSource {
            cluster: cluster.clone(),
            ready: ready.into(),
            reason: reason.into(),
            message,
            revision,
        };
        let Ok(c) = clusters.get(&cluster) else {
            continue;
        };
        let api: Api<DynamicObject> = Api::namespaced_with(c.client(), &ns, &kind.api_resource());
        out.push(match api.get_opt(&source.name_any()).await {
            Ok(Some(copy)) => {
                let ready = copy.data["status"]["conditions"]
                    .as_array()
                    .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready").cloned())
                    .unwrap_or_default();
                row(
                    ready["status"].as_str().unwrap_or("Unknown"),
                    ready["reason"].as_str().unwrap_or("Progressing"),
                    ready["message"].as_str().unwrap_or_default().to_string(),
                    copy.data["status"]["artifact"]["revision"]
                        .as_str()
                        .map(str::to_string),
                )
            }
            Ok(None) => row("Unknown", "Distributing", "not copied there yet".into(), None),
            Err(e) => row(
                "Unknown",
                "ClusterUnreachable",
                format!("cannot read it there: {e}"),
                None,
            ),
        });
    }
    out
}

/// Copies every distributed source to its clusters every `period`, and deletes copies no
/// longer chosen, until shutdown. With `project_role`, ksflux binds it to itself in a source's
/// namespace before reading the Secrets there (see [`SelfBinding`]).
pub async fn run(
    clusters: Clusters,
    project_role: Option<String>,
    period: std::time::Duration,
) -> anyhow::Result<()> {
    let host = clusters.host().client();
    let own = match project_role {
        Some(role) => Some(SelfBinding::discover(&host, &role).await?),
        None => None,
    };
    loop {
        if let Err(e) = sync(&clusters, &host, own.as_ref()).await {
            tracing::warn!(error = %e, "distributing sources failed; trying again");
        }
        tokio::time::sleep(period).await;
    }
}

/// One pass: copy what is chosen, delete what is not.
pub async fn sync(clusters: &Clusters, host: &Client, own: Option<&SelfBinding>) -> anyhow::Result<()> {
    let labels = clusters.labels();
    // (cluster, kind, namespace, name) of every copy that should exist.
    let mut wanted: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for kind in kinds() {
        let sources: Api<DynamicObject> = Api::all_with(host.clone(), &kind.api_resource());
        for source in sources.list(&ListParams::default()).await? {
            let targets = chosen(source.annotations(), &labels);
            if targets.is_empty() || source.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let ns = source.namespace().unwrap_or_default();
            if let Some(own) = own {
                own.ensure(host, &ns).await?;
            }
            for cluster in targets {
                let Ok(c) = clusters.get(&cluster) else {
                    continue;
                };
                wanted.insert((
                    cluster.clone(),
                    kind.kind.to_string(),
                    ns.clone(),
                    source.name_any(),
                ));
                if !c.health().reachable {
                    continue;
                }
                if let Err(e) = copy_to(&c, host, kind, &source).await {
                    tracing::info!(cluster, source = source.name_any(), error = %e, "cannot distribute a source there now");
                }
            }
        }
    }
    for c in clusters.all() {
        if c.name == HOST || !c.health().reachable {
            continue;
        }
        for kind in kinds() {
            let copies: Api<DynamicObject> = Api::all_with(c.client(), &kind.api_resource());
            let Ok(list) = copies
                .list(&ListParams::default().labels(DISTRIBUTED_LABEL))
                .await
            else {
                continue;
            };
            for copy in list {
                let ns = copy.namespace().unwrap_or_default();
                let key = (c.name.clone(), kind.kind.to_string(), ns.clone(), copy.name_any());
                if !wanted.contains(&key) {
                    let api: Api<DynamicObject> = Api::namespaced_with(c.client(), &ns, &kind.api_resource());
                    let _ = api.delete(&copy.name_any(), &DeleteParams::background()).await;
                    tracing::info!(
                        cluster = c.name,
                        source = copy.name_any(),
                        "deleted a source copy no longer distributed there"
                    );
                }
            }
        }
    }
    Ok(())
}

/// Copies `source` and the Secrets it references into its namespace of `cluster` (created if
/// missing); the Secrets are owned by the copy.
async fn copy_to(
    cluster: &Cluster,
    host: &Client,
    kind: &FluxKind,
    source: &DynamicObject,
) -> anyhow::Result<()> {
    let ns = source.namespace().unwrap_or_default();
    let member = cluster.client();
    crate::applications::access::ensure_namespace(&member, &ns).await?;
    let ar = kind.api_resource();
    let mut value = serde_json::to_value(source)?;
    value["apiVersion"] = json!(ar.api_version);
    value["kind"] = json!(ar.kind);
    let copy = distributed(&value, kind, source);
    let pp = PatchParams::apply(MANAGER).force();
    let api: Api<DynamicObject> = Api::namespaced_with(member.clone(), &ns, &ar);
    let applied = api.patch(&source.name_any(), &pp, &Patch::Apply(&copy)).await?;
    let owner = agent::owner(
        &ar.api_version,
        &ar.kind,
        &source.name_any(),
        &applied.metadata.uid.unwrap_or_default(),
    );
    let host_secrets: Api<Secret> = Api::namespaced(host.clone(), &ns);
    let secrets: Api<DynamicObject> = Api::namespaced_with(member, &ns, &ApiResource::erase::<Secret>(&()));
    for name in agent::source_secrets(&value["spec"]) {
        if let Some(s) = host_secrets.get_opt(&name).await? {
            let mut v = serde_json::to_value(&s)?;
            v["apiVersion"] = json!("v1");
            v["kind"] = json!("Secret");
            let mut secret = distributed(&v, kind, source);
            secret["metadata"]["ownerReferences"] = json!([owner]);
            secrets.patch(&name, &pp, &Patch::Apply(&secret)).await?;
        }
    }
    Ok(())
}

/// The copy of a host object (the source, or a Secret it references) for a member.
fn distributed(host: &Value, kind: &FluxKind, source: &DynamicObject) -> Value {
    let mut out = agent::copy_body(host);
    out["metadata"]["labels"][DISTRIBUTED_LABEL] = json!("true");
    out["metadata"]["annotations"] = json!({ORIGIN_ANNOTATION: format!("{}/{}/{}", kind.kind, source.namespace().unwrap_or_default(), source.name_any())});
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> BTreeMap<String, BTreeMap<String, String>> {
        let l = |env: &str| BTreeMap::from([("env".to_string(), env.to_string())]);
        BTreeMap::from([
            ("host".to_string(), l("prod")),
            ("member-1".to_string(), l("staging")),
            ("member-2".to_string(), l("prod")),
            ("member-3".to_string(), l("staging")),
        ])
    }

    #[test]
    fn clusters_are_chosen_by_name_star_or_selector_never_the_host() {
        let a = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        let names = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>();
        assert_eq!(
            names(chosen(&a(CLUSTERS_ANNOTATION, "member-1, nope,host"), &labels())),
            ["member-1"]
        );
        assert_eq!(
            names(chosen(&a(CLUSTERS_ANNOTATION, "*"), &labels())),
            ["member-1", "member-2", "member-3"]
        );
        assert_eq!(
            names(chosen(&a(SELECTOR_ANNOTATION, "env=staging"), &labels())),
            ["member-1", "member-3"]
        );
        assert!(
            chosen(&a(SELECTOR_ANNOTATION, "env"), &labels()).is_empty(),
            "no key=value: nothing"
        );
        assert!(chosen(&BTreeMap::new(), &labels()).is_empty());
    }
}
