//! Who may see what the caches hold: a user sees a cached object only if the object's
//! cluster lets them `list` its kind in its namespace (`get`, for a single object). Each decision is a SubjectAccessReview
//! sent with ksflux's own client to that cluster, cached briefly per (user, cluster, resource,
//! namespace). When a cluster cannot answer, the last decision stands, or the answer is no.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use kube::Client;

use super::view::ObjectStatus;
use crate::{auth::User, clusters::Clusters, kinds::FluxKind};

/// How long a decision is reused.
const TTL: Duration = Duration::from_secs(20);
/// How long a review may take.
const REVIEW_TIMEOUT: Duration = Duration::from_secs(3);
/// How many reviews run at once for one request.
const CONCURRENT_REVIEWS: usize = 16;
/// Decisions kept before the cache is emptied.
const MAX_DECISIONS: usize = 100_000;

/// The objects of one kind in one cluster that a request would show.
pub(crate) struct Group {
    /// The cluster.
    pub(crate) cluster: String,
    /// The kind.
    pub(crate) kind: &'static dyn Resource,
    /// The objects.
    pub(crate) items: Vec<Arc<ObjectStatus>>,
}

/// One kind in one cluster whose objects a request would show.
pub(crate) struct Wanted {
    /// The cluster.
    pub(crate) cluster: String,
    /// The kind.
    pub(crate) kind: &'static dyn Resource,
}

/// What a user may list of one kind in one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every namespace the request asks for.
    All,
    /// Only these namespaces (none, when empty).
    Namespaces(HashSet<String>),
}

impl Scope {
    /// Whether objects in `namespace` may be shown.
    pub(crate) fn admits(&self, namespace: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Namespaces(set) => set.contains(namespace),
        }
    }
}

/// A resource a decision is about: its API group and plural.
pub(crate) trait Resource: Sync {
    /// The API group (`""`: the core group).
    fn group(&self) -> &str;
    /// The plural resource name.
    fn plural(&self) -> &str;
}

impl Resource for FluxKind {
    fn group(&self) -> &str {
        self.group
    }
    fn plural(&self) -> &str {
        self.plural
    }
}

impl Resource for super::workloads::Watched {
    fn group(&self) -> &str {
        self.group
    }
    fn plural(&self) -> &str {
        self.plural
    }
}

type Decisions = HashMap<User, HashMap<String, (bool, Instant)>>;

/// Cached access decisions.
#[derive(Clone, Default)]
pub(crate) struct Access {
    decisions: Arc<Mutex<Decisions>>,
    size: Arc<std::sync::atomic::AtomicUsize>,
}

fn key(verb: &str, cluster: &str, kind: &dyn Resource, namespace: &str) -> String {
    format!(
        "{verb}\n{cluster}\n{}\n{}\n{namespace}",
        kind.group(),
        kind.plural()
    )
}

impl Access {
    /// A cached decision and whether it is still fresh.
    fn cached(&self, user: &User, key: &str) -> Option<(bool, bool)> {
        let d = self.decisions.lock().ok()?;
        let (allowed, at) = d.get(user)?.get(key)?;
        Some((*allowed, at.elapsed() < TTL))
    }

