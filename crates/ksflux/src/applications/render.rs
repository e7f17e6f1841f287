//! Rendering: an Application becomes one Flux object per target, in the application's
//! namespace on the host (hub mode). Members are reached through a scoped kubeconfig Secret
//! (`spec.kubeConfig.secretRef`); host targets need none. Every object runs as the project's
//! ServiceAccount (`spec.serviceAccountName`, see `access`). Objects are built as the Flux
//! types generated from Flux's CRDs. Also the validation of an application spec (with the
//! rules of Flux's CRDs those types do not carry) and the difference between two renderings.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use ksflux_types::flux::{helmreleases as hr, kustomizations as ks};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    APPLICATION_LABEL, Application, ApplicationSpec, CLUSTER_LABEL, HelmSpec, KustomizeSpec, LabelSelector,
    Overrides, SourceKind, Target, merge,
};
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
    /// The label layers (`spec.layers`) applied to this target, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
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
        helm_causes(h, &mut c);
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
        kustomize_causes(k, &mut c);
    }
    if let Some(i) = &spec.interval {
        c.extend(validation::duration("spec.interval", i));
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
        if let Some(o) = &t.overrides {
            override_causes(&format!("spec.targets[{i}].overrides"), helm, o, &mut c);
        }
    }
    if spec.targets.is_empty() && spec.placement.is_none() {
        c.push(Cause::required("spec.targets"));
    }
    if let Some(p) = &spec.placement {
        c.extend(validation::dns1123_label(
            "spec.placement.namespace",
            &p.namespace,
        ));
        let sel = &p.cluster_selector;
        if sel.match_labels.is_empty() && sel.match_expressions.is_empty() {
            c.push(Cause::required("spec.placement.clusterSelector"));
        }
        selector_causes("spec.placement.clusterSelector", sel, &mut c);
    }
    for (i, l) in spec.layers.iter().enumerate() {
        let sel = &l.cluster_selector;
        if sel.match_labels.is_empty() && sel.match_expressions.is_empty() {
            c.push(Cause::required(format!("spec.layers[{i}].clusterSelector")));
        }
        selector_causes(&format!("spec.layers[{i}].clusterSelector"), sel, &mut c);
        override_causes(&format!("spec.layers[{i}].overrides"), helm, &l.overrides, &mut c);
    }
    image_causes(spec, helm, &mut c);
    super::rollout::causes(spec, &mut c);
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

/// Checks one set of overrides (a target's or a layer's), its fields under `at`.
/// The rules of `spec.images`: a policy name, and the place the tag goes in the
/// application's kind (a values path for Helm, an image name for Kustomize).
fn image_causes(spec: &ApplicationSpec, helm: bool, c: &mut Vec<Cause>) {
    let mut policies = BTreeSet::new();
    for (i, a) in spec.images.iter().enumerate() {
        let f = |field: &str| format!("spec.images[{i}].{field}");
        c.extend(validation::dns1123_subdomain(&f("policy"), &a.policy));
        if !policies.insert(a.policy.as_str()) {
            c.push(Cause::invalid(
                f("policy"),
                format!("policy {:?} is automated twice", a.policy),
            ));
        }
        let (path, image) = (a.values_path.as_deref(), a.image.as_deref());
        let (wanted, other, what) = if helm {
            (
                ("valuesPath", path),
                ("image", image),
                "a Helm application sets valuesPath, not image",
            )
        } else {
            (
                ("image", image),
                ("valuesPath", path),
                "a Kustomize application sets image, not valuesPath",
            )
        };
        match wanted.1 {
            None | Some("") => c.push(Cause::required(f(wanted.0))),
            Some(p) if helm && (!target_path_ok(p) || p.contains('[')) => c.push(Cause::invalid(
                f("valuesPath"),
                "must be a dot path into the values, such as image.tag",
            )),
            Some(_) => {}
        }
        if other.1.is_some() {
            c.push(Cause::invalid(f(other.0), what));
        }
        for (cluster, tag) in &a.tags {
            c.extend(validation::dns1123_label(&f("tags"), cluster));
            if tag.is_empty()
                || tag.len() > 128
                || !tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                c.push(Cause::invalid(
                    format!("spec.images[{i}].tags.{cluster}"),
                    "not an image tag",
                ));
            }
        }
        for (j, m) in a.manual.iter().enumerate() {
            c.extend(validation::dns1123_label(
                &format!("spec.images[{i}].manual[{j}]"),
                m,
            ));
        }
    }
}

