//! What the benchmarks share: latency figures, a `ksflux serve` child process, namespaces.

#![allow(dead_code)]

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};

const FIELD_MANAGER: &str = "ksflux-bench";

/// Creates (or keeps) namespace `name`.
pub async fn ensure_namespace(client: &Client, name: &str) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&ns),
    )
    .await
    .with_context(|| format!("namespace {name}"))?;
    Ok(())
}

/// Latency figures of a series of timings.
pub struct Figures {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// The figures of a series of timings.
pub fn figures(mut d: Vec<Duration>) -> Figures {
    d.sort();
    let at = |q: f64| -> Duration {
        if d.is_empty() {
            return Duration::ZERO;
        }
        let i = ((q * d.len() as f64).ceil() as usize).clamp(1, d.len()) - 1;
        d[i]
    };
    Figures {
        n: d.len(),
        p50: at(0.50),
        p99: at(0.99),
        max: d.last().copied().unwrap_or_default(),
    }
}

/// ksflux's memory line: RSS when synced, after the timings, and the peak (KiB pairs from
/// [`Ksflux::rss_kib`]).
pub fn rss_line(synced: (u64, u64), after: (u64, u64)) -> String {
    format!(
        "ksflux RSS: {:.1} MiB when synced, {:.1} MiB after the timings (peak {:.1} MiB)\n\n",
        synced.0 as f64 / 1024.0,
        after.0 as f64 / 1024.0,
        after.1 as f64 / 1024.0
    )
}

/// The results table (Markdown): ksflux's timings, then a CLI's with the lines it printed.
pub fn table(rows: &[(String, Figures)], cli: &[(String, Figures, usize)]) -> String {
    let mut t = String::from("| what | runs | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
    let line = |label: &str, f: &Figures| {
        format!(
            "| {label} | {} | {} | {} | {} |\n",
            f.n,
            ms(f.p50),
            ms(f.p99),
            ms(f.max)
        )
    };
    for (label, f) in rows {
        t.push_str(&line(label, f));
    }
    for (label, f, lines) in cli {
        t.push_str(&line(&format!("{label}, {lines} lines"), f));
    }
    t
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// A `ksflux serve` process.
pub struct Ksflux {
    pub child: Child,
    pub url: String,
    pub http: reqwest::Client,
    pub tokens: BTreeMap<String, String>,
}

impl Ksflux {
    /// Sends `method` to `path` as `user`, with `body` as JSON if given: the status and the
    /// body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        user: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.tokens[user]);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await?;
        let status = res.status();
        Ok((status, res.bytes().await?.to_vec()))
    }

    /// GETs `path` as `user`: the status and the body.
    pub async fn fetch(&self, user: &str, path: &str) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>)> {
        self.send(reqwest::Method::GET, user, path, None).await
    }

    /// GETs `path` as `user`; fails on an error status.
    pub async fn get(&self, user: &str, path: &str) -> anyhow::Result<Value> {
        let (status, body) = self.fetch(user, path).await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {}", String::from_utf8_lossy(&body));
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// Times `n` sequential GETs of `path` as `user`, after up to 20 warm-up requests.
    pub async fn time(&self, user: &str, path: &str, n: usize) -> anyhow::Result<Figures> {
        for _ in 0..n.min(20) {
            self.get(user, path).await?;
        }
        let mut d = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            let (status, _) = self.fetch(user, path).await?;
            d.push(start.elapsed());
            if !status.is_success() {
                bail!("GET {path}: {status}");
            }
        }
        Ok(figures(d))
    }

    /// Resident and peak memory (KiB).
    pub fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Ksflux {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates namespace `namespace` in the host and registers every testbed member there by a
/// labelled kubeconfig Secret, as ksflux's registry reads them.
pub async fn register_members(
    tb: &ksflux_testbed::Testbed,
    host: &Client,
    namespace: &str,
) -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::Secret;
    ensure_namespace(host, namespace).await?;
    let secrets: Api<Secret> = Api::namespaced(host.clone(), namespace);
    for member in tb.members() {
        let kc = std::fs::read(&tb.cluster(member).kubeconfig)?;
        let s: Secret = serde_json::from_value(json!({
            "metadata": {"name": format!("cluster-{member}"), "labels": {"fluxcd.kubesphere.io/cluster": member}},
            "data": {"kubeconfig": base64_encode(&kc)},
        }))?;
        secrets.create(&kube::api::PostParams::default(), &s).await?;
    }
    Ok(())
}

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Standard base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Ksflux {
    /// Starts `ksflux serve` on the testbed's host with `extra` arguments, members read from
    /// `namespace`, logging to `log`.
    pub fn start(
        bin: &Path,
        host_kubeconfig: &Path,
        namespace: &str,
        extra: &[&str],
        log: &Path,
        tokens: BTreeMap<String, String>,
    ) -> anyhow::Result<Ksflux> {
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--namespace", namespace, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--kubeconfig")
            .arg(host_kubeconfig)
            .args(extra);
        // Its history store beside the log, never in the working directory.
        if !extra.contains(&"--data-dir") {
            let dir = log.parent().unwrap_or(Path::new(".")).join("ksflux-data");
            cmd.arg("--data-dir").arg(dir);
        }
        let child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting ksflux")?;
        Ok(Ksflux {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            tokens,
        })
    }

    /// Waits until `/readyz` answers 200 (at most 120 s; `log` is named on failure).
    pub async fn wait_ready(&self, log: &Path) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while !self
            .http
            .get(format!("{}/readyz", self.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            if std::time::Instant::now() > deadline {
                anyhow::bail!("ksflux not ready within 120s (log: {})", log.display());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// The sum of the metric samples whose line starts with `prefix` (name and labels).
    pub async fn metric(&self, prefix: &str) -> anyhow::Result<f64> {
        scrape(&self.http, &format!("{}/metrics", self.url), prefix).await
    }
}

/// The sum of the samples at the Prometheus endpoint `url` whose line starts with `prefix`
/// (name and labels): ksflux's own, or a Flux controller's.
pub async fn scrape(http: &reqwest::Client, url: &str, prefix: &str) -> anyhow::Result<f64> {
    let text = http.get(url).send().await?.text().await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}

/// A fake Node KWOK runs (the testbed's stages make it Ready), labelled `type: <kind>` so a
/// benchmark can remove its own: room for 110 more pods.
pub fn fake_node(name: &str, kind: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"type": kind, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "status": {"capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                   "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"}}
    })
}

/// Runs `program` with `args` then `--kubeconfig kubeconfig`, `runs` times; the timings and
/// the number of object lines of the last run's output (header and blank lines left out).
pub fn time_cli(
    program: &Path,
    args: &[&str],
    kubeconfig: &Path,
    runs: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut d = Vec::new();
    let mut lines = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new(program)
            .args(args)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", program.display()))?;
        d.push(start.elapsed());
        if !out.status.success() {
            bail!(
                "{} {} failed: {}",
                program.display(),
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        lines = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("NAMESPACE") && !l.starts_with("NAME "))
            .count();
    }
    Ok((d, lines))
}
