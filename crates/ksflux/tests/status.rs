//! Status from the watch caches against the testbed: objects the real Flux controllers
//! reconcile show up in the fleet summary and the object list within seconds and in the right
//! state; limited users see only what they may list; an SSE subscriber sees each change with
//! its new resourceVersion; the caches follow clusters leaving the registry.

mod support;

use std::time::Duration;

use ksflux_testbed::{
    apply, create_namespace, delete_namespace, dynamic_api, flux_resource, unique_name, wait_for,
};
use serde_json::{Value, json};
use support::{Events, Server, path};

const STATUS: &str = "/kapis/fluxcd.kubesphere.io/v1alpha1/status";
const SOON: Duration = Duration::from_secs(30);
const READY: Duration = Duration::from_secs(120);

fn git_repository(ns: &str, name: &str, url: &str, suspend: bool, secret: Option<&str>) -> Value {
    let mut spec = json!({"url": url, "interval": "10m", "timeout": "20s", "ref": {"branch": "main"}, "suspend": suspend});
    if let Some(s) = secret {
        spec["secretRef"] = json!({"name": s});
    }
    json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
           "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn suspended_kustomization(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"interval": "10m", "path": "./plain", "prune": true, "suspend": true,
                    "sourceRef": {"kind": "GitRepository", "name": "good"}}})
}

