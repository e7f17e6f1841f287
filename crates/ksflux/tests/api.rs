//! The API's conventions against the testbed: clusters and their health, authentication and
//! authorization with the testbed's limited users, and the 400/401/403/404/409/422 paths —
//! each proving that nothing was written.

mod support;

use k8s_openapi::api::core::v1::Secret;
use ksflux_testbed::{create_namespace, unique_name};
use kube::{Api, ResourceExt, api::ListParams};
use serde_json::{Value, json};
use support::{Server, path};

fn git(s: &Server, name: &str) -> Value {
    json!({"metadata": {"name": name},
           "spec": {"url": s.tb.git_repo_url("demo"), "interval": "5m", "ref": {"branch": "main"}, "suspend": true}})
}

async fn names_in(s: &Server, ns: &str) -> (Vec<String>, Vec<String>) {
    let host = s.tb.client("host").await;
    let ar = ksflux::sources::GIT_REPOSITORY.api_resource();
    let repos: Api<kube::api::DynamicObject> = Api::namespaced_with(host.clone(), ns, &ar);
    let secrets: Api<Secret> = Api::namespaced(host, ns);
    let r = repos
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(|o| o.name_any())
        .collect();
    let s = secrets
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(|o| o.name_any())
        .collect();
    (r, s)
}

#[tokio::test]
async fn clusters_list_host_and_members_with_health() {
    let s = Server::start().await;
    let r = s
        .get("alice", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = items.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["host", "member-1", "member-2"]);
    for c in &items {
        assert_eq!(c["health"]["reachable"], true, "{c}");
        assert_eq!(c["health"]["kubernetesVersion"], "v1.36.3", "{c}");
    }
    // Hub mode: Flux runs on the host and serves every kind at the version ksflux needs.
    let host = &items[0]["health"];
    assert_eq!(host["fluxInstalled"], true);
    assert_eq!(host["fluxTooOld"], false);
    assert_eq!(host["fluxVersion"], "v2.9.4", "from the CRDs' labels: {host}");
    let kinds = host["fluxApis"].as_array().cloned().unwrap_or_default();
    assert_eq!(kinds.len(), 13);
    assert!(
        kinds.iter().all(|k| k["servedVersions"]
            .as_array()
            .is_some_and(|v| v.contains(&k["requiredVersion"]))),
        "{host}"
    );
    // The testbed's members run source-, kustomize- and helm-controller (for agent mode):
    // Flux is installed there, without the notification and image kinds.
    let member = &items[1]["health"];
    assert_eq!(member["fluxInstalled"], true, "{member}");
    let served = member["fluxApis"].as_array().map(|a| {
        a.iter()
            .filter(|k| k["servedVersions"].as_array().is_some_and(|v| !v.is_empty()))
            .count()
    });
    assert_eq!(served, Some(7), "{member}");
    assert_eq!(items[1]["mode"], "hub");
    assert_eq!(items[1]["origin"], "secret");
}

