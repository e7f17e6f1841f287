//! The credentials reconciler: one grant per (project, cluster) — the project's deployer
//! identity, bound in the namespaces the project's applications target there, and for a member
//! a scoped kubeconfig Secret in the project namespace (see `access`). A grant is reconciled
//! when its scope changes, when its token is due for renewal, and at least every
//! [`RECHECK`] (so a binding or Secret removed by hand comes back); not on every reconcile of
//! every application.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
    time::{Duration, Instant},
};

use kube::Client;

use super::access::{self, Rights, SelfBinding};
use crate::clusters::{Cluster, HOST};

/// How long a grant is trusted before it is checked again.
pub const RECHECK: Duration = Duration::from_secs(300);

/// A grant as last reconciled.
struct Grant {
    scope: BTreeSet<String>,
    rights: Rights,
    next: Instant,
}

/// The grants, by (project, cluster).
#[derive(Default)]
pub struct Grants {
    done: Mutex<HashMap<(String, String), Grant>>,
    /// ksflux's own Secrets right in each project namespace, when installed least-privileged.
    own: Option<SelfBinding>,
    /// ksflux's clients for agent members, as the project's [`access::AGENT`] there.
    agents: Mutex<HashMap<(String, String), Client>>,
}

impl Grants {
    /// Grants that bind `own` in a project namespace before writing a Secret there.
    pub fn new(own: Option<SelfBinding>) -> Grants {
        Grants {
            done: Default::default(),
            own,
            agents: Default::default(),
        }
    }

    fn fresh(&self, project: &str, cluster: &str, scope: &BTreeSet<String>, rights: &Rights) -> bool {
        let key = (project.to_string(), cluster.to_string());
        self.done
            .lock()
            .ok()
            .and_then(|d| {
                d.get(&key)
                    .map(|g| g.scope == *scope && g.rights == *rights && Instant::now() < g.next)
            })
            .unwrap_or(false)
    }

    fn remember(
        &self,
        project: &str,
        cluster: &str,
        scope: &BTreeSet<String>,
        rights: &Rights,
        valid_for: Duration,
    ) {
        if let Ok(mut d) = self.done.lock() {
            d.insert(
                (project.to_string(), cluster.to_string()),
                Grant {
                    scope: scope.clone(),
                    rights: rights.clone(),
                    next: Instant::now() + valid_for.min(RECHECK),
                },
            );
        }
    }

    /// Forgets the grants of `project` in `cluster` (all clusters: `None`), after a revoke.
    pub fn forget(&self, project: &str, cluster: Option<&str>) {
        if let Ok(mut d) = self.done.lock() {
            d.retain(|(p, c), _| p != project || cluster.is_some_and(|x| x != c));
        }
        if let Ok(mut a) = self.agents.lock() {
            a.retain(|(p, c), _| p != project || cluster.is_some_and(|x| x != c));
        }
    }

    /// Reconciles the grant of `project` in agent member `cluster` for `scope`; returns the
    /// client ksflux writes there with (the project's [`access::AGENT`]) and how long until
    /// the grant is due again.
    pub async fn agent(
        &self,
        host: &Client,
        cluster: &Cluster,
        project: &str,
        scope: &BTreeSet<String>,
        rights: &Rights,
    ) -> anyhow::Result<(Client, Duration)> {
        let key = (project.to_string(), cluster.name.clone());
        let cached = self.agents.lock().ok().and_then(|a| a.get(&key).cloned());
        if let Some(client) = cached.filter(|_| self.fresh(project, &cluster.name, scope, rights)) {
            return Ok((client, RECHECK));
        }
        // ksflux reads the project's source credentials on the host to copy them.
        if let Some(own) = &self.own {
            own.ensure(host, project).await?;
        }
        let (client, renew_in) = access::ensure_agent(cluster, project, scope, rights).await?;
        let renew_in = Duration::from_secs(renew_in.max(5) as u64);
        self.remember(project, &cluster.name, scope, rights, renew_in);
        if let Ok(mut a) = self.agents.lock() {
            a.insert(key, client.clone());
        }
        Ok((client, renew_in.min(RECHECK)))
    }

    /// Reconciles the host grant of `project` for `scope` (its target namespaces on the host;
    /// the deployer exists on the host even when empty, as Flux looks it up there).
    pub async fn host(
        &self,
        host: &Client,
        project: &str,
        scope: &BTreeSet<String>,
        rights: &Rights,
    ) -> anyhow::Result<()> {
        if self.fresh(project, HOST, scope, rights) {
            return Ok(());
        }
        access::ensure_host(host, project, scope, rights).await?;
        self.remember(project, HOST, scope, rights, RECHECK);
        Ok(())
    }

    /// Reconciles the grant of `project` in member `cluster` for `scope`; returns how long
    /// until it is due again.
    pub async fn member(
        &self,
        host: &Client,
        cluster: &Cluster,
        project: &str,
        scope: &BTreeSet<String>,
        rights: &Rights,
    ) -> anyhow::Result<Duration> {
        if self.fresh(project, &cluster.name, scope, rights) {
            return Ok(RECHECK);
        }
        if let Some(own) = &self.own {
            own.ensure(host, project).await?;
        }
        let p = access::ensure(host, cluster, project, scope, rights).await?;
        let renew_in = Duration::from_secs(p.renew_in.max(5) as u64);
        self.remember(project, &cluster.name, scope, rights, renew_in);
        Ok(renew_in.min(RECHECK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_fresh_for_its_scope_until_due_or_forgotten() {
        let g = Grants::default();
        let rights = |role: &str| Rights {
            role: role.to_string(),
            cluster_wide: false,
        };
        let (admin, edit) = (rights("admin"), rights("edit"));
        let web: BTreeSet<String> = ["web".to_string()].into();
        let more: BTreeSet<String> = ["web".to_string(), "api".to_string()].into();
        assert!(!g.fresh("team-a", "member-1", &web, &admin));
        g.remember("team-a", "member-1", &web, &admin, RECHECK);
        assert!(g.fresh("team-a", "member-1", &web, &admin));
        assert!(
            !g.fresh("team-a", "member-1", &more, &admin),
            "a new namespace needs a new grant"
        );
        assert!(!g.fresh("team-b", "member-1", &web, &admin));
        assert!(
            !g.fresh("team-a", "member-1", &web, &edit),
            "another role needs a new grant"
        );
        g.remember("team-a", "member-2", &web, &admin, Duration::ZERO);
        assert!(!g.fresh("team-a", "member-2", &web, &admin), "due for renewal");
        g.forget("team-a", Some("member-1"));
        assert!(!g.fresh("team-a", "member-1", &web, &admin));
        g.remember("team-a", "member-1", &web, &admin, RECHECK);
        g.forget("team-a", None);
        assert!(!g.fresh("team-a", "member-1", &web, &admin));
    }
}
