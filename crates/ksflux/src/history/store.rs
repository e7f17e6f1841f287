//! The durable store: SQLite (a file in the data directory, WAL) or PostgreSQL (a URL), one
//! code path through sqlx's `Any` driver with runtime queries. Placeholders are `$N`, which
//! both databases accept; times are milliseconds since the epoch (`BIGINT`).
//!
//! Migrations are embedded: [`MIGRATIONS`] in order, each applied once and recorded in
//! `history_schema`. Only the auto-numbered key differs between the two databases.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context as _;
use sqlx::{
    AnyPool, AssertSqlSafe, Row,
    any::{AnyConnectOptions, AnyPoolOptions, AnyRow},
};

use super::model::{AuditEntry, Outcome, Release};

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The schema, in order. `{id}` is the auto-numbered primary key of each database.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE IF NOT EXISTS history_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS history_events (
        id {id},
        dedup TEXT NOT NULL UNIQUE,
        cluster TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        severity TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        revision TEXT,
        controller TEXT NOT NULL,
        at BIGINT NOT NULL,
        received BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS history_events_at ON history_events (at);
    CREATE TABLE IF NOT EXISTS history_releases (
        id {id},
        cluster TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        application TEXT,
        target TEXT,
        revision TEXT NOT NULL,
        chart_version TEXT,
        values_digest TEXT,
        helm_version BIGINT,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        duration_ms BIGINT,
        events BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS history_releases_object
        ON history_releases (cluster, kind, namespace, name, id);
    CREATE INDEX IF NOT EXISTS history_releases_application
        ON history_releases (namespace, application, started_at);
    CREATE INDEX IF NOT EXISTS history_releases_started ON history_releases (started_at);
    CREATE TABLE IF NOT EXISTS history_audit (
        id {id},
        at BIGINT NOT NULL,
        username TEXT NOT NULL,
        cluster TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        action TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS history_audit_at ON history_audit (at);
    CREATE INDEX IF NOT EXISTS history_audit_scope ON history_audit (cluster, kind, namespace, at);",
    ),
    // What a HelmRelease release applied (chart version range and values), for rollbacks.
    (2, "ALTER TABLE history_releases ADD COLUMN spec TEXT"),
];

/// The store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Which releases a query wants.
#[derive(Clone, Debug, Default)]
pub struct ReleaseFilter {
    /// Only this cluster (where the Flux object lives).
    pub cluster: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only this object name.
    pub name: Option<String>,
    /// Only releases of this application (in `namespace`).
    pub application: Option<String>,
    /// Only this application target (the target's cluster).
    pub target: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Started at or after (ms).
    pub since: Option<i64>,
    /// Started before (ms).
    pub until: Option<i64>,
}

/// Which audit entries a query wants.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only this object name.
    pub name: Option<String>,
    /// Only this user.
    pub user: Option<String>,
    /// At or after (ms).
    pub since: Option<i64>,
    /// Before (ms).
    pub until: Option<i64>,
}

/// (cluster, kind, namespace): the scope a user's right to list is checked on.
pub type Scope = (String, String, String);

/// A query under construction: SQL text and its bound values (all text or numbers).
#[derive(Default)]
struct Query {
    sql: String,
    args: Vec<Arg>,
}

enum Arg {
    Text(String),
    Int(i64),
}

impl Query {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn eq(&mut self, column: &str, value: &Option<String>) {
        if let Some(v) = value {
            let p = self.arg(Arg::Text(v.clone()));
            self.sql.push_str(&format!(" AND {column} = {p}"));
        }
    }

    fn cmp(&mut self, column: &str, op: &str, value: Option<i64>) {
        if let Some(v) = value {
            let p = self.arg(Arg::Int(v));
            self.sql.push_str(&format!(" AND {column} {op} {p}"));
        }
    }

    /// Restricts to the given scopes (`None`: no restriction).
    fn scopes(&mut self, scopes: Option<&[Scope]>) {
        let Some(scopes) = scopes else { return };
        if scopes.is_empty() {
            self.sql.push_str(" AND 1 = 0");
            return;
        }
        let mut parts = Vec::new();
        for (c, k, n) in scopes {
            let (c, k, n) = (
                self.arg(Arg::Text(c.clone())),
                self.arg(Arg::Text(k.clone())),
                self.arg(Arg::Text(n.clone())),
            );
            parts.push(format!("(cluster = {c} AND kind = {k} AND namespace = {n})"));
        }
        self.sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }

    fn build(&self) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        // Built from constant column names and `$N` placeholders only; values are bound.
        let mut q = sqlx::query(AssertSqlSafe(self.sql.clone()));
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn release_filter(q: &mut Query, f: &ReleaseFilter) {
    q.eq("cluster", &f.cluster);
    q.eq("kind", &f.kind);
    q.eq("namespace", &f.namespace);
    q.eq("name", &f.name);
    q.eq("application", &f.application);
    q.eq("target", &f.target);
    q.eq("outcome", &f.outcome.map(|o| o.as_str().to_string()));
    q.cmp("started_at", ">=", f.since);
    q.cmp("started_at", "<", f.until);
}

fn audit_filter(q: &mut Query, f: &AuditFilter) {
    q.eq("cluster", &f.cluster);
    q.eq("kind", &f.kind);
    q.eq("namespace", &f.namespace);
    q.eq("name", &f.name);
    q.eq("username", &f.user);
    q.cmp("at", ">=", f.since);
    q.cmp("at", "<", f.until);
}

const RELEASE_COLUMNS: &str = "id, cluster, kind, namespace, name, application, target, revision, \
    chart_version, values_digest, helm_version, outcome, reason, message, started_at, finished_at, \
    duration_ms, events, spec";

fn release_of(row: &AnyRow) -> sqlx::Result<Release> {
    let outcome: String = row.try_get("outcome")?;
    Ok(Release {
        id: row.try_get("id")?,
        cluster: row.try_get("cluster")?,
        kind: row.try_get("kind")?,
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        application: row.try_get("application")?,
        target: row.try_get("target")?,
        revision: row.try_get("revision")?,
        chart_version: row.try_get("chart_version")?,
        values_digest: row.try_get("values_digest")?,
        helm_version: row.try_get("helm_version")?,
        outcome: outcome.parse().unwrap_or(Outcome::Progressing),
        reason: row.try_get("reason")?,
        message: row.try_get("message")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        duration_ms: row.try_get("duration_ms")?,
        events: row.try_get("events")?,
        origin: super::model::Origin::Events,
        spec: row
            .try_get::<Option<String>, _>("spec")?
            .and_then(|s| serde_json::from_str(&s).ok()),
    })
}

fn audit_of(row: &AnyRow) -> sqlx::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        user: row.try_get("username")?,
        cluster: row.try_get("cluster")?,
        kind: row.try_get("kind")?,
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        action: row.try_get("action")?,
        summary: row.try_get("summary")?,
    })
}

/// An event as stored (the fields ksflux keeps of Flux's event).
#[derive(Clone, Debug)]
pub struct StoredEvent {
    /// Deduplication key (a digest of the cluster and the exact body).
    pub dedup: String,
    /// Cluster of the notification-controller that sent it.
    pub cluster: String,
    /// Involved object's kind.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `info` or `error`.
    pub severity: String,
    /// Flux's reason.
    pub reason: String,
    /// Flux's message.
    pub message: String,
    /// The revision the event names, if any.
    pub revision: Option<String>,
    /// The reporting controller.
    pub controller: String,
    /// When Flux emitted it (ms).
    pub at: i64,
}

