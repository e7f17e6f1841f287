//! `Application` (`applications.fluxcd.kubesphere.io/v1alpha1`): one Kustomize or Helm
//! application deployed to many clusters, with per-cluster differences.
//!
//! The controller renders one Flux object (Kustomization or HelmRelease) per target; the
//! rules that merge a target's `overrides` into the base are in ksflux's
//! `applications::merge` module and documented in `docs/applications.md`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::flux::{helmreleases as hr, kustomizations as ks};

/// Label on every Flux object rendered for an application: the application's name.
pub const APPLICATION_LABEL: &str = "fluxcd.kubesphere.io/application";
/// Label on every Flux object rendered for an application: the target cluster.
pub const CLUSTER_LABEL: &str = "fluxcd.kubesphere.io/cluster";

fn preserve_unknown(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// What the application deploys, to which clusters, with which differences.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default)]
#[kube(
    group = "fluxcd.kubesphere.io",
    version = "v1alpha1",
    kind = "Application",
    plural = "applications",
    shortname = "fapp",
    namespaced,
    status = "ApplicationStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Targets","type":"string","jsonPath":".status.summary.text"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("has(self.helm) != has(self.kustomize)").message("set exactly one of helm or kustomize"))]
#[x_kube(validation = Rule::new("size(self.targets) > 0 || has(self.placement)").message("set targets, placement or both"))]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The Flux source the application is built from, in the application's namespace.
    pub source: SourceRef,
    /// A Helm application: a chart from the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmSpec>,
    /// A Kustomize application: a path in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<KustomizeSpec>,
    /// Where to deploy, and each target's differences (explicit clusters; `placement` adds
    /// the clusters chosen by labels).
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Clusters chosen by their labels: each selected cluster is a target (in
    /// `placement.namespace`), gained when a cluster gets the labels and lost, with its objects,
    /// when it no longer has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Overrides applied by cluster labels, in order, on top of the base and under each
    /// target's own overrides (for example `env=production`, then `region=eu`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<OverrideLayer>,
    /// Applications (in the same namespace) that must be Ready in a cluster before this one
    /// is deployed there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// How often Flux reconciles each target (a Go duration; default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// Suspends every target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Images ksflux keeps up to date from ImagePolicies: each target runs the tag recorded
    /// for its cluster in `tags`, which ksflux moves to the policy's pick for every cluster
    /// not listed in `manual` (those move only when promoted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageAutomation>,
    /// How a new revision of the application (any change of its spec but `suspend` and
    /// `rollout`) reaches the targets: wave by wave, each gated on its targets' health.
    /// Without it every target takes a change at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

/// A progressive rollout: waves in order, each started once the previous one is healthy (its
/// targets Ready at the new revision with healthy workloads) and has soaked.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// The waves, in order. A target no wave chooses goes in a last wave, `remaining`.
    #[schemars(length(min = 1, max = 20))]
    pub waves: Vec<Wave>,
    /// How long a wave stays healthy before the next one starts (a Go duration; default 0s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub soak: Option<String>,
    /// How long a wave may take to become healthy before it counts as failed (a Go duration;
    /// default 10m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub progress_deadline: Option<String>,
    /// Times when no wave may start (a started wave goes on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub blackouts: Vec<DeploymentWindow>,
}

/// One wave of a rollout: the clusters it names plus those its selector chooses.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    /// Its name, shown in the status and the console.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub name: String,
    /// Clusters chosen by their labels (a cluster already in an earlier wave stays there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_selector: Option<LabelSelector>,
    /// Clusters chosen by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// How many of its targets take the new revision at a time (default: all of them); the
    /// next ones follow as those become healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_unavailable: Option<u32>,
    /// This wave's soak time, replacing the rollout's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub soak: Option<String>,
}

