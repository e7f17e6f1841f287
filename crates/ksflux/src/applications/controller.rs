//! The Application controller: one reconcile per Application. It validates the spec, observes
//! which targets can be served (clusters, allowed namespaces, credentials from the
//! per-(project, cluster) `grants` reconciler) and the children in the host, lets the pure
//! `plan` decide, then applies one Flux object per target (server-side apply, field manager
//! `ksflux`), deletes the objects of removed targets, publishes Events and writes the status
//! (server-side apply, field manager `ksflux-status`). Reconciles are counted and timed
//! (`ksflux_application_reconciles_total`, `ksflux_application_reconcile_duration_seconds`). A finalizer deletes every
//! rendered object (whose own Flux finalizers clean up the member clusters) before the
//! Application goes, then revokes credentials no other application of the project needs.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use futures::{FutureExt as _, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams},
    runtime::{
        Controller, Predicate as _, WatchStreamExt,
        controller::Action,
        events::{Event, EventType, Recorder, Reporter},
        finalizer::{Event as Finalizer, finalizer},
        predicates,
        reflector::Store,
        watcher,
    },
};
use serde_json::{Value, json};

use super::{
    APPLICATION_LABEL, Application, ApplicationStatus, CLUSTER_LABEL, TargetDrift, WorkloadsSummary, access,
    agent,
    grants::{self, Grants},
    placement,
    plan::{self, Observed, Problem},
    render,
};
use crate::{
    clusters::{Clusters, HOST, Mode},
    resources::REQUESTED_AT,
};

/// How often an application with agent targets is reconciled at the least, so that an edit
/// made in an agent cluster to what ksflux applied there is put back (and a rotated source
/// credential copied) within this time.
const AGENT_RESYNC: Duration = Duration::from_secs(20);

/// The finalizer ksflux puts on Applications.
pub const FINALIZER: &str = "fluxcd.kubesphere.io/cleanup";
/// The field manager of everything the controller applies.
pub const MANAGER: &str = "ksflux";
/// The field manager of the Applications' status.
pub const STATUS_MANAGER: &str = "ksflux-status";

/// Labels of [`RECONCILES`].
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct ReconcileLabels {
    /// `ok`, or why it failed (`ApplyRejected`, `ReconcileFailed`).
    pub result: String,
}

/// Application reconciles, by result.
pub static RECONCILES: std::sync::LazyLock<
    prometheus_client::metrics::family::Family<ReconcileLabels, prometheus_client::metrics::counter::Counter>,
> = std::sync::LazyLock::new(Default::default);

/// How long Application reconciles take.
pub static RECONCILE_SECONDS: std::sync::LazyLock<prometheus_client::metrics::histogram::Histogram> =
    std::sync::LazyLock::new(|| {
        prometheus_client::metrics::histogram::Histogram::new([
            0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ])
    });

fn count(result: &str) {
    RECONCILES
        .get_or_create(&ReconcileLabels {
            result: result.to_string(),
        })
        .inc();
}

/// Errors of a reconcile; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes call failed.
    #[error("kubernetes: {0}")]
    Kube(#[from] kube::Error),
    /// Anything else.
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
    /// Deletion waits for rendered objects to finish their own cleanup.
    #[error("waiting for {0} rendered objects to be deleted")]
    Deleting(usize),
    /// An agent cluster cannot be written to as the project's agent identity.
    #[error("agent mode: {0}; check the cluster's registration credentials and that its Flux is installed")]
    Agent(String),
}

/// What the controller shares between reconciles.
pub struct Context {
    /// The clusters.
    pub clusters: Clusters,
    /// ksflux's own client for the host.
    pub host: Client,
    /// Every Application, from the controller's cache.
    pub store: Store<Application>,
    /// Publishes Kubernetes Events on Applications.
    pub recorder: Recorder,
    /// The per-(project, cluster) credentials.
    pub grants: Grants,
    /// Failed reconciles in a row, by application (namespace, name), for [`retry_after`].
    pub failures: std::sync::Mutex<std::collections::HashMap<(String, String), u32>>,
    /// What was last applied to each host child, to skip applying it again unchanged.
    pub applied: Applied,
    /// The host's Kustomizations and HelmReleases of applications, from the watches that also
    /// trigger their applications' reconciles.
    pub kids: Kids,
}

/// The host's Flux objects rendered by applications (labelled [`APPLICATION_LABEL`]), kept by
/// the watches that trigger the reconciles of their applications, so that a reconcile reads
/// its children from memory instead of listing a namespace that may hold thousands.
pub struct Kids {
    kustomizations: Store<DynamicObject>,
    helm_releases: Store<DynamicObject>,
}

impl Kids {
    /// `app`'s children in namespace `ns`, or `None` while a watch has not listed yet.
    fn of(&self, ns: &str, app: &str) -> Option<Vec<DynamicObject>> {
        let mut out = Vec::new();
        for (kind, store) in [
            ("Kustomization", &self.kustomizations),
            ("HelmRelease", &self.helm_releases),
        ] {
            store.wait_until_ready().now_or_never()?.ok()?;
            let mine = store.state_filter(|o| {
                o.metadata.namespace.as_deref() == Some(ns)
                    && o.labels().get(APPLICATION_LABEL).map(String::as_str) == Some(app)
            });
            out.extend(mine.into_iter().map(|o| with_kind(o.as_ref().clone(), kind)));
        }
        Some(out)
    }
}

/// Restores the kind of a dynamic object (list items carry none).
fn with_kind(mut o: DynamicObject, kind: &str) -> DynamicObject {
    o.types = Some(kube::api::TypeMeta {
        api_version: ar(kind).api_version,
        kind: kind.into(),
    });
    o
}

/// What of a child its application's status shows: a change of anything else (Flux adding its
/// finalizer, a reconcile request handled, the controller's own apply of an unchanged object)
/// does not reconcile the application again.
fn child_digest(o: &DynamicObject) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let status = o.data.get("status");
    let ready = status
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
    let field =
        |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).map(Value::to_string).unwrap_or_default();
    BuildHasherDefault::<DefaultHasher>::default().hash_one((
        o.metadata.generation,
        o.metadata.deletion_timestamp.is_some(),
        o.data.pointer("/spec/suspend").map(Value::to_string),
        field(status, "observedGeneration"),
        field(status, "lastAppliedRevision"),
        field(status, "lastAttemptedRevision"),
        field(ready, "status"),
        field(ready, "reason"),
        field(ready, "message"),
    ))
}

