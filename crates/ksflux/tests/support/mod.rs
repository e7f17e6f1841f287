//! Shared support for the API integration tests: a ksflux server running in this process
//! against the real testbed, and an HTTP client that checks every response it receives for
//! the testbed's secret values.

#![allow(dead_code)]

pub mod cases;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use k8s_openapi::{ByteString, api::core::v1::Secret};
use ksflux::{
    auth::Authenticator,
    clusters::{CLUSTER_LABEL, Clusters, KUBECONFIG_KEY},
    history::{Config as HistoryConfig, History, Store},
    http::{ApiContext, app},
};
use ksflux_testbed::{Testbed, create_namespace, unique_name};
use kube::{
    Api,
    api::{ObjectMeta, PostParams},
    config::KubeConfigOptions,
};
use serde_json::Value;

/// A ksflux server for one test.
pub struct Server {
    /// `http://127.0.0.1:port`.
    pub url: String,
    /// ksflux's namespace on the host (member kubeconfig Secrets).
    pub namespace: String,
    /// The testbed.
    pub tb: &'static Testbed,
    /// Values no response may ever contain.
    pub secrets: Arc<Vec<String>>,
    /// The server's cluster registry.
    pub clusters: Clusters,
    /// The address it listens on.
    pub addr: SocketAddr,
    tasks: Vec<tokio::task::AbortHandle>,
    http: reqwest::Client,
}

/// Prefixes of the namespaces the history tests create (their servers keep Providers there only).
pub const HISTORY_NAMESPACES: &[&str] = &["hist-", "hhist-", "rback-"];

/// The ClusterRole (Secrets only) the chart lets ksflux bind to itself per namespace.
pub const PROJECT_ROLE: &str = "ksflux-project";

/// The kubeconfig of ksflux's in-cluster identity on the host: the chart's ServiceAccount and
/// RBAC applied, and a TokenRequest token of it, nothing else (`scripts/chart-identity`). The
/// servers and the controller of the tests run as it, so every suite checks that the chart's
/// permissions are enough.
pub fn identity_kubeconfig(tb: &Testbed) -> std::path::PathBuf {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/chart-identity");
        let out = std::process::Command::new(&script)
            .arg(&tb.info.state_dir)
            .output()
            .expect("run scripts/chart-identity");
        assert!(
            out.status.success(),
            "scripts/chart-identity: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

/// ksflux's client configuration for the host, as its in-cluster identity.
pub async fn identity_config(tb: &Testbed) -> kube::Config {
    let path = identity_kubeconfig(tb);
    let kc = kube::config::Kubeconfig::read_from(&path).expect("the identity kubeconfig");
    kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("the identity config")
}

/// Creates a namespace for ksflux's cluster registry and registers every testbed member in
/// it through a labelled kubeconfig Secret; returns the namespace. ksflux may use Secrets
/// there as it may in its own namespace once installed.
pub async fn register_members(tb: &Testbed, host: &kube::Client, prefix: &str) -> String {
    register_members_with(tb, host, prefix, &[]).await
}

/// As [`register_members`], with the members in `agent` registered in agent mode.
pub async fn register_members_with(
    tb: &Testbed,
    host: &kube::Client,
    prefix: &str,
    agent: &[&str],
) -> String {
    let namespace = create_namespace(host, &unique_name(prefix)).await;
    let binding: k8s_openapi::api::rbac::v1::RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "ksflux-registry", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": PROJECT_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": "ksflux", "namespace": "ksflux-system"}]
    }))
    .expect("a RoleBinding");
    Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(host.clone(), &namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("bind ksflux in its registry namespace");
    let secrets: Api<Secret> = Api::namespaced(host.clone(), &namespace);
    for member in tb.members() {
        let kc = std::fs::read(&tb.cluster(member).kubeconfig).unwrap_or_default();
        let s = Secret {
            metadata: ObjectMeta {
                name: Some(format!("cluster-{member}")),
                labels: Some([(CLUSTER_LABEL.to_string(), member.to_string())].into()),
                annotations: agent
                    .contains(&member)
                    .then(|| [(ksflux::clusters::MODE_ANNOTATION.to_string(), "agent".to_string())].into()),
                ..Default::default()
            },
            data: Some([(KUBECONFIG_KEY.to_string(), ByteString(kc))].into()),
            ..Default::default()
        };
        secrets
            .create(&PostParams::default(), &s)
            .await
            .expect("member secret");
    }
    namespace
}

