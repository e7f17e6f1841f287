//! Sources API against the testbed: every source kind created with credentials is made Ready
//! by the real source-controller from the local fixture servers; update, suspend, resume,
//! reconcile and delete are observed in the real objects. Every response is checked for the
//! testbed's secret values (see `support`).

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use ksflux_testbed::{create_namespace, unique_name, wait_for};
use kube::Api;
use serde_json::{Value, json};
use support::{Server, path};

const READY: Duration = Duration::from_secs(120);

async fn wait_ready(s: &Server, ns: &str, resource: &str, name: &str) -> Value {
    let p = format!("{}/{name}", path(ns, resource));
    wait_for(&format!("{resource}/{name} Ready"), READY, || async {
        let r = s.get("admin", &p).await;
        if r.status != 200 {
            return Err(format!("GET {p}: {} {}", r.status, r.text));
        }
        match r.body["summary"]["state"].as_str() {
            Some("ready") => Ok(r.body),
            _ => Err(format!("summary: {}", r.body["summary"])),
        }
    })
    .await
}

async fn new_namespace(s: &Server) -> String {
    create_namespace(&s.tb.client("host").await, &unique_name("src")).await
}

/// Creates, checks Ready, updates, suspends, resumes, reconciles and deletes one source.
async fn lifecycle(
    s: &Server,
    ns: &str,
    resource: &str,
    name: &str,
    create: Value,
    update: impl Fn(&mut Value),
) {
    let created = s.post("admin", &path(ns, resource), &create).await;
    assert_eq!(created.status, 201, "create {resource}: {}", created.text);
    let auth = &created.body["credentialStatus"]["auth"];
    if create.get("credentials").is_some() {
        assert_eq!(
            auth["managed"], true,
            "credentials are managed: {}",
            created.body["credentialStatus"]
        );
        assert_eq!(auth["type"], create["credentials"]["type"]);
        // The Secret exists, is referenced, and the API said nothing of its values.
        let secret_name = auth["secretName"].as_str().unwrap_or_default().to_string();
        assert_eq!(created.body["spec"]["secretRef"]["name"], secret_name.as_str());
        let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, ns);
        assert!(secrets.get_opt(&secret_name).await.expect("get secret").is_some());
    }

    let ready = wait_ready(s, ns, resource, name).await;
    assert!(
        ready["summary"]["revision"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "revision: {}",
        ready["summary"]
    );
    assert!(
        ready["status"]["artifact"]["lastUpdateTime"].is_string(),
        "artifact: {}",
        ready["status"]
    );

    // Update: change the spec based on the current resourceVersion.
    let mut edit = json!({"metadata": {"name": name, "resourceVersion": ready["metadata"]["resourceVersion"]},
                          "spec": ready["spec"].clone()});
    update(&mut edit["spec"]);
    let updated = s
        .put("admin", &format!("{}/{name}", path(ns, resource)), &edit)
        .await;
    assert_eq!(updated.status, 200, "update {resource}: {}", updated.text);
    assert_eq!(updated.body["spec"]["interval"], edit["spec"]["interval"]);
    // The managed credentials stay referenced although the edit did not mention them.
    assert_eq!(
        updated.body["credentialStatus"]["auth"],
        created.body["credentialStatus"]["auth"]
    );

    // Suspend: the real object is suspended.
    let item = format!("{}/{name}", path(ns, resource));
    let suspended = s.post("admin", &format!("{item}/suspend"), &json!({})).await;
    assert_eq!(suspended.status, 200, "{}", suspended.text);
    assert_eq!(suspended.body["spec"]["suspend"], true);
    assert_eq!(suspended.body["summary"]["state"], "suspended");
    assert!(
        suspended.body["metadata"]["annotations"]["fluxcd.kubesphere.io/last-action"]
            .as_str()
            .is_some_and(|a| a.starts_with("suspend by admin"))
    );

    // Resume, then reconcile and wait until source-controller has handled the request.
    let resumed = s.post("admin", &format!("{item}/resume"), &json!({})).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert_eq!(resumed.body["spec"]["suspend"], false);
    let reconciled = s
        .post("admin", &format!("{item}/reconcile?wait=60"), &json!({}))
        .await;
    assert_eq!(reconciled.status, 200, "{}", reconciled.text);
    let requested = reconciled.body["summary"]["reconcileRequestedAt"].clone();
    assert!(requested.is_string());
    assert_eq!(
        reconciled.body["summary"]["lastHandledReconcileAt"], requested,
        "handled by the controller"
    );
    assert_eq!(reconciled.body["summary"]["reconcileHandled"], true);

    // Delete: the object goes, and its managed Secret with it (garbage collection).
    let deleted = s.delete("admin", &item).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    wait_for(
        &format!("{resource}/{name} deleted"),
        Duration::from_secs(60),
        || async {
            let r = s.get("admin", &item).await;
            if r.status == 404 {
                Ok(())
            } else {
                Err(format!("{}", r.status))
            }
        },
    )
    .await;
    if let Some(secret_name) = auth["secretName"].as_str() {
        let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, ns);
        wait_for(
            "credential secret garbage-collected",
            Duration::from_secs(60),
            || async {
                match secrets.get_opt(secret_name).await {
                    Ok(None) => Ok(()),
                    other => Err(format!("{other:?}").chars().take(80).collect()),
                }
            },
        )
        .await;
    }
}

