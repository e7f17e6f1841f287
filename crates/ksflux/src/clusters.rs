//! Clusters: the host and its members, how to reach them, and their health.
//!
//! The host is the cluster ksflux runs in (or the kubeconfig it is given). Members come from
//! KubeSphere `cluster.kubesphere.io/v1alpha1` `Cluster` objects (`spec.connection.kubeconfig`)
//! when that CRD is served, and from Secrets labelled `fluxcd.kubesphere.io/cluster` (key
//! `kubeconfig`) in ksflux's namespace; both can coexist. Health is checked in the background,
//! each cluster with its own deadline, so an unreachable member never blocks anything else.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use base64::Engine as _;
use k8s_openapi::{
    ByteString, api::core::v1::Secret,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, Config, ResourceExt,
    api::{
        ApiResource, DynamicObject, ListParams, ObjectMeta, PartialObjectMeta, Patch, PatchParams, PostParams,
    },
    config::{KubeConfigOptions, Kubeconfig},
    discovery::Discovery,
    runtime::watcher,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::{self, User},
    error::{Cause, Error, Result},
    validation,
};

/// The name of the host cluster.
pub const HOST: &str = "host";
/// Label on Secrets that hold a member cluster's kubeconfig; its value is the cluster name.
pub const CLUSTER_LABEL: &str = "fluxcd.kubesphere.io/cluster";
/// Key of the kubeconfig in such a Secret.
pub const KUBECONFIG_KEY: &str = "kubeconfig";

const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CLIENT_CACHE_TTL: Duration = Duration::from_secs(300);
/// The least time between two health checks of a cluster asked for through the API.
pub const MIN_CHECK_INTERVAL: Duration = Duration::from_secs(10);
/// How often every cluster's apiserver is asked for its version, so an outage and a recovery
/// are noticed within seconds rather than at the next full health check.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long one heartbeat may take; two misses in a row (the second sent at once) mark the
/// cluster unreachable, so a frozen apiserver is noticed within about four seconds.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(1500);
const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// How many changes of its health each cluster remembers (the newest; memory only).
pub const HEALTH_HISTORY: usize = 50;
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The Flux kinds ksflux uses (every kind of the catalog but its own Application).
pub fn flux_kinds() -> impl Iterator<Item = &'static crate::kinds::FluxKind> {
    crate::catalog::KINDS
        .iter()
        .copied()
        .filter(|k| k.family != crate::kinds::Family::Application)
}

/// Labels of [`KUBE_REQUESTS`].
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct KubeRequestLabels {
    /// The cluster.
    pub cluster: String,
    /// Whose identity: `ksflux` (its own: caches, controllers, access reviews) or `user`
    /// (impersonating the requesting user).
    pub identity: &'static str,
    /// The HTTP method.
    pub method: String,
}

/// Requests ksflux sent to the clusters' apiservers (a watch counts once, when it starts).
pub static KUBE_REQUESTS: std::sync::LazyLock<
    prometheus_client::metrics::family::Family<
        KubeRequestLabels,
        prometheus_client::metrics::counter::Counter,
    >,
> = std::sync::LazyLock::new(Default::default);

/// A client for `config` whose requests are counted in [`KUBE_REQUESTS`].
fn counted_client(config: kube::Config, cluster: &str, identity: &'static str) -> Result<Client> {
    let cluster = cluster.to_string();
    let count = tower::util::MapRequestLayer::new(move |req: http::Request<kube::client::Body>| {
        KUBE_REQUESTS
            .get_or_create(&KubeRequestLabels {
                cluster: cluster.clone(),
                identity,
                method: req.method().to_string(),
            })
            .inc();
        req
    });
    let builder = kube::client::ClientBuilder::try_from(config).map_err(|e| Error::Internal(e.into()))?;
    Ok(builder.with_layer(&count).build())
}

/// Annotation of a cluster's registration Secret that sets its delivery mode (`hub`, the
/// default, or `agent`).
pub const MODE_ANNOTATION: &str = "fluxcd.kubesphere.io/delivery-mode";

/// The Flux kinds a member in agent mode must serve (its own source-, kustomize- and
/// helm-controller run what ksflux applies there).
pub const AGENT_KINDS: &[&str] = &[
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "Bucket",
    "HelmChart",
    "Kustomization",
    "HelmRelease",
];

/// How an application's targets in a cluster are delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DeliveryMode)]
pub enum Mode {
    /// The host's Flux reaches the cluster through a scoped kubeconfig (the cluster needs no
    /// Flux).
    #[default]
    Hub,
    /// The cluster runs its own Flux; ksflux applies the source and the Flux object there.
    Agent,
}

impl Mode {
    /// From a registration's annotation value: `agent`, else hub.
    pub fn parse(value: Option<&str>) -> Mode {
        match value {
            Some("agent") => Mode::Agent,
            _ => Mode::Hub,
        }
    }

    /// `hub` or `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Hub => "hub",
            Mode::Agent => "agent",
        }
    }
}

/// Why agent mode cannot run on a cluster with this health, if it cannot (Flux missing, or
/// a kind it needs not served at the version ksflux needs). `None` also before the first check.
pub fn agent_blocked(cluster: &str, h: &Health) -> Option<String> {
    h.last_checked.as_ref()?;
    if !h.reachable {
        return None;
    }
    let missing: Vec<String> = AGENT_KINDS
        .iter()
        .filter(|k| {
            !h.flux_apis
                .iter()
                .any(|a| a.kind == **k && a.served_versions.contains(&a.required_version))
        })
        .map(|k| k.to_string())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let what = if !h.flux_installed {
        "Flux is not installed".to_string()
    } else {
        format!(
            "its Flux does not serve {} at the versions ksflux needs (Flux 2.7 or later)",
            missing.join(", ")
        )
    };
    Some(format!(
        "agent mode needs Flux's source-, kustomize- and helm-controller on {cluster}, but {what}; install Flux there (`flux install`, or the Flux Operator) or use hub mode"
    ))
}