/// A response: status and JSON body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Parsed body (`Null` when empty or not JSON).
    pub body: Value,
    /// The raw body.
    pub text: String,
}

impl Server {
    /// Starts ksflux against the testbed's host, with every member registered through a
    /// labelled Secret in a namespace of its own, and `trusted` as trusted proxies.
    pub async fn start_with(trusted: Vec<ksflux::auth::TrustedProxy>) -> Server {
        Self::start_full(trusted, None, None).await
    }

    /// Starts ksflux keeping history in `store`, on `addr` (`127.0.0.1:0` for any port),
    /// with its own notification Providers pointing at it.
    pub async fn start_with_history(store: Store, addr: SocketAddr) -> Server {
        Self::start_full(Vec::new(), Some((store, addr)), None).await
    }

    /// Starts ksflux reaching the host's apiserver at `host_url` (a proxy in front of it).
    pub async fn start_through(host_url: &str) -> Server {
        Self::start_full(Vec::new(), None, Some(host_url)).await
    }

    async fn start_full(
        trusted: Vec<ksflux::auth::TrustedProxy>,
        history: Option<(Store, SocketAddr)>,
        host_url: Option<&str>,
    ) -> Server {
        let tb = Testbed::shared();
        let host = tb.client("host").await;
        let namespace = register_members(tb, &host, "ksflux").await;
        let mut config = identity_config(tb).await;
        if let Some(url) = host_url {
            config.cluster_url = url.parse().expect("the host's URL");
        }
        let clusters = Clusters::new(config, namespace.clone())
            .expect("clusters")
            .with_platform(platform());
        clusters.refresh().await;
        let own = clusters.host().client();
        let bind = history
            .as_ref()
            .map(|(_, a)| *a)
            .unwrap_or_else(|| "127.0.0.1:0".parse().expect("address"));
        let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let fleet = ksflux::status::Fleet::start(clusters.clone());
        // The registry kept current as `ksflux serve` keeps it: by watch, with heartbeats.
        let mut tasks = vec![tokio::spawn(clusters.clone().run(Duration::from_secs(30))).abort_handle()];
        let history = match history {
            Some((store, _)) => {
                let config = HistoryConfig {
                    data_dir: std::env::temp_dir(),
                    database_url: None,
                    events_url: Some(url.clone()),
                    retention_days: 30,
                    max_releases: 1000,
                };
                let h = History::with_store(store, config, Some(fleet.clone()))
                    .await
                    .expect("history");
                tasks.push(
                    // Only the history tests' own namespaces: other suites running at the
                    // same time count the objects of theirs.
                    tokio::spawn(ksflux::history::notify::run_where(
                        h.clone(),
                        fleet.clone(),
                        clusters.clone(),
                        Some(PROJECT_ROLE.into()),
                        |_, ns| HISTORY_NAMESPACES.iter().any(|p| ns.starts_with(p)),
                    ))
                    .abort_handle(),
                );
                Some(h)
            }
            None => None,
        };
        let ctx = ApiContext {
            clusters: clusters.clone(),
            metrics: Default::default(),
            ready: Arc::new(true.into()),
            fleet,
            artifacts: ksflux::sources::ArtifactPolicy::with_storage(std::slice::from_ref(
                &tb.info.flux.storage_url,
            ))
            .expect("storage address"),
            direct_reads: false,
            // The testbed's git server, for image automation's commits.
            git_hosts: ksflux::images::setup::GitHosts(vec![
                tb.info.fixtures.git_url.trim_start_matches("http://").to_string(),
            ]),
            history,
            receiver_url: Some(tb.info.flux.receiver_url.clone()),
        };
        let router = app(ctx, Authenticator::new(own, trusted), None);
        tasks.push(
            tokio::spawn(async move {
                let _ = axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await;
            })
            .abort_handle(),
        );
        let f = &tb.info.fixtures;
        let mut secrets = vec![f.password.clone(), f.s3_secret_key.clone()];
        secrets.extend(tb.info.users.values().cloned());
        Server {
            url,
            addr,
            namespace,
            tb,
            secrets: Arc::new(secrets),
            clusters,
            tasks,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(150))
                .build()
                .expect("http client"),
        }
    }

    /// Stops serving (the listener closes; the history store is released).
    pub fn stop(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Sends a raw body to `path` with `headers` and no token.
    pub async fn post_raw(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let mut req = self.http.post(format!("{}{path}", self.url)).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish("POST", path, req).await
    }

    /// Creates GitRepository `demo` in `ns`, following branch `main` of the testbed's git
    /// repository `repo` with the fixture's credentials.
    pub async fn git_source(&self, ns: &str, repo: &str) {
        let f = &self.tb.info.fixtures;
        let r = self
            .post(
                "admin",
                &path(ns, "gitrepositories"),
                &serde_json::json!({
                "metadata": {"name": "demo"},
                "spec": {"url": self.tb.git_repo_url(repo), "interval": "1m", "ref": {"branch": "main"}},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// Starts ksflux trusting no proxy.
    pub async fn start() -> Server {
        Self::start_with(Vec::new()).await
    }

    /// Sends a request as `user` (a testbed user, or "" for none) and checks the response
    /// holds none of the testbed's secret values.
    pub async fn call(&self, user: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let url = format!("{}{path}", self.url);
        let mut req = self.http.request(method.parse().expect("method"), &url);
        if !user.is_empty() {
            req = req.bearer_auth(self.tb.token(user));
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        self.finish(method, path, req).await
    }

    /// Sends a request with raw headers and no token.
    pub async fn call_with_headers(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .http
            .request(method.parse().expect("method"), format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(method, path, req).await
    }

    async fn finish(&self, method: &str, path: &str, req: reqwest::RequestBuilder) -> Reply {
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        for s in self.secrets.iter() {
            assert!(
                !text.contains(s.as_str()),
                "{method} {path} returned a secret value in its body"
            );
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    /// `GET` as `user`.
    pub async fn get(&self, user: &str, path: &str) -> Reply {
        self.call(user, "GET", path, None).await
    }

    /// `POST` as `user`.
    pub async fn post(&self, user: &str, path: &str, body: &Value) -> Reply {
        self.call(user, "POST", path, Some(body)).await
    }

    /// `PUT` as `user`.
    pub async fn put(&self, user: &str, path: &str, body: &Value) -> Reply {
        self.call(user, "PUT", path, Some(body)).await
    }

    /// `DELETE` as `user`.
    pub async fn delete(&self, user: &str, path: &str) -> Reply {
        self.call(user, "DELETE", path, None).await
    }
}

/// The API path of a namespaced collection.
pub fn path(ns: &str, resource: &str) -> String {
    format!("/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{ns}/{resource}")
}

/// Installs (or updates) the Application CRD on the host and waits until it is established.
pub async fn install_application_crd(host: &kube::Client) {
    let crds: Api<
        k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    > = Api::all(host.clone());
    let crd = <ksflux::applications::Application as kube::CustomResourceExt>::crd();
    crds.patch(
        "applications.fluxcd.kubesphere.io",
        &kube::api::PatchParams::apply("ksflux-test").force(),
        &kube::api::Patch::Apply(&crd),
    )
    .await
    .expect("install the Application CRD");
    ksflux_testbed::wait_for("Application CRD established", Duration::from_secs(30), || async {
        let c = crds
            .get("applications.fluxcd.kubesphere.io")
            .await
            .map_err(|e| e.to_string())?;
        let established = c
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        if established {
            Ok(())
        } else {
            Err("not established".into())
        }
    })
    .await;
}

/// The host namespace of platform-level applications in the tests' ksflux.
pub const PLATFORM_NAMESPACE: &str = "ksflux-platform-apps";

/// The tests' platform setting: [`PLATFORM_NAMESPACE`], deploying as `cluster-admin`.
pub fn platform() -> ksflux::platform::Platform {
    ksflux::platform::Platform::new(Some(PLATFORM_NAMESPACE.into()), None)
}

/// Installs the Application CRD and runs one Application controller for this test process,
/// on a runtime of its own (so it outlives any single test). Members are registered for it
/// through labelled Secrets in a namespace of its own, which it follows by watch (with a full
/// refresh every 3 seconds).
pub fn start_controller() {
    start_controller_with(&[]);
}

/// As [`start_controller`], the members in `agent` registered in agent mode (the first call
/// in a process decides).
pub fn start_controller_with(agent: &'static [&'static str]) {
    static STARTED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    STARTED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async move {
                let tb = Testbed::shared();
                let host = tb.client("host").await;
                install_application_crd(&host).await;
                let namespace = register_members_with(tb, &host, "ksflux-ctrl", agent).await;
                let config = identity_config(tb).await;
                let clusters = Clusters::new(config, namespace)
                    .expect("clusters")
                    .with_platform(platform());
                clusters.refresh().await;
                let _ = tx.send(());
                tokio::spawn(clusters.clone().run(Duration::from_secs(3)));
                // With the image follower, as `ksflux serve` runs them (no audit log here).
                let result = tokio::select! {
                    r = ksflux::applications::controller::run(
                        clusters.clone(),
                        Some(PROJECT_ROLE.into()),
                        ksflux::applications::controller::CONCURRENCY,
                    ) => r,
                    r = ksflux::distribution::run(clusters.clone(), Some(PROJECT_ROLE.into()), Duration::from_secs(3)) => r,
                    r = ksflux::image_updates::run(clusters, None) => r,
                };
                if let Err(e) = result {
                    panic!("application controller: {e:#}");
                }
            });
        });
        rx.recv_timeout(Duration::from_secs(180))
            .expect("the application controller started");
    });
}

/// A Server-Sent Events client.
pub struct Events {
    res: reqwest::Response,
    buf: String,
}

impl Events {
    /// Subscribes to `/status/events{query}` as `user`.
    pub async fn open(s: &Server, user: &str, query: &str) -> Events {
        Self::open_path(
            s,
            user,
            &format!("/kapis/fluxcd.kubesphere.io/v1alpha1/status/events{query}"),
        )
        .await
    }

    /// Subscribes to the event stream at `path` as `user`.
    pub async fn open_path(s: &Server, user: &str, path: &str) -> Events {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", s.url))
            .bearer_auth(s.tb.token(user))
            .send()
            .await
            .expect("subscribe");
        assert_eq!(res.status(), 200);
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Events {
            res,
            buf: String::new(),
        }
    }

    /// The next event's name (`message` when unnamed) and data, within `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = "message".to_string();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !data.is_empty() {
                    return Some((name, serde_json::from_str(&data).unwrap_or(Value::String(data))));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads events until `want` matches one, failing after `timeout`; returns those before it.
    pub async fn until(&mut self, timeout: Duration, want: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some((_, data)) if want(&data) => return (data, before),
                Some((_, data)) => before.push(data),
                None => panic!("no matching event within {timeout:?}; saw {before:?}"),
            }
        }
    }
}