async fn get_ok(s: &Server, user: &str, p: &str) -> Result<Value, String> {
    let r = s.get(user, p).await;
    if r.status == 200 {
        Ok(r.body)
    } else {
        Err(format!("GET {p}: {} {}", r.status, r.text))
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|o| o["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn objects_show_up_in_the_summary_and_list_in_their_state() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("status")).await;
    apply(&host, s.tb.basic_auth_secret(&ns, "git-auth")).await;
    let demo = s.tb.git_repo_url("demo");
    apply(&host, git_repository(&ns, "good", &demo, false, Some("git-auth"))).await;
    apply(
        &host,
        git_repository(&ns, "paused", &demo, true, Some("git-auth")),
    )
    .await;
    apply(
        &host,
        git_repository(&ns, "broken", "http://127.0.0.1:1/nothing.git", false, None),
    )
    .await;
    apply(&host, suspended_kustomization(&ns, "paused-ks")).await;

    let summary = format!("{STATUS}/summary?namespace={ns}");
    let body = wait_for(
        "the summary to count every object in its state",
        READY,
        || async {
            let b = get_ok(&s, "admin", &summary).await?;
            let st = &b["states"];
            let want =
                json!({"total": 4, "ready": 1, "progressing": 0, "failed": 1, "suspended": 2, "unknown": 0});
            if *st == want {
                Ok(b)
            } else {
                Err(format!("states {st}"))
            }
        },
    )
    .await;
    assert_eq!(body["byKind"]["GitRepository"]["total"], 3, "{body}");
    assert_eq!(body["byKind"]["Kustomization"]["suspended"], 1, "{body}");
    assert_eq!(body["byCluster"]["host"]["total"], 4, "{body}");
    assert_eq!(body["byNamespace"][&ns]["total"], 4, "{body}");
    assert_eq!(body["failingTotal"], 1, "{body}");
    let failing = &body["failing"][0];
    assert_eq!(
        (
            &failing["kind"],
            &failing["name"],
            &failing["cluster"],
            &failing["state"]
        ),
        (
            &json!("GitRepository"),
            &json!("broken"),
            &json!("host"),
            &json!("failed")
        ),
        "{body}"
    );
    assert!(
        !failing["reason"].as_str().unwrap_or_default().is_empty(),
        "{failing}"
    );
    assert!(
        !failing["message"].as_str().unwrap_or_default().is_empty(),
        "{failing}"
    );
    // Every cluster reports its caches; members serve the seven kinds their own Flux runs.
    let clusters = body["clusters"].as_array().cloned().unwrap_or_default();
    let by_name = |n: &str| {
        clusters
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_name("host")["state"], "synced", "{body}");
    assert_eq!(
        by_name("host")["kinds"].as_array().map(Vec::len),
        Some(13),
        "{body}"
    );
    // member-1 runs its own source-, kustomize- and helm-controller (agent mode's member side).
    assert_eq!(by_name("member-1")["fluxInstalled"], true, "{body}");
    assert_eq!(
        by_name("member-1")["kinds"].as_array().map(Vec::len),
        Some(7),
        "{body}"
    );

    // The list: filtered by kind (kind or plural), sorted and paged, from memory.
    let list = get_ok(
        &s,
        "admin",
        &format!("{STATUS}/objects?namespace={ns}&kind=gitrepositories&sortBy=name&ascending=true"),
    )
    .await
    .unwrap_or_default();
    assert_eq!(list["totalItems"], 3, "{list}");
    assert_eq!(names(&list), ["broken", "good", "paused"]);
    let good = &list["items"][1];
    assert_eq!(
        (&good["cluster"], &good["kind"]),
        (&json!("host"), &json!("GitRepository"))
    );
    assert!(
        good["summary"]["revision"]
            .as_str()
            .unwrap_or_default()
            .starts_with("main@sha1:"),
        "{good}"
    );
    assert!(
        !good["resourceVersion"].as_str().unwrap_or_default().is_empty(),
        "{good}"
    );
    let page = get_ok(
        &s,
        "admin",
        &format!("{STATUS}/objects?namespace={ns}&state=suspended&sortBy=kind&limit=1&page=2&ascending=true"),
    )
    .await
    .unwrap_or_default();
    assert_eq!(page["totalItems"], 2, "{page}");
    assert_eq!(names(&page), ["paused-ks"]);
    let by_name = get_ok(
        &s,
        "admin",
        &format!("{STATUS}/objects?namespace={ns}&kind=Kustomization&name=ks"),
    )
    .await
    .unwrap_or_default();
    assert_eq!(names(&by_name), ["paused-ks"]);

    // A deleted object leaves the caches.
    let repos = dynamic_api(&host, &flux_resource("GitRepository"), Some(&ns));
    repos.delete("broken", &Default::default()).await.expect("delete");
    wait_for("broken to leave the summary", SOON, || async {
        let b = get_ok(&s, "admin", &summary).await?;
        if b["failingTotal"] == 0 && b["states"]["total"] == 3 {
            Ok(())
        } else {
            Err(b["states"].to_string())
        }
    })
    .await;
    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn bad_parameters_get_a_status_naming_them() {
    let s = Server::start().await;
    let r = s.get("admin", &format!("{STATUS}/objects?kind=Pod")).await;
    assert_eq!((r.status, &r.body["kind"]), (400, &json!("Status")), "{}", r.text);
    assert!(
        r.body["message"].as_str().unwrap_or_default().contains("kind"),
        "{}",
        r.text
    );
    let r = s.get("admin", &format!("{STATUS}/objects?state=sleepy")).await;
    assert_eq!((r.status, &r.body["kind"]), (400, &json!("Status")), "{}", r.text);
    let r = s.get("admin", &format!("{STATUS}/objects?page=-1")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s.get("admin", &format!("{STATUS}/summary?cluster=nowhere")).await;
    assert_eq!(
        (r.status, &r.body["reason"]),
        (404, &json!("NotFound")),
        "{}",
        r.text
    );
    let r = s.get("", &format!("{STATUS}/summary")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let doc = s.get("", "/openapi.json").await;
    for p in ["summary", "objects", "events"] {
        assert!(
            doc.body["paths"][format!("{STATUS}/{p}")]["get"].is_object(),
            "{p} is documented"
        );
    }
}

#[tokio::test]
async fn users_see_only_objects_they_may_list() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let name = unique_name("seen");
    let demo = s.tb.git_repo_url("demo");
    apply(&host, git_repository("team-a", &name, &demo, true, None)).await;
    apply(&host, git_repository("team-b", &name, &demo, true, None)).await;
    let mine = format!("{STATUS}/objects?name={name}&sortBy=namespace&ascending=true");
    wait_for("admin to see both objects", SOON, || async {
        let b = get_ok(&s, "admin", &mine).await?;
        let ns: Vec<&str> = b["items"]
            .as_array()
            .map(|i| i.iter().filter_map(|o| o["namespace"].as_str()).collect())
            .unwrap_or_default();
        if ns == ["team-a", "team-b"] {
            Ok(())
        } else {
            Err(format!("{ns:?}"))
        }
    })
    .await;
    // alice edits team-a only; carol edits team-b only.
    for (user, visible) in [("alice", "team-a"), ("carol", "team-b")] {
        let list = get_ok(&s, user, &mine).await.unwrap_or_default();
        assert_eq!(list["totalItems"], 1, "{user}: {list}");
        assert_eq!(list["items"][0]["namespace"], visible, "{user}: {list}");
        let all = get_ok(&s, user, &format!("{STATUS}/summary"))
            .await
            .unwrap_or_default();
        let namespaces: Vec<&String> = all["byNamespace"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(namespaces, [visible], "{user} counts only {visible}: {all}");
    }
    let hidden = get_ok(&s, "alice", &format!("{STATUS}/summary?namespace=team-b"))
        .await
        .unwrap_or_default();
    assert_eq!(hidden["states"]["total"], 0, "{hidden}");
    let hidden = get_ok(
        &s,
        "alice",
        &format!("{STATUS}/objects?namespace=team-b&name={name}"),
    )
    .await
    .unwrap_or_default();
    assert_eq!(hidden["totalItems"], 0, "{hidden}");
    let admin = get_ok(&s, "admin", &format!("{STATUS}/summary?namespace=team-b"))
        .await
        .unwrap_or_default();
    assert!(admin["states"]["total"].as_u64().unwrap_or(0) >= 1, "{admin}");
    for ns in ["team-a", "team-b"] {
        let _ = dynamic_api(&host, &flux_resource("GitRepository"), Some(ns))
            .delete(&name, &Default::default())
            .await;
    }
}

#[tokio::test]
async fn an_sse_client_sees_each_change_with_its_resource_version() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("events")).await;
    let demo = s.tb.git_repo_url("demo");
    apply(&host, git_repository(&ns, "watched", &demo, true, None)).await;
    let list = format!("{STATUS}/objects?namespace={ns}");
    wait_for("the object in the caches", SOON, || async {
        let b = get_ok(&s, "admin", &list).await?;
        if b["totalItems"] == 1 {
            Ok(())
        } else {
            Err(b.to_string())
        }
    })
    .await;

    let mut events = Events::open(&s, "admin", &format!("?namespace={ns}&kind=GitRepository")).await;
    let resumed = s
        .post(
            "admin",
            &format!("{}/watched/resume", path(&ns, "gitrepositories")),
            &json!({}),
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    let rv = resumed.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (event, _) = events.until(SOON, |e| e["resourceVersion"] == rv.as_str()).await;
    assert_eq!(event["type"], "applied", "{event}");
    assert_eq!(
        (&event["cluster"], &event["kind"], &event["namespace"]),
        (&json!("host"), &json!("GitRepository"), &json!(ns))
    );
    assert_eq!(event["name"], "watched");
    assert_ne!(event["summary"]["state"], "suspended", "{event}");
    // Each later change carries its own resourceVersion; deletion is the last.
    let suspended = s
        .post(
            "admin",
            &format!("{}/watched/suspend", path(&ns, "gitrepositories")),
            &json!({}),
        )
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.text);
    let rv = suspended.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (event, _) = events.until(SOON, |e| e["resourceVersion"] == rv.as_str()).await;
    assert_eq!(event["summary"]["state"], "suspended", "{event}");
    dynamic_api(&host, &flux_resource("GitRepository"), Some(&ns))
        .delete("watched", &Default::default())
        .await
        .expect("delete");
    let (event, _) = events.until(SOON, |e| e["type"] == "deleted").await;
    assert_eq!(event["name"], "watched", "{event}");
    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn change_streams_skip_objects_the_user_may_not_list() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let name = unique_name("stream");
    let demo = s.tb.git_repo_url("demo");
    let mut alice = Events::open(&s, "alice", "?kind=gitrepositories").await;
    // team-b first: if alice could see it, it would arrive before team-a's.
    apply(&host, git_repository("team-b", &name, &demo, true, None)).await;
    apply(&host, git_repository("team-a", &name, &demo, true, None)).await;
    let (event, before) = alice
        .until(SOON, |e| e["name"] == name.as_str() && e["namespace"] == "team-a")
        .await;
    assert_eq!(event["type"], "applied");
    assert!(
        before.iter().all(|e| e["namespace"] == "team-a"),
        "alice saw other namespaces: {before:?}"
    );
    for ns in ["team-a", "team-b"] {
        let _ = dynamic_api(&host, &flux_resource("GitRepository"), Some(ns))
            .delete(&name, &Default::default())
            .await;
    }
}

/// An Application as its controller would leave it: a spec and a Ready condition.
fn application(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"source": {"kind": "GitRepository", "name": "samples"},
                    "kustomize": {"path": "./plain"},
                    "targets": [{"cluster": "host", "namespace": ns}]}})
}