/// Where a cluster's connection comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    /// The cluster ksflux runs in.
    Host,
    /// A labelled kubeconfig Secret in ksflux's namespace (registered through the API).
    Secret,
    /// A KubeSphere `Cluster` object.
    KubeSphere,
}

/// One Flux kind as a cluster serves it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FluxApi {
    /// The API group.
    pub group: String,
    /// The kind.
    pub kind: String,
    /// Versions the cluster serves.
    pub served_versions: Vec<String>,
    /// The version ksflux needs.
    pub required_version: String,
}

/// A cluster's health, as last checked.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The apiserver answered the last check.
    pub reachable: bool,
    /// The Kubernetes version (`gitVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Flux's source API is served.
    pub flux_installed: bool,
    /// Flux's version, from the `app.kubernetes.io/version` label of its CRDs when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flux_version: Option<String>,
    /// Flux kinds the cluster serves.
    pub flux_apis: Vec<FluxApi>,
    /// Flux is installed but some kind is not served at the version ksflux needs.
    pub flux_too_old: bool,
    /// Whether the cluster's Flux runs with its multi-tenancy lockdown; absent when no Flux
    /// controller runs there (members in hub mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockdown: Option<Lockdown>,
    /// Why the cluster is unreachable or what is missing; empty when all is well.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When this was checked (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
}

/// Flux's multi-tenancy lockdown on a cluster, read from the arguments of its controllers'
/// Deployments (labelled `app.kubernetes.io/part-of=flux`, as Flux installs them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lockdown {
    /// Both kustomize-controller and helm-controller refuse cross-namespace references and
    /// impersonate a ServiceAccount when an object names none.
    pub enabled: bool,
    /// Every controller found that resolves references runs with `--no-cross-namespace-refs=true`.
    pub no_cross_namespace_refs: bool,
    /// The `--default-service-account` of kustomize-controller and helm-controller, when both
    /// set the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_service_account: Option<String>,
    /// The controllers whose arguments were read.
    pub controllers: Vec<String>,
}

/// The value of flag `--name` in `args` (`--name=v`, `--name v`, or `--name` alone: `true`).
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let long = format!("--{name}");
    args.iter().enumerate().find_map(|(i, a)| {
        if let Some(v) = a.strip_prefix(&long) {
            if let Some(v) = v.strip_prefix('=') {
                return Some(v);
            }
            if v.is_empty() {
                return Some(match args.get(i + 1) {
                    Some(next) if !next.starts_with('-') => next.as_str(),
                    _ => "true",
                });
            }
        }
        None
    })
}

/// The lockdown of Flux controllers given as (component, arguments).
pub fn lockdown_of(controllers: &[(String, Vec<String>)]) -> Option<Lockdown> {
    if controllers.is_empty() {
        return None;
    }
    // The controllers that resolve references between objects (source-controller does not).
    let resolving = [
        "kustomize-controller",
        "helm-controller",
        "notification-controller",
        "image-reflector-controller",
        "image-automation-controller",
    ];
    let no_cross = controllers
        .iter()
        .filter(|(c, _)| resolving.contains(&c.as_str()))
        .all(|(_, args)| flag(args, "no-cross-namespace-refs") == Some("true"));
    let sa_of = |component: &str| {
        controllers
            .iter()
            .find(|(c, _)| c == component)
            .and_then(|(_, args)| flag(args, "default-service-account"))
            .filter(|v| !v.is_empty())
    };
    let default_sa = match (sa_of("kustomize-controller"), sa_of("helm-controller")) {
        (Some(k), Some(h)) if k == h => Some(k.to_string()),
        _ => None,
    };
    let both = ["kustomize-controller", "helm-controller"]
        .iter()
        .all(|c| controllers.iter().any(|(x, _)| x == c));
    Some(Lockdown {
        enabled: both && no_cross && default_sa.is_some(),
        no_cross_namespace_refs: no_cross,
        default_service_account: default_sa,
        controllers: controllers.iter().map(|(c, _)| c.clone()).collect(),
    })
}

/// Reads the Flux controllers' Deployments of a cluster and their arguments.
async fn flux_controllers(client: &Client) -> Vec<(String, Vec<String>)> {
    let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::all(client.clone());
    let Ok(list) = api
        .list(&ListParams::default().labels("app.kubernetes.io/part-of=flux"))
        .await
    else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<String>)> = list
        .items
        .into_iter()
        .filter_map(|d| {
            let component = d.labels().get("app.kubernetes.io/component").cloned()?;
            let args = d
                .spec?
                .template
                .spec?
                .containers
                .into_iter()
                .find(|c| c.name == "manager" || c.name == component)
                .and_then(|c| c.args)
                .unwrap_or_default();
            Some((component, args))
        })
        .filter(|(c, _)| c.ends_with("-controller"))
        .collect();
    out.sort();
    out
}

/// A change of a cluster's health: the first check, or reachability or the message changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthTransition {
    /// When it was seen (RFC 3339).
    pub at: String,
    /// Whether the apiserver answered from then on.
    pub reachable: bool,
    /// Why it is unreachable or what is missing; empty when all is well.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The last [`HEALTH_HISTORY`] health transitions of a cluster, oldest first.
#[derive(Debug, Default)]
struct HealthHistory(VecDeque<HealthTransition>);

impl HealthHistory {
    /// Records `h` (checked at `h.last_checked`) if it differs from the last transition in
    /// reachability or message; the oldest transition goes when there are too many.
    fn record(&mut self, h: &Health) {
        let unchanged = self
            .0
            .back()
            .is_some_and(|last| last.reachable == h.reachable && last.message == h.message);
        if unchanged {
            return;
        }
        self.0.push_back(HealthTransition {
            at: h.last_checked.clone().unwrap_or_default(),
            reachable: h.reachable,
            message: h.message.clone(),
        });
        while self.0.len() > HEALTH_HISTORY {
            self.0.pop_front();
        }
    }
}