/// A recurring time span: on the given days (all when empty), from `start` to `end` in
/// `timeZone`; an `end` before `start` runs past midnight.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentWindow {
    /// Days of the week it starts on: `Mon` … `Sun`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// Start time, `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// End time, `HH:MM` (`24:00` for midnight).
    #[schemars(regex(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub end: String,
    /// An IANA time zone (default `UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// One image ksflux keeps up to date in an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageAutomation {
    /// The ImagePolicy (on the host, in the application's namespace) that picks the tag.
    #[schemars(length(min = 1, max = 253))]
    pub policy: String,
    /// Helm applications: where the tag goes in the values, a dot path such as `image.tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_path: Option<String>,
    /// Kustomize applications: the image name in the manifests whose tag is set (through the
    /// Kustomization's `images`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Clusters that take a new tag only when it is promoted; every other target follows the
    /// policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual: Vec<String>,
    /// The policy's picks reach the following clusters through commits to the git source
    /// (image-automation-controller and setter markers): ksflux records tags for the manual
    /// clusters only, pinning them until promoted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub via_git: bool,
    /// The tag each cluster runs, by cluster name; written by ksflux as the policy moves and
    /// by promotions. A cluster without one runs what the values or manifests say.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A Flux source.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    /// The source's kind.
    pub kind: SourceKind,
    /// The source's name.
    pub name: String,
}

/// Kinds of source an application can use.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum SourceKind {
    /// A git repository (Kustomize paths, or charts in git).
    #[default]
    GitRepository,
    /// An OCI artifact (Kustomize).
    #[serde(rename = "OCIRepository")]
    OciRepository,
    /// An S3-compatible bucket (Kustomize, or charts in a bucket).
    Bucket,
    /// A Helm repository, HTTP or OCI (Helm).
    HelmRepository,
}

impl SourceKind {
    /// The Flux kind name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceKind::GitRepository => "GitRepository",
            SourceKind::OciRepository => "OCIRepository",
            SourceKind::Bucket => "Bucket",
            SourceKind::HelmRepository => "HelmRepository",
        }
    }
}

/// The Helm part of an application. Every option of a Flux `HelmRelease` that is the
/// user's to choose is here, typed as Flux defines it; what ksflux controls (the chart's
/// source, the ServiceAccount, the kubeconfig, the target and storage namespaces,
/// `dependsOn`, `suspend`, `interval`) is not.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmSpec {
    /// The chart name (Helm repository) or its path in the source (git, bucket).
    pub chart: String,
    /// A semver range of chart versions (Helm repositories; default `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Values files of the chart merged in order, replacing its `values.yaml` (the chart's
    /// `valuesFiles`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_files: Vec<String>,
    /// Do not fail when a file of `valuesFiles` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_values_files: Option<bool>,
    /// When a new chart artifact is fetched: `ChartVersion` (default) or `Revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_strategy: Option<hr::HelmReleaseChartSpecReconcileStrategy>,
    /// Verification of the chart's signature (OCI Helm repositories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<hr::HelmReleaseChartSpecVerify>,
    /// Base values, merged under each target's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub values: Option<Value>,
    /// Base values references (ConfigMaps or Secrets in the application's namespace).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_from: Vec<hr::HelmReleaseValuesFrom>,
    /// The Helm release name in each target (default: the application's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// HelmRelease `install` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<hr::HelmReleaseInstall>,
    /// HelmRelease `upgrade` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<hr::HelmReleaseUpgrade>,
    /// HelmRelease `rollback` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<hr::HelmReleaseRollback>,
    /// HelmRelease `uninstall` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstall: Option<hr::HelmReleaseUninstall>,
    /// HelmRelease `test` settings: run the chart's Helm tests after an install or upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<hr::HelmReleaseTest>,
    /// The time to wait for any single Kubernetes operation of a Helm action (a Go
    /// duration; Flux's default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Detection (and correction) of changes made in the cluster to the release's objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_detection: Option<hr::HelmReleaseDriftDetection>,
    /// Kustomize post-renderers applied, in order, to the chart's rendered manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_renderers: Vec<hr::HelmReleasePostRenderers>,
    /// Which manifests the post-renderers get (hooks or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_render_strategy: Option<hr::HelmReleasePostRenderStrategy>,
    /// The number of release revisions Helm keeps (0: unlimited; Flux's default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_history: Option<i64>,
    /// Reuse one Kubernetes client for a whole reconciliation (Flux's default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_client: Option<bool>,
    /// Labels and annotations set on every object of the release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<hr::HelmReleaseCommonMetadata>,
    /// CEL health checks of custom resources, used when Helm waits with the `poller`
    /// strategy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_check_exprs: Vec<hr::HelmReleaseHealthCheckExprs>,
    /// How Helm waits for the release's objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_strategy: Option<hr::HelmReleaseWaitStrategy>,
}

