//! Flux image automation: ImageRepository, ImagePolicy and ImageUpdateAutomation
//! (image.toolkit.fluxcd.io/v1).

pub mod git;
pub mod markers;
pub mod policy;
pub mod setup;

use serde_json::Value;

use crate::{
    error::Cause,
    kinds::{Action, Family, FluxKind, TlsRef, schema_check},
    kinds::{interval, s},
    validation,
};
use ksflux_types::flux;

/// `ImageRepository`: scans a registry for tags. Registry credentials are stored as a
/// docker config for the image's host.
pub static IMAGE_REPOSITORY: FluxKind = FluxKind {
    kind: "ImageRepository",
    family: Family::Image,
    default_interval: Some("5m"),
    group: "image.toolkit.fluxcd.io",
    version: "v1",
    plural: "imagerepositories",
    short: "image",
    auth_types: &["basic"],
    tls: TlsRef::CertSecretRef,
    registry: Some(image_registry),
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::imagerepositories::ImageRepository>,
    rules: image_repository_rules,
};

/// `ImagePolicy`: picks the latest tag by a policy.
pub static IMAGE_POLICY: FluxKind = FluxKind {
    kind: "ImagePolicy",
    family: Family::Image,
    default_interval: None,
    group: "image.toolkit.fluxcd.io",
    version: "v1",
    plural: "imagepolicies",
    short: "policy",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::imagepolicies::ImagePolicy>,
    rules: image_policy_rules,
};

/// `ImageUpdateAutomation`: commits policy results to git.
pub static IMAGE_UPDATE_AUTOMATION: FluxKind = FluxKind {
    kind: "ImageUpdateAutomation",
    family: Family::Image,
    default_interval: Some("30m"),
    group: "image.toolkit.fluxcd.io",
    version: "v1",
    plural: "imageupdateautomations",
    short: "iua",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::imageupdateautomations::ImageUpdateAutomation>,
    rules: image_update_rules,
};

fn image_registry(spec: &Value) -> Option<String> {
    let image = s(spec, "image")?;
    let first = image.split('/').next()?;
    // A registry host has a dot or a port, or is localhost; otherwise it is Docker Hub.
    if image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
        Some(first.to_string())
    } else {
        Some("index.docker.io".into())
    }
}

fn image_repository_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    match s(spec, "image") {
        None | Some("") => c.push(Cause::required("spec.image")),
        Some(i) if i.contains("://") => c.push(Cause::invalid(
            "spec.image",
            "give the image without a scheme, e.g. ghcr.io/org/app",
        )),
        Some(i)
            if i.rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':') || last.contains('@')) =>
        {
            c.push(Cause::invalid(
                "spec.image",
                "give the image without a tag or digest",
            ))
        }
        Some(_) => {}
    }
    interval(spec, true, &mut c);
    c
}

fn image_policy_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    if spec
        .pointer("/imageRepositoryRef/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        c.push(Cause::required("spec.imageRepositoryRef.name"));
    }
    let policy = spec.get("policy").and_then(Value::as_object);
    let set: Vec<&String> = policy.map(|p| p.keys().collect()).unwrap_or_default();
    if set.len() != 1 {
        c.push(Cause::invalid(
            "spec.policy",
            "set exactly one of semver, alphabetical, numerical",
        ));
    }
    if let Some(r) = spec.pointer("/policy/semver/range").and_then(Value::as_str) {
        c.extend(validation::semver_range("spec.policy.semver.range", r));
    }
    if c.is_empty()
        && let Err(cause) = policy::Policy::from_spec(spec)
    {
        c.push(cause);
    }
    c
}

fn image_update_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    if spec
        .pointer("/sourceRef/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        c.push(Cause::required("spec.sourceRef.name"));
    }
    if spec
        .pointer("/git/commit/author/email")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        c.push(Cause::required("spec.git.commit.author.email"));
    }
    interval(spec, true, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_rules() {
        assert!(image_repository_rules(&json!({"image": "ghcr.io/org/app", "interval": "1m"})).is_empty());
        assert_eq!(
            image_repository_rules(&json!({"image": "ghcr.io/org/app:1.0", "interval": "1m"}))[0].field,
            "spec.image"
        );
        assert_eq!(
            image_registry(&json!({"image": "127.0.0.1:5000/demo/app"})).as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(
            image_registry(&json!({"image": "nginx"})).as_deref(),
            Some("index.docker.io")
        );
        let p = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": ">=1.0.0"}}});
        assert!(image_policy_rules(&p).is_empty());
        let two = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": "newest"}, "numerical": {}}});
        let fields: Vec<_> = image_policy_rules(&two).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.policy", "spec.policy.semver.range"]);
        assert_eq!(
            image_update_rules(&json!({"interval": "1m", "sourceRef": {"name": "g"}}))[0].field,
            "spec.git.commit.author.email"
        );
    }
}
