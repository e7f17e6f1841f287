//! Objects as users read them: lists and gets of every kind (Flux's and the Application)
//! answered from the watch caches, filtered by what the user may see there (the status
//! module's SubjectAccessReview decisions), and writes that wait for the caches to show them,
//! so a user reads their own writes.
//!
//! A read goes to the cluster instead — as the user, so the cluster's RBAC answers — when no
//! current cache holds the kind (not yet listed, or its watch failing), when the user may not
//! list it in the namespace asked for (the cluster's 403 is the answer), or when the object is
//! not in the cache.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use k8s_openapi::api::core::v1::Secret;
use kube::api::DynamicObject;

use crate::{
    auth::User,
    clusters::Clusters,
    error::{Cause, Error, Result},
    resources::{ListQuery, ObjectList, ObjectView, Scope, page_by, targets_cluster, view},
    status::Fleet,
};

/// Where reads are answered from.
#[derive(Clone)]
pub struct Reads {
    /// The watch caches.
    pub fleet: Fleet,
    /// The clusters (for access decisions).
    pub clusters: Clusters,
    /// Ask the clusters for every read, never the caches (for comparison and troubleshooting).
    pub direct: bool,
}

impl Reads {
    /// Lists objects of the scope's kind (every namespace the user may list when `namespace`
    /// is `None`), filtered, sorted and paged.
    pub async fn list(
        &self,
        scope: &Scope<'static>,
        user: &User,
        namespace: Option<&str>,
        q: &ListQuery,
    ) -> Result<ObjectList> {
        let selector = q
            .label_selector
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(Selector::parse)
            .transpose()?;
        if self.direct {
            return scope.list(namespace, q).await;
        }
        let readable = self
            .fleet
            .readable(&self.clusters, user, &scope.cluster, scope.kind, namespace)
            .await;
        let (Some(statuses), Some(object)) = (readable, self.fleet.lookup(&scope.cluster, scope.kind)) else {
            return scope.list(namespace, q).await;
        };
        let target = q.target.as_deref().filter(|t| !t.is_empty());
        let statuses = if selector.is_some() || target.is_some() {
            statuses
                .into_iter()
                .filter(|s| {
                    object(&s.namespace, &s.name).is_some_and(|o| {
                        selector.as_ref().is_none_or(|sel| sel.matches(&o))
                            && target.is_none_or(|t| {
                                o.data.get("spec").is_some_and(|spec| targets_cluster(spec, t))
                            })
                    })
                })
                .collect()
        } else {
            statuses
        };
        let (page, total_items) = page_by(statuses, q);
        let objects: Vec<Arc<DynamicObject>> = page
            .iter()
            .filter_map(|s| object(&s.namespace, &s.name))
            .collect();
        let secrets = credential_secrets(scope, &objects).await;
        let items = objects
            .into_iter()
            .map(|o| {
                let ns = o.metadata.namespace.clone().unwrap_or_default();
                let secrets = secrets.get(&ns).map(Vec::as_slice).unwrap_or(&[]);
                view(scope.kind, &scope.cluster, (*o).clone(), secrets)
            })
            .collect();
        Ok(ObjectList { items, total_items })
    }

    /// Gets one object.
    pub async fn get(
        &self,
        scope: &Scope<'static>,
        user: &User,
        namespace: &str,
        name: &str,
    ) -> Result<ObjectView> {
        if !self.direct
            && let Some(o) = self
                .fleet
                .readable_object(&self.clusters, user, &scope.cluster, scope.kind, namespace, name)
                .await
        {
            let secrets = credential_secrets(scope, std::slice::from_ref(&o)).await;
            let secrets = secrets.get(namespace).map(Vec::as_slice).unwrap_or(&[]);
            return Ok(view(scope.kind, &scope.cluster, (*o).clone(), secrets));
        }
        scope.get(namespace, name).await
    }

    /// Waits (briefly) until the caches show what a write answered: the object at its
    /// resourceVersion, so the writer's next list or get shows it.
    pub async fn written(&self, scope: &Scope<'static>, written: &ObjectView) {
        let meta = &written.metadata;
        let (Some(ns), Some(name), Some(rv)) = (
            meta["namespace"].as_str(),
            meta["name"].as_str(),
            meta["resourceVersion"].as_str(),
        ) else {
            return;
        };
        self.fleet
            .caught_up(&scope.cluster, scope.kind, ns, name, Some(rv))
            .await;
    }

    /// Waits (briefly) until the caches show a deletion: the object gone, or being deleted.
    pub async fn deleted(&self, scope: &Scope<'static>, namespace: &str, name: &str) {
        self.fleet
            .caught_up(&scope.cluster, scope.kind, namespace, name, None)
            .await;
    }
}

