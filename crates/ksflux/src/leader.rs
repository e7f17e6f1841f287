//! Leader election: every replica serves the API, the console and the event stream from its
//! own watch caches, but only the replica holding a `coordination.k8s.io` Lease runs the
//! Application controller (the only background writer). A replica that loses the Lease stops
//! its controller; another takes it over once the Lease expires (its duration).

use std::{
    sync::{LazyLock, atomic::AtomicI64},
    time::Duration,
};

use anyhow::{Context as _, bail};
use kube_lease_manager::LeaseManagerBuilder;
use prometheus_client::metrics::gauge::Gauge;
use tokio::task::JoinHandle;

use crate::clusters::Clusters;

/// 1 while this replica holds the Lease (and runs the controller), else 0.
pub static LEADING: LazyLock<Gauge<i64, AtomicI64>> = LazyLock::new(Default::default);

/// How the Lease is held.
#[derive(Clone, Debug)]
pub struct Election {
    /// The Lease's namespace (ksflux's own).
    pub namespace: String,
    /// The Lease's name.
    pub lease: String,
    /// This replica's identity (the pod's name in a cluster).
    pub identity: String,
    /// How long a holder keeps the Lease without renewing it.
    pub duration: Duration,
}

/// This replica's identity: `$POD_NAME`, else the host's name, plus the process id.
pub fn identity() -> String {
    let host = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "ksflux".into());
    format!("{host}-{}", std::process::id())
}

/// Runs `work` while this replica holds the Lease, stops it when the Lease is lost, and starts
/// it again when the Lease comes back. Returns when `work` ends (on a shutdown signal, or with
/// its error), or with an error when the Lease cannot be held at all.
pub async fn run<F, Fut>(clusters: &Clusters, election: Election, work: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let secs = election.duration.as_secs().max(2);
    let manager = LeaseManagerBuilder::new(clusters.host().client(), &election.lease)
        .with_namespace(&election.namespace)
        .with_identity(&election.identity)
        .with_duration(secs)
        .with_grace((secs / 3).max(1))
        .with_field_manager("ksflux")
        .build()
        .await
        .with_context(|| {
            format!(
                "cannot use Lease {}/{} (does the namespace exist, and may ksflux write Leases there?)",
                election.namespace, election.lease
            )
        })?;
    let (mut leading, _task) = manager.watch().await;
    let mut running: Option<JoinHandle<anyhow::Result<()>>> = None;
    loop {
        let leader = *leading.borrow_and_update();
        LEADING.set(i64::from(leader));
        match (leader, running.is_some()) {
            (true, false) => {
                tracing::info!(
                    identity = election.identity,
                    lease = election.lease,
                    "holding the lease: running the application controller"
                );
                running = Some(tokio::spawn(work()));
            }
            (false, true) => {
                tracing::warn!(
                    identity = election.identity,
                    "lost the lease: stopping the application controller"
                );
                if let Some(h) = running.take() {
                    h.abort();
                }
            }
            _ => {}
        }
        let finished = async {
            match running.as_mut() {
                Some(h) => h.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = leading.changed() => {
                if changed.is_err() {
                    bail!("the lease task stopped");
                }
            }
            // The controller ends by itself only on a shutdown signal, or with an error.
            r = finished => return r.context("application controller stopped")?,
        }
    }
}