#[tokio::test]
async fn application_status_writes_are_on_the_stream_for_those_who_may_list_them() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    support::install_application_crd(&host).await;
    let name = unique_name("streamed-app");
    let apps = |ns: &str| {
        dynamic_api(
            &host,
            &kube::discovery::ApiResource::from_gvk_with_plural(
                &kube::api::GroupVersionKind::gvk("fluxcd.kubesphere.io", "v1alpha1", "Application"),
                "applications",
            ),
            Some(ns),
        )
    };
    let mut alice = Events::open(&s, "alice", "").await;
    // team-b first: if alice could see it, it would arrive before team-a's.
    for ns in ["team-b", "team-a"] {
        apply(&host, application(ns, &name)).await;
    }
    let (event, before) = alice
        .until(SOON, |e| e["name"] == name.as_str() && e["namespace"] == "team-a")
        .await;
    assert_eq!(
        (&event["kind"], &event["cluster"]),
        (&json!("Application"), &json!("host"))
    );
    assert!(
        before.iter().all(|e| e["namespace"] == "team-a"),
        "alice saw other namespaces: {before:?}"
    );
    // The controller's status write is a change of its own: the console reads the
    // application's targets again on it.
    let status = json!({"status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
        "message": "ready on 1 of 1 targets", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    let written = apps("team-a")
        .patch_status(
            &name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&status),
        )
        .await
        .expect("write the status");
    let rv = written.metadata.resource_version.unwrap_or_default();
    let (event, _) = alice.until(SOON, |e| e["resourceVersion"] == rv.as_str()).await;
    assert_eq!(event["summary"]["state"], "ready", "{event}");
    for ns in ["team-a", "team-b"] {
        let _ = apps(ns).delete(&name, &Default::default()).await;
    }
}

