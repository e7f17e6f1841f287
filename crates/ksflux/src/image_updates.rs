//! Applications' automated images (`spec.images`): ksflux moves the tag of every cluster that
//! follows an ImagePolicy to the policy's pick, and proposes promotions for the clusters
//! that take new tags by hand. Flux's image-automation-controller can only commit to git;
//! a Helm application's values live in the Application, so ksflux edits it, as an ordinary
//! write recorded in the audit log.

use std::{collections::BTreeMap, time::Duration};

use futures::{StreamExt, stream};
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DynamicObject, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    applications::{Application, ImageAutomation, placement},
    auth::User,
    clusters::Clusters,
    history::{History, audit::spec_diff},
};

/// How a cluster takes new tags.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
pub enum Mode {
    /// Every pick of the policy, as soon as it is made.
    Auto,
    /// Only when promoted.
    Manual,
}

/// The mode of `cluster` for one automated image.
pub fn mode(a: &ImageAutomation, cluster: &str) -> Mode {
    if a.manual.iter().any(|m| m == cluster) {
        Mode::Manual
    } else {
        Mode::Auto
    }
}

/// The automated images with every following cluster moved to its policy's pick (`latest`:
/// tag by policy name); `None` when nothing changes. Clusters no longer targeted lose their
/// recorded tag.
pub fn follow(
    images: &[ImageAutomation],
    clusters: &[String],
    latest: &BTreeMap<String, String>,
) -> Option<Vec<ImageAutomation>> {
    let mut out = images.to_vec();
    for a in &mut out {
        a.tags.retain(|c, _| clusters.contains(c));
        let Some(tag) = latest.get(&a.policy) else {
            continue;
        };
        for c in clusters {
            if mode(a, c) == Mode::Auto {
                if a.via_git {
                    // The commit carries the tag; a pin would only hold the cluster back.
                    a.tags.remove(c);
                } else {
                    a.tags.insert(c.clone(), tag.clone());
                }
            }
        }
    }
    (out != images).then_some(out)
}

/// The spec of `app` with `cluster` promoted to `tag` for `policy`; `Err` says why not.
pub fn promote(spec: &Value, policy: &str, cluster: &str, tag: &str) -> Result<Value, String> {
    let mut spec = spec.clone();
    let images = spec
        .get_mut("images")
        .and_then(Value::as_array_mut)
        .ok_or("the application automates no images")?;
    let entry = images
        .iter_mut()
        .find(|i| i.get("policy").and_then(Value::as_str) == Some(policy))
        .ok_or_else(|| format!("the application does not automate policy {policy:?}"))?;
    let tags = entry
        .as_object_mut()
        .ok_or("spec.images holds a non-object")?
        .entry("tags")
        .or_insert_with(|| Value::Object(Default::default()));
    let tags = tags.as_object_mut().ok_or("spec.images[].tags is not a map")?;
    tags.insert(cluster.to_string(), Value::String(tag.to_string()));
    Ok(spec)
}

/// The ImagePolicy kind.
pub fn policy_resource() -> ApiResource {
    ApiResource {
        group: "image.toolkit.fluxcd.io".into(),
        version: "v1".into(),
        api_version: "image.toolkit.fluxcd.io/v1".into(),
        kind: "ImagePolicy".into(),
        plural: "imagepolicies".into(),
    }
}

/// The tag an ImagePolicy picked (`status.latestRef.tag`).
pub fn latest_tag(policy: &Value) -> Option<String> {
    policy
        .pointer("/status/latestRef/tag")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The identity ksflux writes as when it follows a policy (in the audit log).
pub fn follower() -> User {
    User {
        name: "system:ksflux:image-automation".into(),
        groups: Vec::new(),
    }
}

/// Moves the following clusters of every application in `namespace` to their policies'
/// picks. A write that conflicts is left to the next pass.
async fn follow_namespace(host: &Client, clusters: &Clusters, history: Option<&History>, namespace: &str) {
    let apps: Api<Application> = Api::namespaced(host.clone(), namespace);
    let policies: Api<DynamicObject> = Api::namespaced_with(host.clone(), namespace, &policy_resource());
    let list = match apps.list(&Default::default()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!(namespace, error = %e, "listing applications for image automation failed");
            return;
        }
    };
    // Every policy's pick in the namespace, read once for all its applications.
    let latest: BTreeMap<String, String> = match policies.list(&Default::default()).await {
        Ok(l) => l
            .items
            .iter()
            .filter_map(|p| Some((p.name_any(), latest_tag(&serde_json::to_value(p).ok()?)?)))
            .collect(),
        Err(e) => {
            tracing::debug!(namespace, error = %e, "listing image policies failed");
            return;
        }
    };
    let labels = clusters.labels();
    for app in list.items.into_iter().filter(|a| !a.spec.images.is_empty()) {
        if app.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Ok(resolved) = placement::resolve(&app, &labels) else {
            continue;
        };
        let targets: Vec<String> = resolved
            .app
            .spec
            .targets
            .iter()
            .map(|t| t.cluster.clone())
            .collect();
        let Some(images) = follow(&app.spec.images, &targets, &latest) else {
            continue;
        };
        let old = serde_json::to_value(&app.spec).unwrap_or_default();
        let mut edited = app.clone();
        edited.spec.images = images;
        edited.status = None;
        let name = app.name_any();
        match apps.replace(&name, &PostParams::default(), &edited).await {
            Ok(_) => {
                let new = serde_json::to_value(&edited.spec).unwrap_or_default();
                tracing::info!(namespace, application = name, "image automation moved tags");
                if let Some(h) = history {
                    h.audit(
                        &follower(),
                        ("host", "Application", namespace, &name),
                        "update",
                        spec_diff(&old, &new),
                    )
                    .await;
                }
            }
            Err(e) => {
                tracing::debug!(namespace, application = name, error = %e, "image automation write deferred")
            }
        }
    }
}

