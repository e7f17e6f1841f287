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

/// Label on every Flux object rendered for an application: the application's name.
pub const APPLICATION_LABEL: &str = "fluxcd.kubesphere.io/application";
/// Label on every Flux object rendered for an application: the target cluster.
pub const CLUSTER_LABEL: &str = "fluxcd.kubesphere.io/cluster";

fn preserve_unknown(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn preserve_unknown_list(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}})
}

/// What the application deploys, to which clusters, with which differences.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
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
    /// Where to deploy, and each target's differences.
    #[schemars(length(min = 1))]
    pub targets: Vec<Target>,
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

/// The Helm part of an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HelmSpec {
    /// The chart name (Helm repository) or its path in the source (git, bucket).
    pub chart: String,
    /// A semver range of chart versions (Helm repositories; default `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Base values, merged under each target's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub values: Option<Value>,
    /// Base values references (ConfigMaps or Secrets in the application's namespace).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "preserve_unknown_list")]
    pub values_from: Vec<Value>,
    /// The Helm release name in each target (default: the application's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// HelmRelease `install` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub install: Option<Value>,
    /// HelmRelease `upgrade` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub upgrade: Option<Value>,
    /// HelmRelease `rollback` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub rollback: Option<Value>,
    /// HelmRelease `uninstall` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub uninstall: Option<Value>,
}

/// The Kustomize part of an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
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
    /// Wait for the applied objects to become ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
}

/// A Kustomize patch.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Patch {
    /// The patch (YAML or JSON).
    pub patch: String,
    /// Which objects it applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub target: Option<Value>,
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
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
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

/// A target's differences. See `docs/applications.md` for how each merges.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    /// Helm values deep-merged over the base (maps merge, lists replace, null deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub values: Option<Value>,
    /// Helm values references appended after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "preserve_unknown_list")]
    pub values_from: Vec<Value>,
    /// Helm chart version range replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Kustomize patches appended after the base ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    /// Kustomize images; an entry replaces the base entry of the same name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Substitutions merged over the base ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub substitute: BTreeMap<String, String>,
    /// Kustomize path replacing the base one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
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
    /// The rendered Flux object in the host: `Kind/namespace/name`.
    pub object_ref: String,
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
}
