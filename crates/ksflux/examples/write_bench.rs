//! The write benchmark (run it through `bench/writes`): creating Applications through the API
//! of a release `ksflux serve` (whose controller renders and applies each one meanwhile, so
//! writes meet a busy controller), against creating the same Application objects through the
//! apiserver directly (what `kubectl create` sends, without the process start), in one run.
//!
//! Figures: latency of each create, one client at a time and `--clients` at once, and the
//! median of each phase ksflux reports in its `Server-Timing` header (authenticate, authorize,
//! validate, write, cache, audit).

mod common;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Ksflux, ensure_namespace, figures, ms, register_members};
use futures::{StreamExt, TryStreamExt};
use ksflux_testbed::Testbed;
use kube::{
    Api,
    api::{DynamicObject, PostParams},
};
use serde_json::{Value, json};

/// Times Application creates through ksflux and through the apiserver.
#[derive(Parser, Debug)]
struct Args {
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// Applications per series.
    #[arg(long, default_value_t = 100)]
    apps: usize,
    /// Clients at once in the concurrent series.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Also write the results (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";
const PHASES: [&str; 7] = [
    "authenticate",
    "authorize",
    "validate",
    "write",
    "cache",
    "audit",
    "total",
];

fn spec(ns: &str) -> Value {
    let targets: Vec<Value> = ["host", "member-1", "member-2"]
        .iter()
        .map(|c| json!({"cluster": c, "namespace": ns}))
        .collect();
    json!({"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./plain"}, "targets": targets})
}

/// A `Server-Timing` header's phases (milliseconds).
fn server_timing(h: Option<&reqwest::header::HeaderValue>) -> BTreeMap<String, f64> {
    let text = h.and_then(|v| v.to_str().ok()).unwrap_or_default();
    text.split(',')
        .filter_map(|p| {
            let (name, dur) = p.trim().split_once(";dur=")?;
            Some((name.to_string(), dur.parse().ok()?))
        })
        .collect()
}