/// A throwaway PostgreSQL cluster on loopback (Debian's `postgresql` package): `initdb` into a
/// temporary directory, `pg_ctl` on a free port, trust authentication for the user `ksflux`.
/// Run as the `postgres` user when the tests run as root (PostgreSQL refuses root). Stopped
/// and removed when dropped.
pub struct Postgres {
    /// `postgres://ksflux@127.0.0.1:<port>/postgres`.
    pub url: String,
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    as_postgres: bool,
}

fn pg_bin() -> std::path::PathBuf {
    let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.retain(|d: &std::path::PathBuf| d.join("pg_ctl").exists());
    dirs.sort();
    dirs.pop()
        .expect("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
}

impl Postgres {
    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a new cluster.
    pub fn start() -> Postgres {
        let uid = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(unique_name("ksflux-pg"));
        std::fs::create_dir_all(&dir).expect("pg dir");
        let as_postgres = uid == "0";
        if as_postgres {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the PostgreSQL directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = Postgres {
            url: format!("postgres://ksflux@127.0.0.1:{port}/postgres"),
            bin: pg_bin(),
            dir,
            as_postgres,
        };
        let data = pg.dir.join("data");
        let data = data.to_string_lossy();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "ksflux",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let opts = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
            pg.dir.display()
        );
        let log = pg.dir.join("postgres.log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-l",
                &log.to_string_lossy(),
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        pg
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let _ = cmd
            .args(["-D", &data.to_string_lossy(), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the testbed's lightweight extra member `name` (number `index`: a kube-apiserver of
/// its own, no workloads) and registers it in this test's server and in the controller's registry, as
/// an operator adds a cluster. Returns a client for it and the registry namespaces.
pub async fn add_extra_member(s: &Server, name: &str, index: u8) -> (kube::Client, Vec<String>) {
    let (path, client) = s.tb.extra_member(name, index).await.expect("the extra member");
    let kubeconfig = std::fs::read(&path).expect("the extra member's kubeconfig");
    let host = s.tb.client("host").await;
    let lp = kube::api::ListParams::default().labels("fluxcd.kubesphere.io/cluster=member-1");
    let mut namespaces: Vec<String> = Api::<Secret>::all(host.clone())
        .list(&lp)
        .await
        .expect("registration Secrets")
        .items
        .into_iter()
        .filter_map(|x| x.metadata.namespace)
        .filter(|ns| ns.starts_with("ksflux-ctrl") || *ns == s.namespace)
        .collect();
    namespaces.dedup();
    for ns in &namespaces {
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("cluster-{name}"), "labels": {"fluxcd.kubesphere.io/cluster": name}},
            "data": {"kubeconfig": k8s_openapi::ByteString(kubeconfig.clone())},
        }))
        .expect("a registration Secret");
        let api = Api::<Secret>::namespaced(host.clone(), ns);
        let _ = api.delete(&format!("cluster-{name}"), &Default::default()).await;
        api.create(&Default::default(), &secret)
            .await
            .expect("register the extra member");
    }
    s.clusters.refresh().await;
    (client, namespaces)
}

/// Unregisters the extra member `name` from `namespaces` and stops it.
pub async fn remove_extra_member(s: &Server, name: &str, namespaces: &[String]) {
    let host = s.tb.client("host").await;
    for ns in namespaces {
        let _ = Api::<Secret>::namespaced(host.clone(), ns)
            .delete(&format!("cluster-{name}"), &Default::default())
            .await;
    }
    s.clusters.refresh().await;
    s.tb.stop_extra_member(name).expect("stop the extra member");
}

// ---------------------------------------------------------------------------------------------
// Applications: a project namespace, paths, waiting for a state, the Helm fixture repository.

/// How long an application test waits for Flux.
pub const APP_WAIT: Duration = Duration::from_secs(180);

/// A new project namespace on the host.
pub async fn project(s: &Server) -> String {
    create_namespace(&s.tb.client("host").await, &unique_name("proj")).await
}

/// The applications path of namespace `ns`.
pub fn apps(ns: &str) -> String {
    path(ns, "applications")
}

/// Waits until application `name` satisfies `ok` (`what` names the wait).
pub async fn wait_app(s: &Server, ns: &str, name: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let p = format!("{}/{name}", apps(ns));
    ksflux_testbed::wait_for(&format!("application {name}: {what}"), APP_WAIT, || async {
        let r = s.get("admin", &p).await;
        if r.status == 200 && ok(&r.body) {
            Ok(r.body)
        } else {
            Err(format!("{} {}", r.status, r.body["status"]))
        }
    })
    .await
}

/// Whether an application reports `n` of `n` targets ready.
pub fn all_ready(app: &Value, n: u64) -> bool {
    app["status"]["summary"]["ready"] == n
        && app["status"]["summary"]["total"] == n
        && app["summary"]["state"] == "ready"
}

/// A HelmRepository `demo` in `ns` pointing at the testbed's Helm fixture, with its credentials.
pub async fn helm_repository(s: &Server, ns: &str) {
    let f = &s.tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(ns, "helmrepositories"),
            &serde_json::json!({
            "metadata": {"name": "demo"}, "spec": {"url": f.helm_url, "interval": "1m"},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Freezes a process (SIGSTOP) until dropped (SIGCONT), so a failing test never leaves the
/// cluster frozen.
pub struct Frozen(String);

impl Frozen {
    /// Stops process `pid`.
    pub fn new(pid: String) -> Frozen {
        let ok = std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "could not stop process {pid}");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0])
            .status();
    }
}