    fn remember(&self, user: &User, key: String, allowed: bool) {
        use std::sync::atomic::Ordering;
        if let Ok(mut d) = self.decisions.lock() {
            if self.size.load(Ordering::Relaxed) >= MAX_DECISIONS {
                d.clear();
                self.size.store(0, Ordering::Relaxed);
            }
            let prev = d
                .entry(user.clone())
                .or_default()
                .insert(key, (allowed, Instant::now()));
            if prev.is_none() {
                self.size.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether `user` may list `kind` in `namespace` of `cluster` (`""`: in every namespace).
    pub(crate) async fn allowed(
        &self,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &dyn Resource,
        namespace: &str,
    ) -> bool {
        self.allowed_to("list", clusters, user, cluster, kind, namespace)
            .await
    }

    /// Whether `user` may `verb` (`list` or `get`) `kind` in `namespace` of `cluster`.
    pub(crate) async fn allowed_to(
        &self,
        verb: &'static str,
        clusters: &Clusters,
        user: &User,
        cluster: &str,
        kind: &dyn Resource,
        namespace: &str,
    ) -> bool {
        let key = key(verb, cluster, kind, namespace);
        let last = match self.cached(user, &key) {
            Some((allowed, true)) => return allowed,
            Some((allowed, false)) => Some(allowed),
            None => None,
        };
        let Ok(c) = clusters.get(cluster) else {
            return false;
        };
        let health = c.health();
        if health.last_checked.is_some() && !health.reachable {
            return last.unwrap_or(false);
        }
        match tokio::time::timeout(REVIEW_TIMEOUT, review(c.client(), user, verb, kind, namespace)).await {
            Ok(Ok(allowed)) => {
                self.remember(user, key, allowed);
                allowed
            }
            Ok(Err(e)) => {
                tracing::warn!(cluster, user = user.name, error = %e, "subject access review failed");
                last.unwrap_or(false)
            }
            Err(_) => {
                tracing::warn!(cluster, user = user.name, "subject access review timed out");
                last.unwrap_or(false)
            }
        }
    }

    /// What `user` may list of each (cluster, kind) in `wanted`; `namespaces(i)` gives the
    /// namespaces that hold objects of `wanted[i]` (asked only when needed). With `namespace`, every object is in that namespace and only it is
    /// checked; otherwise a cluster-wide permission admits the whole kind at once, and the
    /// namespaces of the other kinds are checked one by one.
    pub(crate) async fn scopes(
        &self,
        clusters: &Clusters,
        user: &User,
        wanted: &[Wanted],
        namespaces: impl Fn(usize) -> BTreeSet<String>,
        namespace: Option<&str>,
    ) -> Vec<Scope> {
        let scope = namespace.unwrap_or("");
        let reviews: Vec<_> = wanted
            .iter()
            .map(|w| self.allowed(clusters, user, &w.cluster, w.kind, scope))
            .collect();
        let wide: Vec<bool> = futures::stream::iter(reviews)
            .buffered(CONCURRENT_REVIEWS)
            .collect()
            .await;
        let mut checks: Vec<(usize, String)> = Vec::new();
        if namespace.is_none() {
            for (i, all) in wide.iter().enumerate() {
                if !all {
                    checks.extend(namespaces(i).into_iter().map(|ns| (i, ns)));
                }
            }
        }
        let reviews: Vec<_> = checks
            .iter()
            .map(|(i, ns)| self.allowed(clusters, user, &wanted[*i].cluster, wanted[*i].kind, ns))
            .collect();
        let decided: Vec<bool> = futures::stream::iter(reviews)
            .buffered(CONCURRENT_REVIEWS)
            .collect()
            .await;
        let mut out: Vec<Scope> = wide
            .into_iter()
            .map(|all| {
                if all {
                    Scope::All
                } else {
                    Scope::Namespaces(HashSet::new())
                }
            })
            .collect();
        for ((i, ns), ok) in checks.into_iter().zip(decided) {
            if ok && let Scope::Namespaces(set) = &mut out[i] {
                set.insert(ns);
            }
        }
        out
    }

    /// The objects of `groups` that `user` may see (see [`Access::scopes`]).
    pub(crate) async fn filter(
        &self,
        clusters: &Clusters,
        user: &User,
        groups: Vec<Group>,
        namespace: Option<&str>,
    ) -> Vec<Arc<ObjectStatus>> {
        let wanted: Vec<Wanted> = groups
            .iter()
            .map(|g| Wanted {
                cluster: g.cluster.clone(),
                kind: g.kind,
            })
            .collect();
        let namespaces =
            |i: usize| -> BTreeSet<String> { groups[i].items.iter().map(|o| o.namespace.clone()).collect() };
        let scopes = self.scopes(clusters, user, &wanted, namespaces, namespace).await;
        let mut out = Vec::new();
        for (g, scope) in groups.into_iter().zip(scopes) {
            match scope {
                Scope::All => out.extend(g.items),
                Scope::Namespaces(set) if !set.is_empty() => {
                    out.extend(g.items.into_iter().filter(|o| set.contains(&o.namespace)))
                }
                Scope::Namespaces(_) => {}
            }
        }
        out
    }
}

async fn review(
    client: Client,
    user: &User,
    verb: &str,
    kind: &dyn Resource,
    namespace: &str,
) -> Result<bool, kube::Error> {
    let attrs = crate::auth::Attributes {
        verb,
        group: kind.group(),
        resource: kind.plural(),
        namespace,
        name: None,
    };
    crate::auth::review(&client, user, attrs).await
}
