//! Test harness for the local testbed: real etcd, kube-apiserver, kube-controller-manager and
//! Flux controllers built from Go modules (see `testbed/` at the repository root).
//!
//! [`Testbed::shared`] reuses a running testbed or starts one with `testbed/up` (under a file
//! lock, so parallel test binaries never start two). One testbed serves a whole test run;
//! tests isolate themselves with their own namespaces ([`unique_name`]).

use std::{
    collections::BTreeMap,
    fs::File,
    future::Future,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, Config,
    api::{DeleteParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde::Deserialize;

/// What `testbed/up` wrote to `testbed.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct TestbedInfo {
    /// The state directory (logs, pids, kubeconfigs, data).
    pub state_dir: PathBuf,
    /// Where the built binaries are.
    pub bin_dir: PathBuf,
    /// The first of the 100 loopback ports the testbed uses.
    pub port_base: u16,
    /// The CA that signed every apiserver's serving certificate.
    pub ca_file: PathBuf,
    /// Host first, then the members.
    pub clusters: Vec<ClusterInfo>,
    /// Static bearer tokens by user name (`admin`, `alice`, `bob`, `carol`).
    pub users: BTreeMap<String, String>,
    /// The fixture servers.
    pub fixtures: Fixtures,
    /// Where the Flux controllers listen.
    pub flux: FluxInfo,
}

/// One cluster of the testbed.
#[derive(Clone, Debug, Deserialize)]
pub struct ClusterInfo {
    /// `host`, `member-1`, ...
    pub name: String,
    /// The apiserver URL.
    pub server: String,
    /// Admin kubeconfig path.
    pub kubeconfig: PathBuf,
    /// Pid file of the cluster's etcd.
    pub etcd_pid_file: PathBuf,
    /// Pid file of the cluster's kube-apiserver.
    pub apiserver_pid_file: PathBuf,
    /// Log of the cluster's kube-apiserver.
    pub apiserver_log: PathBuf,
}

/// The fixture servers and the credentials they require.
#[derive(Clone, Debug, Deserialize)]
pub struct Fixtures {
    /// Base URL of the smart-HTTP git server; repositories are `<git_url>/<name>.git`.
    pub git_url: String,
    /// URL of the Helm chart repository.
    pub helm_url: String,
    /// `host:port` of the OCI registry (plain HTTP).
    pub registry: String,
    /// `host:port` of the S3 store.
    pub s3_endpoint: String,
    /// The seeded bucket.
    pub s3_bucket: String,
    /// Basic-auth user of git, Helm and the registry.
    pub user: String,
    /// Basic-auth password of git, Helm and the registry.
    pub password: String,
    /// S3 access key.
    pub s3_access_key: String,
    /// S3 secret key.
    pub s3_secret_key: String,
}

/// Where the Flux controllers listen.
#[derive(Clone, Debug, Deserialize)]
pub struct FluxInfo {
    /// The namespace Flux runs for (`flux-system`).
    pub namespace: String,
    /// notification-controller's event listener.
    pub events_url: String,
    /// notification-controller's webhook receiver server.
    pub receiver_url: String,
    /// source-controller's artifact server.
    pub storage_url: String,
}

/// A running testbed.
#[derive(Debug)]
pub struct Testbed {
    /// Its description.
    pub info: TestbedInfo,
}

/// The repository's `testbed/` directory.
pub fn testbed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testbed")
}

fn state_dir() -> PathBuf {
    if let Ok(d) = std::env::var("KSFLUX_TESTBED_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var("KSFLUX_TESTBED_CACHE").map(PathBuf::from).unwrap_or_else(|_| {
        std::env::var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache"))
            .join("ksflux-testbed")
    });
    cache.join("run")
}

