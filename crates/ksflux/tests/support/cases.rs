//! Application cases shared by the hub-mode and agent-mode test binaries: each runs against
//! a [`Fleet`] (which members are in agent mode for this process's controller) and asserts
//! what a user checks in either mode.

use std::time::Duration;

use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Secret},
};
use ksflux_testbed::{Testbed, git, unique_name, wait_for};
use kube::{Api, api::DynamicObject, config::KubeConfigOptions};
use serde_json::{Value, json};

use super::{Events, Server, all_ready, apps, helm_repository, path, project, wait_app};

/// Which testbed members this process's controller delivers to in agent mode.
pub struct Fleet {
    /// The members in agent mode (the rest are in hub mode).
    pub agent: &'static [&'static str],
}

impl Fleet {
    /// Every member in hub mode.
    pub const HUB: Fleet = Fleet { agent: &[] };

    /// Whether `cluster` is in agent mode.
    pub fn is_agent(&self, cluster: &str) -> bool {
        self.agent.contains(&cluster)
    }

    /// A rendered Flux object as a user finds it: through the API on the host (hub mode), or
    /// in the member itself (agent mode).
    pub async fn flux_object(&self, s: &Server, cluster: &str, ns: &str, plural: &str, name: &str) -> Value {
        if !self.is_agent(cluster) {
            return s.get("admin", &format!("{}/{name}", path(ns, plural))).await.body;
        }
        let api: Api<DynamicObject> =
            Api::namespaced_with(s.tb.client(cluster).await, ns, &flux_resource(plural));
        serde_json::to_value(api.get(name).await.expect("the Flux object in the member")).unwrap_or_default()
    }

    /// Asks the Flux controller in `cluster` to reconcile an object now (as `flux reconcile`).
    pub async fn reconcile_in(&self, tb: &Testbed, cluster: &str, ns: &str, plural: &str, name: &str) {
        let api: Api<DynamicObject> =
            Api::namespaced_with(tb.client(cluster).await, ns, &flux_resource(plural));
        let now = jiff::Timestamp::now().to_string();
        let patch = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": now}}});
        api.patch(name, &Default::default(), &kube::api::Patch::Merge(&patch))
            .await
            .expect("request a reconcile");
    }

    /// No Flux object, source copy or copied Secret of the project is left in any agent member.
    pub async fn no_flux_objects_left(&self, tb: &Testbed, ns: &str) {
        for cluster in self.agent {
            for plural in [
                "kustomizations",
                "helmreleases",
                "gitrepositories",
                "helmrepositories",
            ] {
                let api: Api<DynamicObject> =
                    Api::namespaced_with(tb.client(cluster).await, ns, &flux_resource(plural));
                wait_for(&format!("{cluster}: no {plural} left in {ns}"), LONG, || async {
                    match api.list(&Default::default()).await {
                        Ok(l) if l.items.is_empty() => Ok(()),
                        Ok(l) => Err(format!("{} left", l.items.len())),
                        Err(e) => Err(e.to_string()),
                    }
                })
                .await;
            }
        }
    }
}

/// The API resource of a Flux kind's plural.
pub fn flux_resource(plural: &str) -> kube::api::ApiResource {
    let (group, version, kind) = match plural {
        "kustomizations" => ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        "helmreleases" => ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
        "gitrepositories" => ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
        "helmrepositories" => ("source.toolkit.fluxcd.io", "v1", "HelmRepository"),
        other => panic!("no Flux kind {other} here"),
    };
    kube::api::ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    }
}

pub const LONG: Duration = Duration::from_secs(180);

/// Saves a new spec computed from the application's current state, as a console does: a 409
/// (the controller wrote its status meanwhile) means read again and re-apply the edit.
pub async fn edit(s: &Server, item: &str, spec: impl Fn(&Value) -> Value) -> super::Reply {
    let mut last = None;
    for _ in 0..5 {
        let current = s.get("admin", item).await.body;
        let body = json!({"metadata": {"name": current["metadata"]["name"],
            "resourceVersion": current["metadata"]["resourceVersion"]}, "spec": spec(&current)});
        let r = s.put("admin", item, &body).await;
        if r.status != 409 {
            return r;
        }
        last = Some(r);
    }
    last.unwrap_or_else(|| panic!("no reply"))
}

pub async fn configmap(tb: &Testbed, cluster: &str, ns: &str, name: &str) -> Option<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(tb.client(cluster).await, ns);
    api.get_opt(name).await.ok().flatten()
}