/// A cluster as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    /// Its name: `host` or the member's name.
    pub name: String,
    /// Where its connection comes from.
    pub origin: Origin,
    /// The apiserver URL.
    pub server: String,
    /// Its labels (placement selects by them): those of its registration Secret or KubeSphere
    /// `Cluster`, and `fluxcd.kubesphere.io/cluster: <name>`.
    pub labels: BTreeMap<String, String>,
    /// How applications are delivered there.
    pub mode: Mode,
    /// Why agent mode cannot be used there now (Flux missing or too old); absent when it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_blocked: Option<String>,
    /// Its health.
    pub health: Health,
    /// Its health's last transitions since ksflux started, oldest first (at most
    /// [`HEALTH_HISTORY`]; only when one cluster is read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HealthTransition>,
}

/// A reachable-or-not cluster ksflux knows.
pub struct Cluster {
    /// Its name.
    pub name: String,
    /// Where its connection comes from.
    pub origin: Origin,
    config: Config,
    client: Client,
    health: RwLock<Health>,
    history: Mutex<HealthHistory>,
    labels: RwLock<BTreeMap<String, String>>,
    mode: RwLock<Mode>,
    changes: tokio::sync::watch::Sender<u64>,
    /// Woken when the cluster answers again after being unreachable.
    recovered: tokio::sync::Notify,
    /// A heartbeat is under way (a slow cluster never has two at once).
    beating: std::sync::atomic::AtomicBool,
}

impl Cluster {
    fn new(
        name: String,
        origin: Origin,
        mut config: Config,
        changes: tokio::sync::watch::Sender<u64>,
    ) -> Result<Self> {
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        config.read_timeout = Some(Duration::from_secs(60));
        let client = counted_client(config.clone(), &name, "ksflux")?;
        Ok(Cluster {
            name,
            origin,
            config,
            client,
            health: RwLock::new(Health::default()),
            history: Default::default(),
            labels: Default::default(),
            mode: Default::default(),
            changes,
            recovered: Default::default(),
            beating: Default::default(),
        })
    }

    /// Its labels, with `fluxcd.kubesphere.io/cluster: <name>`.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut l = self.labels.read().map(|l| l.clone()).unwrap_or_default();
        l.insert(CLUSTER_LABEL.to_string(), self.name.clone());
        l
    }

    /// Sets its labels (those of its registration); a change is published on the registry's
    /// change channel, so placements are evaluated again.
    fn set_labels(&self, mut labels: BTreeMap<String, String>) {
        labels.remove(CLUSTER_LABEL);
        let changed = match self.labels.write() {
            Ok(mut l) if *l != labels => {
                *l = labels;
                true
            }
            _ => false,
        };
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// Its delivery mode.
    pub fn mode(&self) -> Mode {
        self.mode.read().map(|m| *m).unwrap_or_default()
    }

    /// Sets its delivery mode; a change is published on the registry's change channel.
    fn set_mode(&self, mode: Mode) {
        let changed = match self.mode.write() {
            Ok(mut m) if *m != mode => {
                *m = mode;
                true
            }
            _ => false,
        };
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// ksflux's own client for this cluster (for controllers and caches; never for a user).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The apiserver URL.
    pub fn server(&self) -> String {
        self.config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string()
    }

    /// The CA certificate (DER) the cluster's serving certificate chains to, if configured.
    pub fn ca_der(&self) -> Option<Vec<u8>> {
        self.config.root_cert.as_ref().and_then(|c| c.first().cloned())
    }

    /// The last health check.
    pub fn health(&self) -> Health {
        self.health.read().map(|h| h.clone()).unwrap_or_default()
    }

    /// The API view.
    pub fn view(&self) -> ClusterView {
        ClusterView {
            name: self.name.clone(),
            origin: self.origin,
            server: self.config.cluster_url.to_string(),
            labels: self.labels(),
            mode: self.mode(),
            agent_blocked: agent_blocked(&self.name, &self.health()),
            health: self.health(),
            history: Vec::new(),
        }
    }

    /// The API view with the health's last transitions.
    pub fn view_with_history(&self) -> ClusterView {
        let history = self
            .history
            .lock()
            .map(|h| h.0.iter().cloned().collect())
            .unwrap_or_default();
        ClusterView {
            history,
            ..self.view()
        }
    }

    /// Checks reachability, version and Flux APIs, within a deadline, and stores the result.
    pub async fn check(&self) -> Health {
        let health = match tokio::time::timeout(CHECK_TIMEOUT, probe(&self.client)).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                tracing::debug!(cluster = self.name, error = %e, "health check failed");
                Health {
                    message: format!("unreachable: {}", e.class()),
                    ..Default::default()
                }
            }
            Err(_) => Health {
                message: format!("unreachable: no answer within {}s", CHECK_TIMEOUT.as_secs()),
                ..Default::default()
            },
        };
        self.store(health)
    }

    /// Stores a health check's result (stamped now); a change of reachability is published
    /// on the registry's change channel, and a recovery wakes the cluster's watches.
    fn store(&self, health: Health) -> Health {
        let health = Health {
            last_checked: Some(crate::resources::status_time(jiff::Timestamp::now())),
            ..health
        };
        let mut changed = false;
        if let Ok(mut h) = self.health.write() {
            changed = h.last_checked.is_some() && h.reachable != health.reachable;
            *h = health.clone();
        }
        if let Ok(mut history) = self.history.lock() {
            history.record(&health);
        }
        if changed {
            tracing::info!(
                cluster = self.name,
                reachable = health.reachable,
                "cluster reachability changed"
            );
            self.changes.send_modify(|n| *n += 1);
            if health.reachable {
                self.recovered.notify_waiters();
            }
        }
        health
    }

    /// One heartbeat: asks the apiserver for its version. Two misses in a row mark a reachable
    /// cluster unreachable at once; an answer from an unreachable cluster runs a full check,
    /// which marks it reachable again.
    pub async fn beat(&self) {
        let mut miss = None;
        for _ in 0..2 {
            let answer = tokio::time::timeout(HEARTBEAT_TIMEOUT, self.client.apiserver_version()).await;
            miss = match answer {
                Ok(Ok(v)) if !v.git_version.is_empty() => None,
                Ok(Ok(_)) => Some(ProbeError::NotAnApiserver.class()),
                Ok(Err(e)) => Some(failure_class(&e)),
                Err(_) => Some(format!(
                    "no answer within {:.1}s",
                    HEARTBEAT_TIMEOUT.as_secs_f64()
                )),
            };
            if miss.is_none() {
                break;
            }
        }
        let last = self.health();
        let known_down = last.last_checked.is_some() && !last.reachable;
        match miss {
            None if known_down => {
                self.check().await;
            }
            Some(class) if !known_down && last.last_checked.is_some() => {
                tracing::debug!(cluster = self.name, error = class, "heartbeat missed");
                self.store(Health {
                    message: format!("unreachable: {class}"),
                    ..Default::default()
                });
            }
            _ => {}
        }
    }

    /// Waits until the cluster answers again after an outage.
    pub async fn recovered(&self) {
        self.recovered.notified().await
    }

    /// The health, checked now unless the last check is younger than [`MIN_CHECK_INTERVAL`]
    /// (so callers cannot make ksflux probe a cluster as often as they like).
    pub async fn check_unless_fresh(&self) -> Health {
        let last = self.health.read().ok().and_then(|h| {
            let at = h.last_checked.as_deref()?.parse::<jiff::Timestamp>().ok()?;
            Some((h.clone(), at))
        });
        if let Some((health, at)) = last {
            let age = jiff::Timestamp::now().duration_since(at);
            if age.unsigned_abs() < MIN_CHECK_INTERVAL {
                return health;
            }
        }
        self.check().await
    }
}