/// Watches the host's `kind` objects of applications into a store, and the stream of those
/// whose [`child_digest`] changed (or that were deleted): the triggers of their owners.
fn watch_kids(
    host: &Client,
    kind: &str,
) -> (
    Store<DynamicObject>,
    impl futures::Stream<Item = Result<DynamicObject, watcher::Error>> + Send + 'static,
) {
    let resource = ar(kind);
    let writer = kube::runtime::reflector::store::Writer::new(resource.clone());
    let reader = writer.as_reader();
    let api = Api::<DynamicObject>::all_with(host.clone(), &resource);
    let mut seen: std::collections::HashMap<(Option<String>, String), u64> = Default::default();
    let stream = watcher(api, watcher::Config::default().labels(APPLICATION_LABEL))
        .default_backoff()
        .modify(|o| o.metadata.managed_fields = None)
        .reflect(writer)
        .filter_map(move |event| {
            let trigger = match event {
                Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => {
                    let key = (o.metadata.namespace.clone(), o.name_any());
                    let digest = child_digest(&o);
                    (seen.insert(key, digest) != Some(digest)).then_some(Ok(o))
                }
                Ok(watcher::Event::Delete(o)) => {
                    seen.remove(&(o.metadata.namespace.clone(), o.name_any()));
                    Some(Ok(o))
                }
                Ok(watcher::Event::Init | watcher::Event::InitDone) => None,
                Err(e) => Some(Err(e)),
            };
            futures::future::ready(trigger)
        });
    (reader, stream)
}

/// What the controller last applied to each Flux object on the host, by (namespace, kind,
/// name): a hash of the rendered object, and the object's generation and metadata as the
/// apply left them. A reconcile (most are brought by a child's status changing) applies a
/// child again only when what it renders changed, or the object did since (an edit of its
/// spec bumps the generation; labels, annotations and owners are compared too), or ksflux
/// restarted.
#[derive(Default)]
pub struct Applied(std::sync::Mutex<std::collections::HashMap<(String, String, String), AppliedAs>>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AppliedAs {
    desired: u64,
    generation: Option<i64>,
    metadata: u64,
}

fn hash_of(value: &impl serde::Serialize) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    serde_json::to_string(value).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// The metadata an edit by someone else would change and an apply would put back.
fn metadata_hash(o: &DynamicObject) -> u64 {
    let m = &o.metadata;
    hash_of(&(
        &m.labels,
        &m.annotations,
        &m.owner_references,
        &m.deletion_timestamp,
    ))
}

impl Applied {
    fn key(namespace: &str, kind: &str, name: &str) -> (String, String, String) {
        (namespace.to_string(), kind.to_string(), name.to_string())
    }

    /// Whether `desired` was applied last and `live` is still as that apply left it.
    fn unchanged(&self, desired: &Value, live: Option<&DynamicObject>) -> bool {
        let (Some(live), Some(kind), Some(name)) = (
            live,
            desired["kind"].as_str(),
            desired["metadata"]["name"].as_str(),
        ) else {
            return false;
        };
        let key = Self::key(&live.namespace().unwrap_or_default(), kind, name);
        let now = AppliedAs {
            desired: hash_of(desired),
            generation: live.metadata.generation,
            metadata: metadata_hash(live),
        };
        self.0.lock().is_ok_and(|m| m.get(&key) == Some(&now))
    }

    /// Remembers that `desired` was applied, giving `result`.
    fn record(&self, desired: &Value, result: &DynamicObject) {
        let (Some(kind), Some(name)) = (desired["kind"].as_str(), desired["metadata"]["name"].as_str())
        else {
            return;
        };
        let key = Self::key(&result.namespace().unwrap_or_default(), kind, name);
        let as_applied = AppliedAs {
            desired: hash_of(desired),
            generation: result.metadata.generation,
            metadata: metadata_hash(result),
        };
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, as_applied);
        }
    }

    /// Forgets a deleted child.
    fn forget(&self, namespace: &str, kind: &str, name: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&Self::key(namespace, kind, name));
        }
    }
}

/// How long the controller waits after the last trigger of an application before reconciling it.
const DEBOUNCE: Duration = Duration::from_millis(500);

/// How many applications are reconciled at once by default (`--controller-concurrency`).
pub const CONCURRENCY: u16 = 16;

/// The wait before reconciling an application again after its `failures`-th failure in a
/// row: 2 s doubling to 5 minutes, spread by ±20% by a hash of the application and the
/// attempt (jitter), so that applications failing together (a cluster or the host gone) do not
/// come back together.
pub fn retry_after(namespace: &str, name: &str, failures: u32) -> Duration {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let base = Duration::from_secs(2)
        .saturating_mul(1u32 << failures.saturating_sub(1).min(10))
        .min(Duration::from_secs(300));
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one((namespace, name, failures));
    // A factor in [0.8, 1.2].
    let factor = 0.8 + (hash % 4001) as f64 / 10_000.0;
    base.mul_f64(factor)
}

fn ar(kind: &str) -> ApiResource {
    if kind == "HelmRelease" {
        crate::delivery::HELM_RELEASE.api_resource()
    } else {
        crate::delivery::KUSTOMIZATION.api_resource()
    }
}

