//! Rendering: an Application becomes one Flux object per target, in the application's
//! namespace on the host (hub mode). Members are reached through a scoped kubeconfig Secret
//! (`spec.kubeConfig.secretRef`); host targets need none. Every object runs as the project's
//! ServiceAccount (`spec.serviceAccountName`, see `access`). Also the validation of an
//! application spec and the difference between two renderings.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{APPLICATION_LABEL, Application, ApplicationSpec, CLUSTER_LABEL, SourceKind, merge};
use crate::{clusters::HOST, error::Cause, validation};

/// Default reconcile interval of rendered objects.
pub const DEFAULT_INTERVAL: &str = "5m";
/// Substitution variable set to the target's cluster name unless the application sets it.
pub const CLUSTER_NAME_VAR: &str = "cluster_name";

/// The name of the Flux object rendered for a target.
pub fn child_name(app: &str, cluster: &str) -> String {
    format!("{app}-{cluster}")
}

/// The name of the scoped kubeconfig Secret for a member, in a project namespace.
pub fn kubeconfig_secret(cluster: &str) -> String {
    format!("ksflux-kubeconfig-{cluster}")
}

/// One rendered Flux object.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    /// The target cluster.
    pub cluster: String,
    /// The target namespace.
    pub namespace: String,
    /// The Flux object to apply in the host (Kustomization or HelmRelease).
    #[schema(value_type = Object)]
    pub object: Value,
}

