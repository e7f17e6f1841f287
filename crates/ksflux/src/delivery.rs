//! Flux deliveries: Kustomization and HelmRelease, served raw (any cluster, any namespace).
//! Multi-cluster applications render these per target.

use serde_json::Value;

use crate::{
    error::Cause,
    kinds::{Action, Family, FluxKind, SourceOf, TlsRef, interval, reference, s, schema_check},
    validation,
};
use ksflux_types::flux;

/// `Kustomization` (kustomize.toolkit.fluxcd.io/v1).
pub static KUSTOMIZATION: FluxKind = FluxKind {
    kind: "Kustomization",
    family: Family::Delivery,
    default_interval: Some("10m"),
    group: "kustomize.toolkit.fluxcd.io",
    version: "v1",
    plural: "kustomizations",
    short: "ks",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: Some(kustomization_source),
    schema: schema_check::<flux::kustomizations::Kustomization>,
    rules: kustomization_rules,
};

/// `HelmRelease` (helm.toolkit.fluxcd.io/v2).
pub static HELM_RELEASE: FluxKind = FluxKind {
    kind: "HelmRelease",
    family: Family::Delivery,
    default_interval: Some("10m"),
    group: "helm.toolkit.fluxcd.io",
    version: "v2",
    plural: "helmreleases",
    short: "hr",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[
        Action::Reconcile,
        Action::Suspend,
        Action::Resume,
        Action::Force,
        Action::Reset,
    ],
    source: Some(helm_release_source),
    schema: schema_check::<flux::helmreleases::HelmRelease>,
    rules: helm_release_rules,
};

fn depends_on(spec: &Value, c: &mut Vec<Cause>) {
    if let Some(deps) = spec.get("dependsOn").and_then(Value::as_array) {
        for (i, d) in deps.iter().enumerate() {
            let name = d.get("name").and_then(Value::as_str).unwrap_or_default();
            c.extend(validation::dns1123_subdomain(
                &format!("spec.dependsOn[{i}].name"),
                name,
            ));
        }
    }
}

fn target_namespace(spec: &Value, c: &mut Vec<Cause>) {
    if let Some(ns) = s(spec, "targetNamespace") {
        c.extend(validation::dns1123_label("spec.targetNamespace", ns));
    }
}

fn kustomization_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    interval(spec, true, &mut c);
    if let Some(v) = s(spec, "retryInterval") {
        c.extend(validation::duration("spec.retryInterval", v));
    }
    let manifests = ["GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"];
    reference(
        spec,
        "sourceRef",
        &manifests,
        "is not a source of manifests",
        &mut c,
    );
    if spec.get("prune").and_then(Value::as_bool).is_none() {
        c.push(Cause::required("spec.prune"));
    }
    if let Some(p) = s(spec, "path")
        && (p.starts_with('/') || p.split('/').any(|seg| seg == ".."))
    {
        c.push(Cause::invalid(
            "spec.path",
            "must be a path inside the source, such as ./deploy",
        ));
    }
    target_namespace(spec, &mut c);
    depends_on(spec, &mut c);
    c
}

fn helm_release_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    interval(spec, true, &mut c);
    let chart = spec.get("chart");
    let chart_ref = spec.get("chartRef");
    match (chart, chart_ref) {
        (Some(_), Some(_)) => c.push(Cause::invalid(
            "spec.chart",
            "set either spec.chart or spec.chartRef, not both",
        )),
        (None, None) => c.push(Cause::required("spec.chart")),
        (Some(ch), None) => {
            if ch
                .pointer("/spec/chart")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .is_empty()
            {
                c.push(Cause::required("spec.chart.spec.chart"));
            }
            match ch.pointer("/spec/sourceRef/kind").and_then(Value::as_str) {
                Some("HelmRepository" | "GitRepository" | "Bucket") => {}
                Some(k) => c.push(Cause::invalid(
                    "spec.chart.spec.sourceRef.kind",
                    format!("{k:?} cannot hold charts; use HelmRepository, GitRepository or Bucket"),
                )),
                None => c.push(Cause::required("spec.chart.spec.sourceRef.kind")),
            }
            if let Some(v) = ch.pointer("/spec/version").and_then(Value::as_str) {
                c.extend(validation::semver_range("spec.chart.spec.version", v));
            }
        }
        (None, Some(r)) => match r.get("kind").and_then(Value::as_str) {
            Some("OCIRepository" | "HelmChart" | "ExternalArtifact") => {}
            Some(k) => c.push(Cause::invalid(
                "spec.chartRef.kind",
                format!("{k:?} cannot be a chartRef; use OCIRepository or HelmChart"),
            )),
            None => c.push(Cause::required("spec.chartRef.kind")),
        },
    }
    if let Some(v) = spec.get("values")
        && !v.is_object()
    {
        c.push(Cause::invalid("spec.values", "must be an object"));
    }
    if let Some(r) = s(spec, "releaseName")
        && (r.len() > 53 || !validation::dns1123_subdomain("x", r).is_empty())
    {
        c.push(Cause::invalid(
            "spec.releaseName",
            "must be a DNS-1123 name of at most 53 characters",
        ));
    }
    target_namespace(spec, &mut c);
    depends_on(spec, &mut c);
    c
}