/// Runs the controller until shutdown. Exits early with a hint if the CRD is not installed.
/// With `project_role` (the chart's project ClusterRole), ksflux binds it to itself in each
/// project namespace before it writes a Secret there (see [`access::SelfBinding`]). At most
/// `concurrency` applications are reconciled at once (each at most once at a time).
pub async fn run(clusters: Clusters, project_role: Option<String>, concurrency: u16) -> anyhow::Result<()> {
    let host = clusters.host().client();
    let apps: Api<Application> = Api::all(host.clone());
    if let Err(e) = apps.list(&ListParams::default().limit(1)).await {
        anyhow::bail!("the Application CRD is not installed ({e}); run `ksflux crds | kubectl apply -f -`");
    }
    let own = match project_role {
        Some(role) => Some(access::SelfBinding::discover(&host, &role).await?),
        None => None,
    };
    // A target whose cluster is not registered is suspended: never decide that before the
    // registry was read.
    while !clusters.members_read() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // An application is reconciled when what it asks for changes (its spec — the generation,
    // which deletion bumps too —, labels, annotations such as a reconcile request, finalizers),
    // not when the controller writes its status: that write would otherwise trigger one more
    // reconcile of every application each time one of its Flux objects reports progress.
    let (reader, writer) = kube::runtime::reflector::store();
    let wanted = predicates::generation
        .combine(predicates::labels)
        .combine(predicates::annotations)
        .combine(predicates::finalizers)
        .combine(|a: &Application| a.meta().deletion_timestamp.as_ref().map(|_| 1));
    let trigger = watcher(apps, watcher::Config::default().any_semantic())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(wanted, Default::default());
    let (kustomizations, kustomization_changes) = watch_kids(&host, "Kustomization");
    let (helm_releases, helm_release_changes) = watch_kids(&host, "HelmRelease");
    // A debounce gathers the triggers of one application's several children (they report
    // progress together) into one reconcile.
    let config = kube::runtime::controller::Config::default()
        .concurrency(concurrency.max(1))
        .debounce(DEBOUNCE);
    let controller = Controller::for_stream(trigger, reader)
        .with_config(config)
        .owns_stream_with(kustomization_changes, ar("Kustomization"))
        .owns_stream_with(helm_release_changes, ar("HelmRelease"));
    let recorder = Recorder::new(
        host.clone(),
        Reporter {
            controller: "ksflux".into(),
            instance: None,
        },
    );
    // Re-evaluate every application when a cluster appears, goes or changes reachability.
    let changes = futures::stream::unfold(clusters.changes(), |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    });
    let ctx = Arc::new(Context {
        clusters,
        host,
        store: controller.store(),
        recorder,
        grants: Grants::new(own),
        failures: Default::default(),
        applied: Default::default(),
        kids: Kids {
            kustomizations,
            helm_releases,
        },
    });
    controller
        .reconcile_all_on(changes)
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                tracing::debug!(error = %e, "reconcile failed");
            }
        })
        .await;
    Ok(())
}

fn error_policy(
    app: Arc<Application>,
    err: &kube::runtime::finalizer::Error<Error>,
    ctx: Arc<Context>,
) -> Action {
    match err {
        kube::runtime::finalizer::Error::CleanupFailed(Error::Deleting(_)) => {
            Action::requeue(Duration::from_secs(2))
        }
        e => {
            let (ns, name) = (app.namespace().unwrap_or_default(), app.name_any());
            let failures = ctx
                .failures
                .lock()
                .map(|mut f| {
                    let n = f.entry((ns.clone(), name.clone())).or_default();
                    *n = n.saturating_add(1);
                    *n
                })
                .unwrap_or(1);
            let wait = retry_after(&ns, &name, failures);
            tracing::warn!(application = name, namespace = ns, error = %e, failures, retry_in = ?wait, "reconcile failed");
            Action::requeue(wait)
        }
    }
}

/// Reconciles one Application.
pub async fn reconcile(
    app: Arc<Application>,
    ctx: Arc<Context>,
) -> Result<Action, kube::runtime::finalizer::Error<Error>> {
    let ns = app.namespace().unwrap_or_default();
    let name = app.name_any();
    let api: Api<Application> = Api::namespaced(ctx.host.clone(), &ns);
    let result = finalizer(&api, FINALIZER, app, |event| async {
        match event {
            Finalizer::Apply(app) => apply_or_report(&app, &ctx).await,
            Finalizer::Cleanup(app) => cleanup(&app, &ctx).await,
        }
    })
    .await;
    if result.is_ok()
        && let Ok(mut f) = ctx.failures.lock()
    {
        f.remove(&(ns, name));
    }
    result
}

fn children_api(ctx: &Context, ns: &str, kind: &str) -> Api<DynamicObject> {
    Api::namespaced_with(ctx.host.clone(), ns, &ar(kind))
}

/// An application's children in the host, listed from the apiserver: what deletion decides on
/// (a child created a moment ago may not be in the watch cache yet).
async fn children(ctx: &Context, ns: &str, name: &str) -> Result<Vec<DynamicObject>, Error> {
    let lp = ListParams::default().labels(&format!("{APPLICATION_LABEL}={name}"));
    let mut out = Vec::new();
    for kind in ["Kustomization", "HelmRelease"] {
        for o in children_api(ctx, ns, kind).list(&lp).await?.items {
            out.push(with_kind(o, kind));
        }
    }
    Ok(out)
}

/// An application's children in the host from the watch cache: what a reconcile applies
/// against. A child it misses (created a moment ago) is applied again unchanged, one it still
/// holds (deleted a moment ago) is found gone; the watch event that brings the cache up to date
/// triggers the next reconcile.
async fn cached_children(ctx: &Context, ns: &str, name: &str) -> Result<Vec<DynamicObject>, Error> {
    match ctx.kids.of(ns, name) {
        Some(kids) => Ok(kids),
        None => children(ctx, ns, name).await,
    }
}

/// The clusters where `app` has or had agent-mode targets: its targets in clusters in agent
/// mode now, and the targets its status says were delivered in agent mode.
fn agent_clusters(ctx: &Context, app: &Application) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = placement::targets_of(app, &ctx.clusters.labels())
        .into_iter()
        .map(|t| t.cluster)
        .filter(|c| ctx.clusters.get(c).is_ok_and(|c| c.mode() == Mode::Agent))
        .collect();
    if let Some(status) = &app.status {
        out.extend(
            status
                .targets
                .iter()
                .filter(|t| t.mode.as_deref() == Some("agent"))
                .map(|t| t.cluster.clone()),
        );
    }
    out
}

