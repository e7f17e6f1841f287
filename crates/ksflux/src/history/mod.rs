//! Release history and the audit log, kept durably.
//!
//! - [`store`]: SQLite (a file in `--data-dir`, WAL) or PostgreSQL (`--database-url`), one code
//!   path, embedded migrations, retention by age and by count per object.
//! - [`ingest`]: Flux's events from notification-controller's `generic-hmac` provider, verified,
//!   deduplicated and rate-limited, turned into releases by the rules in [`model`].
//! - [`notify`]: the Provider, its Secret and the Alert ksflux keeps in each namespace whose
//!   Kustomizations or HelmReleases an Application rendered, so that notification-controller
//!   sends that namespace's events to ksflux.
//! - [`audit`]: the summary of what a write through the API changed.
//!
//! Reads are filtered like the status views: a user sees the releases and audit entries of the
//! (cluster, kind, namespace) scopes the cluster lets them list.

pub mod audit;
pub mod ingest;
pub mod model;
pub mod notify;
pub mod rollback;
pub mod store;

use std::{path::PathBuf, sync::Arc, time::Duration};

use tokio::sync::{mpsc, oneshot};

pub use ingest::Ingested;
pub use model::{AuditEntry, Outcome, Release};
pub use store::{AuditFilter, ReleaseFilter, Store};

use crate::{
    auth::User,
    clusters::{Clusters, HOST},
    error::{Error, Result},
    kinds::APPLICATION,
    status::{Fleet, kind_named},
};

/// Where and how long history is kept, and where notification-controller reaches ksflux.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Directory of the SQLite history store (`history.db`), used unless `--database-url`.
    #[arg(long = "data-dir", env = "KSFLUX_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL of the history store (`postgres://user:password@host:5432/db`); needed
    /// when several replicas run.
    #[arg(long = "database-url", env = "KSFLUX_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The base URL at which notification-controller reaches ksflux (e.g. the Service,
    /// `http://ksflux.ksflux-system.svc`); ksflux points its Providers at
    /// `<url>/ingest/flux/<cluster>/<namespace>`. Unset: no Providers are kept.
    #[arg(long = "events-url", env = "KSFLUX_EVENTS_URL")]
    pub events_url: Option<String>,
    /// Releases, events and audit entries older than this many days are removed.
    #[arg(
        long = "history-retention-days",
        env = "KSFLUX_HISTORY_RETENTION_DAYS",
        default_value_t = 180
    )]
    pub retention_days: i64,
    /// At most this many releases are kept per Flux object (the newest).
    #[arg(
        long = "history-max-releases",
        env = "KSFLUX_HISTORY_MAX_RELEASES",
        default_value_t = 1000
    )]
    pub max_releases: i64,
}

/// The master key's name in the store's settings.
const MASTER_KEY: &str = "events-master-key";

/// The history: store, ingest worker and live release changes. Cheap to clone.
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    master: Vec<u8>,
    tx: mpsc::Sender<ingest::Job>,
    changes: ingest::ReleaseChanges,
    config: Config,
}

/// A page of releases.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseList {
    /// The releases, newest first.
    pub items: Vec<Release>,
    /// How many match in all.
    pub total_items: i64,
}

/// A page of audit entries.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditList {
    /// The entries, newest first.
    pub items: Vec<AuditEntry>,
    /// How many match in all.
    pub total_items: i64,
}

