//! The workload benchmark (run it through `bench/workloads`): about 2,000 pods over the
//! testbed's three clusters, in the namespace a real Application deploys to, and in the same
//! run: the fleet summary and the application's workload detail (p50/p99 over many
//! requests), how fast a pod becoming Ready reaches an event-stream subscriber, ksflux's
//! memory, and `kubectl get pods -A` on the same clusters.
//!
//! Per cluster: the Application's `demo` Deployment (patched to `--app-replicas`) and
//! `--deployments` more Deployments of `--replicas` each, all in one namespace, scheduled on
//! the testbed's KWOK nodes plus `--nodes` extra fake nodes the benchmark adds (and removes).

mod common;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Figures, Ksflux, ensure_namespace, figures, rss_line, table, time_cli};
use futures::TryStreamExt;
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Namespace, Node, Pod},
};
use ksflux_testbed::Testbed;
use kube::{
    Api, Client,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::{Value, json};

/// Measures ksflux's workload views against `kubectl get pods -A` on the testbed.
#[derive(Parser, Debug)]
struct Args {
    /// Extra Deployments per cluster, besides the Application's.
    #[arg(long, default_value_t = 20)]
    deployments: usize,
    /// Replicas of each extra Deployment.
    #[arg(long, default_value_t = 31)]
    replicas: usize,
    /// Replicas of the Application's Deployment in each cluster.
    #[arg(long, default_value_t = 50)]
    app_replicas: usize,
    /// Extra fake nodes per cluster (110 pods each).
    #[arg(long, default_value_t = 5)]
    nodes: usize,
    /// Timed requests per endpoint.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Pods timed from Ready to the event stream.
    #[arg(long, default_value_t = 30)]
    probes: usize,
    /// Timed runs of `kubectl get pods -A` per cluster.
    #[arg(long, default_value_t = 5)]
    kubectl_runs: usize,
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// Also write the results table (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";
const FIELD_MANAGER: &str = "ksflux-bench";
const NODE_LABEL: &str = "ksflux-bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tb = Testbed::shared();
    let run = format!("wlbench{}", std::process::id() % 100_000);
    let clusters: Vec<String> = tb.info.clusters.iter().map(|c| c.name.clone()).collect();
    let mut clients = BTreeMap::new();
    for c in &clusters {
        clients.insert(c.clone(), tb.client(c).await);
    }
    let outcome = bench(&args, tb, &run, &clusters, &clients).await;
    eprintln!("cleaning up");
    for client in clients.values() {
        let ns: Api<Namespace> = Api::all(client.clone());
        for n in [run.clone(), format!("{run}-ksflux")] {
            let _ = ns.delete(&n, &DeleteParams::default()).await;
        }
        let nodes: Api<Node> = Api::all(client.clone());
        let _ = nodes
            .delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels(&format!("type={NODE_LABEL}")),
            )
            .await;
    }
    outcome
}

fn deployment(name: &str, replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "bench/app:1.0.0",
                    "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}}
    })
}

