//! Smoke suite: each real path of the testbed end to end, against real Kubernetes and real
//! Flux controllers. Every test works in namespaces of its own, so they run in parallel.

use std::{path::PathBuf, time::Duration};

use ksflux_testbed::{
    APPLIER, Testbed, apply, create_namespace, delete_and_wait, delete_namespace, dynamic_api, flux_resource,
    get, git, grant_applier, unique_name, wait_for,
};
use kube::{
    Client,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, PostParams},
};
use serde_json::{Value, json};

/// Deadline of each wait on a controller.
const TIMEOUT: Duration = Duration::from_secs(180);

fn core(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", kind))
}

fn apps(kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", kind))
}

/// Waits for an object to exist and returns it.
async fn wait_exists(client: &Client, ar: &ApiResource, ns: &str, name: &str, where_: &str) -> DynamicObject {
    wait_for(
        &format!("{} {ns}/{name} on {where_}", ar.kind),
        TIMEOUT,
        || async {
            get(client, ar, Some(ns), name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "not found".into())
        },
    )
    .await
}

/// True when the object does not exist (an API error fails the test).
async fn absent(client: &Client, ar: &ApiResource, ns: &str, name: &str) -> bool {
    get(client, ar, Some(ns), name)
        .await
        .unwrap_or_else(|e| panic!("reading {} {ns}/{name}: {e}", ar.kind))
        .is_none()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique_name(prefix));
        std::fs::create_dir_all(&dir).expect("creating a scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn git_repository_and_kustomization_apply_to_a_member() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let member = tb.client("member-1").await;
    let ns = create_namespace(&host, &unique_name("smoke-ks")).await;
    let target = create_namespace(&member, &unique_name("smoke-ks-target")).await;
    grant_applier(&member, &ns, &target).await;
    // Flux looks the ServiceAccount up in the object's own cluster before pruning.
    grant_applier(&host, &ns, &ns).await;

    apply(&host, tb.basic_auth_secret(&ns, "git-auth")).await;
    apply(
        &host,
        tb.member_kubeconfig_secret("member-1", &ns, "member-1-kubeconfig"),
    )
    .await;
    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "demo", "namespace": ns},
            "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"},
                     "secretRef": {"name": "git-auth"}},
        }),
    )
    .await;
    let repo = tb.wait_ready(&host, "GitRepository", &ns, "demo", TIMEOUT).await;
    let revision = str_at(&repo.data, "/status/artifact/revision");
    assert!(
        revision.starts_with("main@sha1:"),
        "GitRepository revision {revision:?}"
    );

    apply(
        &host,
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "demo", "namespace": ns},
            "spec": {
                "interval": "10m", "prune": true, "wait": true, "timeout": "2m", "path": "./base",
                "sourceRef": {"kind": "GitRepository", "name": "demo"},
                "targetNamespace": target,
                "kubeConfig": {"secretRef": {"name": "member-1-kubeconfig"}},
                "serviceAccountName": APPLIER,
                "postBuild": {"substitute": {"greeting": "hello-member", "cluster_name": "member-1"}},
            },
        }),
    )
    .await;
    let ks = tb.wait_ready(&host, "Kustomization", &ns, "demo", TIMEOUT).await;
    assert_eq!(str_at(&ks.data, "/status/lastAppliedRevision"), revision);
    let inventory: Vec<&str> = ks.data["status"]["inventory"]["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        inventory.contains(&format!("{target}_demo-config__ConfigMap").as_str()),
        "inventory {inventory:?}"
    );

    // The objects are on the member, in the target namespace, with the substituted data.
    let cm = wait_exists(&member, &core("ConfigMap"), &target, "demo-config", "member-1").await;
    assert_eq!(str_at(&cm.data, "/data/greeting"), "hello-member");
    assert_eq!(str_at(&cm.data, "/data/cluster"), "member-1");
    let deploy = wait_exists(&member, &apps("Deployment"), &target, "demo", "member-1").await;
    let image = str_at(&deploy.data, "/spec/template/spec/containers/0/image");
    assert_eq!(image, format!("{}/demo/app:1.0.0", tb.info.fixtures.registry));
    // `wait: true`: the Kustomization became Ready because the Deployment's pod is ready.
    assert_eq!(
        deploy.data["status"]["readyReplicas"],
        json!(1),
        "status {}",
        deploy.data["status"]
    );
    // ... and not on the host.
    assert!(absent(&host, &core("ConfigMap"), &target, "demo-config").await);
    assert!(absent(&host, &core("ConfigMap"), &ns, "demo-config").await);

    // Deleting the Kustomization prunes what it applied on the member. (It must go before
    // the namespace: its finalizer needs the kubeconfig Secret.)
    delete_and_wait(&host, &flux_resource("Kustomization"), Some(&ns), "demo", TIMEOUT).await;
    assert!(
        absent(&member, &core("ConfigMap"), &target, "demo-config").await,
        "not pruned"
    );

    delete_namespace(&host, &ns).await;
    delete_namespace(&member, &target).await;
    delete_namespace(&member, &ns).await;
}

