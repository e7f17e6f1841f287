//! Two `ksflux serve` replicas against the testbed's host, as the chart installs them (its
//! ServiceAccount's token and RBAC, its namespace): exactly one holds the controller's
//! Lease and renders applications; when it is killed (SIGKILL) while applications are being
//! created, the other takes the Lease over within the lease duration, and afterwards every
//! application has exactly one Flux object per target and no Flux object is orphaned. The
//! surviving replica answers the API throughout. Then every application is deleted while the
//! leader is killed again: a third replica finishes the deletions, leaves no Flux object
//! behind, and revokes the project's deployer with its last application.

mod support;

use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use k8s_openapi::api::coordination::v1::Lease;
use ksflux_testbed::{Testbed, create_namespace, unique_name, wait_for};
use kube::{
    Api,
    api::{DynamicObject, ListParams},
};
use serde_json::{Value, json};

const LEASE_SECONDS: u64 = 4;
const APPS: usize = 50;

struct Replica {
    identity: String,
    url: String,
    child: Child,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a replica as the chart's identity, in the chart's namespace, electing with `lease`.
fn start(tb: &Testbed, identity: &str, lease: &str) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let log = std::fs::File::create(tb.info.state_dir.join("logs").join(format!("{identity}.log")))
        .expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_ksflux"))
        .args([
            "serve",
            "--namespace",
            "ksflux-system",
            "--lease-name",
            lease,
            "--project-role",
            support::PROJECT_ROLE,
            "--identity",
            identity,
            "--refresh-seconds",
            "5",
        ])
        .args([
            "--lease-seconds",
            &LEASE_SECONDS.to_string(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--kubeconfig")
        .arg(support::identity_kubeconfig(tb))
        .args(["--artifact-storage", &tb.info.flux.storage_url])
        .arg("--data-dir")
        .arg(tb.info.state_dir.join("leader-data").join(identity))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start ksflux");
    Replica {
        identity: identity.to_string(),
        url: format!("http://127.0.0.1:{port}"),
        child,
    }
}

async fn metric(http: &reqwest::Client, r: &Replica, name: &str) -> Option<f64> {
    let text = http
        .get(format!("{}/metrics", r.url))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn one_replica_runs_the_controller_and_the_other_takes_over_when_it_dies() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    support::install_application_crd(&host).await;
    let lease = unique_name("ksflux-ha");
    let project = create_namespace(&host, &unique_name("ha")).await;
    let replicas = [
        start(tb, &format!("{lease}-a"), &lease),
        start(tb, &format!("{lease}-b"), &lease),
    ];
    let http = reqwest::Client::new();
    for r in &replicas {
        wait_for(
            &format!("{} ready", r.identity),
            Duration::from_secs(60),
            || async {
                match http.get(format!("{}/readyz", r.url)).send().await {
                    Ok(res) if res.status().is_success() => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            },
        )
        .await;
    }
    let leases: Api<Lease> = Api::namespaced(host.clone(), "ksflux-system");
    let holder = || async {
        leases
            .get_opt(&lease)
            .await
            .ok()
            .flatten()
            .and_then(|l| l.spec?.holder_identity)
    };
    let first = wait_for("a lease holder", Duration::from_secs(30), || async {
        holder().await.ok_or_else(|| "no holder yet".to_string())
    })
    .await;
    let (leader, follower) = if first == replicas[0].identity {
        (0, 1)
    } else {
        (1, 0)
    };
    assert_ne!(replicas[follower].identity, first);
    // Exactly one replica says it leads.
    wait_for("the leader gauges", Duration::from_secs(10), || async {
        let l = metric(&http, &replicas[leader], "ksflux_leader").await;
        let f = metric(&http, &replicas[follower], "ksflux_leader").await;
        if (l, f) == (Some(1.0), Some(0.0)) {
            Ok(())
        } else {
            Err(format!("leader {l:?}, follower {f:?}"))
        }
    })
    .await;

    // Create applications through the follower; kill the leader a fifth of the way in.
    let token = &tb.info.users["admin"];
    let apps = format!(
        "{}/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{project}/applications",
        replicas[follower].url
    );
    let mut killed_at = None;
    let [a, b] = replicas;
    let (mut leader_replica, survivor) = if leader == 0 { (a, b) } else { (b, a) };
    for i in 0..APPS {
        if i == APPS / 5 {
            leader_replica.child.kill().expect("SIGKILL the leader");
            killed_at = Some(Instant::now());
        }
        let body = json!({"metadata": {"name": format!("app-{i:02}")},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./base"},
                     "suspend": true, "targets": [{"cluster": "host", "namespace": project}]}});
        let res = http
            .post(&apps)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("create");
        assert_eq!(
            res.status().as_u16(),
            201,
            "the surviving replica refused app-{i:02}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    let killed_at = killed_at.unwrap_or_else(Instant::now);
    let took_over = wait_for(
        "the survivor holds the lease",
        // A liveness bound, not a performance target: the time is reported, not asserted.
        Duration::from_secs(60),
        || async {
            match holder().await {
                Some(h) if h == survivor.identity => Ok(killed_at.elapsed()),
                other => Err(format!("holder {other:?}")),
            }
        },
    )
    .await;
    eprintln!(
        "failover: the survivor held the lease {:.1}s after the leader was killed",
        took_over.as_secs_f64()
    );

    // Every application gets exactly one Flux object per target, and none is orphaned.
    let kustomizations: Api<DynamicObject> = Api::namespaced_with(
        host.clone(),
        &project,
        &ksflux::delivery::KUSTOMIZATION.api_resource(),
    );
    let owners = wait_for(
        "one Kustomization per application",
        Duration::from_secs(120),
        || async {
            let list = kustomizations
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let mut owners: BTreeMap<String, usize> = BTreeMap::new();
            for k in &list.items {
                let app = k
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("fluxcd.kubesphere.io/application"))
                    .cloned()
                    .unwrap_or_default();
                *owners.entry(app).or_default() += 1;
            }
            if owners.len() == APPS {
                Ok(owners)
            } else {
                Err(format!("{} of {APPS}", owners.len()))
            }
        },
    )
    .await;
    assert!(owners.values().all(|n| *n == 1), "{owners:?}");
    assert!(
        owners.keys().all(|a| a.starts_with("app-")),
        "orphans: {owners:?}"
    );
    let r = http
        .get(format!("{apps}?limit=100"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list");
    let listed: Value = r.json().await.expect("json");
    assert_eq!(listed["totalItems"], APPS);
    assert_eq!(metric(&http, &survivor, "ksflux_leader").await, Some(1.0));

    // A third replica joins; every application is deleted through it, and the leader is
    // killed a fifth of the way in. The new leader finishes the deletions: no Flux object is
    // left behind, and the project's credentials go with its last application.
    let joiner = start(tb, &format!("{lease}-c"), &lease);
    wait_for("the third replica ready", Duration::from_secs(60), || async {
        match http.get(format!("{}/readyz", joiner.url)).send().await {
            Ok(res) if res.status().is_success() => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let mut leader_replica = survivor;
    let apps = format!(
        "{}/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{project}/applications",
        joiner.url
    );
    let mut killed_at = Instant::now();
    for i in 0..APPS {
        if i == APPS / 5 {
            leader_replica.child.kill().expect("SIGKILL the leader");
            killed_at = Instant::now();
        }
        let res = http
            .delete(format!("{apps}/app-{i:02}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("delete");
        assert!(
            res.status().is_success(),
            "the third replica refused to delete app-{i:02}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    let cleared = wait_for(
        "every application and Kustomization gone",
        Duration::from_secs(180),
        || async {
            let left = kustomizations
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?
                .items
                .len();
            let listed: Value = http
                .get(format!("{apps}?limit=100"))
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if left == 0 && listed["totalItems"] == 0 {
                Ok(killed_at.elapsed())
            } else {
                Err(format!(
                    "{left} Kustomizations, {} applications",
                    listed["totalItems"]
                ))
            }
        },
    )
    .await;
    eprintln!(
        "FIGURE deletion across a leader's SIGKILL: all {APPS} applications and their objects gone {:.1}s after the kill",
        cleared.as_secs_f64()
    );
    assert_eq!(holder().await.as_deref(), Some(joiner.identity.as_str()));
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(host.clone(), &project);
    wait_for(
        "the project's deployer revoked",
        Duration::from_secs(60),
        || async {
            match accounts.get_opt("ksflux-deployer").await {
                Ok(None) => Ok(()),
                other => Err(format!("{:?}", other.map(|a| a.is_some()))),
            }
        },
    )
    .await;
}
