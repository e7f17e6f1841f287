//! The list benchmark (run it through `bench/lists`): N GitRepositories of one kind in the
//! testbed's host, listed sorted and paged through ksflux answering from its watch caches
//! ("after") and through ksflux asking the apiserver for every read (`--direct-reads`,
//! "before"), as an admin and as a namespace-limited user, side by side with `kubectl get` of
//! the same objects, in one run; plus the apiserver requests ksflux makes per console page
//! view, from its `ksflux_kube_requests` metric.

mod common;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Parser;
use common::{Figures, Ksflux, ensure_namespace, figures, ms, time_cli};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::{core::v1::Namespace, rbac::v1::RoleBinding};
use ksflux_testbed::{Testbed, dynamic_api, flux_resource};
use kube::{
    Api,
    api::{DeleteParams, DynamicObject, PostParams},
};
use serde_json::json;

/// Measures ksflux's object lists against `kubectl get` on the testbed's host.
#[derive(Parser, Debug)]
struct Args {
    /// How many GitRepositories to create.
    #[arg(long, default_value_t = 5000)]
    objects: usize,
    /// Namespaces they are spread over (the limited user may list the first).
    #[arg(long, default_value_t = 50)]
    namespaces: usize,
    /// Timed requests per list.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Timed runs of each kubectl command.
    #[arg(long, default_value_t = 10)]
    kubectl_runs: usize,
    /// Console page views whose apiserver requests are counted.
    #[arg(long, default_value_t = 20)]
    page_views: usize,
    /// The ksflux binary (a release build).
    #[arg(long)]
    ksflux: PathBuf,
    /// Also write the results (Markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";
/// The namespace-limited user: edits the first benchmark namespace only.
const LIMITED: &str = "alice";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.objects == 0 || args.objects > 20_000 || args.namespaces == 0 {
        bail!("--objects must be between 1 and 20000, --namespaces at least 1");
    }
    let tb = Testbed::shared();
    let run = format!("lists{}", std::process::id() % 100_000);
    let outcome = bench(&args, tb, &run).await;
    eprintln!("cleaning up");
    let host = tb.client("host").await;
    let api: Api<Namespace> = Api::all(host);
    for i in 0..args.namespaces {
        let _ = api.delete(&format!("{run}-{i}"), &DeleteParams::default()).await;
    }
    let _ = api
        .delete(&format!("{run}-ksflux"), &DeleteParams::default())
        .await;
    outcome
}

/// Runs kubectl (the testbed's multi-call `kube` binary) `runs` times.
fn time_kubectl(
    tb: &Testbed,
    kubeconfig: &std::path::Path,
    cmd: &[&str],
    runs: usize,
) -> anyhow::Result<(Figures, usize)> {
    let args: Vec<&str> = std::iter::once("kubectl").chain(cmd.iter().copied()).collect();
    let (d, lines) = time_cli(&tb.info.bin_dir.join("kube"), &args, kubeconfig, runs)?;
    Ok((figures(d), lines))
}

/// The API calls a console page makes when it opens.
struct PageView {
    label: &'static str,
    user: &'static str,
    calls: Vec<String>,
}

