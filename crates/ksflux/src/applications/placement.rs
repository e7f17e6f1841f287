//! Fleet targeting: which clusters an application deploys to, and with which overrides.
//!
//! An application's targets are its explicit `spec.targets` plus, with `spec.placement`,
//! every registered cluster whose labels its selector matches (in `placement.namespace`,
//! minus `placement.exclude`). A cluster named by a target and selected by the placement is
//! a conflict, reported on both fields. Then `spec.layers` apply in order to every target
//! whose cluster they select, under the target's own overrides ([`super::merge::stack`]).
//! [`resolve`] gives the application as the controller renders it: every target explicit,
//! with its stacked overrides. Pure: the cluster labels are an argument.

use std::collections::BTreeMap;

use super::{Application, Overrides, Target, merge};
use crate::error::Cause;

/// Every cluster's labels, by cluster name.
pub type ClusterLabels = BTreeMap<String, BTreeMap<String, String>>;

/// An application with its targets resolved, and which layers applied where.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The application, every target explicit and carrying its stacked overrides.
    pub app: Application,
    /// How many of the targets are the explicit ones (the rest come from the placement).
    pub explicit: usize,
    /// The names of the layers applied to each cluster, in order.
    pub layers: BTreeMap<String, Vec<String>>,
}

/// The name of layer `i`.
fn layer_name(app: &Application, i: usize) -> String {
    app.spec
        .layers
        .get(i)
        .and_then(|l| l.name.clone())
        .unwrap_or_else(|| format!("layers[{i}]"))
}

/// Resolves `app`'s targets with the clusters' labels; `Err` names the conflicts.
pub fn resolve(app: &Application, labels: &ClusterLabels) -> Result<Resolved, Vec<Cause>> {
    let spec = &app.spec;
    let mut targets: Vec<Target> = spec.targets.clone();
    let explicit = targets.len();
    let mut causes = Vec::new();
    if let Some(p) = &spec.placement {
        for (cluster, l) in labels {
            if p.exclude.contains(cluster) || !p.cluster_selector.matches(l) {
                continue;
            }
            if let Some(i) = spec.targets.iter().position(|t| &t.cluster == cluster) {
                causes.push(Cause::invalid(
                    "spec.placement.clusterSelector",
                    format!(
                        "selects cluster {cluster:?}, which spec.targets[{i}] names too; exclude it \
                         (spec.placement.exclude) or remove the target"
                    ),
                ));
                continue;
            }
            targets.push(Target {
                cluster: cluster.clone(),
                namespace: p.namespace.clone(),
                suspend: None,
                overrides: None,
            });
        }
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    let mut applied = BTreeMap::new();
    for t in &mut targets {
        let Some(l) = labels.get(&t.cluster) else {
            continue;
        };
        let mut names = Vec::new();
        let mut stacked: Option<Overrides> = None;
        for (i, layer) in spec.layers.iter().enumerate() {
            if layer.cluster_selector.matches(l) {
                names.push(layer_name(app, i));
                stacked = Some(match stacked {
                    Some(below) => merge::stack(&below, &layer.overrides),
                    None => layer.overrides.clone(),
                });
            }
        }
        if let Some(layers) = stacked {
            t.overrides = Some(match &t.overrides {
                Some(own) => merge::stack(&layers, own),
                None => layers,
            });
        }
        applied.insert(t.cluster.clone(), names);
    }
    let mut app = app.clone();
    app.spec.targets = targets;
    Ok(Resolved {
        app,
        explicit,
        layers: applied,
    })
}

/// Keeps the placed targets of clusters that left the registry: with a placement, a cluster
/// that still has a child (`child_clusters`) but is no longer registered stays a target, in
/// the placement's namespace, so its child is suspended rather than deleted and pruned — a
/// cluster leaving the registry is not a decision to undeploy from it.
pub fn keep_departed<'a>(
    app: &mut Application,
    child_clusters: impl IntoIterator<Item = &'a str>,
    registered: &ClusterLabels,
) {
    let Some(namespace) = app.spec.placement.as_ref().map(|p| p.namespace.clone()) else {
        return;
    };
    for cluster in child_clusters {
        if registered.contains_key(cluster) || app.spec.targets.iter().any(|t| t.cluster == cluster) {
            continue;
        }
        app.spec.targets.push(Target {
            cluster: cluster.to_string(),
            namespace: namespace.clone(),
            suspend: None,
            overrides: None,
        });
    }
}