/// The class of a failed connection, for people: it never carries what the server at the
/// other end said, so probing an address through ksflux reveals no more than whether an
/// apiserver answers there.
fn failure_class(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 401 => "the apiserver refused the credentials (401)".into(),
        kube::Error::Api(s) if s.code == 403 => {
            "the credentials may not read the apiserver's version (403)".into()
        }
        kube::Error::Api(s) => format!(
            "the server answered HTTP {} and is not a usable Kubernetes apiserver",
            s.code
        ),
        kube::Error::SerdeError(_) => "the server's answer is not a Kubernetes API reply".into(),
        other => {
            let mut chain = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                chain.push_str(&format!(": {s}"));
                source = s.source();
            }
            let chain = chain.to_lowercase();
            if ["certificate", "tls", "handshake", "ssl"]
                .iter()
                .any(|w| chain.contains(w))
            {
                "TLS failed: the server's certificate is not signed by certificate-authority-data, or the server does not speak TLS".into()
            } else if chain.contains("connection refused") {
                "connection refused".into()
            } else if chain.contains("timed out") || chain.contains("timeout") || chain.contains("elapsed") {
                "no answer in time".into()
            } else if chain.contains("dns") || chain.contains("lookup") || chain.contains("resolve") {
                "the server's host name does not resolve".into()
            } else {
                "cannot connect to the server".into()
            }
        }
    }
}

/// Why a health probe failed.
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    /// The request failed.
    #[error(transparent)]
    Kube(#[from] kube::Error),
    /// Something answered, but not as a Kubernetes apiserver does.
    #[error("not a Kubernetes apiserver")]
    NotAnApiserver,
}

impl ProbeError {
    fn class(&self) -> String {
        match self {
            ProbeError::Kube(e) => failure_class(e),
            ProbeError::NotAnApiserver => {
                "the server answered, but not as a Kubernetes apiserver (no version)".into()
            }
        }
    }
}

async fn probe(client: &Client) -> Result<Health, ProbeError> {
    let version = client.apiserver_version().await?;
    if version.git_version.is_empty() || version.major.is_empty() {
        return Err(ProbeError::NotAnApiserver);
    }
    let groups: Vec<&str> = {
        let mut g: Vec<&str> = flux_kinds().map(|k| k.group).collect();
        g.dedup();
        g
    };
    let discovery = Discovery::new(client.clone()).filter(&groups).run().await?;
    let mut apis = Vec::new();
    let mut missing = Vec::new();
    let mut too_old = Vec::new();
    for k in flux_kinds() {
        let (group, required, kind) = (&k.group, &k.version, &k.kind);
        let mut served = Vec::new();
        if let Some(g) = discovery.get(group) {
            for v in g.versions() {
                if g.versioned_resources(v).iter().any(|(ar, _)| ar.kind == *kind) {
                    served.push(v.to_string());
                }
            }
        }
        if served.is_empty() {
            missing.push(*kind);
        } else if !served.iter().any(|v| v == required) {
            too_old.push(format!("{kind} (serves {}, needs {required})", served.join(", ")));
        }
        apis.push(FluxApi {
            group: group.to_string(),
            kind: kind.to_string(),
            served_versions: served,
            required_version: required.to_string(),
        });
    }
    let installed = apis.first().is_some_and(|a| !a.served_versions.is_empty());
    let flux_version = if installed {
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        crds.get_metadata_opt("gitrepositories.source.toolkit.fluxcd.io")
            .await
            .ok()
            .flatten()
            .and_then(|m| m.labels().get("app.kubernetes.io/version").cloned())
    } else {
        None
    };
    let message = if !installed {
        "Flux is not installed (source.toolkit.fluxcd.io is not served)".to_string()
    } else if !too_old.is_empty() {
        format!(
            "Flux is too old for ksflux: {}; upgrade Flux to 2.7 or later",
            too_old.join("; ")
        )
    } else if !missing.is_empty() {
        format!("Flux components missing: {}", missing.join(", "))
    } else {
        String::new()
    };
    let lockdown = lockdown_of(&flux_controllers(client).await);
    Ok(Health {
        reachable: true,
        lockdown,
        kubernetes_version: Some(version.git_version),
        flux_installed: installed,
        flux_version,
        flux_apis: apis,
        flux_too_old: !too_old.is_empty(),
        message,
        last_checked: None,
    })
}

/// Impersonating clients, per (cluster, user), with when they were made.
type UserClients = HashMap<(String, User), (Client, Instant)>;

