//! Setting up image automation for an application: which git hosts ksflux may commit to,
//! how it reaches an application's GitRepository with the source's own credentials, where a
//! Helm chart's values hold an image, and the objects the flow creates.

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use serde_json::{Value, json};

use super::git::{Auth, Remote};
use crate::error::Cause;

/// The git hosts ksflux may connect to (`host` or `host:port`, as in the source URLs): an
/// administrator's list, never a user's. Empty: ksflux commits nowhere.
#[derive(Clone, Debug, Default)]
pub struct GitHosts(pub Vec<String>);

impl GitHosts {
    /// Whether ksflux may connect to `url`'s host; `Err` says why not.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let Some(rest) = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
        else {
            return Err("ksflux commits over HTTP(S) only; this source uses another transport".into());
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if self.0.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            Ok(())
        } else {
            Err(format!(
                "ksflux may not connect to git host {host:?}; an administrator allows it with --git-hosts"
            ))
        }
    }
}

/// The branch a GitRepository follows; `Err` when it is pinned to a tag, a semver range or a
/// commit (automation needs a branch to push to).
pub fn branch_of(repo: &Value) -> Result<String, String> {
    let r = repo.pointer("/spec/ref").cloned().unwrap_or(json!({}));
    for (field, what) in [
        ("commit", "a commit"),
        ("tag", "a tag"),
        ("semver", "a semver range"),
        ("name", "a ref name"),
    ] {
        if r.get(field)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
        {
            return Err(format!(
                "the source is pinned to {what} (spec.ref.{field}); image automation commits to a branch"
            ));
        }
    }
    Ok(r.get("branch")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
        .unwrap_or("master")
        .to_string())
}

/// The remote of a GitRepository, with its credentials (read by ksflux, never returned).
pub async fn remote(own: &Client, namespace: &str, repo: &Value, hosts: &GitHosts) -> Result<Remote, Cause> {
    let url = repo
        .pointer("/spec/url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    hosts.check(url).map_err(|m| Cause::invalid("source", m))?;
    let auth = match repo.pointer("/spec/secretRef/name").and_then(Value::as_str) {
        None => Auth::None,
        Some(name) => {
            let secret = Api::<Secret>::namespaced(own.clone(), namespace)
                .get_opt(name)
                .await
                .ok()
                .flatten()
                .ok_or_else(|| {
                    Cause::invalid("source", format!("the source's Secret {name:?} cannot be read"))
                })?;
            let data = secret.data.unwrap_or_default();
            let key = |k: &str| data.get(k).map(|v| String::from_utf8_lossy(&v.0).into_owned());
            match (key("username"), key("password"), key("bearerToken")) {
                (Some(u), Some(p), _) => Auth::Basic(u, p),
                (_, _, Some(t)) => Auth::Bearer(t),
                _ => {
                    return Err(Cause::invalid(
                        "source",
                        "the source's credentials are not HTTP ones (username/password or bearerToken)",
                    ));
                }
            }
        }
    };
    Remote::new(url, auth).map_err(|e| Cause::invalid("source", e.to_string()))
}

/// Where a chart's values set `image`'s tag: the dot path of a map whose `repository` is the
/// image, plus `.tag` (`image.tag` for `image: {repository, tag}`).
pub fn values_path(values: &Value, image: &str) -> Option<String> {
    fn walk(v: &Value, at: &str, image: &str) -> Option<String> {
        let map = v.as_object()?;
        if map.get("repository").and_then(Value::as_str) == Some(image) {
            return Some(if at.is_empty() {
                "tag".into()
            } else {
                format!("{at}.tag")
            });
        }
        map.iter().find_map(|(k, v)| {
            let next = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            walk(v, &next, image)
        })
    }
    walk(values, "", image)
}

/// A Kubernetes name for the automation objects of `app` and `image`: the application's name
/// and the image's last path segment.
pub fn object_name(app: &str, image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = format!("{app}-{}", clean.trim_matches('-'));
    name.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_hosts_are_contacted() {
        let hosts = GitHosts(vec!["127.0.0.1:8080".into(), "git.example.com".into()]);
        assert!(hosts.check("http://127.0.0.1:8080/demo.git").is_ok());
        assert!(hosts.check("https://u:p@git.example.com/org/repo").is_ok());
        assert!(hosts.check("http://169.254.169.254/latest").is_err());
        assert!(hosts.check("ssh://git@git.example.com/org/repo").is_err());
        assert!(
            GitHosts::default()
                .check("http://127.0.0.1:8080/demo.git")
                .is_err()
        );
    }

    #[test]
    fn pinned_sources_are_refused() {
        assert_eq!(
            branch_of(&json!({"spec": {"ref": {"branch": "main"}}})),
            Ok("main".into())
        );
        assert!(branch_of(&json!({"spec": {"ref": {"tag": "v1"}}})).is_err());
        assert!(branch_of(&json!({"spec": {"ref": {"commit": "abc"}}})).is_err());
    }

    #[test]
    fn a_values_path_is_found_by_repository() {
        let values = json!({"replicaCount": 1, "image": {"repository": "reg/app", "tag": "1.0.0"},
                            "sidecar": {"image": {"repository": "reg/side"}}});
        assert_eq!(values_path(&values, "reg/app").as_deref(), Some("image.tag"));
        assert_eq!(
            values_path(&values, "reg/side").as_deref(),
            Some("sidecar.image.tag")
        );
        assert_eq!(values_path(&values, "reg/none"), None);
        assert_eq!(object_name("web", "127.0.0.1:5000/demo/App_1"), "web-app-1");
    }
}