fn override_causes(at: &str, helm: bool, o: &Overrides, c: &mut Vec<Cause>) {
    let f = |field: &str| format!("{at}.{field}");
    durations(c, &[(f("timeout"), o.timeout.as_deref())]);
    if o.max_history.is_some_and(|m| m < 0) {
        c.push(Cause::invalid(f("maxHistory"), "must be 0 (unlimited) or more"));
    }
    if helm {
        for (set, field) in [
            (!o.patches.is_empty(), "patches"),
            (!o.images.is_empty(), "images"),
            (!o.substitute.is_empty(), "substitute"),
            (!o.substitute_from.is_empty(), "substituteFrom"),
            (o.path.is_some(), "path"),
            (o.components.is_some(), "components"),
            (o.force.is_some(), "force"),
            (o.name_prefix.is_some(), "namePrefix"),
            (o.name_suffix.is_some(), "nameSuffix"),
        ] {
            if set {
                c.push(Cause::forbidden(
                    f(field),
                    "is a Kustomize override; this is a Helm application",
                ));
            }
        }
        if let Some(test) = &o.test {
            durations(c, &[(f("test.timeout"), test.timeout.as_deref())]);
        }
        post_renderer_causes(&f("postRenderers"), &o.post_renderers, c);
        values_from_causes(&f("valuesFrom"), &o.values_from, c);
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
            (o.test.is_some(), "test"),
            (o.drift_detection.is_some(), "driftDetection"),
            (!o.post_renderers.is_empty(), "postRenderers"),
            (o.max_history.is_some(), "maxHistory"),
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
        kustomize_name_causes(
            &f,
            &o.substitute_from,
            o.name_prefix.as_deref(),
            o.name_suffix.as_deref(),
            c,
        );
    }
}

/// Checks a label selector's requirements.
fn selector_causes(at: &str, sel: &LabelSelector, c: &mut Vec<Cause>) {
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let f = format!("{at}.matchExpressions[{i}]");
        match e.operator.as_str() {
            "In" | "NotIn" if e.values.is_empty() => {
                c.push(Cause::required(format!("{f}.values")));
            }
            "Exists" | "DoesNotExist" if !e.values.is_empty() => {
                c.push(Cause::invalid(
                    format!("{f}.values"),
                    "must be empty for Exists and DoesNotExist",
                ));
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => c.push(Cause::invalid(
                format!("{f}.operator"),
                format!("{other:?} is not In, NotIn, Exists or DoesNotExist"),
            )),
        }
    }
}

/// Checks each set duration.
fn durations(c: &mut Vec<Cause>, fields: &[(String, Option<&str>)]) {
    for (field, v) in fields {
        if let Some(v) = v {
            c.extend(validation::duration(field, v));
        }
    }
}

/// The rules of the Helm options the generated types cannot state.
fn helm_causes(h: &HelmSpec, c: &mut Vec<Cause>) {
    let f = |field: &str| format!("spec.helm.{field}");
    durations(
        c,
        &[
            (f("timeout"), h.timeout.as_deref()),
            (
                f("test.timeout"),
                h.test.as_ref().and_then(|t| t.timeout.as_deref()),
            ),
            (
                f("install.timeout"),
                h.install.as_ref().and_then(|i| i.timeout.as_deref()),
            ),
            (
                f("install.strategy.retryInterval"),
                h.install
                    .as_ref()
                    .and_then(|i| i.strategy.as_ref())
                    .and_then(|s| s.retry_interval.as_deref()),
            ),
            (
                f("upgrade.timeout"),
                h.upgrade.as_ref().and_then(|u| u.timeout.as_deref()),
            ),
            (
                f("upgrade.strategy.retryInterval"),
                h.upgrade
                    .as_ref()
                    .and_then(|u| u.strategy.as_ref())
                    .and_then(|s| s.retry_interval.as_deref()),
            ),
            (
                f("rollback.timeout"),
                h.rollback.as_ref().and_then(|r| r.timeout.as_deref()),
            ),
            (
                f("uninstall.timeout"),
                h.uninstall.as_ref().and_then(|u| u.timeout.as_deref()),
            ),
        ],
    );
    if h.max_history.is_some_and(|m| m < 0) {
        c.push(Cause::invalid(f("maxHistory"), "must be 0 (unlimited) or more"));
    }
    if let Some(r) = &h.release_name
        && !(1..=53).contains(&r.len())
    {
        c.push(Cause::invalid(f("releaseName"), "must be 1 to 53 characters"));
    }
    // Flux's CRD rules on the strategies (CEL rules the generated types do not carry).
    if let Some(s) = h.install.as_ref().and_then(|i| i.strategy.as_ref())
        && s.retry_interval.is_some()
        && matches!(s.name, hr::HelmReleaseInstallStrategyName::RemediateOnFailure)
    {
        c.push(Cause::invalid(
            f("install.strategy.retryInterval"),
            "cannot be set when the strategy is RemediateOnFailure",
        ));
    }
    if let Some(s) = h.upgrade.as_ref().and_then(|u| u.strategy.as_ref())
        && s.retry_interval.is_some()
        && !matches!(s.name, hr::HelmReleaseUpgradeStrategyName::RetryOnFailure)
    {
        c.push(Cause::invalid(
            f("upgrade.strategy.retryInterval"),
            "can only be set when the strategy is RetryOnFailure",
        ));
    }
    for (i, t) in h.test.iter().flat_map(|t| t.filters.iter().flatten()).enumerate() {
        if t.name.is_empty() || t.name.len() > 253 {
            c.push(Cause::invalid(
                f(&format!("test.filters[{i}].name")),
                "must be 1 to 253 characters",
            ));
        }
    }
    values_from_causes(&f("valuesFrom"), &h.values_from, c);
    if let Some(s) = h.verify.as_ref().and_then(|v| v.secret_ref.as_ref()) {
        c.extend(validation::dns1123_subdomain(
            &f("verify.secretRef.name"),
            &s.name,
        ));
    }
    post_renderer_causes(&f("postRenderers"), &h.post_renderers, c);
}

