//! Agent mode: a target whose cluster runs its own Flux gets its rendered Flux object applied
//! in that cluster (in the project's namespace there, named as on the host), with no
//! kubeconfig, beside a copy of the application's source and of the Secrets and ConfigMaps
//! they reference. ksflux writes there as the project's [`access::AGENT`](super::access::AGENT)
//! and re-applies on every reconcile, so an edit made in the cluster is put back and reported
//! (see [`drift`]). The copies are owned (ownerReferences) by the Flux objects that use them,
//! so the cluster's garbage collector removes them with the last one.

use serde_json::{Map, Value, json};

use super::{APPLICATION_LABEL, Application, SourceKind};

/// Annotation marking a Flux object ksflux applied in an agent cluster.
pub const MODE_ANNOTATION: &str = "fluxcd.kubesphere.io/delivery-mode";

/// The rendered object as it goes to an agent cluster: no kubeconfig (the cluster's own Flux
/// applies it there), no owner (the Application lives on the host), `suspend` always set (so
/// ksflux owns it and puts back a suspension made in the cluster), and marked as agent-mode.
pub fn for_agent(rendered: &Value) -> Value {
    let mut obj = rendered.clone();
    if let Some(spec) = obj["spec"].as_object_mut() {
        spec.remove("kubeConfig");
        if !spec.contains_key("suspend") {
            spec.insert("suspend".into(), json!(false));
        }
    }
    if let Some(meta) = obj["metadata"].as_object_mut() {
        meta.remove("ownerReferences");
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(MODE_ANNOTATION.into(), json!("agent"));
        }
    }
    obj
}

/// Whether a listed Flux object lives in an agent cluster (see [`for_agent`]).
pub fn is_agent_object(o: &kube::api::DynamicObject) -> bool {
    o.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(MODE_ANNOTATION))
        .is_some_and(|m| m == "agent")
}

/// The fields `desired` sets whose value differs in `live`, as dotted paths (`spec.values.x`).
/// Only what ksflux sets is compared (defaults and status added in the cluster are not
/// drift); lists are compared whole.
pub fn drift(desired: &Value, live: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("spec", &desired["spec"], &live["spec"], &mut out);
    let labels = desired["metadata"]["labels"].as_object();
    for (k, v) in labels.into_iter().flatten() {
        if live["metadata"]["labels"][k] != *v {
            out.push(format!("metadata.labels.{k}"));
        }
    }
    out
}

fn walk(path: &str, desired: &Value, live: &Value, out: &mut Vec<String>) {
    match (desired, live) {
        (Value::Null, _) => {}
        (Value::Object(d), Value::Object(l)) => {
            for (k, v) in d {
                walk(&format!("{path}.{k}"), v, l.get(k).unwrap_or(&Value::Null), out);
            }
        }
        (d, l) if d != l => out.push(path.to_string()),
        _ => {}
    }
}

/// The Flux kind of an application's source.
pub fn source_kind(kind: SourceKind) -> &'static crate::kinds::FluxKind {
    use crate::sources;
    match kind {
        SourceKind::GitRepository => &sources::GIT_REPOSITORY,
        SourceKind::OciRepository => &sources::OCI_REPOSITORY,
        SourceKind::Bucket => &sources::BUCKET,
        SourceKind::HelmRepository => &sources::HELM_REPOSITORY,
    }
}

/// The names of the Secrets a source's spec references (credentials, TLS, proxy,
/// verification keys).
pub fn source_secrets(spec: &Value) -> Vec<String> {
    let mut out: Vec<String> = [
        "/secretRef/name",
        "/certSecretRef/name",
        "/proxySecretRef/name",
        "/verify/secretRef/name",
    ]
    .iter()
    .filter_map(|p| spec.pointer(p).and_then(Value::as_str))
    .map(str::to_string)
    .collect();
    out.sort();
    out.dedup();
    out
}

/// The `valuesFrom` objects of a rendered HelmRelease: (kind, name) of each Secret or ConfigMap.
pub fn values_from(rendered: &Value) -> Vec<(String, String)> {
    rendered["spec"]["valuesFrom"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["kind"].as_str()?.to_string(), v["name"].as_str()?.to_string())))
        .collect()
}

/// An ownerReference to an object in the agent cluster (never blocking deletion, never the
/// controller: several applications may share one copy).
pub fn owner(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": name, "uid": uid})
}

/// The copy of a host object (a source, a Secret, a ConfigMap) for the agent cluster: its
/// spec or data as on the host, ksflux's labels, and `owner`.
pub fn copy(host: &Value, owner: Value, app: &Application) -> Value {
    let mut out = copy_body(host);
    out["metadata"]["labels"][super::access::PROJECT_LABEL] =
        json!(app.metadata.namespace.clone().unwrap_or_default());
    out["metadata"]["ownerReferences"] = json!([owner]);
    out
}