#[tokio::test]
async fn helm_repository_and_helm_release_install_into_a_member() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let member = tb.client("member-2").await;
    let ns = create_namespace(&host, &unique_name("smoke-helm")).await;
    let target = create_namespace(&member, &unique_name("smoke-helm-target")).await;
    grant_applier(&member, &ns, &target).await;
    // Flux looks the ServiceAccount up in the object's own cluster before pruning.
    grant_applier(&host, &ns, &ns).await;

    apply(&host, tb.basic_auth_secret(&ns, "helm-auth")).await;
    apply(
        &host,
        tb.member_kubeconfig_secret("member-2", &ns, "member-2-kubeconfig"),
    )
    .await;
    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
            "metadata": {"name": "samples", "namespace": ns},
            "spec": {"url": tb.info.fixtures.helm_url, "interval": "10m", "secretRef": {"name": "helm-auth"}},
        }),
    )
    .await;
    tb.wait_ready(&host, "HelmRepository", &ns, "samples", TIMEOUT)
        .await;

    apply(
        &host,
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "demo", "namespace": ns},
            "spec": {
                "interval": "10m",
                "releaseName": "demo",
                "targetNamespace": target,
                "storageNamespace": target,
                "kubeConfig": {"secretRef": {"name": "member-2-kubeconfig"}},
                "serviceAccountName": APPLIER,
                "chart": {"spec": {"chart": "demo-app", "version": ">=0.1.0 <1.0.0",
                                   "sourceRef": {"kind": "HelmRepository", "name": "samples"}}},
                "values": {"message": "hello from the smoke test", "replicaCount": 3},
            },
        }),
    )
    .await;
    let hr = tb.wait_ready(&host, "HelmRelease", &ns, "demo", TIMEOUT).await;
    assert_eq!(
        str_at(&hr.data, "/status/history/0/chartVersion"),
        "0.2.0",
        "status {}",
        hr.data["status"]
    );

    // The chart is rendered on the member with the overridden values, newest 0.x version.
    let cm = wait_exists(&member, &core("ConfigMap"), &target, "demo-config", "member-2").await;
    assert_eq!(str_at(&cm.data, "/data/message"), "hello from the smoke test");
    assert_eq!(str_at(&cm.data, "/data/replicas"), "3");
    assert_eq!(str_at(&cm.data, "/data/chartVersion"), "0.2.0");
    // Helm waited for the rollout: the release is Ready because its three pods are.
    let deploy = wait_exists(&member, &apps("Deployment"), &target, "demo", "member-2").await;
    assert_eq!(
        deploy.data["status"]["readyReplicas"],
        json!(3),
        "status {}",
        deploy.data["status"]
    );
    // Helm keeps its release record on the member too.
    wait_exists(
        &member,
        &core("Secret"),
        &target,
        "sh.helm.release.v1.demo.v1",
        "member-2",
    )
    .await;
    assert!(absent(&host, &core("ConfigMap"), &ns, "demo-config").await);

    // Deleting the HelmRelease uninstalls the release from the member (before the
    // namespace, as its finalizer needs the kubeconfig Secret).
    delete_and_wait(&host, &flux_resource("HelmRelease"), Some(&ns), "demo", TIMEOUT).await;
    assert!(
        absent(&member, &core("ConfigMap"), &target, "demo-config").await,
        "not uninstalled"
    );

    delete_namespace(&host, &ns).await;
    delete_namespace(&member, &target).await;
    delete_namespace(&member, &ns).await;
}

/// The first condition of `type_` of an object: (status, reason, message).
fn condition(obj: &DynamicObject, type_: &str) -> Option<(String, String, String)> {
    obj.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["reason"].as_str().unwrap_or_default().to_string(),
                c["message"].as_str().unwrap_or_default().to_string(),
            )
        })
}

#[tokio::test]
async fn flux_runs_with_its_multi_tenancy_lockdown() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-tenancy")).await;
    let other = create_namespace(&host, &unique_name("smoke-tenancy-other")).await;
    for n in [&ns, &other] {
        apply(&host, tb.basic_auth_secret(n, "git-auth")).await;
        apply(
            &host,
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "demo", "namespace": n},
                "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"},
                         "secretRef": {"name": "git-auth"}}}),
        )
        .await;
        tb.wait_ready(&host, "GitRepository", n, "demo", TIMEOUT).await;
    }
    let kustomization = |name: &str, source_ns: Option<&str>, sa: Option<&str>| {
        let mut spec = json!({"interval": "10m", "prune": true, "path": "./plain",
            "sourceRef": {"kind": "GitRepository", "name": "demo"}, "targetNamespace": ns});
        if let Some(s) = source_ns {
            spec["sourceRef"]["namespace"] = json!(s);
        }
        if let Some(sa) = sa {
            spec["serviceAccountName"] = json!(sa);
        }
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    };
    apply(&host, kustomization("as-default", None, None)).await;
    apply(&host, kustomization("cross", Some(&other), Some(APPLIER))).await;
    grant_applier(&host, &ns, &ns).await;
    apply(&host, kustomization("granted", None, Some(APPLIER))).await;

    let api = dynamic_api(&host, &flux_resource("Kustomization"), Some(&ns));
    let failed = |name: &'static str| {
        let api = api.clone();
        async move {
            wait_for(&format!("Kustomization {name} to fail"), TIMEOUT, || async {
                let obj = api.get(name).await.map_err(|e| e.to_string())?;
                match condition(&obj, "Ready") {
                    Some((s, reason, message)) if s == "False" => Ok((reason, message)),
                    other => Err(format!("{other:?}")),
                }
            })
            .await
        }
    };
    // No ServiceAccount named: Flux impersonates the namespace's `default`, which may do nothing.
    let (_, message) = failed("as-default").await;
    assert!(
        message.contains(&format!("system:serviceaccount:{ns}:default")),
        "{message}"
    );
    // A source in another namespace is refused by the controller.
    let (reason, message) = failed("cross").await;
    assert_eq!(reason, "AccessDenied", "{message}");
    // With a ServiceAccount allowed in the target namespace, it applies.
    tb.wait_ready(&host, "Kustomization", &ns, "granted", TIMEOUT)
        .await;

    for name in ["as-default", "cross", "granted"] {
        delete_and_wait(&host, &flux_resource("Kustomization"), Some(&ns), name, TIMEOUT).await;
    }
    delete_namespace(&host, &ns).await;
    delete_namespace(&host, &other).await;
}

