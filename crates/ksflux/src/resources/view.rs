//! What the API returns for an object: its view (object, cluster, status summary, which
//! credentials it references) and the summary read from Flux's conditions.

use k8s_openapi::api::core::v1::Secret;
use kube::api::DynamicObject;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::*;
use crate::{
    credentials::{self, CredentialInfo},
    kinds::FluxKind,
};

// API shapes

/// The revision a delivery last applied: a Kustomization's `status.lastAppliedRevision`, or
/// for a HelmRelease (v2 has no such field) the chart version of its newest release,
/// `status.history[0].chartVersion`.
pub fn applied_revision(obj: &Value) -> Option<String> {
    obj.pointer("/status/lastAppliedRevision")
        .or_else(|| obj.pointer("/status/history/0/chartVersion"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The state a console shows for an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// Ready=True.
    Ready,
    /// Reconciling, or Ready=Unknown.
    Progressing,
    /// Ready=False or Stalled.
    Failed,
    /// `spec.suspend` is true.
    Suspended,
    /// No status yet.
    Unknown,
}

/// What the API derives from an object's status.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Ready, progressing, failed, suspended or unknown.
    pub state: State,
    /// The Ready condition's status: `True`, `False` or `Unknown`.
    pub ready: String,
    /// The Ready condition's reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The Ready condition's message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// `spec.suspend`.
    pub suspended: bool,
    /// The artifact revision (sources) or last applied revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When the artifact last changed, or the Ready condition last moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<String>,
    /// The pending `reconcile.fluxcd.io/requestedAt` token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_requested_at: Option<String>,
    /// `status.lastHandledReconcileAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// The controller has handled the last requested reconcile.
    pub reconcile_handled: bool,
}

/// Credentials referenced by an object.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsView {
    /// The `spec.secretRef` Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<CredentialInfo>,
    /// The `spec.certSecretRef` Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<CredentialInfo>,
}

/// A Flux object as the API returns it: the object (without `managedFields`), plus the
/// cluster it lives in, a summary of its status and what credentials it uses.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectView {
    /// The cluster.
    pub cluster: String,
    /// `group/version`.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// Kubernetes object metadata.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// The Flux spec.
    #[schema(value_type = Object)]
    pub spec: Value,
    /// The Flux status (`{}` until a controller has handled the object).
    #[schema(value_type = Object)]
    pub status: Value,
    /// What the status means.
    pub summary: Summary,
    /// Which credential Secrets it references (never their values).
    pub credential_status: CredentialsView,
}

/// A page of objects, in KubeSphere's list shape.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectList {
    /// This page.
    pub items: Vec<ObjectView>,
    /// How many objects match, over all pages.
    pub total_items: usize,
}

// ---------------------------------------------------------------------------------------------
// views

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn str_at(obj: &Value, ptr: &str) -> Option<String> {
    obj.pointer(ptr).and_then(Value::as_str).map(str::to_string)
}

/// Whether a `Ready=False` reason (and message) means Flux is waiting for something to get
/// ready — a dependency, a source or its artifact — rather than failing: such an object is
/// progressing. `ArtifactFailed` waits only when the artifact is not there yet, not when the
/// source object itself cannot be read.
pub fn waiting(reason: &str, message: &str) -> bool {
    match reason {
        "DependencyNotReady" | "SourceNotReady" => true,
        "ArtifactFailed" => {
            message.starts_with("Source artifact not found") || message.starts_with("Source is not ready")
        }
        _ => false,
    }
}

/// Derives the [`Summary`] of a Flux object, reading Flux's conditions the way Flux does.
pub fn summarize(obj: &Value) -> Summary {
    let ready = condition(obj, "Ready");
    let ready_status = ready
        .and_then(|c| c["status"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    let stalled = condition(obj, "Stalled").is_some_and(|c| c["status"] == "True");
    let reconciling = condition(obj, "Reconciling").is_some_and(|c| c["status"] == "True");
    let suspended = obj
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = obj.pointer("/status/observedGeneration").and_then(Value::as_i64);
    let state = if suspended {
        State::Suspended
    } else if ready.is_none() {
        State::Unknown
    } else if stalled {
        State::Failed
    } else if ready_status == "False" {
        let reason = ready.and_then(|c| c["reason"].as_str()).unwrap_or_default();
        let message = ready.and_then(|c| c["message"].as_str()).unwrap_or_default();
        if waiting(reason, message) {
            State::Progressing
        } else {
            State::Failed
        }
    } else if reconciling || ready_status == "Unknown" || (generation.is_some() && observed != generation) {
        State::Progressing
    } else {
        State::Ready
    };
    let requested = str_at(
        obj,
        &format!("/metadata/annotations/{}", REQUESTED_AT.replace('/', "~1")),
    );
    let handled = str_at(obj, "/status/lastHandledReconcileAt");
    Summary {
        state,
        ready: ready_status,
        reason: ready
            .and_then(|c| c["reason"].as_str())
            .unwrap_or_default()
            .to_string(),
        message: ready
            .and_then(|c| c["message"].as_str())
            .unwrap_or_default()
            .to_string(),
        suspended,
        revision: str_at(obj, "/status/artifact/revision").or_else(|| applied_revision(obj)),
        last_update_time: str_at(obj, "/status/artifact/lastUpdateTime").or_else(|| {
            ready
                .and_then(|c| c["lastTransitionTime"].as_str())
                .map(str::to_string)
        }),
        reconcile_handled: requested.is_none() || requested == handled,
        reconcile_requested_at: requested,
        last_handled_reconcile_at: handled,
    }
}

fn secret_ref_name(obj: &Value, field: &str) -> Option<String> {
    str_at(obj, &format!("/spec/{field}/name"))
}

/// Builds the API view of an object; `secrets` are the Secrets of its namespace the caller
/// may read (used only to tell managed from external credentials, never for values).
pub fn view(kind: &FluxKind, cluster: &str, obj: DynamicObject, secrets: &[Secret]) -> ObjectView {
    let mut value = serde_json::to_value(&obj).unwrap_or(Value::Null);
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let name = obj.metadata.name.clone().unwrap_or_default();
    let owner = kind.owner(&name);
    let find = |n: &str| secrets.iter().find(|s| s.metadata.name.as_deref() == Some(n));
    let auth = secret_ref_name(&value, "secretRef").map(|n| credentials::info(&n, find(&n), &owner));
    let tls = secret_ref_name(&value, "certSecretRef").map(|n| credentials::info(&n, find(&n), &owner));
    let summary = summarize(&value);
    ObjectView {
        cluster: cluster.to_string(),
        api_version: format!("{}/{}", kind.group, kind.version),
        kind: kind.kind.to_string(),
        metadata: value.get("metadata").cloned().unwrap_or(Value::Null),
        spec: value.get("spec").cloned().unwrap_or_else(|| json!({})),
        // An object no controller has handled yet has no status: an empty one, as documented.
        status: value
            .get("status")
            .filter(|s| s.is_object())
            .cloned()
            .unwrap_or_else(|| json!({})),
        summary,
        credential_status: CredentialsView { auth, tls },
    }
}
