//! The status index of one kind cache: the compact statuses by namespace and name, kept
//! together with a running tally per namespace (counts by state, and the objects that are not
//! Ready in worst-first order). The fleet summary adds up tallies instead of walking every
//! cached object, so it costs the same at 50,000 objects as at 500.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use super::{
    access::Scope,
    view::{ObjectStatus, StateCounts, TallyPart, badness},
};
use crate::resources::{ListQuery, page_by, page_window};

/// An object's key within one kind of one cluster: (namespace, name).
pub(crate) type Key = (String, String);

/// One namespace's objects, tallied.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// Objects by state.
    pub(crate) counts: StateCounts,
    /// The names of those not Ready, with how bad their state is: worst first, then by name.
    failing: BTreeSet<(u8, String)>,
}

impl Tally {
    /// The names of the objects that are not Ready, worst first, then by name.
    pub(crate) fn failing(&self) -> impl Iterator<Item = &str> {
        self.failing.iter().map(|(_, name)| name.as_str())
    }

    fn add(&mut self, o: &ObjectStatus) {
        self.counts.add(o.summary.state);
        if let Some(b) = badness(o.summary.state) {
            self.failing.insert((b, o.name.clone()));
        }
    }

    fn remove(&mut self, o: &ObjectStatus) {
        self.counts.remove(o.summary.state);
        if let Some(b) = badness(o.summary.state) {
            self.failing.remove(&(b, o.name.clone()));
        }
    }
}

/// The statuses of one kind in one cluster, with their tallies and their keys in the two
/// orders lists are asked for most (by name; by creation time, the default), so that a page
/// of a large list is read from the front of each order instead of sorting every object.
#[derive(Debug, Default)]
pub(crate) struct Index {
    items: HashMap<Key, Arc<ObjectStatus>>,
    tallies: BTreeMap<String, Tally>,
    by_name: BTreeSet<(String, String)>,
    by_created: BTreeSet<(String, String, String)>,
}

/// An order [`Index`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// By name, then namespace.
    Name,
    /// By `metadata.creationTimestamp`, then namespace and name.
    Created,
}

impl Order {
    /// The order list `q` asks for, if the indexes can answer it: no filter by name or
    /// state, sorted by name or creation time (`createTime` when unset).
    pub(crate) fn of(q: &ListQuery) -> Option<Order> {
        if q.name.as_deref().is_some_and(|n| !n.is_empty()) || q.state.is_some() {
            return None;
        }
        match q.sort_by.as_deref().unwrap_or("createTime") {
            "name" => Some(Order::Name),
            "createTime" => Some(Order::Created),
            _ => None,
        }
    }
}

/// The page list `q` asks for over indexes, and how many objects they hold (`None` when
/// [`Order::of`] has no order for it). `read(order, descending, n, out)` adds the first `n`
/// statuses of every index (and scope) in that order to `out`, and returns how many objects
/// they hold: the first `n` of each hold the first `n` of all, so ordering those alone gives
/// the page, as [`page_by`] over every object would.
pub(crate) fn page(
    q: &ListQuery,
    read: impl FnOnce(Order, bool, usize, &mut Vec<Arc<ObjectStatus>>) -> usize,
) -> Option<(Vec<Arc<ObjectStatus>>, usize)> {
    let order = Order::of(q)?;
    let descending = !q.ascending.unwrap_or(false);
    let (skip, limit) = page_window(q);
    let mut candidates = Vec::new();
    let total = read(order, descending, skip.saturating_add(limit), &mut candidates);
    let (page, _) = page_by(candidates, q);
    Some((page, total))
}

impl Index {
    /// The status of `namespace`/`name`.
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<&Arc<ObjectStatus>> {
        self.items.get(&(namespace.to_string(), name.to_string()))
    }