async fn bench(args: &Args, tb: &Testbed, run: &str) -> anyhow::Result<()> {
    let host = tb.client("host").await;
    for i in 0..args.namespaces {
        ensure_namespace(&host, &format!("{run}-{i}")).await?;
    }
    let mine = format!("{run}-0");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "bench-limited", "namespace": mine},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": LIMITED}],
    }))?;
    Api::<RoleBinding>::namespaced(host.clone(), &mine)
        .create(&PostParams::default(), &binding)
        .await?;

    eprintln!(
        "creating {} GitRepositories over {} namespaces",
        args.objects, args.namespaces
    );
    let start = Instant::now();
    let ar = flux_resource("GitRepository");
    futures::stream::iter((0..args.objects).map(|i| {
        let ns = format!("{run}-{}", i % args.namespaces);
        let api = dynamic_api(&host, &ar, Some(&ns));
        async move {
            // Suspended: the source-controller only adds its finalizer.
            let obj: DynamicObject = serde_json::from_value(json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": format!("repo-{i:05}"), "namespace": ns, "labels": {"bench": "lists", "bench-run": run}},
                "spec": {"url": "https://git.example.com/org/app.git", "interval": "10m", "ref": {"branch": "main"}, "suspend": true},
            }))?;
            api.create(&PostParams::default(), &obj).await.with_context(|| format!("creating {ns}/repo-{i:05}"))?;
            anyhow::Ok(())
        }
    }))
    .buffer_unordered(32)
    .try_collect::<Vec<()>>()
    .await?;
    eprintln!("created in {:.1}s", start.elapsed().as_secs_f64());

    let ns = format!("{run}-ksflux");
    ensure_namespace(&host, &ns).await?;
    let logs = tb.info.state_dir.join("logs");
    let kubeconfig = &tb.cluster("host").kubeconfig;
    // Health checks hourly, no controller: the request counts are the page views' own.
    let quiet = ["--refresh-seconds", "3600", "--no-controller"];
    let cached = Ksflux::start(
        &args.ksflux,
        kubeconfig,
        &ns,
        &quiet,
        &logs.join(format!("{run}-cached.log")),
        tb.info.users.clone(),
    )?;
    let direct = Ksflux::start(
        &args.ksflux,
        kubeconfig,
        &ns,
        &[&quiet[..], &["--direct-reads"]].concat(),
        &logs.join(format!("{run}-direct.log")),
        tb.info.users.clone(),
    )?;
    let all = format!("{API}/gitrepositories?limit=1&labelSelector=bench-run%3D{run}");
    for k in [&cached, &direct] {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(v) = k.get("admin", &all).await
                && v["totalItems"].as_u64() == Some(args.objects as u64)
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("ksflux did not list all {} objects within 300s", args.objects);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let in_ns = |ns: &str| format!("{API}/namespaces/{ns}/gitrepositories");
    let per_ns = args.objects.div_ceil(args.namespaces);
    let lists: Vec<(String, &str, String)> = vec![
        (
            format!("all namespaces ({}), page 1 of 10 by name (admin)", args.objects),
            "admin",
            format!("{API}/gitrepositories?limit=10&sortBy=name&ascending=true"),
        ),
        (
            "all namespaces, page 100 of 20, newest first (admin)".into(),
            "admin",
            format!("{API}/gitrepositories?limit=20&page=100"),
        ),
        (
            format!("one namespace ({per_ns}), page 1 of 10 by name (admin)"),
            "admin",
            format!(
                "{}?limit=10&sortBy=name&ascending=true",
                in_ns(&format!("{run}-1"))
            ),
        ),
        (
            format!("own namespace ({per_ns}), page 1 of 10 by name ({LIMITED}, limited)"),
            LIMITED,
            format!("{}?limit=10&sortBy=name&ascending=true", in_ns(&mine)),
        ),
        (
            format!("all namespaces, page 1 of 10 by name ({LIMITED}, limited)"),
            LIMITED,
            format!("{API}/gitrepositories?limit=10&sortBy=name&ascending=true"),
        ),
        (
            "one object (admin)".into(),
            "admin",
            format!("{}/repo-00001", in_ns(&format!("{run}-1"))),
        ),
    ];
    let mut rows = Vec::new();
    for (label, user, path) in &lists {
        eprintln!("timing {label}");
        let before = match direct.time(user, path, args.requests).await {
            Ok(f) => Some(f),
            Err(e) if e.to_string().contains("403") => None,
            Err(e) => return Err(e),
        };
        let after = cached.time(user, path, args.requests).await?;
        rows.push((label.clone(), before, after));
    }

    eprintln!("timing kubectl");
    let other = format!("{run}-1");
    let limited_kc = tb
        .info
        .state_dir
        .join("kubeconfigs")
        .join(format!("host-{LIMITED}.yaml"));
    let kubectl = [
        (
            format!(
                "kubectl get gitrepositories -A --sort-by=.metadata.name ({} objects, admin)",
                args.objects
            ),
            kubeconfig.clone(),
            vec![
                "get",
                "gitrepositories.source.toolkit.fluxcd.io",
                "-A",
                "--sort-by=.metadata.name",
            ],
        ),
        (
            format!("kubectl get gitrepositories -n {{own}} ({per_ns} objects, {LIMITED})"),
            limited_kc.clone(),
            vec![
                "get",
                "gitrepositories.source.toolkit.fluxcd.io",
                "-n",
                mine.as_str(),
            ],
        ),
        (
            "kubectl get gitrepository (one object, admin)".into(),
            kubeconfig.clone(),
            vec![
                "get",
                "gitrepositories.source.toolkit.fluxcd.io",
                "-n",
                other.as_str(),
                "repo-00001",
            ],
        ),
    ];
    let mut kubectl_rows = Vec::new();
    for (label, kc, cmd) in &kubectl {
        let (f, lines) = time_kubectl(tb, kc, cmd, args.kubectl_runs)?;
        kubectl_rows.push((format!("{label}, {lines} lines"), f));
    }

    // Apiserver requests per console page view (the first view's access reviews included).
    let views = [
        PageView {
            label: "Sources, Git tab, all namespaces (admin)",
            user: "admin",
            calls: vec![
                format!("{API}/whoami"),
                format!("{API}/clusters"),
                format!("{API}/kinds"),
                format!("{API}/gitrepositories?cluster=host&page=1&limit=10&sortBy=createTime"),
            ],
        },
        PageView {
            label: "Sources, Git tab, own namespace (alice)",
            user: LIMITED,
            calls: vec![
                format!("{API}/whoami"),
                format!("{API}/clusters"),
                format!("{API}/kinds"),
                format!("{}?cluster=host&page=1&limit=10&sortBy=createTime", in_ns(&mine)),
            ],
        },
        PageView {
            label: "a source's edit form (admin)",
            user: "admin",
            calls: vec![format!("{}/repo-00001?cluster=host", in_ns(&format!("{run}-1")))],
        },
    ];
    let requests = "ksflux_kube_requests_total{cluster=\"host\"";
    let mut view_rows = Vec::new();
    for v in &views {
        let mut counts = Vec::new();
        for k in [&direct, &cached] {
            let before = k.metric(requests).await?;
            for _ in 0..args.page_views {
                for c in &v.calls {
                    // A limited user's failing call costs requests too; count it either way.
                    let _ = k.get(v.user, c).await;
                }
            }
            let after = k.metric(requests).await?;
            counts.push((after - before) / args.page_views as f64);
        }
        view_rows.push((v.label, counts[0], counts[1]));
    }

    let mut t = format!(
        "{} GitRepositories (suspended) in the host over {} namespaces; {LIMITED} may list one of them\n\n",
        args.objects, args.namespaces
    );
    t.push_str(
        "| list | runs | before p50 ms | before p99 ms | after p50 ms | after p99 ms | p99 before/after |\n",
    );
    t.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for (label, before, after) in &rows {
        let (b50, b99, ratio) = match before {
            Some(b) => (
                ms(b.p50),
                ms(b.p99),
                format!("{:.0}x", b.p99.as_secs_f64() / after.p99.as_secs_f64().max(1e-9)),
            ),
            None => ("403".into(), "403".into(), "-".into()),
        };
        t.push_str(&format!(
            "| {label} | {} | {b50} | {b99} | {} | {} | {ratio} |\n",
            after.n,
            ms(after.p50),
            ms(after.p99)
        ));
    }
    t.push_str("\n| kubectl | runs | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
    for (label, f) in &kubectl_rows {
        t.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            f.n,
            ms(f.p50),
            ms(f.p99),
            ms(f.max)
        ));
    }
    t.push_str(&format!(
        "\n| console page view ({} views) | apiserver requests per view, before | after |\n|---|---:|---:|\n",
        args.page_views
    ));
    for (label, before, after) in &view_rows {
        t.push_str(&format!("| {label} | {before:.2} | {after:.2} |\n"));
    }
    println!("{t}");
    if let Some(out) = &args.out {
        std::fs::write(out, &t)?;
    }
    Ok(())
}
