//! A member cluster that stops answering mid-test: its application target turns Unknown
//! while the other targets stay Ready, and it recovers when the cluster comes back. Its own
//! test binary, because freezing a member's apiserver would disturb other tests running
//! beside it.

mod support;

use std::{process::Command, time::Duration};

use ksflux_testbed::{create_namespace, unique_name, wait_for};
use serde_json::{Value, json};
use support::{Server, path, start_controller};

/// Freezes a process (SIGSTOP) until dropped (SIGCONT), so a failing test never leaves the
/// cluster frozen.
struct Frozen(String);

impl Frozen {
    fn new(pid: String) -> Frozen {
        let ok = Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "could not stop process {pid}");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

fn target<'a>(app: &'a Value, cluster: &str) -> &'a Value {
    app["status"]["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["cluster"] == cluster))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn an_unreachable_member_turns_its_target_unknown_and_recovers() {
    start_controller();
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("outage")).await;
    let f = &s.tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(&ns, "gitrepositories"),
            &json!({
            "metadata": {"name": "demo"},
            "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m", "ref": {"branch": "main"}},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let apps = path(&ns, "applications");
    let r = s
        .post("admin", &apps, &json!({
            "metadata": {"name": "demo"},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./plain"},
                     "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let item = format!("{apps}/demo");
    let wait = |what: &'static str, ok: fn(&Value) -> bool| {
        let s = &s;
        let item = item.clone();
        async move {
            wait_for(what, Duration::from_secs(180), || async {
                let r = s.get("admin", &item).await;
                if ok(&r.body) {
                    Ok(r.body)
                } else {
                    Err(r.body["status"].to_string())
                }
            })
            .await
        }
    };
    wait("both targets ready", |a| a["status"]["summary"]["ready"] == 2).await;

    let pid = std::fs::read_to_string(&s.tb.cluster("member-2").apiserver_pid_file).expect("pid");
    let frozen = Frozen::new(pid.trim().to_string());
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

#[tokio::test]
async fn a_host_outage_unregisters_no_member() {
    let tb = ksflux_testbed::Testbed::shared();
    let host = tb.client("host").await;
    let registry = support::register_members(tb, &host, "ksflux-cut").await;
    let mut config = support::identity_config(tb).await;
    let upstream = config
        .cluster_url
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let link = Link::start(upstream).await;
    config.cluster_url = format!("https://127.0.0.1:{}", link.port).parse().expect("url");
    let clusters = ksflux::clusters::Clusters::new(config, registry.clone()).expect("clusters");
    clusters.refresh().await;
    let all = member_names(&clusters);
    assert_eq!(all, ["host", "member-1", "member-2"]);

    // The host cannot be reached: its members are not forgotten, and it says it is down.
    link.set(false);
    let cut = std::time::Instant::now();
    clusters.refresh().await;
    eprintln!(
        "a refresh during the outage took {:.2}s",
        cut.elapsed().as_secs_f64()
    );
    assert_eq!(member_names(&clusters), all, "a failed read removes no cluster");
    let health = clusters.host().health();
    assert!(!health.reachable, "{health:?}");

    // Back: the same members, the host reachable again.
    link.set(true);
    clusters.refresh().await;
    assert_eq!(member_names(&clusters), all);
    assert!(clusters.host().health().reachable);
    ksflux_testbed::delete_namespace(&host, &registry).await;
}