    /// Every status, in no order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Arc<ObjectStatus>> {
        self.items.values()
    }

    /// Every key, in no order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Key> {
        self.items.keys()
    }

    /// How many objects it holds.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The tally of each namespace that has objects.
    pub(crate) fn tallies(&self) -> &BTreeMap<String, Tally> {
        &self.tallies
    }

    /// Puts `s` in place of what was there; returns what was.
    pub(crate) fn insert(&mut self, s: Arc<ObjectStatus>) -> Option<Arc<ObjectStatus>> {
        let key = (s.namespace.clone(), s.name.clone());
        let old = self.items.insert(key, s.clone());
        if let Some(old) = &old {
            self.untally(old);
        }
        self.tallies.entry(s.namespace.clone()).or_default().add(&s);
        self.by_name.insert((s.name.clone(), s.namespace.clone()));
        self.by_created
            .insert((s.creation_timestamp.clone(), s.namespace.clone(), s.name.clone()));
        old
    }

    /// Removes `key`; returns what was there.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Arc<ObjectStatus>> {
        let old = self.items.remove(key)?;
        self.untally(&old);
        self.by_name.remove(&(old.name.clone(), old.namespace.clone()));
        Some(old)
    }

    /// Empties the index; returns what it held.
    pub(crate) fn take(&mut self) -> Vec<Arc<ObjectStatus>> {
        self.tallies.clear();
        self.by_name.clear();
        self.by_created.clear();
        self.items.drain().map(|(_, v)| v).collect()
    }

    /// How many objects of the namespaces `scope` admits (only `namespace`, when given) it
    /// holds.
    pub(crate) fn count(&self, scope: &Scope, namespace: Option<&str>) -> usize {
        match (scope, namespace) {
            (Scope::All, None) => self.items.len(),
            _ => self
                .tallies
                .iter()
                .filter(|(ns, _)| namespace.is_none_or(|f| f == *ns) && scope.admits(ns))
                .map(|(_, t)| t.counts.total)
                .sum(),
        }
    }

    /// The first `n` statuses in `order` (from the end when `descending`) of the namespaces
    /// `scope` admits (only `namespace`, when given).
    pub(crate) fn first(
        &self,
        order: Order,
        descending: bool,
        scope: &Scope,
        namespace: Option<&str>,
        n: usize,
    ) -> Vec<Arc<ObjectStatus>> {
        let keys: Box<dyn Iterator<Item = (&str, &str)>> = match order {
            Order::Name => {
                let it = self.by_name.iter().map(|(name, ns)| (ns.as_str(), name.as_str()));
                if descending {
                    Box::new(it.rev())
                } else {
                    Box::new(it)
                }
            }
            Order::Created => {
                let it = self
                    .by_created
                    .iter()
                    .map(|(_, ns, name)| (ns.as_str(), name.as_str()));
                if descending {
                    Box::new(it.rev())
                } else {
                    Box::new(it)
                }
            }
        };
        keys.filter(|(ns, _)| namespace.is_none_or(|f| f == *ns) && scope.admits(ns))
            .take(n)
            .filter_map(|(ns, name)| self.get(ns, name).cloned())
            .collect()
    }

    /// Adds the tallies of the namespaces `scope` admits (only `namespace`, when given) to
    /// `parts`, as objects of `kind` in `cluster`, and the worst `cap` failing objects of each
    /// to `candidates`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tally<'a>(
        &self,
        cluster: &'a str,
        kind: &'a str,
        scope: &Scope,
        namespace: Option<&str>,
        cap: usize,
        parts: &mut Vec<TallyPart<'a>>,
        candidates: &mut Vec<Arc<ObjectStatus>>,
    ) {
        for (ns, t) in &self.tallies {
            if namespace.is_some_and(|f| f != ns) || !scope.admits(ns) {
                continue;
            }
            parts.push(TallyPart {
                cluster,
                kind,
                namespace: ns.clone(),
                counts: t.counts,
            });
            candidates.extend(
                t.failing()
                    .take(cap)
                    .filter_map(|name| self.get(ns, name).cloned()),
            );
        }
    }

    fn untally(&mut self, old: &ObjectStatus) {
        // The creation time is the one key part that may differ between the old and the new
        // status of an object (never in Kubernetes, but the index does not rely on that).
        self.by_created.remove(&(
            old.creation_timestamp.clone(),
            old.namespace.clone(),
            old.name.clone(),
        ));
        if let Some(t) = self.tallies.get_mut(&old.namespace) {
            t.remove(old);
            if t.counts.total == 0 {
                self.tallies.remove(&old.namespace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{
        resources::{State, Summary},
        status::view::{summarize_fleet, summarize_tallies},
    };

    fn status(namespace: &str, name: &str, state: State) -> Arc<ObjectStatus> {
        status_in("c", "GitRepository", namespace, name, state)
    }

    fn status_in(cluster: &str, kind: &str, namespace: &str, name: &str, state: State) -> Arc<ObjectStatus> {
        Arc::new(ObjectStatus {
            cluster: cluster.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            resource_version: String::new(),
            creation_timestamp: String::new(),
            summary: Summary {
                state,
                ready: String::new(),
                reason: String::new(),
                message: String::new(),
                suspended: state == State::Suspended,
                revision: None,
                last_update_time: None,
                reconcile_requested_at: None,
                last_handled_reconcile_at: None,
                reconcile_handled: true,
            },
            replicas: None,
            deploys_to: None,
        })
    }

    const STATES: [State; 5] = [
        State::Ready,
        State::Progressing,
        State::Failed,
        State::Suspended,
        State::Unknown,
    ];

    proptest! {
        /// After any sequence of upserts and removals, each namespace's tally is what counting
        /// its objects afresh gives, and its failing names are theirs, worst first.
        #[test]
        fn tallies_always_match_a_recount(ops in prop::collection::vec((0u8..3, 0u8..6, 0usize..5, any::<bool>()), 0..200)) {
            let mut index = Index::default();
            for (ns, name, state, remove) in ops {
                let (ns, name) = (format!("ns-{ns}"), format!("o-{name}"));
                if remove {
                    index.remove(&(ns, name));
                } else {
                    index.insert(status(&ns, &name, STATES[state]));
                }
            }
            let mut recount: BTreeMap<String, (StateCounts, Vec<(u8, String)>)> = BTreeMap::new();
            for o in index.values() {
                let e = recount.entry(o.namespace.clone()).or_default();
                e.0.add(o.summary.state);
                if let Some(b) = badness(o.summary.state) {
                    e.1.push((b, o.name.clone()));
                }
            }
            prop_assert_eq!(index.tallies().len(), recount.len());
            for (ns, (counts, mut failing)) in recount {
                failing.sort();
                let t = &index.tallies()[&ns];
                prop_assert_eq!(t.counts, counts);
                let names: Vec<&str> = t.failing().collect();
                let want: Vec<&str> = failing.iter().map(|(_, n)| n.as_str()).collect();
                prop_assert_eq!(names, want);
            }
        }
    }

    proptest! {
        /// The summary added up from tallies is the one counted from every object the scope
        /// and namespace admit, failing list included, at any cap.
        #[test]
        fn a_summary_from_tallies_is_the_summary_of_every_object(
            objects in prop::collection::vec((0usize..2, 0usize..2, 0u8..3, 0u8..8, 0usize..5), 0..120),
            admitted in prop::collection::btree_set(0u8..3, 0..3),
            wide in any::<bool>(),
            only in prop::option::of(0u8..3),
            cap in 1usize..6,
        ) {
            const CLUSTERS: [&str; 2] = ["host", "member-1"];
            const KINDS: [&str; 2] = ["GitRepository", "Kustomization"];
            let mut indexes: BTreeMap<(usize, usize), Index> = BTreeMap::new();
            for (c, k, ns, name, state) in objects {
                let o = status_in(CLUSTERS[c], KINDS[k], &format!("ns-{ns}"), &format!("o-{name}"), STATES[state]);
                indexes.entry((c, k)).or_default().insert(o);
            }
            let scope = if wide {
                Scope::All
            } else {
                Scope::Namespaces(admitted.iter().map(|n| format!("ns-{n}")).collect())
            };
            let only = only.map(|n| format!("ns-{n}"));
            let mut parts = Vec::new();
            let mut candidates = Vec::new();
            let mut every = Vec::new();
            for ((c, k), index) in &indexes {
                index.tally(CLUSTERS[*c], KINDS[*k], &scope, only.as_deref(), cap, &mut parts, &mut candidates);
                every.extend(index.values().filter(|o| {
                    only.as_deref().is_none_or(|n| n == o.namespace) && scope.admits(&o.namespace)
                }).cloned());
            }
            let fast = summarize_tallies(&parts, &candidates, Vec::new(), cap);
            let slow = summarize_fleet(every.iter().map(|o| &**o), Vec::new(), cap);
            prop_assert_eq!(
                serde_json::to_value(&fast).unwrap_or_default(),
                serde_json::to_value(&slow).unwrap_or_default()
            );
        }
    }

    proptest! {
        /// A page read from the front of each index's order is the page that sorting every
        /// object gives, and the count is theirs: any order, direction, page, scope, namespace,
        /// after any upserts and removals (creation times collide, so ties are broken).
        #[test]
        fn a_page_from_the_ordered_indexes_is_the_page_of_every_object(
            ops in prop::collection::vec((0usize..4, 0u8..3, 0u8..12, 0u8..4, any::<bool>()), 0..150),
            by_name in any::<bool>(),
            ascending in any::<bool>(),
            page_no in 1usize..5,
            limit in 1usize..7,
            admitted in prop::option::of(prop::collection::btree_set(0u8..3, 0..3)),
            only in prop::option::of(0u8..3),
        ) {
            // Two clusters with two kinds each.
            let mut indexes: Vec<Index> = (0..4).map(|_| Index::default()).collect();
            for (i, ns, name, created, remove) in ops {
                let (ns, name) = (format!("ns{ns}"), format!("o{name}"));
                if remove {
                    indexes[i].remove(&(ns, name));
                } else {
                    let kind = if i % 2 == 0 { "GitRepository" } else { "Bucket" };
                    let mut s = (*status_in(&format!("c{}", i / 2), kind, &ns, &name, State::Ready)).clone();
                    s.creation_timestamp = format!("2026-11-0{created}T00:00:00Z");
                    indexes[i].insert(Arc::new(s));
                }
            }
            let scope = match admitted {
                Some(set) => Scope::Namespaces(set.iter().map(|n| format!("ns{n}")).collect()),
                None => Scope::All,
            };
            let namespace = only.map(|n| format!("ns{n}"));
            let namespace = namespace.as_deref();
            let q = ListQuery {
                page: Some(page_no),
                limit: Some(limit),
                sort_by: Some(if by_name { "name" } else { "createTime" }.into()),
                ascending: Some(ascending),
                ..Default::default()
            };
            let (fast, total) = page(&q, |order, descending, n, out| {
                indexes
                    .iter()
                    .map(|ix| {
                        out.extend(ix.first(order, descending, &scope, namespace, n));
                        ix.count(&scope, namespace)
                    })
                    .sum()
            })
            .expect("an indexed order");
            let every: Vec<Arc<ObjectStatus>> = indexes
                .iter()
                .flat_map(|ix| ix.values().cloned())
                .filter(|o| namespace.is_none_or(|f| f == o.namespace) && scope.admits(&o.namespace))
                .collect();
            let (slow, slow_total) = page_by(every, &q);
            let keys = |v: &[Arc<ObjectStatus>]| -> Vec<(String, String, String, String)> {
                v.iter()
                    .map(|o| (o.cluster.clone(), o.kind.clone(), o.namespace.clone(), o.name.clone()))
                    .collect()
            };
            prop_assert_eq!(total, slow_total);
            prop_assert_eq!(keys(&fast), keys(&slow));
        }
    }

    #[test]
    fn a_filtered_list_or_an_unindexed_order_is_not_answered_from_the_orders() {
        let q = |name: Option<&str>, state: Option<State>, sort_by: Option<&str>| ListQuery {
            name: name.map(str::to_string),
            state,
            sort_by: sort_by.map(str::to_string),
            ..Default::default()
        };
        assert_eq!(Order::of(&q(None, None, None)), Some(Order::Created));
        assert_eq!(Order::of(&q(Some(""), None, Some("name"))), Some(Order::Name));
        assert_eq!(Order::of(&q(Some("web"), None, Some("name"))), None);
        assert_eq!(Order::of(&q(None, Some(State::Failed), None)), None);
        assert_eq!(Order::of(&q(None, None, Some("state"))), None);
    }

    #[test]
    fn an_object_that_changes_state_moves_between_counts() {
        let mut index = Index::default();
        index.insert(status("a", "x", State::Failed));
        index.insert(status("a", "y", State::Ready));
        assert_eq!(index.tallies()["a"].failing().collect::<Vec<_>>(), ["x"]);
        index.insert(status("a", "x", State::Ready));
        let t = &index.tallies()["a"];
        assert_eq!((t.counts.total, t.counts.ready, t.counts.failed), (2, 2, 0));
        assert_eq!(t.failing().count(), 0);
        index.remove(&("a".into(), "x".into()));
        index.remove(&("a".into(), "y".into()));
        assert!(index.tallies().is_empty(), "an emptied namespace has no tally");
    }
}
