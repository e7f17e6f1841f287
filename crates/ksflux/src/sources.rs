//! Flux sources: GitRepository, HelmRepository (HTTP and OCI), HelmChart, Bucket and
//! OCIRepository — their validation rules, where their credentials go, and the chart index
//! of a HelmRepository, and a chart's default values ([`chart_values`]).

use std::time::Duration;

use kube::api::{Api, DynamicObject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    error::{Cause, Error, Result},
    kinds::{Action, Family, FluxKind, TlsRef, interval, one_ref, reference, s, schema_check},
    validation,
};
use ksflux_types::flux;

pub mod chart_values;

/// `GitRepository` (source.toolkit.fluxcd.io/v1).
pub static GIT_REPOSITORY: FluxKind = FluxKind {
    kind: "GitRepository",
    family: Family::Source,
    default_interval: Some("1m"),
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    plural: "gitrepositories",
    short: "git",
    auth_types: &["basic", "bearer", "ssh"],
    tls: TlsRef::SecretRef,
    schema: schema_check::<flux::gitrepositories::GitRepository>,
    rules: git_rules,
};

/// `HelmRepository` (source.toolkit.fluxcd.io/v1), `type: default` (HTTP) or `oci`.
pub static HELM_REPOSITORY: FluxKind = FluxKind {
    kind: "HelmRepository",
    family: Family::Source,
    default_interval: Some("5m"),
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    plural: "helmrepositories",
    short: "helm",
    auth_types: &["basic"],
    tls: TlsRef::CertSecretRef,
    schema: schema_check::<flux::helmrepositories::HelmRepository>,
    rules: helm_repository_rules,
};

/// `HelmChart` (source.toolkit.fluxcd.io/v1); it uses its source's credentials.
pub static HELM_CHART: FluxKind = FluxKind {
    kind: "HelmChart",
    family: Family::Source,
    default_interval: Some("5m"),
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    plural: "helmcharts",
    short: "chart",
    auth_types: &[],
    tls: TlsRef::None,
    schema: schema_check::<flux::helmcharts::HelmChart>,
    rules: helm_chart_rules,
};

/// `Bucket` (source.toolkit.fluxcd.io/v1).
pub static BUCKET: FluxKind = FluxKind {
    kind: "Bucket",
    family: Family::Source,
    default_interval: Some("1m"),
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    plural: "buckets",
    short: "bucket",
    auth_types: &["s3"],
    tls: TlsRef::CertSecretRef,
    schema: schema_check::<flux::buckets::Bucket>,
    rules: bucket_rules,
};

/// `OCIRepository` (source.toolkit.fluxcd.io/v1).
pub static OCI_REPOSITORY: FluxKind = FluxKind {
    kind: "OCIRepository",
    family: Family::Source,
    default_interval: Some("1m"),
    registry: Some(oci_registry),
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    plural: "ocirepositories",
    short: "oci",
    auth_types: &["basic"],
    tls: TlsRef::CertSecretRef,
    schema: schema_check::<flux::ocirepositories::OciRepository>,
    rules: oci_rules,
};

fn git_rules(spec: &Value) -> Vec<Cause> {
    let mut c = validation::url(
        "spec.url",
        s(spec, "url").unwrap_or_default(),
        &["http", "https", "ssh"],
    );
    interval(spec, true, &mut c);
    one_ref(spec, &["branch", "tag", "semver", "name", "commit"], &mut c);
    c
}

fn helm_repository_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    let url = s(spec, "url").unwrap_or_default();
    match s(spec, "type").unwrap_or("default") {
        "default" => c.extend(validation::url("spec.url", url, &["http", "https"])),
        "oci" => c.extend(validation::url("spec.url", url, &["oci"])),
        other => c.push(Cause::invalid(
            "spec.type",
            format!("{other:?} is not a repository type; use default or oci"),
        )),
    }
    interval(spec, false, &mut c);
    c
}

fn helm_chart_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    if s(spec, "chart").unwrap_or_default().is_empty() {
        c.push(Cause::required("spec.chart"));
    }
    reference(
        spec,
        "sourceRef",
        &["HelmRepository", "GitRepository", "Bucket"],
        "cannot hold charts",
        &mut c,
    );
    if let Some(v) = s(spec, "version") {
        c.extend(validation::semver_range("spec.version", v));
    }
    interval(spec, true, &mut c);
    c
}

fn bucket_rules(spec: &Value) -> Vec<Cause> {
    let mut c = validation::endpoint("spec.endpoint", s(spec, "endpoint").unwrap_or_default());
    if s(spec, "bucketName").unwrap_or_default().is_empty() {
        c.push(Cause::required("spec.bucketName"));
    }
    if let Some(p) = s(spec, "provider")
        && !matches!(p, "generic" | "aws" | "gcp" | "azure")
    {
        c.push(Cause::invalid(
            "spec.provider",
            format!("{p:?} is not a provider; use generic, aws, gcp or azure"),
        ));
    }
    interval(spec, true, &mut c);
    c
}

