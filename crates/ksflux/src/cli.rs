//! Command line: `ksflux serve`, `ksflux openapi`, `ksflux version`.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::{
    auth::{Authenticator, TrustedProxy},
    clusters::Clusters,
    http::{self, ApiContext},
};

/// FluxCD for KubeSphere.
#[derive(Parser, Debug)]
#[command(name = "ksflux", version)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API.
    Serve(Box<Serve>),
    /// Print ksflux's CustomResourceDefinitions (YAML), to install with kubectl apply.
    Crds,
    /// Print the OpenAPI document.
    Openapi,
    /// Print the version.
    Version,
}

#[derive(Parser, Debug)]
struct Serve {
    /// Kubeconfig of the host cluster (default: in-cluster, then $KUBECONFIG).
    #[arg(long, env = "KSFLUX_KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "KSFLUX_LISTEN", default_value = "127.0.0.1:9480")]
    listen: SocketAddr,
    /// ksflux's namespace on the host (member kubeconfig Secrets live here).
    #[arg(long, env = "KSFLUX_NAMESPACE", default_value = "ksflux-system")]
    namespace: String,
    /// Addresses or networks (CIDR) of the trusted proxy (ks-apiserver) whose X-Remote-User
    /// headers are believed.
    #[arg(long = "trusted-proxy", env = "KSFLUX_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<TrustedProxy>,
    /// How often to re-read every registration and fully check every cluster, in seconds
    /// (changes are followed by watch and reachability by a heartbeat every second meanwhile).
    #[arg(long, default_value_t = 30)]
    refresh_seconds: u64,
    /// Serve the API and console only; leave the applications controller to another replica.
    #[arg(long)]
    no_controller: bool,
    /// How many applications the controller reconciles at once.
    #[arg(long, env = "KSFLUX_CONTROLLER_CONCURRENCY", default_value_t = crate::applications::controller::CONCURRENCY)]
    controller_concurrency: u16,
    /// Run the controller without leader election (a single replica only).
    #[arg(long, env = "KSFLUX_NO_LEADER_ELECTION")]
    no_leader_election: bool,
    /// The Lease replicas elect the controller's leader with, in `--namespace`.
    #[arg(long, env = "KSFLUX_LEASE_NAME", default_value = "ksflux-controller")]
    lease_name: String,
    /// How long a leader keeps the Lease without renewing it (the longest a failover takes).
    #[arg(long, env = "KSFLUX_LEASE_SECONDS", default_value_t = 15)]
    lease_seconds: u64,
    /// This replica's identity in the Lease (default: `$POD_NAME` or the host name, and the
    /// process id).
    #[arg(long, env = "KSFLUX_IDENTITY")]
    identity: Option<String>,
    /// Answer every list and get from the clusters' apiservers instead of the watch caches
    /// (for comparison and troubleshooting).
    #[arg(long, env = "KSFLUX_DIRECT_READS")]
    direct_reads: bool,
    /// The ClusterRole (Secrets only) ksflux binds to itself in each project namespace it
    /// writes member kubeconfigs to; set by the chart, which grants no Secrets access
    /// cluster-wide. Unset: nothing is bound (ksflux already may write Secrets everywhere).
    #[arg(long, env = "KSFLUX_PROJECT_ROLE")]
    project_role: Option<String>,
    /// The host namespace of platform-level applications (infrastructure: CRDs,
    /// controllers): they may target any namespace of any cluster and deploy bound
    /// cluster-wide to `--platform-role` there. Unset: no platform-level applications.
    #[arg(long, env = "KSFLUX_PLATFORM_NAMESPACE")]
    platform_namespace: Option<String>,
    /// The ClusterRole platform-level applications deploy with on every cluster they target.
    #[arg(long, env = "KSFLUX_PLATFORM_ROLE", default_value = crate::platform::DEFAULT_ROLE)]
    platform_role: String,
    /// A directory with the console's built files (`console/dist`), served at `/`.
    #[arg(long, env = "KSFLUX_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// Log as JSON.
    #[arg(long)]
    log_json: bool,
    /// Address of source-controller's artifact storage (its `--storage-adv-addr`, as a URL);
    /// artifacts are fetched only from these. Repeat or separate with commas.
    #[arg(long = "artifact-storage", env = "KSFLUX_ARTIFACT_STORAGE", value_delimiter = ',',
          default_value = crate::sources::DEFAULT_STORAGE)]
    artifact_storage: Vec<String>,
    /// Git hosts (`host` or `host:port`, as in GitRepository URLs) ksflux may commit to when
    /// a user sets up image automation; none by default. Repeat or separate with commas.
    #[arg(long = "git-hosts", env = "KSFLUX_GIT_HOSTS", value_delimiter = ',')]
    git_hosts: Vec<String>,
    /// Where the host's notification-controller receiver server (its `--receiver-addr`,
    /// usually behind an Ingress) is reachable from git hosts and registries, as a URL; the
    /// console shows each Receiver's webhook URL below it. Unset: the console shows the path.
    #[arg(long, env = "KSFLUX_RECEIVER_URL")]
    receiver_url: Option<String>,
    #[command(flatten)]
    history: crate::history::Config,
}