/// The Kustomize part of an application. Every option of a Flux `Kustomization` that is the
/// user's to choose is here, typed as Flux defines it; what ksflux controls (the source, the
/// ServiceAccount, the kubeconfig, the target namespace, `dependsOn`, `suspend`,
/// `interval`) is not.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeSpec {
    /// The path in the source (default: its root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Delete objects removed from the source (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Strategic-merge or JSON6902 patches, as Flux takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    /// Image overrides, as Kustomize takes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Variables substituted in the manifests (`${name}`), Flux's `postBuild.substitute`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub substitute: BTreeMap<String, String>,
    /// ConfigMaps and Secrets (in the application's namespace) holding more variables,
    /// Flux's `postBuild.substituteFrom`; `substitute` wins for a variable in both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitute_from: Vec<ks::KustomizationPostBuildSubstituteFrom>,
    /// Which objects get substituted, Flux's `postBuild.substituteStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitute_strategy: Option<ks::KustomizationPostBuildSubstituteStrategy>,
    /// Wait for the applied objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Kustomize components (paths relative to `path`) included in the build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Do not fail when a component is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_components: Option<bool>,
    /// Labels and annotations set on every applied object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_metadata: Option<ks::KustomizationCommonMetadata>,
    /// Recreate objects whose immutable fields changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Objects whose readiness Flux checks after applying.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_checks: Vec<ks::KustomizationHealthChecks>,
    /// CEL health checks of custom resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_check_exprs: Vec<ks::KustomizationHealthCheckExprs>,
    /// A prefix added to the names of all objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// A suffix added to the names of all objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_suffix: Option<String>,
    /// The time to wait for applying, health checks and pruning (a Go duration; Flux's
    /// default: the interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// How soon a failed reconciliation is retried (a Go duration; Flux's default: the
    /// interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub retry_interval: Option<String>,
    /// What happens to the applied objects when a target is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<ks::KustomizationDeletionPolicy>,
    /// SOPS decryption of the manifests, with keys from a Secret in the application's
    /// namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decryption: Option<ks::KustomizationDecryption>,
    /// Paths in the applied objects that drift detection and applying leave alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<ks::KustomizationIgnore>,
    /// Build metadata Kustomize adds to the objects (`originAnnotations`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_metadata: Vec<String>,
}

/// A Kustomize patch.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Patch {
    /// The patch (YAML or JSON).
    pub patch: String,
    /// Which objects it applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ks::KustomizationPatchesTarget>,
}

/// A Kustomize image override.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// The image name in the manifests.
    pub name: String,
    /// Replacement name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    /// Replacement tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_tag: Option<String>,
    /// Replacement digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// One cluster and namespace the application is deployed to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The cluster: `host` or a member's name.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub cluster: String,
    /// The namespace in that cluster.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: String,
    /// Suspends this target only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// This target's differences from the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Overrides>,
}

/// Clusters chosen by their labels.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// The labels a cluster must have (`matchLabels` and `matchExpressions`, as Kubernetes
    /// label selectors). Every cluster also carries `fluxcd.kubesphere.io/cluster: <name>`.
    pub cluster_selector: LabelSelector,
    /// The namespace in each selected cluster.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: String,
    /// Clusters never selected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// A label selector: every `matchLabels` entry and every `matchExpressions` requirement must
/// hold; an empty selector selects nothing.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels with these exact values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Requirements: `In`, `NotIn`, `Exists`, `DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelRequirement>,
}

/// One label selector requirement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelRequirement {
    /// The label.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    #[schemars(regex(pattern = r"^(In|NotIn|Exists|DoesNotExist)$"))]
    pub operator: String,
    /// The values (`In`, `NotIn`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector (never, for an empty one).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        if self.match_labels.is_empty() && self.match_expressions.is_empty() {
            return false;
        }
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// Overrides for the clusters a selector chooses.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideLayer {
    /// A name for previews and status (default: its position).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The clusters it applies to.
    pub cluster_selector: LabelSelector,
    /// What it changes, merged like a target's overrides.
    pub overrides: Overrides,
}