/// The source a Kustomization reads: `spec.sourceRef`.
fn kustomization_source(obj: &Value) -> Option<SourceOf> {
    let r = obj.pointer("/spec/sourceRef")?;
    Some(SourceOf {
        kind: r.get("kind")?.as_str()?.to_string(),
        name: r.get("name")?.as_str()?.to_string(),
        namespace: r.get("namespace").and_then(Value::as_str).map(str::to_string),
    })
}

/// The source a HelmRelease reads: its `chartRef`, or the HelmChart helm-controller made
/// from its chart template (`<namespace>-<name>` in the chart source's namespace).
fn helm_release_source(obj: &Value) -> Option<SourceOf> {
    if let Some(r) = obj.pointer("/spec/chartRef") {
        return Some(SourceOf {
            kind: r.get("kind")?.as_str()?.to_string(),
            name: r.get("name")?.as_str()?.to_string(),
            namespace: r.get("namespace").and_then(Value::as_str).map(str::to_string),
        });
    }
    let ns = obj.pointer("/metadata/namespace")?.as_str()?;
    let name = obj.pointer("/metadata/name")?.as_str()?;
    let source_ns = obj
        .pointer("/spec/chart/spec/sourceRef/namespace")
        .and_then(Value::as_str);
    Some(SourceOf {
        kind: "HelmChart".into(),
        name: format!("{ns}-{name}"),
        namespace: source_ns.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kustomization_needs_source_prune_and_a_relative_path() {
        let ok = json!({"interval": "5m", "prune": true, "path": "./deploy",
                        "sourceRef": {"kind": "GitRepository", "name": "demo"}});
        assert!(kustomization_rules(&ok).is_empty());
        let bad = json!({"interval": "5m", "path": "../etc", "targetNamespace": "Bad",
                         "sourceRef": {"kind": "HelmRepository"}});
        let fields: Vec<_> = kustomization_rules(&bad).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "spec.sourceRef.kind",
                "spec.sourceRef.name",
                "spec.prune",
                "spec.path",
                "spec.targetNamespace"
            ]
        );
    }

    #[test]
    fn helm_release_needs_one_chart() {
        let ok = json!({"interval": "5m", "chart": {"spec": {"chart": "demo", "version": "1.x",
                        "sourceRef": {"kind": "HelmRepository", "name": "demo"}}}, "values": {"a": 1}});
        assert!(helm_release_rules(&ok).is_empty());
        let both = json!({"interval": "5m", "chart": {}, "chartRef": {"kind": "OCIRepository", "name": "x"}});
        assert_eq!(helm_release_rules(&both)[0].field, "spec.chart");
        let none = json!({"interval": "5m", "values": []});
        let fields: Vec<_> = helm_release_rules(&none).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.chart", "spec.values"]);
    }

    #[test]
    fn sources_of_deliveries() {
        let hr = json!({"metadata": {"name": "web", "namespace": "apps"},
                        "spec": {"chart": {"spec": {"sourceRef": {"kind": "HelmRepository", "name": "r", "namespace": "flux"}}}}});
        let src = helm_release_source(&hr).expect("source");
        assert_eq!(
            (src.kind.as_str(), src.name.as_str(), src.namespace.as_deref()),
            ("HelmChart", "apps-web", Some("flux"))
        );
        let ks = json!({"spec": {"sourceRef": {"kind": "GitRepository", "name": "g"}}});
        assert_eq!(kustomization_source(&ks).map(|s| s.name), Some("g".to_string()));
    }
}