/// Downloads an object's artifact from source-controller and checks it is a gzip stream of
/// the size its status announces.
async fn fetch_artifact(obj: &DynamicObject) {
    let url = str_at(&obj.data, "/status/artifact/url").to_string();
    assert!(!url.is_empty(), "no artifact URL in {}", obj.data["status"]);
    let resp = reqwest::get(&url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
    let body = resp.bytes().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(body.starts_with(&[0x1f, 0x8b]), "artifact {url} is not gzip");
    let size = obj.data["status"]["artifact"]["size"].as_u64();
    assert_eq!(Some(body.len() as u64), size, "artifact {url} size");
}

/// Waits until a Flux object reports `Ready=False` and returns the condition's message.
/// Waits until the Flux object `kind` `ns/name` on `client`'s cluster has failed for good
/// (Ready=False for a reason other than progressing); its reason and message.
async fn wait_failed(tb: &Testbed, client: &Client, kind: &str, ns: &str, name: &str) -> (String, String) {
    let api = dynamic_api(client, &flux_resource(kind), Some(ns));
    let what = format!(
        "{kind} {ns}/{name} to fail (log: {})",
        tb.log_path(ksflux_testbed::flux_controller(kind)).display()
    );
    wait_for(&what, TIMEOUT, || async {
        let obj = api.get(name).await.map_err(|e| e.to_string())?;
        match condition(&obj, "Ready") {
            Some((s, reason, message)) if s == "False" && reason != "Progressing" => Ok((reason, message)),
            other => Err(format!("{other:?}")),
        }
    })
    .await
}

async fn wait_not_ready(client: &Client, kind: &str, ns: &str, name: &str) -> String {
    let ar = flux_resource(kind);
    wait_for(&format!("{kind} {ns}/{name} to fail"), TIMEOUT, || async {
        let obj = get(client, &ar, Some(ns), name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("not found")?;
        let conds = obj.data["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match conds.iter().find(|c| c["type"] == "Ready") {
            Some(c) if c["status"] == "False" => Ok(c["message"].as_str().unwrap_or_default().to_string()),
            other => Err(format!("Ready condition {other:?}")),
        }
    })
    .await
}

#[tokio::test]
async fn oci_repository_and_bucket_sources_become_ready() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-src")).await;
    let f = &tb.info.fixtures;

    apply(&host, tb.registry_secret(&ns, "regcred")).await;
    apply(&host, tb.s3_secret(&ns, "s3cred")).await;
    let oci = |name: &str, secret: Option<&str>| {
        let mut spec = json!({"url": format!("oci://{}/manifests/demo", f.registry), "interval": "10m",
                              "ref": {"tag": "1.0.0"}, "insecure": true});
        if let Some(s) = secret {
            spec["secretRef"] = json!({"name": s});
        }
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    };
    let bucket = |name: &str, secret: &str| {
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "Bucket",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"provider": "generic", "bucketName": f.s3_bucket, "endpoint": f.s3_endpoint,
                        "insecure": true, "interval": "10m", "secretRef": {"name": secret}}})
    };
    apply(&host, oci("demo", Some("regcred"))).await;
    apply(&host, oci("no-credentials", None)).await;
    apply(&host, bucket("demo", "s3cred")).await;
    let mut wrong = tb.s3_secret(&ns, "s3-wrong");
    wrong["stringData"]["accesskey"] = json!("not-the-key");
    apply(&host, wrong).await;
    apply(&host, bucket("wrong-key", "s3-wrong")).await;

    let repo = tb.wait_ready(&host, "OCIRepository", &ns, "demo", TIMEOUT).await;
    let revision = str_at(&repo.data, "/status/artifact/revision");
    assert!(
        revision.starts_with("1.0.0@sha256:"),
        "OCIRepository revision {revision:?}"
    );
    fetch_artifact(&repo).await;

    let b = tb.wait_ready(&host, "Bucket", &ns, "demo", TIMEOUT).await;
    let revision = str_at(&b.data, "/status/artifact/revision");
    assert!(revision.starts_with("sha256:"), "Bucket revision {revision:?}");
    fetch_artifact(&b).await;

    // The credentials matter: without them the registry and the store refuse.
    let msg = wait_not_ready(&host, "OCIRepository", &ns, "no-credentials").await;
    assert!(
        msg.to_lowercase().contains("unauthorized") || msg.contains("401"),
        "message {msg:?}"
    );
    let msg = wait_not_ready(&host, "Bucket", &ns, "wrong-key").await;
    assert!(
        msg.contains("Access Key") || msg.contains("InvalidAccessKeyId"),
        "message {msg:?}"
    );

    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn image_policy_picks_newest_semver_and_automation_pushes_it_to_git() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-img")).await;
    let f = &tb.info.fixtures;

    // A repository of this test's own: the demo content, with the setter marker pointing at
    // this namespace's ImagePolicy.
    let repo = unique_name("image-auto");
    let url = tb.create_git_repo(&repo).expect("creating a bare repository");
    let work = Scratch::new("image-auto-seed");
    let dir = work.0.join("demo");
    git(
        &["clone", "-q", &tb.git_push_url("demo"), &dir.to_string_lossy()],
        None,
    )
    .expect("git clone");
    let deployment = dir.join("base/deployment.yaml");
    let text = std::fs::read_to_string(&deployment).expect("reading base/deployment.yaml");
    assert!(
        text.contains("flux-system:demo-app"),
        "no setter marker in {text}"
    );
    std::fs::write(
        &deployment,
        text.replace("flux-system:demo-app", &format!("{ns}:app")),
    )
    .expect("writing base/deployment.yaml");
    git(
        &["commit", "-q", "-am", "point the marker at the test's policy"],
        Some(&dir),
    )
    .expect("git commit");
    git(&["push", "-q", &tb.git_push_url(&repo), "main"], Some(&dir)).expect("git push");

    apply(&host, tb.registry_secret(&ns, "regcred")).await;
    apply(&host, tb.basic_auth_secret(&ns, "git-auth")).await;
    apply(
        &host,
        json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
            "metadata": {"name": "app", "namespace": ns},
            "spec": {"image": format!("{}/demo/app", f.registry), "interval": "10m", "insecure": true,
                     "secretRef": {"name": "regcred"}},
        }),
    )
    .await;
    apply(
        &host,
        json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
            "metadata": {"name": "app", "namespace": ns},
            "spec": {"imageRepositoryRef": {"name": "app"},
                     "policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}},
        }),
    )
    .await;
    let ir = tb.wait_ready(&host, "ImageRepository", &ns, "app", TIMEOUT).await;
    assert_eq!(
        ir.data["status"]["lastScanResult"]["tagCount"],
        json!(4),
        "status {}",
        ir.data["status"]
    );
    let policy = tb.wait_ready(&host, "ImagePolicy", &ns, "app", TIMEOUT).await;
    // 2.0.0-rc.1 is out of range; 1.2.0 is the newest in it.
    assert_eq!(
        str_at(&policy.data, "/status/latestRef/tag"),
        "1.2.0",
        "status {}",
        policy.data["status"]
    );
    assert_eq!(
        str_at(&policy.data, "/status/latestRef/name"),
        format!("{}/demo/app", f.registry)
    );

    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "auto", "namespace": ns},
            "spec": {"url": url, "interval": "10m", "ref": {"branch": "main"}, "secretRef": {"name": "git-auth"}},
        }),
    )
    .await;
    tb.wait_ready(&host, "GitRepository", &ns, "auto", TIMEOUT).await;
    apply(
        &host,
        json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
            "metadata": {"name": "auto", "namespace": ns},
            "spec": {
                "interval": "10m",
                "sourceRef": {"kind": "GitRepository", "name": "auto"},
                "git": {
                    "checkout": {"ref": {"branch": "main"}},
                    "commit": {"author": {"name": "fluxbot", "email": "fluxbot@example.local"},
                               "messageTemplate": "update images"},
                    "push": {"branch": "main"},
                },
                "update": {"path": "./base", "strategy": "Setters"},
            },
        }),
    )
    .await;
    let iua = tb
        .wait_ready(&host, "ImageUpdateAutomation", &ns, "auto", TIMEOUT)
        .await;
    let pushed = str_at(&iua.data, "/status/lastPushCommit").to_string();
    assert_eq!(
        pushed.len(),
        40,
        "lastPushCommit {pushed:?} in {}",
        iua.data["status"]
    );

    // The commit is on the git server: main points at it and changes the marked image.
    let remote =
        git(&["ls-remote", &tb.git_push_url(&repo), "refs/heads/main"], None).expect("git ls-remote");
    assert!(
        remote.starts_with(&pushed),
        "ls-remote {remote:?}, pushed {pushed}"
    );
    let check = work.0.join("check");
    git(
        &["clone", "-q", &tb.git_push_url(&repo), &check.to_string_lossy()],
        None,
    )
    .expect("git clone");
    let updated = std::fs::read_to_string(check.join("base/deployment.yaml")).expect("reading the update");
    assert!(
        updated.contains(&format!(
            "image: {}/demo/app:1.2.0 # {{\"$imagepolicy\": \"{ns}:app\"}}",
            f.registry
        )),
        "base/deployment.yaml after the update:\n{updated}"
    );
    let log = git(&["log", "-1", "--format=%an %s"], Some(&check)).expect("git log");
    assert_eq!(log.trim(), "fluxbot update images");

    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn notification_controller_delivers_events_to_a_webhook() {
    use axum::{Json, Router, extract::State, routing::post};
    use tokio::sync::mpsc;

    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-notify")).await;

    let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(tx): State<mpsc::UnboundedSender<Value>>, Json(body): Json<Value>| async move {
                    let _ = tx.send(body);
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the webhook");
    let addr = listener.local_addr().expect("webhook address");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    apply(&host, tb.basic_auth_secret(&ns, "git-auth")).await;
    apply(
        &host,
        json!({
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
            "metadata": {"name": "hook", "namespace": ns},
            "spec": {"type": "generic", "address": format!("http://{addr}/hook")},
        }),
    )
    .await;
    apply(
        &host,
        json!({
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
            "metadata": {"name": "sources", "namespace": ns},
            "spec": {"providerRef": {"name": "hook"}, "eventSeverity": "info",
                     "eventSources": [{"kind": "GitRepository", "name": "*"}]},
        }),
    )
    .await;
    // Alerts have no status to wait on; give the controller's cache a moment to see them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "demo", "namespace": ns},
            "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"},
                     "secretRef": {"name": "git-auth"}},
        }),
    )
    .await;
    tb.wait_ready(&host, "GitRepository", &ns, "demo", TIMEOUT).await;

    let event = tokio::time::timeout(TIMEOUT, rx.recv())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no event reached the webhook within {TIMEOUT:?} (log: {})",
                tb.log_path("notification-controller").display()
            )
        })
        .expect("webhook channel closed");
    assert_eq!(
        str_at(&event, "/involvedObject/kind"),
        "GitRepository",
        "event {event}"
    );
    assert_eq!(str_at(&event, "/involvedObject/name"), "demo", "event {event}");
    assert_eq!(str_at(&event, "/involvedObject/namespace"), ns, "event {event}");
    assert!(!str_at(&event, "/reason").is_empty(), "event {event}");
    assert!(!str_at(&event, "/message").is_empty(), "event {event}");
    assert_eq!(
        str_at(&event, "/reportingController"),
        "source-controller",
        "event {event}"
    );

    server.abort();
    delete_namespace(&host, &ns).await;
}