impl Store {
    /// Opens (creating when needed) the SQLite file `history.db` in `dir`, in WAL mode.
    pub async fn sqlite(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
        let file = dir.join("history.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        Self::open(&url, Backend::Sqlite).await.with_context(|| {
            format!(
                "opening {}; check that the data directory is writable",
                file.display()
            )
        })
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/db`).
    pub async fn postgres(url: &str) -> anyhow::Result<Store> {
        Self::open(url, Backend::Postgres)
            .await
            .context("connecting to PostgreSQL (--database-url); check the address, user and database")
    }

    async fn open(url: &str, backend: Backend) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url)?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time in SQLite; more connections only wait on its lock.
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 10000",
                    ] {
                        sqlx::query(pragma).fetch_optional(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// The database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::query("CREATE TABLE IF NOT EXISTS history_schema (version BIGINT PRIMARY KEY)")
            .execute(&self.pool)
            .await?;
        let id = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        for (version, sql) in MIGRATIONS {
            let done: Option<AnyRow> = sqlx::query("SELECT version FROM history_schema WHERE version = $1")
                .bind(*version)
                .fetch_optional(&self.pool)
                .await?;
            if done.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                sqlx::query(AssertSqlSafe(statement.replace("{id}", id)))
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("schema migration {version}"))?;
            }
            // Two replicas starting together: the second one's insert conflicts, harmlessly.
            sqlx::query("INSERT INTO history_schema (version) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(*version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// A setting, or `default` stored as it when there is none yet (the first writer wins,
    /// so replicas sharing a database agree).
    pub async fn setting_or_insert(&self, name: &str, default: &str) -> anyhow::Result<String> {
        sqlx::query("INSERT INTO history_settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(default)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT value FROM history_settings WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }

    /// Whether an event with this deduplication key is stored.
    pub async fn has_event(&self, dedup: &str) -> anyhow::Result<bool> {
        Ok(sqlx::query("SELECT id FROM history_events WHERE dedup = $1")
            .bind(dedup)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Stores an event unless the same one is stored already; whether it was new.
    pub async fn insert_event(&self, e: &StoredEvent, received: i64) -> anyhow::Result<bool> {
        let row = sqlx::query(
            "INSERT INTO history_events (dedup, cluster, kind, namespace, name, severity, reason, \
             message, revision, controller, at, received) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (dedup) DO NOTHING RETURNING id",
        )
        .bind(&e.dedup)
        .bind(&e.cluster)
        .bind(&e.kind)
        .bind(&e.namespace)
        .bind(&e.name)
        .bind(&e.severity)
        .bind(&e.reason)
        .bind(&e.message)
        .bind(e.revision.clone())
        .bind(&e.controller)
        .bind(e.at)
        .bind(received)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The newest release of an object.
    pub async fn latest_release(
        &self,
        cluster: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> anyhow::Result<Option<Release>> {
        // Only constant column names are formatted in.
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RELEASE_COLUMNS} FROM history_releases \
             WHERE cluster = $1 AND kind = $2 AND namespace = $3 AND name = $4 \
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(cluster)
        .bind(kind)
        .bind(namespace)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(release_of).transpose()?)
    }

    /// Inserts a release; its id.
    pub async fn insert_release(&self, r: &Release) -> anyhow::Result<i64> {
        let row = sqlx::query(
            "INSERT INTO history_releases (cluster, kind, namespace, name, application, target, \
             revision, chart_version, values_digest, helm_version, outcome, reason, message, \
             started_at, finished_at, duration_ms, events, spec) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             RETURNING id",
        )
        .bind(&r.cluster)
        .bind(&r.kind)
        .bind(&r.namespace)
        .bind(&r.name)
        .bind(r.application.clone())
        .bind(r.target.clone())
        .bind(&r.revision)
        .bind(r.chart_version.clone())
        .bind(r.values_digest.clone())
        .bind(r.helm_version)
        .bind(r.outcome.as_str())
        .bind(&r.reason)
        .bind(&r.message)
        .bind(r.started_at)
        .bind(r.finished_at)
        .bind(r.duration_ms)
        .bind(r.events)
        .bind(r.spec.as_ref().map(|v| v.to_string()))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Writes back a release's changing fields.
    pub async fn update_release(&self, r: &Release) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE history_releases SET outcome = $1, reason = $2, message = $3, started_at = $4, \
             finished_at = $5, duration_ms = $6, events = $7, values_digest = $8, \
             application = $9, target = $10, spec = $11 WHERE id = $12",
        )
        .bind(r.outcome.as_str())
        .bind(&r.reason)
        .bind(&r.message)
        .bind(r.started_at)
        .bind(r.finished_at)
        .bind(r.duration_ms)
        .bind(r.events)
        .bind(r.values_digest.clone())
        .bind(r.application.clone())
        .bind(r.target.clone())
        .bind(r.spec.as_ref().map(|v| v.to_string()))
        .bind(r.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One release by id.
    pub async fn release(&self, id: i64) -> anyhow::Result<Option<Release>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RELEASE_COLUMNS} FROM history_releases WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(release_of).transpose()?)
    }

    /// Releases matching `filter` within `scopes` (`None`: all), newest first: one page and
    /// the total.
    pub async fn releases(
        &self,
        filter: &ReleaseFilter,
        scopes: Option<&[Scope]>,
        offset: i64,
        limit: i64,
    ) -> anyhow::Result<(Vec<Release>, i64)> {
        let mut q = Query {
            sql: "SELECT COUNT(*) AS n FROM history_releases WHERE 1 = 1".into(),
            ..Default::default()
        };
        release_filter(&mut q, filter);
        q.scopes(scopes);
        let total: i64 = q.build().fetch_one(&self.pool).await?.try_get("n")?;
        q.sql = q.sql.replacen("COUNT(*) AS n", RELEASE_COLUMNS, 1);
        let (o, l) = (q.arg(Arg::Int(offset)), q.arg(Arg::Int(limit)));
        q.sql.push_str(&format!(
            " ORDER BY started_at DESC, id DESC LIMIT {l} OFFSET {o}"
        ));
        let rows = q.build().fetch_all(&self.pool).await?;
        let items = rows.iter().map(release_of).collect::<sqlx::Result<Vec<_>>>()?;
        Ok((items, total))
    }

    /// The distinct scopes releases matching `filter` fall in.
    pub async fn release_scopes(&self, filter: &ReleaseFilter) -> anyhow::Result<Vec<Scope>> {
        let mut q = Query {
            sql: "SELECT DISTINCT cluster, kind, namespace FROM history_releases WHERE 1 = 1".into(),
            ..Default::default()
        };
        release_filter(&mut q, filter);
        scopes_of(q.build().fetch_all(&self.pool).await?)
    }

    /// Records a write through the API.
    pub async fn insert_audit(&self, e: &AuditEntry) -> anyhow::Result<i64> {
        let row = sqlx::query(
            "INSERT INTO history_audit (at, username, cluster, kind, namespace, name, action, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(e.at)
        .bind(&e.user)
        .bind(&e.cluster)
        .bind(&e.kind)
        .bind(&e.namespace)
        .bind(&e.name)
        .bind(&e.action)
        .bind(&e.summary)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Audit entries matching `filter` within `scopes`, newest first: one page and the total.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        scopes: Option<&[Scope]>,
        offset: i64,
        limit: i64,
    ) -> anyhow::Result<(Vec<AuditEntry>, i64)> {
        let mut q = Query {
            sql: "SELECT COUNT(*) AS n FROM history_audit WHERE 1 = 1".into(),
            ..Default::default()
        };
        audit_filter(&mut q, filter);
        q.scopes(scopes);
        let total: i64 = q.build().fetch_one(&self.pool).await?.try_get("n")?;
        q.sql = q.sql.replacen(
            "COUNT(*) AS n",
            "id, at, username, cluster, kind, namespace, name, action, summary",
            1,
        );
        let (o, l) = (q.arg(Arg::Int(offset)), q.arg(Arg::Int(limit)));
        q.sql
            .push_str(&format!(" ORDER BY at DESC, id DESC LIMIT {l} OFFSET {o}"));
        let rows = q.build().fetch_all(&self.pool).await?;
        let items = rows.iter().map(audit_of).collect::<sqlx::Result<Vec<_>>>()?;
        Ok((items, total))
    }

    /// The distinct scopes audit entries matching `filter` fall in.
    pub async fn audit_scopes(&self, filter: &AuditFilter) -> anyhow::Result<Vec<Scope>> {
        let mut q = Query {
            sql: "SELECT DISTINCT cluster, kind, namespace FROM history_audit WHERE 1 = 1".into(),
            ..Default::default()
        };
        audit_filter(&mut q, filter);
        scopes_of(q.build().fetch_all(&self.pool).await?)
    }

    /// SQLite: moves the write-ahead log into the database file and truncates it (for the
    /// bench's size figure); PostgreSQL: nothing.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_optional(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The database's size in bytes (PostgreSQL only; for the bench).
    pub async fn database_bytes(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query("SELECT pg_database_size(current_database()) AS n")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// How many events are stored (for tests and the bench).
    pub async fn event_count(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM history_events")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Applies retention: releases, events and audit entries older than `before` (ms) go, and
    /// of each object's releases only the newest `keep` stay. How many rows went.
    pub async fn prune(&self, before: i64, keep: i64) -> anyhow::Result<u64> {
        let mut gone = 0;
        for sql in [
            "DELETE FROM history_releases WHERE started_at < $1",
            "DELETE FROM history_events WHERE at < $1",
            "DELETE FROM history_audit WHERE at < $1",
        ] {
            gone += sqlx::query(sql)
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        gone += sqlx::query(
            "DELETE FROM history_releases WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
             (PARTITION BY cluster, kind, namespace, name ORDER BY id DESC) AS rn \
             FROM history_releases) ranked WHERE rn > $1)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(gone)
    }
}

fn scopes_of(rows: Vec<AnyRow>) -> anyhow::Result<Vec<Scope>> {
    rows.iter()
        .map(|r| Ok((r.try_get("cluster")?, r.try_get("kind")?, r.try_get("namespace")?)))
        .collect()
}
