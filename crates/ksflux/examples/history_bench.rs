//! The history store's benchmark (run by `bench/history`): sustained ingest of signed Flux
//! events through the same path as the HTTP endpoint (HMAC check, worker, store), the p99 of
//! history queries with 100,000 releases stored, and the store's size per 10,000 releases.
//!
//! `history_bench [--database-url URL] [--releases N] [--events N]`: SQLite in a temporary
//! directory unless a PostgreSQL URL is given. Prints a Markdown table.

use std::time::{Duration, Instant};

use ksflux::history::{
    Config, History, Outcome, Release, ReleaseFilter, Store, ingest,
    model::Origin,
    store::{AuditFilter, Backend},
};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn event(object: usize, n: usize) -> Vec<u8> {
    let revision = format!("main@sha1:{n:040x}");
    let reason = if n.is_multiple_of(2) {
        "Progressing"
    } else {
        "ReconciliationSucceeded"
    };
    let message = if n.is_multiple_of(2) {
        "ConfigMap/team-a/demo configured".to_string()
    } else {
        format!("Reconciliation finished in {}ms, next run in 5m0s", n % 900)
    };
    serde_json::to_vec(&serde_json::json!({
        "involvedObject": {"kind": "Kustomization", "namespace": "bench", "name": format!("app-{object}")},
        "severity": "info", "timestamp": "2026-11-27T10:00:00Z", "reason": reason, "message": message,
        "metadata": {"revision": revision}, "reportingController": "kustomize-controller"
    }))
    .unwrap_or_default()
}

fn p(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

async fn timed<F: AsyncFn()>(runs: usize, f: F) -> (f64, f64) {
    let mut t = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f().await;
        t.push(start.elapsed());
    }
    t.sort();
    (p(&t, 0.5), p(&t, 0.99))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let releases: usize = arg("--releases").and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let events: usize = arg("--events").and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("ksflux-history-bench-{}", std::process::id()));
    let store = match arg("--database-url") {
        Some(url) => Store::postgres(&url).await?,
        None => Store::sqlite(&dir).await?,
    };
    let config = Config {
        data_dir: dir.clone(),
        database_url: None,
        events_url: None,
        retention_days: 3650,
        max_releases: 1_000_000,
    };
    let h = History::with_store(store.clone(), config, None).await?;
    let token = h.namespace_token("host", "bench");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, token.as_bytes());

    // Ingest: every event a new release or the finish of one, from 16 senders at once.
    let bodies: Vec<(Vec<u8>, String)> = (0..events)
        .map(|n| {
            let b = event(n % 500, n / 2);
            let sig = format!("sha256={}", ingest::hex(ring::hmac::sign(&key, &b).as_ref()));
            (b, sig)
        })
        .collect();
    let start = Instant::now();
    let chunks: Vec<Vec<(Vec<u8>, String)>> =
        bodies.chunks(events.div_ceil(16)).map(|c| c.to_vec()).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            for (b, sig) in chunk {
                let _ = h.ingest("host", "bench", Some(&sig), &b).await;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let rate = events as f64 / start.elapsed().as_secs_f64();

    // Fill up to `releases` releases: 1000 objects of 10 applications, two targets each.
    let have = store.releases(&ReleaseFilter::default(), None, 0, 1).await?.1 as usize;
    let fill = Instant::now();
    for i in have..releases {
        let object = i % 1000;
        let r = Release {
            id: 0,
            cluster: "host".into(),
            kind: "Kustomization".into(),
            namespace: format!("ns-{}", object % 20),
            name: format!("obj-{object}"),
            application: Some(format!("app-{}", object % 10)),
            target: Some(
                if object.is_multiple_of(2) {
                    "member-1"
                } else {
                    "member-2"
                }
                .into(),
            ),
            revision: format!("main@sha1:{i:040x}"),
            chart_version: None,
            values_digest: None,
            helm_version: None,
            outcome: if i.is_multiple_of(10) {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            },
            reason: "ReconciliationSucceeded".into(),
            message: "Reconciliation finished in 1.2s, next run in 5m0s".into(),
            started_at: 1_780_000_000_000 + i as i64 * 1000,
            finished_at: Some(1_780_000_000_000 + i as i64 * 1000 + 1200),
            duration_ms: Some(1200),
            events: 2,
            origin: Origin::Events,
            spec: None,
        };
        store.insert_release(&r).await?;
    }
    let fill_rate = (releases.saturating_sub(have)) as f64 / fill.elapsed().as_secs_f64();
    let total = store.releases(&ReleaseFilter::default(), None, 0, 1).await?.1;

    // Queries (page 1 of 20, with the total), as the API runs them after the access check.
    let object = ReleaseFilter {
        cluster: Some("host".into()),
        kind: Some("Kustomization".into()),
        namespace: Some("ns-7".into()),
        name: Some("obj-7".into()),
        ..Default::default()
    };
    let app = ReleaseFilter {
        namespace: Some("ns-3".into()),
        application: Some("app-3".into()),
        target: Some("member-2".into()),
        ..Default::default()
    };
    let scopes: Vec<(String, String, String)> = (0..5)
        .map(|n| ("host".into(), "Kustomization".into(), format!("ns-{n}")))
        .collect();
    let failed = ReleaseFilter {
        outcome: Some(Outcome::Failed),
        ..Default::default()
    };
    let q_object = timed(300, async || {
        let _ = store.releases(&object, None, 0, 20).await;
    })
    .await;
    let q_app = timed(300, async || {
        let _ = store.releases(&app, None, 0, 20).await;
    })
    .await;
    let q_scoped = timed(100, async || {
        let _ = store.releases(&failed, Some(&scopes), 0, 20).await;
    })
    .await;
    let q_audit = timed(300, async || {
        let _ = store.audit(&AuditFilter::default(), None, 0, 20).await;
    })
    .await;

    let size = match store.backend() {
        Backend::Sqlite => {
            store.checkpoint().await?;
            let mut bytes = 0;
            for f in ["history.db", "history.db-wal"] {
                bytes += std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
            }
            bytes as f64
        }
        Backend::Postgres => store.database_bytes().await? as f64,
    };
    let per_10k = size / (total as f64 / 10_000.0) / (1024.0 * 1024.0);
    println!("| figure | {:?} |", store.backend());
    println!("|---|---|");
    println!("| ingest, signed events through the endpoint's path (16 senders) | {rate:.0} events/s |");
    println!("| bulk release inserts (one at a time) | {fill_rate:.0} releases/s |");
    println!("| releases stored | {total} |");
    println!(
        "| one object's history, page 1 (p50 / p99) | {:.2} / {:.2} ms |",
        q_object.0, q_object.1
    );
    println!(
        "| one application target's history, page 1 (p50 / p99) | {:.2} / {:.2} ms |",
        q_app.0, q_app.1
    );
    println!(
        "| failed releases in 5 visible namespaces, page 1 (p50 / p99) | {:.2} / {:.2} ms |",
        q_scoped.0, q_scoped.1
    );
    println!(
        "| audit log, page 1 (p50 / p99) | {:.2} / {:.2} ms |",
        q_audit.0, q_audit.1
    );
    println!("| store size per 10,000 releases (with their events and indexes) | {per_10k:.1} MiB |");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
