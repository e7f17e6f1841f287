//! Outages and removals: a member that stops answering, a host that cannot be reached, a
//! registration removed and added again, a cluster that leaves while applications target it.
//! Each test asserts the states a user would check and prints how long detection and
//! recovery took. Its own test binary, because freezing a member's apiserver would disturb
//! other tests running beside it.

mod support;

use std::time::Duration;

use ksflux_testbed::{create_namespace, unique_name, wait_for};
use serde_json::{Value, json};
use support::{Frozen, Server, add_extra_member, path, remove_extra_member, start_controller};

const API: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1";

/// Polls `done` every 50 ms for up to 60 s; returns how long it took to hold, or panics.
async fn time_until(what: &str, done: impl Fn() -> bool) -> Duration {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: not within 60s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

fn reachable(s: &Server, cluster: &str) -> bool {
    s.clusters.get(cluster).is_ok_and(|c| c.health().reachable)
}

/// The fleet summary of `ns`'s objects, as admin.
async fn summary(s: &Server, ns: &str) -> Value {
    let r = s
        .get("admin", &format!("{API}/status/summary?namespace={ns}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn target<'a>(app: &'a Value, cluster: &str) -> &'a Value {
    app["status"]["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["cluster"] == cluster))
        .unwrap_or(&Value::Null)
}

/// Creates source `demo` and a Kustomize application `demo` of its `./plain` on `clusters`
/// (in namespace `ns` there) in project `ns`; returns the application's path.
async fn demo_application(s: &Server, ns: &str, clusters: [&str; 2]) -> String {
    s.git_source(ns, "demo").await;
    let apps = path(ns, "applications");
    let targets: Vec<Value> = clusters
        .iter()
        .map(|c| json!({"cluster": c, "namespace": ns}))
        .collect();
    let r = s
        .post(
            "admin",
            &apps,
            &json!({
            "metadata": {"name": "demo"},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./plain"},
                     "targets": targets}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    format!("{apps}/demo")
}

/// Waits up to 180 s until the application at `item` satisfies `ok`; returns it.
async fn application_where(s: &Server, item: &str, what: &str, ok: fn(&Value) -> bool) -> Value {
    wait_for(what, Duration::from_secs(180), || async {
        let r = s.get("admin", item).await;
        if ok(&r.body) {
            Ok(r.body)
        } else {
            Err(r.body["status"].to_string())
        }
    })
    .await
}

#[tokio::test]
async fn an_unreachable_member_turns_its_target_unknown_and_recovers() {
    start_controller();
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("outage")).await;
    let item = demo_application(&s, &ns, ["member-1", "member-2"]).await;
    let wait = |what: &'static str, ok: fn(&Value) -> bool| application_where(&s, &item, what, ok);
    wait("both targets ready", |a| a["status"]["summary"]["ready"] == 2).await;

    wait_for(
        "the summary to count both Kustomizations ready",
        Duration::from_secs(60),
        || async {
            let sum = summary(&s, &ns).await;
            if sum["byKind"]["Kustomization"]["ready"] == 2 {
                Ok(())
            } else {
                Err(sum["byKind"].to_string())
            }
        },
    )
    .await;
    assert!(reachable(&s, "member-2"));

    let pid = std::fs::read_to_string(&s.tb.cluster("member-2").apiserver_pid_file).expect("pid");
    let frozen = Frozen::new(pid.trim().to_string());
    let detected = time_until("member-2 unreachable", || !reachable(&s, "member-2")).await;
    eprintln!(
        "FIGURE frozen member detected as unreachable in {:.2}s",
        detected.as_secs_f64()
    );
    let health = s.clusters.get("member-2").expect("still registered").health();
    assert!(health.message.starts_with("unreachable: "), "{health:?}");
    // The summary agrees with the application: the Kustomization on the host that deploys to
    // member-2 is unknown, the one for member-1 ready.
    let sum = summary(&s, &ns).await;
    assert_eq!(sum["byKind"]["Kustomization"]["ready"], 1, "{}", sum["byKind"]);
    assert_eq!(sum["byKind"]["Kustomization"]["unknown"], 1, "{}", sum["byKind"]);
    let failing = sum["failing"].as_array().cloned().unwrap_or_default();
    let k = failing
        .iter()
        .find(|f| f["kind"] == "Kustomization")
        .unwrap_or_else(|| panic!("the member-2 Kustomization is listed as not ready: {sum}"));
    assert_eq!(k["reason"], "ClusterUnreachable", "{k}");
    assert!(
        k["message"].as_str().unwrap_or_default().contains("member-2"),
        "{k}"
    );
    let app = wait("member-2 unknown", |a| {
        target(a, "member-2")["ready"] == "Unknown" && target(a, "member-2")["reason"] == "ClusterUnreachable"
    })
    .await;
    assert_eq!(
        target(&app, "member-1")["ready"],
        "True",
        "the other target stays ready: {}",
        app["status"]
    );
    assert_eq!(app["summary"]["state"], "progressing", "{}", app["summary"]);
    // The API keeps answering for the other clusters.
    let r = s
        .get("admin", &format!("{}?cluster=host", path(&ns, "kustomizations")))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totalItems"], 2);

    drop(frozen);
    let recovered = time_until("member-2 reachable", || reachable(&s, "member-2")).await;
    eprintln!(
        "FIGURE frozen member seen reachable again {:.2}s after it answers",
        recovered.as_secs_f64()
    );
    let sum = summary(&s, &ns).await;
    assert_eq!(sum["byKind"]["Kustomization"]["ready"], 2, "{}", sum["byKind"]);
    wait("member-2 recovered", |a| a["status"]["summary"]["ready"] == 2).await;
    assert_eq!(s.delete("admin", &item).await.status, 204);
}

/// A TCP proxy to an apiserver whose link can be cut (open connections dropped, new ones
/// refused) and restored, as a network outage between ksflux and that apiserver.
struct Link {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::AbortHandle,
}

impl Link {
    async fn start(upstream: String) -> Link {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let conns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (o, c) = (open.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !o.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is reset
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                if let Ok(mut v) = c.lock() {
                    v.push(task.abort_handle());
                }
            }
        })
        .abort_handle();
        Link {
            port,
            open,
            conns,
            accept,
        }
    }

    fn set(&self, up: bool) {
        self.open.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up && let Ok(mut v) = self.conns.lock() {
            for c in v.drain(..) {
                c.abort();
            }
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.set(false);
        self.accept.abort();
    }
}

fn member_names(clusters: &ksflux::clusters::Clusters) -> Vec<String> {
    let mut names: Vec<String> = clusters.all().iter().map(|c| c.name.clone()).collect();
    names.sort();
    names
}

async fn readyz(s: &Server) -> (u16, String) {
    let r = s.get("", "/readyz").await;
    (r.status, r.text)
}

#[tokio::test]
async fn a_host_outage_unregisters_no_member_and_turns_ksflux_unready_until_it_ends() {
    let tb = ksflux_testbed::Testbed::shared();
    let upstream = support::identity_config(tb)
        .await
        .cluster_url
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let link = Link::start(upstream).await;
    let s = Server::start_through(&format!("https://127.0.0.1:{}", link.port)).await;
    let all = member_names(&s.clusters);
    assert_eq!(all, ["host", "member-1", "member-2"]);
    wait_for("ready", Duration::from_secs(60), || async {
        match readyz(&s).await {
            (200, _) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    // The host cannot be reached: ksflux turns unready, its members are not forgotten.
    link.set(false);
    let cut = std::time::Instant::now();
    let (status, why) = wait_for("unready", Duration::from_secs(60), || async {
        match readyz(&s).await {
            (503, why) => Ok((503, why)),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    eprintln!(
        "FIGURE host outage: /readyz answered 503 after {:.2}s",
        cut.elapsed().as_secs_f64()
    );
    assert_eq!(status, 503);
    assert!(why.contains("host"), "{why}");
    // A full refresh during the outage removes nothing either.
    s.clusters.refresh().await;
    assert_eq!(member_names(&s.clusters), all, "a failed read removes no cluster");
    assert!(!s.clusters.host().health().reachable);

    // Back: ready again once the host answers and its watches have listed again.
    link.set(true);
    let restored = std::time::Instant::now();
    let host_back = time_until("the host reachable", || s.clusters.host().health().reachable).await;
    wait_for("ready again", Duration::from_secs(60), || async {
        match readyz(&s).await {
            (200, _) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    eprintln!(
        "FIGURE host outage: reachable {:.2}s and /readyz 200 {:.2}s after the link is back",
        host_back.as_secs_f64(),
        restored.elapsed().as_secs_f64()
    );
    assert_eq!(member_names(&s.clusters), all);
    let r = s.get("admin", &format!("{API}/clusters")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totalItems"], 3, "{}", r.text);
    s.stop();
}

#[tokio::test]
async fn a_registration_removed_and_added_again_is_followed_within_seconds() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::namespaced(host, &s.namespace);
    let registration = secrets
        .get("cluster-member-1")
        .await
        .expect("member-1's registration");
    secrets
        .delete("cluster-member-1", &Default::default())
        .await
        .expect("remove the registration");
    let gone = time_until("member-1 unregistered", || s.clusters.get("member-1").is_err()).await;
    eprintln!(
        "FIGURE a deleted registration Secret left the registry after {:.2}s",
        gone.as_secs_f64()
    );
    assert_eq!(member_names(&s.clusters), ["host", "member-2"]);

    let mut again = registration.clone();
    again.metadata = kube::api::ObjectMeta {
        name: registration.metadata.name.clone(),
        labels: registration.metadata.labels.clone(),
        ..Default::default()
    };
    secrets
        .create(&Default::default(), &again)
        .await
        .expect("register again");
    let back = time_until("member-1 registered and reachable", || reachable(&s, "member-1")).await;
    eprintln!(
        "FIGURE a created registration Secret joined the registry, checked, after {:.2}s",
        back.as_secs_f64()
    );
    s.stop();
}

#[tokio::test]
async fn a_cluster_that_leaves_the_registry_has_its_targets_suspended_until_it_returns() {
    start_controller();
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("leave")).await;
    let (_client, registries) = add_extra_member(&s, "member-4", 2).await;
    let item = demo_application(&s, &ns, ["member-1", "member-4"]).await;
    let app_where = |what: &'static str, ok: fn(&Value) -> bool| application_where(&s, &item, what, ok);
    app_where("both targets ready", |a| a["status"]["summary"]["ready"] == 2).await;
    let kustomizations =
        ksflux_testbed::dynamic_api(&host, &ksflux_testbed::flux_resource("Kustomization"), Some(&ns));
    let kubeconfigs: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::namespaced(host.clone(), &ns);
    assert!(
        kubeconfigs
            .get_opt("ksflux-kubeconfig-member-4")
            .await
            .expect("read")
            .is_some()
    );

    // The cluster leaves (its registration is deleted, as KubeSphere or an operator would).
    for registry in &registries {
        let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(host.clone(), registry);
        let _ = api.delete("cluster-member-4", &Default::default()).await;
    }
    let left = std::time::Instant::now();
    let app = app_where("member-4's target not found", |a| {
        target(a, "member-4")["reason"] == "ClusterNotFound"
    })
    .await;
    assert_eq!(target(&app, "member-4")["ready"], "False");
    assert_eq!(target(&app, "member-1")["ready"], "True", "{}", app["status"]);
    let suspended = wait_for(
        "member-4's Kustomization suspended",
        Duration::from_secs(60),
        || async {
            let k = kustomizations
                .get("demo-member-4")
                .await
                .map_err(|e| e.to_string())?;
            if k.data["spec"]["suspend"] == true {
                Ok(k)
            } else {
                Err(k.data["spec"].to_string())
            }
        },
    )
    .await;
    eprintln!(
        "FIGURE a removed cluster's Flux object was suspended {:.2}s after its registration went",
        left.elapsed().as_secs_f64()
    );
    assert_eq!(
        suspended.metadata.annotations.unwrap_or_default()["fluxcd.kubesphere.io/suspended-for"],
        "cluster-removed"
    );
    let member1 = kustomizations
        .get("demo-member-1")
        .await
        .expect("member-1's Kustomization");
    assert_ne!(
        member1.data["spec"]["suspend"], true,
        "the other target deploys on"
    );
    wait_for(
        "member-4's kubeconfig deleted",
        Duration::from_secs(60),
        || async {
            match kubeconfigs.get_opt("ksflux-kubeconfig-member-4").await {
                Ok(None) => Ok(()),
                other => Err(format!("{:?}", other.map(|o| o.is_some()))),
            }
        },
    )
    .await;

    // It returns: the target resumes and is ready again, with a fresh kubeconfig.
    let (_client, registries) = add_extra_member(&s, "member-4", 2).await;
    app_where("both targets ready again", |a| {
        a["status"]["summary"]["ready"] == 2
    })
    .await;
    let k = kustomizations
        .get("demo-member-4")
        .await
        .expect("member-4's Kustomization");
    assert_ne!(k.data["spec"]["suspend"], true, "{}", k.data["spec"]);
    assert!(
        kubeconfigs
            .get_opt("ksflux-kubeconfig-member-4")
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(s.delete("admin", &item).await.status, 204);
    wait_for("the application gone", Duration::from_secs(120), || async {
        match s.get("admin", &item).await.status {
            404 => Ok(()),
            other => Err(other.to_string()),
        }
    })
    .await;
    remove_extra_member(&s, "member-4", &registries).await;
}
