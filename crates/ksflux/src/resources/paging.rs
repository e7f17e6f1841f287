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
    /// What tells apart items with the same namespace and name (e.g. cluster and kind), so
    /// that every order is total and pages never overlap.
    fn tie(&self) -> (&str, &str) {
        ("", "")
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

/// How many items come before the page `q` asks for, and how many it holds at most
/// (`limit`: 10 by default, 1 to 10,000).
pub fn page_window(q: &ListQuery) -> (usize, usize) {
    let limit = q.limit.unwrap_or(10).clamp(1, 10_000);
    let skip = q.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(limit);
    (skip, limit)
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
    type Key<'a> = (&'a str, &'a str, &'a str, (&'a str, &'a str));
    fn key<'a, T: Listed>(i: &'a T, field: &str) -> Key<'a> {
        let primary = match field {
            "name" => i.name(),
            "namespace" => i.namespace(),
            "state" => state_name(i.state()),
            "createTime" => i.created(),
            other => i.sort_key(other).unwrap_or_else(|| i.created()),
        };
        (primary, i.namespace(), i.name(), i.tie())
    }
    let descending = !q.ascending.unwrap_or(false);
    let total = items.len();
    let (skip, limit) = page_window(q);
    if skip >= total {
        return (Vec::new(), total);
    }
    // Only the items up to the end of the page are ordered, by their primary key kept beside
    // their index (a small array); ties read the full key.
    let end = skip.saturating_add(limit).min(total);
    let order: Vec<usize> = {
        let mut keyed: Vec<(&str, usize)> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (key(it, field).0, i))
            .collect();
        let cmp = |a: &(&str, usize), b: &(&str, usize)| {
            let o =
                a.0.cmp(b.0)
                    .then_with(|| key(&items[a.1], field).cmp(&key(&items[b.1], field)));
            if descending { o.reverse() } else { o }
        };
        if end < total {
            keyed.select_nth_unstable_by(end, cmp);
            keyed.truncate(end);
        }
        keyed.sort_unstable_by(cmp);
        keyed.into_iter().skip(skip).map(|(_, i)| i).collect()
    };
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let items = order.into_iter().filter_map(|i| slots[i].take()).collect();
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Item {
        name: String,
        namespace: String,
        created: String,
        cluster: String,
    }

    impl Listed for Item {
        fn name(&self) -> &str {
            &self.name
        }
        fn namespace(&self) -> &str {
            &self.namespace
        }
        fn created(&self) -> &str {
            &self.created
        }
        fn state(&self) -> State {
            State::Ready
        }
        fn tie(&self) -> (&str, &str) {
            (&self.cluster, "")
        }
    }

    proptest! {
        /// Every page is the slice of the whole list sorted in full: ordering only up to the
        /// end of the page changes nothing, and consecutive pages never overlap.
        #[test]
        fn a_page_is_the_slice_of_the_fully_sorted_list(
            // Keyed by (namespace, name, cluster), unique as in a cluster's API.
            raw in prop::collection::btree_map((0u8..4, 0u8..30, 0u8..3), 0u8..5, 0..80),
            sort in prop::sample::select(vec!["name", "namespace", "createTime"]),
            ascending in any::<bool>(),
            limit in 1usize..12,
            page in 1usize..10,
        ) {
            let items: Vec<Item> = raw
                .into_iter()
                .map(|((ns, name, cluster), created)| Item {
                    name: format!("o-{name:02}"),
                    namespace: format!("ns-{ns}"),
                    created: format!("2026-11-0{created}T00:00:00Z"),
                    cluster: format!("c{cluster}"),
                })
                .collect();
            let q = ListQuery {
                sort_by: Some(sort.to_string()),
                ascending: Some(ascending),
                limit: Some(limit),
                page: Some(page),
                ..Default::default()
            };
            let mut all = items.clone();
            let primary = |i: &Item| match sort {
                "name" => i.name.clone(),
                "namespace" => i.namespace.clone(),
                _ => i.created.clone(),
            };
            all.sort_by_key(|i| (primary(i), i.namespace.clone(), i.name.clone(), i.cluster.clone()));
            if !ascending {
                all.reverse();
            }
            let want: Vec<Item> = all.into_iter().skip((page - 1) * limit).take(limit).collect();
            let (got, total) = page_by(items.clone(), &q);
            prop_assert_eq!(total, items.len());
            prop_assert_eq!(got, want);
        }
    }
}
