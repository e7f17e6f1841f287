//! Image automation on the testbed: a policy's preview agrees with what the real
//! image-reflector-controller picks, and a Helm application follows its ImagePolicy on one
//! member while the other takes new tags only when promoted.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use ksflux_testbed::{Testbed, create_namespace, git, unique_name, wait_for};
use kube::Api;
use serde_json::{Value, json};
use support::{Server, path, start_controller};

const LONG: Duration = Duration::from_secs(180);

/// An ImageRepository `app` for `image` in `ns`, with the registry's credentials, scanned.
async fn image_repository(s: &Server, ns: &str, image: &str, tags: u64) {
    let f = &s.tb.info.fixtures;
    let r = s
        .post(
            "admin",
            &path(ns, "imagerepositories"),
            &json!({"metadata": {"name": "app"},
                    "spec": {"image": image, "interval": "1m", "insecure": true},
                    "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let p = format!("{}/app", path(ns, "imagerepositories"));
    wait_for(&format!("{image}: {tags} tags scanned"), LONG, || async {
        let r = s.get("admin", &p).await;
        match r.body["status"]["lastScanResult"]["tagCount"].as_u64() {
            Some(n) if n == tags => Ok(()),
            _ => Err(r.body["status"].to_string()),
        }
    })
    .await;
}

async fn policy_pick(s: &Server, ns: &str, want: &str) -> Value {
    let p = format!("{}/app", path(ns, "imagepolicies"));
    wait_for(&format!("ImagePolicy {ns}/app picks {want}"), LONG, || async {
        let r = s.get("admin", &p).await;
        if r.body["status"]["latestRef"]["tag"] == want {
            Ok(r.body)
        } else {
            Err(r.body["status"].to_string())
        }
    })
    .await
}

async fn deployment_image(tb: &Testbed, cluster: &str, ns: &str, name: &str) -> Option<String> {
    let api: Api<Deployment> = Api::namespaced(tb.client(cluster).await, ns);
    let d = api.get_opt(name).await.ok().flatten()?;
    d.spec?.template.spec?.containers.first()?.image.clone()
}

async fn wait_image(tb: &Testbed, cluster: &str, ns: &str, deployment: &str, want: &str) {
    wait_for(
        &format!("{cluster}: deployment {deployment} runs {want}"),
        LONG,
        || async {
            match deployment_image(tb, cluster, ns, deployment).await {
                Some(i) if i == want => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

/// A git repository `repo` of the test's own whose manifests deploy `image:1.0.0`, unmarked;
/// the image line as written.
fn unmarked_repo(tb: &Testbed, repo: &str, image: &str) -> String {
    let work = tb.own_git_repo(repo).expect("own repository");
    let manifest = work.join("base/deployment.yaml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let line = text
        .lines()
        .find(|l| l.contains("image:"))
        .expect("an image line")
        .to_string();
    let plain = format!("          image: {image}:1.0.0");
    std::fs::write(&manifest, text.replace(&line, &plain)).expect("write");
    git(&["commit", "-qam", "Deploy the test's image"], Some(&work)).expect("commit");
    git(&["push", "-q", &tb.git_push_url(repo), "main"], Some(&work)).expect("push");
    plain
}

/// Promotes `cluster` as the console does: the proposal, then the PUT of its spec; a 409 (the
/// controller wrote the status meanwhile) asks for a new proposal.
async fn promote(s: &Server, apps: &str, policy: &str, cluster: &str) {
    for _ in 0..5 {
        let proposal = s
            .get(
                "admin",
                &format!("{apps}/web/promotion?policy={policy}&cluster={cluster}"),
            )
            .await;
        assert_eq!(proposal.status, 200, "{}", proposal.text);
        let body = json!({"metadata": {"name": "web", "resourceVersion": proposal.body["resourceVersion"]},
                          "spec": proposal.body["spec"]});
        let r = s.put("admin", &format!("{apps}/web"), &body).await;
        if r.status != 409 {
            assert_eq!(r.status, 200, "{}", r.text);
            return;
        }
    }
    panic!("promotion kept conflicting");
}

fn target<'a>(chain: &'a Value, cluster: &str) -> &'a Value {
    chain["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["cluster"] == cluster))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn a_policy_preview_picks_what_the_reflector_then_picks() {
    let s = Server::start().await;
    let ns = create_namespace(&s.tb.client("host").await, &unique_name("img")).await;
    let registry = &s.tb.info.fixtures.registry;
    image_repository(&s, &ns, &format!("{registry}/demo/app"), 4).await;
    let preview = format!("{}/app/preview", path(&ns, "imagerepositories"));

    // Authorised before anything is read or validated: carol may not read the project.
    let r = s
        .post(
            "carol",
            &preview,
            &json!({"policy": {"semver": {"range": "newest"}}}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .post(
            "admin",
            &preview,
            &json!({"policy": {"semver": {"range": "newest"}}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"], "spec.policy.semver.range",
        "{}",
        r.text
    );

    let range = json!({"semver": {"range": ">=1.0.0 <2.0.0"}});
    let r = s.post("admin", &preview, &json!({"policy": range})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["pick"], "1.2.0", "{}", r.text);
    assert_eq!(r.body["tagCount"], 4);
    assert_eq!(r.body["complete"], true);
    let verdicts: Vec<(String, bool)> = r.body["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["tag"].as_str().unwrap_or_default().to_string(),
                t["matches"] == true,
            )
        })
        .collect();
    assert!(verdicts.contains(&("2.0.0-rc.1".into(), false)), "{verdicts:?}");
    assert!(verdicts.contains(&("1.0.0".into(), true)), "{verdicts:?}");
    // A filter with an extract, previewed the same way.
    let r = s
        .post(
            "admin",
            &preview,
            &json!({"policy": {"numerical": {"order": "asc"}},
                    "filterTags": {"pattern": "^1\\.(?P<minor>[0-9]+)\\.0$", "extract": "$minor"}}),
        )
        .await;
    assert_eq!((r.status, &r.body["pick"]), (200, &json!("1.2.0")), "{}", r.text);

    // The real policy then picks the same tag.
    let r = s
        .post(
            "admin",
            &path(&ns, "imagepolicies"),
            &json!({"metadata": {"name": "app"},
                    "spec": {"imageRepositoryRef": {"name": "app"}, "policy": range}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    policy_pick(&s, &ns, "1.2.0").await;
}

#[tokio::test]
async fn a_helm_application_follows_on_one_member_and_waits_for_promotion_on_the_other() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = create_namespace(&tb.client("host").await, &unique_name("imgapp")).await;
    let f = &tb.info.fixtures;
    // An image repository of this test's own, with three releases.
    let repo = format!("{ns}/app");
    for tag in ["1.0.0", "1.1.0", "1.2.0"] {
        tb.push_image_tag("demo/app", tag, &repo, tag)
            .await
            .expect("push a tag");
    }
    let image = format!("{}/{repo}", f.registry);
    image_repository(&s, &ns, &image, 3).await;
    let r = s
        .post(
            "admin",
            &path(&ns, "imagepolicies"),
            &json!({"metadata": {"name": "app"},
                    "spec": {"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    policy_pick(&s, &ns, "1.2.0").await;
    let r = s
        .post(
            "admin",
            &path(&ns, "helmrepositories"),
            &json!({"metadata": {"name": "demo"}, "spec": {"url": f.helm_url, "interval": "1m"},
                    "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // A bad automation names its field and writes nothing.
    let apps = path(&ns, "applications");
    let mut body = json!({
        "metadata": {"name": "web"},
        "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x", "values": {"image": {"repository": image, "tag": "1.0.0"}}},
            "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}],
            "images": [{"policy": "app", "image": "x"}]
        }
    });
    let r = s.post("admin", &apps, &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let fields: Vec<&str> = r.body["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["spec.images[0].valuesPath", "spec.images[0].image"],
        "{}",
        r.text
    );
    body["spec"]["images"] = json!([{"policy": "app", "valuesPath": "image.tag", "manual": ["member-2"]}]);
    let r = s.post("admin", &apps, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // member-1 follows the policy at once; member-2 keeps the values' tag.
    wait_image(tb, "member-1", &ns, "web", &format!("{image}:1.2.0")).await;
    wait_image(tb, "member-2", &ns, "web", &format!("{image}:1.0.0")).await;
    let app = s.get("admin", &format!("{apps}/web")).await.body;
    assert_eq!(
        app["spec"]["images"][0]["tags"],
        json!({"member-1": "1.2.0"}),
        "{app}"
    );

    // A new tag: the reflector scans it, the policy picks it, member-1 rolls, member-2 waits.
    tb.push_image_tag("demo/app", "1.2.0", &repo, "1.3.0")
        .await
        .expect("push 1.3.0");
    let r = s
        .post(
            "admin",
            &format!("{}/app/reconcile", path(&ns, "imagerepositories")),
            &json!({}),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    policy_pick(&s, &ns, "1.3.0").await;
    wait_image(tb, "member-1", &ns, "web", &format!("{image}:1.3.0")).await;
    let chain = wait_for("member-2 shows 1.3.0 pending", LONG, || async {
        let r = s.get("admin", &format!("{apps}/web/images")).await;
        if target(&r.body[0], "member-2")["pending"] == "1.3.0" {
            Ok(r.body[0].clone())
        } else {
            Err(r.text)
        }
    })
    .await;
    assert_eq!(chain["latest"], "1.3.0", "{chain}");
    assert_eq!(chain["repository"], "app");
    assert_eq!(chain["tagCount"], 4);
    assert_eq!(target(&chain, "member-1")["mode"], "Auto");
    assert_eq!(target(&chain, "member-1")["tag"], "1.3.0");
    assert_eq!(target(&chain, "member-1")["pending"], Value::Null);
    assert_eq!(target(&chain, "member-2")["mode"], "Manual");
    assert_eq!(target(&chain, "member-2")["tag"], Value::Null);
    assert_eq!(
        deployment_image(tb, "member-2", &ns, "web").await,
        Some(format!("{image}:1.0.0"))
    );

    // Promotion: authorised first, then proposed with its diff (only member-2 changes), then
    // applied as an ordinary edit.
    let promotion = format!("{apps}/web/promotion?policy=app&cluster=member-2");
    let r = s.get("carol", &promotion).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .get(
            "admin",
            &format!("{apps}/web/promotion?policy=app&cluster=member-9"),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["details"]["causes"][0]["field"]),
        (422, &json!("cluster")),
        "{}",
        r.text
    );
    let proposal = s.get("admin", &promotion).await;
    assert_eq!(proposal.status, 200, "{}", proposal.text);
    assert_eq!(proposal.body["to"], "1.3.0");
    let diff = proposal.body["diff"].as_array().cloned().unwrap_or_default();
    let changed: Vec<&Value> = diff.iter().filter(|d| d["action"] != "unchanged").collect();
    assert_eq!(changed.len(), 1, "{diff:?}");
    assert_eq!(changed[0]["cluster"], "member-2");
    assert!(
        changed[0]["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["path"] == "spec.values.image.tag" && c["new"] == "1.3.0"),
        "{}",
        changed[0]
    );
    promote(&s, &apps, "app", "member-2").await;
    wait_image(tb, "member-2", &ns, "web", &format!("{image}:1.3.0")).await;
    let r = s.get("admin", &format!("{apps}/web/images")).await;
    assert_eq!(
        target(&r.body[0], "member-2")["pending"],
        Value::Null,
        "{}",
        r.text
    );
    assert_eq!(
        deployment_image(tb, "member-1", &ns, "web").await,
        Some(format!("{image}:1.3.0"))
    );
}

fn git_head(tb: &Testbed, repo: &str) -> String {
    let out = git(&["ls-remote", &tb.git_push_url(repo), "refs/heads/main"], None).expect("ls-remote");
    out.split_whitespace().next().unwrap_or_default().to_string()
}

/// The file at `path` on the repository's main branch, and the head commit's author and
/// subject.
fn git_show(tb: &Testbed, repo: &str, path: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(unique_name("show"));
    git(
        &["clone", "-q", &tb.git_push_url(repo), &dir.to_string_lossy()],
        None,
    )
    .expect("clone");
    let file = std::fs::read_to_string(dir.join(path)).unwrap_or_default();
    let log = git(&["log", "-1", "--format=%an|%s"], Some(&dir)).expect("log");
    let _ = std::fs::remove_dir_all(&dir);
    (file, log.trim().to_string())
}

#[tokio::test]
async fn a_kustomize_application_from_git_is_marked_and_every_target_takes_each_new_tag() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = create_namespace(&tb.client("host").await, &unique_name("imggit")).await;
    let f = &tb.info.fixtures;
    let repo_name = format!("{ns}-src");
    let image_repo = format!("{ns}/app");
    for tag in ["1.0.0", "1.1.0", "1.2.0"] {
        tb.push_image_tag("demo/app", tag, &image_repo, tag)
            .await
            .expect("push a tag");
    }
    let image = format!("{}/{image_repo}", f.registry);
    // The manifests deploy this test's image at 1.0.0, unmarked.
    let plain = unmarked_repo(tb, &repo_name, &image);

    let sources = path(&ns, "gitrepositories");
    let creds = json!({"type": "basic", "username": f.user, "password": f.password});
    for (name, reference, creds) in [
        ("demo", json!({"branch": "main"}), creds.clone()),
        ("pinned", json!({"tag": "v1.0.0"}), creds.clone()),
        (
            "readonly",
            json!({"branch": "main"}),
            json!({"type": "basic", "username": f.user, "password": "not-the-password"}),
        ),
    ] {
        let r = s
            .post("admin", &sources, &json!({"metadata": {"name": name},
                "spec": {"url": tb.git_repo_url(&repo_name), "interval": "1m", "ref": reference}, "credentials": creds}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let apps = path(&ns, "applications");
    for (name, source) in [("web", "demo"), ("pinned", "pinned"), ("readonly", "readonly")] {
        let r = s
            .post("admin", &apps, &json!({"metadata": {"name": name}, "spec": {
                "source": {"kind": "GitRepository", "name": source}, "kustomize": {"path": "./base"},
                "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}],
                "suspend": name != "web"}}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    wait_image(tb, "member-1", &ns, "demo", &format!("{image}:1.0.0")).await;
    wait_image(tb, "member-2", &ns, "demo", &format!("{image}:1.0.0")).await;

    let setup = json!({"image": image, "policy": {"semver": {"range": ">=1.0.0 <2.0.0"}}, "insecure": true,
                       "credentials": creds});
    let before = git_head(tb, &repo_name);
    // Refused before anything is written: no right, a pinned source, credentials that may
    // not push.
    let r = s.post("carol", &format!("{apps}/web/images"), &setup).await;
    assert_eq!(r.status, 403, "{}", r.text);
    for (app, says) in [("pinned", "pinned to a tag"), ("readonly", "may not push")] {
        let mut body = setup.clone();
        body["confirm"] = json!(true);
        let r = s.post("admin", &format!("{apps}/{app}/images"), &body).await;
        assert_eq!(r.status, 422, "{app}: {}", r.text);
        assert_eq!(r.body["details"]["causes"][0]["field"], "source", "{}", r.text);
        assert!(r.text.contains(says), "{app}: {}", r.text);
    }
    let listed = s.get("admin", &path(&ns, "imagerepositories")).await;
    assert_eq!(listed.body["totalItems"], 0, "nothing written: {}", listed.text);
    assert_eq!(git_head(tb, &repo_name), before, "nothing pushed");

    // The proposal: the marker commit's diff, nothing written yet.
    let r = s.post("admin", &format!("{apps}/web/images"), &setup).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["via"], &r.body["applied"]),
        (&json!("git"), &json!(false)),
        "{}",
        r.text
    );
    let files = &r.body["commit"]["files"];
    assert_eq!(files[0]["path"], "base/deployment.yaml", "{}", r.text);
    let marker = format!("# {{\"$imagepolicy\": \"{ns}:web-app\"}}");
    assert_eq!(files[0]["changes"][0]["before"], plain.as_str());
    assert_eq!(files[0]["changes"][0]["after"], format!("{plain} {marker}"));
    assert_eq!(r.body["commit"]["parent"], before.as_str());
    assert_eq!(git_head(tb, &repo_name), before, "a proposal pushes nothing");

    // Confirmed: the commit is on the branch, then the three objects exist.
    let mut confirmed = setup.clone();
    confirmed["confirm"] = json!(true);
    let r = s.post("admin", &format!("{apps}/web/images"), &confirmed).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sha = r.body["commit"]["sha"].as_str().unwrap_or_default().to_string();
    assert_eq!(git_head(tb, &repo_name), sha, "{}", r.text);
    let (file, log) = git_show(tb, &repo_name, "base/deployment.yaml");
    assert!(file.contains(&format!("{plain} {marker}")), "{file}");
    assert!(log.starts_with("ksflux|Mark "), "{log}");
    for kind in ["imagerepositories", "imagepolicies", "imageupdateautomations"] {
        let r = s.get("admin", &format!("{}/web-app", path(&ns, kind))).await;
        assert_eq!(r.status, 200, "{kind}: {}", r.text);
    }
    let p = format!("{}/web-app", path(&ns, "imagepolicies"));
    wait_for("the policy picks 1.2.0", LONG, || async {
        let r = s.get("admin", &p).await;
        if r.body["status"]["latestRef"]["tag"] == "1.2.0" {
            Ok(())
        } else {
            Err(r.body["status"].to_string())
        }
    })
    .await;

    // image-automation-controller commits the pick; every target applies it.
    let reconcile = |kind: &'static str, name: &'static str| {
        let item = format!("{}/{name}/reconcile", path(&ns, kind));
        let s = &s;
        async move {
            let r = s.post("admin", &item, &json!({})).await;
            assert!(r.status < 300, "{kind}/{name}: {}", r.text);
        }
    };
    let pushed = |tag: &'static str| {
        let repo_name = repo_name.clone();
        let want = format!("{image}:{tag}");
        async move {
            wait_for(&format!("the automation commits {want}"), LONG, || async {
                reconcile("imageupdateautomations", "web-app").await;
                let (file, log) = git_show(Testbed::shared(), &repo_name, "base/deployment.yaml");
                if file.contains(&want) { Ok(log) } else { Err(log) }
            })
            .await
        }
    };
    pushed("1.2.0").await;
    reconcile("gitrepositories", "demo").await;
    wait_image(tb, "member-1", &ns, "demo", &format!("{image}:1.2.0")).await;
    wait_image(tb, "member-2", &ns, "demo", &format!("{image}:1.2.0")).await;

    // A new tag in the registry travels the same way.
    tb.push_image_tag("demo/app", "1.2.0", &image_repo, "1.3.0")
        .await
        .expect("push 1.3.0");
    reconcile("imagerepositories", "web-app").await;
    let log = pushed("1.3.0").await;
    assert!(log.starts_with("ksflux|Update "), "{log}");
    reconcile("gitrepositories", "demo").await;
    wait_image(tb, "member-1", &ns, "demo", &format!("{image}:1.3.0")).await;
    wait_image(tb, "member-2", &ns, "demo", &format!("{image}:1.3.0")).await;
    // One status chain: scan, pick, the automation's last push, each target's revision.
    let head = git_head(tb, &repo_name);
    let chain = wait_for("both targets report the automation's commit", LONG, || async {
        let r = s.get("admin", &format!("{apps}/web/images")).await;
        let applied = ["member-1", "member-2"].iter().all(|c| {
            target(&r.body[0], c)["appliedRevision"]
                .as_str()
                .is_some_and(|r| r.ends_with(&head))
        });
        if applied {
            Ok(r.body[0].clone())
        } else {
            Err(r.text)
        }
    })
    .await;
    let chain = &chain;
    assert_eq!(
        (&chain["policy"], &chain["automation"], &chain["latest"]),
        (&json!("web-app"), &json!("web-app"), &json!("1.3.0")),
        "{chain}"
    );
    assert_eq!(chain["lastPushCommit"], head.as_str(), "{chain}");
    for cluster in ["member-1", "member-2"] {
        let t = target(chain, cluster);
        assert_eq!(t["mode"], "Auto", "{t}");
        assert!(
            t["appliedRevision"].as_str().is_some_and(|r| r.ends_with(&head)),
            "{t}"
        );
    }
}

#[tokio::test]
async fn a_git_automated_image_keeps_a_manual_cluster_on_its_tag_until_promoted() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = create_namespace(&tb.client("host").await, &unique_name("imgpin")).await;
    let f = &tb.info.fixtures;
    let repo_name = format!("{ns}-src");
    let image_repo = format!("{ns}/app");
    for tag in ["1.0.0", "1.1.0"] {
        tb.push_image_tag("demo/app", tag, &image_repo, tag)
            .await
            .expect("push a tag");
    }
    let image = format!("{}/{image_repo}", f.registry);
    unmarked_repo(tb, &repo_name, &image);
    let creds = json!({"type": "basic", "username": f.user, "password": f.password});
    let r = s
        .post("admin", &path(&ns, "gitrepositories"), &json!({"metadata": {"name": "demo"},
            "spec": {"url": tb.git_repo_url(&repo_name), "interval": "1m", "ref": {"branch": "main"}}, "credentials": creds}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let apps = path(&ns, "applications");
    let r = s
        .post("admin", &apps, &json!({"metadata": {"name": "web"}, "spec": {
            "source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./base"},
            "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    wait_image(tb, "member-2", &ns, "demo", &format!("{image}:1.0.0")).await;

    // Set up with member-2 manual: it is pinned to the manifests' 1.0.0.
    let setup = json!({"image": image, "policy": {"semver": {"range": ">=1.0.0"}}, "insecure": true,
                       "credentials": creds, "manual": ["member-2"], "confirm": true});
    let r = s.post("admin", &format!("{apps}/web/images"), &setup).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let app = s.get("admin", &format!("{apps}/web")).await.body;
    assert_eq!(
        app["spec"]["images"],
        json!([{"policy": "web-app", "image": image, "manual": ["member-2"], "viaGit": true, "tags": {"member-2": "1.0.0"}}]),
        "{app}"
    );
    // The automation commits 1.1.0: member-1 takes it through git, member-2 stays and shows it pending.
    wait_for("the automation commits 1.1.0", LONG, || async {
        let item = format!("{}/web-app/reconcile", path(&ns, "imageupdateautomations"));
        s.post("admin", &item, &json!({})).await;
        let (file, log) = git_show(Testbed::shared(), &repo_name, "base/deployment.yaml");
        if file.contains(&format!("{image}:1.1.0")) {
            Ok(())
        } else {
            Err(log)
        }
    })
    .await;
    s.post(
        "admin",
        &format!("{}/demo/reconcile", path(&ns, "gitrepositories")),
        &json!({}),
    )
    .await;
    wait_image(tb, "member-1", &ns, "demo", &format!("{image}:1.1.0")).await;
    let chain = wait_for("member-2 shows 1.1.0 pending", LONG, || async {
        let r = s.get("admin", &format!("{apps}/web/images")).await;
        if target(&r.body[0], "member-2")["pending"] == "1.1.0" {
            Ok(r.body[0].clone())
        } else {
            Err(r.text)
        }
    })
    .await;
    assert_eq!(chain["automation"], "web-app", "{chain}");
    assert_eq!(target(&chain, "member-1")["pending"], Value::Null);
    assert_eq!(
        deployment_image(tb, "member-2", &ns, "demo").await,
        Some(format!("{image}:1.0.0"))
    );
    // The follower keeps no pin for member-1 (the commit carries its tag).
    let app = s.get("admin", &format!("{apps}/web")).await.body;
    assert_eq!(
        app["spec"]["images"][0]["tags"],
        json!({"member-2": "1.0.0"}),
        "{app}"
    );

    // Promoted, member-2 runs the pick too.
    promote(&s, &apps, "web-app", "member-2").await;
    wait_image(tb, "member-2", &ns, "demo", &format!("{image}:1.1.0")).await;
}