/// A target's differences. See `docs/applications.md` for how each merges.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    /// Helm values deep-merged over the base (maps merge, lists replace, null deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub values: Option<Value>,
    /// Helm values references appended after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_from: Vec<hr::HelmReleaseValuesFrom>,
    /// Helm chart version range replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Helm `test` settings replacing the base ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<hr::HelmReleaseTest>,
    /// Helm `driftDetection` settings replacing the base ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_detection: Option<hr::HelmReleaseDriftDetection>,
    /// Helm post-renderers run after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_renderers: Vec<hr::HelmReleasePostRenderers>,
    /// Helm `maxHistory` replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_history: Option<i64>,
    /// Timeout (Helm or Kustomize) replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Kustomize patches appended after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    /// Kustomize images; an entry replaces the base entry of the same name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Substitutions merged over the base ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub substitute: BTreeMap<String, String>,
    /// Kustomize substitution references appended after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitute_from: Vec<ks::KustomizationPostBuildSubstituteFrom>,
    /// Kustomize path replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Kustomize components replacing the base list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
    /// Kustomize `force` replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Kustomize name prefix replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// Kustomize name suffix replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_suffix: Option<String>,
}

/// What the controller observed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling, Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// One entry per target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetStatus>,
    /// Ready targets out of all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<StatusSummary>,
    /// The last `reconcile.fluxcd.io/requestedAt` the controller handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// The progressive rollout of the current revision (with `spec.rollout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
}

/// Where the rollout of a revision stands.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// The revision being rolled out: a digest of the spec (but `suspend` and `rollout`).
    pub revision: String,
    /// `Progressing`, `Paused` (a wave failed, was rolled back, or a pause was asked for) or
    /// `Completed`.
    pub phase: String,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The index of the wave under way (the number of waves once completed).
    pub current_wave: u32,
    /// Every wave, in order.
    #[serde(default)]
    pub waves: Vec<WaveStatus>,
    /// When the rollout of this revision started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// The last revision whose rollout completed: what waves not reached yet, and rolled-back
    /// ones, run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<String>,
    /// The spec of the stable revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub stable_spec: Option<Value>,
    /// The last `fluxcd.kubesphere.io/rollout-request` handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_request: Option<String>,
}

/// One wave of a rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaveStatus {
    /// Its name.
    pub name: String,
    /// `pending`, `progressing`, `soaking`, `healthy`, `failed`, `paused` or `rolledBack`.
    pub state: String,
    /// Its targets.
    #[serde(default)]
    pub targets: Vec<WaveTarget>,
    /// Why, for a person (the failure, the window it waits for).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Since when all its targets are healthy (soaking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_since: Option<String>,
    /// When it passed (healthy and soaked, or promoted by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// It was promoted by hand.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub promoted: bool,
}

/// One target of a wave.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaveTarget {
    /// The cluster.
    pub cluster: String,
    /// `pending`, `progressing`, `healthy`, `failed`, `paused` or `rolledBack`.
    pub state: String,
    /// Why, when failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// Ready targets out of all.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusSummary {
    /// Targets whose Flux object is Ready.
    pub ready: u32,
    /// All targets.
    pub total: u32,
    /// `ready/total`, for display.
    pub text: String,
}

/// The state of one target.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetStatus {
    /// The target cluster.
    pub cluster: String,
    /// The target namespace.
    pub namespace: String,
    /// The rendered Flux object: `Kind/namespace/name`, in the host (hub mode) or in the
    /// target cluster (agent mode).
    pub object_ref: String,
    /// `agent` when the target cluster runs its own Flux and the object is applied there;
    /// absent in hub mode (the host's Flux reaches the cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The last edit made to the rendered object in the target cluster (agent mode) and put
    /// back by ksflux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_drift: Option<TargetDrift>,
    /// `True`, `False` or `Unknown`.
    pub ready: String,
    /// Why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Details.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The revision last applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// The revision last attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// When `ready` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The target is suspended.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// Its workloads (Deployments, StatefulSets, DaemonSets) in the target cluster, as last
    /// seen once Flux reported the target ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<WorkloadsSummary>,
}

/// An edit made in a target cluster to the object ksflux applied there, which ksflux put back.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetDrift {
    /// When ksflux found and reverted it (RFC 3339).
    pub at: String,
    /// The fields that differed, as paths such as `spec.values.replicaCount`.
    pub fields: Vec<String>,
}

/// A target's workloads in brief.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadsSummary {
    /// `healthy`, `progressing` or `degraded`.
    pub state: String,
    /// Ready replicas, over all its workloads.
    pub ready: i32,
    /// Desired replicas, over all its workloads.
    pub desired: i32,
    /// Why, when degraded (the first failing workload).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}