/// Follows ImagePolicies for every application on the host: on every change of a policy or
/// an application, and every minute in any case. Runs with the application controller (the
/// leader's).
pub async fn run(clusters: Clusters, history: Option<History>) -> anyhow::Result<()> {
    let host = clusters.host().client();
    let policies = watcher(
        Api::<DynamicObject>::all_with(host.clone(), &policy_resource()),
        watcher::Config::default(),
    )
    .default_backoff()
    .applied_objects()
    .filter_map(|o| async move { o.ok().and_then(|o| o.namespace()) })
    .boxed();
    let apps = watcher(Api::<Application>::all(host.clone()), watcher::Config::default())
        .default_backoff()
        .applied_objects()
        .filter_map(|o| async move {
            o.ok()
                .filter(|a: &Application| !a.spec.images.is_empty())
                .and_then(|a| a.namespace())
        })
        .boxed();
    let every = {
        let host = host.clone();
        stream::unfold(tokio::time::interval(Duration::from_secs(60)), move |mut tick| {
            let host = host.clone();
            async move {
                tick.tick().await;
                let all: Api<Application> = Api::all(host);
                let namespaces: Vec<String> = all
                    .list(&Default::default())
                    .await
                    .map(|l| {
                        l.items
                            .into_iter()
                            .filter(|a| !a.spec.images.is_empty())
                            .filter_map(|a| a.namespace())
                            .collect()
                    })
                    .unwrap_or_default();
                Some((stream::iter(namespaces), tick))
            }
        })
        .flatten()
        .boxed()
    };
    let mut namespaces = stream::select_all([policies, apps, every]);
    while let Some(ns) = namespaces.next().await {
        follow_namespace(&host, &clusters, history.as_ref(), &ns).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(manual: &[&str], tags: &[(&str, &str)]) -> ImageAutomation {
        ImageAutomation {
            policy: "app".into(),
            values_path: Some("image.tag".into()),
            image: None,
            manual: manual.iter().map(|s| s.to_string()).collect(),
            via_git: false,
            tags: tags.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect(),
        }
    }

    #[test]
    fn following_clusters_take_the_pick_and_manual_ones_wait() {
        let clusters = vec!["member-1".to_string(), "member-2".to_string()];
        let latest = BTreeMap::from([("app".to_string(), "1.3.0".to_string())]);
        let before = [image(
            &["member-2"],
            &[("member-1", "1.2.0"), ("member-2", "1.2.0"), ("gone", "1.0.0")],
        )];
        let after = follow(&before, &clusters, &latest).expect("a change");
        assert_eq!(after[0].tags["member-1"], "1.3.0");
        assert_eq!(after[0].tags["member-2"], "1.2.0");
        assert!(!after[0].tags.contains_key("gone"));
        assert_eq!(follow(&after, &clusters, &latest), None, "nothing left to move");
        // No pick yet: nothing is written.
        assert_eq!(follow(&after, &clusters, &BTreeMap::new()), None);
        // Through git: the commit moves the following clusters; only manual pins are kept.
        let mut git = image(&["member-2"], &[("member-1", "1.2.0"), ("member-2", "1.0.0")]);
        git.via_git = true;
        let after = follow(&[git], &clusters, &latest).expect("a change");
        assert_eq!(
            after[0].tags,
            BTreeMap::from([("member-2".to_string(), "1.0.0".to_string())])
        );
    }

    #[test]
    fn a_promotion_sets_one_cluster_tag() {
        let spec = json!({"images": [{"policy": "app", "valuesPath": "image.tag", "manual": ["member-2"],
                                      "tags": {"member-1": "1.3.0", "member-2": "1.2.0"}}]});
        let promoted = promote(&spec, "app", "member-2", "1.3.0").expect("promoted");
        assert_eq!(
            promoted["images"][0]["tags"],
            json!({"member-1": "1.3.0", "member-2": "1.3.0"})
        );
        assert!(promote(&spec, "other", "member-2", "1.3.0").is_err());
        assert!(promote(&json!({}), "app", "member-2", "1.3.0").is_err());
    }
}