/// Where a target deploys: a cluster and a namespace there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The cluster.
    pub cluster: String,
    /// The namespace in it.
    pub namespace: String,
}

/// Where `app`'s targets deploy, the placement's clusters included (explicit targets only,
/// when it conflicts): [`resolve`]'s targets without their overrides, and without copying
/// the application (the controller asks this of every application of a project).
pub fn targets_of(app: &Application, labels: &ClusterLabels) -> Vec<Place> {
    let spec = &app.spec;
    let mut out: Vec<Place> = spec
        .targets
        .iter()
        .map(|t| Place {
            cluster: t.cluster.clone(),
            namespace: t.namespace.clone(),
        })
        .collect();
    if let Some(p) = &spec.placement {
        let selected: Vec<&String> = labels
            .iter()
            .filter(|(c, l)| !p.exclude.contains(*c) && p.cluster_selector.matches(l))
            .map(|(c, _)| c)
            .collect();
        if !selected
            .iter()
            .any(|c| spec.targets.iter().any(|t| &t.cluster == *c))
        {
            out.extend(selected.into_iter().map(|c| Place {
                cluster: c.clone(),
                namespace: p.namespace.clone(),
            }));
        }
    }
    out
}

/// The application field a resolved target comes from: `spec.targets[i]` for an explicit
/// one, `spec.placement` for a selected one.
pub fn target_field(resolved: &Resolved, i: usize) -> String {
    if i < resolved.explicit {
        format!("spec.targets[{i}]")
    } else {
        "spec.placement".to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::applications::ApplicationSpec;

    fn labels(pairs: &[(&str, &[(&str, &str)])]) -> ClusterLabels {
        pairs
            .iter()
            .map(|(c, l)| {
                let mut m: BTreeMap<String, String> =
                    l.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                m.insert("fluxcd.kubesphere.io/cluster".into(), c.to_string());
                (c.to_string(), m)
            })
            .collect()
    }

    fn app(spec: serde_json::Value) -> Application {
        let spec: ApplicationSpec = serde_json::from_value(spec).expect("spec");
        let mut a = Application::new("web", spec);
        a.metadata.namespace = Some("shop".into());
        a
    }

    fn fleet() -> ClusterLabels {
        labels(&[
            ("host", &[]),
            ("m1", &[("env", "staging")]),
            ("m2", &[("env", "production"), ("region", "eu")]),
            ("m3", &[("env", "production"), ("region", "us")]),
            ("m4", &[("env", "staging")]),
        ])
    }

    #[test]
    fn a_placement_selects_clusters_by_labels_minus_the_excluded() {
        let a = app(
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {"path": "./"},
            "targets": [{"cluster": "host", "namespace": "web"}],
            "placement": {"clusterSelector": {"matchLabels": {"env": "staging"}}, "namespace": "web", "exclude": ["m4"]}}),
        );
        let r = resolve(&a, &fleet()).expect("resolved");
        let clusters: Vec<&str> = r.app.spec.targets.iter().map(|t| t.cluster.as_str()).collect();
        assert_eq!(clusters, ["host", "m1"]);
        assert_eq!(r.explicit, 1);
        assert_eq!(target_field(&r, 1), "spec.placement");
        let by_name = app(
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "placement": {"clusterSelector": {"matchExpressions": [
                {"key": "fluxcd.kubesphere.io/cluster", "operator": "In", "values": ["m2", "m3"]}]}, "namespace": "web"}}),
        );
        let r = resolve(&by_name, &fleet()).expect("resolved");
        let clusters: Vec<&str> = r.app.spec.targets.iter().map(|t| t.cluster.as_str()).collect();
        assert_eq!(clusters, ["m2", "m3"]);
    }

    #[test]
    fn a_placed_cluster_that_left_the_registry_keeps_its_target() {
        let a = app(
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "placement": {"clusterSelector": {"matchLabels": {"env": "staging"}}, "namespace": "web"}}),
        );
        let mut fleet = fleet();
        fleet.remove("m4");
        let mut r = resolve(&a, &fleet).expect("resolved").app;
        // m4 left with a child; m2 (registered, not selected) and m1 (a target) are unchanged.
        keep_departed(&mut r, ["m1", "m2", "m4"], &fleet);
        let clusters: Vec<(&str, &str)> = r
            .spec
            .targets
            .iter()
            .map(|t| (t.cluster.as_str(), t.namespace.as_str()))
            .collect();
        assert_eq!(clusters, [("m1", "web"), ("m4", "web")]);
        // Without a placement, targets are only what the spec names.
        let mut plain = app(json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {}}));
        keep_departed(&mut plain, ["m4"], &fleet);
        assert!(plain.spec.targets.is_empty());
    }

    #[test]
    fn targets_of_is_where_the_resolved_targets_deploy() {
        let specs = [
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "targets": [{"cluster": "host", "namespace": "web"}],
            "placement": {"clusterSelector": {"matchLabels": {"env": "staging"}}, "namespace": "apps", "exclude": ["m4"]}}),
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "targets": [{"cluster": "m2", "namespace": "web"}, {"cluster": "m9", "namespace": "x"}]}),
            // A conflict: the explicit targets only.
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "targets": [{"cluster": "m1", "namespace": "web"}],
            "placement": {"clusterSelector": {"matchLabels": {"env": "staging"}}, "namespace": "apps"}}),
        ];
        for spec in specs {
            let a = app(spec);
            let resolved = match resolve(&a, &fleet()) {
                Ok(r) => r.app.spec.targets,
                Err(_) => a.spec.targets.clone(),
            };
            let expected: Vec<Place> = resolved
                .into_iter()
                .map(|t| Place {
                    cluster: t.cluster,
                    namespace: t.namespace,
                })
                .collect();
            assert_eq!(targets_of(&a, &fleet()), expected);
        }
    }

    #[test]
    fn a_cluster_both_named_and_selected_is_a_conflict_naming_both() {
        let a = app(
            json!({"source": {"kind": "GitRepository", "name": "s"}, "kustomize": {},
            "targets": [{"cluster": "host", "namespace": "web"}, {"cluster": "m1", "namespace": "web"}],
            "placement": {"clusterSelector": {"matchLabels": {"env": "staging"}}, "namespace": "web"}}),
        );
        let causes = resolve(&a, &fleet()).expect_err("conflict");
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].field, "spec.placement.clusterSelector");
        assert!(causes[0].message.contains("\"m1\"") && causes[0].message.contains("spec.targets[1]"));
    }

    #[test]
    fn layers_apply_in_order_under_the_targets_own_overrides() {
        let a = app(
            json!({"source": {"kind": "HelmRepository", "name": "s"}, "helm": {"chart": "demo"},
            "targets": [{"cluster": "m2", "namespace": "web", "overrides": {"values": {"replicas": 5}}}],
            "placement": {"clusterSelector": {"matchLabels": {"env": "production"}}, "namespace": "web", "exclude": ["m2"]},
            "layers": [
                {"name": "production", "clusterSelector": {"matchLabels": {"env": "production"}},
                 "overrides": {"values": {"replicas": 3, "tier": "prod"}}},
                {"clusterSelector": {"matchLabels": {"region": "eu"}},
                 "overrides": {"values": {"hosts": ["eu.example.com"]}}}
            ]}),
        );
        let r = resolve(&a, &fleet()).expect("resolved");
        let values = |c: &str| {
            r.app
                .spec
                .targets
                .iter()
                .find(|t| t.cluster == c)
                .and_then(|t| t.overrides.clone())
                .and_then(|o| o.values)
        };
        assert_eq!(
            values("m2"),
            Some(json!({"replicas": 5, "tier": "prod", "hosts": ["eu.example.com"]}))
        );
        assert_eq!(values("m3"), Some(json!({"replicas": 3, "tier": "prod"})));
        assert_eq!(r.layers["m2"], ["production", "layers[1]"]);
        assert_eq!(r.layers["m3"], ["production"]);
    }
}