/// A host object as another cluster gets it: its kind, name and namespace, ksflux's managed-by
/// label, and its `spec`, `data`, `type` and `immutable` as on the host, without `spec.suspend`
/// (the copy runs in that cluster whatever the host's object does).
pub fn copy_body(host: &Value) -> Value {
    let mut out = json!({
        "apiVersion": host["apiVersion"],
        "kind": host["kind"],
        "metadata": {
            "name": host["metadata"]["name"],
            "namespace": host["metadata"]["namespace"],
            "labels": {crate::credentials::MANAGED_LABEL.0: crate::credentials::MANAGED_LABEL.1},
        },
    });
    for key in ["spec", "data", "type", "immutable"] {
        if let Some(v) = host.get(key).filter(|v| !v.is_null()) {
            out[key] = v.clone();
        }
    }
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("suspend");
    }
    out
}

/// The field manager of an application's copies: one per application, so that each owns its
/// own ownerReference in a copy shared with others.
pub fn copy_manager(app: &Application) -> String {
    let name = app.metadata.name.clone().unwrap_or_default();
    let mut m = format!("ksflux-{name}");
    m.truncate(128);
    m
}

/// The label selector of an application's Flux objects.
pub fn selector(app: &str) -> String {
    format!("{APPLICATION_LABEL}={app}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_object_has_no_kubeconfig_or_owner_and_owns_suspend() {
        let rendered = json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "web-member-1", "namespace": "team-a",
                "ownerReferences": [{"uid": "1"}], "annotations": {"a": "b"}},
            "spec": {"kubeConfig": {"secretRef": {"name": "k"}}, "interval": "5m"}
        });
        let a = for_agent(&rendered);
        assert!(a["spec"].get("kubeConfig").is_none());
        assert!(a["metadata"].get("ownerReferences").is_none());
        assert_eq!(a["spec"]["suspend"], false);
        assert_eq!(a["metadata"]["annotations"][MODE_ANNOTATION], "agent");
        assert_eq!(a["metadata"]["annotations"]["a"], "b");
        let suspended = json!({"metadata": {}, "spec": {"suspend": true}});
        assert_eq!(for_agent(&suspended)["spec"]["suspend"], true);
    }

    #[test]
    fn a_copy_keeps_data_or_spec_and_never_adds_either() {
        let app: Application = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"}, "targets": []}
        }))
        .expect("an application");
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "auth", "namespace": "team-a", "uid": "9", "resourceVersion": "1"},
            "type": "Opaque", "data": {"password": "cA=="}});
        let copy = copy(&secret, owner("v1", "GitRepository", "demo", "1"), &app);
        assert!(copy.get("spec").is_none(), "{copy}");
        assert_eq!(copy["data"]["password"], "cA==");
        assert!(copy["metadata"].get("uid").is_none() && copy["metadata"].get("resourceVersion").is_none());
        assert_eq!(copy["metadata"]["ownerReferences"][0]["uid"], "1");
        let source = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "demo", "namespace": "team-a"}, "spec": {"url": "u", "suspend": true}});
        let copy = copy_of(&source, &app);
        assert!(copy.get("data").is_none(), "{copy}");
        assert_eq!(
            copy["spec"],
            json!({"url": "u"}),
            "runs in the cluster whatever the host's copy does"
        );
    }

    fn copy_of(v: &Value, app: &Application) -> Value {
        copy(v, owner("v1", "HelmRelease", "x", "2"), app)
    }

    #[test]
    fn drift_is_what_ksflux_sets_and_the_cluster_changed() {
        let desired = json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"interval": "5m", "values": {"replicaCount": 2, "m": {"x": 1}}, "list": [1, 2], "gone": null}});
        let mut live = desired.clone();
        live["spec"]["timeout"] = json!("5m"); // a default: not drift
        live["status"] = json!({"ready": true});
        assert!(drift(&desired, &live).is_empty());
        live["spec"]["values"]["replicaCount"] = json!(5);
        live["spec"]["list"] = json!([1]);
        live["spec"]["values"]["m"] = json!({});
        live["metadata"]["labels"]["app"] = json!("x");
        let mut found = drift(&desired, &live);
        found.sort();
        assert_eq!(
            found,
            [
                "metadata.labels.app",
                "spec.list",
                "spec.values.m.x",
                "spec.values.replicaCount"
            ]
        );
    }

    #[test]
    fn referenced_secrets_and_values_from() {
        let spec = json!({"secretRef": {"name": "auth"}, "certSecretRef": {"name": "tls"},
            "verify": {"secretRef": {"name": "auth"}}});
        assert_eq!(source_secrets(&spec), ["auth", "tls"]);
        let hr = json!({"spec": {"valuesFrom": [{"kind": "ConfigMap", "name": "v"}, {"kind": "Secret", "name": "s"}]}});
        assert_eq!(
            values_from(&hr),
            [
                ("ConfigMap".to_string(), "v".to_string()),
                ("Secret".to_string(), "s".to_string())
            ]
        );
    }
}