/// The application's Flux objects in the agent clusters it has or had targets in, read with
/// ksflux's own client there; and the clusters that could not be read.
async fn agent_children(ctx: &Context, app: &Application) -> (Vec<DynamicObject>, BTreeSet<String>) {
    let ns = app.namespace().unwrap_or_default();
    let lp = ListParams::default().labels(&agent::selector(&app.name_any()));
    let mut out = Vec::new();
    let mut unreadable = BTreeSet::new();
    for cluster in agent_clusters(ctx, app) {
        let Ok(c) = ctx.clusters.get(&cluster) else {
            continue;
        };
        for kind in ["Kustomization", "HelmRelease"] {
            let api: Api<DynamicObject> = Api::namespaced_with(c.client(), &ns, &ar(kind));
            match api.list(&lp).await {
                Ok(list) => out.extend(list.items.into_iter().map(|o| with_kind(o, kind))),
                // No Flux there (any more): nothing of ours either.
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    tracing::debug!(cluster, error = %e, "cannot list an agent cluster's Flux objects");
                    unreadable.insert(cluster.clone());
                }
            }
        }
    }
    (out, unreadable)
}

/// The cluster of a child and whether it lives there (agent mode) rather than in the host.
fn child_place(child: &DynamicObject) -> (String, bool) {
    let cluster = child.labels().get(CLUSTER_LABEL).cloned().unwrap_or_default();
    (cluster, agent::is_agent_object(child))
}

/// The client ksflux writes to agent cluster `cluster` with for `app`'s project, its grant
/// scoped to where the project's applications (and `app`) target there.
async fn agent_client(ctx: &Context, app: &Application, cluster: &str) -> Result<Client, Error> {
    let ns = app.namespace().unwrap_or_default();
    let c = ctx
        .clusters
        .get(cluster)
        .map_err(|e| Error::Agent(e.to_string()))?;
    let mut scope = project_targets(ctx, &ns, Some(&app.name_any()))
        .remove(cluster)
        .unwrap_or_default();
    scope.extend(
        placement::targets_of(app, &ctx.clusters.labels())
            .into_iter()
            .filter(|t| t.cluster == cluster)
            .map(|t| t.namespace),
    );
    // A target being removed keeps its rights until its Flux object is gone: the cluster's
    // Flux prunes what it applied as the project's deployer.
    scope.extend(
        app.status
            .iter()
            .flat_map(|s| &s.targets)
            .filter(|t| t.cluster == cluster)
            .map(|t| t.namespace.clone()),
    );
    let project = Api::<Namespace>::all(ctx.host.clone()).get(&ns).await?;
    let rights = access::rights(&project, cluster, ctx.clusters.platform());
    ctx.grants
        .agent(&ctx.host, &c, &ns, &scope, &rights)
        .await
        .map(|(client, _)| client)
        .map_err(|e| Error::Agent(format!("{e:#}")))
}

/// Clusters (and their target namespaces) that project `ns` deploys to, over all its
/// applications except `skip`.
fn project_targets(ctx: &Context, ns: &str, skip: Option<&str>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let labels = ctx.clusters.labels();
    for a in ctx.store.state() {
        if a.namespace().as_deref() != Some(ns)
            || Some(a.name_any().as_str()) == skip
            || a.meta().deletion_timestamp.is_some()
        {
            continue;
        }
        for t in placement::targets_of(&a, &labels) {
            out.entry(t.cluster).or_default().insert(t.namespace);
        }
    }
    out
}

/// Observes an application's targets: which can be served now (clusters registered and
/// reachable, targets allowed, credentials granted), and its children in the host.
async fn observe(
    app: &Application,
    ctx: &Context,
    unreadable: &BTreeSet<String>,
) -> Result<(BTreeMap<String, Problem>, Duration, BTreeMap<String, Client>), Error> {
    let name = app.name_any();
    let ns = app.namespace().unwrap_or_default();
    let namespaces: Api<Namespace> = Api::all(ctx.host.clone());
    let project = namespaces.get(&ns).await?;
    let mut problems: BTreeMap<String, Problem> = BTreeMap::new();
    let mut agents: BTreeMap<String, Client> = BTreeMap::new();
    let mut renew_in = grants::RECHECK;
    let problem = |ready, reason, message: String| Problem {
        ready,
        reason,
        message,
    };

    // Which members this project uses, and where, across all its applications.
    let mut scopes = project_targets(ctx, &ns, Some(&name));
    for t in &app.spec.targets {
        scopes
            .entry(t.cluster.clone())
            .or_default()
            .insert(t.namespace.clone());
    }
    // The project's ServiceAccount exists on the host for every target (Flux looks it up
    // there before pruning, even for members), bound where the project targets the host.
    let host_scope = scopes.get(HOST).cloned().unwrap_or_default();
    let host_identity = ctx
        .grants
        .host(
            &ctx.host,
            &ns,
            &host_scope,
            &access::rights(&project, HOST, ctx.clusters.platform()),
        )
        .await
        .err()
        .map(|e| format!("{e:#}"));
    for t in &app.spec.targets {
        let Ok(cluster) = ctx.clusters.get(&t.cluster) else {
            // Gone from the registry: its objects are suspended (see `plan`) and the project's
            // kubeconfig for it is deleted; its token expires on its own.
            access::forget_removed(&ctx.host, &ns, &t.cluster).await;
            ctx.grants.forget(&ns, Some(&t.cluster));
            let m = format!(
                "cluster {:?} is not registered; its Flux objects are suspended until it is registered again",
                t.cluster
            );
            problems.insert(t.cluster.clone(), problem("False", plan::CLUSTER_NOT_FOUND, m));
            continue;
        };
        let health = cluster.health();
        let agent_mode = cluster.mode() == Mode::Agent;
        if (health.last_checked.is_some() && !health.reachable) || unreadable.contains(&t.cluster) {
            let mut m = if health.reachable {
                "unreachable: its Flux objects cannot be read".to_string()
            } else {
                health.message.clone()
            };
            if agent_mode {
                m.push_str(
                    "; changes to the application are pending and are applied there when it answers again",
                );
            }
            problems.insert(t.cluster.clone(), problem("Unknown", "ClusterUnreachable", m));
            continue;
        }
        if agent_mode && let Some(why) = crate::clusters::agent_blocked(&t.cluster, &health) {
            problems.insert(t.cluster.clone(), problem("False", "AgentFluxMissing", why));
            continue;
        }
        if let Err(m) = access::check_allowed(
            &project,
            ctx.clusters.platform(),
            &t.cluster,
            Some(&cluster.client()),
            &t.namespace,
        )
        .await
        {
            problems.insert(t.cluster.clone(), problem("False", "TargetNotAllowed", m));
            continue;
        }
        if let Some(e) = &host_identity {
            problems.insert(
                t.cluster.clone(),
                problem("Unknown", "CredentialsFailed", e.clone()),
            );
            continue;
        }
        if t.cluster != HOST && agent_mode {
            let scope: BTreeSet<String> = scopes.get(&t.cluster).cloned().unwrap_or_default();
            let rights = access::rights(&project, &t.cluster, ctx.clusters.platform());
            match ctx.grants.agent(&ctx.host, &cluster, &ns, &scope, &rights).await {
                Ok((client, due)) => {
                    renew_in = renew_in.min(due);
                    agents.insert(t.cluster.clone(), client);
                }
                Err(e) => {
                    problems.insert(
                        t.cluster.clone(),
                        problem("Unknown", "CredentialsFailed", format!("{e:#}")),
                    );
                }
            }
        } else if t.cluster != HOST {
            let scope: BTreeSet<String> = scopes.get(&t.cluster).cloned().unwrap_or_default();
            let rights = access::rights(&project, &t.cluster, ctx.clusters.platform());
            match ctx.grants.member(&ctx.host, &cluster, &ns, &scope, &rights).await {
                Ok(due) => renew_in = renew_in.min(due),
                Err(e) => {
                    problems.insert(
                        t.cluster.clone(),
                        problem("Unknown", "CredentialsFailed", format!("{e:#}")),
                    );
                }
            }
        }
    }
    Ok((problems, renew_in, agents))
}