impl Testbed {
    /// The testbed of this test run: reused when healthy, otherwise started (which builds
    /// missing binaries first). Panics with the failing component and its log when it cannot.
    pub fn shared() -> &'static Testbed {
        static TESTBED: OnceLock<Testbed> = OnceLock::new();
        TESTBED.get_or_init(|| match Self::start() {
            Ok(t) => t,
            Err(e) => panic!("testbed unavailable: {e:#}"),
        })
    }

    fn start() -> anyhow::Result<Testbed> {
        let state = state_dir();
        std::fs::create_dir_all(state.parent().unwrap_or(&state))?;
        let lock_path = state.with_extension("lock");
        let lock = File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
        lock.lock().context("locking the testbed")?;
        let dir = testbed_dir();
        let out = Command::new(dir.join("up"))
            .env("KSFLUX_TESTBED_DIR", &state)
            .output()
            .context("running testbed/up")?;
        if !out.status.success() {
            bail!("testbed/up failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        let json = state.join("testbed.json");
        let info: TestbedInfo = serde_json::from_slice(
            &std::fs::read(&json).with_context(|| format!("reading {}", json.display()))?,
        )?;
        drop(lock);
        Ok(Testbed { info })
    }

    /// The cluster called `name`; panics if the testbed has none.
    pub fn cluster(&self, name: &str) -> &ClusterInfo {
        self.info
            .clusters
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("the testbed has no cluster {name}"))
    }

    /// Names of the member clusters.
    pub fn members(&self) -> Vec<&str> {
        self.info.clusters.iter().skip(1).map(|c| c.name.as_str()).collect()
    }

    /// The bearer token of a static user.
    pub fn token(&self, user: &str) -> &str {
        self.info.users.get(user).map(String::as_str).unwrap_or_else(|| panic!("no testbed user {user}"))
    }

    /// The admin kubeconfig of a cluster.
    pub fn kubeconfig(&self, cluster: &str) -> Kubeconfig {
        self.kubeconfig_as(cluster, "admin")
    }

    /// The kubeconfig of a cluster for a static user.
    pub fn kubeconfig_as(&self, cluster: &str, user: &str) -> Kubeconfig {
        let path = self.cluster(cluster).kubeconfig.clone();
        let mut kc = Kubeconfig::read_from(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if user != "admin" {
            for a in &mut kc.auth_infos {
                if let Some(info) = a.auth_info.as_mut() {
                    info.token = Some(self.token(user).to_string().into());
                }
            }
        }
        kc
    }

    /// A client for `cluster` as the admin.
    pub async fn client(&self, cluster: &str) -> Client {
        self.client_as(cluster, "admin").await
    }

    /// A client for `cluster` as a static user.
    pub async fn client_as(&self, cluster: &str, user: &str) -> Client {
        let kc = self.kubeconfig_as(cluster, user);
        let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .unwrap_or_else(|e| panic!("kubeconfig of {cluster}: {e}"));
        Client::try_from(cfg).unwrap_or_else(|e| panic!("client for {cluster}: {e}"))
    }

    /// The URL of a git repository on the fixture server.
    pub fn git_repo_url(&self, repo: &str) -> String {
        format!("{}/{repo}.git", self.info.fixtures.git_url)
    }

    /// The same URL with the fixture credentials in it, for pushing with the git CLI.
    pub fn git_push_url(&self, repo: &str) -> String {
        let f = &self.info.fixtures;
        let rest = f.git_url.trim_start_matches("http://");
        format!("http://{}:{}@{rest}/{repo}.git", f.user, f.password)
    }

    /// The path of a component's log, for failure messages.
    pub fn log_path(&self, component: &str) -> PathBuf {
        self.info.state_dir.join("logs").join(format!("{component}.log"))
    }
}

/// A name unique to this process and call, for namespaces and objects of one test.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000)
        .unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id() % 10_000)
}

/// Creates a namespace (admin) and returns its name.
pub async fn create_namespace(client: &Client, name: &str) -> String {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: kube::api::ObjectMeta { name: Some(name.to_string()), ..Default::default() },
        ..Default::default()
    };
    api.create(&PostParams::default(), &ns).await.unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
    name.to_string()
}

/// Deletes a namespace, not waiting for it to go.
pub async fn delete_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let _ = api.delete(name, &DeleteParams::default()).await;
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what` and the
/// last value seen (so a failed wait says what was wrong, never hangs).
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    let mut last = String::from("not checked yet");
    loop {
        match check().await {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
