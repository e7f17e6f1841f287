//! Image automation on the testbed: a policy's preview agrees with what the real
//! image-reflector-controller picks, and a Helm application follows its ImagePolicy on one
//! member while the other takes new tags only when promoted.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use ksflux_testbed::{Testbed, create_namespace, unique_name, wait_for};
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

async fn wait_image(tb: &Testbed, cluster: &str, ns: &str, want: &str) {
    wait_for(
        &format!("{cluster}: deployment web runs {want}"),
        LONG,
        || async {
            match deployment_image(tb, cluster, ns, "web").await {
                Some(i) if i == want => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
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
    wait_image(tb, "member-1", &ns, &format!("{image}:1.2.0")).await;
    wait_image(tb, "member-2", &ns, &format!("{image}:1.0.0")).await;
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
    wait_image(tb, "member-1", &ns, &format!("{image}:1.3.0")).await;
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
    let r = s
        .put(
            "admin",
            &format!("{apps}/web"),
            &json!({"metadata": {"name": "web", "resourceVersion": proposal.body["resourceVersion"]},
                    "spec": proposal.body["spec"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_image(tb, "member-2", &ns, &format!("{image}:1.3.0")).await;
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