#[tokio::test]
async fn the_caches_follow_clusters_leaving_the_registry() {
    let s = Server::start().await;
    let summary = format!("{STATUS}/summary");
    let clusters = |b: &Value| -> Vec<String> {
        b["clusters"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let b = get_ok(&s, "admin", &summary).await.unwrap_or_default();
    assert_eq!(clusters(&b), ["host", "member-1", "member-2"], "{b}");
    let r = s
        .delete("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/member-2")
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    wait_for("member-2 to leave the fleet", SOON, || async {
        let b = get_ok(&s, "admin", &summary).await?;
        let c = clusters(&b);
        if c == ["host", "member-1"] {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_member_is_unknown_with_its_reason_and_blocks_nothing() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let kc = std::fs::read_to_string(&s.tb.cluster("member-1").kubeconfig).expect("kubeconfig");
    let dead = kc.replace(&s.tb.cluster("member-1").server, "https://127.0.0.1:1");
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::namespaced(host, &s.namespace);
    let secret = serde_json::from_value(json!({
        "metadata": {"name": "cluster-down", "labels": {"fluxcd.kubesphere.io/cluster": "down"}},
        "stringData": {"kubeconfig": dead}
    }))
    .expect("secret");
    secrets
        .create(&Default::default(), &secret)
        .await
        .expect("create");
    s.clusters.refresh().await;
    let summary = format!("{STATUS}/summary");
    let down = wait_for("the dead member in the summary", SOON, || async {
        let b = get_ok(&s, "admin", &summary).await?;
        b["clusters"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "down").cloned())
            .ok_or_else(|| b["clusters"].to_string())
    })
    .await;
    assert_eq!(
        (&down["state"], &down["synced"], &down["reachable"]),
        (&json!("unknown"), &json!(false), &json!(false))
    );
    assert!(
        down["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("unreachable"),
        "{down}"
    );
    for user in ["admin", "alice"] {
        let start = std::time::Instant::now();
        let b = get_ok(&s, user, &summary).await.unwrap_or_default();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{user}: the dead member holds nothing up"
        );
        let host = b["clusters"]
            .as_array()
            .and_then(|c| c.first().cloned())
            .unwrap_or_default();
        assert_eq!(host["name"], "host", "{b}");
        // The host's caches stay usable (a relist of one of them, caused by other tests'
        // writes, may show as a moment of `syncing`).
        wait_for("the host synced", SOON, || async {
            let b = get_ok(&s, user, &summary).await?;
            match b["clusters"].as_array().and_then(|c| c.first()) {
                Some(h) if h["name"] == "host" && h["state"] == "synced" => Ok(()),
                _ => Err(b["clusters"].to_string()),
            }
        })
        .await;
    }
}
