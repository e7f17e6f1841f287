//! Test harness for the local testbed: real etcd, kube-apiserver, kube-controller-manager and
//! Flux controllers built from Go modules (see `testbed/` at the repository root).
//!
//! [`Testbed::shared`] reuses a running testbed or starts one with `testbed/up` (under a file
//! lock, so parallel test binaries never start two). One testbed serves a whole test run;
//! tests isolate themselves with their own namespaces ([`unique_name`]).

use std::{
    collections::BTreeMap,
    future::Future,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, Config,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams},
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
    /// How many member clusters run.
    pub members: usize,
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
    /// The fake nodes' runner and its failure triggers.
    pub kwok: KwokInfo,
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
    /// Names of the cluster's fake nodes (run by KWOK), where its pods are scheduled.
    pub nodes: Vec<String>,
    /// Log of the cluster's KWOK (which plays the pods' lifecycle).
    pub kwok_log: PathBuf,
    /// Log of the cluster's kube-scheduler.
    pub scheduler_log: PathBuf,
}

/// KWOK, which runs every cluster's fake nodes and their pods (see `testbed/README.md`).
#[derive(Clone, Debug, Deserialize)]
pub struct KwokInfo {
    /// The KWOK release.
    pub version: String,
    /// Where the stages KWOK runs with are.
    pub stages_dir: PathBuf,
    /// The pod annotation whose value, one of `fail_triggers`, makes every container fail.
    pub fail_annotation: String,
    /// The image tags (and annotation values) that make a container fail: `never-ready`,
    /// `crash-loop`, `image-pull`.
    pub fail_triggers: Vec<String>,
}

/// The fixture servers and the credentials they require.
#[derive(Clone, Debug, Deserialize)]
pub struct Fixtures {
    /// Base URL of the smart-HTTP git server; repositories are `<git_url>/<name>.git`.
    pub git_url: String,
    /// The directory holding the git server's bare repositories.
    pub git_root: PathBuf,
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

/// The repository's `testbed/` directory: found from the working directory (cargo runs tests
/// in their package's directory), so a build reused from another checkout still finds this
/// one's; else beside this crate's sources.
pub fn testbed_dir() -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            cwd.ancestors()
                .map(|d| d.join("testbed"))
                .find(|d| d.join("up").is_file())
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testbed"))
}