/// The workloads of each child Flux reports ready, read in its cluster with ksflux's own
/// credentials there, in brief. A cluster that cannot be read gives no summary (the target
/// keeps Flux's word).
async fn observe_workloads(ctx: &Context, live: &[DynamicObject]) -> BTreeMap<String, WorkloadsSummary> {
    use crate::workloads::{self, WorkloadState};
    let mut out = BTreeMap::new();
    for child in live {
        let ready = child
            .data
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
        let Some(cluster) = child.labels().get(CLUSTER_LABEL).cloned() else {
            continue;
        };
        if !ready || child.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let client = if cluster == HOST {
            ctx.host.clone()
        } else {
            match ctx.clusters.get(&cluster) {
                Ok(c) => c.client(),
                Err(_) => continue,
            }
        };
        let object = serde_json::to_value(child).ok();
        let read = async {
            let named = super::api::applied_workloads(&client, object.as_ref()).await?;
            workloads::read(&client, &named).await
        };
        let Ok(found) = read.await else {
            continue;
        };
        let state = workloads::state(&found);
        let message = found
            .iter()
            .find(|w| w.state == WorkloadState::Degraded)
            .map(|w| {
                format!(
                    "{} {}: {}",
                    w.kind_name(),
                    w.name,
                    w.message.as_deref().unwrap_or("degraded")
                )
            })
            .unwrap_or_default();
        out.insert(
            cluster,
            WorkloadsSummary {
                state: state.as_str().into(),
                ready: found.iter().map(|w| w.ready).sum(),
                desired: found.iter().map(|w| w.desired).sum(),
                message,
            },
        );
    }
    out
}