/// One create through ksflux: its latency and phases.
async fn post(k: &Ksflux, ns: &str, name: &str) -> anyhow::Result<(Duration, BTreeMap<String, f64>)> {
    let body = json!({"metadata": {"name": name}, "spec": spec(ns)});
    let start = Instant::now();
    let res = k
        .http
        .post(format!("{}{API}/namespaces/{ns}/applications", k.url))
        .bearer_auth(&k.tokens["admin"])
        .json(&body)
        .send()
        .await?;
    let took = start.elapsed();
    let phases = server_timing(res.headers().get("server-timing"));
    if res.status().as_u16() != 201 {
        bail!(
            "POST {name}: {} {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    Ok((took, phases))
}

/// One create through the apiserver: its latency.
async fn raw(api: &Api<DynamicObject>, ns: &str, name: &str) -> anyhow::Result<Duration> {
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": ns}, "spec": spec(ns)}))?;
    let start = Instant::now();
    api.create(&PostParams::default(), &obj)
        .await
        .with_context(|| format!("creating {name}"))?;
    Ok(start.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let run = format!("wb-{}", jiff::Timestamp::now().as_second());
    let (ns, registry) = (format!("{run}-project"), format!("{run}-ksflux"));
    ensure_namespace(&host, &ns).await?;
    register_members(tb, &host, &registry).await?;
    let logs = tb.info.state_dir.join("logs");
    let k = Ksflux::start(
        &args.ksflux,
        &tb.cluster("host").kubeconfig,
        &registry,
        &["--no-leader-election"],
        &logs.join(format!("{run}.log")),
        tb.info.users.clone(),
    )?;
    k.wait_ready(&logs.join(format!("{run}.log"))).await?;
    let f = &tb.info.fixtures;
    let (status, body) = k
        .send(
            reqwest::Method::POST,
            "admin",
            &format!("{API}/namespaces/{ns}/gitrepositories"),
            Some(&json!({
            "metadata": {"name": "demo"},
            "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"}},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}})),
        )
        .await?;
    if status.as_u16() != 201 {
        bail!("the source: {status} {}", String::from_utf8_lossy(&body));
    }
    // Warm-up (connections, caches, the first grants), not counted.
    for i in 0..5 {
        post(&k, &ns, &format!("warm-{i}")).await?;
    }

    let n = args.apps;
    let mut phases: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut seq = Vec::new();
    for i in 0..n {
        let (d, p) = post(&k, &ns, &format!("seq-{i:04}")).await?;
        seq.push(d);
        for (name, ms) in p {
            phases.entry(name).or_default().push(ms);
        }
    }
    let par_start = Instant::now();
    let par: Vec<(Duration, BTreeMap<String, f64>)> = futures::stream::iter((0..n).map(|i| {
        let (k, ns) = (&k, &ns);
        async move { post(k, ns, &format!("par-{i:04}")).await }
    }))
    .buffer_unordered(args.clients)
    .try_collect()
    .await?;
    let par_wall = par_start.elapsed();

    let apps: Api<DynamicObject> =
        Api::namespaced_with(host.clone(), &ns, &ksflux::kinds::APPLICATION.api_resource());
    let mut raw_seq = Vec::new();
    for i in 0..n {
        raw_seq.push(raw(&apps, &ns, &format!("raw-{i:04}")).await?);
    }
    let raw_start = Instant::now();
    let raw_par: Vec<Duration> = futures::stream::iter((0..n).map(|i| {
        let (apps, ns) = (&apps, &ns);
        async move { raw(apps, ns, &format!("rawpar-{i:04}")).await }
    }))
    .buffer_unordered(args.clients)
    .try_collect()
    .await?;
    let raw_wall = raw_start.elapsed();

    let c = args.clients;
    let rows = [
        (
            format!("POST application through ksflux, 1 client ({n})"),
            figures(seq),
        ),
        (
            format!(
                "POST application through ksflux, {c} clients ({n} in {:.1}s)",
                par_wall.as_secs_f64()
            ),
            figures(par.into_iter().map(|(d, _)| d).collect()),
        ),
        (
            format!("create Application through the apiserver, 1 client ({n})"),
            figures(raw_seq),
        ),
        (
            format!(
                "create Application through the apiserver, {c} clients ({n} in {:.1}s)",
                raw_wall.as_secs_f64()
            ),
            figures(raw_par),
        ),
    ];
    let mut out = format!(
        "{n} Applications per series (3 targets each, rendered and applied by ksflux's controller as they arrive)\n\n"
    );
    out.push_str(&common::table(&rows, &[]));
    out.push_str("\nksflux's phases (Server-Timing, 1 client), milliseconds:\n\n| phase | p50 | p99 |\n|---|---:|---:|\n");
    for name in PHASES {
        let f = figures(
            phases
                .get(name)
                .map(|v| v.iter().map(|ms| Duration::from_secs_f64(ms / 1000.0)).collect())
                .unwrap_or_default(),
        );
        out.push_str(&format!("| {name} | {} | {} |\n", ms(f.p50), ms(f.p99)));
    }
    println!("{out}");
    if let Some(path) = &args.out {
        std::fs::write(path, &out)?;
    }

    // Clean up: every application through the API (ksflux's controller removes their
    // objects), then the namespaces.
    let names: Vec<String> = apps
        .list(&Default::default())
        .await?
        .items
        .into_iter()
        .filter_map(|a| a.metadata.name)
        .collect();
    futures::stream::iter(names.iter().map(|name| {
        let (k, ns) = (&k, &ns);
        async move {
            k.send(
                reqwest::Method::DELETE,
                "admin",
                &format!("{API}/namespaces/{ns}/applications/{name}"),
                None,
            )
            .await
        }
    }))
    .buffer_unordered(8)
    .try_collect::<Vec<_>>()
    .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while !apps.list(&Default::default()).await?.items.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    drop(k);
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(host.clone());
    for name in [&ns, &registry] {
        let _ = namespaces.delete(name, &Default::default()).await;
    }
    Ok(())
}