/// The registry of clusters.
#[derive(Clone)]
pub struct Clusters {
    host: Arc<Cluster>,
    namespace: String,
    members: Arc<RwLock<BTreeMap<String, Arc<Cluster>>>>,
    user_clients: Arc<Mutex<UserClients>>,
    changes: tokio::sync::watch::Sender<u64>,
    /// The registrations have been read at least once.
    members_read: Arc<std::sync::atomic::AtomicBool>,
    /// Where platform-level applications live.
    platform: Arc<crate::platform::Platform>,
}

impl Clusters {
    /// A registry whose host is reached with `host` and whose member Secrets live in `namespace`.
    pub fn new(host: Config, namespace: String) -> Result<Self> {
        let changes = tokio::sync::watch::Sender::new(0);
        Ok(Clusters {
            host: Arc::new(Cluster::new(HOST.into(), Origin::Host, host, changes.clone())?),
            namespace,
            members: Default::default(),
            user_clients: Default::default(),
            changes,
            members_read: Default::default(),
            platform: Default::default(),
        })
    }

    /// The registry, with platform-level applications in `platform`'s namespace.
    pub fn with_platform(mut self, platform: crate::platform::Platform) -> Self {
        self.platform = Arc::new(platform);
        self
    }

    /// Where platform-level applications live, and the role they deploy with.
    pub fn platform(&self) -> &crate::platform::Platform {
        &self.platform
    }

    /// A receiver that changes whenever a cluster is added, removed, or becomes reachable or
    /// unreachable.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// ksflux's namespace on the host.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The host cluster.
    pub fn host(&self) -> Arc<Cluster> {
        self.host.clone()
    }

    /// Every cluster, host first.
    pub fn all(&self) -> Vec<Arc<Cluster>> {
        let mut out = vec![self.host.clone()];
        if let Ok(m) = self.members.read() {
            out.extend(m.values().cloned());
        }
        out
    }

    /// Every cluster's labels, by name.
    pub fn labels(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.all().iter().map(|c| (c.name.clone(), c.labels())).collect()
    }

    /// The cluster called `name`, or a 404.
    pub fn get(&self, name: &str) -> Result<Arc<Cluster>> {
        if name == HOST {
            return Ok(self.host.clone());
        }
        self.members
            .read()
            .ok()
            .and_then(|m| m.get(name).cloned())
            .ok_or_else(|| Error::NotFound(format!("cluster {name:?} is not registered")))
    }

    /// A client for `cluster` that acts as `user` (Kubernetes impersonation), so the
    /// cluster's RBAC decides what the user may do. Clients are cached per user briefly.
    pub fn client_for(&self, cluster: &str, user: &User) -> Result<Client> {
        let c = self.get(cluster)?;
        let key = (cluster.to_string(), user.clone());
        if let Ok(cache) = self.user_clients.lock()
            && let Some((client, at)) = cache.get(&key)
            && at.elapsed() < CLIENT_CACHE_TTL
        {
            return Ok(client.clone());
        }
        let mut config = c.config.clone();
        config.auth_info.impersonate = Some(user.name.clone());
        config.auth_info.impersonate_groups = Some(user.groups.clone());
        let client = counted_client(config, cluster, "user")?;
        if let Ok(mut cache) = self.user_clients.lock() {
            if cache.len() > 2048 {
                cache.clear();
            }
            cache.insert(key, (client.clone(), Instant::now()));
        }
        Ok(client)
    }

    /// Re-reads members from labelled Secrets and KubeSphere `Cluster` objects, then checks
    /// every cluster's health concurrently.
    pub async fn refresh(&self) {
        self.sync_members().await;
        self.check_all().await;
    }

