//! Flux notifications: Provider and Alert (notification.toolkit.fluxcd.io/v1beta3) and
//! Receiver (v1). A Provider's token or webhook address and a Receiver's token are given as
//! `{"type": "token", "token": ..., "address": ...}` credentials (a Provider whose webhook
//! address is its only secret leaves `token` empty) and stored in a Secret.

use serde_json::Value;

use crate::{
    error::Cause,
    kinds::s,
    kinds::{Action, Family, FluxKind, TlsRef, schema_check},
    validation,
};
use ksflux_types::flux;

/// Provider types notification-controller v1.9 knows.
pub const PROVIDER_TYPES: &[&str] = &[
    "slack",
    "discord",
    "msteams",
    "rocket",
    "generic",
    "generic-hmac",
    "github",
    "gitlab",
    "gitea",
    "bitbucketserver",
    "bitbucket",
    "azuredevops",
    "googlechat",
    "googlepubsub",
    "webex",
    "sentry",
    "azureeventhub",
    "telegram",
    "lark",
    "matrix",
    "opsgenie",
    "alertmanager",
    "grafana",
    "githubdispatch",
    "pagerduty",
    "datadog",
    "nats",
    "zulip",
    "otel",
];

/// Receiver types notification-controller v1.9 knows.
pub const RECEIVER_TYPES: &[&str] = &[
    "generic",
    "generic-hmac",
    "github",
    "gitlab",
    "bitbucket",
    "harbor",
    "dockerhub",
    "quay",
    "gcr",
    "nexus",
    "acr",
    "cdevents",
];

/// `Provider` (notification.toolkit.fluxcd.io/v1beta3).
pub static PROVIDER: FluxKind = FluxKind {
    kind: "Provider",
    family: Family::Notification,
    default_interval: None,
    group: "notification.toolkit.fluxcd.io",
    version: "v1beta3",
    plural: "providers",
    short: "provider",
    auth_types: &["token", "basic"],
    tls: TlsRef::CertSecretRef,
    registry: None,
    actions: &[Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::providers::Provider>,
    rules: provider_rules,
};

/// `Alert` (notification.toolkit.fluxcd.io/v1beta3).
pub static ALERT: FluxKind = FluxKind {
    kind: "Alert",
    family: Family::Notification,
    default_interval: None,
    group: "notification.toolkit.fluxcd.io",
    version: "v1beta3",
    plural: "alerts",
    short: "alert",
    auth_types: &[],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::alerts::Alert>,
    rules: alert_rules,
};

/// `Receiver` (notification.toolkit.fluxcd.io/v1).
pub static RECEIVER: FluxKind = FluxKind {
    kind: "Receiver",
    family: Family::Notification,
    default_interval: Some("10m"),
    group: "notification.toolkit.fluxcd.io",
    version: "v1",
    plural: "receivers",
    short: "receiver",
    auth_types: &["token"],
    tls: TlsRef::None,
    registry: None,
    actions: &[Action::Reconcile, Action::Suspend, Action::Resume],
    source: None,
    schema: schema_check::<flux::receivers::Receiver>,
    rules: receiver_rules,
};

fn provider_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    match s(spec, "type") {
        Some(t) if PROVIDER_TYPES.contains(&t) => {}
        Some(t) => c.push(Cause::invalid(
            "spec.type",
            format!("{t:?} is not a provider type"),
        )),
        None => c.push(Cause::required("spec.type")),
    }
    // A few types take something else than a URL as address: a NATS server, a Google Cloud
    // project id, an Azure Event Hub connection string.
    if let Some(a) = s(spec, "address").filter(|a| !a.is_empty())
        && !matches!(s(spec, "type"), Some("nats" | "googlepubsub" | "azureeventhub"))
    {
        c.extend(validation::url("spec.address", a, &["http", "https"]));
    }
    if let Some(v) = s(spec, "timeout") {
        c.extend(validation::duration("spec.timeout", v));
    }
    c
}

fn alert_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    if spec
        .pointer("/providerRef/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        c.push(Cause::required("spec.providerRef.name"));
    }
    match spec.get("eventSources").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, e) in list.iter().enumerate() {
                if e.get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .is_empty()
                {
                    c.push(Cause::required(format!("spec.eventSources[{i}].kind")));
                }
                if e.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .is_empty()
                {
                    c.push(Cause::required(format!("spec.eventSources[{i}].name")));
                }
            }
        }
        _ => c.push(Cause::required("spec.eventSources")),
    }
    if let Some(sev) = s(spec, "eventSeverity")
        && !matches!(sev, "info" | "error")
    {
        c.push(Cause::invalid("spec.eventSeverity", "must be info or error"));
    }
    c
}

fn receiver_rules(spec: &Value) -> Vec<Cause> {
    let mut c = Vec::new();
    match s(spec, "type") {
        Some(t) if RECEIVER_TYPES.contains(&t) => {}
        Some(t) => c.push(Cause::invalid(
            "spec.type",
            format!("{t:?} is not a receiver type"),
        )),
        None => c.push(Cause::required("spec.type")),
    }
    if spec
        .get("resources")
        .and_then(Value::as_array)
        .is_none_or(|r| r.is_empty())
    {
        c.push(Cause::required("spec.resources"));
    }
    if let Some(v) = s(spec, "interval") {
        c.extend(validation::duration("spec.interval", v));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notification_rules() {
        assert!(provider_rules(&json!({"type": "slack", "address": "https://hooks.slack.com/x"})).is_empty());
        assert_eq!(provider_rules(&json!({"type": "pager"}))[0].field, "spec.type");
        assert!(
            provider_rules(&json!({"type": "googlepubsub", "address": "my-project", "channel": "t"}))
                .is_empty()
        );
        assert_eq!(
            provider_rules(&json!({"type": "slack", "address": "hooks"}))[0].field,
            "spec.address"
        );
        assert!(alert_rules(&json!({"providerRef": {"name": "p"}, "eventSources": [{"kind": "Kustomization", "name": "*"}]})).is_empty());
        assert_eq!(
            alert_rules(&json!({"providerRef": {"name": "p"}, "eventSources": []}))[0].field,
            "spec.eventSources"
        );
        assert!(
            receiver_rules(&json!({"type": "github", "resources": [{"kind": "GitRepository", "name": "x"}]}))
                .is_empty()
        );
        assert_eq!(
            receiver_rules(&json!({"type": "github"}))[0].field,
            "spec.resources"
        );
    }
}
