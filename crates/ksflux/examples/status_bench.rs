//! The status benchmark (run it through `bench/status`): N Flux objects spread over the
//! testbed's clusters, a release `ksflux serve` process watching them, and in the same run:
//! summary and list latency (p50/p99 over many requests), change-stream latency, ksflux's
//! memory, and the time `flux get` takes against the same clusters.
//!
//! The members have no Flux, so the benchmark installs the Flux CRDs there for the run (and
//! removes them, with their objects, at the end). Objects in the host are suspended so the
//! host's controllers do not churn; objects in members get a Ready/Failed/Progressing status
//! written through the status subresource, as a controller would.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Figures, Ksflux, ensure_namespace, figures, rss_line, table, time_cli};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::{
    api::core::v1::Namespace, apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use ksflux_testbed::{Testbed, dynamic_api, flux_resource};
use kube::{
    Api, Client,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

/// Measures ksflux's status endpoints against `flux get` on the testbed.
#[derive(Parser, Debug)]
struct Args {
    /// How many Flux objects to create (half GitRepositories, half Kustomizations).
    #[arg(long, default_value_t = 2000)]
    objects: usize,
    /// Namespaces per cluster the objects are spread over.
    #[arg(long, default_value_t = 20)]
    namespaces: usize,
    /// Timed requests per endpoint.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Timed runs of each `flux get` command per cluster.
    #[arg(long, default_value_t = 5)]
    flux_runs: usize,
    /// Changes timed through the event stream.
    #[arg(long, default_value_t = 100)]
    changes: usize,
    /// Subscribers connected to the event stream while the changes are timed (each change is
    /// timed at every one of them).
    #[arg(long, default_value_t = 1)]
    subscribers: usize,
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// The flux CLI.
    #[arg(long)]
    flux: PathBuf,
    /// Also write the results table (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Leave the objects, CRDs and namespaces in place.
    #[arg(long)]
    keep: bool,
}

const FIELD_MANAGER: &str = "ksflux-bench";
const PARALLEL_WRITES: usize = 32;

fn crd_files(bin: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let crds = bin.join("crds");
    for dir in std::fs::read_dir(&crds).with_context(|| format!("reading {}", crds.display()))? {
        let dir = dir?.path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir)? {
            let f = f?.path();
            if f.extension().is_some_and(|e| e == "yaml") {
                out.push(f);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_crds(bin: &Path) -> anyhow::Result<Vec<CustomResourceDefinition>> {
    let mut out = Vec::new();
    for f in crd_files(bin)? {
        let text = std::fs::read_to_string(&f)?;
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let v: Value = serde::Deserialize::deserialize(doc)?;
            if v.is_null() {
                continue;
            }
            out.push(serde_json::from_value(v).with_context(|| format!("{}", f.display()))?);
        }
    }
    Ok(out)
}

async fn install_crds(client: &Client, crds: &[CustomResourceDefinition]) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(crd),
        )
        .await
        .with_context(|| format!("applying CRD {name}"))?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        loop {
            let c = api.get(&name).await?;
            let established = c
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            if Instant::now() > deadline {
                bail!("CRD {name} not established within 60s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

async fn remove_crds(client: &Client, crds: &[CustomResourceDefinition]) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let _ = api.delete(&name, &DeleteParams::default()).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        while Instant::now() < deadline && matches!(api.get_opt(&name).await, Ok(Some(_))) {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// One object of the benchmark.
#[derive(Clone)]
struct Planned {
    cluster: String,
    namespace: String,
    kind: &'static str,
    name: String,
    /// The Ready status a controller would have written (members only).
    ready: Option<&'static str>,
}

fn plan(args: &Args, run: &str, clusters: &[String]) -> Vec<Planned> {
    (0..args.objects)
        .map(|i| {
            let cluster = clusters[i % clusters.len()].clone();
            let namespace = format!("{run}-{}", (i / clusters.len()) % args.namespaces);
            let kind = if i % 2 == 0 {
                "GitRepository"
            } else {
                "Kustomization"
            };
            let ready = (cluster != "host").then_some(match i % 20 {
                0 => "False",
                1 => "Unknown",
                _ => "True",
            });
            Planned {
                cluster,
                namespace,
                kind,
                name: format!("{run}-{}-{i}", if kind == "GitRepository" { "git" } else { "ks" }),
                ready,
            }
        })
        .collect()
}

fn manifest(p: &Planned) -> Value {
    let suspend = p.cluster == "host";
    let spec = if p.kind == "GitRepository" {
        json!({"url": "https://git.example.com/org/app.git", "interval": "5m", "ref": {"branch": "main"}, "suspend": suspend})
    } else {
        json!({"interval": "10m", "path": "./deploy", "prune": true, "suspend": suspend,
               "sourceRef": {"kind": "GitRepository", "name": "app"}})
    };
    let api_version = match p.kind {
        "GitRepository" => "source.toolkit.fluxcd.io/v1",
        _ => "kustomize.toolkit.fluxcd.io/v1",
    };
    json!({"apiVersion": api_version, "kind": p.kind,
           "metadata": {"name": p.name, "namespace": p.namespace, "labels": {"bench": "status"}},
           "spec": spec})
}

fn status_of(p: &Planned, generation: i64) -> Option<Value> {
    let ready = p.ready?;
    let (reason, message) = match ready {
        "True" => (
            "Succeeded",
            "stored artifact for revision 'main@sha1:0123456789abcdef'",
        ),
        "False" => (
            "GitOperationFailed",
            "failed to checkout and determine revision: unable to clone",
        ),
        _ => ("Progressing", "reconciliation in progress"),
    };
    let now = jiff::Timestamp::now().to_string();
    let mut status = json!({
        "observedGeneration": generation,
        "conditions": [{"type": "Ready", "status": ready, "reason": reason, "message": message,
                        "lastTransitionTime": now, "observedGeneration": generation}],
    });
    if ready == "Unknown"
        && let Some(c) = status["conditions"].as_array_mut()
    {
        c.push(
            json!({"type": "Reconciling", "status": "True", "reason": reason, "message": message,
                      "lastTransitionTime": now, "observedGeneration": generation}),
        );
    }
    if p.kind == "GitRepository" {
        status["artifact"] = json!({"revision": "main@sha1:0123456789abcdef", "digest": "sha256:00", "path": "x", "url": "http://x", "lastUpdateTime": now});
    } else {
        status["lastAppliedRevision"] = json!("main@sha1:0123456789abcdef");
    }
    Some(json!({ "status": status }))
}

async fn create_objects(clients: &BTreeMap<String, Client>, planned: &[Planned]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    futures::stream::iter(planned.iter().cloned().map(|p| {
        let client = clients[&p.cluster].clone();
        async move {
            let ar = flux_resource(p.kind);
            let api = dynamic_api(&client, &ar, Some(&p.namespace));
            let obj: kube::api::DynamicObject = serde_json::from_value(manifest(&p))?;
            let created = api
                .create(&PostParams::default(), &obj)
                .await
                .with_context(|| format!("creating {} {}/{}", p.kind, p.namespace, p.name))?;
            if let Some(status) = status_of(&p, created.metadata.generation.unwrap_or(1)) {
                api.patch_status(&p.name, &PatchParams::default(), &Patch::Merge(&status))
                    .await
                    .with_context(|| format!("status of {} {}/{}", p.kind, p.namespace, p.name))?;
            }
            anyhow::Ok(())
        }
    }))
    .buffer_unordered(PARALLEL_WRITES)
    .try_collect::<Vec<()>>()
    .await?;
    Ok(start.elapsed())
}

const STATUS: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1/status";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.objects == 0 || args.objects > 50_000 {
        bail!("--objects must be between 1 and 50000");
    }
    if args.subscribers == 0 || args.subscribers > 1000 {
        bail!("--subscribers must be between 1 and 1000");
    }
    let tb = Testbed::shared();
    let run = format!("bench{}", std::process::id() % 100_000);
    let clusters: Vec<String> = tb.info.clusters.iter().map(|c| c.name.clone()).collect();
    let mut clients = BTreeMap::new();
    for c in &clusters {
        clients.insert(c.clone(), tb.client(c).await);
    }
    let crds = read_crds(&tb.info.bin_dir)?;
    let outcome = bench(&args, tb, &run, &clusters, &clients, &crds).await;
    if !args.keep {
        eprintln!("cleaning up");
        for (name, client) in &clients {
            let api: Api<Namespace> = Api::all(client.clone());
            for i in 0..args.namespaces {
                let _ = api.delete(&format!("{run}-{i}"), &DeleteParams::default()).await;
            }
            if name == "host" {
                let _ = api
                    .delete(&format!("{run}-ksflux"), &DeleteParams::default())
                    .await;
            } else {
                remove_crds(client, &crds).await;
            }
        }
    }
    outcome
}

async fn bench(
    args: &Args,
    tb: &Testbed,
    run: &str,
    clusters: &[String],
    clients: &BTreeMap<String, Client>,
    crds: &[CustomResourceDefinition],
) -> anyhow::Result<()> {
    eprintln!("installing the Flux CRDs on the members");
    for c in clusters.iter().filter(|c| *c != "host") {
        install_crds(&clients[c], crds).await?;
    }
    for c in clusters {
        for i in 0..args.namespaces {
            ensure_namespace(&clients[c], &format!("{run}-{i}")).await?;
        }
    }
    let planned = plan(args, run, clusters);
    eprintln!(
        "creating {} objects over {} clusters",
        planned.len(),
        clusters.len()
    );
    let created_in = create_objects(clients, &planned).await?;
    eprintln!("created in {:.1}s", created_in.as_secs_f64());

    // ksflux, as a separate release process, with the members registered by Secret.
    let host = &clients["host"];
    let ns = format!("{run}-ksflux");
    common::register_members(tb, host, &ns).await?;
    let started = Instant::now();
    let ksflux = Ksflux::start(
        &args.ksflux,
        &tb.cluster("host").kubeconfig,
        &ns,
        &["--refresh-seconds", "5", "--no-controller"],
        &tb.info.state_dir.join("logs").join(format!("{run}-ksflux.log")),
        tb.info.users.clone(),
    )?;
    let mine = format!("{STATUS}/objects?name={run}-&limit=1");
    let deadline = Instant::now() + Duration::from_secs(300);
    let synced_in = loop {
        if let Ok(v) = ksflux.get("admin", &mine).await
            && v["totalItems"].as_u64() == Some(planned.len() as u64)
        {
            break started.elapsed();
        }
        if Instant::now() > deadline {
            bail!("ksflux did not see all {} objects within 300s", planned.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "ksflux sees every object {:.1}s after it started",
        synced_in.as_secs_f64()
    );
    let summary = ksflux.get("admin", &format!("{STATUS}/summary")).await?;
    let rss_synced = ksflux.rss_kib();

    let n = args.requests;
    let mut rows: Vec<(String, Figures)> = Vec::new();
    let endpoints = [
        (
            "summary, all clusters (admin)",
            "admin",
            format!("{STATUS}/summary"),
        ),
        (
            "summary, one cluster + namespace (admin)",
            "admin",
            format!("{STATUS}/summary?cluster=member-1&namespace={run}-3"),
        ),
        (
            "summary, all clusters (alice: per-namespace access)",
            "alice",
            format!("{STATUS}/summary"),
        ),
        (
            "objects, all clusters, page 1 of 20 by name (admin)",
            "admin",
            format!("{STATUS}/objects?limit=20&sortBy=name&ascending=true"),
        ),
        (
            "objects, failed only, newest first (admin)",
            "admin",
            format!("{STATUS}/objects?state=failed&limit=50"),
        ),
        (
            "objects, cluster + kind + namespace (admin)",
            "admin",
            format!("{STATUS}/objects?cluster=member-2&kind=GitRepository&namespace={run}-5&limit=50"),
        ),
    ];
    for (label, user, path) in &endpoints {
        eprintln!("timing {label}");
        rows.push((label.to_string(), ksflux.time(user, path, n).await?));
    }

    // Change stream: a write in a member until the event arrives at a subscriber.
    eprintln!("timing the change stream");
    let member = clusters
        .iter()
        .find(|c| *c != "host")
        .cloned()
        .unwrap_or_else(|| "host".into());
    let target = planned
        .iter()
        .find(|p| p.cluster == member && p.kind == "GitRepository")
        .cloned()
        .context("no object in a member")?;
    let stream = stream_latency(
        &ksflux,
        &clients[&member],
        &target,
        args.changes,
        args.subscribers,
    )
    .await?;
    let label = if args.subscribers == 1 {
        "change in a member → SSE subscriber".to_string()
    } else {
        format!(
            "change in a member → each of {} SSE subscribers",
            args.subscribers
        )
    };
    rows.push((label, stream));

    let rss_after = ksflux.rss_kib();

    // flux get against the same clusters.
    let mut flux_rows: Vec<(String, Figures, usize)> = Vec::new();
    for cmd in [&["get", "all", "-A"][..], &["get", "sources", "git", "-A"][..]] {
        let mut total = vec![Duration::ZERO; args.flux_runs];
        let mut lines = 0;
        for c in clusters {
            eprintln!("timing flux {} on {c}", cmd.join(" "));
            let (d, l) = time_cli(&args.flux, cmd, &tb.cluster(c).kubeconfig, args.flux_runs)?;
            for (t, x) in total.iter_mut().zip(&d) {
                *t += *x;
            }
            lines += l;
            flux_rows.push((format!("flux {} ({c})", cmd.join(" ")), figures(d), l));
        }
        flux_rows.push((
            format!("flux {} (all clusters, one after another)", cmd.join(" ")),
            figures(total),
            lines,
        ));
    }

    // The table.
    let mut t = String::new();
    let total = summary["states"]["total"].as_u64().unwrap_or(0);
    t.push_str(&format!(
        "objects: {} benchmark objects ({} in all, by state {}) over {} clusters ({}), {} namespaces per cluster\n",
        planned.len(),
        total,
        summary["states"],
        clusters.len(),
        clusters.join(", "),
        args.namespaces
    ));
    t.push_str(&format!(
        "created in {:.1}s; ksflux saw every object {:.1}s after it started\n",
        created_in.as_secs_f64(),
        synced_in.as_secs_f64()
    ));
    t.push_str(&rss_line(rss_synced, rss_after));
    t.push_str(&table(&rows, &flux_rows));
    let flux_all = flux_rows
        .iter()
        .find(|(l, _, _)| l.starts_with("flux get all -A (all clusters"))
        .map(|(_, f, _)| f.p50)
        .unwrap_or_default();
    if let Some((_, s)) = rows.first() {
        t.push_str(&format!(
            "\nsummary p99 vs `flux get all -A` over the same clusters (p50): {:.0}x faster\n",
            flux_all.as_secs_f64() / s.p99.as_secs_f64().max(1e-9)
        ));
    }
    println!("{t}");
    if let Some(out) = &args.out {
        std::fs::write(out, &t)?;
    }
    Ok(())
}

async fn stream_latency(
    ksflux: &Ksflux,
    client: &Client,
    p: &Planned,
    changes: usize,
    subscribers: usize,
) -> anyhow::Result<Figures> {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
    };
    let query = format!(
        "?cluster={}&namespace={}&kind=GitRepository",
        p.cluster, p.namespace
    );
    // Every subscriber notes when each resourceVersion first reaches it.
    let arrivals: Arc<Mutex<Vec<HashMap<String, Instant>>>> =
        Arc::new(Mutex::new(vec![HashMap::new(); subscribers]));
    let mut readers = Vec::new();
    for s in 0..subscribers {
        let mut res = ksflux
            .http
            .get(format!("{}{STATUS}/events{query}", ksflux.url))
            .bearer_auth(&ksflux.tokens["admin"])
            .timeout(Duration::from_secs(3600))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("subscribing: {}", res.status());
        }
        let arrivals = arrivals.clone();
        readers.push(tokio::spawn(async move {
            const KEY: &str = "\"resourceVersion\":\"";
            let mut buf = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                let now = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let event: String = buf.drain(..end + 2).collect();
                    let Some(at) = event.find(KEY) else {
                        continue;
                    };
                    let rv = event[at + KEY.len()..].split('"').next().unwrap_or_default();
                    if let Ok(mut a) = arrivals.lock()
                        && let Some(seen) = a.get_mut(s)
                    {
                        seen.entry(rv.to_string()).or_insert(now);
                    }
                }
            }
        }));
    }
    let api = dynamic_api(client, &flux_resource(p.kind), Some(&p.namespace));
    let mut d = Vec::new();
    for i in 0..changes {
        let patch = json!({"metadata": {"annotations": {"bench/change": i.to_string()}}});
        let start = Instant::now();
        let obj = api
            .patch(&p.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        let rv = obj.metadata.resource_version.unwrap_or_default();
        // Wait until every subscriber has it (at most 10 s), so changes do not overlap.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got: Vec<Instant> = arrivals
                .lock()
                .map(|a| a.iter().filter_map(|seen| seen.get(&rv).copied()).collect())
                .unwrap_or_default();
            if got.len() == subscribers {
                d.extend(got.into_iter().map(|t| t.saturating_duration_since(start)));
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "change {i} reached {} of {subscribers} subscribers within 10s",
                    got.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for r in readers {
        r.abort();
    }
    Ok(figures(d))
}