#[tokio::test]
async fn git_repository_with_basic_auth_becomes_ready_and_follows_actions() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let f = &s.tb.info.fixtures;
    let body = json!({
        "metadata": {"name": "demo"},
        "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m", "ref": {"branch": "main"}},
        "credentials": {"type": "basic", "username": f.user, "password": f.password}
    });
    lifecycle(&s, &ns, "gitrepositories", "demo", body, |spec| {
        spec["interval"] = json!("2m")
    })
    .await;
}

#[tokio::test]
async fn git_repository_without_credentials_fails_with_the_servers_reason() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let body = json!({"metadata": {"name": "nocreds"},
                      "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m", "ref": {"branch": "main"}}});
    assert_eq!(
        s.post("admin", &path(&ns, "gitrepositories"), &body).await.status,
        201
    );
    let p = format!("{}/nocreds", path(&ns, "gitrepositories"));
    let failed = wait_for("GitRepository without credentials fails", READY, || async {
        let r = s.get("admin", &p).await;
        if r.body["summary"]["state"] == "failed" {
            Ok(r.body)
        } else {
            Err(r.body["summary"].to_string())
        }
    })
    .await;
    assert!(failed["credentialStatus"]["auth"].is_null());
    assert!(
        !failed["summary"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn helm_repository_and_chart_become_ready_and_list_charts() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let f = &s.tb.info.fixtures;
    let repo = json!({
        "metadata": {"name": "demo"},
        "spec": {"url": f.helm_url, "interval": "1m"},
        "credentials": {"type": "basic", "username": f.user, "password": f.password}
    });
    let created = s.post("admin", &path(&ns, "helmrepositories"), &repo).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_ready(&s, &ns, "helmrepositories", "demo").await;

    // The chart picker: charts and versions from the repository's artifact, newest first.
    let charts = s
        .get("admin", &format!("{}/demo/charts", path(&ns, "helmrepositories")))
        .await;
    assert_eq!(charts.status, 200, "{}", charts.text);
    assert_eq!(charts.body[0]["name"], "demo-app");
    let versions: Vec<&str> = charts.body[0]["versions"]
        .as_array()
        .map(|v| v.iter().filter_map(|x| x["version"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(versions, ["1.0.0", "0.2.0", "0.1.0"]);

    // A HelmChart from it uses the repository's credentials.
    let chart = json!({"metadata": {"name": "demo-app"},
        "spec": {"chart": "demo-app", "version": "0.x", "interval": "1m",
                 "sourceRef": {"kind": "HelmRepository", "name": "demo"}}});
    lifecycle(&s, &ns, "helmcharts", "demo-app", chart, |spec| {
        spec["interval"] = json!("3m")
    })
    .await;

    let repo_item = format!("{}/demo", path(&ns, "helmrepositories"));
    let r = s.get("admin", &repo_item).await;
    let edit = json!({"metadata": {"name": "demo", "resourceVersion": r.body["metadata"]["resourceVersion"]},
                      "spec": r.body["spec"], "credentials": {"type": "basic", "username": f.user, "password": "rotated"}});
    let rotated = s.put("admin", &repo_item, &edit).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    // The rotated password is in the Secret (read directly, never through the API).
    let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, &ns);
    let secret = secrets.get("demo-helm-auth").await.expect("secret");
    let password = secret
        .data
        .and_then(|d| d.get("password").cloned())
        .map(|b| b.0)
        .unwrap_or_default();
    assert_eq!(password, b"rotated");
}

#[tokio::test]
async fn helm_repository_of_type_oci_is_accepted() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let f = &s.tb.info.fixtures;
    let repo = json!({
        "metadata": {"name": "oci"},
        "spec": {"type": "oci", "url": format!("oci://{}/charts", f.registry), "interval": "1m", "insecure": true},
        "credentials": {"type": "basic", "username": f.user, "password": f.password}
    });
    let created = s.post("admin", &path(&ns, "helmrepositories"), &repo).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let chart = json!({"metadata": {"name": "from-oci"},
        "spec": {"chart": "demo-app", "version": ">=0.2.0", "interval": "1m",
                 "sourceRef": {"kind": "HelmRepository", "name": "oci"}}});
    assert_eq!(
        s.post("admin", &path(&ns, "helmcharts"), &chart).await.status,
        201
    );
    let ready = wait_ready(&s, &ns, "helmcharts", "from-oci").await;
    assert!(
        ready["summary"]["revision"]
            .as_str()
            .is_some_and(|r| r.starts_with("1.0.0")),
        "{}",
        ready["summary"]
    );
    let charts = s
        .get("admin", &format!("{}/oci/charts", path(&ns, "helmrepositories")))
        .await;
    assert_eq!(
        charts.status, 400,
        "OCI repositories have no index: {}",
        charts.text
    );
}

#[tokio::test]
async fn bucket_with_s3_keys_becomes_ready() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let f = &s.tb.info.fixtures;
    let body = json!({
        "metadata": {"name": "demo"},
        "spec": {"bucketName": f.s3_bucket, "endpoint": f.s3_endpoint, "provider": "generic", "insecure": true, "interval": "1m"},
        "credentials": {"type": "s3", "accessKey": f.s3_access_key, "secretKey": f.s3_secret_key}
    });
    lifecycle(&s, &ns, "buckets", "demo", body, |spec| {
        spec["interval"] = json!("90s")
    })
    .await;
}

#[tokio::test]
async fn oci_repository_with_registry_credentials_becomes_ready() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    let f = &s.tb.info.fixtures;
    let body = json!({
        "metadata": {"name": "demo"},
        "spec": {"url": format!("oci://{}/manifests/demo", f.registry), "insecure": true, "interval": "1m",
                 "ref": {"semver": ">=1.0.0"}},
        "credentials": {"type": "basic", "username": f.user, "password": f.password}
    });
    lifecycle(&s, &ns, "ocirepositories", "demo", body, |spec| {
        spec["interval"] = json!("5m")
    })
    .await;
    // The registry credentials were stored as a docker config, which OCIRepository needs.
}

