//! Filtering, sorting and paging lists the KubeSphere way.

use serde_json::Value;

use super::*;

/// What [`page_by`] needs to know of a listed item.
pub trait Listed {
    /// The object's name.
    fn name(&self) -> &str;
    /// The object's namespace.
    fn namespace(&self) -> &str;
    /// `metadata.creationTimestamp` (RFC 3339, so it sorts as text).
    fn created(&self) -> &str;
    /// Its state.
    fn state(&self) -> State;
    /// A sort key for a `sortBy` field other than `name`, `namespace`, `state` and
    /// `createTime`; `None` sorts such a field by `createTime`.
    fn sort_key(&self, _field: &str) -> Option<&str> {
        None
    }
}

impl Listed for ObjectView {
    fn name(&self) -> &str {
        self.metadata["name"].as_str().unwrap_or_default()
    }
    fn namespace(&self) -> &str {
        self.metadata["namespace"].as_str().unwrap_or_default()
    }
    fn created(&self) -> &str {
        self.metadata["creationTimestamp"].as_str().unwrap_or_default()
    }
    fn state(&self) -> State {
        self.summary.state
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Failed => "Failed",
        State::Progressing => "Progressing",
        State::Ready => "Ready",
        State::Suspended => "Suspended",
        State::Unknown => "Unknown",
    }
}

/// Filters (`name`, `state`), sorts (`sortBy`, `ascending`; ties by namespace and name) and
/// pages (`page`, `limit`) items the KubeSphere way; returns the page and how many matched.
pub fn page_by<T: Listed>(mut items: Vec<T>, q: &ListQuery) -> (Vec<T>, usize) {
    if let Some(n) = q.name.as_deref().filter(|n| !n.is_empty()) {
        items.retain(|i| i.name().contains(n));
    }
    if let Some(s) = q.state {
        items.retain(|i| i.state() == s);
    }
    let field = q.sort_by.as_deref().unwrap_or("createTime");
    fn key<'a, T: Listed>(i: &'a T, field: &str) -> (&'a str, &'a str, &'a str) {
        let primary = match field {
            "name" => i.name(),
            "namespace" => i.namespace(),
            "state" => state_name(i.state()),
            "createTime" => i.created(),
            other => i.sort_key(other).unwrap_or_else(|| i.created()),
        };
        (primary, i.namespace(), i.name())
    }
    items.sort_by(|a, b| key(a, field).cmp(&key(b, field)));
    if !q.ascending.unwrap_or(false) {
        items.reverse();
    }
    let total = items.len();
    let limit = q.limit.unwrap_or(10).clamp(1, 10_000);
    let skip = q.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(limit);
    let items = items.into_iter().skip(skip).take(limit).collect();
    (items, total)
}

/// Whether an application's spec has a target in `cluster`.
pub fn targets_cluster(spec: &Value, cluster: &str) -> bool {
    spec.get("targets").and_then(Value::as_array).is_some_and(|ts| {
        ts.iter()
            .any(|t| t.get("cluster").and_then(Value::as_str) == Some(cluster))
    })
}

/// Filters, sorts and pages a list the KubeSphere way (see [`page_by`]); `target` keeps the
/// applications deploying to a cluster.
pub fn page(mut items: Vec<ObjectView>, q: &ListQuery) -> ObjectList {
    if let Some(cluster) = q.target.as_deref().filter(|c| !c.is_empty()) {
        items.retain(|o| targets_cluster(&o.spec, cluster));
    }
    let (items, total_items) = page_by(items, q);
    ObjectList { items, total_items }
}
