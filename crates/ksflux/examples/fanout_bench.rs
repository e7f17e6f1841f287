//! The fan-out benchmark (run it through `bench/fanout`): N Kustomize Applications with three
//! targets each (host, member-1, member-2) created through the API of a release `ksflux serve`,
//! timed until every one of the 3N Kustomizations it renders exists on the host and is Ready
//! (hub mode: the host's kustomize-controller applies to the members), against the same
//! Kustomizations applied with one `kubectl apply --server-side` into a second project
//! namespace, in one run on the shared testbed.
//!
//! Figures: per series, the time until every Kustomization is written, Ready at its
//! generation, and every Deployment it applied available (pods on KWOK's fake nodes), polled
//! every second with lists; the time until every Application reports 3/3 ready (ksflux);
//! the time until everything is gone again after deleting (the Applications through the API,
//! the kubectl objects with `kubectl delete`); kustomize-controller's queue and reconciles,
//! ksflux's reconciles and memory.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Figures, Ksflux, fake_node, figures, ms, register_members, scrape};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Namespace, Node, Pod},
};
use ksflux_testbed::{Testbed, dynamic_api, flux_resource};
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams},
};
use serde_json::{Value, json};

/// Times N Applications x 3 targets through ksflux against kubectl applying the same
/// Kustomizations.
#[derive(Parser, Debug)]
struct Args {
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// Applications (each renders three Kustomizations).
    #[arg(long, default_value_t = 1000)]
    apps: usize,
    /// Concurrent API clients for the POSTs and DELETEs.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Extra fake nodes per cluster (110 pods each; default: one per 100 applications).
    #[arg(long)]
    nodes: Option<usize>,
    /// How long each series may take before the run fails.
    #[arg(long, default_value_t = 40)]
    deadline_minutes: u64,
    /// Also write the results (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";
const CLUSTERS: [&str; 3] = ["host", "member-1", "member-2"];
const FIELD_MANAGER: &str = "ksflux-fanout-bench";
/// The `type` label of the fake nodes this benchmark adds.
const NODE_TYPE: &str = "ksflux-fanout";
/// Namespaces of this benchmark start with this (on every cluster).
const PREFIX: &str = "fanout-";
/// The application, in each namespace, that sets up the project's credentials before the
/// series (not timed).
const SETUP: &str = "setup";
const POLL: Duration = Duration::from_secs(1);

/// The run: clusters, namespaces, where things are.
struct Run {
    tb: &'static Testbed,
    clients: BTreeMap<&'static str, Client>,
    /// The ksflux series' project namespace.
    ns_api: String,
    /// The kubectl series' project namespace.
    ns_kubectl: String,
    /// Where the member registrations live.
    registry: String,
    /// The kubectl manifest and ksflux's data.
    work: PathBuf,
    /// kustomize-controller's metrics.
    kc_metrics: String,
    http: reqwest::Client,
}

impl Run {
    fn host(&self) -> &Client {
        &self.clients["host"]
    }
}

/// The Application `name` in `ns`: the demo sample's `./base` (a ConfigMap and a one-replica
/// Deployment), its objects' names prefixed with the application's so that N of them share a
/// namespace, on the three clusters.
fn application(name: &str, ns: &str) -> Value {
    let targets: Vec<Value> = CLUSTERS
        .iter()
        .map(|c| json!({"cluster": c, "namespace": ns}))
        .collect();
    json!({"metadata": {"name": name},
        "spec": {"source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./base", "namePrefix": format!("{name}-")},
            "interval": "60m", "targets": targets}})
}

