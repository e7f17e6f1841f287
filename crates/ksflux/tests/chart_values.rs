//! A chart's default values against the testbed: the Helm fixture's demo-app, pulled by a
//! HelmChart the real source-controller reconciles, read back from its artifact; and the
//! refusals (bad version, no HelmChart of that version, a chart the repository lacks, a user
//! who may not read the repository, a HelmChart status pointing elsewhere).

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use k8s_openapi::api::core::v1::Namespace;
use ksflux_testbed::{create_namespace, flux_resource, unique_name, wait_for};
use kube::{
    Api,
    api::{DeleteParams, DynamicObject, Patch, PatchParams},
};
use serde_json::{Value, json};
use support::{Server, path};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A canary no response may repeat.
const CANARY: &str = "canary-chart-5d1e";

/// A plain HTTP server on loopback that counts connections and answers with `body`.
async fn target(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

async fn wait_ready(s: &Server, ns: &str, resource: &str, name: &str) -> Value {
    let p = format!("{}/{name}", path(ns, resource));
    wait_for(
        &format!("{resource}/{name} Ready"),
        Duration::from_secs(120),
        || async {
            let r = s.get("admin", &p).await;
            match r.body["summary"]["state"].as_str() {
                Some("ready") if r.status == 200 => Ok(r.body),
                _ => Err(format!("GET {p}: {} {}", r.status, r.body["summary"])),
            }
        },
    )
    .await
}

#[tokio::test]
async fn default_values_and_schema_come_from_a_helm_charts_artifact() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("values")).await;
    let f = &s.tb.info.fixtures;
    let repo = json!({
        "metadata": {"name": "demo"},
        "spec": {"url": f.helm_url, "interval": "1m"},
        "credentials": {"type": "basic", "username": f.user, "password": f.password}
    });
    let created = s.post("admin", &path(&ns, "helmrepositories"), &repo).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_ready(&s, &ns, "helmrepositories", "demo").await;
    let values = |chart: &str, version: &str| {
        format!(
            "{}/demo/charts/{chart}/values?version={}",
            path(&ns, "helmrepositories"),
            version
                .replace(' ', "%20")
                .replace('>', "%3E")
                .replace('<', "%3C")
        )
    };

    // Nothing pulled demo-app yet: ksflux does not fetch the index's chart URL itself.
    let none = s.get("admin", &values("demo-app", "1.x")).await;
    assert_eq!(none.status, 404, "{}", none.text);
    assert!(
        none.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("never from the repository's own URLs")),
        "{}",
        none.text
    );

    let chart = json!({"metadata": {"name": "demo-app-latest"},
        "spec": {"chart": "demo-app", "version": "1.x", "interval": "1m",
                 "sourceRef": {"kind": "HelmRepository", "name": "demo"}}});
    let created = s.post("admin", &path(&ns, "helmcharts"), &chart).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_ready(&s, &ns, "helmcharts", "demo-app-latest").await;

    // The newest version (what `*` and `>=0.1.0 <2.0.0` resolve to in the index) is 1.0.0.
    for range in ["", "1.0.0", ">=0.1.0 <2.0.0"] {
        let r = s.get("admin", &values("demo-app", range)).await;
        assert_eq!(r.status, 200, "{range:?}: {}", r.text);
        assert_eq!(r.body["chart"], "demo-app");
        assert_eq!(r.body["version"], "1.0.0");
        assert_eq!(r.body["helmChart"], "demo-app-latest");
        let text = r.body["values"].as_str().unwrap_or_default();
        // The file as written, comments included.
        assert!(text.contains("replicaCount: 1\n"), "{text}");
        assert!(text.contains("message: hello from demo-app"), "{text}");
        assert!(text.contains("# Requests, so that the scheduler"), "{text}");
        assert_eq!(r.body["schema"]["properties"]["replicaCount"]["type"], "integer");
        assert!(r.body["schemaError"].is_null());
    }

    // 0.2.0 is in the index, but no HelmChart has pulled it.
    let older = s.get("admin", &values("demo-app", "0.2.0")).await;
    assert_eq!(older.status, 404, "{}", older.text);
    assert!(older.text.contains("0.2.0"), "{}", older.text);
    // A chart the repository does not offer, a range nothing matches.
    assert_eq!(s.get("admin", &values("nope", "*")).await.status, 404);
    assert_eq!(s.get("admin", &values("demo-app", "3.x")).await.status, 404);
    // Bad input names its parameter.
    let bad = s.get("admin", &values("demo-app", "latest")).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.body["details"]["causes"][0]["field"], "version");
    let bad = s.get("admin", &values("Demo_App", "*")).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.body["details"]["causes"][0]["field"], "chart");
    // Someone who may not read the repository learns nothing about it.
    assert_eq!(s.get("carol", &values("demo-app", "*")).await.status, 403);

    // The request created nothing: the only HelmChart is the test's.
    let charts = s.get("admin", &path(&ns, "helmcharts")).await;
    assert_eq!(charts.body["totalItems"], 1, "{}", charts.text);

    // A suspended HelmChart (no controller rewrites its status) whose status someone allowed
    // to patch it points at a server of their choice, or at another namespace's artifact on
    // the storage: neither is fetched.
    let (evil, hits) = target(CANARY).await;
    let storage = s.tb.info.flux.storage_url.trim_end_matches('/').to_string();
    let helm_charts: Api<DynamicObject> =
        Api::namespaced_with(host.clone(), &ns, &flux_resource("HelmChart"));
    for (name, version, url) in [
        (
            "forged",
            "0.2.0",
            format!("{evil}/helmchart/{ns}/forged/demo-app-0.2.0.tgz"),
        ),
        (
            "borrowed",
            "0.1.0",
            format!("{storage}/helmchart/other/secret/demo-app-0.1.0.tgz"),
        ),
    ] {
        let body = json!({"metadata": {"name": name},
            "spec": {"chart": "demo-app", "version": version, "interval": "1m", "suspend": true,
                     "sourceRef": {"kind": "HelmRepository", "name": "demo"}}});
        let created = s.post("admin", &path(&ns, "helmcharts"), &body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        helm_charts
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"artifact": {
                    "url": url, "path": "x", "revision": version, "digest": "sha256:00",
                    "lastUpdateTime": "2026-01-01T00:00:00Z"}}})),
            )
            .await
            .expect("patch the status");
    }
    let forged = wait_for("the forged status read", Duration::from_secs(30), || async {
        let r = s.get("admin", &values("demo-app", "0.2.0")).await;
        if r.status == 404 { Err(r.text) } else { Ok(r) }
    })
    .await;
    assert_eq!(forged.status, 502, "{}", forged.text);
    assert!(
        forged.text.contains("source-controller's storage"),
        "{}",
        forged.text
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "ksflux fetched a URL a user set");
    assert!(
        !forged.text.contains(CANARY) && !forged.text.contains(&evil),
        "{}",
        forged.text
    );
    let borrowed = s.get("admin", &values("demo-app", "0.1.0")).await;
    assert_eq!(borrowed.status, 404, "{}", borrowed.text);

    let namespaces: Api<Namespace> = Api::all(host);
    let _ = namespaces.delete(&ns, &DeleteParams::default()).await;
}