    /// Re-reads members from labelled Secrets and KubeSphere `Cluster` objects. A failed read
    /// changes nothing; a kubeconfig that did not change keeps its connection and health.
    async fn sync_members(&self) {
        let mut found: BTreeMap<String, (Origin, Kubeconfig)> = BTreeMap::new();
        let mut labels: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut modes: BTreeMap<String, Mode> = BTreeMap::new();
        let secrets: Api<Secret> = Api::namespaced(self.host.client(), &self.namespace);
        match secrets.list(&ListParams::default().labels(CLUSTER_LABEL)).await {
            Ok(list) => {
                for s in list {
                    let Some(name) = s.labels().get(CLUSTER_LABEL).cloned() else {
                        continue;
                    };
                    let Some(raw) = s.data.as_ref().and_then(|d| d.get(KUBECONFIG_KEY)) else {
                        tracing::warn!(secret = s.name_any(), "cluster secret has no kubeconfig key");
                        continue;
                    };
                    match parse_kubeconfig(&String::from_utf8_lossy(&raw.0)) {
                        Ok(kc) => {
                            labels.insert(name.clone(), s.labels().clone());
                            modes.insert(
                                name.clone(),
                                Mode::parse(s.annotations().get(MODE_ANNOTATION).map(String::as_str)),
                            );
                            found.insert(name, (Origin::Secret, kc));
                        }
                        Err(e) => {
                            tracing::warn!(secret = s.name_any(), error = %e, "bad kubeconfig in cluster secret")
                        }
                    }
                }
            }
            Err(e) => {
                // A failed read removes nothing: the members stay as they were.
                tracing::warn!(error = %e, "listing cluster secrets failed; keeping the registered clusters");
                return;
            }
        }
        let kubesphere = match kubesphere_clusters(&self.host.client()).await {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "listing KubeSphere clusters failed; keeping the registered clusters");
                return;
            }
        };
        for (name, kc, l, mode) in kubesphere {
            if let std::collections::btree_map::Entry::Vacant(e) = found.entry(name.clone()) {
                labels.insert(name.clone(), l);
                modes.insert(name, mode);
                e.insert((Origin::KubeSphere, kc));
            }
        }
        let mut next = BTreeMap::new();
        let current = self.members.read().map(|m| m.clone()).unwrap_or_default();
        for (name, (origin, kc)) in found {
            if name == HOST {
                continue;
            }
            // Keep the existing connection (and its health) unless the kubeconfig changed.
            let server = kc
                .clusters
                .first()
                .and_then(|c| c.cluster.as_ref())
                .and_then(|c| c.server.clone());
            if let Some(existing) = current.get(&name)
                && Some(
                    existing
                        .config
                        .cluster_url
                        .to_string()
                        .trim_end_matches('/')
                        .to_string(),
                ) == server.map(|s| s.trim_end_matches('/').to_string())
                && existing.origin == origin
            {
                existing.set_labels(labels.remove(&name).unwrap_or_default());
                existing.set_mode(modes.get(&name).copied().unwrap_or_default());
                next.insert(name, existing.clone());
                continue;
            }
            match config_from(kc)
                .await
                .and_then(|cfg| Cluster::new(name.clone(), origin, cfg, self.changes.clone()))
            {
                Ok(c) => {
                    if let Ok(mut l) = c.labels.write() {
                        *l = labels.remove(&name).unwrap_or_default();
                        l.remove(CLUSTER_LABEL);
                    }
                    if let Ok(mut m) = c.mode.write() {
                        *m = modes.get(&name).copied().unwrap_or_default();
                    }
                    next.insert(name, Arc::new(c));
                }
                Err(e) => tracing::warn!(cluster = name, error = %e, "cannot use the cluster's kubeconfig"),
            }
        }
        if let Ok(mut m) = self.members.write() {
            if m.keys().ne(next.keys()) {
                self.changes.send_modify(|n| *n += 1);
            }
            *m = next;
        }
        self.members_read
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether the registrations have been read at least once: until then, a cluster missing
    /// from the registry may just not be known yet.
    pub fn members_read(&self) -> bool {
        self.members_read.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Checks every cluster's health.
    async fn check_all(&self) {
        futures::future::join_all(self.all().iter().map(|c| c.check())).await;
    }

    /// Registers a member: checks that `user` may create Secrets in ksflux's namespace
    /// (before anything else: no connection is made for a user who may not register),
    /// validates the name and kubeconfig, connects to prove the kubeconfig works, then stores
    /// it as a labelled Secret, created as `user`. A failed connection is reported by its
    /// class only, never with what the server said.
    pub async fn register(&self, user: &User, name: &str, kubeconfig: &str) -> Result<ClusterView> {
        auth::authorize(
            &self.host.client(),
            user,
            auth::Attributes {
                verb: "create",
                group: "",
                resource: "secrets",
                namespace: &self.namespace,
                name: None,
            },
        )
        .await?;
        let mut causes = validation::dns1123_label("name", name);
        if name == HOST {
            causes.push(Cause::invalid("name", "\"host\" is the cluster ksflux runs in"));
        }
        let kc = match parse_kubeconfig(kubeconfig) {
            Ok(kc) => Some(kc),
            Err(e) => {
                causes.push(Cause::invalid("kubeconfig", e));
                None
            }
        };
        if !causes.is_empty() {
            return Err(Error::invalid(causes));
        }
        if self.get(name).is_ok() {
            return Err(Error::Conflict {
                reason: "AlreadyExists",
                message: format!("cluster {name:?} is already registered"),
            });
        }
        let kc = kc.ok_or_else(|| Error::BadRequest("kubeconfig".into()))?;
        let config = config_from(kc)
            .await
            .map_err(|e| Error::invalid(vec![Cause::invalid("kubeconfig", e.to_string())]))?;
        let candidate = Cluster::new(name.to_string(), Origin::Secret, config, self.changes.clone())
            .map_err(|_| {
                Error::invalid(vec![Cause::invalid(
                    "kubeconfig",
                    "the kubeconfig's certificates or keys cannot be used (check the *-data fields)",
                )])
            })?;
        let health = candidate.check().await;
        if !health.reachable {
            tracing::debug!(cluster = name, user = user.name, "registration probe failed");
            return Err(Error::invalid(vec![Cause::invalid(
                "kubeconfig",
                format!("cannot connect with this kubeconfig: {}", health.message),
            )]));
        }
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(format!("cluster-{name}")),
                namespace: Some(self.namespace.clone()),
                labels: Some([(CLUSTER_LABEL.to_string(), name.to_string())].into()),
                ..Default::default()
            },
            data: Some(
                [(
                    KUBECONFIG_KEY.to_string(),
                    ByteString(kubeconfig.as_bytes().to_vec()),
                )]
                .into(),
            ),
            type_: Some("Opaque".into()),
            ..Default::default()
        };
        let api: Api<Secret> = Api::namespaced(self.client_for(HOST, user)?, &self.namespace);
        api.create(&PostParams::default(), &secret).await?;
        let candidate = Arc::new(candidate);
        if let Ok(mut m) = self.members.write() {
            m.insert(name.to_string(), candidate.clone());
        }
        Ok(candidate.view())
    }

    /// Sets a member's delivery mode, as `user`, where it is registered: the annotation
    /// [`MODE_ANNOTATION`] of its registration Secret (authorised first: update on Secrets in
    /// ksflux's namespace) or of its KubeSphere `Cluster` (update on that Cluster). Agent mode
    /// is refused (422 at `mode`) where the member's Flux is missing or too old.
    pub async fn set_mode(&self, user: &User, name: &str, mode: Mode) -> Result<ClusterView> {
        let c = self.get(name).ok();
        let kubesphere = c.as_ref().is_some_and(|c| c.origin == Origin::KubeSphere);
        let (group, resource, namespace, object) = if kubesphere {
            ("cluster.kubesphere.io", "clusters", "", Some(name))
        } else {
            ("", "secrets", self.namespace.as_str(), None)
        };
        auth::authorize(
            &self.host.client(),
            user,
            auth::Attributes {
                verb: "update",
                group,
                resource,
                namespace,
                name: object,
            },
        )
        .await?;
        let c = self.get(name)?;
        if c.origin == Origin::Host {
            return Err(Error::invalid(vec![Cause::invalid(
                "mode",
                "the host runs its own Flux, which ksflux uses directly; it has no delivery mode",
            )]));
        }
        if mode == Mode::Agent {
            let health = c.check_unless_fresh().await;
            if !health.reachable {
                return Err(Error::invalid(vec![Cause::invalid(
                    "mode",
                    format!(
                        "cluster {name:?} is unreachable ({}); agent mode needs its Flux checked",
                        health.message
                    ),
                )]));
            }
            if let Some(why) = agent_blocked(name, &health) {
                return Err(Error::invalid(vec![Cause::invalid("mode", why)]));
            }
        }
        let patch = serde_json::json!({"metadata": {"annotations": {MODE_ANNOTATION: mode.as_str()}}});
        if kubesphere {
            // Written as the user: KubeSphere's RBAC on its Cluster decides.
            let clusters: Api<DynamicObject> =
                Api::all_with(self.client_for(HOST, user)?, &kubesphere_cluster_resource());
            clusters
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        } else {
            let own: Api<Secret> = Api::namespaced(self.host.client(), &self.namespace);
            let secrets: Api<Secret> = Api::namespaced(self.client_for(HOST, user)?, &self.namespace);
            let list = own
                .list_metadata(&ListParams::default().labels(&format!("{CLUSTER_LABEL}={name}")))
                .await?;
            for s in list {
                secrets
                    .patch(&s.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
            }
        }
        c.set_mode(mode);
        Ok(c.view())
    }

    /// Removes a member registered through the API (deletes its Secret, as `user`).
    pub async fn unregister(&self, user: &User, name: &str) -> Result<()> {
        let c = self.get(name)?;
        if c.origin != Origin::Secret {
            return Err(Error::BadRequest(format!(
                "cluster {name:?} comes from {}; remove it there",
                match c.origin {
                    Origin::Host => "the host",
                    _ => "KubeSphere",
                }
            )));
        }
        let secrets: Api<Secret> = Api::namespaced(self.client_for(HOST, user)?, &self.namespace);
        let own: Api<Secret> = Api::namespaced(self.host.client(), &self.namespace);
        let list = own
            .list(&ListParams::default().labels(&format!("{CLUSTER_LABEL}={name}")))
            .await?;
        for s in list {
            secrets.delete(&s.name_any(), &Default::default()).await?;
        }
        if let Ok(mut m) = self.members.write() {
            m.remove(name);
        }
        Ok(())
    }

    /// Beats every cluster's heart every [`HEARTBEAT`], forever: each cluster on its own, so
    /// a slow one delays no other.
    pub async fn heartbeat_loop(self) {
        use std::sync::atomic::Ordering;
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for c in self.all() {
                if !c.beating.swap(true, Ordering::AcqRel) {
                    tokio::spawn(async move {
                        c.beat().await;
                        c.beating.store(false, Ordering::Release);
                    });
                }
            }
        }
    }

    /// Keeps the registry current, forever: follows the registration Secrets and KubeSphere
    /// `Cluster` objects by watch (a change is read within a second), beats every cluster's
    /// heart every [`HEARTBEAT`], and runs a full [`Clusters::refresh`] every `period` (the
    /// first after one period: call it once before).
    pub async fn run(self, period: Duration) {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let secrets: Api<PartialObjectMeta<Secret>> = Api::namespaced(self.host.client(), &self.namespace);
        let secrets = self.watch_registrations(
            secrets,
            watcher::Config::default().labels(CLUSTER_LABEL),
            tx.clone(),
        );
        let kubesphere: Api<PartialObjectMeta<DynamicObject>> =
            Api::all_with(self.host.client(), &kubesphere_cluster_resource());
        let kubesphere = self.watch_registrations(kubesphere, watcher::Config::default(), tx);
        let heartbeat = self.clone().heartbeat_loop();
        // The caller has refreshed once already.
        let refresh = async {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    Some(()) = rx.recv() => {
                        // Changes come in bursts: read them together.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        while rx.try_recv().is_ok() {}
                        self.sync_members().await;
                        let new = self.all().into_iter().filter(|c| c.health().last_checked.is_none());
                        futures::future::join_all(new.map(|c| async move { c.check().await })).await;
                        continue;
                    }
                }
                self.refresh().await;
            }
        };
        tokio::join!(secrets, kubesphere, heartbeat, refresh);
    }

    /// Watches registrations of one kind (their metadata) and says on `tx` when any changes.
    /// A failed watch is retried after a backoff, at once when the host answers again; a kind
    /// the host does not serve (no KubeSphere) is looked for again now and then.
    async fn watch_registrations<K>(
        &self,
        api: Api<K>,
        config: watcher::Config,
        tx: tokio::sync::mpsc::Sender<()>,
    ) where
        K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        use futures::StreamExt;
        let mut backoff = Backoff::new();
        loop {
            let mut stream = std::pin::pin!(watcher::watcher(api.clone(), config.clone().timeout(45)));
            while let Some(event) = stream.next().await {
                match event {
                    Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => {}
                    Ok(_) => {
                        backoff.reset();
                        let _ = tx.try_send(());
                    }
                    Err(watcher::Error::WatchError(s)) if s.code == 410 => {}
                    Err(watcher::Error::InitialListFailed(kube::Error::Api(s))) if s.code == 404 => {
                        // Not served here: look again in a minute.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "watching cluster registrations failed");
                        break;
                    }
                }
            }
            backoff.wait(&self.host).await;
        }
    }
}