/// Owner-reference garbage collection and namespace deletion on one cluster: both are done
/// by kube-controller-manager, so they prove it runs there.
async fn gc_and_namespace_deletion(tb: &Testbed, cluster: &str) {
    let client = tb.client(cluster).await;
    let ns = create_namespace(&client, &unique_name("smoke-gc")).await;
    let cms = dynamic_api(&client, &core("ConfigMap"), Some(&ns));
    let owner = apply(
        &client,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner", "namespace": ns}}),
    )
    .await;
    let uid = owner.metadata.uid.clone().expect("owner uid");
    apply(
        &client,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "dependent", "namespace": ns, "ownerReferences": [
                   {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}}),
    )
    .await;
    apply(
        &client,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bystander", "namespace": ns}}),
    )
    .await;
    cms.delete("owner", &DeleteParams::background())
        .await
        .expect("deleting the owner");
    wait_for(
        &format!("the dependent ConfigMap to be collected on {cluster}"),
        TIMEOUT,
        || async {
            match cms.get_opt("dependent").await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".to_string()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    assert!(
        cms.get_opt("bystander")
            .await
            .expect("reading bystander")
            .is_some()
    );

    // A namespace with content goes away entirely (its finalizer is removed by kcm).
    let namespaces = dynamic_api(&client, &core("Namespace"), None);
    namespaces
        .delete(&ns, &DeleteParams::default())
        .await
        .expect("deleting the namespace");
    wait_for(
        &format!("namespace {ns} to be gone on {cluster}"),
        TIMEOUT,
        || async {
            match namespaces.get_opt(&ns).await {
                Ok(None) => Ok(()),
                Ok(Some(n)) => Err(format!("phase {}", str_at(&n.data, "/status/phase"))),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
}

#[tokio::test]
async fn controller_manager_collects_garbage_and_deletes_namespaces() {
    let tb = Testbed::shared();
    let mut clusters = vec!["host"];
    clusters.extend(tb.members());
    for c in clusters {
        gc_and_namespace_deletion(tb, c).await;
    }
}

#[tokio::test]
async fn static_users_are_limited_by_rbac() {
    let tb = Testbed::shared();
    let name = unique_name("smoke-rbac");
    let cm = |ns: &str| {
        let mut o = DynamicObject::new(&name, &core("ConfigMap")).within(ns);
        o.data = json!({"data": {"by": "test"}});
        o
    };
    let create = |user: &'static str, ns: &'static str| {
        let cm = cm(ns);
        async move {
            let client = tb.client_as("host", user).await;
            dynamic_api(&client, &core("ConfigMap"), Some(ns))
                .create(&PostParams::default(), &cm)
                .await
        }
    };
    let status = |r: Result<DynamicObject, kube::Error>| match r {
        Ok(_) => 200,
        Err(kube::Error::Api(s)) => s.code,
        Err(e) => panic!("unexpected error {e}"),
    };
    assert_eq!(
        status(create("alice", "team-a").await),
        200,
        "alice creates in team-a"
    );
    assert_eq!(
        status(create("alice", "team-b").await),
        403,
        "alice is refused in team-b"
    );
    assert_eq!(
        status(create("bob", "team-a").await),
        403,
        "bob only views team-a"
    );
    assert_eq!(
        status(create("carol", "team-b").await),
        200,
        "carol creates in team-b"
    );

    let bob = tb.client_as("host", "bob").await;
    let listed = dynamic_api(&bob, &core("ConfigMap"), Some("team-a"))
        .list(&ListParams::default())
        .await
        .expect("bob lists team-a");
    assert!(
        listed
            .items
            .iter()
            .any(|o| o.metadata.name.as_deref() == Some(name.as_str()))
    );
    let err = dynamic_api(&bob, &core("ConfigMap"), Some("team-b"))
        .list(&ListParams::default())
        .await;
    assert!(
        matches!(err, Err(kube::Error::Api(ref s)) if s.code == 403),
        "bob lists team-b: {err:?}"
    );

    let admin = tb.client("host").await;
    for ns in ["team-a", "team-b"] {
        let _ = dynamic_api(&admin, &core("ConfigMap"), Some(ns))
            .delete(&name, &DeleteParams::default())
            .await;
    }
}

/// A Deployment of `replicas` pods of one container `app` running `image`, labelled
/// `app: <name>`.
fn deployment(ns: &str, name: &str, replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"containers": [{"name": "app", "image": image}]}}}})
}