/// The registry host of an OCIRepository URL.
fn oci_registry(spec: &Value) -> Option<String> {
    let url = spec.get("url")?.as_str()?;
    url.strip_prefix("oci://")?.split('/').next().map(str::to_string)
}

fn oci_rules(spec: &Value) -> Vec<Cause> {
    let mut c = validation::url("spec.url", s(spec, "url").unwrap_or_default(), &["oci"]);
    interval(spec, true, &mut c);
    one_ref(spec, &["tag", "semver", "digest"], &mut c);
    c
}

/// One chart a HelmRepository offers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// The chart's name.
    pub name: String,
    /// The newest version's description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Versions, newest first.
    pub versions: Vec<ChartVersion>,
}

/// One version of a chart.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartVersion {
    /// The chart version.
    pub version: String,
    /// The app version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    /// When it was published.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
}

/// Where ksflux may fetch Flux artifacts from, and how much of one it reads. An artifact's
/// URL comes from an object's status, which anyone allowed to patch `status` can set, so
/// ksflux fetches only from the configured source-controller storage addresses (scheme, host
/// and port must match), follows no redirects, uses no proxy, and stops at a size and a time.
#[derive(Clone, Debug)]
pub struct ArtifactPolicy {
    /// The storage addresses (`http://source-controller.flux-system.svc.cluster.local.`).
    pub storage: Vec<reqwest::Url>,
    /// The largest artifact read, in bytes.
    pub max_bytes: usize,
    /// How long a fetch may take.
    pub timeout: Duration,
}

/// source-controller's storage address in a default Flux installation.
pub const DEFAULT_STORAGE: &str = "http://source-controller.flux-system.svc.cluster.local.";

impl Default for ArtifactPolicy {
    fn default() -> Self {
        ArtifactPolicy {
            storage: reqwest::Url::parse(DEFAULT_STORAGE).into_iter().collect(),
            max_bytes: 20 * 1024 * 1024,
            timeout: Duration::from_secs(15),
        }
    }
}

impl ArtifactPolicy {
    /// A policy allowing these storage addresses (the default size and time limits).
    pub fn with_storage(storage: &[String]) -> Result<Self, String> {
        let storage = storage
            .iter()
            .map(|s| reqwest::Url::parse(s).map_err(|e| format!("artifact storage address {s:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ArtifactPolicy {
            storage,
            ..Default::default()
        })
    }

    /// Whether `url` is served by one of the storage addresses.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        self.storage.iter().any(|s| {
            s.scheme() == url.scheme()
                && s.host_str() == url.host_str()
                && s.port_or_known_default() == url.port_or_known_default()
        })
    }

    /// Reads the artifact at `url` (an object's `status.artifact.url`), within the limits.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>> {
        let url = reqwest::Url::parse(url)
            .ok()
            .filter(|u| self.allows(u))
            .ok_or_else(|| {
                Error::BadGateway(
                    "the artifact URL in the object's status is not on the source-controller's storage; ksflux fetches artifacts only from there (--artifact-storage)".into(),
                )
            })?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| Error::Internal(e.into()))?;
        let unavailable =
            || Error::Unavailable("cannot fetch the artifact from the source-controller".into());
        let too_large = || {
            Error::BadGateway(format!(
                "the artifact is larger than {} MiB, the most ksflux reads",
                self.max_bytes / (1024 * 1024)
            ))
        };
        let mut res = http.get(url).send().await.map_err(|_| unavailable())?;
        if !res.status().is_success() {
            return Err(Error::Unavailable(format!(
                "the source-controller answered HTTP {} for the artifact; reconcile the source",
                res.status().as_u16()
            )));
        }
        if res.content_length().is_some_and(|n| n > self.max_bytes as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|_| unavailable())? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The charts and versions a HelmRepository offers, read from its index artifact on the
/// source-controller's storage (see [`ArtifactPolicy`]).
pub async fn charts(api: &Api<DynamicObject>, name: &str, policy: &ArtifactPolicy) -> Result<Vec<Chart>> {
    let repo = api.get(name).await?;
    if repo.data.pointer("/spec/type").and_then(Value::as_str) == Some("oci") {
        return Err(Error::BadRequest(format!(
            "HelmRepository {name:?} is an OCI repository, which has no chart index; name the chart in the HelmRelease or HelmChart"
        )));
    }
    index(repo.data.get("status").unwrap_or(&Value::Null), name, policy).await
}