impl Rendered {
    /// The object's kind.
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// Checks an application spec; `name` is the application's name.
pub fn validate(name: &str, spec: &ApplicationSpec) -> Vec<Cause> {
    let mut c = Vec::new();
    match (&spec.helm, &spec.kustomize) {
        (Some(_), Some(_)) => c.push(Cause::invalid(
            "spec.helm",
            "set either helm or kustomize, not both",
        )),
        (None, None) => c.push(Cause::required("spec.helm")),
        _ => {}
    }
    c.extend(validation::dns1123_subdomain(
        "spec.source.name",
        &spec.source.name,
    ));
    let helm = spec.helm.is_some();
    match (spec.source.kind, helm) {
        (SourceKind::HelmRepository, false) => c.push(Cause::invalid(
            "spec.source.kind",
            "a HelmRepository holds charts; use helm, not kustomize",
        )),
        (SourceKind::OciRepository, true) => c.push(Cause::invalid(
            "spec.source.kind",
            "for charts in an OCI registry use a HelmRepository of type oci",
        )),
        _ => {}
    }
    if let Some(h) = &spec.helm {
        if h.chart.trim().is_empty() {
            c.push(Cause::required("spec.helm.chart"));
        }
        if let Some(v) = &h.version {
            c.extend(validation::semver_range("spec.helm.version", v));
        }
        if h.values.as_ref().is_some_and(|v| !v.is_object()) {
            c.push(Cause::invalid("spec.helm.values", "must be an object"));
        }
    }
    if let Some(k) = &spec.kustomize {
        if let Some(p) = &k.path {
            c.extend(path_causes("spec.kustomize.path", p));
        }
        for (i, p) in k.patches.iter().enumerate() {
            if p.patch.trim().is_empty() {
                c.push(Cause::required(format!("spec.kustomize.patches[{i}].patch")));
            }
        }
    }
    if let Some(i) = &spec.interval {
        c.extend(validation::duration("spec.interval", i));
    }
    if spec.targets.is_empty() {
        c.push(Cause::required("spec.targets"));
    }
    let mut seen = BTreeSet::new();
    for (i, t) in spec.targets.iter().enumerate() {
        let f = |field: &str| format!("spec.targets[{i}].{field}");
        c.extend(validation::dns1123_label(&f("cluster"), &t.cluster));
        c.extend(validation::dns1123_label(&f("namespace"), &t.namespace));
        if !seen.insert(t.cluster.clone()) {
            c.push(Cause::invalid(
                f("cluster"),
                format!("cluster {:?} is targeted twice", t.cluster),
            ));
        }
        if child_name(name, &t.cluster).len() > 63 {
            c.push(Cause::invalid(
                f("cluster"),
                "application and cluster names together must be at most 62 characters",
            ));
        }
        let Some(o) = &t.overrides else { continue };
        let f = |field: &str| format!("spec.targets[{i}].overrides.{field}");
        if helm {
            for (set, field) in [
                (!o.patches.is_empty(), "patches"),
                (!o.images.is_empty(), "images"),
                (!o.substitute.is_empty(), "substitute"),
                (o.path.is_some(), "path"),
            ] {
                if set {
                    c.push(Cause::forbidden(
                        f(field),
                        "is a Kustomize override; this is a Helm application",
                    ));
                }
            }
            if o.values.as_ref().is_some_and(|v| !v.is_object()) {
                c.push(Cause::invalid(f("values"), "must be an object"));
            }
            if let Some(v) = &o.version {
                c.extend(validation::semver_range(&f("version"), v));
            }
        } else {
            for (set, field) in [
                (o.values.is_some(), "values"),
                (!o.values_from.is_empty(), "valuesFrom"),
                (o.version.is_some(), "version"),
            ] {
                if set {
                    c.push(Cause::forbidden(
                        f(field),
                        "is a Helm override; this is a Kustomize application",
                    ));
                }
            }
            if let Some(p) = &o.path {
                c.extend(path_causes(&f("path"), p));
            }
        }
    }
    for (i, d) in spec.depends_on.iter().enumerate() {
        c.extend(validation::dns1123_subdomain(&format!("spec.dependsOn[{i}]"), d));
        if d == name {
            c.push(Cause::invalid(
                format!("spec.dependsOn[{i}]"),
                "an application cannot depend on itself",
            ));
        }
    }
    c
}

fn path_causes(field: &str, p: &str) -> Vec<Cause> {
    if p.starts_with('/') || p.split('/').any(|s| s == "..") {
        vec![Cause::invalid(
            field,
            "must be a path inside the source, such as ./deploy",
        )]
    } else {
        Vec::new()
    }
}

/// Renders the Flux object of every target. The application must be valid ([`validate`]).
pub fn render(app: &Application) -> Vec<Rendered> {
    let name = app.metadata.name.clone().unwrap_or_default();
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    let spec = &app.spec;
    let interval = spec
        .interval
        .clone()
        .unwrap_or_else(|| DEFAULT_INTERVAL.to_string());
    let owner = app.metadata.uid.as_ref().map(|uid| {
        json!([{"apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application", "name": name, "uid": uid,
                "controller": true, "blockOwnerDeletion": true}])
    });
    spec.targets
        .iter()
        .map(|t| {
            let over = t.overrides.as_ref();
            let child = child_name(&name, &t.cluster);
            let mut s = Map::new();
            s.insert("interval".into(), json!(interval));
            s.insert("targetNamespace".into(), json!(t.namespace));
            s.insert("suspend".into(), json!(t.suspend.unwrap_or(false) || spec.suspend.unwrap_or(false)));
            // Flux applies as the project's own identity, never as itself.
            s.insert("serviceAccountName".into(), json!(super::access::DEPLOYER));
            if t.cluster != HOST {
                s.insert("kubeConfig".into(), json!({"secretRef": {"name": kubeconfig_secret(&t.cluster), "key": "value"}}));
            }
            if !spec.depends_on.is_empty() {
                let deps: Vec<Value> = spec.depends_on.iter().map(|d| json!({"name": child_name(d, &t.cluster)})).collect();
                s.insert("dependsOn".into(), Value::Array(deps));
            }
            let source = json!({"kind": spec.source.kind.as_str(), "name": spec.source.name});
            let (api_version, kind) = if let Some(h) = &spec.helm {
                let mut chart = json!({"chart": h.chart, "sourceRef": source, "interval": interval});
                if let Some(v) = merge::version(h.version.as_deref(), over) {
                    chart["version"] = json!(v);
                }
                s.insert("chart".into(), json!({"spec": chart}));
                s.insert("releaseName".into(), json!(h.release_name.clone().unwrap_or_else(|| name.clone())));
                s.insert("storageNamespace".into(), json!(t.namespace));
                if let Some(v) = merge::values(h.values.as_ref(), over) {
                    s.insert("values".into(), v);
                }
                let from = merge::values_from(&h.values_from, over);
                if !from.is_empty() {
                    s.insert("valuesFrom".into(), Value::Array(from));
                }
                for (field, v) in [("install", &h.install), ("upgrade", &h.upgrade), ("rollback", &h.rollback),
                    ("uninstall", &h.uninstall)]
                {
                    if let Some(v) = v {
                        s.insert(field.into(), v.clone());
                    }
                }
                ("helm.toolkit.fluxcd.io/v2", "HelmRelease")
            } else {
                let k = spec.kustomize.clone().unwrap_or_default();
                s.insert("sourceRef".into(), source);
                s.insert("path".into(), json!(merge::path(k.path.as_deref(), over).unwrap_or_else(|| "./".into())));
                s.insert("prune".into(), json!(k.prune.unwrap_or(true)));
                if let Some(w) = k.wait {
                    s.insert("wait".into(), json!(w));
                }
                let patches = merge::patches(&k.patches, over);
                if !patches.is_empty() {
                    s.insert("patches".into(), serde_json::to_value(patches).unwrap_or_default());
                }
                let images = merge::images(&k.images, over);
                if !images.is_empty() {
                    s.insert("images".into(), serde_json::to_value(images).unwrap_or_default());
                }
                let mut subst = merge::substitute(&k.substitute, over);
                subst.entry(CLUSTER_NAME_VAR.into()).or_insert_with(|| t.cluster.clone());
                s.insert("postBuild".into(), json!({"substitute": subst}));
                ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
            };
            let mut metadata = json!({"name": child, "namespace": ns,
                "labels": {APPLICATION_LABEL: name, CLUSTER_LABEL: t.cluster}});
            if let Some(o) = &owner {
                metadata["ownerReferences"] = o.clone();
            }
            Rendered {
                cluster: t.cluster.clone(),
                namespace: t.namespace.clone(),
                object: json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": Value::Object(s)}),
            }
        })
        .collect()
}

/// One difference between two values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The JSON path, such as `spec.values.replicaCount`.
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub op: String,
    /// The value before, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub old: Option<Value>,
    /// The value after, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub new: Option<Value>,
}

