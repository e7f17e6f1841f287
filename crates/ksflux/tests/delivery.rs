//! Raw Kustomization and HelmRelease through the API on the testbed: create, status
//! (inventory, Helm history, revisions), reconcile with source, force, reset, suspend, delete.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use ksflux_testbed::{create_namespace, unique_name, wait_for};
use kube::Api;
use serde_json::{Value, json};
use support::{Server, path};

async fn wait_ready(s: &Server, item: &str) -> Value {
    wait_for(&format!("{item} ready"), Duration::from_secs(180), || async {
        let r = s.get("admin", item).await;
        if r.body["summary"]["state"] == "ready" {
            Ok(r.body)
        } else {
            Err(r.body["summary"].to_string())
        }
    })
    .await
}

#[tokio::test]
async fn helm_release_reports_history_and_takes_force_reset_and_reconcile_with_source() {
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("hr")).await;
    let f = &s.tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(&ns, "helmrepositories"),
            &json!({
            "metadata": {"name": "demo"}, "spec": {"url": f.helm_url, "interval": "1m"},
            "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The testbed's Flux runs with its multi-tenancy lockdown: the release runs as a
    // ServiceAccount allowed in the namespace.
    ksflux_testbed::grant_applier(&s.tb.client("host").await, &ns, &ns).await;
    let body = json!({"metadata": {"name": "app"}, "spec": {
        "interval": "5m", "releaseName": "app", "targetNamespace": ns, "serviceAccountName": ksflux_testbed::APPLIER,
        "chart": {"spec": {"chart": "demo-app", "version": "0.2.x", "sourceRef": {"kind": "HelmRepository", "name": "demo"}}},
        "values": {"message": "raw"}}});
    let bad = s
        .post(
            "admin",
            &path(&ns, "helmreleases"),
            &json!({"metadata": {"name": "bad"}, "spec": {"interval": "5m"}}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.body["details"]["causes"][0]["field"], "spec.chart");
    let r = s.post("admin", &path(&ns, "helmreleases"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let item = format!("{}/app", path(&ns, "helmreleases"));
    let ready = wait_ready(&s, &item).await;
    assert!(
        ready["status"]["history"][0]["chartVersion"] == "0.2.0",
        "{}",
        ready["status"]["history"]
    );
    let cms: Api<ConfigMap> = Api::namespaced(s.tb.client("host").await, &ns);
    let cm = cms.get("app-config").await.expect("installed");
    assert_eq!(
        cm.data.and_then(|d| d.get("message").cloned()).as_deref(),
        Some("raw")
    );

    // Reconcile with its source: the HelmChart helm-controller made is asked too.
    let r = s
        .post(
            "admin",
            &format!("{item}/reconcile?withSource=true&wait=60"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["summary"]["reconcileHandled"], true,
        "{}",
        r.body["summary"]
    );
    let chart = s
        .get("admin", &format!("{}/{ns}-app", path(&ns, "helmcharts")))
        .await;
    assert!(
        chart.body["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"].is_string(),
        "{}",
        chart.text
    );

    // Force and reset set their tokens to the requested one, as the flux CLI does.
    for (action, annotation) in [
        ("force", "reconcile.fluxcd.io/forceAt"),
        ("reset", "reconcile.fluxcd.io/resetAt"),
    ] {
        let r = s
            .post("admin", &format!("{item}/{action}?wait=60"), &json!({}))
            .await;
        assert_eq!(r.status, 200, "{action}: {}", r.text);
        let a = &r.body["metadata"]["annotations"];
        assert_eq!(a[annotation], a["reconcile.fluxcd.io/requestedAt"], "{action}");
        assert_eq!(
            r.body["summary"]["reconcileHandled"], true,
            "{action}: {}",
            r.body["summary"]
        );
    }
    let forced = s.get("admin", &item).await;
    let history = forced.body["status"]["history"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(
        history >= 2,
        "force upgraded the release: {}",
        forced.body["status"]["history"]
    );
    // Sources have no force: the operation exists for HelmReleases only.
    let r = s
        .post(
            "admin",
            &format!("{}/demo/force", path(&ns, "helmrepositories")),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["kind"], "Status", "{}", r.text);

    assert_eq!(s.delete("admin", &item).await.status, 204);
    wait_for("release uninstalled", Duration::from_secs(120), || async {
        match cms.get_opt("app-config").await {
            Ok(None) => Ok(()),
            other => Err(format!("{:?}", other.map(|c| c.is_some()))),
        }
    })
    .await;
}

#[tokio::test]
async fn kustomization_reports_its_inventory() {
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("ks")).await;
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
    ksflux_testbed::grant_applier(&s.tb.client("host").await, &ns, &ns).await;
    let r = s
        .post(
            "admin",
            &path(&ns, "kustomizations"),
            &json!({"metadata": {"name": "plain"}, "spec": {
            "interval": "5m", "path": "./plain", "prune": true, "targetNamespace": ns,
            "serviceAccountName": ksflux_testbed::APPLIER,
            "sourceRef": {"kind": "GitRepository", "name": "demo"}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let item = format!("{}/plain", path(&ns, "kustomizations"));
    let ready = wait_ready(&s, &item).await;
    let inventory = ready["status"]["inventory"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        inventory
            .iter()
            .any(|e| e["id"] == format!("{ns}_plain-config__ConfigMap")),
        "{inventory:?}"
    );
    assert!(
        ready["summary"]["revision"]
            .as_str()
            .is_some_and(|r| r.starts_with("main@sha1:"))
    );
    let r = s.post("admin", &format!("{item}/suspend"), &json!({})).await;
    assert_eq!(r.body["summary"]["state"], "suspended");
    let r = s
        .post("admin", &format!("{item}/resume?wait=60"), &json!({}))
        .await;
    assert_eq!(r.body["spec"]["suspend"], false);
    assert_eq!(s.delete("admin", &item).await.status, 204);
}
