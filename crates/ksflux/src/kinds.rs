//! The kinds the API serves, described once: each Flux kind (and ksflux's Application) is a
//! [`FluxKind`] — its API group, version and plural, the family it belongs to, the actions it
//! takes, where its credentials go, its schema check (the generated Flux types) and its rules.
//! This module is the bottom of the crate's module graph: it knows no cluster and no HTTP.
//!
//! **Adding a Flux kind**: generate its types (`scripts/generate-flux-types`), add a
//! `pub static` [`FluxKind`] with its rules to the module of its family (`sources`,
//! `delivery`, `notifications`, `images`), and list it in `catalog::KINDS`. The API routes,
//! the watch caches, cluster discovery, the status views, `GET /kinds` and the console's kind
//! tabs, actions and forms follow from that entry. In the console, add the kind's names to
//! `console/src/i18n/locales/*/kinds.json`; a kind-specific form (`pages/Sources/kinds.ts`) or
//! one-line description (`pages/Automation/kinds.ts`) is optional (generic ones are used).

use kube::api::ApiResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{error::Cause, validation};

/// Where a kind takes TLS material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsRef {
    /// The kind takes no TLS material.
    None,
    /// In the same Secret as its credentials (`spec.secretRef`), as GitRepository does.
    SecretRef,
    /// In its own Secret (`spec.certSecretRef`).
    CertSecretRef,
}

/// The family a kind belongs to: what the console groups it under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    /// ksflux's multi-cluster Application.
    Application,
    /// Where artifacts come from (source-controller).
    Source,
    /// What deploys them (kustomize- and helm-controller).
    Delivery,
    /// Alerts and webhooks (notification-controller).
    Notification,
    /// Image scanning and update automation (image controllers).
    Image,
}

/// A Flux kind the API serves.
pub struct FluxKind {
    /// The kind, e.g. `GitRepository`.
    pub kind: &'static str,
    /// Its family.
    pub family: Family,
    /// The reconcile interval a new object gets when none is given by the user (a form
    /// default; `None` where the kind has no interval).
    pub default_interval: Option<&'static str>,
    /// Its API group.
    pub group: &'static str,
    /// The version ksflux speaks.
    pub version: &'static str,
    /// The plural resource name, used in paths.
    pub plural: &'static str,
    /// Short name used in the names of its credential Secrets.
    pub short: &'static str,
    /// Credential types it accepts (`basic`, `bearer`, `ssh`, `s3`).
    pub auth_types: &'static [&'static str],
    /// Where its TLS material goes.
    pub tls: TlsRef,
    /// For kinds that talk to an OCI registry: the registry host of a spec, so basic
    /// credentials are stored as a docker config for it.
    pub registry: Option<fn(&Value) -> Option<String>>,
    /// The actions it supports.
    pub actions: &'static [Action],
    /// The source object it reads, for `reconcile?withSource=true`.
    pub source: Option<fn(&Value) -> Option<SourceOf>>,
    /// Checks the object against the Flux schema (the generated types).
    pub schema: fn(&Value) -> Result<(), Cause>,
    /// Checks the rules the schema cannot express.
    pub rules: fn(&Value) -> Vec<Cause>,
}

impl FluxKind {
    /// The dynamic API resource of this kind.
    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.into(),
            version: self.version.into(),
            api_version: format!("{}/{}", self.group, self.version),
            kind: self.kind.into(),
            plural: self.plural.into(),
        }
    }

    pub(crate) fn owner(&self, name: &str) -> String {
        format!("{}/{name}", self.kind)
    }

    /// What `GET /kinds` says about this kind.
    pub fn view(&self) -> KindView {
        KindView {
            kind: self.kind.into(),
            group: self.group.into(),
            version: self.version.into(),
            plural: self.plural.into(),
            family: self.family,
            actions: self.actions.to_vec(),
            credential_types: self.auth_types.iter().map(|s| s.to_string()).collect(),
            tls: self.tls != TlsRef::None,
            default_interval: self.default_interval.map(str::to_string),
        }
    }
}

/// A kind as the API describes it to clients (the console builds its tabs and forms from
/// these, so it keeps no table of its own).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KindView {
    /// The kind, e.g. `GitRepository`.
    pub kind: String,
    /// Its API group.
    pub group: String,
    /// The version ksflux speaks.
    pub version: String,
    /// The plural: the `{resource}` of the API's paths.
    pub plural: String,
    /// Its family.
    pub family: Family,
    /// The actions it takes (`POST .../{name}/{action}`).
    pub actions: Vec<Action>,
    /// The credential types a request may carry (`credentials.type`, besides `none`).
    pub credential_types: Vec<String>,
    /// Whether a request may carry TLS material (`tls`).
    pub tls: bool,
    /// The interval a new object gets in the console's forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_interval: Option<String>,
}

