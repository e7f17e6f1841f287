//! Release history end to end on the testbed, against SQLite and PostgreSQL: ksflux keeps a
//! `generic-hmac` Provider and an Alert in the application's namespace, the real
//! notification-controller sends it Flux's events, and the history API shows each release
//! per target — and keeps it across a restart. Forged events are refused; a limited user sees
//! only the history and audit entries of their namespaces.

mod support;

use std::{net::SocketAddr, path::Path, time::Duration};

use ksflux::history::Store;
use ksflux_testbed::{Testbed, create_namespace, flux_resource, git, unique_name, wait_for};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};
use support::{Events, Postgres, Server, path, start_controller};

const LONG: Duration = Duration::from_secs(240);
const TARGETS: [&str; 2] = ["member-1", "member-2"];

/// Commits `configmap` as `base/configmap.yaml` and pushes; the commit's full hash.
fn commit(tb: &Testbed, work: &Path, repo: &str, configmap: &str, message: &str) -> String {
    std::fs::write(work.join("base/configmap.yaml"), configmap).expect("write");
    git(&["commit", "-qam", message], Some(work)).expect("commit");
    git(&["push", "-q", &tb.git_push_url(repo), "main"], Some(work)).expect("push");
    git(&["rev-parse", "HEAD"], Some(work))
        .expect("rev-parse")
        .trim()
        .to_string()
}

fn configmap(revision: u32) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-config\ndata:\n  greeting: hello\n  revision: \"{revision}\"\n"
    )
}