/// One reconcile: observe, [`plan`](super::plan::plan), then apply the rendered objects,
/// delete those of removed targets, publish Events and write the status.
async fn apply(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let name = app.name_any();
    let ns = app.namespace().unwrap_or_default();
    // Targets chosen by labels, and label layers, become explicit targets from here on.
    let causes = render::validate(&name, &app.spec);
    let resolved = if causes.is_empty() {
        placement::resolve(app, &ctx.clusters.labels()).map_err(|c| (c, "PlacementConflict"))
    } else {
        Err((causes, "InvalidSpec"))
    };
    let resolved = match resolved {
        Ok(r) => r,
        Err((causes, reason)) => {
            let message = causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect::<Vec<_>>()
                .join("; ");
            write_status(ctx, app, &plan::invalid(app, &message)).await?;
            event(ctx, app, EventType::Warning, reason, &message).await;
            return Ok(Action::await_change());
        }
    };
    let written = &app.spec;
    let labels = ctx.clusters.labels();
    let stable = stable_render(app, &labels);
    let mut live = cached_children(ctx, &ns, &name).await?;
    let (in_agents, unreadable) = agent_children(ctx, app).await;
    live.extend(in_agents);
    // A child where its cluster's mode no longer puts it (the mode changed) goes; the other
    // place gets the object.
    let (live, stale): (Vec<DynamicObject>, Vec<DynamicObject>) = live.into_iter().partition(|c| {
        let (cluster, in_agent) = child_place(c);
        let agent_now = ctx.clusters.get(&cluster).is_ok_and(|c| c.mode() == Mode::Agent);
        in_agent == agent_now || ctx.clusters.get(&cluster).is_err()
    });
    let mut resolved = resolved.app;
    placement::keep_departed(
        &mut resolved,
        live.iter()
            .filter_map(|c| c.labels().get(CLUSTER_LABEL).map(String::as_str)),
        &labels,
    );
    let app = &resolved;
    let (problems, renew_in, agents) = observe(app, ctx, &unreadable).await?;
    let agent_targets: BTreeSet<String> = app
        .spec
        .targets
        .iter()
        .map(|t| t.cluster.clone())
        .filter(|c| ctx.clusters.get(c).is_ok_and(|c| c.mode() == Mode::Agent))
        .collect();
    let rendered = render::render(app);
    let workloads = observe_workloads(ctx, &live).await;
    let plan = plan::plan(&Observed {
        app,
        spec: written,
        rendered: &rendered,
        children: &live,
        agent: &agent_targets,
        problems: &problems,
        workloads: &workloads,
        labels: &labels,
        stable: &stable,
        now: jiff::Timestamp::now(),
    });

    let pp = PatchParams::apply(MANAGER).force();
    let mut drifts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for obj in &plan.apply {
        let kind = obj["kind"].as_str().unwrap_or_default();
        let child = obj["metadata"]["name"].as_str().unwrap_or_default();
        let cluster = obj["metadata"]["labels"][CLUSTER_LABEL]
            .as_str()
            .unwrap_or_default();
        if agent_targets.contains(cluster) {
            let Some(client) = agents.get(cluster) else {
                continue;
            };
            let previous = live
                .iter()
                .find(|c| agent::is_agent_object(c) && c.name_any() == child);
            let drift = propagate(ctx, app, client, obj, previous).await?;
            if !drift.is_empty() {
                drifts.insert(cluster.to_string(), drift);
            }
            continue;
        }
        let current = live.iter().find(|c| {
            !agent::is_agent_object(c)
                && c.name_any() == child
                && c.types.as_ref().is_some_and(|t| t.kind == kind)
        });
        if ctx.applied.unchanged(obj, current) {
            continue;
        }
        let result = children_api(ctx, &ns, kind)
            .patch(child, &pp, &Patch::Apply(obj))
            .await?;
        ctx.applied.record(obj, &result);
    }
    let mut deletion_pending = false;
    // Agent clusters whose removed target's object is not deleted yet: they stay in the
    // status, which is where the next reconcile finds them again.
    let mut removing: BTreeMap<String, String> = BTreeMap::new();
    for child in plan.delete.iter().chain(&stale) {
        let kind = child.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
        let deleted = match child_api(ctx, app, child, &kind, &agents).await {
            Some(api) => delete_child(&api, child).await?,
            None => false,
        };
        if deleted {
            ctx.applied.forget(&ns, &kind, &child.name_any());
            let note = format!("deleted {kind} {}", child.name_any());
            event(ctx, app, EventType::Normal, "TargetRemoved", &note).await;
        } else {
            deletion_pending = true;
            let (cluster, in_agent) = child_place(child);
            if in_agent {
                removing.insert(cluster, format!("{kind}/{ns}/{}", child.name_any()));
            }
        }
    }
    for n in &plan.notes {
        let type_ = if n.warning {
            EventType::Warning
        } else {
            EventType::Normal
        };
        event(ctx, app, type_, n.reason, &n.message).await;
    }
    let mut status = plan.status.clone();
    if !drifts.is_empty() {
        let at = crate::resources::status_time(jiff::Timestamp::now());
        let mut s = status.take().or_else(|| app.status.clone()).unwrap_or_default();
        for (cluster, fields) in &drifts {
            let message = format!(
                "{cluster}: the {} there was edited ({}); put back as the application renders it",
                plan.apply
                    .iter()
                    .find(|o| o["metadata"]["labels"][CLUSTER_LABEL] == cluster.as_str())
                    .and_then(|o| o["kind"].as_str())
                    .unwrap_or("Flux object"),
                fields.join(", ")
            );
            event(ctx, app, EventType::Warning, "DriftCorrected", &message).await;
            if let Some(t) = s.targets.iter_mut().find(|t| &t.cluster == cluster) {
                t.last_drift = Some(TargetDrift {
                    at: at.clone(),
                    fields: fields.clone(),
                });
            }
        }
        status = Some(s);
    }
    let current = status.as_ref().or(app.status.as_ref());
    let unlisted: Vec<(&String, &String)> = removing
        .iter()
        .filter(|(c, _)| !current.is_some_and(|s| s.targets.iter().any(|t| &t.cluster == *c)))
        .collect();
    if !unlisted.is_empty() {
        let mut s = status.take().or_else(|| app.status.clone()).unwrap_or_default();
        for (cluster, object) in unlisted {
            let namespace = app
                .status
                .iter()
                .flat_map(|s| &s.targets)
                .find(|t| &t.cluster == cluster)
                .map(|t| t.namespace.clone())
                .unwrap_or_default();
            s.targets.retain(|t| &t.cluster != cluster);
            s.targets.push(super::TargetStatus {
                cluster: cluster.clone(),
                namespace,
                object_ref: object.clone(),
                mode: Some("agent".into()),
                ready: "Unknown".into(),
                reason: "Removing".into(),
                message: format!("the target was removed; its Flux object in {cluster} is being deleted"),
                ..Default::default()
            });
        }
        status = Some(s);
    }
    if let Some(status) = &status {
        write_status(ctx, app, status).await?;
    }
    let mut next = if deletion_pending {
        Duration::from_secs(2)
    } else {
        plan.requeue.min(renew_in.max(Duration::from_secs(5)))
    };
    if !agent_targets.is_empty() {
        next = next.min(AGENT_RESYNC);
    }
    Ok(Action::requeue(next))
}