#[tokio::test]
async fn lists_filter_sort_and_page_in_kubesphere_shape() {
    let s = Server::start().await;
    let ns = new_namespace(&s).await;
    for name in ["alpha", "beta", "gamma"] {
        let body = json!({"metadata": {"name": name, "labels": {"tier": if name == "beta" { "b" } else { "a" }}},
            "spec": {"url": s.tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"}, "suspend": true}});
        assert_eq!(
            s.post("admin", &path(&ns, "gitrepositories"), &body).await.status,
            201
        );
    }
    let base = path(&ns, "gitrepositories");
    let page = s
        .get(
            "admin",
            &format!("{base}?sortBy=name&ascending=true&limit=2&page=1"),
        )
        .await;
    assert_eq!(page.body["totalItems"], 3);
    let names: Vec<&str> = page.body["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|x| x["metadata"]["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["alpha", "beta"]);
    let page2 = s
        .get(
            "admin",
            &format!("{base}?sortBy=name&ascending=true&limit=2&page=2"),
        )
        .await;
    assert_eq!(page2.body["items"][0]["metadata"]["name"], "gamma");
    let by_label = s.get("admin", &format!("{base}?labelSelector=tier%3Da")).await;
    assert_eq!(by_label.body["totalItems"], 2);
    let by_name = s.get("admin", &format!("{base}?name=amm")).await;
    assert_eq!(by_name.body["items"][0]["metadata"]["name"], "gamma");
    let suspended = s.get("admin", &format!("{base}?state=suspended")).await;
    assert_eq!(suspended.body["totalItems"], 3);
    let all = s
        .get(
            "admin",
            "/kapis/fluxcd.kubesphere.io/v1alpha1/gitrepositories?name=alpha&limit=1000",
        )
        .await;
    assert!(
        all.body["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["metadata"]["namespace"] == ns.as_str()))
    );
}