fn random_key() -> anyhow::Result<Vec<u8>> {
    let mut key = vec![0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .map_err(|_| anyhow::anyhow!("no random numbers for the history key"))?;
    Ok(key)
}

impl History {
    /// Opens the store the config names and starts the ingest worker and retention. `fleet`
    /// gives events the application and last attempted revision of their object.
    pub async fn open(config: Config, fleet: Option<Fleet>) -> anyhow::Result<History> {
        let store = match &config.database_url {
            Some(url) => Store::postgres(url).await?,
            None => Store::sqlite(&config.data_dir).await?,
        };
        Self::with_store(store, config, fleet).await
    }

    /// Starts the history on an open store.
    pub async fn with_store(store: Store, config: Config, fleet: Option<Fleet>) -> anyhow::Result<History> {
        // Replicas sharing a database share the key; the first one to start makes it.
        let master = match std::env::var("KSFLUX_HISTORY_KEY") {
            Ok(k) if !k.is_empty() => k.into_bytes(),
            _ => store
                .setting_or_insert(MASTER_KEY, &ingest::hex(&random_key()?))
                .await?
                .into_bytes(),
        };
        let (tx, rx) = mpsc::channel(ingest::QUEUE);
        let (changes, _) = tokio::sync::broadcast::channel(256);
        tokio::spawn(ingest::Worker::new(store.clone(), fleet, changes.clone()).run(rx));
        let history = History {
            inner: Arc::new(Inner {
                store,
                master,
                tx,
                changes,
                config,
            }),
        };
        let (store, config) = (history.inner.store.clone(), history.inner.config.clone());
        tokio::spawn(retention_loop(store, config));
        Ok(history)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The HMAC key of the Provider in `namespace` of `cluster`.
    pub fn namespace_token(&self, cluster: &str, namespace: &str) -> String {
        ingest::namespace_token(&self.inner.master, cluster, namespace)
    }

    /// Live releases as they start or finish.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Release>> {
        self.inner.changes.subscribe()
    }

    /// Verifies and stores an event posted for `namespace` of `cluster`. A bad signature is a
    /// 401 and nothing is stored.
    pub async fn ingest(
        &self,
        cluster: &str,
        namespace: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Ingested> {
        let token = self.namespace_token(cluster, namespace);
        ingest::verify(&token, signature, body).map_err(|m| Error::Unauthorized(m.into()))?;
        let event: model::FluxEvent = serde_json::from_slice(body)
            .map_err(|e| Error::BadRequest(format!("the body is not a Flux event: {e}")))?;
        if event.involved_object.namespace != namespace {
            return Err(Error::invalid(vec![crate::error::Cause::invalid(
                "involvedObject.namespace",
                format!("this endpoint takes events of namespace {namespace:?} only"),
            )]));
        }
        let (reply, rx) = oneshot::channel();
        let job = ingest::Job {
            cluster: cluster.to_string(),
            dedup: ingest::dedup_key(cluster, namespace, body),
            event,
            reply,
        };
        self.inner.tx.try_send(job).map_err(|_| {
            Error::Unavailable("too many events waiting to be stored; send again later".into())
        })?;
        rx.await
            .map_err(|_| Error::Unavailable("the history worker stopped".into()))?
            .map_err(Error::Internal)
    }

    /// Records a write through the API (logged, never failing the write).
    pub async fn audit(&self, user: &User, object: (&str, &str, &str, &str), action: &str, summary: String) {
        let (cluster, kind, namespace, name) = object;
        let entry = AuditEntry {
            id: 0,
            at: ingest::now_ms(),
            user: user.name.clone(),
            cluster: cluster.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            action: action.to_string(),
            summary,
        };
        if let Err(e) = self.inner.store.insert_audit(&entry).await {
            tracing::error!(error = format!("{e:#}"), "writing the audit log failed");
        }
    }

    /// The scopes of `candidates` that `user` may list.
    async fn visible(
        fleet: &Fleet,
        clusters: &Clusters,
        user: &User,
        candidates: Vec<store::Scope>,
    ) -> Vec<store::Scope> {
        let mut out = Vec::new();
        for s in candidates {
            let kind = if s.1 == APPLICATION.kind {
                Some(&APPLICATION)
            } else {
                kind_named(&s.1)
            };
            let Some(kind) = kind else { continue };
            if fleet.may_list(clusters, user, &s.0, kind, &s.2).await {
                out.push(s);
            }
        }
        out
    }

    /// Releases matching `filter` that `user` may see, one page (`page` from 1).
    pub async fn releases(
        &self,
        access: (&Fleet, &Clusters, &User),
        filter: &ReleaseFilter,
        page: i64,
        limit: i64,
    ) -> Result<ReleaseList> {
        let (fleet, clusters, user) = access;
        let store = &self.inner.store;
        let candidates = store.release_scopes(filter).await.map_err(Error::Internal)?;
        let scopes = Self::visible(fleet, clusters, user, candidates).await;
        let (items, total_items) = store
            .releases(filter, Some(&scopes), (page - 1) * limit, limit)
            .await
            .map_err(Error::Internal)?;
        Ok(ReleaseList { items, total_items })
    }

    /// The releases of an Application (all targets, or `filter.target`), for a user who may
    /// list Applications in its namespace; HelmRelease entries are completed from Helm's
    /// `status.history`.
    pub async fn application_releases(
        &self,
        access: (&Fleet, &Clusters, &User),
        filter: &ReleaseFilter,
        page: i64,
        limit: i64,
    ) -> Result<ReleaseList> {
        let (fleet, clusters, user) = access;
        let namespace = filter.namespace.clone().unwrap_or_default();
        if !fleet
            .may_list(clusters, user, HOST, &APPLICATION, &namespace)
            .await
        {
            return Err(Error::Forbidden(format!(
                "you may not list applications in namespace {namespace:?}"
            )));
        }
        let (mut items, total_items) = self
            .inner
            .store
            .releases(filter, None, (page - 1) * limit, limit)
            .await
            .map_err(Error::Internal)?;
        let app = filter.application.clone().unwrap_or_default();
        let helm = fleet.list_labelled(
            HOST,
            "HelmRelease",
            &[(ksflux_types::application::APPLICATION_LABEL, &app)],
        );
        let mut list = ReleaseList {
            items: Vec::new(),
            total_items,
        };
        let of_target = |o: &kube::api::DynamicObject| {
            let target = o
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(ksflux_types::application::CLUSTER_LABEL));
            filter.target.is_none() || target == filter.target.as_ref()
        };
        let add_missing = total_items == 0 && unfiltered(filter);
        for o in helm
            .iter()
            .filter(|o| o.metadata.namespace.as_deref() == Some(&namespace) && of_target(o))
        {
            let before = items.len();
            if let Ok(v) = serde_json::to_value(&**o) {
                complete_helm(&mut items, &v, HOST, add_missing);
            }
            list.total_items += (items.len() - before) as i64;
        }
        list.items = items;
        Ok(list)
    }

    /// The releases of one Flux object, for a user who may list its kind in its namespace.
    pub async fn object_releases(
        &self,
        access: (&Fleet, &Clusters, &User),
        filter: &ReleaseFilter,
        page: i64,
        limit: i64,
    ) -> Result<ReleaseList> {
        let (fleet, clusters, user) = access;
        let (cluster, kind, namespace, name) = (
            filter.cluster.clone().unwrap_or_else(|| HOST.into()),
            filter.kind.clone().unwrap_or_default(),
            filter.namespace.clone().unwrap_or_default(),
            filter.name.clone().unwrap_or_default(),
        );
        let flux = kind_named(&kind).ok_or_else(|| Error::NotFound(format!("unknown kind {kind:?}")))?;
        if !fleet.may_list(clusters, user, &cluster, flux, &namespace).await {
            return Err(Error::Forbidden(format!(
                "you may not list {} in namespace {namespace:?} of cluster {cluster:?}",
                flux.plural
            )));
        }
        let (mut items, total_items) = self
            .inner
            .store
            .releases(filter, None, (page - 1) * limit, limit)
            .await
            .map_err(Error::Internal)?;
        let mut list = ReleaseList {
            items: Vec::new(),
            total_items,
        };
        if flux.kind == "HelmRelease"
            && let Some(o) = fleet.get(&cluster, flux.kind, &namespace, &name)
            && let Ok(v) = serde_json::to_value(&*o)
        {
            let before = items.len();
            complete_helm(&mut items, &v, &cluster, total_items == 0 && unfiltered(filter));
            list.total_items += (items.len() - before) as i64;
        }
        list.items = items;
        Ok(list)
    }

    /// Audit entries matching `filter` that `user` may see (the object's kind listable in its
    /// namespace), one page.
    pub async fn audit_log(
        &self,
        access: (&Fleet, &Clusters, &User),
        filter: &AuditFilter,
        page: i64,
        limit: i64,
    ) -> Result<AuditList> {
        let (fleet, clusters, user) = access;
        let store = &self.inner.store;
        let candidates = store.audit_scopes(filter).await.map_err(Error::Internal)?;
        let scopes = Self::visible(fleet, clusters, user, candidates).await;
        let (items, total_items) = store
            .audit(filter, Some(&scopes), (page - 1) * limit, limit)
            .await
            .map_err(Error::Internal)?;
        Ok(AuditList { items, total_items })
    }
}

/// Applies retention every ten minutes (it holds the store only, so the worker stops once
/// every handle of the history is gone).
async fn retention_loop(store: Store, c: Config) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let before = ingest::now_ms() - c.retention_days.max(1) * 86_400_000;
        match store.prune(before, c.max_releases.max(1)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "history retention removed old entries"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "history retention failed"),
        }
    }
}

/// Whether a query takes every release (no outcome or time filter), so that snapshots of
/// `status.history` may stand in for an empty store.
fn unfiltered(f: &ReleaseFilter) -> bool {
    f.outcome.is_none() && f.since.is_none() && f.until.is_none()
}

/// Completes stored HelmRelease entries from Helm's `status.history`; with `add_missing`
/// (nothing stored yet), adds the snapshots themselves.
fn complete_helm(items: &mut Vec<Release>, object: &serde_json::Value, cluster: &str, add_missing: bool) {
    let before = items.len();
    model::merge_helm_history(items, object, cluster);
    if !add_missing {
        items.truncate(before);
    }
}
