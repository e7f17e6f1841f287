//! Multi-cluster applications: the `Application` resource, the rules that merge each
//! target's overrides into the base, the rendering of one Flux object per target, scoped
//! member credentials, and the controller that applies it all.

pub mod access;
pub mod agent;
pub mod api;
pub mod controller;
pub mod grants;
pub mod merge;
pub mod placement;
pub mod plan;
pub mod render;
pub mod rollout;

pub use ksflux_types::application::*;
use kube::CustomResourceExt;

/// ksflux's CRDs as a YAML stream.
pub fn crds_yaml() -> anyhow::Result<String> {
    Ok(format!("---\n{}", serde_yaml_ng::to_string(&Application::crd())?))
}
