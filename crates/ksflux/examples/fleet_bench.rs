//! The fleet benchmark (run it through `bench/fleet`, which starts the simulated members): one
//! Kustomize Application whose placement selects N member clusters by label, measured from
//! a client of a release `ksflux serve` process (hub mode: the host's Flux applies to each
//! member), against the same objects applied to the same members with kubectl, in one run.
//!
//! Figures: the members' start time and memory (from the driver and `/proc`), the preview of
//! N targets through the API, the time from the Application's POST until every target is
//! Ready and the ConfigMap exists in every member, the time from its DELETE until every
//! member's ConfigMap is gone, ksflux's memory; then `kubectl apply --server-side` and
//! `kubectl delete` over the N members, one after another and P at a time.

mod common;

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Ksflux, base64_encode, ensure_namespace, figures, ms};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use ksflux_testbed::{Testbed, TestbedInfo, dynamic_api, flux_resource};
use kube::{
    Api, Client,
    api::{DeleteParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::{Value, json};

/// Measures one Application over N simulated members against kubectl.
#[derive(Parser, Debug)]
struct Args {
    /// The members' directory the driver wrote (`kubeconfigs/fleet-I.yaml`,
    /// `pids/apiserver-I.pid`).
    #[arg(long)]
    fleet_dir: PathBuf,
    /// How many members run (fleet-1 .. fleet-N).
    #[arg(long)]
    clusters: usize,
    /// How many members were asked for (more than `clusters` when memory did not allow).
    #[arg(long)]
    requested: Option<usize>,
    /// How long starting the members took (milliseconds, measured by the driver).
    #[arg(long, default_value_t = 0)]
    started_ms: u64,
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// The testbed's multi-call Kubernetes binary (`kube kubectl ...`).
    #[arg(long)]
    kube: PathBuf,
    /// The directory of manifests the Application deploys (the git fixture's `plain/`), for
    /// kubectl's copy of them.
    #[arg(long)]
    sample: PathBuf,
    /// kubectl processes at a time in the parallel runs.
    #[arg(long, default_value_t = 8)]
    parallel: usize,
    /// Timed previews.
    #[arg(long, default_value_t = 20)]
    previews: usize,
    /// Also write the results (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Leave the namespaces, registrations and objects in place.
    #[arg(long)]
    keep: bool,
}

const PROJECT: &str = "fleet-bench";
const REGISTRY: &str = "fleet-bench-ksflux";
const APP: &str = "fleet";
const CONFIGMAP: &str = "plain-config";
const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";
const DEADLINE: Duration = Duration::from_secs(900);
const POLL: Duration = Duration::from_millis(200);

fn member(i: usize) -> String {
    format!("fleet-{i}")
}

/// A member: its name, kubeconfig file and client.
struct Member {
    name: String,
    kubeconfig: PathBuf,
    client: Client,
}

async fn member_client(path: &Path) -> anyhow::Result<Client> {
    let kc = Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    cfg.read_timeout = Some(Duration::from_secs(60));
    Ok(Client::try_from(cfg)?)
}

/// RSS (KiB) of a process by pid file; 0 when gone.
fn rss_of_pid_file(path: &Path) -> u64 {
    let pid = std::fs::read_to_string(path).unwrap_or_default();
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

/// How many members have ConfigMap `namespace/CONFIGMAP` (`present`) or not (`!present`).
async fn count_configmaps(members: &[Member], namespace: &str, present: bool) -> usize {
    futures::stream::iter(members.iter().map(|m| {
        let api: Api<ConfigMap> = Api::namespaced(m.client.clone(), namespace);
        async move { matches!(api.get_opt(CONFIGMAP).await, Ok(Some(_))) == present }
    }))
    .buffer_unordered(16)
    .filter(|ok| futures::future::ready(*ok))
    .count()
    .await
}

/// Runs `kube kubectl <args> --kubeconfig <member>` for every member, `parallel` at a time;
/// the wall time.
fn kubectl_over(
    kube: &Path,
    members: &[Member],
    args: &[String],
    parallel: usize,
) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..parallel.max(1))
            .map(|_| {
                let next = next.clone();
                s.spawn(move || -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(m) = members.get(i) else {
                            return Ok(());
                        };
                        let out = std::process::Command::new(kube)
                            .arg("kubectl")
                            .args(args)
                            .arg("--kubeconfig")
                            .arg(&m.kubeconfig)
                            .stdin(std::process::Stdio::null())
                            .output()
                            .context("running kubectl")?;
                        if !out.status.success() {
                            bail!(
                                "kubectl {} on {}: {}",
                                args.join(" "),
                                m.name,
                                String::from_utf8_lossy(&out.stderr)
                            );
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a kubectl worker panicked"))??;
        }
        anyhow::Ok(())
    })?;
    Ok(start.elapsed())
}

/// The objects the Application applies, as kubectl gets them: `kubectl kustomize` of the
/// sample's manifests (Flux generates the same kustomization for a directory without one)
/// into `namespace`, after the Namespace itself.
fn kubectl_manifest(kube: &Path, sample: &Path, dir: &Path, namespace: &str) -> anyhow::Result<PathBuf> {
    let work = dir.join(format!("kustomize-{namespace}"));
    std::fs::create_dir_all(&work)?;
    let mut resources = Vec::new();
    for f in std::fs::read_dir(sample).with_context(|| format!("reading {}", sample.display()))? {
        let f = f?.path();
        if f.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && let Some(name) = f.file_name()
        {
            std::fs::copy(&f, work.join(name))?;
            resources.push(name.to_string_lossy().to_string());
        }
    }
    resources.sort();
    let kustomization = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": namespace, "resources": resources});
    std::fs::write(
        work.join("kustomization.yaml"),
        serde_json::to_string(&kustomization)?,
    )?;
    let out = std::process::Command::new(kube)
        .args(["kubectl", "kustomize"])
        .arg(&work)
        .output()
        .context("running kubectl kustomize")?;
    if !out.status.success() {
        bail!("kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr));
    }
    let manifest = dir.join(format!("{namespace}.yaml"));
    let mut text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n");
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    std::fs::write(&manifest, text)?;
    Ok(manifest)
}

fn testbed() -> anyhow::Result<Testbed> {
    let dir =
        std::env::var("KSFLUX_TESTBED_DIR").context("KSFLUX_TESTBED_DIR is not set (run bench/fleet)")?;
    let json = Path::new(&dir).join("testbed.json");
    let info: TestbedInfo =
        serde_json::from_slice(&std::fs::read(&json).with_context(|| format!("reading {}", json.display()))?)
            .with_context(|| format!("parsing {}", json.display()))?;
    Ok(Testbed { info })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.clusters == 0 {
        bail!("--clusters must be at least 1");
    }
    let tb = testbed()?;
    let host = tb.client("host").await;
    let mut members = Vec::with_capacity(args.clusters);
    for i in 1..=args.clusters {
        let kubeconfig = args
            .fleet_dir
            .join("kubeconfigs")
            .join(format!("{}.yaml", member(i)));
        members.push(Member {
            name: member(i),
            client: member_client(&kubeconfig).await?,
            kubeconfig,
        });
    }
    clear(&host).await?;
    let outcome = bench(&args, &tb, &host, &members).await;
    if !args.keep {
        eprintln!("cleaning up");
        clear(&host).await?;
    }
    outcome
}

/// Removes what a run leaves on the host: the project and registry namespaces, and the
/// finalizers of the Application and Kustomizations there (no ksflux runs now, and the members
/// go with the run).
async fn clear(host: &Client) -> anyhow::Result<()> {
    let namespaces: Api<Namespace> = Api::all(host.clone());
    let mut any = false;
    for ns in [PROJECT, REGISTRY] {
        if namespaces.get_opt(ns).await?.is_some() {
            any = true;
            let _ = namespaces.delete(ns, &DeleteParams::default()).await;
        }
    }
    if !any {
        return Ok(());
    }
    let application = kube::discovery::ApiResource {
        group: "fluxcd.kubesphere.io".into(),
        version: "v1alpha1".into(),
        api_version: "fluxcd.kubesphere.io/v1alpha1".into(),
        kind: "Application".into(),
        plural: "applications".into(),
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let mut left = false;
        for ns in [PROJECT, REGISTRY] {
            left |= namespaces.get_opt(ns).await?.is_some();
        }
        if !left {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the namespaces {PROJECT} and {REGISTRY} are still there after 180s");
        }
        for ar in [application.clone(), flux_resource("Kustomization")] {
            let api = dynamic_api(host, &ar, Some(PROJECT));
            if let Ok(list) = api.list(&Default::default()).await {
                for o in list {
                    let name = o.metadata.name.clone().unwrap_or_default();
                    let patch = json!({"metadata": {"finalizers": null}});
                    let _ = api
                        .patch(
                            &name,
                            &kube::api::PatchParams::default(),
                            &kube::api::Patch::Merge(&patch),
                        )
                        .await;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The application the benchmark creates.
fn application() -> Value {
    json!({
        "metadata": {"name": APP},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./plain", "prune": true},
            "interval": "10m",
            "placement": {"clusterSelector": {"matchLabels": {"bench": "fleet"}}, "namespace": PROJECT}
        }
    })
}

async fn post(ksflux: &Ksflux, path: &str, body: &Value) -> anyhow::Result<(reqwest::StatusCode, Value)> {
    let (status, bytes) = ksflux
        .send(reqwest::Method::POST, "admin", path, Some(body))
        .await?;
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Ok((status, value))
}

/// Polls `check` every [`POLL`] until it returns `Some`, at most [`DEADLINE`].
async fn until<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("{what}: not within {}s", DEADLINE.as_secs());
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn bench(args: &Args, tb: &Testbed, host: &Client, members: &[Member]) -> anyhow::Result<()> {
    let n = members.len();
    let fleet_dir = &args.fleet_dir;
    let apiserver_rss: Vec<u64> = (1..=n)
        .map(|i| rss_of_pid_file(&fleet_dir.join("pids").join(format!("apiserver-{i}.pid"))))
        .collect();
    let etcd_rss = rss_of_pid_file(&fleet_dir.join("pids").join("etcd.pid"));

    // Registration: one labelled kubeconfig Secret per member, as ksflux's registry reads them.
    eprintln!("registering {n} members");
    ensure_namespace(host, REGISTRY).await?;
    ensure_namespace(host, PROJECT).await?;
    let secrets: Api<Secret> = Api::namespaced(host.clone(), REGISTRY);
    for m in members {
        let kc = std::fs::read(&m.kubeconfig)?;
        let s: Secret = serde_json::from_value(json!({
            "metadata": {"name": format!("cluster-{}", m.name),
                         "labels": {"fluxcd.kubesphere.io/cluster": m.name, "bench": "fleet"}},
            "data": {"kubeconfig": base64_encode(&kc)},
        }))?;
        secrets.create(&PostParams::default(), &s).await?;
    }
    let data_dir = fleet_dir.join("ksflux-data");
    let started = Instant::now();
    let ksflux = Ksflux::start(
        &args.ksflux,
        &tb.cluster("host").kubeconfig,
        REGISTRY,
        &[
            "--refresh-seconds",
            "5",
            "--no-leader-election",
            "--data-dir",
            &data_dir.to_string_lossy(),
        ],
        &fleet_dir.join("logs").join("ksflux.log"),
        tb.info.users.clone(),
    )?;
    // So that the driver stops it even if this process is killed.
    std::fs::write(
        fleet_dir.join("pids").join("ksflux.pid"),
        ksflux.child.id().to_string(),
    )?;
    let registered_in = until("ksflux sees every member reachable", || async {
        let Ok(v) = ksflux.get("admin", &format!("{API}/clusters")).await else {
            return Ok(None);
        };
        let list = v.get("items").unwrap_or(&v);
        let reachable = list
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["labels"]["bench"] == "fleet" && c["health"]["reachable"] == true)
            .count();
        Ok((reachable == n).then(|| started.elapsed()))
    })
    .await?;
    eprintln!("ksflux sees {n} reachable members after {}s", secs(registered_in));
    let rss_registered = ksflux.rss_kib();

    // The source, through ksflux's API, Ready before anything is timed.
    let f = &tb.info.fixtures;
    let (status, body) = post(
        &ksflux,
        &format!("{API}/namespaces/{PROJECT}/gitrepositories"),
        &json!({"metadata": {"name": "demo"},
                "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"}},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
    )
    .await?;
    if !status.is_success() {
        bail!("creating the GitRepository: {status} {body}");
    }
    let git = dynamic_api(host, &flux_resource("GitRepository"), Some(PROJECT));
    until("the GitRepository is Ready", || async {
        Ok(git
            .get_opt("demo")
            .await?
            .is_some_and(|o| ksflux_testbed::ready(&o).is_ok())
            .then_some(()))
    })
    .await?;

    // Preview: N targets rendered, nothing written.
    let app = application();
    let preview_path = format!("{API}/namespaces/{PROJECT}/applications/{APP}/preview");
    let (status, body) = post(&ksflux, &preview_path, &app).await?;
    if !status.is_success() {
        bail!("preview: {status} {body}");
    }
    let rendered = serde_json::to_string(&body)?
        .matches("\"kind\":\"Kustomization\"")
        .count();
    if rendered < n {
        bail!("the preview rendered {rendered} Kustomizations, not {n}: {body}");
    }
    for _ in 0..3 {
        post(&ksflux, &preview_path, &app).await?;
    }
    let mut d = Vec::new();
    for _ in 0..args.previews {
        let start = Instant::now();
        let (status, _) = post(&ksflux, &preview_path, &app).await?;
        d.push(start.elapsed());
        if !status.is_success() {
            bail!("preview: {status}");
        }
    }
    let preview = figures(d);

    // Apply: POST, then until every target is Ready, then every ConfigMap is there.
    eprintln!("creating the application ({n} targets)");
    let app_path = format!("{API}/namespaces/{PROJECT}/applications");
    let start = Instant::now();
    let (status, body) = post(&ksflux, &app_path, &app).await?;
    if !status.is_success() {
        bail!("creating the application: {status} {body}");
    }
    let posted = start.elapsed();
    let mut first_ready: Option<Duration> = None;
    let mut half_ready: Option<Duration> = None;
    let item = format!("{app_path}/{APP}");
    let deadline = start + DEADLINE;
    let all_ready = loop {
        let v = ksflux.get("admin", &item).await?;
        let ready = v["status"]["summary"]["ready"].as_u64().unwrap_or(0) as usize;
        let total = v["status"]["summary"]["total"].as_u64().unwrap_or(0) as usize;
        if ready >= 1 && first_ready.is_none() {
            first_ready = Some(start.elapsed());
        }
        if ready * 2 >= n && half_ready.is_none() {
            half_ready = Some(start.elapsed());
        }
        if ready == n && total == n {
            break start.elapsed();
        }
        if Instant::now() > deadline {
            bail!(
                "every target Ready: not within {}s ({ready}/{total} ready)",
                DEADLINE.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    };
    let present = count_configmaps(members, PROJECT, true).await;
    let verified = start.elapsed();
    if present != n {
        bail!("every target is Ready but only {present} of {n} members have the ConfigMap");
    }
    eprintln!("all {n} targets Ready after {}s", secs(all_ready));
    let rss_applied = ksflux.rss_kib();

    // Delete: until every member's ConfigMap is gone (Flux prunes through its finalizers).
    eprintln!("deleting the application");
    let start = Instant::now();
    let (status, _) = ksflux.send(reqwest::Method::DELETE, "admin", &item, None).await?;
    if !status.is_success() {
        bail!("deleting the application: {status}");
    }
    let all_gone = until("every member's ConfigMap gone", || async {
        let gone = count_configmaps(members, PROJECT, false).await;
        Ok((gone == n).then(|| start.elapsed()))
    })
    .await?;
    let app_gone = until("the application gone", || async {
        let (status, _) = ksflux.fetch("admin", &item).await?;
        Ok((status == reqwest::StatusCode::NOT_FOUND).then(|| start.elapsed()))
    })
    .await?;
    let rss_after = ksflux.rss_kib();
    drop(ksflux);

    // kubectl: the same objects (the Namespace and the ConfigMap), over the same members.
    let work = fleet_dir.join("kubectl");
    std::fs::create_dir_all(&work)?;
    let p = args.parallel;
    let kubectl_runs = [("fleet-kubectl-seq", 1), ("fleet-kubectl-par", p)];
    let mut kubectl = Vec::new();
    for (ns, parallel) in kubectl_runs {
        let manifest = kubectl_manifest(&args.kube, &args.sample, &work, ns)?;
        eprintln!("kubectl apply over {n} members, {parallel} at a time");
        let apply_args = vec![
            "apply".to_string(),
            "--server-side".to_string(),
            "-f".to_string(),
            manifest.to_string_lossy().to_string(),
        ];
        let applied = kubectl_over(&args.kube, members, &apply_args, parallel)?;
        let present = count_configmaps(members, ns, true).await;
        if present != n {
            bail!("kubectl apply: {present} of {n} members have the ConfigMap");
        }
        let delete_args: Vec<String> = ["delete", "configmap", CONFIGMAP, "-n", ns]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let deleted = kubectl_over(&args.kube, members, &delete_args, parallel)?;
        let gone = count_configmaps(members, ns, false).await;
        if gone != n {
            bail!(
                "kubectl delete: {} of {n} members still have the ConfigMap",
                n - gone
            );
        }
        kubectl.push((applied, deleted));
    }

    // The results.
    let mut t = String::new();
    let total_rss: u64 = apiserver_rss.iter().sum();
    let asked = args.requested.unwrap_or(n);
    if asked > n {
        t.push_str(&format!(
            "members: {n} of the {asked} asked for (what the free memory held)\n"
        ));
    } else {
        t.push_str(&format!("members: {n}\n"));
    }
    t.push_str(&format!(
        "members started (all /readyz) in {}s; apiserver RSS per member: min {} / median {} / max {} MiB, {} MiB in all (+ {} MiB shared etcd)\n",
        secs(Duration::from_millis(args.started_ms)),
        mib(apiserver_rss.iter().copied().min().unwrap_or(0)),
        mib(figures_kib(&apiserver_rss)),
        mib(apiserver_rss.iter().copied().max().unwrap_or(0)),
        mib(total_rss),
        mib(etcd_rss),
    ));
    t.push_str(&format!(
        "ksflux saw every member reachable {}s after it started\n",
        secs(registered_in)
    ));
    t.push_str(&format!(
        "ksflux RSS: {} MiB with {n} members registered, {} MiB with the application applied, {} MiB at the end (peak {} MiB)\n",
        mib(rss_registered.0),
        mib(rss_applied.0),
        mib(rss_after.0),
        mib(rss_after.1),
    ));
    t.push_str(&format!(
        "preview of {n} targets (POST .../preview, {} runs): p50 {} ms, p99 {} ms, max {} ms\n",
        preview.n,
        ms(preview.p50),
        ms(preview.p99),
        ms(preview.max)
    ));
    t.push_str(&format!(
        "application: POST answered in {} ms; first target Ready after {}s, half after {}s, all {n} after {}s; every ConfigMap checked at {}s; after DELETE every ConfigMap gone at {}s, the application gone at {}s\n\n",
        ms(posted),
        secs(first_ready.unwrap_or_default()),
        secs(half_ready.unwrap_or_default()),
        secs(all_ready),
        secs(verified),
        secs(all_gone),
        secs(app_gone),
    ));
    let (seq_apply, seq_delete) = kubectl[0];
    let (par_apply, par_delete) = kubectl[1];
    let ratio = |a: Duration, b: Duration| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64().max(1e-9));
    t.push_str(&format!(
        "| {n} clusters | ksflux + Flux (s) | kubectl, one after another (s) | kubectl, {p} at a time (s) | ksflux ÷ sequential | ksflux ÷ {p} at a time |\n|---|---:|---:|---:|---:|---:|\n"
    ));
    t.push_str(&format!(
        "| apply: Namespace + ConfigMap everywhere | {} | {} | {} | {} | {} |\n",
        secs(all_ready),
        secs(seq_apply),
        secs(par_apply),
        ratio(all_ready, seq_apply),
        ratio(all_ready, par_apply)
    ));
    t.push_str(&format!(
        "| delete: the ConfigMap gone everywhere | {} | {} | {} | {} | {} |\n",
        secs(all_gone),
        secs(seq_delete),
        secs(par_delete),
        ratio(all_gone, seq_delete),
        ratio(all_gone, par_delete)
    ));
    println!("{t}");
    if let Some(out) = &args.out {
        std::fs::write(out, &t)?;
    }
    Ok(())
}

/// The median of KiB figures.
fn figures_kib(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(0)
}
