//! The history store and ingest rules, one suite run against SQLite (a file) and PostgreSQL
//! (a throwaway cluster on loopback): signatures, repeats, floods, releases, the audit log's
//! scopes, retention and durability across a reopen. No Kubernetes needed.

mod support;

use ksflux::history::{
    AuditEntry, AuditFilter, Config, History, Ingested, Outcome, ReleaseFilter, Store, ingest, store::Backend,
};
use serde_json::{Value, json};
use support::Postgres;

fn config() -> Config {
    Config {
        data_dir: std::env::temp_dir(),
        database_url: None,
        events_url: None,
        retention_days: 30,
        max_releases: 1000,
    }
}

fn event(
    name: &str,
    severity: &str,
    reason: &str,
    message: &str,
    revision: Option<&str>,
    at: &str,
) -> Vec<u8> {
    let mut metadata = json!({});
    if let Some(r) = revision {
        metadata["revision"] = json!(r);
    }
    serde_json::to_vec(&json!({
        "involvedObject": {"kind": "Kustomization", "namespace": "team-a", "name": name,
            "uid": "u", "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "resourceVersion": "1"},
        "severity": severity, "timestamp": at, "message": message, "reason": reason,
        "metadata": metadata, "reportingController": "kustomize-controller"
    }))
    .expect("json")
}

fn sign(h: &History, body: &[u8]) -> String {
    let token = h.namespace_token("host", "team-a");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, token.as_bytes());
    format!("sha256={}", ingest::hex(ring::hmac::sign(&key, body).as_ref()))
}

async fn send(h: &History, body: &[u8]) -> Ingested {
    h.ingest("host", "team-a", Some(&sign(h, body)), body)
        .await
        .expect("ingest")
}

async fn releases(store: &Store, name: &str) -> Vec<ksflux::history::Release> {
    let f = ReleaseFilter {
        name: Some(name.into()),
        ..Default::default()
    };
    store.releases(&f, None, 0, 100).await.expect("releases").0
}

async fn suite(store: Store) {
    let h = History::with_store(store.clone(), config(), None)
        .await
        .expect("history");
    let a = "main@sha1:aaaa";
    let b = "main@sha1:bbbb";

    // A release: applied, then finished.
    let start = event(
        "web",
        "info",
        "Progressing",
        "ConfigMap/team-a/x configured",
        Some(a),
        "2026-11-27T10:00:00Z",
    );
    assert_eq!(send(&h, &start).await, Ingested::Stored);
    let done = event(
        "web",
        "info",
        "ReconciliationSucceeded",
        "Reconciliation finished in 2.5s, next run in 5m0s",
        Some(a),
        "2026-11-27T10:00:03Z",
    );
    assert_eq!(send(&h, &done).await, Ingested::Stored);
    // Flux's retry of the same delivery is not stored again.
    assert_eq!(send(&h, &done).await, Ingested::Duplicate);
    let before = store.event_count().await.expect("count");
    assert_eq!(before, 2);

    // Forged, missing or other-namespace signatures: 401, nothing stored.
    let forged = h
        .ingest("host", "team-a", Some("sha256=00ff"), &start)
        .await
        .expect_err("forged");
    assert_eq!(forged.status_code(), 401);
    let missing = h
        .ingest("host", "team-a", None, &start)
        .await
        .expect_err("missing");
    assert_eq!(missing.status_code(), 401);
    let other = h
        .ingest("host", "team-b", Some(&sign(&h, &start)), &start)
        .await
        .expect_err("signed for team-a, posted for team-b");
    assert_eq!(other.status_code(), 401);
    assert_eq!(store.event_count().await.expect("count"), before);

    // A bad revision fails with Flux's message.
    let failed = event(
        "web",
        "error",
        "BuildFailed",
        "kustomize build failed: map[string]interface {}(nil): yaml: unmarshal errors",
        Some(b),
        "2026-11-27T10:05:00Z",
    );
    assert_eq!(send(&h, &failed).await, Ingested::Stored);
    let r = releases(&store, "web").await;
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!((r[0].revision.as_str(), r[0].outcome), (b, Outcome::Failed));
    assert!(
        r[0].message.starts_with("kustomize build failed"),
        "{}",
        r[0].message
    );
    assert_eq!((r[1].revision.as_str(), r[1].outcome), (a, Outcome::Succeeded));
    assert_eq!(r[1].duration_ms, Some(3000), "{:?}", r[1]);

    // A flood of periodic successes of one revision is limited; a new revision still gets in.
    let mut limited = 0;
    for i in 0..(ingest::COUNTED_PER_MINUTE + 10) {
        let body = event(
            "flood",
            "info",
            "ReconciliationSucceeded",
            &format!("Reconciliation finished in {i}ms, next run in 5m0s"),
            Some(a),
            "2026-11-27T10:10:00Z",
        );
        if send(&h, &body).await == Ingested::Limited {
            limited += 1;
        }
    }
    // The first one started the release; of the 39 that only count, 30 are kept.
    assert_eq!(limited, 9);
    let new = event(
        "flood",
        "info",
        "Progressing",
        "x configured",
        Some(b),
        "2026-11-27T10:11:00Z",
    );
    assert_eq!(send(&h, &new).await, Ingested::Stored);
    assert_eq!(releases(&store, "flood").await.len(), 2);

    // Filters: outcome and time.
    let f = ReleaseFilter {
        outcome: Some(Outcome::Failed),
        ..Default::default()
    };
    assert_eq!(store.releases(&f, None, 0, 10).await.expect("q").1, 1);
    let f = ReleaseFilter {
        since: Some(1_800_000_000_000),
        ..Default::default()
    };
    assert_eq!(store.releases(&f, None, 0, 10).await.expect("q").1, 0);

    // The audit log, restricted to the scopes a user may list.
    for ns in ["team-a", "team-b"] {
        store
            .insert_audit(&AuditEntry {
                id: 0,
                at: 1,
                user: "alice".into(),
                cluster: "host".into(),
                kind: "GitRepository".into(),
                namespace: ns.into(),
                name: "demo".into(),
                action: "update".into(),
                summary: "spec.interval: 1m → 5m".into(),
            })
            .await
            .expect("audit");
    }
    let all = AuditFilter::default();
    let scopes = store.audit_scopes(&all).await.expect("scopes");
    assert_eq!(scopes.len(), 2);
    let mine = vec![(
        "host".to_string(),
        "GitRepository".to_string(),
        "team-a".to_string(),
    )];
    let (items, total) = store.audit(&all, Some(&mine), 0, 10).await.expect("audit");
    assert_eq!((total, items[0].namespace.as_str()), (1, "team-a"));
    assert_eq!(store.audit(&all, Some(&[]), 0, 10).await.expect("audit").1, 0);

    // Retention by count keeps the newest release of each object.
    store.prune(0, 1).await.expect("prune");
    let r = releases(&store, "web").await;
    assert_eq!((r.len(), r[0].revision.as_str()), (1, b));
    // By age: everything before now goes.
    store.prune(i64::MAX, 1000).await.expect("prune");
    assert!(releases(&store, "web").await.is_empty());
    assert_eq!(store.event_count().await.expect("count"), 0);
}

