//! Keeps notification-controller sending events to ksflux.
//!
//! **Which namespaces**: in each cluster, every namespace holding a Kustomization or HelmRelease
//! rendered by an Application (label `fluxcd.kubesphere.io/application`) — in hub mode, the
//! project namespaces of the host that have Applications. There ksflux server-side applies
//! (field manager [`MANAGER`], every [`RECHECK`] and when a namespace first qualifies):
//!
//! - Secret [`NAME`] with `token`, the namespace's own HMAC key (see `ingest`);
//! - Provider [`NAME`], type `generic-hmac`, address `<--events-url>/ingest/flux/<cluster>/<ns>`;
//! - Alert [`NAME`], severity `info`, for every Kustomization, HelmRelease, source and image
//!   automation object of the namespace (`name: "*"`).
//!
//! Nothing is written without `--events-url`. Objects of namespaces that stop qualifying are
//! left in place (they cost nothing and keep the history going for raw Flux objects there).

use std::{
    collections::{BTreeSet, HashMap},
    time::{Duration, Instant},
};

use kube::{
    Api,
    api::{DynamicObject, Patch, PatchParams},
};
use serde_json::json;

use super::History;
use crate::{
    applications::access::SelfBinding,
    clusters::{Clusters, HOST},
    notifications::{ALERT, PROVIDER},
    status::Fleet,
};

/// Name of the Secret, Provider and Alert.
pub const NAME: &str = "ksflux-events";
/// Field manager of what this module writes.
pub const MANAGER: &str = "ksflux-events";
/// How often a namespace's objects are applied again (one removed by hand comes back).
pub const RECHECK: Duration = Duration::from_secs(300);

/// The Flux kinds whose events the Alert forwards.
const SOURCES: &[&str] = &[
    "Kustomization",
    "HelmRelease",
    "GitRepository",
    "HelmRepository",
    "HelmChart",
    "OCIRepository",
    "Bucket",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
];

/// The namespaces of each cluster that get a Provider.
pub fn qualifying(fleet: &Fleet, clusters: &Clusters) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for c in clusters.all() {
        // A cluster whose Flux runs no notification-controller (an agent member that installed
        // only what agent mode needs) cannot send events.
        let notifies = c
            .health()
            .flux_apis
            .iter()
            .any(|a| a.kind == "Alert" && !a.served_versions.is_empty());
        if !notifies {
            continue;
        }
        for kind in ["Kustomization", "HelmRelease"] {
            let rendered =
                fleet.namespaces_labelled(&c.name, kind, ksflux_types::application::APPLICATION_LABEL);
            out.extend(rendered.into_iter().map(|ns| (c.name.clone(), ns)));
        }
    }
    out
}

/// The Provider, Secret and Alert of one namespace.
pub fn objects(
    history: &History,
    events_url: &str,
    cluster: &str,
    namespace: &str,
) -> [serde_json::Value; 3] {
    let base = events_url.trim_end_matches('/');
    let labels = json!({"app.kubernetes.io/managed-by": "ksflux"});
    [
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "type": "Opaque",
            "stringData": {"token": history.namespace_token(cluster, namespace)},
        }),
        json!({
            "apiVersion": format!("{}/{}", PROVIDER.group, PROVIDER.version), "kind": PROVIDER.kind,
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "spec": {
                "type": "generic-hmac",
                "address": format!("{base}/ingest/flux/{cluster}/{namespace}"),
                "secretRef": {"name": NAME},
            },
        }),
        json!({
            "apiVersion": format!("{}/{}", ALERT.group, ALERT.version), "kind": ALERT.kind,
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "spec": {
                "providerRef": {"name": NAME},
                "eventSeverity": "info",
                "eventSources": SOURCES.iter().map(|k| json!({"kind": k, "name": "*"})).collect::<Vec<_>>(),
            },
        }),
    ]
}

/// Applies one namespace's objects.
pub async fn apply(
    history: &History,
    clusters: &Clusters,
    own: Option<&SelfBinding>,
    events_url: &str,
    cluster: &str,
    namespace: &str,
) -> anyhow::Result<()> {
    let client = clusters
        .get(cluster)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .client();
    if cluster == HOST
        && let Some(own) = own
    {
        own.ensure(&client, namespace).await?;
    }
    let [secret, provider, alert] = objects(history, events_url, cluster, namespace);
    let pp = PatchParams::apply(MANAGER).force();
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), namespace);
    secrets.patch(NAME, &pp, &Patch::Apply(&secret)).await?;
    for (kind, obj) in [(&PROVIDER, provider), (&ALERT, alert)] {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &kind.api_resource());
        api.patch(NAME, &pp, &Patch::Apply(&obj)).await?;
    }
    Ok(())
}

/// Keeps every qualifying namespace's objects applied, until the process ends.
pub async fn run(history: History, fleet: Fleet, clusters: Clusters, project_role: Option<String>) {
    run_where(history, fleet, clusters, project_role, |_, _| true).await
}

/// [`run`], for the qualifying namespaces that `only(cluster, namespace)` accepts (tests that
/// share a cluster keep to their own namespaces).
pub async fn run_where(
    history: History,
    fleet: Fleet,
    clusters: Clusters,
    project_role: Option<String>,
    only: impl Fn(&str, &str) -> bool,
) {
    let Some(url) = history.config().events_url.clone() else {
        tracing::info!(
            "no --events-url: ksflux keeps no notification Providers; history comes only from what is sent to it"
        );
        return;
    };
    let mut own = None;
    let mut done: HashMap<(String, String), Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        if let (Some(role), None) = (&project_role, &own) {
            match SelfBinding::discover(&clusters.host().client(), role).await {
                Ok(b) => own = Some(b),
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "cannot set up ksflux's own Secrets binding"
                    );
                    continue;
                }
            }
        }
        for (cluster, namespace) in qualifying(&fleet, &clusters) {
            if !only(&cluster, &namespace) {
                continue;
            }
            let key = (cluster.clone(), namespace.clone());
            if done.get(&key).is_some_and(|t| t.elapsed() < RECHECK) {
                continue;
            }
            match apply(&history, &clusters, own.as_ref(), &url, &cluster, &namespace).await {
                Ok(()) => {
                    done.insert(key, Instant::now());
                }
                Err(e) => tracing::warn!(
                    cluster,
                    namespace,
                    error = format!("{e:#}"),
                    "cannot apply the events Provider and Alert"
                ),
            }
        }
    }
}
