//! What a logged-in but limited user could make ksflux do, each refused: probing addresses
//! through cluster registration, fetching URLs through chart listing, 500s from odd path
//! characters, previews without authorisation, objects too large to store, error bodies that
//! are not a `Status`, and health checks on demand.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use kube::{
    Api,
    api::{DynamicObject, Patch, PatchParams},
};
use serde_json::{Value, json};
use support::{Server, path};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A canary no response may ever repeat.
const CANARY: &str = "canary-body-7f3a9";

/// A plain HTTP server on loopback that counts connections and answers every request with
/// `status` and `body`. Returns its address and the counter.
async fn target(status: u16, body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let body = Arc::new(body);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

fn fields(body: &Value) -> Vec<String> {
    body["details"]["causes"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|x| x["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_status(r: &support::Reply, code: u16) {
    assert_eq!(r.status, code, "{}", r.text);
    assert_eq!(r.body["kind"], "Status", "not a Status: {}", r.text);
    assert_eq!(r.body["code"], code, "{}", r.text);
}

#[tokio::test]
async fn registering_a_cluster_is_authorised_before_any_connection_and_never_echoes_the_reply() {
    let s = Server::start().await;
    let (url, hits) = target(200, format!("{{\"hello\": \"{CANARY}\"}}").into_bytes()).await;
    let kc = std::fs::read_to_string(&s.tb.cluster("member-1").kubeconfig).expect("kubeconfig");
    let probe = kc.replace(&s.tb.cluster("member-1").server, &url);
    let clusters = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters";

    // alice may not register clusters: refused before ksflux connects anywhere.
    let r = s
        .post("alice", clusters, &json!({"name": "probe", "kubeconfig": probe}))
        .await;
    assert_status(&r, 403);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "ksflux connected for a user without rights"
    );
    // Even bad input is refused as forbidden first: nothing about the input is checked for her.
    let r = s
        .post(
            "alice",
            clusters,
            &json!({"name": "Bad_Name", "kubeconfig": "nope"}),
        )
        .await;
    assert_status(&r, 403);

    // The admin may; the target is not an apiserver, and its reply is not shown.
    let r = s
        .post("admin", clusters, &json!({"name": "probe", "kubeconfig": probe}))
        .await;
    assert_status(&r, 422);
    assert!(hits.load(Ordering::SeqCst) > 0);
    assert!(
        !r.text.contains(CANARY),
        "the remote reply was reflected: {}",
        r.text
    );
    assert!(!r.text.contains("hello"), "{}", r.text);
    assert_eq!(fields(&r.body), ["kubeconfig"]);
    assert!(s.get("admin", &format!("{clusters}/probe")).await.status == 404);
}

#[tokio::test]
async fn chart_listing_fetches_only_from_the_source_controller_storage() {
    let s = Server::start().await;
    let (url, hits) = target(200, format!("entries:\n  {CANARY}: []\n").into_bytes()).await;
    let name = ksflux_testbed::unique_name("evil");
    // alice (edit in team-a) creates a suspended HelmRepository, so no controller rewrites its
    // status, and points its artifact at a server of her choice.
    let r = s
        .post(
            "alice",
            &path("team-a", "helmrepositories"),
            &json!({"metadata": {"name": name}, "spec": {"url": s.tb.info.fixtures.helm_url, "interval": "5m", "suspend": true}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let alice = s.tb.client_as("host", "alice").await;
    let repos: Api<DynamicObject> =
        Api::namespaced_with(alice, "team-a", &ksflux_testbed::flux_resource("HelmRepository"));
    repos
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"artifact": {
                "url": format!("{url}/index.yaml"), "path": "x", "revision": "x", "digest": "sha256:00",
                "lastUpdateTime": "2026-01-01T00:00:00Z"}}})),
        )
        .await
        .expect("alice may patch the status (edit grants helmrepositories/status)");
    let r = s
        .get(
            "alice",
            &format!("{}/{name}/charts", path("team-a", "helmrepositories")),
        )
        .await;
    assert_status(&r, 502);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "ksflux fetched a URL a user set");
    assert!(!r.text.contains(CANARY), "{}", r.text);
    assert!(!r.text.contains(&url), "the URL is not repeated: {}", r.text);
    assert_eq!(
        s.delete("alice", &format!("{}/{name}", path("team-a", "helmrepositories")))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn artifacts_are_read_within_a_size_and_parse_failures_are_not_500() {
    use ksflux::{error::Error, sources::ArtifactPolicy};
    // An allowed storage address that serves 30 MiB: refused at the cap.
    let (url, _) = target(200, vec![b'a'; 30 * 1024 * 1024]).await;
    let policy = ArtifactPolicy::with_storage(std::slice::from_ref(&url)).expect("policy");
    let err = policy
        .fetch(&format!("{url}/index.yaml"))
        .await
        .expect_err("too large");
    assert!(
        matches!(err, Error::BadGateway(ref m) if m.contains("larger than")),
        "{err:?}"
    );
    // A port on the same host is a different address.
    let other = url
        .rsplit_once(':')
        .map(|(h, _)| format!("{h}:1/x"))
        .unwrap_or_default();
    assert!(matches!(policy.fetch(&other).await, Err(Error::BadGateway(_))));
    // A YAML bomb parses to an error, not a 500.
    let bomb = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\nentries: [*i]\n";
    assert!(ksflux::sources::parse_index(bomb.as_bytes()).is_err());
}

#[tokio::test]
async fn odd_characters_in_path_segments_are_a_400_naming_the_parameter() {
    let s = Server::start().await;
    let api = "/kapis/fluxcd.kubesphere.io/v1alpha1";
    for (p, field) in [
        (format!("{api}/namespaces/a%20b/gitrepositories"), "namespace"),
        (format!("{api}/namespaces/%03/gitrepositories"), "namespace"),
        (format!("{api}/namespaces/team-a/gitrepositories/a%5Cb"), "name"),
        (
            format!("{api}/namespaces/team-a/gitrepositories/a%20b/reconcile"),
            "name",
        ),
        (
            format!("{api}/namespaces/team-a/helmrepositories/%E2%9C%93/charts"),
            "name",
        ),
        (format!("{api}/clusters/a%20b"), "cluster"),
        (format!("{api}/git%20repositories"), "resource"),
    ] {
        let method = if p.ends_with("/reconcile") { "POST" } else { "GET" };
        let r = s.call("admin", method, &p, None).await;
        assert_status(&r, 400);
        assert_eq!(fields(&r.body), [field], "{p}");
    }
}

/// An application spec deploying to `target_ns` on the host from a GitRepository.
fn app_body(name: &str, target_ns: &str) -> Value {
    json!({"metadata": {"name": name},
           "spec": {"source": {"kind": "GitRepository", "name": "samples"},
                    "kustomize": {"path": "./base"},
                    "targets": [{"cluster": "host", "namespace": target_ns}]}})
}

#[tokio::test]
async fn previews_and_diffs_are_authorised_before_anything_is_rendered() {
    let s = Server::start().await;
    let preview = |ns: &str| format!("{}/web/preview", path(ns, "applications"));
    // Neither alice nor bob may create applications in team-b or kube-system, and a
    // namespace that does not exist answers the same (no existence oracle).
    for user in ["alice", "bob"] {
        for ns in ["team-b", "kube-system", "no-such-namespace-x1"] {
            let r = s.post(user, &preview(ns), &app_body("web", ns)).await;
            assert_status(&r, 403);
        }
    }
    // bob only views team-a.
    assert_status(
        &s.post("bob", &preview("team-a"), &app_body("web", "team-a"))
            .await,
        403,
    );
    // alice edits team-a: her preview renders.
    let r = s
        .post("alice", &preview("team-a"), &app_body("web", "team-a"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body[0]["cluster"], "host");
    // Creating in team-b with a kube-system target: forbidden, and team-b's rules are not shown.
    let r = s
        .post(
            "alice",
            &path("team-b", "applications"),
            &app_body("web", "kube-system"),
        )
        .await;
    assert_status(&r, 403);
    assert!(!r.text.contains("kube-system"), "{}", r.text);
    // A diff needs the right to update that application.
    let r = s
        .post(
            "alice",
            &format!("{}/web/diff", path("team-b", "applications")),
            &app_body("web", "team-b"),
        )
        .await;
    assert_status(&r, 403);
}

#[tokio::test]
async fn objects_near_the_storage_limit_are_refused_naming_the_field_and_nothing_is_written() {
    support::start_controller(); // installs the Application CRD
    let s = Server::start().await;
    let ns =
        ksflux_testbed::create_namespace(&s.tb.client("host").await, &ksflux_testbed::unique_name("big"))
            .await;
    let git = |ignore: String| {
        json!({"metadata": {"name": "big"}, "spec": {"url": "https://example.com/x.git", "interval": "1m", "ref": {"branch": "main"}, "ignore": ignore},
               "credentials": {"type": "basic", "username": "u", "password": "p"}})
    };
    // 1.6 MB: over the body limit, a 413 Status.
    let r = s
        .post(
            "admin",
            &path(&ns, "gitrepositories"),
            &git("x".repeat(1_600_000)),
        )
        .await;
    assert_status(&r, 413);
    // 100 KiB of ignore rules: 422 naming spec.ignore.
    let r = s
        .post(
            "admin",
            &path(&ns, "gitrepositories"),
            &git("x".repeat(100 * 1024)),
        )
        .await;
    assert_status(&r, 422);
    assert_eq!(fields(&r.body), ["spec.ignore"]);
    // TLS material has a limit too.
    let r = s
        .post(
            "admin",
            &path(&ns, "helmrepositories"),
            &json!({"metadata": {"name": "big"}, "spec": {"url": "https://example.com", "interval": "5m"},
                    "tls": {"ca": format!("-----BEGIN CERTIFICATE-----{}", "A".repeat(70 * 1024))}}),
        )
        .await;
    assert_status(&r, 422);
    assert_eq!(fields(&r.body), ["tls.ca"]);
    // An application with 300 KiB of values in one target's overrides.
    let mut app = app_body("big", &ns);
    app["spec"]["targets"][0]["overrides"] = json!({"substitute": {"blob": "y".repeat(300 * 1024)}});
    let r = s.post("admin", &path(&ns, "applications"), &app).await;
    assert_status(&r, 422);
    assert_eq!(fields(&r.body), ["spec.targets[0].overrides.substitute.blob"]);
    let r = s
        .post(
            "admin",
            &format!("{}/big/preview", path(&ns, "applications")),
            &app,
        )
        .await;
    assert_status(&r, 422);
    // Nothing was written: no object, no credential Secret.
    for resource in ["gitrepositories", "helmrepositories", "applications"] {
        let r = s.get("admin", &path(&ns, resource)).await;
        assert_eq!(r.body["totalItems"], 0, "{resource}: {}", r.text);
    }
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(s.tb.client("host").await, &ns);
    let names: Vec<String> = secrets
        .list(&Default::default())
        .await
        .expect("secrets")
        .items
        .into_iter()
        .filter_map(|x| x.metadata.name)
        .filter(|n| n.starts_with("big"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    ksflux_testbed::delete_namespace(&s.tb.client("host").await, &ns).await;
}

#[tokio::test]
async fn every_error_is_a_status_and_every_action_has_its_own_operation() {
    let s = Server::start().await;
    let list = path("team-a", "gitrepositories");
    for q in ["limit=abc", "page=-1", "state=bogus", "ascending=maybe"] {
        let r = s.get("admin", &format!("{list}?{q}")).await;
        assert_status(&r, 400);
        let param = q.split('=').next().unwrap_or_default();
        assert_eq!(fields(&r.body), [param], "{q}");
    }
    let r = s
        .call(
            "admin",
            "POST",
            &format!("{list}/samples/reconcile?wait=-1"),
            None,
        )
        .await;
    assert_status(&r, 400);
    assert_eq!(fields(&r.body), ["wait"]);
    // A body over 1 MiB on preview: 413 Status, not plain text.
    let mut big = app_body("web", "team-a");
    big["spec"]["kustomize"]["patches"] = json!([{"patch": "z".repeat(1_200_000)}]);
    let r = s
        .post(
            "admin",
            &format!("{}/web/preview", path("team-a", "applications")),
            &big,
        )
        .await;
    assert_status(&r, 413);
    // A null body: a 400 without an empty field.
    let r = s.post("admin", &list, &Value::Null).await;
    assert_status(&r, 400);
    assert!(fields(&r.body).iter().all(|f| !f.is_empty()), "{}", r.text);
    // Applications live on the host; asking a member is a 404 Status, not a parse error.
    let r = s
        .get(
            "admin",
            &format!("{}?cluster=member-1", path("team-a", "applications")),
        )
        .await;
    assert_status(&r, 404);
    assert!(!r.text.contains("Failed to parse"), "{}", r.text);
    // Unknown actions and subviews are a 404 Status.
    let r = s
        .call("admin", "POST", &format!("{list}/samples/explode"), None)
        .await;
    assert_status(&r, 404);

    // The OpenAPI document: one operation per action, each with its own 200 schema, and every
    // operation documents the errors it can answer.
    let doc = s.get("", "/openapi.json").await.body;
    let api = "/kapis/fluxcd.kubesphere.io/v1alpha1/namespaces/{namespace}";
    let ok = |p: &str, m: &str| {
        doc["paths"][format!("{api}{p}")][m]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    for action in ["reconcile", "suspend", "resume"] {
        assert_eq!(
            ok(&format!("/{{resource}}/{{name}}/{action}"), "post")["$ref"],
            "#/components/schemas/ObjectView",
            "{action}"
        );
    }
    for action in ["force", "reset"] {
        assert_eq!(
            ok(&format!("/helmreleases/{{name}}/{action}"), "post")["$ref"],
            "#/components/schemas/ObjectView",
            "{action}"
        );
    }
    for (path, method, item) in [
        ("/applications/{name}/preview", "post", "Rendered"),
        ("/applications/{name}/diff", "post", "TargetDiff"),
        ("/applications/{name}/targets", "get", "TargetDetail"),
        ("/helmrepositories/{name}/charts", "get", "Chart"),
    ] {
        assert_eq!(
            ok(path, method)["items"]["$ref"],
            format!("#/components/schemas/{item}").as_str(),
            "{path}"
        );
    }
    assert!(doc["paths"][format!("{api}/{{resource}}/{{name}}/{{action}}")].is_null());
    for (p, ops) in doc["paths"].as_object().into_iter().flatten() {
        for (m, op) in ops.as_object().into_iter().flatten() {
            for code in ["400", "401", "403", "404"] {
                assert!(
                    op["responses"][code].is_object(),
                    "{m} {p} does not document {code}"
                );
            }
        }
    }
}

#[tokio::test]
async fn cluster_health_is_checked_on_demand_at_most_every_ten_seconds() {
    let s = Server::start().await;
    let p = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/member-1";
    let first = s.get("alice", p).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let r = s.get("alice", p).await;
        seen.insert(
            r.body["health"]["lastChecked"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen.len(), 1, "each request probed the cluster: {seen:?}");
}

#[tokio::test]
async fn raw_deliveries_follow_the_project_rules_and_cluster_health_shows_the_lockdown() {
    let s = Server::start().await;
    let ks = |extra: Value| {
        let mut spec = json!({"interval": "5m", "path": "./plain", "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "samples"}});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        json!({"metadata": {"name": "raw"}, "spec": spec})
    };
    for (extra, field) in [
        (json!({"targetNamespace": "kube-system"}), "spec.targetNamespace"),
        (
            json!({"sourceRef": {"kind": "GitRepository", "name": "samples", "namespace": "team-b"}}),
            "spec.sourceRef.namespace",
        ),
        (
            json!({"dependsOn": [{"name": "x", "namespace": "team-b"}]}),
            "spec.dependsOn[0].namespace",
        ),
    ] {
        let r = s
            .post("alice", &path("team-a", "kustomizations"), &ks(extra))
            .await;
        assert_status(&r, 422);
        assert_eq!(fields(&r.body), [field]);
    }
    let hr = json!({"metadata": {"name": "raw"}, "spec": {"interval": "5m", "targetNamespace": "team-b",
        "chart": {"spec": {"chart": "demo-app", "sourceRef": {"kind": "HelmRepository", "name": "samples"}}}}});
    let r = s.post("alice", &path("team-a", "helmreleases"), &hr).await;
    assert_status(&r, 422);
    assert_eq!(fields(&r.body), ["spec.targetNamespace"]);
    // Nothing was written.
    for resource in ["kustomizations", "helmreleases"] {
        let r = s.get("alice", &format!("{}/raw", path("team-a", resource))).await;
        assert_eq!(r.status, 404, "{}", r.text);
    }

    // The host's Flux runs locked down; members in hub mode run no Flux of their own.
    let r = s
        .get("alice", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters")
        .await;
    let items = r.body["items"].as_array().cloned().unwrap_or_default();
    let host = items
        .iter()
        .find(|c| c["name"] == "host")
        .cloned()
        .unwrap_or_default();
    assert_eq!(host["health"]["lockdown"]["enabled"], true, "{host}");
    assert_eq!(host["health"]["lockdown"]["noCrossNamespaceRefs"], true);
    assert_eq!(host["health"]["lockdown"]["defaultServiceAccount"], "default");
    let member = items
        .iter()
        .find(|c| c["name"] == "member-1")
        .cloned()
        .unwrap_or_default();
    // The member's own Flux (agent mode) runs with the same lockdown.
    assert_eq!(member["health"]["lockdown"]["enabled"], true, "{member}");
}