fn app_name(i: usize) -> String {
    format!("f{i:04}")
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

fn opt_secs(d: Option<Duration>) -> String {
    d.map(secs).unwrap_or_else(|| "-".into())
}

fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
        _ => "-".into(),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// Whether an object is the setup application's (left out of every count).
fn is_setup(name: &str) -> bool {
    name == SETUP || name.starts_with("setup-")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.apps == 0 || args.clients == 0 {
        bail!("--apps and --clients must be at least 1");
    }
    let tb = Testbed::shared();
    for c in CLUSTERS {
        if !tb.info.clusters.iter().any(|i| i.name == c) {
            bail!("the testbed has no cluster {c} (testbed/up starts host, member-1 and member-2)");
        }
    }
    let mut clients = BTreeMap::new();
    for c in CLUSTERS {
        clients.insert(c, tb.client(c).await);
    }
    let id = jiff::Timestamp::now().as_second() % 1_000_000;
    let run = Run {
        tb,
        clients,
        ns_api: format!("{PREFIX}{id}-api"),
        ns_kubectl: format!("{PREFIX}{id}-kubectl"),
        registry: format!("{PREFIX}{id}-ksflux"),
        work: std::env::temp_dir().join(format!("ksflux-fanout-{id}")),
        kc_metrics: format!("http://127.0.0.1:{}/metrics", tb.info.port_base + 52),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
    };
    // What an interrupted earlier run left.
    clear(&run, true).await?;
    std::fs::create_dir_all(&run.work)?;
    let mut ksflux = None;
    let outcome = tokio::select! {
        r = bench(&args, &run, &mut ksflux) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    eprintln!("cleaning up");
    if let Some(k) = &ksflux {
        // The setup applications (and whatever a failed run left) through the API, so that
        // ksflux removes the project's rights on the members itself.
        for ns in [&run.ns_api, &run.ns_kubectl] {
            let _ = delete_apps(&run, k, ns, args.clients).await;
        }
        let deadline = Instant::now() + Duration::from_secs(180);
        while Instant::now() < deadline {
            let mut left = 0;
            for ns in [&run.ns_api, &run.ns_kubectl] {
                left += list_apps(&run, ns).await.map(|l| l.len()).unwrap_or(0);
            }
            if left == 0 {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
    }
    drop(ksflux);
    let cleared = clear(&run, false).await;
    let _ = std::fs::remove_dir_all(&run.work);
    outcome.and(cleared)
}

/// Removes this benchmark's namespaces (every `fanout-*` on every cluster; on the host, the
/// finalizers of Applications and Kustomizations still there once nothing can run them) and
/// fake nodes.
async fn clear(run: &Run, leftovers: bool) -> anyhow::Result<()> {
    let ours = |client: &Client| {
        let client = client.clone();
        async move {
            let api: Api<Namespace> = Api::all(client);
            let list = api.list(&ListParams::default()).await?;
            anyhow::Ok(
                list.items
                    .into_iter()
                    .filter_map(|n| n.metadata.name)
                    .filter(|n| n.starts_with(PREFIX))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let application = ksflux::kinds::APPLICATION.api_resource();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut first = true;
    loop {
        let mut left = Vec::new();
        for (c, client) in &run.clients {
            for ns in ours(client).await? {
                if first {
                    if leftovers {
                        eprintln!("removing namespace {ns} in {c}, left by an earlier run");
                    }
                    let _ = Api::<Namespace>::all(client.clone())
                        .delete(&ns, &DeleteParams::default())
                        .await;
                }
                left.push(format!("{c}/{ns}"));
            }
        }
        first = false;
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            bail!("namespaces still there after 300s: {}", left.join(", "));
        }
        // On the host, after a grace period, what no controller finishes any more.
        for ns in ours(run.host()).await? {
            for ar in [application.clone(), flux_resource("Kustomization")] {
                let api = dynamic_api(run.host(), &ar, Some(&ns));
                let Ok(list) = api.list(&ListParams::default()).await else {
                    continue;
                };
                for o in list {
                    let stuck = o
                        .metadata
                        .deletion_timestamp
                        .as_ref()
                        .is_some_and(|t| jiff::Timestamp::now().duration_since(t.0).as_secs() > 60);
                    if stuck {
                        let name = o.metadata.name.clone().unwrap_or_default();
                        let patch = json!({"metadata": {"finalizers": null}});
                        let _ = api
                            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                            .await;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for client in run.clients.values() {
        let _ = Api::<Node>::all(client.clone())
            .delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels(&format!("type={NODE_TYPE}")),
            )
            .await;
    }
    Ok(())
}

/// Creates namespace `name` on the host, labelled as this benchmark's.
async fn namespace(run: &Run, name: &str) -> anyhow::Result<()> {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"ksflux-bench": "fanout"}}});
    Api::<Namespace>::all(run.host().clone())
        .patch(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&ns),
        )
        .await
        .with_context(|| format!("namespace {name}"))?;
    Ok(())
}

async fn list_apps(run: &Run, ns: &str) -> anyhow::Result<Vec<DynamicObject>> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(run.host().clone(), ns, &ksflux::kinds::APPLICATION.api_resource());
    Ok(api.list(&ListParams::default()).await?.items)
}

/// DELETEs every Application in `ns` through the API, `clients` at a time.
async fn delete_apps(run: &Run, k: &Ksflux, ns: &str, clients: usize) -> anyhow::Result<()> {
    let names: Vec<String> = list_apps(run, ns)
        .await?
        .into_iter()
        .filter_map(|a| a.metadata.name)
        .collect();
    delete_named(k, ns, &names, clients).await
}

async fn delete_named(k: &Ksflux, ns: &str, names: &[String], clients: usize) -> anyhow::Result<()> {
    futures::stream::iter(names.iter().map(|name| async move {
        let (status, body) = k
            .send(
                reqwest::Method::DELETE,
                "admin",
                &format!("{API}/namespaces/{ns}/applications/{name}"),
                None,
            )
            .await?;
        if !status.is_success() && status != reqwest::StatusCode::NOT_FOUND {
            bail!("DELETE {name}: {status} {}", String::from_utf8_lossy(&body));
        }
        anyhow::Ok(())
    }))
    .buffer_unordered(clients)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(())
}

/// POSTs `body` to `path` as admin; fails unless 201/200.
async fn post(k: &Ksflux, path: &str, body: &Value) -> anyhow::Result<Value> {
    let (status, bytes) = k.send(reqwest::Method::POST, "admin", path, Some(body)).await?;
    if !status.is_success() {
        bail!("POST {path}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// What one poll saw in a project namespace (the setup application's objects left out).
#[derive(Debug, Default)]
struct Counts {
    /// Kustomizations on the host.
    objects: usize,
    /// Of those, Ready at their current generation.
    ready: usize,
    /// Deployments over the three clusters.
    deployments: usize,
    /// Of those, with every replica updated and available.
    available: usize,
    /// Pods over the three clusters.
    pods: usize,
    /// Applications.
    apps: usize,
    /// Of those, reporting every target ready.
    apps_ready: usize,
}

async fn counts(run: &Run, ns: &str) -> anyhow::Result<Counts> {
    let mut c = Counts::default();
    let ks = dynamic_api(run.host(), &flux_resource("Kustomization"), Some(ns))
        .list(&ListParams::default())
        .await?;
    for o in ks
        .items
        .iter()
        .filter(|o| !is_setup(&o.metadata.name.clone().unwrap_or_default()))
    {
        c.objects += 1;
        if ksflux_testbed::ready(o).is_ok() {
            c.ready += 1;
        }
    }
    for client in run.clients.values() {
        let deployments = Api::<Deployment>::namespaced(client.clone(), ns)
            .list(&ListParams::default())
            .await?;
        for d in deployments
            .items
            .iter()
            .filter(|d| !is_setup(d.metadata.name.as_deref().unwrap_or_default()))
        {
            c.deployments += 1;
            let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let generation = d.metadata.generation.unwrap_or(0);
            if let Some(s) = &d.status
                && s.observed_generation.unwrap_or(-1) >= generation
                && s.updated_replicas.unwrap_or(0) == want
                && s.available_replicas.unwrap_or(0) == want
            {
                c.available += 1;
            }
        }
    }
    for client in run.clients.values() {
        c.pods += bench_pods(client, ns).await?;
    }
    for a in list_apps(run, ns).await? {
        if is_setup(&a.metadata.name.clone().unwrap_or_default()) {
            continue;
        }
        c.apps += 1;
        let summary = &a.data["status"]["summary"];
        if summary["ready"].as_u64() == Some(CLUSTERS.len() as u64) && summary["total"] == summary["ready"] {
            c.apps_ready += 1;
        }
    }
    Ok(c)
}

/// When each milestone of a series was reached, from its start.
#[derive(Debug, Default, Clone, Copy)]
struct Milestones {
    written: Option<Duration>,
    ready: Option<Duration>,
    available: Option<Duration>,
    apps_ready: Option<Duration>,
    /// After a delete: every Kustomization gone.
    gone: Option<Duration>,
    /// After a delete: every Deployment and pod gone.
    workloads_gone: Option<Duration>,
}

/// The pods of `ns` in the cluster `client` reaches, the setup application's left out.
async fn bench_pods(client: &Client, ns: &str) -> anyhow::Result<usize> {
    Ok(Api::<Pod>::namespaced(client.clone(), ns)
        .list_metadata(&ListParams::default())
        .await?
        .items
        .iter()
        .filter(|p| !is_setup(p.metadata.name.as_deref().unwrap_or_default()))
        .count())
}

/// Polls `ns` every second (one [`counts`] each time) until `step` says the series is done,
/// printing `line` every 15 s; fails at `deadline`, naming `what`.
async fn poll(
    run: &Run,
    ns: &str,
    what: &str,
    deadline: Instant,
    mut step: impl FnMut(&Counts) -> bool,
    line: impl Fn(&Counts) -> String,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_log = Instant::now();
    loop {
        tick.tick().await;
        let c = match counts(run, ns).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("  poll failed (retrying): {e:#}");
                continue;
            }
        };
        if step(&c) {
            return Ok(());
        }
        if last_log.elapsed() >= Duration::from_secs(15) {
            last_log = Instant::now();
            eprintln!("{}", line(&c));
        }
        if Instant::now() > deadline {
            bail!("not everything was {what} in {ns} within the deadline: {c:?}");
        }
    }
}

/// Polls `ns` every second until `objects` Kustomizations exist and are Ready, their
/// Deployments available and (with `apps`) that many Applications report 3/3.
async fn until_ready(
    run: &Run,
    ns: &str,
    objects: usize,
    apps: Option<usize>,
    start: Instant,
    deadline: Instant,
    m: &mut Milestones,
) -> anyhow::Result<()> {
    let step = |c: &Counts| {
        let t = start.elapsed();
        if c.objects >= objects && m.written.is_none() {
            m.written = Some(t);
        }
        if c.ready >= objects && m.ready.is_none() {
            m.ready = Some(t);
        }
        if c.available >= objects && m.available.is_none() {
            m.available = Some(t);
        }
        if let Some(n) = apps
            && c.apps_ready >= n
            && m.apps_ready.is_none()
        {
            m.apps_ready = Some(t);
        }
        m.written.is_some()
            && m.ready.is_some()
            && m.available.is_some()
            && (apps.is_none() || m.apps_ready.is_some())
    };
    let line = |c: &Counts| {
        format!(
            "  {}s: Kustomizations {}/{objects} written, {} Ready; Deployments {} available of {}; pods {}; Applications {} of {} ready",
            secs(start.elapsed()),
            c.objects,
            c.ready,
            c.available,
            c.deployments,
            c.pods,
            c.apps_ready,
            c.apps
        )
    };
    poll(run, ns, "Ready", deadline, step, line).await
}

/// Polls `ns` every second until no Kustomization, Deployment, pod nor Application (the
/// setup application's left out) is left.
async fn until_gone(
    run: &Run,
    ns: &str,
    start: Instant,
    deadline: Instant,
    m: &mut Milestones,
) -> anyhow::Result<()> {
    let step = |c: &Counts| {
        let t = start.elapsed();
        if c.objects == 0 && c.apps == 0 && m.gone.is_none() {
            m.gone = Some(t);
        }
        if c.deployments == 0 && c.pods == 0 && m.workloads_gone.is_none() {
            m.workloads_gone = Some(t);
        }
        m.gone.is_some() && m.workloads_gone.is_some()
    };
    let line = |c: &Counts| {
        format!(
            "  {}s: left {} Kustomizations, {} Applications, {} Deployments, {} pods",
            secs(start.elapsed()),
            c.objects,
            c.apps,
            c.deployments,
            c.pods
        )
    };
    poll(run, ns, "gone", deadline, step, line).await
}

/// kustomize-controller's figures over a series: its queue's peak depth (sampled every
/// second), reconciles and their mean duration.
struct Controller {
    peak_depth: f64,
    reconciles: f64,
    mean_work: f64,
}

const KC_DEPTH: &str = "workqueue_depth{controller=\"kustomization\"";
const KC_WORK_SUM: &str = "workqueue_work_duration_seconds_sum{controller=\"kustomization\"";
const KC_WORK_COUNT: &str = "workqueue_work_duration_seconds_count{controller=\"kustomization\"";

/// Samples kustomize-controller's queue depth every second until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<f64>,
    sum: f64,
    count: f64,
    url: String,
    http: reqwest::Client,
}

impl Sampler {
    async fn start(run: &Run) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let (http, url) = (run.http.clone(), run.kc_metrics.clone());
        let task = tokio::spawn({
            let (stop, http, url) = (stop.clone(), http.clone(), url.clone());
            async move {
                let mut peak = 0f64;
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(d) = scrape(&http, &url, KC_DEPTH).await {
                        peak = peak.max(d);
                    }
                    tokio::time::sleep(POLL).await;
                }
                peak
            }
        });
        Sampler {
            stop,
            task,
            sum: scrape(&http, &url, KC_WORK_SUM).await.unwrap_or(0.0),
            count: scrape(&http, &url, KC_WORK_COUNT).await.unwrap_or(0.0),
            url,
            http,
        }
    }

    async fn finish(self) -> Controller {
        self.stop.store(true, Ordering::Relaxed);
        let peak_depth = self.task.await.unwrap_or(0.0);
        let sum = scrape(&self.http, &self.url, KC_WORK_SUM)
            .await
            .unwrap_or(self.sum)
            - self.sum;
        let reconciles = scrape(&self.http, &self.url, KC_WORK_COUNT)
            .await
            .unwrap_or(self.count)
            - self.count;
        Controller {
            peak_depth,
            reconciles,
            mean_work: if reconciles > 0.0 { sum / reconciles } else { 0.0 },
        }
    }
}

/// Waits (untimed) until no pod of `ns` is left on any cluster and kustomize-controller's
/// queue is empty, so that a series starts on a quiet testbed.
async fn settle(run: &Run, ns: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut pods = 0;
        for client in run.clients.values() {
            pods += bench_pods(client, ns).await?;
        }
        let depth = scrape(&run.http, &run.kc_metrics, KC_DEPTH).await.unwrap_or(0.0);
        if pods == 0 && depth == 0.0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{pods} pods of {ns} still there (queue depth {depth}) after 300s");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Runs `kube kubectl <args> --kubeconfig <host>`; its wall time.
async fn kubectl(run: &Run, kube: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let out = tokio::process::Command::new(kube)
        .arg("kubectl")
        .args(args)
        .arg("--kubeconfig")
        .arg(&run.tb.cluster("host").kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .context("running kubectl")?;
    let took = start.elapsed();
    if !out.status.success() {
        bail!(
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

/// The Kustomizations of the N applications rendered for `ns` by ksflux's preview (nothing
/// written), as kubectl applies them: without the application label (no Application owns
/// them) and with no server-set fields.
async fn rendered(k: &Ksflux, ns: &str, apps: usize, clients: usize) -> anyhow::Result<Vec<Value>> {
    let per_app: Vec<Value> = futures::stream::iter((0..apps).map(|i| async move {
        let name = app_name(i);
        post(
            k,
            &format!("{API}/namespaces/{ns}/applications/{name}/preview"),
            &application(&name, ns),
        )
        .await
    }))
    .buffered(clients)
    .try_collect()
    .await?;
    let mut items = Vec::new();
    for targets in per_app {
        for t in targets.as_array().into_iter().flatten() {
            let mut o = t["object"].clone();
            let Some(obj) = o.as_object_mut() else {
                bail!("the preview returned no object: {t}");
            };
            obj.remove("status");
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                for f in [
                    "ownerReferences",
                    "uid",
                    "resourceVersion",
                    "managedFields",
                    "creationTimestamp",
                    "generation",
                ] {
                    meta.remove(f);
                }
                if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                    labels.remove("fluxcd.kubesphere.io/application");
                    labels.insert("ksflux-bench".into(), "fanout".into());
                }
            }
            items.push(o);
        }
    }
    Ok(items)
}

/// One series' figures.
struct Series {
    applied: Milestones,
    deleted: Milestones,
    controller: Controller,
    /// ksflux: the POSTs (each, and all of them); kubectl: the apply.
    writes: Option<Figures>,
    writes_wall: Duration,
    /// ksflux: all DELETEs answered; kubectl: `kubectl delete` returned.
    delete_wall: Duration,
}

async fn bench(args: &Args, run: &Run, slot: &mut Option<Ksflux>) -> anyhow::Result<()> {
    let tb = run.tb;
    let n = args.apps;
    let objects = n * CLUSTERS.len();
    let kube = tb.info.bin_dir.join("kube");
    if !kube.is_file() {
        bail!("{} is missing (testbed/build)", kube.display());
    }

    // Room for the pods: N per cluster and series (the series do not overlap).
    let nodes = args.nodes.unwrap_or(n.div_ceil(100));
    eprintln!("adding {nodes} fake nodes per cluster");
    for client in run.clients.values() {
        let api: Api<Node> = Api::all(client.clone());
        for i in 0..nodes {
            let name = format!("{NODE_TYPE}-{i}");
            api.patch(
                &name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(fake_node(&name, NODE_TYPE)),
            )
            .await?;
        }
    }

    // ksflux with its controller, the members registered (hub mode).
    namespace(run, &run.ns_api).await?;
    namespace(run, &run.ns_kubectl).await?;
    register_members(tb, run.host(), &run.registry).await?;
    let log = tb
        .info
        .state_dir
        .join("logs")
        .join(format!("{}.log", run.registry));
    let data = run.work.join("ksflux-data");
    let k: &Ksflux = slot.insert(Ksflux::start(
        &args.ksflux,
        &tb.cluster("host").kubeconfig,
        &run.registry,
        &["--no-leader-election", "--data-dir", &data.to_string_lossy()],
        &log,
        tb.info.users.clone(),
    )?);
    k.wait_ready(&log).await?;

    // Both projects: the source, and a small application that sets up the project's
    // credentials on every cluster (ServiceAccount, bindings, member kubeconfig Secrets), so
    // that neither series pays for that one-time setup.
    eprintln!("setting up {} and {}", run.ns_api, run.ns_kubectl);
    let f = &tb.info.fixtures;
    for ns in [&run.ns_api, &run.ns_kubectl] {
        post(
            k,
            &format!("{API}/namespaces/{ns}/gitrepositories"),
            &json!({"metadata": {"name": "demo"},
                "spec": {"url": tb.git_repo_url("demo"), "interval": "60m", "ref": {"branch": "main"}},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await?;
        post(
            k,
            &format!("{API}/namespaces/{ns}/applications"),
            &application(SETUP, ns),
        )
        .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    for ns in [&run.ns_api, &run.ns_kubectl] {
        loop {
            let apps = list_apps(run, ns).await?;
            let setup = apps.iter().find(|a| a.metadata.name.as_deref() == Some(SETUP));
            let summary = setup
                .map(|a| a.data["status"]["summary"].clone())
                .unwrap_or_default();
            if summary["ready"].as_u64() == Some(CLUSTERS.len() as u64) {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "the setup application in {ns} is not ready after 300s: {}",
                    setup.map(|a| a.data["status"].to_string()).unwrap_or_default()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
    let rss_setup = k.rss_kib();
    let deadline_for = || Instant::now() + Duration::from_secs(args.deadline_minutes * 60);

    // The ksflux series: N POSTs, C at a time, then until everything is Ready.
    eprintln!("ksflux series: {n} applications, {} clients", args.clients);
    let reconciles_before = k
        .metric("ksflux_application_reconciles_total")
        .await
        .unwrap_or(0.0);
    let reconcile_sum_before = k
        .metric("ksflux_application_reconcile_duration_seconds_sum")
        .await
        .unwrap_or(0.0);
    let requests_before = k.metric("ksflux_kube_requests_total").await.unwrap_or(0.0);
    let sampler = Sampler::start(run).await;
    let start = Instant::now();
    let deadline = deadline_for();
    let ns = &run.ns_api;
    let posts: Vec<Duration> = futures::stream::iter((0..n).map(|i| async move {
        let name = app_name(i);
        let t = Instant::now();
        post(
            k,
            &format!("{API}/namespaces/{ns}/applications"),
            &application(&name, ns),
        )
        .await?;
        anyhow::Ok(t.elapsed())
    }))
    .buffer_unordered(args.clients)
    .try_collect()
    .await?;
    let posted = start.elapsed();
    eprintln!("  {n} POSTs answered in {}s", secs(posted));
    let mut applied = Milestones::default();
    until_ready(run, ns, objects, Some(n), start, deadline, &mut applied).await?;
    let controller = sampler.finish().await;
    let rss_applied = k.rss_kib();
    let reconciles = k
        .metric("ksflux_application_reconciles_total")
        .await
        .unwrap_or(0.0)
        - reconciles_before;
    let reconcile_sum = k
        .metric("ksflux_application_reconcile_duration_seconds_sum")
        .await
        .unwrap_or(0.0)
        - reconcile_sum_before;
    let kube_requests = k.metric("ksflux_kube_requests_total").await.unwrap_or(0.0) - requests_before;
    eprintln!(
        "  everything Ready after {}s; deleting",
        opt_secs(applied.available.max(applied.apps_ready))
    );
    let names: Vec<String> = (0..n).map(app_name).collect();
    let start = Instant::now();
    delete_named(k, ns, &names, args.clients).await?;
    let delete_wall = start.elapsed();
    let mut deleted = Milestones::default();
    until_gone(run, ns, start, deadline_for(), &mut deleted).await?;
    let api_series = Series {
        applied,
        deleted,
        controller,
        writes: Some(figures(posts)),
        writes_wall: posted,
        delete_wall,
    };

    // The kubectl series: the same Kustomizations rendered for the second project, one
    // `kubectl apply --server-side`, then until everything is Ready.
    let ns = &run.ns_kubectl;
    let items = rendered(k, ns, n, args.clients).await?;
    if items.len() != objects {
        bail!("the previews rendered {} objects, not {objects}", items.len());
    }
    let manifest = run.work.join(format!("{ns}.json"));
    std::fs::write(
        &manifest,
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": items}))?,
    )?;
    let manifest_arg = manifest.to_string_lossy().to_string();
    settle(run, &run.ns_api).await?;
    eprintln!("kubectl series: {objects} Kustomizations in one kubectl apply --server-side");
    let sampler = Sampler::start(run).await;
    let start = Instant::now();
    let deadline = deadline_for();
    let apply = kubectl(
        run,
        &kube,
        &[
            "apply",
            "--server-side",
            "--field-manager",
            FIELD_MANAGER,
            "-f",
            &manifest_arg,
        ],
    )
    .await?;
    eprintln!("  kubectl apply returned after {}s", secs(apply));
    let mut applied = Milestones::default();
    until_ready(run, ns, objects, None, start, deadline, &mut applied).await?;
    let controller = sampler.finish().await;
    eprintln!(
        "  everything Ready after {}s; deleting",
        opt_secs(applied.available)
    );
    let start = Instant::now();
    let delete_wall = kubectl(run, &kube, &["delete", "--wait=true", "-f", &manifest_arg]).await?;
    let mut deleted = Milestones::default();
    until_gone(run, ns, start, deadline_for(), &mut deleted).await?;
    let kubectl_series = Series {
        applied,
        deleted,
        controller,
        writes: None,
        writes_wall: apply,
        delete_wall,
    };
    let rss_end = k.rss_kib();

    let out = report(
        args,
        &api_series,
        &kubectl_series,
        Memory {
            setup: rss_setup,
            applied: rss_applied,
            end: rss_end,
        },
        (reconciles, reconcile_sum, kube_requests),
        nodes,
    );
    println!("{out}");
    if let Some(path) = &args.out {
        std::fs::write(path, &out)?;
    }
    Ok(())
}

/// ksflux's memory (KiB, RSS and peak) at three points.
struct Memory {
    setup: (u64, u64),
    applied: (u64, u64),
    end: (u64, u64),
}

fn report(
    args: &Args,
    api: &Series,
    kc: &Series,
    mem: Memory,
    (reconciles, reconcile_sum, kube_requests): (f64, f64, f64),
    nodes: usize,
) -> String {
    let n = args.apps;
    let objects = n * CLUSTERS.len();
    let c = args.clients;
    let mut t = format!(
        "{n} Applications x 3 targets (host, member-1, member-2) = {objects} Kustomizations \
         (Kustomize `./base` of the demo sample, a ConfigMap and a one-replica Deployment each, \
         name-prefixed per application; {objects} pods on KWOK's fake nodes, {nodes} added per cluster); \
         hub mode, the host's kustomize-controller at its default of 4 concurrent reconciles\n\n"
    );
    t.push_str(&format!(
        "| {objects} Flux objects | ksflux: POST through the API, {c} clients (s) | kubectl apply --server-side, one file (s) | ksflux ÷ kubectl |\n|---|---:|---:|---:|\n"
    ));
    let row = |label: &str, a: Option<Duration>, b: Option<Duration>| {
        format!(
            "| {label} | {} | {} | {} |\n",
            opt_secs(a),
            opt_secs(b),
            ratio(a, b)
        )
    };
    let kc_written = Some(kc.writes_wall).max(kc.applied.written);
    t.push_str(&row(
        "written: every Kustomization on the host",
        api.applied.written,
        kc_written,
    ));
    t.push_str(&row(
        "Ready: every Kustomization Ready at its generation",
        api.applied.ready,
        kc.applied.ready,
    ));
    t.push_str(&row(
        "workloads: every Deployment available (3 clusters)",
        api.applied.available,
        kc.applied.available,
    ));
    t.push_str(&row(
        "deleted: every Kustomization gone (pruned on the members)",
        api.deleted.gone,
        kc.deleted.gone,
    ));
    t.push_str(&row(
        "deleted: every Deployment and pod gone",
        api.deleted.workloads_gone,
        kc.deleted.workloads_gone,
    ));
    t.push('\n');
    if let Some(w) = &api.writes {
        t.push_str(&format!(
            "ksflux: {n} POSTs answered in {}s (per POST p50 {} ms, p99 {} ms, max {} ms); every Application reported 3/3 ready at {}s; {n} DELETEs answered in {}s\n",
            secs(api.writes_wall),
            ms(w.p50),
            ms(w.p99),
            ms(w.max),
            opt_secs(api.applied.apps_ready),
            secs(api.delete_wall)
        ));
    }
    t.push_str(&format!(
        "kubectl: apply returned after {}s, `kubectl delete --wait` after {}s\n",
        secs(kc.writes_wall),
        secs(kc.delete_wall)
    ));
    t.push_str(&format!(
        "ksflux's controller: {reconciles:.0} Application reconciles (mean {:.0} ms), {kube_requests:.0} apiserver requests during the ksflux series\n",
        if reconciles > 0.0 {
            reconcile_sum / reconciles * 1000.0
        } else {
            0.0
        }
    ));
    for (label, s) in [("ksflux", api), ("kubectl", kc)] {
        t.push_str(&format!(
            "kustomize-controller, {label} series: {:.0} reconciles (mean {:.2} s), queue depth at most {:.0}\n",
            s.controller.reconciles, s.controller.mean_work, s.controller.peak_depth
        ));
    }
    t.push_str(&format!(
        "ksflux RSS: {} MiB after setup, {} MiB with {n} applications Ready, {} MiB at the end (peak {} MiB)\n",
        mib(mem.setup.0),
        mib(mem.applied.0),
        mib(mem.end.0),
        mib(mem.end.1)
    ));
    t
}