pub fn data(cm: &Option<ConfigMap>, key: &str) -> Option<String> {
    cm.as_ref()
        .and_then(|c| c.data.as_ref())
        .and_then(|d| d.get(key).cloned())
}

pub async fn wait_configmap(tb: &Testbed, cluster: &str, ns: &str, name: &str, key: &str, want: &str) {
    wait_for(
        &format!("{cluster}: configmap {ns}/{name} {key}={want}"),
        LONG,
        || async {
            let cm = configmap(tb, cluster, ns, name).await;
            match data(&cm, key) {
                Some(v) if v == want => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

pub async fn wait_configmap_gone(tb: &Testbed, cluster: &str, ns: &str, name: &str) {
    wait_for(
        &format!("{cluster}: configmap {ns}/{name} deleted"),
        LONG,
        || async {
            match configmap(tb, cluster, ns, name).await {
                None => Ok(()),
                Some(_) => Err("still there".into()),
            }
        },
    )
    .await;
}

/// The entry of `cluster` in a per-target array (`status.targets`, the workloads answer).
pub fn of_cluster(items: &Value, cluster: &str) -> Value {
    items
        .as_array()
        .and_then(|t| t.iter().find(|t| t["cluster"] == cluster).cloned())
        .unwrap_or_default()
}

/// A Helm application from the testbed's Helm repository on the host, member-1 and member-2,
/// with per-cluster values (replicaCount 3 on member-1, another message on member-2): preview,
/// create, values observed in each cluster, workloads, the member credentials, diff, edit,
/// detail, events, and deletion cleaning every cluster.
pub async fn helm_application_with_values_per_cluster(s: &Server, fleet: &Fleet) {
    let tb = s.tb;
    let ns = project(s).await;
    helm_repository(s, &ns).await;
    let body = json!({
        "metadata": {"name": "web"},
        "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x", "values": {"replicaCount": 1, "message": "base"}},
            "targets": [
                {"cluster": "host", "namespace": ns},
                {"cluster": "member-1", "namespace": ns, "overrides": {"values": {"replicaCount": 3}}},
                {"cluster": "member-2", "namespace": ns, "overrides": {"values": {"message": "hello member-2"}}}
            ]
        }
    });
    // Preview renders without writing anything.
    let preview = s
        .post("admin", &format!("{}/web/preview", apps(&ns)), &body)
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.body.as_array().map(Vec::len), Some(3));
    assert_eq!(
        preview.body[1]["object"]["spec"]["values"],
        json!({"replicaCount": 3, "message": "base"})
    );
    assert_eq!(
        s.get("admin", &format!("{}/web", apps(&ns))).await.status,
        404,
        "preview wrote nothing"
    );

    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let app = wait_app(s, &ns, "web", "ready on 3 targets", |a| all_ready(a, 3)).await;
    assert_eq!(app["status"]["observedGeneration"], app["metadata"]["generation"]);
    // Each Helm target reports the chart version it applied (HelmRelease v2 keeps it in
    // status.history, not lastAppliedRevision), and runs as the project's ServiceAccount.
    for t in app["status"]["targets"].as_array().into_iter().flatten() {
        assert_eq!(t["lastAppliedRevision"], "1.0.0", "{t}");
    }
    for cluster in ["host", "member-1", "member-2"] {
        let hr = fleet
            .flux_object(s, cluster, &ns, "helmreleases", &format!("web-{cluster}"))
            .await;
        assert_eq!(
            hr["spec"]["serviceAccountName"], "ksflux-deployer",
            "{cluster}: {hr}"
        );
        assert_eq!(
            hr["spec"]["kubeConfig"].is_null(),
            cluster == "host" || fleet.is_agent(cluster),
            "{cluster}: a kubeconfig in hub mode only: {hr}"
        );
    }

    // The rendered values, observed in each cluster's objects.
    for (cluster, replicas, message) in [
        ("host", "1", "base"),
        ("member-1", "3", "base"),
        ("member-2", "1", "hello member-2"),
    ] {
        let cm = configmap(tb, cluster, &ns, "web-config").await;
        assert_eq!(data(&cm, "replicas").as_deref(), Some(replicas), "{cluster}");
        assert_eq!(data(&cm, "message").as_deref(), Some(message), "{cluster}");
        assert_eq!(data(&cm, "chartVersion").as_deref(), Some("1.0.0"), "{cluster}");
    }
    let deployments: Api<Deployment> = Api::namespaced(tb.client("member-1").await, &ns);
    let d = deployments.get("web").await.expect("deployment on member-1");
    assert_eq!(d.spec.and_then(|s| s.replicas), Some(3));
    // Helm waited for the rollout: the target is ready because its pods are.
    assert_eq!(d.status.and_then(|s| s.ready_replicas), Some(3));
    // The API shows each cluster's workloads from the Helm release: the replicas asked, ready.
    let w = s.get("admin", &format!("{}/web/workloads", apps(&ns))).await;
    assert_eq!(w.status, 200, "{}", w.text);
    for (cluster, replicas) in [("host", 1), ("member-1", 3), ("member-2", 1)] {
        let t = of_cluster(&w.body, cluster);
        assert_eq!(t["state"], "healthy", "{cluster}: {t}");
        let d = &t["workloads"][0];
        assert_eq!(
            (&d["kind"], &d["name"], &d["desired"], &d["ready"]),
            (
                &json!("Deployment"),
                &json!("web"),
                &json!(replicas),
                &json!(replicas)
            ),
            "{cluster}: {t}"
        );
    }

    // The member credentials are scoped: a ServiceAccount token, not the admin's, allowed in
    // the project's namespace only.
    let secrets: Api<Secret> = Api::namespaced(tb.client("host").await, &ns);
    if fleet.is_agent("member-1") {
        // Agent mode keeps no credential for the member on the host.
        assert!(
            secrets
                .get_opt("ksflux-kubeconfig-member-1")
                .await
                .expect("get")
                .is_none(),
            "no kubeconfig for an agent member"
        );
    } else {
        let kc_secret = secrets
            .get("ksflux-kubeconfig-member-1")
            .await
            .expect("scoped kubeconfig secret");
        let kc = String::from_utf8(
            kc_secret
                .data
                .and_then(|d| d.get("value").cloned())
                .map(|b| b.0)
                .unwrap_or_default(),
        )
        .expect("utf8");
        assert!(
            !kc.contains(tb.token("admin")),
            "no admin credentials in a project namespace"
        );
        let kc = kube::config::Kubeconfig::from_yaml(&kc).expect("kubeconfig");
        let scoped = kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .expect("config"),
        )
        .expect("client");
        let own: Api<ConfigMap> = Api::namespaced(scoped.clone(), &ns);
        assert!(
            own.get("web-config").await.is_ok(),
            "the scoped identity reaches its namespace"
        );
        let other: Api<Secret> = Api::namespaced(scoped, "kube-system");
        let denied = other
            .list(&Default::default())
            .await
            .expect_err("kube-system is out of scope");
        assert!(
            matches!(denied, kube::Error::Api(ref s) if s.code == 403),
            "{denied:?}"
        );
    }

    // Diff: an edit of member-2's override changes member-2 only.
    let current = s.get("admin", &format!("{}/web", apps(&ns))).await.body;
    let mut change = json!({"metadata": {"name": "web", "resourceVersion": current["metadata"]["resourceVersion"]},
                          "spec": current["spec"].clone()});
    change["spec"]["targets"][2]["overrides"]["values"]["message"] = json!("changed");
    let diff = s.post("admin", &format!("{}/web/diff", apps(&ns)), &change).await;
    assert_eq!(diff.status, 200, "{}", diff.text);
    let actions: Vec<(&str, &str)> = diff
        .body
        .as_array()
        .map(|d| {
            d.iter()
                .map(|t| {
                    (
                        t["cluster"].as_str().unwrap_or(""),
                        t["action"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        actions,
        [
            ("host", "unchanged"),
            ("member-1", "unchanged"),
            ("member-2", "update")
        ]
    );
    assert_eq!(diff.body[2]["changes"][0]["path"], "spec.values.message");
    assert_eq!(diff.body[2]["changes"][0]["new"], "changed");

    // Apply it: member-2 follows, the others keep their values.
    let updated = edit(s, &format!("{}/web", apps(&ns)), |current| {
        let mut spec = current["spec"].clone();
        spec["targets"][2]["overrides"]["values"]["message"] = json!("changed");
        spec
    })
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    wait_configmap(tb, "member-2", &ns, "web-config", "message", "changed").await;
    assert_eq!(
        data(&configmap(tb, "member-1", &ns, "web-config").await, "replicas").as_deref(),
        Some("3")
    );

    // Detail: per-target status, the HelmRelease with its Helm history, events.
    let targets = s.get("admin", &format!("{}/web/targets", apps(&ns))).await;
    assert_eq!(targets.status, 200, "{}", targets.text);
    assert_eq!(targets.body.as_array().map(Vec::len), Some(3));
    assert_eq!(targets.body[1]["status"]["ready"], "True");
    assert_eq!(
        targets.body[1]["status"]["mode"].as_str(),
        fleet.is_agent("member-1").then_some("agent"),
        "{}",
        targets.body[1]["status"]
    );
    assert!(
        targets.body[1]["object"]["status"]["history"]
            .as_array()
            .is_some_and(|h| !h.is_empty()),
        "{}",
        targets.body[1]["object"]["status"]
    );

    // The controller recorded targets becoming ready as Events on the application.
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(tb.client("host").await, &ns);
    let evs = events
        .list(
            &kube::api::ListParams::default()
                .fields("involvedObject.kind=Application,involvedObject.name=web"),
        )
        .await
        .expect("events");
    let reasons: Vec<String> = evs.items.iter().filter_map(|e| e.reason.clone()).collect();
    assert!(reasons.iter().any(|r| r == "TargetReady"), "{reasons:?}");

    // Deleting the application removes everything, in every cluster, and the credentials.
    assert_eq!(s.delete("admin", &format!("{}/web", apps(&ns))).await.status, 204);
    for cluster in ["host", "member-1", "member-2"] {
        wait_configmap_gone(tb, cluster, &ns, "web-config").await;
    }
    wait_for("application gone", LONG, || async {
        let r = s.get("admin", &format!("{}/web", apps(&ns))).await;
        if r.status == 404 {
            Ok(())
        } else {
            Err(r.body["status"].to_string())
        }
    })
    .await;
    assert!(
        secrets
            .get_opt("ksflux-kubeconfig-member-1")
            .await
            .expect("get")
            .is_none(),
        "credentials revoked"
    );
    let hr = s.get("admin", &path(&ns, "helmreleases")).await;
    assert_eq!(hr.body["totalItems"], 0, "{}", hr.text);
    fleet.no_flux_objects_left(tb, &ns).await;
}

/// A Kustomize application from its own git repository on member-1 (a patch and a
/// substitution) and member-2: values per cluster, adding the host, suspending member-1 while
/// a new commit reaches the others (seen live on the change stream), removing member-2, and
/// deletion cleaning every cluster.
pub async fn kustomize_application_with_patch_targets_and_suspend(s: &Server, fleet: &Fleet) {
    let tb = s.tb;
    let ns = project(s).await;
    let repo = unique_name("kapp");
    let work = tb.own_git_repo(&repo).expect("own repository");
    s.git_source(&ns, &repo).await;
    let patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-config\ndata:\n  extra: patched\n";
    let mut body = json!({
        "metadata": {"name": "demo"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./base", "substitute": {"greeting": "hello"}, "wait": true},
            "interval": "1m",
            "targets": [
                {"cluster": "member-1", "namespace": ns,
                 "overrides": {"patches": [{"patch": patch}], "substitute": {"greeting": "hi"}}},
                {"cluster": "member-2", "namespace": ns}
            ]
        }
    });
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_app(s, &ns, "demo", "ready on 2 targets", |a| all_ready(a, 2)).await;
    let m1 = configmap(tb, "member-1", &ns, "demo-config").await;
    assert_eq!(data(&m1, "greeting").as_deref(), Some("hi"));
    assert_eq!(data(&m1, "extra").as_deref(), Some("patched"));
    assert_eq!(data(&m1, "cluster").as_deref(), Some("member-1"));
    let m2 = configmap(tb, "member-2", &ns, "demo-config").await;
    assert_eq!(data(&m2, "greeting").as_deref(), Some("hello"));
    assert_eq!(data(&m2, "extra"), None);
    assert_eq!(data(&m2, "cluster").as_deref(), Some("member-2"));
    // `wait: true`: ready because the Deployment's pod is ready on each member.
    for cluster in ["member-1", "member-2"] {
        let deployments: Api<Deployment> = Api::namespaced(tb.client(cluster).await, &ns);
        let d = deployments.get("demo").await.expect("deployment");
        assert_eq!(d.status.and_then(|s| s.ready_replicas), Some(1), "{cluster}");
    }

    // Add a target: the host.
    let item = format!("{}/demo", apps(&ns));
    if let Some(t) = body["spec"]["targets"].as_array_mut() {
        t.push(json!({"cluster": "host", "namespace": ns}));
    }
    let r = edit(s, &item, |_| body["spec"].clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_configmap(tb, "host", &ns, "demo-config", "cluster", "host").await;
    wait_app(s, &ns, "demo", "ready on 3 targets", |a| all_ready(a, 3)).await;

    // Suspend member-1 only, then change the manifests in git.
    let r = s
        .post("admin", &format!("{item}/suspend?target=member-1"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_app(s, &ns, "demo", "member-1 suspended", |a| {
        a["status"]["targets"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["cluster"] == "member-1" && t["suspended"] == true)
        })
    })
    .await;
    let file = work.join("base/configmap.yaml");
    let text = std::fs::read_to_string(&file)
        .expect("read")
        .replace("revision: \"1\"", "revision: \"2\"");
    std::fs::write(&file, text).expect("write");
    git(&["commit", "-qam", "revision 2"], Some(&work)).expect("commit");
    git(&["push", "-q", &tb.git_push_url(&repo), "main"], Some(&work)).expect("push");
    let commit = git(&["rev-parse", "HEAD"], Some(&work))
        .expect("rev-parse")
        .trim()
        .to_string();
    // A console subscribed to the change stream sees the new revision arrive live.
    let mut stream = Events::open(s, "admin", &format!("?namespace={ns}&kind=Kustomization")).await;
    let r = s
        .post(
            "admin",
            &format!("{}/demo/reconcile?wait=60", path(&ns, "gitrepositories")),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.post("admin", &format!("{item}/reconcile"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    if fleet.is_agent("member-2") {
        // The copy of the source in member-2 follows its own interval: ask for it there.
        fleet
            .reconcile_in(tb, "member-2", &ns, "gitrepositories", "demo")
            .await;
    }
    let want = format!("main@sha1:{commit}");
    let (event, _) = stream
        .until(LONG, |e| {
            e["name"] == "demo-member-2" && e["summary"]["revision"] == want.as_str()
        })
        .await;
    // Hub mode: the object is in the host; agent mode: in member-2, from its watch cache.
    let at = if fleet.is_agent("member-2") {
        "member-2"
    } else {
        "host"
    };
    assert_eq!(event["cluster"], at, "{event}");
    assert!(event["resourceVersion"].is_string(), "{event}");
    wait_configmap(tb, "member-2", &ns, "demo-config", "revision", "2").await;
    wait_configmap(tb, "host", &ns, "demo-config", "revision", "2").await;
    // The suspended target kept the old revision while the others moved on.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        data(&configmap(tb, "member-1", &ns, "demo-config").await, "revision").as_deref(),
        Some("1"),
        "a suspended target stays unchanged"
    );

    // Remove member-2: its object and what it applied go.
    let r = edit(s, &item, |current| {
        let mut spec = current["spec"].clone();
        if let Some(t) = spec["targets"].as_array_mut() {
            t.retain(|t| t["cluster"] != "member-2");
        }
        spec
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_configmap_gone(tb, "member-2", &ns, "demo-config").await;
    wait_app(s, &ns, "demo", "2 targets", |a| {
        a["status"]["summary"]["total"] == 2
    })
    .await;
    // The removed target's Kustomization goes once Flux has pruned what it applied (its
    // finalizer), a moment after the ConfigMap.
    let in_host = if fleet.is_agent("member-1") { 1 } else { 2 };
    wait_for("the removed target's Kustomization gone", LONG, || async {
        let ks = s.get("admin", &path(&ns, "kustomizations")).await;
        if ks.body["totalItems"] == in_host {
            Ok(())
        } else {
            Err(ks.text)
        }
    })
    .await;

    // Delete: gone everywhere.
    assert_eq!(s.delete("admin", &item).await.status, 204);
    wait_configmap_gone(tb, "member-1", &ns, "demo-config").await;
    wait_configmap_gone(tb, "host", &ns, "demo-config").await;
    wait_for("application gone", LONG, || async {
        let r = s.get("admin", &item).await;
        if r.status == 404 {
            Ok(())
        } else {
            Err(r.body["status"].to_string())
        }
    })
    .await;
    fleet.no_flux_objects_left(tb, &ns).await;
    let _ = std::fs::remove_dir_all(&work);
}
