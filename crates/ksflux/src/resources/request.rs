//! What a request carries: the object to create or update, and the query parameters of
//! lists, single objects and actions.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::*;
use crate::credentials::{Credentials, Tls};

/// A create or update request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectRequest {
    /// `group/version`; optional, must match the path's kind if given.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Optional; must match the path's kind if given.
    #[serde(default)]
    pub kind: Option<String>,
    /// `name` (required), `labels`, `annotations`; for updates also `resourceVersion`
    /// (required: a stale one is refused with 409).
    #[schema(value_type = Object)]
    pub metadata: RequestMeta,
    /// The Flux spec.
    #[schema(value_type = Object)]
    pub spec: Value,
    /// How the source authenticates; written to a Secret, never returned.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// TLS material; written to a Secret, never returned.
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Ignored, so an object read from the API can be sent back as an update.
    #[serde(default)]
    #[schema(ignore)]
    pub status: Option<Value>,
    /// Ignored (read-only).
    #[serde(default)]
    #[schema(ignore)]
    pub summary: Option<Value>,
    /// Ignored (read-only; the cluster is a query parameter).
    #[serde(default)]
    #[schema(ignore)]
    pub cluster: Option<Value>,
    /// Ignored (read-only).
    #[serde(default)]
    #[schema(ignore)]
    pub credential_status: Option<Value>,
}

/// The metadata a request may set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMeta {
    /// Object name.
    #[serde(default)]
    pub name: String,
    /// Must match the path's namespace if given.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    /// The version the update is based on.
    #[serde(default)]
    pub resource_version: Option<String>,
}

/// List parameters (KubeSphere's).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<usize>,
    /// Page size (default 10, at most 10000).
    pub limit: Option<usize>,
    /// `name`, `namespace`, `createTime` (default) or `state`.
    pub sort_by: Option<String>,
    /// Sort ascending (default false, i.e. newest first for createTime).
    pub ascending: Option<bool>,
    /// Substring the name must contain.
    pub name: Option<String>,
    /// A Kubernetes label selector.
    pub label_selector: Option<String>,
    /// Only objects in this state.
    pub state: Option<State>,
    /// Applications only: those with a target in this cluster.
    pub target: Option<String>,
}

/// The cluster parameter of single-object requests.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
}

/// Parameters of an action.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// The cluster (default `host`).
    pub cluster: Option<String>,
    /// For `reconcile`, `resume`, `force`, `reset`: wait up to this many seconds (at most
    /// 120) for the controller to handle the request before answering.
    pub wait: Option<u64>,
    /// For `reconcile` of a Kustomization or HelmRelease: reconcile its source first.
    #[serde(rename = "withSource")]
    pub with_source: Option<bool>,
    /// For applications: act on this target cluster only.
    pub target: Option<String>,
}