#[tokio::test]
async fn registering_a_member_checks_its_kubeconfig_and_rbac() {
    let s = Server::start().await;
    let clusters = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters";
    let kc = std::fs::read_to_string(&s.tb.cluster("member-1").kubeconfig).expect("kubeconfig");
    let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, &s.namespace);
    let before = secrets
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .len();

    // Bad input: the field is named, nothing is stored.
    let bad = s
        .post(
            "admin",
            clusters,
            &json!({"name": "Bad_Name", "kubeconfig": "nope"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let fields: Vec<&str> = bad.body["details"]["causes"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["name", "kubeconfig"]);
    let unreachable = kc.replace(&s.tb.cluster("member-1").server, "https://127.0.0.1:1");
    let r = s
        .post(
            "admin",
            clusters,
            &json!({"name": "nowhere", "kubeconfig": unreachable}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot connect"),
        "{}",
        r.text
    );
    // A user who may not write Secrets in ksflux's namespace cannot register clusters.
    let r = s
        .post("alice", clusters, &json!({"name": "extra", "kubeconfig": kc}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        secrets
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        before,
        "nothing stored"
    );

    // The admin registers it; it is listed as reachable; then removed.
    let r = s
        .post("admin", clusters, &json!({"name": "extra", "kubeconfig": kc}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["health"]["reachable"], true);
    assert_eq!(r.body["health"]["kubernetesVersion"], "v1.36.3");
    let dup = s
        .post("admin", clusters, &json!({"name": "extra", "kubeconfig": kc}))
        .await;
    assert_eq!(dup.status, 409, "{}", dup.text);
    let listed = s.get("admin", clusters).await;
    assert!(
        listed.body["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|c| c["name"] == "extra"))
    );
    assert_eq!(s.delete("admin", &format!("{clusters}/extra")).await.status, 204);
    assert_eq!(s.get("admin", &format!("{clusters}/extra")).await.status, 404);
    assert_eq!(s.delete("admin", &format!("{clusters}/host")).await.status, 400);
}

#[tokio::test]
async fn an_unreachable_member_is_reported_and_blocks_nothing() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    let kc = std::fs::read_to_string(&s.tb.cluster("member-1").kubeconfig).expect("kubeconfig");
    let dead = kc.replace(&s.tb.cluster("member-1").server, "https://127.0.0.1:1");
    // A member whose apiserver is down, registered behind the API's back.
    let secrets: Api<Secret> = Api::namespaced(host, &s.namespace);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "cluster-down", "labels": {"fluxcd.kubesphere.io/cluster": "down"}},
        "stringData": {"kubeconfig": dead}
    }))
    .expect("secret");
    secrets
        .create(&Default::default(), &secret)
        .await
        .expect("create");
    let start = std::time::Instant::now();
    s.clusters.refresh().await;
    assert!(
        start.elapsed() < std::time::Duration::from_secs(8),
        "discovery is not held up by a dead member"
    );
    let clusters = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters";
    let down = s.get("admin", &format!("{clusters}/down")).await;
    assert_eq!(down.status, 200, "{}", down.text);
    assert_eq!(down.body["health"]["reachable"], false);
    assert!(
        down.body["health"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("unreachable")
    );
    let r = s
        .get(
            "admin",
            &format!("{}?cluster=down", path("default", "gitrepositories")),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.text);
    let start = std::time::Instant::now();
    let r = s
        .get(
            "admin",
            &format!("{}?cluster=member-2", path("default", "imagerepositories")),
        )
        .await;
    // member-2's own Flux runs no image automation.
    assert_eq!(
        r.status, 404,
        "ImageRepository is not served on member-2: {}",
        r.text
    );
    let r = s.get("admin", &path("default", "gitrepositories")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "other clusters answer at once"
    );
}

#[tokio::test]
async fn requests_need_a_valid_token_and_trusted_proxy_headers() {
    let s = Server::start().await;
    let list = path("team-a", "gitrepositories");
    assert_eq!(s.get("", &list).await.status, 401);
    let r = s
        .call_with_headers("GET", &list, &[("authorization", "Bearer not-a-token")])
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["kind"], "Status");
    // Proxy headers are refused unless they come from the trusted proxy.
    let r = s
        .call_with_headers("GET", &list, &[("x-remote-user", "admin")])
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let trusting = Server::start_with(vec!["127.0.0.1".parse().expect("ip")]).await;
    let r = trusting
        .call_with_headers(
            "GET",
            &list,
            &[("x-remote-user", "alice"), ("x-remote-group", "developers")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = trusting
        .call_with_headers(
            "GET",
            &path("team-b", "gitrepositories"),
            &[("x-remote-user", "alice")],
        )
        .await;
    assert_eq!(r.status, 403, "alice may not read team-b: {}", r.text);
    // The console asks who is logged in; proxy users keep their groups.
    let me = s
        .get("alice", "/kapis/fluxcd.kubesphere.io/v1alpha1/whoami")
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["name"], "alice");
    let me = trusting
        .call_with_headers(
            "GET",
            "/kapis/fluxcd.kubesphere.io/v1alpha1/whoami",
            &[("x-remote-user", "dave"), ("x-remote-group", "developers")],
        )
        .await;
    assert_eq!(me.body["name"], "dave");
    assert_eq!(me.body["groups"][0], "developers");
    assert_eq!(
        s.get("", "/kapis/fluxcd.kubesphere.io/v1alpha1/whoami")
            .await
            .status,
        401
    );
    // Unknown API paths are a Status, not the console's page.
    let r = s
        .get(
            "admin",
            "/kapis/fluxcd.kubesphere.io/v1alpha1/nothing/here/at/all/really",
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["kind"], "Status");
    // Health, metrics and the OpenAPI document need no token.
    assert_eq!(s.get("", "/healthz").await.status, 200);
    assert_eq!(s.get("", "/readyz").await.status, 200);
    let m = s.get("", "/metrics").await;
    assert!(m.text.contains("ksflux_http_requests_total"), "{}", m.text);
    let doc = s.get("", "/openapi.json").await;
    assert!(
        doc.body["paths"]["/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}/{resource}"]["post"]
            .is_object()
    );
    // Every schema the document references is defined (generated clients need them all).
    let text = doc.text.clone();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        assert!(
            doc.body["components"]["schemas"][name].is_object(),
            "{name} is referenced but not defined"
        );
    }
}

#[tokio::test]
async fn limited_users_get_403_and_nothing_is_written() {
    let s = Server::start().await;
    let name = unique_name("rbac");
    let mut body = git(&s, &name);
    body["credentials"] = json!({"type": "basic", "username": "u", "password": s.tb.info.fixtures.password});
    let (repos_before, secrets_before) = names_in(&s, "team-a").await;
    // bob only views team-a; alice edits team-a but not team-b.
    let r = s.post("bob", &path("team-a", "gitrepositories"), &body).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["reason"], "Forbidden");
    let r = s.post("alice", &path("team-b", "gitrepositories"), &body).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        names_in(&s, "team-a").await,
        (repos_before.clone(), secrets_before.clone())
    );
    assert!(!names_in(&s, "team-b").await.0.contains(&name));

    // alice may create in team-a; bob may read it but not change it.
    let r = s.post("alice", &path("team-a", "gitrepositories"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let item = format!("{}/{name}", path("team-a", "gitrepositories"));
    let got = s.get("bob", &item).await;
    assert_eq!(got.status, 200, "{}", got.text);
    // Credential status is read as the user: bob may not list Secrets, so he sees only the
    // reference the spec holds, not the Secret's type; alice may.
    assert_ne!(
        got.body["credentialStatus"]["auth"]["type"], "basic",
        "{}",
        got.text
    );
    let got = s.get("alice", &item).await;
    assert_eq!(
        got.body["credentialStatus"]["auth"]["type"], "basic",
        "{}",
        got.text
    );
    assert_eq!(
        s.post("bob", &format!("{item}/suspend"), &json!({})).await.status,
        403
    );
    assert_eq!(s.delete("bob", &item).await.status, 403);
    // carol learns nothing about team-a: the same 403 for an existing and a missing name.
    let existing = s.get("carol", &item).await;
    let missing = s
        .get(
            "carol",
            &format!("{}/does-not-exist", path("team-a", "gitrepositories")),
        )
        .await;
    assert_eq!((existing.status, missing.status), (403, 403));
    assert_eq!(existing.body["reason"], missing.body["reason"]);
    assert_eq!(s.delete("alice", &item).await.status, 204);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("bad")).await;
    let list = path(&ns, "gitrepositories");
    let cases = [
        (
            json!({"metadata": {"name": "Bad Name"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m"}}),
            "metadata.name",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": "ftp://x/y", "interval": "1m"}}),
            "spec.url",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "often"}}),
            "spec.interval",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m", "ref": {"branch": "main", "tag": "v1"}}}),
            "spec.ref",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m", "ref": {"semver": "newest"}}}),
            "spec.ref.semver",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": 5}}),
            "spec.interval",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m"},
                "credentials": {"type": "s3", "accessKey": "a", "secretKey": "b"}}),
            "credentials.type",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m"},
                "credentials": {"type": "basic", "username": "", "password": "p"}}),
            "credentials.username",
        ),
        (
            json!({"metadata": {"name": "a"}, "spec": {"url": s.tb.git_repo_url("demo"), "interval": "1m"},
                "credentials": {"type": "magic"}}),
            "credentials",
        ),
    ];
    for (body, field) in cases {
        let r = s.post("admin", &list, &body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert_eq!(r.body["kind"], "Status");
        let fields: Vec<&str> = r.body["details"]["causes"]
            .as_array()
            .map(|c| c.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "expected {field} in {fields:?}: {}",
            r.text
        );
    }
    let r = s.call("admin", "POST", &list, None).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s
        .call_with_headers(
            "POST",
            &list,
            &[
                ("authorization", &format!("Bearer {}", s.tb.token("admin"))),
                ("content-type", "application/json"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "empty body: {}", r.text);
    let helm = s
        .post(
            "admin",
            &path(&ns, "helmcharts"),
            &json!({"metadata": {"name": "c"},
        "spec": {"chart": "x", "interval": "1m", "sourceRef": {"kind": "HelmRepository", "name": "r"}},
        "credentials": {"type": "basic", "username": "u", "password": "p"}}),
        )
        .await;
    assert_eq!(helm.status, 422, "HelmChart takes no credentials: {}", helm.text);
    let (repos, secrets) = names_in(&s, &ns).await;
    assert!(repos.is_empty(), "no source written: {repos:?}");
    assert!(
        secrets.iter().all(|n| !n.starts_with("a-git")),
        "no credential secret written: {secrets:?}"
    );
    // Unknown kinds and objects are 404s in Status shape.
    let r = s.get("admin", &path(&ns, "deployments")).await;
    assert_eq!((r.status, r.body["reason"].as_str()), (404, Some("NotFound")));
    let r = s.get("admin", &format!("{list}/missing")).await;
    assert_eq!(r.status, 404);
    let r = s.get("admin", &format!("{list}?cluster=nowhere")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn concurrent_edits_conflict_instead_of_overwriting() {
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("conflict")).await;
    let list = path(&ns, "gitrepositories");
    let created = s.post("admin", &list, &git(&s, "shared")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        s.post("admin", &list, &git(&s, "shared")).await.status,
        409,
        "create twice"
    );
    let item = format!("{list}/shared");
    // The first edit is based on the current version; if the controller wrote the object in
    // between (its finalizer), that edit is refused too and retried on the new version.
    let mut base = Value::Null;
    let mut first = Value::Null;
    for _ in 0..10 {
        let current = s.get("admin", &item).await;
        base = current.body["metadata"]["resourceVersion"].clone();
        first = json!({"metadata": {"name": "shared", "resourceVersion": base}, "spec": current.body["spec"].clone()});
        first["spec"]["interval"] = json!("7m");
        let r = s.put("admin", &item, &first).await;
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 409, "{}", r.text);
    }
    // A second edit based on the same version is stale: 409, and it changes nothing.
    let mut second = first.clone();
    second["metadata"]["resourceVersion"] = base;
    second["spec"]["interval"] = json!("9m");
    let stale = s.put("admin", &item, &second).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.body["reason"], "Conflict");
    assert_eq!(
        s.get("admin", &item).await.body["spec"]["interval"],
        "7m",
        "the first edit stands"
    );
    let mut no_rv = second.clone();
    no_rv["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    let r = s.put("admin", &item, &no_rv).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"],
        "metadata.resourceVersion"
    );
}