/// Applies a rendered object in its agent cluster as the project's agent identity (`client`),
/// with the application's source and the Secrets and ConfigMaps they reference copied from the
/// project namespace on the host (owned by the object that uses them). Returns the fields an
/// edit in the cluster had changed since ksflux last applied (`previous`, as listed), which
/// this apply put back.
async fn propagate(
    ctx: &Context,
    app: &Application,
    client: &Client,
    rendered: &Value,
    previous: Option<&DynamicObject>,
) -> Result<Vec<String>, Error> {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    let ns = app.namespace().unwrap_or_default();
    let desired = agent::for_agent(rendered);
    let kind = desired["kind"].as_str().unwrap_or_default().to_string();
    let name = desired["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let drift = previous
        .and_then(|p| serde_json::to_value(p).ok())
        .map(|p| agent::drift(&desired, &p))
        .unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &ar(&kind));
    let applied = api
        .patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&desired),
        )
        .await?;
    let Some(uid) = applied.metadata.uid.clone() else {
        return Ok(drift);
    };
    let owner = agent::owner(&ar(&kind).api_version, &kind, &name, &uid);
    let copy_pp = PatchParams::apply(&agent::copy_manager(app)).force();

    // The source, and the Secrets it references.
    let source_kind = agent::source_kind(app.spec.source.kind);
    let source_ar = source_kind.api_resource();
    let host_sources: Api<DynamicObject> = Api::namespaced_with(ctx.host.clone(), &ns, &source_ar);
    if let Some(source) = host_sources.get_opt(&app.spec.source.name).await? {
        let mut value = serde_json::to_value(&source).unwrap_or_default();
        value["apiVersion"] = json!(source_ar.api_version);
        value["kind"] = json!(source_ar.kind);
        let copy = agent::copy(&value, owner.clone(), app);
        let member_sources: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &source_ar);
        let copied = member_sources
            .patch(&app.spec.source.name, &copy_pp, &Patch::Apply(&copy))
            .await?;
        let source_owner = agent::owner(
            &source_ar.api_version,
            &source_ar.kind,
            &app.spec.source.name,
            &copied.metadata.uid.unwrap_or_default(),
        );
        let host_secrets: Api<Secret> = Api::namespaced(ctx.host.clone(), &ns);
        let member_secrets: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &ns, &ApiResource::erase::<Secret>(&()));
        for secret in agent::source_secrets(&value["spec"]) {
            if let Some(s) = host_secrets.get_opt(&secret).await? {
                let mut v = serde_json::to_value(&s).unwrap_or_default();
                v["apiVersion"] = json!("v1");
                v["kind"] = json!("Secret");
                let copy = agent::copy(&v, source_owner.clone(), app);
                member_secrets
                    .patch(&secret, &copy_pp, &Patch::Apply(&copy))
                    .await?;
            }
        }
    }
    // What a HelmRelease's valuesFrom names.
    for (kind, from) in agent::values_from(rendered) {
        let (host, member, api_version): (Option<Value>, Api<DynamicObject>, &str) = if kind == "Secret" {
            let host: Api<Secret> = Api::namespaced(ctx.host.clone(), &ns);
            (
                host.get_opt(&from)
                    .await?
                    .and_then(|o| serde_json::to_value(o).ok()),
                Api::namespaced_with(client.clone(), &ns, &ApiResource::erase::<Secret>(&())),
                "v1",
            )
        } else {
            let host: Api<ConfigMap> = Api::namespaced(ctx.host.clone(), &ns);
            (
                host.get_opt(&from)
                    .await?
                    .and_then(|o| serde_json::to_value(o).ok()),
                Api::namespaced_with(client.clone(), &ns, &ApiResource::erase::<ConfigMap>(&())),
                "v1",
            )
        };
        if let Some(mut v) = host {
            v["apiVersion"] = json!(api_version);
            v["kind"] = json!(kind);
            let copy = agent::copy(&v, owner.clone(), app);
            member.patch(&from, &copy_pp, &Patch::Apply(&copy)).await?;
        }
    }
    Ok(drift)
}

/// Where a child is deleted: in the host, or in its agent cluster as the project's agent
/// identity (`None` when that cluster cannot be written to now).
async fn child_api(
    ctx: &Context,
    app: &Application,
    child: &DynamicObject,
    kind: &str,
    agents: &BTreeMap<String, Client>,
) -> Option<Api<DynamicObject>> {
    let ns = app.namespace().unwrap_or_default();
    let (cluster, in_agent) = child_place(child);
    if !in_agent {
        return Some(children_api(ctx, &ns, kind));
    }
    let client = match agents.get(&cluster) {
        Some(c) => c.clone(),
        None => match agent_client(ctx, app, &cluster).await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(cluster, error = %e, "cannot delete in an agent cluster now");
                return None;
            }
        },
    };
    Some(Api::namespaced_with(client, &ns, &ar(kind)))
}

/// With a rollout, the objects of its stable revision (the spec whose rollout last completed,
/// placed with today's labels), one per target it had; empty when there is none.
fn stable_render(app: &Application, labels: &placement::ClusterLabels) -> Vec<render::Rendered> {
    let Some(spec) = app
        .status
        .as_ref()
        .and_then(|s| s.rollout.as_ref())
        .and_then(|r| r.stable_spec.clone())
        .filter(|_| app.spec.rollout.is_some())
    else {
        return Vec::new();
    };
    let Ok(spec) = serde_json::from_value::<super::ApplicationSpec>(spec) else {
        return Vec::new();
    };
    let mut stable = app.clone();
    stable.spec = spec;
    match placement::resolve(&stable, labels) {
        Ok(r) => render::render(&r.app),
        Err(_) => Vec::new(),
    }
}

/// Applies an application, and when that fails, says so on the application: Ready=False
/// with the reason (and Stalled when a cluster refused a rendered object, which only an edit
/// fixes), plus a Warning Event when the failure is new. The error still goes back to the
/// controller, which retries.
async fn apply_or_report(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let start = std::time::Instant::now();
    let outcome = apply(app, ctx).await;
    RECONCILE_SECONDS.observe(start.elapsed().as_secs_f64());
    let err = match outcome {
        Ok(action) => {
            count("ok");
            return Ok(action);
        }
        Err(e) => e,
    };
    let (reason, stalled, message) = match &err {
        // A server-side apply of a field of the wrong type fails as a 500 "failed to create
        // typed patch object": as much a refusal as a 422.
        Error::Kube(kube::Error::Api(s))
            if s.code == 422
                || s.code == 400
                || s.message.contains("failed to create typed patch object") =>
        {
            (
                "ApplyRejected",
                true,
                format!("a rendered Flux object was refused: {}", s.message),
            )
        }
        Error::Kube(kube::Error::Api(s)) => ("ReconcileFailed", false, s.message.clone()),
        e => ("ReconcileFailed", false, e.to_string()),
    };
    count(reason);
    if let Some(status) = plan::failed(app, reason, &message, stalled) {
        if let Err(e) = write_status(ctx, app, &status).await {
            tracing::warn!(application = app.name_any(), error = %e, "cannot write the failure to the status");
        }
        event(ctx, app, EventType::Warning, reason, &message).await;
    }
    Err(err)
}

/// Writes the status by server-side apply, as its own field manager: the controller owns the
/// whole status, and nothing else writes it.
async fn write_status(ctx: &Context, app: &Application, status: &ApplicationStatus) -> Result<(), Error> {
    let api: Api<Application> = Api::namespaced(ctx.host.clone(), &app.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": Application::api_version(&()),
        "kind": Application::kind(&()),
        "status": status,
    });
    api.patch_status(
        &app.name_any(),
        &PatchParams::apply(STATUS_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    Ok(())
}

async fn event(ctx: &Context, app: &Application, type_: EventType, reason: &str, note: &str) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &app.object_ref(&())).await {
        tracing::debug!(error = %e, "publishing an event failed");
    }
}