/// Flux's rules on `valuesFrom` entries: a ConfigMap or Secret name, a key and a target path
/// of the characters Flux takes.
fn values_from_causes(field: &str, from: &[hr::HelmReleaseValuesFrom], c: &mut Vec<Cause>) {
    for (i, v) in from.iter().enumerate() {
        c.extend(validation::dns1123_subdomain(
            &format!("{field}[{i}].name"),
            &v.name,
        ));
        if let Some(k) = &v.values_key
            && (k.is_empty()
                || k.len() > 253
                || !k
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-._".contains(ch)))
        {
            c.push(Cause::invalid(
                format!("{field}[{i}].valuesKey"),
                "must be a key of letters, digits, '-', '.' or '_'",
            ));
        }
        if let Some(p) = &v.target_path
            && !target_path_ok(p)
        {
            c.push(Cause::invalid(
                format!("{field}[{i}].targetPath"),
                "must be a values path such as image.tag or hosts[0]",
            ));
        }
    }
}

/// Flux's pattern of a `valuesFrom` target path: `([a-zA-Z0-9_\-.\\/]|\[[0-9]{1,5}\])+`, at
/// most 250 characters.
fn target_path_ok(p: &str) -> bool {
    if p.is_empty() || p.len() > 250 {
        return false;
    }
    let mut rest = p;
    while let Some(ch) = rest.chars().next() {
        if ch == '[' {
            let Some(end) = rest.find(']') else { return false };
            let digits = &rest[1..end];
            if !(1..=5).contains(&digits.len()) || !digits.bytes().all(|d| d.is_ascii_digit()) {
                return false;
            }
            rest = &rest[end + 1..];
        } else if ch.is_ascii_alphanumeric() || "_-./\\".contains(ch) {
            rest = &rest[1..];
        } else {
            return false;
        }
    }
    true
}

fn post_renderer_causes(field: &str, post_renderers: &[hr::HelmReleasePostRenderers], c: &mut Vec<Cause>) {
    for (i, r) in post_renderers.iter().enumerate() {
        let patches = r
            .kustomize
            .as_ref()
            .and_then(|k| k.patches.as_deref())
            .unwrap_or_default();
        for (j, p) in patches.iter().enumerate() {
            if p.patch.trim().is_empty() {
                c.push(Cause::required(format!(
                    "{field}[{i}].kustomize.patches[{j}].patch"
                )));
            }
        }
    }
}

/// The rules of the Kustomize options the generated types cannot state. References name
/// objects in the application's namespace only (Flux's own fields have no namespace), and the
/// decryption runs as no other ServiceAccount than the project's.
fn kustomize_causes(k: &KustomizeSpec, c: &mut Vec<Cause>) {
    let f = |field: &str| format!("spec.kustomize.{field}");
    durations(
        c,
        &[
            (f("timeout"), k.timeout.as_deref()),
            (f("retryInterval"), k.retry_interval.as_deref()),
        ],
    );
    kustomize_name_causes(
        &f,
        &k.substitute_from,
        k.name_prefix.as_deref(),
        k.name_suffix.as_deref(),
        c,
    );
    if let Some(d) = &k.decryption {
        if let Some(s) = &d.secret_ref {
            c.extend(validation::dns1123_subdomain(
                &f("decryption.secretRef.name"),
                &s.name,
            ));
        }
        if d.service_account_name.is_some() {
            c.push(Cause::forbidden(
                f("decryption.serviceAccountName"),
                "ksflux chooses the identity Flux runs as; use decryption.secretRef",
            ));
        }
    }
    for (i, p) in k.components.iter().enumerate() {
        if p.trim().is_empty() || p.starts_with('/') {
            c.push(Cause::invalid(
                f(&format!("components[{i}]")),
                "must be a path relative to the Kustomize path",
            ));
        }
    }
}

/// Flux's rules on substitution references and name affixes (base or a target's).
fn kustomize_name_causes(
    f: &dyn Fn(&str) -> String,
    substitute_from: &[ks::KustomizationPostBuildSubstituteFrom],
    prefix: Option<&str>,
    suffix: Option<&str>,
    c: &mut Vec<Cause>,
) {
    for (i, s) in substitute_from.iter().enumerate() {
        c.extend(validation::dns1123_subdomain(
            &f(&format!("substituteFrom[{i}].name")),
            &s.name,
        ));
    }
    for (field, v) in [("namePrefix", prefix), ("nameSuffix", suffix)] {
        if v.is_some_and(|v| !(1..=200).contains(&v.len())) {
            c.push(Cause::invalid(f(field), "must be 1 to 200 characters"));
        }
    }
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
    let owner = app.metadata.uid.as_ref().map(|uid| OwnerReference {
        api_version: "fluxcd.kubesphere.io/v1alpha1".into(),
        kind: "Application".into(),
        name: name.clone(),
        uid: uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    });
    spec.targets
        .iter()
        .map(|t| {
            let metadata = ObjectMeta {
                name: Some(child_name(&name, &t.cluster)),
                namespace: Some(ns.clone()),
                labels: Some(BTreeMap::from([
                    (APPLICATION_LABEL.to_string(), name.clone()),
                    (CLUSTER_LABEL.to_string(), t.cluster.clone()),
                ])),
                owner_references: owner.clone().map(|o| vec![o]),
                ..Default::default()
            };
            let common = Common {
                interval: interval.clone(),
                suspend: t.suspend.unwrap_or(false) || spec.suspend.unwrap_or(false),
                // Flux applies as the project's own identity, never as itself.
                service_account: super::access::DEPLOYER.to_string(),
                // Members are reached through the project's scoped kubeconfig.
                kubeconfig: (t.cluster != HOST).then(|| kubeconfig_secret(&t.cluster)),
                depends_on: spec
                    .depends_on
                    .iter()
                    .map(|d| child_name(d, &t.cluster))
                    .collect(),
            };
            let object = match (&spec.helm, &spec.kustomize) {
                (Some(h), _) => {
                    let object = hr::HelmRelease {
                        metadata,
                        spec: helm_release(&name, spec, h, t, common),
                        status: None,
                    };
                    serde_json::to_value(object).unwrap_or_default()
                }
                (None, k) => {
                    let object = ks::Kustomization {
                        metadata,
                        spec: kustomization(spec, &k.clone().unwrap_or_default(), t, common),
                        status: None,
                    };
                    serde_json::to_value(object).unwrap_or_default()
                }
            };
            Rendered {
                cluster: t.cluster.clone(),
                namespace: t.namespace.clone(),
                object,
                layers: Vec::new(),
            }
        })
        .collect()
}

/// What every rendered object gets from ksflux rather than from the application's options.
struct Common {
    interval: String,
    suspend: bool,
    service_account: String,
    /// The kubeconfig Secret of a member target.
    kubeconfig: Option<String>,
    /// The rendered objects this one waits for.
    depends_on: Vec<String>,
}

/// `None` for an empty list (Flux's optional lists are left out when empty).
fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// The HelmRelease spec of a target. Every field is named, so a field Flux adds is a
/// compile error here until it is decided whether users or ksflux set it.
fn helm_release(
    name: &str,
    spec: &ApplicationSpec,
    h: &HelmSpec,
    t: &Target,
    c: Common,
) -> hr::HelmReleaseSpec {
    let over = t.overrides.as_ref();
    let chart_source = match spec.source.kind {
        SourceKind::HelmRepository => Some(hr::HelmReleaseChartSpecSourceRefKind::HelmRepository),
        SourceKind::GitRepository => Some(hr::HelmReleaseChartSpecSourceRefKind::GitRepository),
        SourceKind::Bucket => Some(hr::HelmReleaseChartSpecSourceRefKind::Bucket),
        // A chart in an OCIRepository is a `chartRef` (`validate` asks for a HelmRepository
        // of type oci instead).
        SourceKind::OciRepository => None,
    };
    let (chart, chart_ref) = if let Some(source_kind) = chart_source {
        let chart = hr::HelmReleaseChart {
            metadata: None,
            spec: hr::HelmReleaseChartSpec {
                chart: h.chart.clone(),
                ignore_missing_values_files: h.ignore_missing_values_files,
                interval: Some(c.interval.clone()),
                reconcile_strategy: h.reconcile_strategy.clone(),
                source_ref: hr::HelmReleaseChartSpecSourceRef {
                    api_version: None,
                    kind: source_kind,
                    name: spec.source.name.clone(),
                    namespace: None,
                },
                values_files: non_empty(h.values_files.clone()),
                verify: h.verify.clone(),
                version: merge::version(h.version.as_deref(), over),
            },
        };
        (Some(chart), None)
    } else {
        let chart_ref = hr::HelmReleaseChartRef {
            api_version: None,
            kind: hr::HelmReleaseChartRefKind::OciRepository,
            name: spec.source.name.clone(),
            namespace: None,
        };
        (None, Some(chart_ref))
    };
    hr::HelmReleaseSpec {
        chart,
        chart_ref,
        common_metadata: h.common_metadata.clone(),
        depends_on: non_empty(
            c.depends_on
                .into_iter()
                .map(|name| hr::HelmReleaseDependsOn {
                    name,
                    namespace: None,
                    ready_expr: None,
                })
                .collect(),
        ),
        drift_detection: merge::replace(
            h.drift_detection.as_ref(),
            over.and_then(|o| o.drift_detection.as_ref()),
        ),
        health_check_exprs: non_empty(h.health_check_exprs.clone()),
        install: h.install.clone(),
        interval: c.interval,
        kube_config: c.kubeconfig.map(|name| hr::HelmReleaseKubeConfig {
            config_map_ref: None,
            secret_ref: Some(hr::HelmReleaseKubeConfigSecretRef {
                key: Some("value".into()),
                name,
            }),
        }),
        max_history: merge::replace(h.max_history.as_ref(), over.and_then(|o| o.max_history.as_ref())),
        persistent_client: h.persistent_client,
        post_render_strategy: h.post_render_strategy.clone(),
        post_renderers: non_empty(merge::append(
            &h.post_renderers,
            over.map(|o| o.post_renderers.as_slice()),
        )),
        release_name: Some(h.release_name.clone().unwrap_or_else(|| name.to_string())),
        rollback: h.rollback.clone(),
        service_account_name: Some(c.service_account),
        storage_namespace: Some(t.namespace.clone()),
        suspend: Some(c.suspend),
        target_namespace: Some(t.namespace.clone()),
        test: merge::replace(h.test.as_ref(), over.and_then(|o| o.test.as_ref())),
        timeout: merge::replace(h.timeout.as_ref(), over.and_then(|o| o.timeout.as_ref())),
        uninstall: h.uninstall.clone(),
        upgrade: h.upgrade.clone(),
        values: merge::image_values(merge::values(h.values.as_ref(), over), &spec.images, &t.cluster),
        values_from: non_empty(merge::values_from(&h.values_from, over)),
        wait_strategy: h.wait_strategy.clone(),
    }
}

/// The Kustomization spec of a target. Every field is named, so a field Flux adds is a
/// compile error here until it is decided whether users or ksflux set it.
fn kustomization(spec: &ApplicationSpec, k: &KustomizeSpec, t: &Target, c: Common) -> ks::KustomizationSpec {
    let over = t.overrides.as_ref();
    let source_kind = match spec.source.kind {
        SourceKind::GitRepository => ks::KustomizationSourceRefKind::GitRepository,
        SourceKind::OciRepository => ks::KustomizationSourceRefKind::OciRepository,
        SourceKind::Bucket => ks::KustomizationSourceRefKind::Bucket,
        // Refused by `validate`: a HelmRepository holds charts, not manifests.
        SourceKind::HelmRepository => ks::KustomizationSourceRefKind::GitRepository,
    };
    let mut substitute = merge::substitute(&k.substitute, over);
    substitute
        .entry(CLUSTER_NAME_VAR.into())
        .or_insert_with(|| t.cluster.clone());
    let components = merge::replace(
        non_empty(k.components.clone()).as_ref(),
        over.and_then(|o| o.components.as_ref()),
    );
    ks::KustomizationSpec {
        build_metadata: non_empty(k.build_metadata.clone()),
        common_metadata: k.common_metadata.clone(),
        components: components.and_then(non_empty),
        decryption: k.decryption.clone(),
        deletion_policy: k.deletion_policy.clone(),
        depends_on: non_empty(
            c.depends_on
                .into_iter()
                .map(|name| ks::KustomizationDependsOn {
                    name,
                    namespace: None,
                    ready_expr: None,
                })
                .collect(),
        ),
        force: merge::replace(k.force.as_ref(), over.and_then(|o| o.force.as_ref())),
        health_check_exprs: non_empty(k.health_check_exprs.clone()),
        health_checks: non_empty(k.health_checks.clone()),
        ignore: non_empty(k.ignore.clone()),
        ignore_missing_components: k.ignore_missing_components,
        images: non_empty(
            merge::image_tags(merge::images(&k.images, over), &spec.images, &t.cluster)
                .into_iter()
                .map(|i| ks::KustomizationImages {
                    digest: i.digest,
                    name: i.name,
                    new_name: i.new_name,
                    new_tag: i.new_tag,
                })
                .collect(),
        ),
        interval: c.interval,
        kube_config: c.kubeconfig.map(|name| ks::KustomizationKubeConfig {
            config_map_ref: None,
            secret_ref: Some(ks::KustomizationKubeConfigSecretRef {
                key: Some("value".into()),
                name,
            }),
        }),
        name_prefix: merge::replace(k.name_prefix.as_ref(), over.and_then(|o| o.name_prefix.as_ref())),
        name_suffix: merge::replace(k.name_suffix.as_ref(), over.and_then(|o| o.name_suffix.as_ref())),
        patches: non_empty(
            merge::patches(&k.patches, over)
                .into_iter()
                .map(|p| ks::KustomizationPatches {
                    patch: p.patch,
                    target: p.target,
                })
                .collect(),
        ),
        path: Some(merge::path(k.path.as_deref(), over).unwrap_or_else(|| "./".into())),
        post_build: Some(ks::KustomizationPostBuild {
            substitute: Some(substitute),
            substitute_from: non_empty(merge::append(
                &k.substitute_from,
                over.map(|o| o.substitute_from.as_slice()),
            )),
            substitute_strategy: k.substitute_strategy.clone(),
        }),
        prune: k.prune.unwrap_or(true),
        retry_interval: k.retry_interval.clone(),
        service_account_name: Some(c.service_account),
        source_ref: ks::KustomizationSourceRef {
            api_version: None,
            kind: source_kind,
            name: spec.source.name.clone(),
            namespace: None,
        },
        suspend: Some(c.suspend),
        target_namespace: Some(t.namespace.clone()),
        timeout: merge::replace(k.timeout.as_ref(), over.and_then(|o| o.timeout.as_ref())),
        wait: k.wait,
    }
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
    use crate::applications::{Overrides, Patch, SourceRef};
    use serde_json::json;

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

    /// The whole rendered objects of applications using only the fields ksflux had before
    /// the Flux options were typed: rendering through the generated types changed nothing.
    #[test]
    fn objects_of_the_original_fields_render_as_before() {
        let mut spec = helm_spec();
        spec.depends_on = vec!["db".into()];
        spec.helm = Some(HelmSpec {
            values_from: vec![serde_json::from_value(json!({"kind": "Secret", "name": "s"})).expect("from")],
            install: serde_json::from_value(json!({"disableWait": true, "remediation": {"retries": 3}}))
                .expect("install"),
            ..spec.helm.clone().unwrap_or_default()
        });
        let out = render(&app(spec));
        assert_eq!(
            out[1].object,
            json!({
                "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                "metadata": {"name": "web-member-1", "namespace": "team-a",
                    "labels": {APPLICATION_LABEL: "web", CLUSTER_LABEL: "member-1"},
                    "ownerReferences": [{"apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
                        "name": "web", "uid": "u1", "controller": true, "blockOwnerDeletion": true}]},
                "spec": {
                    "interval": "5m", "targetNamespace": "web", "suspend": false,
                    "serviceAccountName": "ksflux-deployer",
                    "kubeConfig": {"secretRef": {"name": "ksflux-kubeconfig-member-1", "key": "value"}},
                    "dependsOn": [{"name": "db-member-1"}],
                    "chart": {"spec": {"chart": "demo-app", "interval": "5m", "version": "1.x",
                        "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
                    "releaseName": "web", "storageNamespace": "web",
                    "values": {"replicaCount": 3, "labels": {"tier": "web"}},
                    "valuesFrom": [{"kind": "Secret", "name": "s"}],
                    "install": {"disableWait": true, "remediation": {"retries": 3}}
                }
            })
        );
        let k = ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::OciRepository,
                name: "manifests".into(),
            },
            kustomize: serde_json::from_value(json!({"path": "./deploy", "wait": true,
                "patches": [{"patch": "p", "target": {"kind": "Deployment", "name": "web"}}],
                "images": [{"name": "app", "newTag": "1.2"}]}))
            .expect("kustomize"),
            targets: vec![target("host", None)],
            ..Default::default()
        };
        assert_eq!(
            render(&app(k))[0].object,
            json!({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "web-host", "namespace": "team-a",
                    "labels": {APPLICATION_LABEL: "web", CLUSTER_LABEL: "host"},
                    "ownerReferences": [{"apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
                        "name": "web", "uid": "u1", "controller": true, "blockOwnerDeletion": true}]},
                "spec": {
                    "interval": "5m", "targetNamespace": "web", "suspend": false,
                    "serviceAccountName": "ksflux-deployer",
                    "sourceRef": {"kind": "OCIRepository", "name": "manifests"},
                    "path": "./deploy", "prune": true, "wait": true,
                    "patches": [{"patch": "p", "target": {"kind": "Deployment", "name": "web"}}],
                    "images": [{"name": "app", "newTag": "1.2"}],
                    "postBuild": {"substitute": {"cluster_name": "host"}}
                }
            })
        );
    }

    #[test]
    fn helm_options_reach_each_release_with_per_target_overrides() {
        let spec: ApplicationSpec = serde_json::from_value(json!({
            "source": {"kind": "HelmRepository", "name": "charts"},
            "helm": {
                "chart": "demo-app", "valuesFiles": ["values.yaml", "values-prod.yaml"],
                "reconcileStrategy": "Revision",
                "test": {"enable": true, "ignoreFailures": true}, "timeout": "3m",
                "driftDetection": {"mode": "enabled", "ignore": [{"paths": ["/spec/replicas"]}]},
                "postRenderers": [{"kustomize": {"patches": [{"patch": "base"}]}}],
                "postRenderStrategy": "nohooks",
                "maxHistory": 3, "persistentClient": false,
                "commonMetadata": {"labels": {"team": "a"}},
                "healthCheckExprs": [{"apiVersion": "x.io/v1", "kind": "Thing", "current": "true"}],
                "waitStrategy": {"name": "poller"},
                "upgrade": {"strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}},
                "uninstall": {"keepHistory": true}
            },
            "targets": [
                {"cluster": "host", "namespace": "web"},
                {"cluster": "member-1", "namespace": "web", "overrides": {
                    "test": {"enable": false}, "timeout": "10m", "driftDetection": {"mode": "warn"},
                    "postRenderers": [{"kustomize": {"images": [{"name": "app", "newTag": "2"}]}}],
                    "maxHistory": 0}}
            ]
        }))
        .expect("spec");
        assert!(validate("web", &spec).is_empty(), "{:?}", validate("web", &spec));
        let out = render(&app(spec));
        let host = &out[0].object["spec"];
        assert_eq!(
            host["chart"]["spec"]["valuesFiles"],
            json!(["values.yaml", "values-prod.yaml"])
        );
        assert_eq!(host["chart"]["spec"]["reconcileStrategy"], "Revision");
        assert_eq!(host["test"], json!({"enable": true, "ignoreFailures": true}));
        assert_eq!(host["timeout"], "3m");
        assert_eq!(host["driftDetection"]["mode"], "enabled");
        assert_eq!(
            host["postRenderers"],
            json!([{"kustomize": {"patches": [{"patch": "base"}]}}])
        );
        assert_eq!(host["postRenderStrategy"], "nohooks");
        assert_eq!(host["maxHistory"], 3);
        assert_eq!(host["persistentClient"], false);
        assert_eq!(host["commonMetadata"], json!({"labels": {"team": "a"}}));
        assert_eq!(host["healthCheckExprs"][0]["kind"], "Thing");
        assert_eq!(host["waitStrategy"], json!({"name": "poller"}));
        assert_eq!(
            host["upgrade"]["strategy"],
            json!({"name": "RetryOnFailure", "retryInterval": "1m"})
        );
        assert_eq!(host["uninstall"], json!({"keepHistory": true}));
        let m = &out[1].object["spec"];
        assert_eq!(m["test"], json!({"enable": false}));
        assert_eq!(m["timeout"], "10m");
        assert_eq!(m["driftDetection"], json!({"mode": "warn"}));
        assert_eq!(
            m["postRenderers"],
            json!([{"kustomize": {"patches": [{"patch": "base"}]}},
                   {"kustomize": {"images": [{"name": "app", "newTag": "2"}]}}])
        );
        assert_eq!(m["maxHistory"], 0);
        assert_eq!(
            m["persistentClient"], false,
            "options without overrides are the base's"
        );
        // Every rendered object is a HelmRelease Flux's own schema takes.
        for r in &out {
            assert!(
                (crate::delivery::HELM_RELEASE.schema)(&r.object).is_ok(),
                "{}",
                r.object
            );
        }
    }

    #[test]
    fn kustomize_options_reach_each_kustomization_with_per_target_overrides() {
        let spec: ApplicationSpec = serde_json::from_value(json!({
            "source": {"kind": "GitRepository", "name": "repo"},
            "kustomize": {
                "path": "./deploy", "components": ["../components/a", "../components/b"],
                "ignoreMissingComponents": true, "commonMetadata": {"annotations": {"owner": "a"}},
                "force": false, "namePrefix": "prod-", "nameSuffix": "-v1", "timeout": "2m",
                "retryInterval": "30s", "deletionPolicy": "Orphan",
                "healthChecks": [{"kind": "Deployment", "name": "web", "namespace": "web"}],
                "healthCheckExprs": [{"apiVersion": "x.io/v1", "kind": "Thing", "current": "true"}],
                "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}],
                "substituteStrategy": "Always",
                "decryption": {"provider": "sops", "secretRef": {"name": "sops-keys"}},
                "ignore": [{"paths": ["/spec/replicas"], "target": {"kind": "Deployment"}}],
                "buildMetadata": ["originAnnotations"]
            },
            "targets": [
                {"cluster": "host", "namespace": "web"},
                {"cluster": "member-1", "namespace": "web", "overrides": {
                    "components": [], "force": true, "namePrefix": "edge-", "nameSuffix": "-v2",
                    "timeout": "5m", "substituteFrom": [{"kind": "Secret", "name": "edge-vars", "optional": true}]}}
            ]
        }))
        .expect("spec");
        assert!(validate("web", &spec).is_empty(), "{:?}", validate("web", &spec));
        let out = render(&app(spec));
        let host = &out[0].object["spec"];
        assert_eq!(host["components"], json!(["../components/a", "../components/b"]));
        assert_eq!(host["ignoreMissingComponents"], true);
        assert_eq!(host["commonMetadata"], json!({"annotations": {"owner": "a"}}));
        assert_eq!(host["force"], false);
        assert_eq!(
            (&host["namePrefix"], &host["nameSuffix"]),
            (&json!("prod-"), &json!("-v1"))
        );
        assert_eq!(
            (&host["timeout"], &host["retryInterval"]),
            (&json!("2m"), &json!("30s"))
        );
        assert_eq!(host["deletionPolicy"], "Orphan");
        assert_eq!(host["healthChecks"][0]["name"], "web");
        assert_eq!(host["healthCheckExprs"][0]["current"], "true");
        assert_eq!(
            host["postBuild"],
            json!({"substitute": {"cluster_name": "host"}, "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}],
                   "substituteStrategy": "Always"})
        );
        assert_eq!(
            host["decryption"],
            json!({"provider": "sops", "secretRef": {"name": "sops-keys"}})
        );
        assert_eq!(host["ignore"][0]["paths"], json!(["/spec/replicas"]));
        assert_eq!(host["buildMetadata"], json!(["originAnnotations"]));
        let m = &out[1].object["spec"];
        assert!(
            m.get("components").is_none(),
            "an empty list removes the components: {m}"
        );
        assert_eq!(m["force"], true);
        assert_eq!(
            (&m["namePrefix"], &m["nameSuffix"]),
            (&json!("edge-"), &json!("-v2"))
        );
        assert_eq!(m["timeout"], "5m");
        assert_eq!(
            m["postBuild"]["substituteFrom"],
            json!([{"kind": "ConfigMap", "name": "vars"}, {"kind": "Secret", "name": "edge-vars", "optional": true}])
        );
        assert_eq!(m["deletionPolicy"], "Orphan");
        for r in &out {
            assert!(
                (crate::delivery::KUSTOMIZATION.schema)(&r.object).is_ok(),
                "{}",
                r.object
            );
        }
    }

    #[test]
    fn new_options_are_checked_and_kept_to_their_kind() {
        let mut helm = helm_spec();
        helm.helm = serde_json::from_value(json!({"chart": "c", "timeout": "later", "maxHistory": -1,
            "test": {"timeout": "x"}, "install": {"timeout": "1y"}, "valuesFrom": [{"kind": "Secret", "name": "Bad_Name"}],
            "postRenderers": [{"kustomize": {"patches": [{"patch": " "}]}}]}))
        .expect("helm");
        helm.targets = vec![target(
            "host",
            serde_json::from_value(
                json!({"timeout": "soon", "maxHistory": -2, "components": ["a"], "force": true,
                "substituteFrom": [{"kind": "ConfigMap", "name": "v"}]}),
            )
            .expect("overrides"),
        )];
        let fields: Vec<String> = validate("web", &helm).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "spec.helm.timeout",
                "spec.helm.test.timeout",
                "spec.helm.install.timeout",
                "spec.helm.maxHistory",
                "spec.helm.valuesFrom[0].name",
                "spec.helm.postRenderers[0].kustomize.patches[0].patch",
                "spec.targets[0].overrides.timeout",
                "spec.targets[0].overrides.maxHistory",
                "spec.targets[0].overrides.substituteFrom",
                "spec.targets[0].overrides.components",
                "spec.targets[0].overrides.force",
            ]
        );
        let k = ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::GitRepository,
                name: "repo".into(),
            },
            kustomize: serde_json::from_value(json!({"timeout": "1 minute", "retryInterval": "5m",
                "components": ["/abs"], "decryption": {"provider": "sops", "serviceAccountName": "flux"}}))
            .expect("kustomize"),
            targets: vec![target(
                "host",
                serde_json::from_value(
                    json!({"test": {"enable": true}, "driftDetection": {"mode": "warn"},
                    "postRenderers": [{}], "maxHistory": 1, "timeout": "1m"}),
                )
                .expect("overrides"),
            )],
            ..Default::default()
        };
        let fields: Vec<String> = validate("web", &k).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "spec.kustomize.timeout",
                "spec.kustomize.decryption.serviceAccountName",
                "spec.kustomize.components[0]",
                "spec.targets[0].overrides.test",
                "spec.targets[0].overrides.driftDetection",
                "spec.targets[0].overrides.postRenderers",
                "spec.targets[0].overrides.maxHistory",
            ]
        );
    }

    /// Rules of Flux's CRDs (lengths, patterns, CEL) that the generated types do not carry.
    #[test]
    fn flux_crd_rules_the_types_do_not_carry_are_checked() {
        let mut helm = helm_spec();
        helm.helm = serde_json::from_value(json!({"chart": "c", "releaseName": "r".repeat(54),
            "install": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}},
            "upgrade": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}},
            "test": {"filters": [{"name": ""}]},
            "valuesFrom": [{"kind": "Secret", "name": "s", "valuesKey": "a b", "targetPath": "a[x]"},
                           {"kind": "Secret", "name": "s", "valuesKey": "values.yaml", "targetPath": "hosts[0].name"}]}))
        .expect("helm");
        helm.targets = vec![target(
            "host",
            serde_json::from_value(
                json!({"valuesFrom": [{"kind": "ConfigMap", "name": "m", "targetPath": "a[1"}]}),
            )
            .expect("overrides"),
        )];
        let fields: Vec<String> = validate("web", &helm).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "spec.helm.releaseName",
                "spec.helm.install.strategy.retryInterval",
                "spec.helm.upgrade.strategy.retryInterval",
                "spec.helm.test.filters[0].name",
                "spec.helm.valuesFrom[0].valuesKey",
                "spec.helm.valuesFrom[0].targetPath",
                "spec.targets[0].overrides.valuesFrom[0].targetPath",
            ]
        );
        assert!(
            target_path_ok("image.tag") && target_path_ok("a[12345].b/c\\d") && !target_path_ok("a[123456]")
        );
        let k = ApplicationSpec {
            source: SourceRef {
                kind: SourceKind::GitRepository,
                name: "repo".into(),
            },
            kustomize: serde_json::from_value(
                json!({"namePrefix": "", "substituteFrom": [{"kind": "Secret", "name": "A"}]}),
            )
            .expect("kustomize"),
            targets: vec![target(
                "host",
                serde_json::from_value(json!({"nameSuffix": "x".repeat(201)})).expect("overrides"),
            )],
            ..Default::default()
        };
        let fields: Vec<String> = validate("web", &k).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "spec.kustomize.substituteFrom[0].name",
                "spec.kustomize.namePrefix",
                "spec.targets[0].overrides.nameSuffix",
            ]
        );
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