/// The differences from `old` to `new`, by path (objects compared member by member, lists
/// and scalars as a whole), in path order.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => walk(&p, x, y, out),
                    (Some(x), None) => out.push(Change {
                        path: p,
                        op: "removed".into(),
                        old: Some(x.clone()),
                        new: None,
                    }),
                    (None, Some(y)) => out.push(Change {
                        path: p,
                        op: "added".into(),
                        old: None,
                        new: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(Change {
            path: path.to_string(),
            op: "changed".into(),
            old: Some(a.clone()),
            new: Some(b.clone()),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::{HelmSpec, KustomizeSpec, Overrides, Patch, SourceRef, Target};
    use kube::api::ObjectMeta;

    fn app(spec: ApplicationSpec) -> Application {
        Application {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("team-a".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            spec,
            status: None,
        }
    }

    fn target(cluster: &str, overrides: Option<Overrides>) -> Target {
        Target {
            cluster: cluster.into(),
            namespace: "web".into(),
            suspend: None,
            overrides,
        }
    }

    fn helm_spec() -> ApplicationSpec {
        ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::HelmRepository,
                name: "charts".into(),
            },
            helm: Some(HelmSpec {
                chart: "demo-app".into(),
                version: Some("0.x".into()),
                values: Some(json!({"replicaCount": 1, "labels": {"tier": "web"}})),
                ..Default::default()
            }),
            targets: vec![
                target("host", None),
                target(
                    "member-1",
                    Some(Overrides {
                        values: Some(json!({"replicaCount": 3})),
                        version: Some("1.x".into()),
                        ..Default::default()
                    }),
                ),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn helm_targets_render_helm_releases_with_merged_values() {
        let out = render(&app(helm_spec()));
        assert_eq!(out.len(), 2);
        let host = &out[0].object;
        assert_eq!(host["kind"], "HelmRelease");
        assert_eq!(host["metadata"]["name"], "web-host");
        assert_eq!(host["metadata"]["labels"][APPLICATION_LABEL], "web");
        assert_eq!(host["metadata"]["ownerReferences"][0]["uid"], "u1");
        assert!(
            host["spec"].get("kubeConfig").is_none(),
            "host targets need no kubeconfig"
        );
        assert_eq!(
            host["spec"]["values"],
            json!({"replicaCount": 1, "labels": {"tier": "web"}})
        );
        assert_eq!(host["spec"]["chart"]["spec"]["version"], "0.x");
        let member = &out[1].object;
        assert_eq!(
            member["spec"]["kubeConfig"]["secretRef"]["name"],
            "ksflux-kubeconfig-member-1"
        );
        assert_eq!(
            member["spec"]["values"],
            json!({"replicaCount": 3, "labels": {"tier": "web"}})
        );
        assert_eq!(member["spec"]["chart"]["spec"]["version"], "1.x");
        assert_eq!(member["spec"]["targetNamespace"], "web");
        assert_eq!(member["spec"]["releaseName"], "web");
        assert!(validate("web", &helm_spec()).is_empty());
    }

    #[test]
    fn kustomize_targets_get_patches_substitutions_path_and_suspend() {
        let spec = ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::GitRepository,
                name: "repo".into(),
            },
            kustomize: Some(KustomizeSpec {
                path: Some("./base".into()),
                patches: vec![Patch {
                    patch: "base-patch".into(),
                    target: None,
                }],
                substitute: [("greeting".to_string(), "hello".to_string())].into(),
                ..Default::default()
            }),
            targets: vec![
                target("host", None),
                Target {
                    suspend: Some(true),
                    ..target(
                        "member-2",
                        Some(Overrides {
                            patches: vec![Patch {
                                patch: "member-patch".into(),
                                target: None,
                            }],
                            substitute: [("greeting".to_string(), "hi".to_string())].into(),
                            path: Some("./overlays/member-1".into()),
                            ..Default::default()
                        }),
                    )
                },
            ],
            depends_on: vec!["db".into()],
            ..Default::default()
        };
        assert!(validate("web", &spec).is_empty());
        let out = render(&app(spec));
        let host = &out[0].object["spec"];
        assert_eq!(host["path"], "./base");
        assert_eq!(host["prune"], true);
        assert_eq!(
            host["postBuild"]["substitute"],
            json!({"greeting": "hello", "cluster_name": "host"})
        );
        assert_eq!(host["dependsOn"], json!([{"name": "db-host"}]));
        assert_eq!(host["suspend"], false);
        let m = &out[1].object["spec"];
        assert_eq!(m["path"], "./overlays/member-1");
        assert_eq!(
            m["patches"],
            json!([{"patch": "base-patch"}, {"patch": "member-patch"}])
        );
        assert_eq!(m["postBuild"]["substitute"]["greeting"], "hi");
        assert_eq!(m["suspend"], true);
        assert_eq!(out[1].object["kind"], "Kustomization");
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut spec = helm_spec();
        spec.kustomize = Some(KustomizeSpec::default());
        spec.targets.push(target(
            "member-1",
            Some(Overrides {
                path: Some("../x".into()),
                ..Default::default()
            }),
        ));
        spec.targets.push(target("Bad", None));
        spec.interval = Some("soon".into());
        let fields: Vec<String> = validate("web", &spec).into_iter().map(|c| c.field).collect();
        for f in [
            "spec.helm",
            "spec.interval",
            "spec.targets[2].cluster",
            "spec.targets[2].overrides.path",
            "spec.targets[3].cluster",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let mut k = ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::HelmRepository,
                name: "r".into(),
            },
            kustomize: Some(KustomizeSpec::default()),
            targets: vec![target(
                "host",
                Some(Overrides {
                    values: Some(json!({})),
                    ..Default::default()
                }),
            )],
            ..Default::default()
        };
        let fields: Vec<String> = validate("web", &k).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.source.kind", "spec.targets[0].overrides.values"]);
        k.targets.clear();
        assert!(validate("web", &k).iter().any(|c| c.field == "spec.targets"));
    }

    #[test]
    fn diff_lists_changes_by_path() {
        let old = json!({"spec": {"values": {"replicaCount": 1, "a": 1}, "suspend": false}});
        let new = json!({"spec": {"values": {"replicaCount": 3, "b": 2}, "suspend": false}});
        let d = diff(&old, &new);
        let paths: Vec<(&str, &str)> = d.iter().map(|c| (c.path.as_str(), c.op.as_str())).collect();
        assert_eq!(
            paths,
            [
                ("spec.values.a", "removed"),
                ("spec.values.b", "added"),
                ("spec.values.replicaCount", "changed")
            ]
        );
        assert!(diff(&old, &old).is_empty());
    }
}