/// Deletes a rendered object so that Flux cleans up after it: a suspended Flux object is
/// deleted without pruning or uninstalling, so it is resumed first.
/// How long a child unsuspended for its deletion may take to be seen by its controller
/// before it is deleted anyway.
const UNSUSPEND_GRACE: Duration = Duration::from_secs(60);

/// Deletes a child so that Flux cleans up what it applied. Flux skips that clean-up for a
/// suspended object, so a suspended child is first resumed with a reconcile request, and
/// deleted only once its controller handled that request (or after [`UNSUSPEND_GRACE`]);
/// returns whether the delete was sent.
async fn delete_child(api: &Api<DynamicObject>, child: &DynamicObject) -> Result<bool, Error> {
    if child.data.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        let token = jiff::Timestamp::now().to_string();
        let patch = json!({"metadata": {"annotations": {REQUESTED_AT: token}}, "spec": {"suspend": false}});
        return match api
            .patch(&child.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(false),
            Err(e) if gone(&e) => Ok(true),
            Err(e) => Err(e.into()),
        };
    }
    let requested = child.annotations().get(REQUESTED_AT);
    let handled = child
        .data
        .pointer("/status/lastHandledReconcileAt")
        .and_then(Value::as_str);
    let waited_enough = requested
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| jiff::Timestamp::now().duration_since(t).unsigned_abs() > UNSUSPEND_GRACE);
    if requested.is_some() && requested.map(String::as_str) != handled && !waited_enough {
        return Ok(false);
    }
    match api.delete(&child.name_any(), &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        // Already gone (the cache the reconcile read was behind).
        Err(e) if gone(&e) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

fn gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

async fn cleanup(app: &Application, ctx: &Context) -> Result<Action, Error> {
    let name = app.name_any();
    let ns = app.namespace().unwrap_or_default();
    let mut live = children(ctx, &ns, &name).await?;
    let (in_agents, unreadable) = agent_children(ctx, app).await;
    live.extend(in_agents);
    if !unreadable.is_empty() {
        // Its objects there are deleted when the cluster answers again.
        return Err(Error::Deleting(live.len() + unreadable.len()));
    }
    if !live.is_empty() {
        for c in &live {
            if c.metadata.deletion_timestamp.is_none() {
                let kind = c.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
                if let Some(api) = child_api(ctx, app, c, &kind, &BTreeMap::new()).await {
                    delete_child(&api, c).await?;
                }
            }
        }
        // Flux's own finalizers remove what the objects applied to the members; credentials
        // must outlive that, so wait.
        return Err(Error::Deleting(live.len()));
    }
    let still_used = project_targets(ctx, &ns, Some(&name));
    if still_used.is_empty() {
        access::revoke_host(&ctx.host, &ns).await;
        ctx.grants.forget(&ns, Some(HOST));
    }
    for t in &placement::targets_of(app, &ctx.clusters.labels()) {
        if t.cluster == HOST || still_used.contains_key(&t.cluster) {
            continue;
        }
        // Other applications' objects may still be finalizing against this cluster.
        let lp = ListParams::default().labels(&format!("{CLUSTER_LABEL}={}", t.cluster));
        let mut in_use = false;
        for kind in ["Kustomization", "HelmRelease"] {
            in_use |= !children_api(ctx, &ns, kind)
                .list_metadata(&lp)
                .await?
                .items
                .is_empty();
        }
        if !in_use {
            access::revoke(&ctx.host, ctx.clusters.get(&t.cluster).ok().as_deref(), &ns).await?;
            ctx.grants.forget(&ns, Some(&t.cluster));
        }
    }
    event(
        ctx,
        app,
        EventType::Normal,
        "Deleted",
        "deleted the Flux objects of every target",
    )
    .await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_applied_again_only_when_its_rendering_or_the_object_changed() {
        let applied = Applied::default();
        let desired = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "web-member-1", "namespace": "p", "labels": {"app": "web"}},
            "spec": {"path": "./", "interval": "5m"}});
        let mut result: DynamicObject = serde_json::from_value(desired.clone()).expect("an object");
        result.metadata.generation = Some(1);
        assert!(!applied.unchanged(&desired, Some(&result)), "never applied");
        applied.record(&desired, &result);
        assert!(!applied.unchanged(&desired, None), "gone since");
        // Flux writing the status or its finalizer changes neither.
        let mut live = result.clone();
        live.metadata.finalizers = Some(vec!["finalizers.fluxcd.io".into()]);
        live.data["status"] = json!({"observedGeneration": 1});
        assert!(applied.unchanged(&desired, Some(&live)));
        let mut edited = live.clone();
        edited.metadata.generation = Some(2);
        assert!(!applied.unchanged(&desired, Some(&edited)), "its spec was edited");
        let mut relabelled = live.clone();
        relabelled.metadata.labels = None;
        assert!(
            !applied.unchanged(&desired, Some(&relabelled)),
            "its labels were edited"
        );
        let mut other = desired.clone();
        other["spec"]["path"] = json!("./other");
        assert!(!applied.unchanged(&other, Some(&live)), "it renders differently");
        applied.forget("p", "Kustomization", "web-member-1");
        assert!(
            !applied.unchanged(&desired, Some(&live)),
            "forgotten when deleted"
        );
    }

    #[test]
    fn retries_back_off_to_five_minutes_with_jitter_per_application() {
        let within = |d: Duration, base: u64| {
            let s = d.as_secs_f64();
            s >= base as f64 * 0.8 && s <= base as f64 * 1.2
        };
        assert!(within(retry_after("team-a", "web", 1), 2));
        assert!(within(retry_after("team-a", "web", 2), 4));
        assert!(within(retry_after("team-a", "web", 5), 32));
        assert!(within(retry_after("team-a", "web", 9), 300), "capped");
        assert!(within(retry_after("team-a", "web", u32::MAX), 300), "no overflow");
        // Applications failing together come back spread out.
        let waits: std::collections::BTreeSet<u128> = (0..50)
            .map(|i| retry_after("team-a", &format!("app-{i}"), 3).as_millis())
            .collect();
        assert!(waits.len() > 40, "{waits:?}");
        assert!(waits.iter().all(|w| (6400..=9600).contains(w)), "{waits:?}");
    }
}