/// The charts of HelmRepository `name` (its `status`), from its index artifact on the
/// source-controller's storage (see [`ArtifactPolicy`]): 404 until it has one, 502 when it is
/// not a Helm index.
pub async fn index(status: &Value, name: &str, policy: &ArtifactPolicy) -> Result<Vec<Chart>> {
    let url = status
        .pointer("/artifact/url")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            // Its chart index does not exist yet: nothing to list, and nothing the server
            // failed at.
            Error::NotFound(format!(
                "HelmRepository {name:?} has no artifact yet; wait until it is Ready"
            ))
        })?;
    let body = policy.fetch(url).await?;
    parse_index(&body).map_err(|_| {
        Error::BadGateway(format!(
            "the repository index of HelmRepository {name:?} cannot be read as a Helm index"
        ))
    })
}

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    entries: std::collections::BTreeMap<String, Vec<IndexEntry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry {
    #[serde(default)]
    version: String,
    #[serde(default)]
    app_version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    created: Option<Value>,
}

/// Parses a Helm `index.yaml` (YAML or JSON) into charts, versions newest first.
pub fn parse_index(body: &[u8]) -> Result<Vec<Chart>, String> {
    let index: Index = serde_yaml_ng::from_slice(body).map_err(|e| e.to_string())?;
    Ok(index
        .entries
        .into_iter()
        .map(|(name, mut entries)| {
            entries.sort_by_key(|e| std::cmp::Reverse(version_key(&e.version)));
            Chart {
                name,
                description: entries.first().map(|e| e.description.clone()).unwrap_or_default(),
                versions: entries
                    .into_iter()
                    .map(|e| ChartVersion {
                        version: e.version,
                        app_version: e.app_version,
                        created: e
                            .created
                            .and_then(|c| c.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Orders versions numerically, a release above its pre-releases.
fn version_key(v: &str) -> (Vec<u64>, bool, String) {
    let v = v.trim_start_matches('v');
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let nums = core.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    (nums, pre.is_empty(), pre.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn git_needs_one_ref_and_a_valid_url() {
        let ok = json!({"url": "https://example.com/repo.git", "interval": "1m", "ref": {"branch": "main"}});
        assert!(git_rules(&ok).is_empty());
        let two = json!({"url": "https://example.com/repo.git", "interval": "1m", "ref": {"branch": "main", "tag": "v1"}});
        assert_eq!(git_rules(&two)[0].field, "spec.ref");
        let bad = json!({"url": "ftp://example.com/repo", "interval": "soon", "ref": {"semver": "latest"}});
        let fields: Vec<_> = git_rules(&bad).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.url", "spec.interval", "spec.ref.semver"]);
    }

    #[test]
    fn helm_repository_url_follows_its_type() {
        assert!(helm_repository_rules(&json!({"url": "https://charts.example.com"})).is_empty());
        assert!(helm_repository_rules(&json!({"url": "oci://ghcr.io/org/charts", "type": "oci"})).is_empty());
        assert_eq!(
            helm_repository_rules(&json!({"url": "oci://ghcr.io/org/charts"}))[0].field,
            "spec.url"
        );
        assert_eq!(
            helm_repository_rules(&json!({"url": "https://x", "type": "git"}))[0].field,
            "spec.type"
        );
    }

    #[test]
    fn helm_chart_and_bucket_and_oci_rules() {
        let chart = json!({"chart": "podinfo", "version": "6.x", "interval": "5m",
                           "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}});
        assert!(helm_chart_rules(&chart).is_empty());
        let bad =
            json!({"version": "six", "interval": "5m", "sourceRef": {"kind": "OCIRepository", "name": "x"}});
        let fields: Vec<_> = helm_chart_rules(&bad).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.chart", "spec.sourceRef.kind", "spec.version"]);
        assert!(
            bucket_rules(&json!({"bucketName": "b", "endpoint": "127.0.0.1:9000", "interval": "1m"}))
                .is_empty()
        );
        assert_eq!(
            bucket_rules(&json!({"bucketName": "b", "endpoint": "http://x", "interval": "1m"}))[0].field,
            "spec.endpoint"
        );
        assert!(
            oci_rules(&json!({"url": "oci://r/x", "interval": "1m", "ref": {"semver": ">=1.0.0"}}))
                .is_empty()
        );
        assert_eq!(
            oci_rules(&json!({"url": "oci://r/x", "interval": "1m", "ref": {}}))[0].field,
            "spec.ref"
        );
    }

    #[test]
    fn index_lists_versions_newest_first() {
        let index = b"apiVersion: v1\nentries:\n  demo:\n  - version: 0.2.0\n    description: d\n  - version: 1.0.0\n    appVersion: '1'\n  - version: 1.0.0-rc.1\n";
        let charts = parse_index(index).unwrap_or_default();
        assert_eq!(charts.len(), 1);
        let versions: Vec<_> = charts[0].versions.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(versions, ["1.0.0", "1.0.0-rc.1", "0.2.0"]);
    }
}
