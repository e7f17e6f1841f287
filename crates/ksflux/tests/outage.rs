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