/// The wait between two attempts to watch a cluster: doubling from 1 s to 30 s, cut short
/// (and started over) as soon as the cluster answers again after an outage.
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    /// A backoff at its shortest.
    pub(crate) fn new() -> Backoff {
        Backoff { next: BACKOFF_MIN }
    }

    /// Back to the shortest wait (after a success).
    pub(crate) fn reset(&mut self) {
        self.next = BACKOFF_MIN;
    }

    /// The next wait.
    pub(crate) fn next(&self) -> Duration {
        self.next
    }

    /// Waits the next wait, or until `cluster` answers again.
    pub(crate) async fn wait(&mut self, cluster: &Cluster) {
        tokio::select! {
            _ = tokio::time::sleep(self.next) => self.next = (self.next * 2).min(BACKOFF_MAX),
            _ = cluster.recovered() => self.reset(),
        }
    }
}

/// Parses a kubeconfig a member cluster is registered with. It must be self-contained: the
/// server URL and inline credentials (`*-data` fields, a token or basic auth). File paths and
/// exec plugins are refused, because they do not travel with a stored Secret.
pub fn parse_kubeconfig(yaml: &str) -> Result<Kubeconfig, String> {
    if yaml.trim().is_empty() {
        return Err("kubeconfig is empty".into());
    }
    let kc = Kubeconfig::from_yaml(yaml).map_err(|e| format!("not a kubeconfig: {e}"))?;
    let cluster = kc
        .clusters
        .first()
        .and_then(|c| c.cluster.as_ref())
        .ok_or_else(|| "kubeconfig has no cluster".to_string())?;
    let server = cluster.server.as_deref().unwrap_or_default();
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        return Err("the cluster's server must be an http(s) URL".into());
    }
    if cluster.certificate_authority.is_some() {
        return Err("use certificate-authority-data instead of a certificate-authority file".into());
    }
    for a in &kc.auth_infos {
        if let Some(info) = &a.auth_info {
            if info.client_certificate.is_some() || info.client_key.is_some() || info.token_file.is_some() {
                return Err(
                    "use inline credentials (client-certificate-data, client-key-data or token), not files"
                        .into(),
                );
            }
            if info.exec.is_some() || info.auth_provider.is_some() {
                return Err(
                    "exec and auth-provider plugins are not supported; use a token or a client certificate"
                        .into(),
                );
            }
        }
    }
    Ok(kc)
}