/// Waits until `check` accepts the object (its data) and returns what it returned; a failed
/// wait shows the last answer of `check` and names the cluster's KWOK log.
async fn wait_object<T>(
    tb: &Testbed,
    cluster: &str,
    ar: &ApiResource,
    ns: &str,
    name: &str,
    want: &str,
    check: impl Fn(&Value) -> Result<T, String>,
) -> T {
    let client = tb.client(cluster).await;
    let what = format!(
        "{} {ns}/{name} on {cluster} to be {want} (logs: {}, {})",
        ar.kind,
        tb.cluster(cluster).kwok_log.display(),
        tb.log_path(&format!("controller-manager-{cluster}")).display()
    );
    wait_for(&what, TIMEOUT, || async {
        let obj = get(&client, ar, Some(ns), name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("not found")?;
        check(&obj.data).map_err(|e| format!("{e}; status {}", obj.data["status"]))
    })
    .await
}

/// The pods of `ns` labelled `app: <app>`.
async fn pods_of(client: &Client, ns: &str, app: &str) -> Vec<DynamicObject> {
    dynamic_api(client, &core("Pod"), Some(ns))
        .list(&ListParams::default().labels(&format!("app={app}")))
        .await
        .unwrap_or_else(|e| panic!("listing the pods of {ns}/{app}: {e}"))
        .items
}

/// The status of a pod's condition `type_` ("" when absent).
fn pod_condition<'a>(pod: &'a Value, type_: &str) -> (&'a str, &'a str) {
    pod["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .map(|c| (str_at(c, "/status"), str_at(c, "/reason")))
        .unwrap_or_default()
}

/// `Ok` once a workload's controller has seen its current generation and `field` of its
/// status equals `want`.
fn status_is(obj: &Value, field: &str, want: i64) -> Result<(), String> {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = obj["status"]["observedGeneration"].as_i64().unwrap_or(-1);
    let got = obj["status"][field].as_i64().unwrap_or(0);
    if observed >= generation && got == want {
        Ok(())
    } else {
        Err(format!("{field} {got}, want {want}"))
    }
}

/// On one cluster: a Deployment of two replicas gets two ready replicas, its pods Running and
/// Ready on the cluster's fake nodes.
async fn deployment_becomes_ready(tb: &Testbed, cluster: &str) {
    let client = tb.client(cluster).await;
    let ns = create_namespace(&client, &unique_name("smoke-workloads")).await;
    apply(&client, deployment(&ns, "web", 2, "example.local/web:1.0.0")).await;
    wait_object(tb, cluster, &apps("Deployment"), &ns, "web", "2/2 ready", |d| {
        status_is(d, "readyReplicas", 2)?;
        status_is(d, "availableReplicas", 2)
    })
    .await;
    let pods = pods_of(&client, &ns, "web").await;
    assert_eq!(pods.len(), 2, "pods on {cluster}");
    for p in &pods {
        assert_eq!(str_at(&p.data, "/status/phase"), "Running", "pod {}", p.data);
        assert_eq!(pod_condition(&p.data, "Ready").0, "True", "pod {}", p.data);
        let node = str_at(&p.data, "/spec/nodeName");
        assert!(
            tb.cluster(cluster).nodes.iter().any(|n| n == node),
            "pod on node {node:?}, not one of {cluster}'s fake nodes"
        );
        assert!(!str_at(&p.data, "/status/podIP").is_empty(), "pod {}", p.data);
    }
    delete_namespace(&client, &ns).await;
}

#[tokio::test]
async fn deployments_get_ready_replicas_on_every_cluster() {
    let tb = Testbed::shared();
    let mut clusters = vec!["host"];
    clusters.extend(tb.members());
    futures::future::join_all(clusters.into_iter().map(|c| deployment_becomes_ready(tb, c))).await;
}

#[tokio::test]
async fn statefulsets_daemonsets_and_jobs_run_their_pods() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-kinds")).await;
    let template = |app: &str| {
        json!({"metadata": {"labels": {"app": app}},
               "spec": {"containers": [{"name": app, "image": format!("example.local/{app}:1")}]}})
    };
    apply(
        &host,
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": ns},
               "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                        "template": template("db")}}),
    )
    .await;
    apply(
        &host,
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": ns},
               "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent")}}),
    )
    .await;
    let mut job = template("job");
    job["spec"]["restartPolicy"] = json!("Never");
    apply(
        &host,
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": ns},
               "spec": {"template": job}}),
    )
    .await;

    wait_object(tb, "host", &apps("StatefulSet"), &ns, "db", "2/2 ready", |s| {
        status_is(s, "readyReplicas", 2)
    })
    .await;
    // One pod on each fake node.
    let nodes = tb.cluster("host").nodes.len() as i64;
    wait_object(
        tb,
        "host",
        &apps("DaemonSet"),
        &ns,
        "agent",
        "ready on every node",
        |d| {
            status_is(d, "desiredNumberScheduled", nodes)?;
            status_is(d, "numberReady", nodes)
        },
    )
    .await;
    let jobs = ApiResource::from_gvk(&GroupVersionKind::gvk("batch", "v1", "Job"));
    wait_object(tb, "host", &jobs, &ns, "once", "complete", |j| {
        let complete = j["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Complete" && c["status"] == "True")
        });
        if complete && j["status"]["succeeded"] == json!(1) {
            Ok(())
        } else {
            Err("not complete".to_string())
        }
    })
    .await;
    delete_namespace(&host, &ns).await;
}