/// The credential Secrets (metadata) of the namespaces whose objects reference a Secret; only
/// those namespaces are read.
async fn credential_secrets(
    scope: &Scope<'static>,
    objects: &[Arc<DynamicObject>],
) -> BTreeMap<String, Vec<Secret>> {
    let namespaces: BTreeSet<String> = objects
        .iter()
        .filter(|o| {
            ["secretRef", "certSecretRef"]
                .iter()
                .any(|f| o.data.pointer(&format!("/spec/{f}/name")).is_some())
        })
        .filter_map(|o| o.metadata.namespace.clone())
        .collect();
    let mut out = BTreeMap::new();
    for ns in namespaces {
        let secrets = scope.secrets(&ns).await;
        out.insert(ns, secrets);
    }
    out
}

/// A Kubernetes label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k`), matched against
/// cached objects as the apiserver would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    DoesNotExist(String),
}

fn bad(message: String) -> Error {
    Error::BadParams(vec![Cause::invalid("labelSelector", message)])
}

fn label_key(key: &str) -> Result<String> {
    let key = key.trim();
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
    });
    if name_ok && prefix_ok {
        Ok(key.to_string())
    } else {
        Err(bad(format!("{key:?} is not a valid label key")))
    }
}

fn label_value(value: &str) -> Result<String> {
    let v = value.trim();
    let ok = v.is_empty()
        || (v.len() <= 63
            && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()));
    if ok {
        Ok(v.to_string())
    } else {
        Err(bad(format!("{v:?} is not a valid label value")))
    }
}

/// Splits on the commas outside parentheses.
fn terms(s: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if !(0..=1).contains(&depth) {
            return Err(bad("unbalanced parentheses".into()));
        }
    }
    if depth != 0 {
        return Err(bad("unbalanced parentheses".into()));
    }
    out.push(&s[start..]);
    Ok(out)
}

fn set(values: &str) -> Result<BTreeSet<String>> {
    let inner = values
        .trim()
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .ok_or_else(|| bad(format!("expected a (value, ...) list, found {:?}", values.trim())))?;
    inner.split(',').map(label_value).collect()
}

impl Selector {
    /// Parses a selector; an invalid one is a 400 naming `labelSelector`.
    pub fn parse(s: &str) -> Result<Selector> {
        let mut reqs = Vec::new();
        for term in terms(s)? {
            let term = term.trim();
            if term.is_empty() {
                return Err(bad("empty requirement".into()));
            }
            let req = if let Some(key) = term.strip_prefix('!') {
                Requirement::DoesNotExist(label_key(key)?)
            } else if let Some((k, v)) = term.split_once("!=") {
                Requirement::NotIn(label_key(k)?, [label_value(v)?].into())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Requirement::In(label_key(k)?, [label_value(v)?].into())
            } else if let Some((k, v)) = term.split_once(" notin ") {
                Requirement::NotIn(label_key(k)?, set(v)?)
            } else if let Some((k, v)) = term.split_once(" in ") {
                Requirement::In(label_key(k)?, set(v)?)
            } else {
                Requirement::Exists(label_key(term)?)
            };
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether the object's labels satisfy every requirement.
    pub fn matches(&self, obj: &DynamicObject) -> bool {
        let empty = BTreeMap::new();
        let labels = obj.metadata.labels.as_ref().unwrap_or(&empty);
        self.0.iter().all(|r| match r {
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }
}

#[cfg(test)]
mod tests {
    use kube::api::ApiResource;

    use super::*;

    fn labelled(labels: &[(&str, &str)]) -> DynamicObject {
        let ar = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
        let mut o = DynamicObject::new("x", &ar);
        o.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        o
    }

    fn matches(selector: &str, labels: &[(&str, &str)]) -> bool {
        Selector::parse(selector)
            .map(|s| s.matches(&labelled(labels)))
            .unwrap_or(false)
    }

    #[test]
    fn selectors_match_as_the_apiserver_does() {
        let web = [("app", "web"), ("tier", "front"), ("example.com/team", "a")];
        assert!(matches("app=web", &web));
        assert!(matches("app==web,tier=front", &web));
        assert!(!matches("app=db", &web));
        assert!(matches("app!=db", &web));
        assert!(matches("missing!=x", &web), "!= holds when the label is absent");
        assert!(matches("app in (db, web)", &web));
        assert!(!matches("app notin (db,web)", &web));
        assert!(matches("tier notin (back), example.com/team", &web));
        assert!(matches("!missing", &web));
        assert!(!matches("!app", &web));
        assert!(!matches("missing", &web));
        assert!(matches("app=web,tier in (front,back),!gone", &web));
    }

    #[test]
    fn bad_selectors_name_the_parameter() {
        for s in [
            "app=",
            "=web",
            "app in web",
            "app in (a",
            "a,,b",
            "app=we b",
            "-app=x",
            "Upper/x=y",
        ] {
            let matched = match Selector::parse(s) {
                Err(Error::BadParams(causes)) => causes.iter().all(|c| c.field == "labelSelector"),
                _ => false,
            };
            // `app=` selects an empty value, which Kubernetes allows.
            assert_eq!(matched, s != "app=", "{s:?}");
        }
    }
}