async fn config_from(kc: Kubeconfig) -> Result<Config> {
    Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .map_err(|e| Error::BadRequest(format!("kubeconfig: {e}")))
}

/// Members described by KubeSphere `Cluster` objects, if that CRD is served.
/// The members KubeSphere registered (none on a host without KubeSphere's Cluster kind); an
/// error when they cannot be read.
/// KubeSphere's `cluster.kubesphere.io/v1alpha1` `Cluster`.
fn kubesphere_cluster_resource() -> ApiResource {
    ApiResource {
        group: "cluster.kubesphere.io".into(),
        version: "v1alpha1".into(),
        api_version: "cluster.kubesphere.io/v1alpha1".into(),
        kind: "Cluster".into(),
        plural: "clusters".into(),
    }
}

/// KubeSphere's members: name, kubeconfig, labels, and the delivery mode annotated on the
/// `Cluster` ([`MODE_ANNOTATION`]).
async fn kubesphere_clusters(
    host: &Client,
) -> kube::Result<Vec<(String, Kubeconfig, BTreeMap<String, String>, Mode)>> {
    let api: Api<DynamicObject> = Api::all_with(host.clone(), &kubesphere_cluster_resource());
    let list = match api.list(&ListParams::default()).await {
        Ok(list) => list,
        // Not a KubeSphere host: no Cluster kind.
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for c in list {
        let name = c.name_any();
        let raw = c
            .data
            .pointer("/spec/connection/kubeconfig")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if raw.is_empty() {
            // KubeSphere's host cluster has no kubeconfig in its Cluster object.
            continue;
        }
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(raw) else {
            continue;
        };
        match parse_kubeconfig(&String::from_utf8_lossy(&bytes)) {
            Ok(kc) => out.push((
                name,
                kc,
                c.labels().clone(),
                Mode::parse(c.annotations().get(MODE_ANNOTATION).map(String::as_str)),
            )),
            Err(e) => tracing::warn!(cluster = name, error = e, "bad kubeconfig in KubeSphere Cluster"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_history_keeps_the_last_transitions() {
        let at = |i: usize| format!("2025-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
        let health = |i: usize, reachable: bool, message: &str| super::Health {
            reachable,
            message: message.to_string(),
            last_checked: Some(at(i)),
            ..Default::default()
        };
        let mut h = super::HealthHistory::default();
        h.record(&health(0, true, ""));
        h.record(&health(1, true, ""));
        h.record(&health(2, false, "unreachable: connection refused"));
        h.record(&health(3, false, "unreachable: connection refused"));
        h.record(&health(4, false, "unreachable: no answer within 5s"));
        h.record(&health(5, true, ""));
        let seen: Vec<_> = h.0.iter().map(|t| (t.at.clone(), t.reachable)).collect();
        assert_eq!(
            seen,
            [(at(0), true), (at(2), false), (at(4), false), (at(5), true)]
        );
        assert_eq!(h.0[1].message, "unreachable: connection refused");
        for i in 6..200 {
            h.record(&health(i, i % 2 == 0, if i % 2 == 0 { "" } else { "down" }));
        }
        assert_eq!(h.0.len(), super::HEALTH_HISTORY);
        assert_eq!(h.0.back().map(|t| t.at.clone()), Some(at(199)));
        assert_eq!(
            h.0.front().map(|t| t.at.clone()),
            Some(at(200 - super::HEALTH_HISTORY))
        );
    }

    #[test]
    fn lockdown_is_read_from_the_controllers_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::lockdown_of(&[]), None);
        let on = super::lockdown_of(&[
            (
                "helm-controller".into(),
                args(&[
                    "--no-cross-namespace-refs=true",
                    "--default-service-account=default",
                ]),
            ),
            (
                "kustomize-controller".into(),
                args(&[
                    "--no-cross-namespace-refs",
                    "--default-service-account",
                    "default",
                ]),
            ),
            (
                "source-controller".into(),
                args(&["--no-cross-namespace-refs=true"]),
            ),
        ])
        .expect("flux found");
        assert!(on.enabled);
        assert_eq!(on.default_service_account.as_deref(), Some("default"));
        let off = super::lockdown_of(&[
            (
                "helm-controller".into(),
                args(&["--no-cross-namespace-refs=true"]),
            ),
            ("kustomize-controller".into(), args(&["--log-level=info"])),
        ])
        .expect("flux found");
        assert!(!off.enabled);
        assert!(!off.no_cross_namespace_refs);
        assert_eq!(off.default_service_account, None);
    }
}