/// A pod of one container `app` running `image`, with `annotations`.
fn pod(ns: &str, name: &str, image: &str, annotations: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": ns, "annotations": annotations},
           "spec": {"containers": [{"name": "app", "image": image}]}})
}

/// The status of a pod's container `name`.
fn container<'a>(pod: &'a Value, name: &str) -> Result<&'a Value, String> {
    pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .ok_or_else(|| format!("no status of container {name}"))
}

#[tokio::test]
async fn failure_triggers_break_pods_as_documented() {
    let tb = Testbed::shared();
    assert_eq!(
        tb.info.kwok.fail_triggers,
        ["never-ready", "crash-loop", "image-pull"]
    );
    let annotation = tb.info.kwok.fail_annotation.as_str();
    let cluster = "member-1";
    let client = tb.client(cluster).await;
    let ns = create_namespace(&client, &unique_name("smoke-fail")).await;
    let pod_ar = core("Pod");

    // never-ready (image tag): Running, the tagged container running but not ready; a second
    // container without the tag is ready.
    let mut never = pod(&ns, "never-ready", "example.local/app:never-ready", json!({}));
    never["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .push(json!({"name": "sidecar", "image": "example.local/sidecar:1.0.0"}));
    apply(&client, never).await;
    // crash-loop and image-pull by image tag, never-ready by annotation.
    apply(
        &client,
        pod(&ns, "crash-loop", "example.local/app:crash-loop", json!({})),
    )
    .await;
    apply(
        &client,
        pod(&ns, "image-pull", "example.local/app:image-pull", json!({})),
    )
    .await;
    apply(
        &client,
        pod(
            &ns,
            "annotated",
            "example.local/app:1.0.0",
            json!({annotation: "never-ready"}),
        ),
    )
    .await;
    // A Deployment whose image is broken gets no ready replica.
    apply(
        &client,
        deployment(&ns, "broken", 2, "example.local/app:never-ready"),
    )
    .await;

    let never_ready = |p: &Value| -> Result<(), String> {
        let app = container(p, "app")?;
        match (str_at(p, "/status/phase"), pod_condition(p, "Ready")) {
            ("Running", ("False", "ContainersNotReady"))
                if app["ready"] == json!(false) && app["state"]["running"].is_object() =>
            {
                Ok(())
            }
            other => Err(format!("phase and Ready {other:?}")),
        }
    };
    wait_object(tb, cluster, &pod_ar, &ns, "never-ready", "never ready", |p| {
        never_ready(p)?;
        match container(p, "sidecar")?["ready"].as_bool() {
            Some(true) => Ok(()),
            _ => Err("the sidecar is not ready".into()),
        }
    })
    .await;
    wait_object(tb, cluster, &pod_ar, &ns, "annotated", "never ready", never_ready).await;

    // crash-loop: Running, waiting in CrashLoopBackOff after an error exit, and restarted
    // again after a while.
    wait_object(
        tb,
        cluster,
        &pod_ar,
        &ns,
        "crash-loop",
        "restarted twice in CrashLoopBackOff",
        |p| {
            let app = container(p, "app")?;
            let reason = str_at(app, "/state/waiting/reason");
            let last = str_at(app, "/lastState/terminated/reason");
            let restarts = app["restartCount"].as_i64().unwrap_or(0);
            let phase = str_at(p, "/status/phase");
            if phase == "Running"
                && reason == "CrashLoopBackOff"
                && last == "Error"
                && app["lastState"]["terminated"]["exitCode"] == json!(1)
                && app["ready"] == json!(false)
                && restarts >= 2
            {
                Ok(())
            } else {
                Err(format!(
                    "phase {phase}, waiting {reason:?}, last {last:?}, restarts {restarts}"
                ))
            }
        },
    )
    .await;

    // image-pull: Pending, waiting in ImagePullBackOff.
    wait_object(
        tb,
        cluster,
        &pod_ar,
        &ns,
        "image-pull",
        "in ImagePullBackOff",
        |p| {
            let app = container(p, "app")?;
            let reason = str_at(app, "/state/waiting/reason");
            match str_at(p, "/status/phase") {
                "Pending" if reason == "ImagePullBackOff" && app["ready"] == json!(false) => Ok(()),
                phase => Err(format!("phase {phase}, waiting {reason:?}")),
            }
        },
    )
    .await;

    let deploy = wait_object(
        tb,
        cluster,
        &apps("Deployment"),
        &ns,
        "broken",
        "rolled out, unready",
        |d| {
            status_is(d, "replicas", 2)?;
            status_is(d, "unavailableReplicas", 2)?;
            Ok(d.clone())
        },
    )
    .await;
    for p in pods_of(&client, &ns, "broken").await {
        assert_eq!(
            pod_condition(&p.data, "Ready"),
            ("False", "ContainersNotReady"),
            "pod {}",
            p.data
        );
    }
    assert_eq!(
        deploy["status"]["readyReplicas"].as_i64().unwrap_or(0),
        0,
        "status {}",
        deploy["status"]
    );

    delete_namespace(&client, &ns).await;
}

#[tokio::test]
async fn helm_release_waits_for_ready_pods_on_the_host() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-helm-wait")).await;
    grant_applier(&host, &ns, &ns).await;
    apply(&host, tb.basic_auth_secret(&ns, "helm-auth")).await;
    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
            "metadata": {"name": "samples", "namespace": ns},
            "spec": {"url": tb.info.fixtures.helm_url, "interval": "10m", "secretRef": {"name": "helm-auth"}},
        }),
    )
    .await;
    let release = |name: &str, values: Value, timeout: &str| {
        json!({
            "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "interval": "10m", "timeout": timeout, "serviceAccountName": APPLIER,
                "chart": {"spec": {"chart": "demo-app", "version": "0.2.0",
                                   "sourceRef": {"kind": "HelmRepository", "name": "samples"}}},
                "values": values,
            },
        })
    };
    // Helm waits (no disableWait): Ready once both pods are.
    apply(&host, release("ready", json!({"replicaCount": 2}), "3m")).await;
    // A failure trigger in the image tag: the pods never become ready and the install fails
    // when Helm's wait times out.
    apply(
        &host,
        release(
            "broken",
            json!({"replicaCount": 1, "image": {"tag": "never-ready"}}),
            "20s",
        ),
    )
    .await;

    tb.wait_ready(&host, "HelmRelease", &ns, "ready", TIMEOUT).await;
    let deploy = wait_exists(&host, &apps("Deployment"), &ns, "ready", "host").await;
    assert_eq!(
        deploy.data["status"]["readyReplicas"],
        json!(2),
        "status {}",
        deploy.data["status"]
    );

    let (reason, message) = wait_failed(tb, &host, "HelmRelease", &ns, "broken").await;
    assert_eq!(reason, "InstallFailed", "{message}");
    let broken = wait_exists(&host, &apps("Deployment"), &ns, "broken", "host").await;
    assert_eq!(
        broken.data["status"]["readyReplicas"].as_i64().unwrap_or(0),
        0,
        "status {}",
        broken.data["status"]
    );

    for name in ["ready", "broken"] {
        delete_and_wait(&host, &flux_resource("HelmRelease"), Some(&ns), name, TIMEOUT).await;
    }
    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn an_image_override_with_a_failure_tag_breaks_one_members_rollout() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("smoke-ks-fail")).await;
    grant_applier(&host, &ns, &ns).await;
    apply(&host, tb.basic_auth_secret(&ns, "git-auth")).await;
    apply(
        &host,
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "demo", "namespace": ns},
            "spec": {"url": tb.git_repo_url("demo"), "interval": "10m", "ref": {"branch": "main"},
                     "secretRef": {"name": "git-auth"}},
        }),
    )
    .await;
    tb.wait_ready(&host, "GitRepository", &ns, "demo", TIMEOUT).await;

    // The same manifests on both members; member-2's image gets the tag `never-ready`.
    let mut targets = Vec::new();
    for member in tb.members().into_iter().take(2) {
        let client = tb.client(member).await;
        let target = create_namespace(&client, &unique_name("smoke-ks-fail-target")).await;
        grant_applier(&client, &ns, &target).await;
        let secret = format!("{member}-kubeconfig");
        apply(&host, tb.member_kubeconfig_secret(member, &ns, &secret)).await;
        let mut spec = json!({
            "interval": "10m", "prune": true, "wait": true, "timeout": "20s", "path": "./base",
            "sourceRef": {"kind": "GitRepository", "name": "demo"}, "targetNamespace": target,
            "kubeConfig": {"secretRef": {"name": secret}}, "serviceAccountName": APPLIER,
            "postBuild": {"substitute": {"greeting": "hello", "cluster_name": member}},
        });
        if member == "member-2" {
            spec["images"] = json!([{"name": format!("{}/demo/app", tb.info.fixtures.registry),
                                     "newTag": "never-ready"}]);
        }
        apply(
            &host,
            json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                   "metadata": {"name": member, "namespace": ns}, "spec": spec}),
        )
        .await;
        targets.push((member, client, target));
    }

    tb.wait_ready(&host, "Kustomization", &ns, "member-1", TIMEOUT)
        .await;
    let (reason, message) = wait_failed(tb, &host, "Kustomization", &ns, "member-2").await;
    assert_eq!(reason, "HealthCheckFailed", "{message}");
    for (member, client, target) in &targets {
        let d = wait_exists(client, &apps("Deployment"), target, "demo", member).await;
        let ready = d.data["status"]["readyReplicas"].as_i64().unwrap_or(0);
        assert_eq!(
            ready,
            i64::from(*member == "member-1"),
            "{member}: {}",
            d.data["status"]
        );
    }

    for (member, _, _) in &targets {
        delete_and_wait(&host, &flux_resource("Kustomization"), Some(&ns), member, TIMEOUT).await;
    }
    delete_namespace(&host, &ns).await;
    for (_, client, target) in &targets {
        delete_namespace(client, target).await;
        delete_namespace(client, &ns).await;
    }
}