/// The source object a delivery reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceOf {
    /// Its kind (`GitRepository`, `HelmChart`, ...).
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its namespace, when not the delivery's own.
    pub namespace: Option<String>,
}

/// Checks `value` deserializes into the generated Flux type `K`, naming the failing field.
pub fn schema_check<K: serde::de::DeserializeOwned>(value: &Value) -> Result<(), Cause> {
    let de = value.clone();
    serde_path_to_error::deserialize::<_, K>(de)
        .map(|_| ())
        .map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "spec".to_string() } else { path };
            Cause::invalid(field, e.inner().to_string())
        })
}

/// An action on an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Ask the controller to reconcile now.
    Reconcile,
    /// Stop reconciling (`spec.suspend: true`).
    Suspend,
    /// Reconcile again (`spec.suspend: false`).
    Resume,
    /// HelmRelease: run a one-off install or upgrade, even without changes.
    Force,
    /// HelmRelease: reset the failure counts, so remediation starts over.
    Reset,
}

/// A string field of a spec.
pub fn s<'a>(spec: &'a Value, field: &str) -> Option<&'a str> {
    spec.get(field).and_then(Value::as_str)
}

/// Checks `spec.interval` (required or not) and `spec.timeout`.
pub fn interval(spec: &Value, required: bool, causes: &mut Vec<Cause>) {
    match s(spec, "interval") {
        Some(v) => causes.extend(validation::duration("spec.interval", v)),
        None if required => causes.push(Cause::required("spec.interval")),
        None => {}
    }
    if let Some(v) = s(spec, "timeout") {
        causes.extend(validation::duration("spec.timeout", v));
    }
}

/// Checks a reference `spec.<field>` (a path such as `sourceRef` or `chart/spec/sourceRef`):
/// its `name` is required, and its `kind` must be one of `kinds` (when `kinds` is not empty),
/// else the error says `what` is wrong with the given kind.
pub fn reference(spec: &Value, field: &str, kinds: &[&str], what: &str, causes: &mut Vec<Cause>) {
    let dotted = format!("spec.{}", field.replace('/', "."));
    let at = |key: &str| spec.pointer(&format!("/{field}/{key}")).and_then(Value::as_str);
    if !kinds.is_empty() {
        match at("kind") {
            Some(k) if kinds.contains(&k) => {}
            Some(k) => causes.push(Cause::invalid(
                format!("{dotted}.kind"),
                format!("{k:?} {what}; use {}", kinds.join(", ")),
            )),
            None => causes.push(Cause::required(format!("{dotted}.kind"))),
        }
    }
    if at("name").unwrap_or_default().is_empty() {
        causes.push(Cause::required(format!("{dotted}.name")));
    }
}

/// Exactly one of `keys` set in `spec.ref`, and a valid range for `semver`.
pub fn one_ref(spec: &Value, keys: &[&str], causes: &mut Vec<Cause>) {
    let Some(r) = spec.get("ref").and_then(Value::as_object) else {
        return;
    };
    let set: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| r.get(*k).and_then(Value::as_str).is_some_and(|v| !v.is_empty()))
        .collect();
    if set.len() != 1 {
        causes.push(Cause::invalid(
            "spec.ref",
            format!(
                "set exactly one of {} (found {})",
                keys.join(", "),
                if set.is_empty() {
                    "none".into()
                } else {
                    set.join(", ")
                }
            ),
        ));
    }
    if let Some(v) = r.get("semver").and_then(Value::as_str) {
        causes.extend(validation::semver_range("spec.ref.semver", v));
    }
}

/// `Application` (fluxcd.kubesphere.io/v1alpha1): ksflux's multi-cluster application, served
/// by the generic object handlers plus the checks, actions and views of `applications`.
pub static APPLICATION: FluxKind = FluxKind {
    kind: "Application",
    family: Family::Application,
    default_interval: Some("5m"),
    group: "fluxcd.kubesphere.io",
    version: "v1alpha1",
    plural: "applications",
    short: "app",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<ksflux_types::application::Application>,
    rules: |_| Vec::new(),
};