async fn post(ksflux: &Ksflux, path: &str, body: &Value) -> anyhow::Result<Value> {
    let (status, bytes) = ksflux
        .send(
            reqwest::Method::POST,
            "admin",
            &format!("{API}{path}"),
            Some(body),
        )
        .await?;
    if !status.is_success() {
        bail!("POST {path}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(serde_json::from_slice(&bytes)?)
}

async fn bench(
    args: &Args,
    tb: &Testbed,
    run: &str,
    clusters: &[String],
    clients: &BTreeMap<String, Client>,
) -> anyhow::Result<()> {
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    for c in clusters {
        ensure_namespace(&clients[c], run).await?;
        let nodes: Api<Node> = Api::all(clients[c].clone());
        for i in 0..args.nodes {
            let name = format!("{run}-node-{i}");
            nodes
                .patch(&name, &pp, &Patch::Apply(common::fake_node(&name, NODE_LABEL)))
                .await?;
        }
    }

    // ksflux, as a separate release process, with the members registered by Secret.
    let host = &clients["host"];
    let own = format!("{run}-ksflux");
    common::register_members(tb, host, &own).await?;
    let ksflux = Ksflux::start(
        &args.ksflux,
        &tb.cluster("host").kubeconfig,
        &own,
        &[],
        &tb.info.state_dir.join("logs").join(format!("{run}-ksflux.log")),
        tb.info.users.clone(),
    )?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while ksflux.get("admin", &format!("{API}/clusters")).await.is_err() {
        if Instant::now() > deadline {
            bail!("ksflux did not answer within 60s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The Application: the sample Kustomization to every cluster, its Deployment scaled.
    let f = &tb.info.fixtures;
    post(
        &ksflux,
        &format!("/namespaces/{run}/gitrepositories"),
        &json!({"metadata": {"name": "demo"},
            "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"}},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
    )
    .await?;
    let scale = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: demo}}\nspec: {{replicas: {}}}\n",
        args.app_replicas
    );
    let targets: Vec<Value> = clusters
        .iter()
        .map(|c| {
            json!({"cluster": c, "namespace": run,
            "overrides": {"patches": [{"patch": scale, "target": {"kind": "Deployment", "name": "demo"}}]}})
        })
        .collect();
    post(
        &ksflux,
        &format!("/namespaces/{run}/applications"),
        &json!({"metadata": {"name": "bench"},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"},
                "kustomize": {"path": "./base"}, "interval": "10m", "targets": targets}}),
    )
    .await?;

    // The other Deployments, straight to each cluster.
    let started = Instant::now();
    for c in clusters {
        let api: Api<Deployment> = Api::namespaced(clients[c].clone(), run);
        for i in 0..args.deployments {
            let name = format!("bulk-{i}");
            let d: Deployment = serde_json::from_value(deployment(&name, args.replicas))?;
            api.patch(&name, &pp, &Patch::Apply(&d)).await?;
        }
    }
    let workloads = clusters.len() * (args.deployments + 1);
    let pods = clusters.len() * (args.deployments * args.replicas + args.app_replicas);
    eprintln!("waiting for {workloads} workloads with {pods} pods to be healthy");
    let summary_path = format!("{API}/status/summary?namespace={run}");
    let deadline = Instant::now() + Duration::from_secs(900);
    let ready_in = loop {
        let s = ksflux.get("admin", &summary_path).await?;
        let w = &s["workloads"];
        if w["total"].as_u64() == Some(workloads as u64) && w["healthy"] == w["total"] {
            break started.elapsed();
        }
        if Instant::now() > deadline {
            bail!("not every workload healthy within 900s: {w}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut ready_pods = 0;
    for c in clusters {
        let list = Api::<Pod>::namespaced(clients[c].clone(), run)
            .list_metadata(&ListParams::default())
            .await?;
        ready_pods += list.items.len();
    }
    eprintln!(
        "{ready_pods} pods, every workload healthy after {:.1}s",
        ready_in.as_secs_f64()
    );
    let rss_synced = ksflux.rss_kib();

    let n = args.requests;
    let mut rows: Vec<(String, Figures)> = Vec::new();
    let endpoints = [
        (
            "summary, all clusters (admin)",
            "admin",
            format!("{API}/status/summary"),
        ),
        ("summary, the namespace (admin)", "admin", summary_path.clone()),
        (
            "summary, all clusters (alice: per-namespace access)",
            "alice",
            format!("{API}/status/summary"),
        ),
        (
            "application workloads, 3 targets (admin)",
            "admin",
            format!("{API}/namespaces/{run}/applications/bench/workloads"),
        ),
    ];
    for (label, user, path) in &endpoints {
        eprintln!("timing {label}");
        rows.push((label.to_string(), ksflux.time(user, path, n).await?));
    }
    let detail = ksflux
        .get(
            "admin",
            &format!("{API}/namespaces/{run}/applications/bench/workloads"),
        )
        .await?;

    eprintln!("timing pods becoming Ready → event stream");
    let probe = probe_latency(&ksflux, &clients["member-1"], run, args.probes).await?;
    rows.push((
        "pod Ready in member-1 → SSE subscriber (after a direct watch saw it)".into(),
        probe,
    ));
    let rss_after = ksflux.rss_kib();

    let kubectl = tb.info.bin_dir.join("kube");
    let mut cli_rows: Vec<(String, Figures, usize)> = Vec::new();
    let mut total = vec![Duration::ZERO; args.kubectl_runs];
    let mut lines = 0;
    for c in clusters {
        eprintln!("timing kubectl get pods -A on {c}");
        let (d, l) = time_cli(
            &kubectl,
            &["kubectl", "get", "pods", "-A"],
            &tb.cluster(c).kubeconfig,
            args.kubectl_runs,
        )?;
        for (t, x) in total.iter_mut().zip(&d) {
            *t += *x;
        }
        lines += l;
        cli_rows.push((format!("kubectl get pods -A ({c})"), figures(d), l));
    }
    cli_rows.push((
        "kubectl get pods -A (all clusters, one after another)".into(),
        figures(total),
        lines,
    ));

    let mut t = String::new();
    t.push_str(&format!(
        "workloads: {workloads} Deployments with {ready_pods} pods over {} clusters ({}) in namespace {run}; \
         every workload healthy {:.1}s after the Deployments were created\n",
        clusters.len(),
        clusters.join(", "),
        ready_in.as_secs_f64()
    ));
    let detail_size = serde_json::to_vec(&detail).map(|v| v.len()).unwrap_or(0);
    t.push_str(&format!(
        "application detail: {} targets, {} bytes\n",
        detail.as_array().map(Vec::len).unwrap_or(0),
        detail_size
    ));
    t.push_str(&rss_line(rss_synced, rss_after));
    t.push_str(&table(&rows, &cli_rows));
    let all = cli_rows.last().map(|(_, f, _)| f.p50).unwrap_or_default();
    if let Some((_, s)) = rows.first() {
        t.push_str(&format!(
            "\nsummary p99 vs `kubectl get pods -A` over the same clusters (p50): {:.0}x faster\n",
            all.as_secs_f64() / s.p99.as_secs_f64().max(1e-9)
        ));
    }
    println!("{t}");
    if let Some(out) = &args.out {
        std::fs::write(out, &t)?;
    }
    Ok(())
}

/// Whether a pod's Ready condition is True.
fn pod_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// For `n` new pods in `namespace` of `client`'s cluster: the time from a direct watch seeing
/// the pod Ready to ksflux's event stream bringing it Ready.
async fn probe_latency(
    ksflux: &Ksflux,
    client: &Client,
    namespace: &str,
    n: usize,
) -> anyhow::Result<Figures> {
    let mut res = ksflux
        .http
        .get(format!(
            "{}{API}/status/events?workloads=true&cluster=member-1&namespace={namespace}",
            ksflux.url
        ))
        .bearer_auth(&ksflux.tokens["admin"])
        .timeout(Duration::from_secs(3600))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("subscribing: {}", res.status());
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut buf = String::new();
    let mut d = Vec::new();
    for i in 0..n {
        let name = format!("probe-{i}");
        let watch = {
            let pods = pods.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
                let mut stream = std::pin::pin!(watcher(pods, config).applied_objects());
                while let Ok(Some(p)) = stream.try_next().await {
                    if pod_ready(&p) {
                        return Some(Instant::now());
                    }
                }
                None
            })
        };
        // Let the direct watch start before the pod exists.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "bench/app:1.0.0"}]}
        }))?;
        pods.create(&PostParams::default(), &pod).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let seen = loop {
            let mut found = None;
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                if let Ok(v) = serde_json::from_str::<Value>(&data)
                    && v["kind"] == "Pod"
                    && v["name"] == name
                    && v["summary"]["state"] == "ready"
                {
                    found = Some(Instant::now());
                }
            }
            if let Some(at) = found {
                break at;
            }
            let chunk = tokio::time::timeout_at(deadline, res.chunk())
                .await
                .context("no Ready pod on the stream within 30s")??
                .context("the stream ended")?;
            buf.push_str(&String::from_utf8_lossy(&chunk));
        };
        let direct = tokio::time::timeout(Duration::from_secs(30), watch)
            .await
            .context("the direct watch did not see the pod Ready")??
            .context("the direct watch ended")?;
        d.push(seen.saturating_duration_since(direct));
        pods.delete(&name, &DeleteParams::default().grace_period(0))
            .await?;
    }
    Ok(figures(d))
}