#[tokio::test]
async fn objects_take_merge_and_json_patches_with_preconditions() {
    let s = Server::start().await;
    let ns =
        ksflux_testbed::create_namespace(&s.tb.client("host").await, &ksflux_testbed::unique_name("patch"))
            .await;
    let item = format!("{}/demo", path(&ns, "gitrepositories"));
    let r = s
        .post(
            "admin",
            &path(&ns, "gitrepositories"),
            &json!({"metadata": {"name": "demo", "labels": {"team": "a"}},
                    "spec": {"url": "https://example.com/demo.git", "interval": "1m", "ref": {"branch": "main"}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let first_version = r.body["metadata"]["resourceVersion"].clone();
    let patch = |ct: &'static str, body: Value| {
        let url = format!("{}{item}", s.url);
        let token = s.tb.token("admin").to_string();
        async move {
            let res = reqwest::Client::new()
                .patch(url)
                .bearer_auth(token)
                .header("content-type", ct)
                .body(body.to_string())
                .send()
                .await
                .expect("patch");
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let merge = "application/merge-patch+json";
    // A merge patch changes one field and keeps the rest.
    let (status, body) = patch(
        merge,
        json!({"spec": {"interval": "5m"}, "metadata": {"labels": {"tier": "web"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["spec"]["interval"], "5m");
    assert_eq!(body["spec"]["url"], "https://example.com/demo.git");
    assert_eq!(body["metadata"]["labels"], json!({"team": "a", "tier": "web"}));
    // A JSON patch, with null removing in a merge patch.
    let (status, body) = patch(
        "application/json-patch+json",
        json!([{"op": "replace", "path": "/spec/ref/branch", "value": "dev"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["spec"]["ref"]["branch"], "dev");
    let (status, body) = patch(merge, json!({"metadata": {"labels": {"tier": null}}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["metadata"]["labels"], json!({"team": "a"}));
    // Preconditions: a stale resourceVersion is a conflict; a failed test op names the op.
    let (status, body) = patch(
        merge,
        json!({"metadata": {"resourceVersion": first_version}, "spec": {"interval": "9m"}}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = patch(
        "application/json-patch+json",
        json!([{"op": "test", "path": "/spec/interval", "value": "1m"}, {"op": "replace", "path": "/spec/interval", "value": "9m"}]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["causes"][0]["field"], "patch[0]");
    // Bad values are refused like a PUT's, naming the field; other patch types are a 415.
    let (status, body) = patch(merge, json!({"spec": {"interval": "soon"}})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["causes"][0]["field"], "spec.interval");
    let (status, body) = patch("application/strategic-merge-patch+json", json!({})).await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["kind"], "Status");
    // Nothing of the refused patches was written.
    let now = s.get("admin", &item).await.body;
    assert_eq!(now["spec"]["interval"], "5m");
    assert_eq!(now["spec"]["ref"]["branch"], "dev");
    ksflux_testbed::delete_namespace(&s.tb.client("host").await, &ns).await;
}

#[tokio::test]
async fn the_namespace_picker_offers_the_namespaces_each_user_may_use() {
    let s = Server::start().await;
    let fresh = create_namespace(&s.tb.client("host").await, &unique_name("fresh")).await;
    let names = |r: &support::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect()
    };
    let all = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces";
    let admin = s.get("admin", all).await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    let a = names(&admin);
    // A namespace without any Flux object is offered too.
    assert!(
        a.contains(&fresh) && a.iter().any(|n| n == "team-a") && a.iter().any(|n| n == "team-b"),
        "{a:?}"
    );
    let alice = names(&s.get("alice", all).await);
    assert!(alice.iter().any(|n| n == "team-a"), "{alice:?}");
    assert!(!alice.iter().any(|n| n == "team-b" || *n == fresh), "{alice:?}");
    let carol = names(&s.get("carol", all).await);
    assert!(
        carol.iter().any(|n| n == "team-b") && !carol.iter().any(|n| n == "team-a"),
        "{carol:?}"
    );
}