#[tokio::test]
async fn the_suite_on_sqlite_and_the_store_survives_a_reopen() {
    let dir = std::env::temp_dir().join(ksflux_testbed::unique_name("history-sqlite"));
    let store = Store::sqlite(&dir).await.expect("sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    suite(store).await;

    let store = Store::sqlite(&dir).await.expect("sqlite");
    let h = History::with_store(store.clone(), config(), None)
        .await
        .expect("history");
    let body = event(
        "kept",
        "info",
        "ReconciliationSucceeded",
        "Reconciliation finished in 1s, next run in 5m0s",
        Some("main@sha1:cc"),
        "2026-11-27T11:00:00Z",
    );
    assert_eq!(send(&h, &body).await, Ingested::Stored);
    let key = h.namespace_token("host", "team-a");
    drop(h);
    drop(store);
    // Reopened: the release is there, the key is the same, a retry is still a repeat.
    let store = Store::sqlite(&dir).await.expect("reopen");
    let h = History::with_store(store.clone(), config(), None)
        .await
        .expect("history");
    assert_eq!(h.namespace_token("host", "team-a"), key);
    assert_eq!(releases(&store, "kept").await.len(), 1);
    assert_eq!(send(&h, &body).await, Ingested::Duplicate);
    assert!(dir.join("history.db-wal").exists() || dir.join("history.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_suite_on_postgresql() {
    let pg = Postgres::start();
    let store = Store::postgres(&pg.url).await.expect("postgres");
    assert_eq!(store.backend(), Backend::Postgres);
    suite(store).await;
    // Two stores on one database (two replicas) share the key.
    let a = History::with_store(Store::postgres(&pg.url).await.expect("pg"), config(), None)
        .await
        .expect("a");
    let b = History::with_store(Store::postgres(&pg.url).await.expect("pg"), config(), None)
        .await
        .expect("b");
    assert_eq!(a.namespace_token("host", "x"), b.namespace_token("host", "x"));
}

#[test]
fn bad_events_are_refused_before_anything_is_stored() {
    let v: Value = json!({"severity": "info"});
    assert!(serde_json::from_value::<ksflux::history::model::FluxEvent>(v).is_err());
}