fn state_dir() -> PathBuf {
    if let Ok(d) = std::env::var("KSFLUX_TESTBED_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var("KSFLUX_TESTBED_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
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
        // testbed/up serialises concurrent callers itself (a lock beside the state directory)
        // and reuses a healthy testbed, so every test binary may call it.
        let out = Command::new(testbed_dir().join("up"))
            .env("KSFLUX_TESTBED_DIR", &state)
            .output()
            .context("running testbed/up")?;
        if !out.status.success() {
            bail!("testbed/up failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        let json = state.join("testbed.json");
        let info: TestbedInfo = serde_json::from_slice(
            &std::fs::read(&json).with_context(|| format!("reading {}", json.display()))?,
        )
        .with_context(|| format!("parsing {}", json.display()))?;
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
        self.info
            .clusters
            .iter()
            .skip(1)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The bearer token of a static user.
    pub fn token(&self, user: &str) -> &str {
        self.info
            .users
            .get(user)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no testbed user {user}"))
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

    /// Starts (or reuses) the lightweight extra member `name` beside this testbed
    /// (`testbed/extra-member`: a kube-apiserver of its own on the host's etcd, no workloads),
    /// its port chosen by `index` (0..9); returns its admin kubeconfig's path and a client.
    pub async fn extra_member(&self, name: &str, index: u8) -> anyhow::Result<(PathBuf, Client)> {
        let out = Command::new(testbed_dir().join("extra-member"))
            .env("KSFLUX_TESTBED_DIR", state_dir())
            .args([name, &index.to_string()])
            .output()
            .context("running testbed/extra-member")?;
        if !out.status.success() {
            bail!(
                "testbed/extra-member failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let kc = Kubeconfig::read_from(&path)?;
        let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
        Ok((path, Client::try_from(cfg)?))
    }

    /// Stops the extra member `name` (see [`Testbed::extra_member`]).
    pub fn stop_extra_member(&self, name: &str) -> anyhow::Result<()> {
        let out = Command::new(testbed_dir().join("extra-member"))
            .env("KSFLUX_TESTBED_DIR", state_dir())
            .args(["--stop", name])
            .output()
            .context("running testbed/extra-member --stop")?;
        if !out.status.success() {
            bail!(
                "testbed/extra-member --stop failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
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
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    api.create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
    name.to_string()
}

/// The ServiceAccount tests name in `spec.serviceAccountName` of their Kustomizations and
/// HelmReleases. The testbed's Flux runs with its multi-tenancy lockdown: an object naming no
/// ServiceAccount runs as its namespace's `default`, which may do nothing.
pub const APPLIER: &str = "flux-applier";

/// Lets Flux objects in namespace `ns` apply into namespace `target` of the cluster `client`
/// reaches (the host, or a member they reach through `spec.kubeConfig`): there, the namespace
/// `ns` (created if missing) gets the ServiceAccount [`APPLIER`], bound to `admin` in `target`.
pub async fn grant_applier(client: &Client, ns: &str, target: &str) {
    apply(
        client,
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    )
    .await;
    apply(
        client,
        serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": APPLIER, "namespace": ns}}),
    )
    .await;
    apply(
        client,
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": format!("{APPLIER}-{ns}"), "namespace": target},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [{"kind": "ServiceAccount", "name": APPLIER, "namespace": ns}]}),
    )
    .await;
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
    loop {
        let last = match check().await {
            Ok(v) => return v,
            Err(e) => e,
        };
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The Flux kinds the testbed runs, as dynamic API resources (group, served version, plural).
/// Panics for a kind it does not know.
pub fn flux_resource(kind: &str) -> ApiResource {
    let (group, version, plural) = match kind {
        "GitRepository" => ("source.toolkit.fluxcd.io", "v1", "gitrepositories"),
        "HelmRepository" => ("source.toolkit.fluxcd.io", "v1", "helmrepositories"),
        "HelmChart" => ("source.toolkit.fluxcd.io", "v1", "helmcharts"),
        "OCIRepository" => ("source.toolkit.fluxcd.io", "v1", "ocirepositories"),
        "Bucket" => ("source.toolkit.fluxcd.io", "v1", "buckets"),
        "ExternalArtifact" => ("source.toolkit.fluxcd.io", "v1", "externalartifacts"),
        "Kustomization" => ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations"),
        "HelmRelease" => ("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
        "Alert" => ("notification.toolkit.fluxcd.io", "v1beta3", "alerts"),
        "Provider" => ("notification.toolkit.fluxcd.io", "v1beta3", "providers"),
        "Receiver" => ("notification.toolkit.fluxcd.io", "v1", "receivers"),
        "ImageRepository" => ("image.toolkit.fluxcd.io", "v1", "imagerepositories"),
        "ImagePolicy" => ("image.toolkit.fluxcd.io", "v1", "imagepolicies"),
        "ImageUpdateAutomation" => ("image.toolkit.fluxcd.io", "v1", "imageupdateautomations"),
        other => panic!("not a Flux kind the testbed knows: {other}"),
    };
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// The Flux controller that reconciles `kind` (its log is `logs/<controller>.log`).
pub fn flux_controller(kind: &str) -> &'static str {
    match kind {
        "GitRepository" | "HelmRepository" | "HelmChart" | "OCIRepository" | "Bucket" => "source-controller",
        "Kustomization" => "kustomize-controller",
        "HelmRelease" => "helm-controller",
        "Alert" | "Provider" | "Receiver" => "notification-controller",
        "ImageRepository" | "ImagePolicy" => "image-reflector-controller",
        "ImageUpdateAutomation" => "image-automation-controller",
        _ => "kube-controller-manager",
    }
}

/// The API resource of a JSON object's `apiVersion` and `kind` (Flux kinds from the table
/// above, anything else with the conventional plural).
fn resource_of(obj: &serde_json::Value) -> ApiResource {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    if api_version.contains(".toolkit.fluxcd.io/") {
        return flux_resource(kind);
    }
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind))
}

/// A dynamic API for `ar`, namespaced when `namespace` is given.
pub fn dynamic_api(client: &Client, ar: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// Creates or updates `obj` (JSON with `apiVersion`, `kind`, `metadata.name` and, when
/// namespaced, `metadata.namespace`) by server-side apply; returns it as stored. Panics with
/// the apiserver's answer when refused.
pub async fn apply(client: &Client, obj: serde_json::Value) -> DynamicObject {
    let ar = resource_of(&obj);
    let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let ns = obj["metadata"]["namespace"].as_str().map(str::to_string);
    let api = dynamic_api(client, &ar, ns.as_deref());
    api.patch(
        &name,
        &PatchParams::apply("ksflux-testbed").force(),
        &Patch::Apply(&obj),
    )
    .await
    .unwrap_or_else(|e| panic!("applying {} {}/{name}: {e}", ar.kind, ns.unwrap_or_default()))
}

/// Reads an object; `Ok(None)` when it does not exist.
pub async fn get(
    client: &Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<DynamicObject>, kube::Error> {
    dynamic_api(client, ar, namespace).get_opt(name).await
}

/// `Ok` when a Flux object's `Ready` condition is `True` for its current generation;
/// otherwise says what it is instead.
pub fn ready(obj: &DynamicObject) -> Result<(), String> {
    let status = &obj.data["status"];
    let generation = obj.metadata.generation.unwrap_or(0);
    let observed = status["observedGeneration"].as_i64().unwrap_or(-1);
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    let Some(cond) = conditions.iter().find(|c| c["type"] == "Ready") else {
        return Err("no Ready condition yet".to_string());
    };
    let summary = format!(
        "Ready={} reason={} message={}",
        cond["status"].as_str().unwrap_or("?"),
        cond["reason"].as_str().unwrap_or("?"),
        cond["message"].as_str().unwrap_or("?")
    );
    if cond["status"] == "True" && observed >= generation {
        Ok(())
    } else {
        Err(format!(
            "{summary} (generation {generation}, observed {observed})"
        ))
    }
}

impl Testbed {
    /// Waits until the Flux object `kind` `namespace/name` on the host is Ready and returns
    /// it; on timeout panics with its last condition and its controller's log.
    pub async fn wait_ready(
        &self,
        client: &Client,
        kind: &str,
        namespace: &str,
        name: &str,
        timeout: Duration,
    ) -> DynamicObject {
        let ar = flux_resource(kind);
        let what = format!(
            "{kind} {namespace}/{name} to be Ready (log: {})",
            self.log_path(flux_controller(kind)).display()
        );
        wait_for(&what, timeout, || async {
            let obj = get(client, &ar, Some(namespace), name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "not found".to_string())?;
            ready(&obj)?;
            Ok(obj)
        })
        .await
    }

    /// A Secret (JSON, for [`apply`]) with the fixture servers' basic-auth credentials under
    /// `username`/`password`, as GitRepository and HelmRepository expect.
    pub fn basic_auth_secret(&self, namespace: &str, name: &str) -> serde_json::Value {
        let f = &self.info.fixtures;
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "stringData": {"username": f.user, "password": f.password},
        })
    }

    /// A `kubernetes.io/dockerconfigjson` Secret for the fixture registry.
    pub fn registry_secret(&self, namespace: &str, name: &str) -> serde_json::Value {
        let f = &self.info.fixtures;
        let auth = BASE64.encode(format!("{}:{}", f.user, f.password));
        let config = serde_json::json!({"auths": {f.registry.clone(): {
            "username": f.user, "password": f.password, "auth": auth}}});
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "kubernetes.io/dockerconfigjson",
            "stringData": {".dockerconfigjson": config.to_string()},
        })
    }

    /// Pushes image `from_repo:from_tag` of the fixture registry again as `to_repo:to_tag`
    /// (its blobs copied, its manifest re-tagged): a new tag appears as a CI would push one.
    pub async fn push_image_tag(
        &self,
        from_repo: &str,
        from_tag: &str,
        to_repo: &str,
        to_tag: &str,
    ) -> anyhow::Result<()> {
        let f = &self.info.fixtures;
        let base = format!("http://{}/v2", f.registry);
        let http = reqwest::Client::new();
        let auth = |r: reqwest::RequestBuilder| r.basic_auth(&f.user, Some(&f.password));
        let accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let res = auth(http.get(format!("{base}/{from_repo}/manifests/{from_tag}")))
            .header("accept", accept)
            .send()
            .await?
            .error_for_status()?;
        let media = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/vnd.oci.image.manifest.v1+json")
            .to_string();
        let manifest = res.bytes().await?;
        let parsed: serde_json::Value = serde_json::from_slice(&manifest)?;
        let mut digests: Vec<String> = parsed["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["digest"].as_str().map(str::to_string))
            .collect();
        digests.extend(parsed["config"]["digest"].as_str().map(str::to_string));
        for d in digests {
            let blob = auth(http.get(format!("{base}/{from_repo}/blobs/{d}")))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            let start = auth(http.post(format!("{base}/{to_repo}/blobs/uploads/")))
                .send()
                .await?
                .error_for_status()?;
            let location = start
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| anyhow::anyhow!("the registry gave no upload location"))?
                .to_string();
            let url = if location.starts_with("http") {
                location
            } else {
                format!("http://{}{location}", f.registry)
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            auth(http.put(format!("{url}{sep}digest={d}")))
                .header("content-type", "application/octet-stream")
                .body(blob)
                .send()
                .await?
                .error_for_status()?;
        }
        auth(http.put(format!("{base}/{to_repo}/manifests/{to_tag}")))
            .header("content-type", media)
            .body(manifest)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// A Secret with the S3 store's access keys, as a generic Bucket expects.
    pub fn s3_secret(&self, namespace: &str, name: &str) -> serde_json::Value {
        let f = &self.info.fixtures;
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "stringData": {"accesskey": f.s3_access_key, "secretkey": f.s3_secret_key},
        })
    }

    /// A Secret holding a member's admin kubeconfig under `value`, for
    /// `spec.kubeConfig.secretRef` (the same content as `flux-system/<member>-kubeconfig`).
    pub fn member_kubeconfig_secret(&self, member: &str, namespace: &str, name: &str) -> serde_json::Value {
        let path = &self.cluster(member).kubeconfig;
        let kc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "stringData": {"value": kc},
        })
    }

    /// A git repository `name` of a test's own, seeded with the sample repository `demo`:
    /// the working copy it was pushed from (on `main`, its remote the sample).
    pub fn own_git_repo(&self, name: &str) -> anyhow::Result<PathBuf> {
        self.create_git_repo(name)?;
        let work = std::env::temp_dir().join(unique_name("work"));
        git(
            &["clone", "-q", &self.git_push_url("demo"), &work.to_string_lossy()],
            None,
        )?;
        git(&["push", "-q", &self.git_push_url(name), "main"], Some(&work))?;
        Ok(work)
    }

    /// Creates an empty bare repository `<name>.git` on the git server (whose default branch
    /// is `main`) and returns its URL. Push to it with [`Testbed::git_push_url`].
    pub fn create_git_repo(&self, name: &str) -> anyhow::Result<String> {
        let dir = self.info.fixtures.git_root.join(format!("{name}.git"));
        git(
            &["init", "-q", "--bare", "-b", "main", &dir.to_string_lossy()],
            None,
        )?;
        Ok(self.git_repo_url(name))
    }
}

/// Runs the git CLI (in `dir` when given) with a two-minute deadline and no prompts; returns
/// its standard output, or an error with its standard error.
pub fn git(args: &[&str], dir: Option<&Path>) -> anyhow::Result<String> {
    let mut cmd = Command::new("timeout");
    cmd.arg("120")
        .arg("git")
        .args([
            "-c",
            "user.name=ksflux-test",
            "-c",
            "user.email=test@example.local",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().with_context(|| format!("running git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {:?} failed ({}): {}",
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Deletes an object and waits until it is gone, i.e. its finalizers have run (for Flux
/// objects: pruning, uninstalling). Panics naming the object when it stays.
pub async fn delete_and_wait(
    client: &Client,
    ar: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    timeout: Duration,
) {
    let api = dynamic_api(client, ar, namespace);
    if let Err(e) = api.delete(name, &DeleteParams::default()).await {
        match e {
            kube::Error::Api(s) if s.code == 404 => return,
            e => panic!(
                "deleting {} {}/{name}: {e}",
                ar.kind,
                namespace.unwrap_or_default()
            ),
        }
    }
    let what = format!(
        "{} {}/{name} to be deleted",
        ar.kind,
        namespace.unwrap_or_default()
    );
    wait_for(&what, timeout, || async {
        match api.get_opt(name).await {
            Ok(None) => Ok(()),
            Ok(Some(o)) => Err(format!("still there, finalizers {:?}", o.metadata.finalizers)),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
}