/// Asks Flux to fetch the source and apply it now, through the API.
async fn reconcile(s: &Server, ns: &str) {
    let r = s
        .post(
            "admin",
            &format!("{}/demo/reconcile?wait=60", path(ns, "gitrepositories")),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s
        .post(
            "admin",
            &format!("{}/web/reconcile", path(ns, "applications")),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The history of the application's `target`, as `user`.
async fn history(s: &Server, user: &str, ns: &str, target: &str) -> support::Reply {
    s.get(
        user,
        &format!(
            "{}/web/history?target={target}&limit=100",
            path(ns, "applications")
        ),
    )
    .await
}

/// Waits until `target` has a release of `revision` that finished as `outcome`; returns it.
async fn wait_release(s: &Server, ns: &str, target: &str, revision: &str, outcome: &str) -> Value {
    wait_for(
        &format!("{target}: release {revision} {outcome}"),
        LONG,
        || async {
            let r = history(s, "admin", ns, target).await;
            let found = r.body["items"].as_array().and_then(|items| {
                items
                    .iter()
                    .find(|i| i["revision"] == revision && i["outcome"] == outcome)
                    .cloned()
            });
            found.ok_or_else(|| format!("{} {}", r.status, r.text))
        },
    )
    .await
}

/// One scenario at a time: each server keeps the Providers of every namespace with
/// applications, as the one ksflux of a host does.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scenario(open: impl AsyncFn() -> Store) {
    let _one = ONE_AT_A_TIME.lock().await;
    start_controller();
    let s = Server::start_with_history(open().await, "127.0.0.1:0".parse().expect("addr")).await;
    let tb = s.tb;
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("hist")).await;
    let repo = unique_name("hist");
    let work = tb.own_git_repo(&repo).expect("own repository");
    let f = &tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(&ns, "gitrepositories"),
            &json!({
            "metadata": {"name": "demo"},
            "spec": {"url": tb.git_repo_url(&repo), "interval": "1m", "ref": {"branch": "main"}},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let app = json!({
        "metadata": {"name": "web"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./base"},
            "interval": "1m",
            "targets": TARGETS.iter().map(|t| json!({"cluster": t, "namespace": ns})).collect::<Vec<_>>(),
        }
    });
    let r = s.post("admin", &path(&ns, "applications"), &app).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // ksflux keeps a Provider (pointing at itself) and an Alert in the namespace.
    let alerts: Api<DynamicObject> = Api::namespaced_with(host.clone(), &ns, &flux_resource("Alert"));
    let providers: Api<DynamicObject> = Api::namespaced_with(host.clone(), &ns, &flux_resource("Provider"));
    wait_for("the events Alert", LONG, || async {
        alerts
            .get_opt("ksflux-events")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await;
    let provider = providers.get("ksflux-events").await.expect("provider");
    assert_eq!(provider.data["spec"]["type"], "generic-hmac");
    assert_eq!(
        provider.data["spec"]["address"],
        format!("{}/ingest/flux/host/{ns}", s.url)
    );

    // Three commits: three releases per target, with git's revisions, succeeded, timed.
    let mut revisions = Vec::new();
    for n in 2..=4 {
        let sha = commit(tb, &work, &repo, &configmap(n), &format!("revision {n}"));
        let revision = format!("main@sha1:{sha}");
        reconcile(&s, &ns).await;
        for target in TARGETS {
            let r = wait_release(&s, &ns, target, &revision, "succeeded").await;
            assert_eq!(r["application"], "web", "{r}");
            assert_eq!(r["kind"], "Kustomization", "{r}");
            assert!(r["durationMs"].as_i64().is_some_and(|d| d >= 0), "{r}");
            assert!(r["finishedAt"].as_i64() >= r["startedAt"].as_i64(), "{r}");
        }
        revisions.push(revision);
    }
    for target in TARGETS {
        let items = history(&s, "admin", &ns, target).await.body["items"].clone();
        for revision in &revisions {
            let n = items
                .as_array()
                .map(|a| a.iter().filter(|i| i["revision"] == revision.as_str()).count());
            assert_eq!(n, Some(1), "{target}: one release of {revision}: {items}");
        }
        assert!(
            items
                .as_array()
                .is_some_and(|a| a.iter().all(|i| i["target"] == target)),
            "{items}"
        );
    }

    // A bad commit: a failed release with Flux's message, also sent live to subscribers
    // who may list the namespace's Kustomizations (and to no one else).
    let stream_path = format!("/kapis/fluxcd.kubesphere.io/v1alpha1/history/events?namespace={ns}");
    let mut live = Events::open_path(&s, "admin", &stream_path).await;
    let mut alice_live = Events::open_path(&s, "alice", &stream_path).await;
    let bad = commit(
        tb,
        &work,
        &repo,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n",
        "broken manifest",
    );
    let bad = format!("main@sha1:{bad}");
    reconcile(&s, &ns).await;
    for target in TARGETS {
        let r = wait_release(&s, &ns, target, &bad, "failed").await;
        let name = r["name"].as_str().unwrap_or_default().to_string();
        let ks: Api<DynamicObject> = Api::namespaced_with(host.clone(), &ns, &flux_resource("Kustomization"));
        // Flux's own words: the Ready condition's message once it settles on False.
        let ready = wait_for(&format!("{name} not ready"), LONG, || async {
            let obj = ks.get(&name).await.map_err(|e| e.to_string())?;
            let ready = obj.data["status"]["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned())
                .unwrap_or_default();
            if ready["status"] == "False" {
                Ok(ready)
            } else {
                Err(ready.to_string())
            }
        })
        .await;
        let r = wait_release(&s, &ns, target, &bad, "failed").await;
        let message = r["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{r}");
        assert_eq!(message, ready["message"].as_str().unwrap_or_default(), "{r}");
    }

    let (release, _) = live
        .until(LONG, |r| {
            r["revision"] == bad.as_str() && r["outcome"] == "failed"
        })
        .await;
    assert_eq!(release["namespace"], ns.as_str(), "{release}");
    assert!(
        alice_live.next(Duration::from_secs(1)).await.is_none(),
        "alice sees no release of a namespace she may not list"
    );

    // Forged, missing or wrong-namespace signatures: 401 Status, nothing stored; 10 MB: 413.
    let before = s
        .get(
            "admin",
            &format!("/kapis/fluxcd.kubesphere.io/v1alpha1/history/releases?namespace={ns}"),
        )
        .await
        .body["totalItems"]
        .clone();
    let forged = json!({"involvedObject": {"kind": "Kustomization", "namespace": ns, "name": "web-member-1"},
        "severity": "info", "timestamp": "2026-11-27T10:00:00Z", "reason": "ReconciliationSucceeded",
        "message": "Reconciliation finished in 1s", "metadata": {"revision": "main@sha1:forged"}});
    let ingest = format!("/ingest/flux/host/{ns}");
    let body = serde_json::to_vec(&forged).expect("json");
    for headers in [
        vec![("content-type", "application/json")],
        vec![
            ("content-type", "application/json"),
            ("x-signature", "sha256=0123456789abcdef"),
        ],
    ] {
        let r = s.post_raw(&ingest, &headers, body.clone()).await;
        assert_eq!(r.status, 401, "{}", r.text);
        assert_eq!(
            (r.body["kind"].as_str(), r.body["code"].as_i64()),
            (Some("Status"), Some(401))
        );
    }
    let big = vec![b' '; 10 * 1024 * 1024];
    let r = s
        .post_raw(
            &ingest,
            &[("content-type", "application/json"), ("x-signature", "sha256=00")],
            big,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["kind"], "Status");
    let after = s
        .get(
            "admin",
            &format!("/kapis/fluxcd.kubesphere.io/v1alpha1/history/releases?namespace={ns}"),
        )
        .await;
    assert_eq!(after.body["totalItems"], before, "{}", after.text);
    assert!(!after.text.contains("forged"));

    // A limited user sees only their namespaces' history and audit entries.
    let r = history(&s, "alice", &ns, "member-1").await;
    assert_eq!(r.status, 403, "{}", r.text);
    let all = s
        .get(
            "alice",
            "/kapis/fluxcd.kubesphere.io/v1alpha1/history/releases?limit=500",
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert!(
        all.body["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|i| i["namespace"] == "team-a")),
        "{}",
        all.text
    );
    let own = unique_name("aud");
    let r = s
        .post(
            "alice",
            &path("team-a", "gitrepositories"),
            &json!({"metadata": {"name": own}, "spec": {"url": tb.git_repo_url(&repo), "interval": "1h", "ref": {"branch": "main"}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let audit = "/kapis/fluxcd.kubesphere.io/v1alpha1/audit?limit=500";
    let mine = s.get("alice", audit).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let items = mine.body["items"].as_array().cloned().unwrap_or_default();
    assert!(items.iter().all(|i| i["namespace"] == "team-a"), "{}", mine.text);
    assert!(
        items
            .iter()
            .any(|i| i["name"] == own.as_str() && i["user"] == "alice" && i["action"] == "create"),
        "{}",
        mine.text
    );
    let carol = s.get("carol", audit).await;
    assert!(
        carol.body["items"]
            .as_array()
            .is_some_and(|a| a.iter().all(|i| i["namespace"] == "team-b")),
        "{}",
        carol.text
    );
    let admin = s
        .get(
            "admin",
            &format!("/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{ns}/audit"),
        )
        .await;
    let actions: Vec<String> = admin.body["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| format!("{} {} {}", i["action"], i["kind"], i["name"]).replace('"', ""))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        actions.contains(&"create Application web".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"create GitRepository demo".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"reconcile Application web".to_string()),
        "{actions:?}"
    );
    let r = s
        .delete("alice", &format!("{}/{own}", path("team-a", "gitrepositories")))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // Stop ksflux; fix the manifest and let Flux apply it while ksflux is down; start it
    // again on the same store and address: everything stored is there, and the fix's release
    // arrives — by notification-controller's retry when ksflux is back within the Provider's
    // timeout (15 s), otherwise with kustomize-controller's next periodic success event
    // (every interval, here 1m), which names the applied revision.
    let counts: Vec<usize> = {
        let mut v = Vec::new();
        for t in TARGETS {
            v.push(
                history(&s, "admin", &ns, t).await.body["items"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or_default(),
            );
        }
        v
    };
    let addr: SocketAddr = s.addr;
    s.stop();
    drop(s);
    let fix = commit(tb, &work, &repo, &configmap(5), "fixed");
    let fix = format!("main@sha1:{fix}");
    let now = jiff::Timestamp::now().to_string();
    let requested = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": now}}});
    let sources: Api<DynamicObject> =
        Api::namespaced_with(host.clone(), &ns, &flux_resource("GitRepository"));
    sources
        .patch("demo", &PatchParams::default(), &Patch::Merge(&requested))
        .await
        .expect("request a fetch");
    // Flux applies the fix while ksflux is down (its events to ksflux fail meanwhile).
    let kustomizations: Api<DynamicObject> =
        Api::namespaced_with(host.clone(), &ns, &flux_resource("Kustomization"));
    wait_for(
        "the fix applied on both targets while ksflux is down",
        LONG,
        || async {
            let list = kustomizations
                .list(&Default::default())
                .await
                .map_err(|e| e.to_string())?;
            let applied = list
                .items
                .iter()
                .filter(|k| k.data["status"]["lastAppliedRevision"] == fix.as_str())
                .count();
            if applied == TARGETS.len() {
                Ok(())
            } else {
                Err(format!("{applied} applied"))
            }
        },
    )
    .await;
    let s = Server::start_with_history(open().await, addr).await;
    for (target, before) in TARGETS.iter().zip(counts) {
        let now = history(&s, "admin", &ns, target).await.body["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_default();
        assert!(
            now >= before,
            "{target}: {now} releases after the restart, {before} before"
        );
    }
    for target in TARGETS {
        wait_release(&s, &ns, target, &fix, "succeeded").await;
        for revision in revisions.iter().chain([&bad]) {
            let items = history(&s, "admin", &ns, target).await.body["items"].clone();
            assert!(
                items
                    .as_array()
                    .is_some_and(|a| a.iter().any(|i| i["revision"] == revision.as_str())),
                "{target}: {revision} kept: {items}"
            );
        }
    }
    s.stop();
}

#[tokio::test]
async fn releases_from_notification_controller_in_sqlite() {
    let dir = std::env::temp_dir().join(unique_name("history"));
    scenario(async || Store::sqlite(&dir).await.expect("sqlite")).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn releases_from_notification_controller_in_postgresql() {
    let pg = Postgres::start();
    scenario(async || Store::postgres(&pg.url).await.expect("postgres")).await;
}

/// Waits until the application's `target` has a Helm release `.v<version>` that succeeded.
async fn wait_helm_release(s: &Server, ns: &str, target: &str, version: i64) -> Value {
    wait_for(&format!("{target}: Helm release v{version}"), LONG, || async {
        let r = history(s, "admin", ns, target).await;
        let found = r.body["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|i| i["helmVersion"] == version && i["outcome"] == "succeeded")
                .cloned()
        });
        found.ok_or_else(|| format!("{} {}", r.status, r.text))
    })
    .await
}

#[tokio::test]
async fn helm_releases_carry_chart_version_release_number_and_values_digest() {
    let _one = ONE_AT_A_TIME.lock().await;
    start_controller();
    let dir = std::env::temp_dir().join(unique_name("history-helm"));
    let store = Store::sqlite(&dir).await.expect("sqlite");
    let s = Server::start_with_history(store, "127.0.0.1:0".parse().expect("addr")).await;
    let tb = s.tb;
    let ns = create_namespace(&tb.client("host").await, &unique_name("hhist")).await;
    let f = &tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(&ns, "helmrepositories"),
            &json!({"metadata": {"name": "demo"}, "spec": {"url": f.helm_url, "interval": "1m"},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let spec = |message: &str| {
        json!({"source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x", "values": {"message": message}},
            "targets": [{"cluster": "member-1", "namespace": ns}]})
    };
    let r = s
        .post(
            "admin",
            &path(&ns, "applications"),
            &json!({"metadata": {"name": "web"}, "spec": spec("one")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The install: stored from its event, or (when it came before the Alert) from Helm's
    // status.history.
    let first = wait_helm_release(&s, &ns, "member-1", 1).await;
    // The upgrade below comes after ksflux's Alert is there, so its event is heard.
    let alerts: Api<DynamicObject> =
        Api::namespaced_with(tb.client("host").await, &ns, &flux_resource("Alert"));
    wait_for("the events Alert", LONG, || async {
        alerts
            .get_opt("ksflux-events")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await;
    assert_eq!(first["chartVersion"], "1.0.0", "{first}");
    assert_eq!(first["kind"], "HelmRelease", "{first}");

    // An upgrade with other values: a release of its own, with the new values digest.
    let item = format!("{}/web", path(&ns, "applications"));
    let mut status = 0;
    for _ in 0..5 {
        let current = s.get("admin", &item).await.body;
        let body = json!({"metadata": {"name": "web", "resourceVersion": current["metadata"]["resourceVersion"]},
            "spec": spec("two")});
        status = s.put("admin", &item, &body).await.status;
        if status != 409 {
            break;
        }
    }
    assert_eq!(status, 200);
    wait_helm_release(&s, &ns, "member-1", 2).await;
    // The values digest comes from Helm's status.history once helm-controller wrote it.
    let second = wait_for("release 2's values digest", LONG, || async {
        let r = history(&s, "admin", &ns, "member-1").await;
        r.body["items"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|i| i["helmVersion"] == 2 && i["valuesDigest"].is_string())
                    .cloned()
            })
            .ok_or_else(|| r.text.clone())
    })
    .await;
    assert_eq!(second["origin"], "events", "{second}");
    assert_eq!(second["chartVersion"], "1.0.0", "{second}");
    assert_eq!(second["target"], "member-1", "{second}");
    let digest = second["valuesDigest"].as_str().unwrap_or_default();
    assert!(digest.starts_with("sha256:"), "{second}");
    if first["valuesDigest"].is_string() {
        assert_ne!(first["valuesDigest"], second["valuesDigest"]);
    }
    // The update is in the audit log with the changed value.
    let audit = s
        .get(
            "admin",
            &format!("/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{ns}/audit?kind=Application"),
        )
        .await;
    let update = audit.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["action"] == "update").cloned())
        .unwrap_or_default();
    let summary = update["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("spec.helm.values.message: one → two"),
        "{}",
        audit.text
    );
    assert_eq!(update["user"], "admin");
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

async fn configmap_data(tb: &Testbed, cluster: &str, ns: &str) -> (String, String) {
    let api: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(tb.client(cluster).await, ns);
    let cm = api.get_opt("web-config").await.ok().flatten();
    let get = |k: &str| {
        cm.as_ref()
            .and_then(|c| c.data.as_ref())
            .and_then(|d| d.get(k).cloned())
            .unwrap_or_default()
    };
    (get("chartVersion"), get("message"))
}

#[tokio::test]
async fn a_helm_target_rolls_back_to_release_one_while_the_other_stays_on_release_three() {
    let _one = ONE_AT_A_TIME.lock().await;
    start_controller();
    let dir = std::env::temp_dir().join(unique_name("history-rollback"));
    let store = Store::sqlite(&dir).await.expect("sqlite");
    let s = Server::start_with_history(store, "127.0.0.1:0".parse().expect("addr")).await;
    let tb = s.tb;
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("rback")).await;
    let f = &tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(&ns, "helmrepositories"),
            &json!({"metadata": {"name": "demo"}, "spec": {"url": f.helm_url, "interval": "1m"},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let spec = |version: &str, message: &str, suspend: bool| {
        json!({"source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": version, "values": {"message": message}},
            "targets": TARGETS.iter().map(|t| json!({"cluster": t, "namespace": ns, "suspend": suspend})).collect::<Vec<_>>()})
    };
    let item = format!("{}/web", path(&ns, "applications"));
    let put = async |spec: Value| {
        for _ in 0..5 {
            let current = s.get("admin", &item).await.body;
            let body = json!({"metadata": {"name": "web", "resourceVersion": current["metadata"]["resourceVersion"]},
                "spec": spec});
            let r = s.put("admin", &item, &body).await;
            if r.status != 409 {
                return r;
            }
        }
        panic!("five conflicts in a row");
    };
    // Suspended until ksflux's Alert is there, so release 1 is heard too.
    let r = s
        .post(
            "admin",
            &path(&ns, "applications"),
            &json!({"metadata": {"name": "web"}, "spec": spec("0.1.0", "r1", true)}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let alerts: Api<DynamicObject> = Api::namespaced_with(host.clone(), &ns, &flux_resource("Alert"));
    wait_for("the events Alert", LONG, || async {
        alerts
            .get_opt("ksflux-events")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await;
    for (n, (version, message)) in [("0.1.0", "r1"), ("0.2.0", "r2"), ("1.0.0", "r3")]
        .into_iter()
        .enumerate()
    {
        let r = put(spec(version, message, false)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for target in TARGETS {
            let release = wait_helm_release(&s, &ns, target, n as i64 + 1).await;
            assert_eq!(release["chartVersion"], version, "{release}");
        }
    }
    let first = wait_helm_release(&s, &ns, "member-1", 1).await;
    let id = first["id"].as_i64().unwrap_or_default();
    assert!(id > 0, "release 1 was stored: {first}");

    // The proposal: member-1's override gets release 1's chart version and values; the diff
    // shows member-1 changing and member-2 not. Nothing is written yet.
    let proposal = s
        .get("admin", &format!("{item}/rollback?target=member-1&release={id}"))
        .await;
    assert_eq!(proposal.status, 200, "{}", proposal.text);
    let p = &proposal.body;
    let overrides = &p["spec"]["targets"][0]["overrides"];
    assert_eq!(overrides["version"], "0.1.0", "{p}");
    assert_eq!(overrides["values"], json!({"message": "r1"}), "{p}");
    let diff = p["diff"].as_array().cloned().unwrap_or_default();
    let action = |c: &str| {
        diff.iter()
            .find(|d| d["cluster"] == c)
            .map(|d| d["action"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        (action("member-1"), action("member-2")),
        (json!("update"), json!("unchanged")),
        "{p}"
    );
    assert_eq!(
        configmap_data(tb, "member-1", &ns).await.1,
        "r3",
        "a proposal writes nothing"
    );
    // Bob only views the namespace: no proposal for him.
    let r = s
        .get("bob", &format!("{item}/rollback?target=member-1&release={id}"))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Applying it is an ordinary edit: member-1 runs release 1's chart and values, member-2
    // stays on release 3.
    // (A 409 means the controller wrote the status meanwhile: ask again, as a console does.)
    let mut body =
        json!({"metadata": {"name": "web", "resourceVersion": p["resourceVersion"]}, "spec": p["spec"]});
    let mut status = 0;
    for _ in 0..5 {
        status = s.put("admin", &item, &body).await.status;
        if status != 409 {
            break;
        }
        let again = s
            .get("admin", &format!("{item}/rollback?target=member-1&release={id}"))
            .await
            .body;
        body = json!({"metadata": {"name": "web", "resourceVersion": again["resourceVersion"]}, "spec": again["spec"]});
    }
    assert_eq!(status, 200);
    wait_for("member-1 back on release 1's chart and values", LONG, || async {
        let got = configmap_data(tb, "member-1", &ns).await;
        if got == ("0.1.0".to_string(), "r1".to_string()) {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    wait_helm_release(&s, &ns, "member-1", 4).await;
    assert_eq!(
        configmap_data(tb, "member-2", &ns).await,
        ("1.0.0".to_string(), "r3".to_string())
    );
    let m2 = history(&s, "admin", &ns, "member-2").await.body["items"].clone();
    assert!(
        m2.as_array()
            .is_some_and(|a| a.iter().all(|i| i["helmVersion"].as_i64() <= Some(3))),
        "{m2}"
    );
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