impl Args {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(s) => s.run().await,
            Command::Crds => {
                print!("{}", crate::applications::crds_yaml()?);
                Ok(())
            }
            Command::Openapi => {
                println!("{}", serde_json::to_string_pretty(&http::openapi())?);
                Ok(())
            }
            Command::Version => {
                println!("ksflux {}", env!("CARGO_PKG_VERSION"));
                Ok(())
            }
        }
    }
}

/// The log filter: `RUST_LOG`, or `info` for ksflux and `warn` for its libraries. kube-client
/// logs every failed request to a cluster at ERROR (a 5xx, an unreachable member, the probe
/// of a cluster someone tries to register); ksflux reports those itself at the level they
/// deserve, so that line is off unless `RUST_LOG` names `kube_client` itself.
fn log_filter(env: Option<&str>) -> tracing_subscriber::EnvFilter {
    let given = env.filter(|s| !s.trim().is_empty());
    let base = given.unwrap_or("info,kube=warn,tower_http=warn");
    let mut filter = tracing_subscriber::EnvFilter::try_new(base)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn,tower_http=warn"));
    if !base.contains("kube_client")
        && let Ok(d) = "kube_client::client::builder=off".parse()
    {
        filter = filter.add_directive(d);
    }
    filter
}

impl Serve {
    async fn run(self) -> anyhow::Result<()> {
        let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
        // Colours only on a terminal: a log file must stay greppable.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
        if self.log_json {
            builder.json().init();
        } else {
            builder.init();
        }
        let config = match &self.kubeconfig {
            Some(path) => {
                let kc =
                    Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?
            }
            None => kube::Config::infer()
                .await
                .context("no kubeconfig: pass --kubeconfig or run in a cluster")?,
        };
        let clusters = Clusters::new(config, self.namespace.clone())?.with_platform(
            crate::platform::Platform::new(self.platform_namespace.clone(), Some(self.platform_role.clone())),
        );
        let host = clusters.host().client();
        // Fail early, with a hint, when the host cannot be reached at all.
        let version = host
            .apiserver_version()
            .await
            .context("cannot reach the host cluster's apiserver")?;
        tracing::info!(version = version.git_version, "host cluster reachable");

        let ready = Arc::new(AtomicBool::new(false));
        let fleet = crate::status::Fleet::start(clusters.clone());
        let history = crate::history::History::open(self.history.clone(), Some(fleet.clone())).await?;
        tokio::spawn(crate::history::notify::run(
            history.clone(),
            fleet.clone(),
            clusters.clone(),
            self.project_role.clone(),
        ));
        let ctx = ApiContext {
            clusters: clusters.clone(),
            metrics: Default::default(),
            ready: ready.clone(),
            fleet,
            artifacts: crate::sources::ArtifactPolicy::with_storage(&self.artifact_storage)
                .map_err(anyhow::Error::msg)?,
            direct_reads: self.direct_reads,
            git_hosts: crate::images::setup::GitHosts(self.git_hosts.clone()),
            history: Some(history.clone()),
            receiver_url: self.receiver_url.clone(),
        };
        let authenticator = Authenticator::new(host, self.trusted_proxies.clone());
        let app = http::app(ctx, authenticator, self.console_dir.as_deref());

        let refresher = {
            let clusters = clusters.clone();
            let period = Duration::from_secs(self.refresh_seconds.max(1));
            tokio::spawn(async move {
                clusters.refresh().await;
                ready.store(true, std::sync::atomic::Ordering::Relaxed);
                clusters.run(period).await;
            })
        };
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("listening on {}", self.listen))?;
        tracing::info!(address = %listener.local_addr()?, "serving");
        println!("ksflux listening on http://{}", listener.local_addr()?);
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            });
        let election = crate::leader::Election {
            namespace: self.namespace.clone(),
            lease: self.lease_name.clone(),
            identity: self.identity.clone().unwrap_or_else(crate::leader::identity),
            duration: Duration::from_secs(self.lease_seconds),
        };
        let (run_controller, elect) = (!self.no_controller, !self.no_leader_election);
        let controller = tokio::spawn({
            let clusters = clusters.clone();
            let history = history.clone();
            async move {
                let role = self.project_role.clone();
                let concurrency = self.controller_concurrency;
                // The application controller and the image follower run on the leader only.
                let work = || {
                    let (clusters, role, history) = (clusters.clone(), role.clone(), history.clone());
                    async move {
                        tokio::select! {
                            r = crate::applications::controller::run(clusters.clone(), role.clone(), concurrency) => r,
                            r = crate::distribution::run(clusters.clone(), role, Duration::from_secs(10)) => r,
                            r = crate::image_updates::run(clusters, Some(history)) => r,
                        }
                    }
                };
                match (run_controller, elect) {
                    (false, _) => std::future::pending().await,
                    (true, false) => work().await,
                    (true, true) => crate::leader::run(&clusters, election, work).await,
                }
            }
        });
        tokio::select! {
            r = controller => r.context("application controller stopped")?.context("application controller")?,
            r = server => r.context("server failed")?,
            r = refresher => r.context("cluster discovery stopped")?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn kube_clients_error_lines_are_off_unless_asked_for() {
        for env in [None, Some(""), Some("info,ksflux=debug,tower_http=debug")] {
            let f = log_filter(env).to_string();
            assert!(f.contains("kube_client::client::builder=off"), "{env:?}: {f}");
        }
        let f = log_filter(Some("debug,kube_client=trace")).to_string();
        assert!(!f.contains("builder=off"), "{f}");
    }
}
