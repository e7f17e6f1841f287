//! Multi-cluster applications end to end on the testbed: the API, the controller, the real
//! Flux controllers in the host and the objects they apply in the host and both members.

mod support;

use std::time::Duration;

use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Secret},
};
use ksflux_testbed::{Testbed, unique_name, wait_for};
use kube::Api;
use serde_json::{Value, json};
use support::{
    Server, add_extra_member, all_ready, apps,
    cases::{self, Fleet, LONG, configmap, data, edit, of_cluster, wait_configmap},
    helm_repository, path, project, remove_extra_member, start_controller, wait_app,
};

#[tokio::test]
async fn helm_application_deploys_different_values_per_cluster() {
    start_controller();
    let s = Server::start().await;
    cases::helm_application_with_values_per_cluster(&s, &Fleet::HUB).await;
}

#[tokio::test]
async fn kustomize_application_with_per_cluster_patch_substitution_targets_and_suspend() {
    start_controller();
    let s = Server::start().await;
    cases::kustomize_application_with_patch_targets_and_suspend(&s, &Fleet::HUB).await;
}

#[tokio::test]
async fn targets_outside_the_project_allowance_are_rejected() {
    start_controller();
    let s = Server::start().await;
    let ns = project(&s).await;
    let body = |target_ns: &str| {
        json!({
            "metadata": {"name": "app"},
            "spec": {"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./base"},
                     "targets": [{"cluster": "member-1", "namespace": target_ns}]}
        })
    };
    let r = s.post("admin", &apps(&ns), &body("kube-system")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"],
        "spec.targets[0].namespace"
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("may not deploy to namespace \"kube-system\""),
        "{}",
        r.text
    );
    assert_eq!(
        s.get("admin", &format!("{}/app", apps(&ns))).await.status,
        404,
        "nothing written"
    );

    // A platform admin allows one more namespace with the project's annotation.
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(s.tb.client("host").await);
    let patch = json!({"metadata": {"annotations": {"fluxcd.kubesphere.io/allowed-target-namespaces": "member-1/shared-tools"}}});
    namespaces
        .patch(&ns, &Default::default(), &kube::api::Patch::Merge(&patch))
        .await
        .expect("annotate");
    assert_eq!(
        s.post(
            "admin",
            &format!("{}/app/preview", apps(&ns)),
            &body("shared-tools")
        )
        .await
        .status,
        200
    );
    let r = s.post("admin", &apps(&ns), &body("shared-tools")).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The project's scoped credentials for member-1 cover exactly the namespaces its
    // applications target there, and are re-minted when that set changes.
    let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, &ns);
    let scope_of = |sec: &Secret| {
        let a = sec.metadata.annotations.clone().unwrap_or_default();
        let value = sec
            .data
            .as_ref()
            .and_then(|d| d.get("value"))
            .map(|b| b.0.clone())
            .unwrap_or_default();
        (
            a.get("fluxcd.kubesphere.io/namespaces")
                .cloned()
                .unwrap_or_default(),
            value,
        )
    };
    let first = wait_for("scoped credentials for shared-tools", LONG, || async {
        match secrets.get_opt("ksflux-kubeconfig-member-1").await {
            Ok(Some(sec)) if scope_of(&sec).0 == "shared-tools" => Ok(scope_of(&sec)),
            other => Err(format!("{:?}", other.map(|o| o.map(|s| scope_of(&s).0)))),
        }
    })
    .await;
    let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        Api::namespaced(s.tb.client("member-1").await, "shared-tools");
    assert!(
        bindings
            .get_opt(&format!("ksflux-{ns}"))
            .await
            .expect("get")
            .is_some(),
        "bound in shared-tools"
    );
    let mut second = body(&ns);
    second["metadata"]["name"] = json!("app-b");
    assert_eq!(s.post("admin", &apps(&ns), &second).await.status, 201);
    let expected = {
        let mut v = [ns.clone(), "shared-tools".to_string()];
        v.sort();
        v.join(",")
    };
    let widened = wait_for("credentials widened to both namespaces", LONG, || async {
        match secrets.get_opt("ksflux-kubeconfig-member-1").await {
            Ok(Some(sec)) if scope_of(&sec).0 == expected => Ok(scope_of(&sec)),
            other => Err(format!("{:?}", other.map(|o| o.map(|s| scope_of(&s).0)))),
        }
    })
    .await;
    assert_ne!(widened.1, first.1, "a new token was minted for the new scope");
    assert_eq!(
        s.delete("admin", &format!("{}/app-b", apps(&ns))).await.status,
        204
    );

    // Other bad input names its field.
    let mut both = body(&ns);
    both["spec"]["helm"] = json!({"chart": "x"});
    let r = s.post("admin", &apps(&ns), &both).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut unknown = body(&ns);
    unknown["metadata"]["name"] = json!("app2");
    unknown["spec"]["targets"][0]["cluster"] = json!("nowhere");
    let r = s.post("admin", &apps(&ns), &unknown).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec.targets[0].cluster");
    // The CRD's own schema refuses bad objects written around the API.
    let direct: Api<ksflux::applications::Application> = Api::namespaced(s.tb.client("host").await, &ns);
    for (bad, why) in [
        (
            json!({"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {}, "helm": {"chart": "x"},
                "targets": [{"cluster": "host", "namespace": ns}]}),
            "exactly one of helm or kustomize",
        ),
        (
            json!({"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {}, "targets": []}),
            "targets",
        ),
        (
            json!({"source": {"kind": "Git", "name": "demo"}, "kustomize": {}, "targets": [{"cluster": "host", "namespace": ns}]}),
            "kind",
        ),
        (
            json!({"source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {}, "targets": [{"cluster": "Host!", "namespace": ns}]}),
            "cluster",
        ),
    ] {
        let raw: Api<kube::api::DynamicObject> = Api::namespaced_with(
            s.tb.client("host").await,
            &ns,
            &kube::api::ApiResource::erase::<ksflux::applications::Application>(&()),
        );
        let dynamic: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "direct"}, "spec": bad}))
        .expect("object");
        let err = raw.create(&Default::default(), &dynamic).await.expect_err(why);
        assert!(
            matches!(err, kube::Error::Api(ref st) if st.code == 422),
            "{why}: {err:?}"
        );
    }
    assert!(direct.get_opt("direct").await.expect("get").is_none());

    // A user without rights in the project cannot create applications there.
    let r = s.post("alice", &apps(&ns), &body(&ns)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(s.delete("admin", &format!("{}/app", apps(&ns))).await.status, 204);
}

#[tokio::test]
async fn unknown_and_mistyped_fields_are_refused_naming_them() {
    start_controller();
    let s = Server::start().await;
    let ns = project(&s).await;
    let app = |helm: Value, overrides: Value| {
        json!({"metadata": {"name": "strict"}, "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"}, "helm": helm,
            "targets": [{"cluster": "host", "namespace": ns, "overrides": overrides}]}})
    };
    for (helm, overrides, want) in [
        (
            json!({"chart": "demo-app", "nonsense": true}),
            json!({}),
            "spec.helm.nonsense",
        ),
        (
            json!({"chart": "demo-app"}),
            json!({"serviceAccountName": "flux"}),
            "spec.targets[0].overrides.serviceAccountName",
        ),
        (
            json!({"chart": "demo-app", "serviceAccountName": "flux"}),
            json!({}),
            "spec.helm.serviceAccountName",
        ),
        (
            json!({"chart": "demo-app", "kubeConfig": {"secretRef": {"name": "admin"}}}),
            json!({}),
            "spec.helm.kubeConfig",
        ),
        (
            json!({"chart": "demo-app", "chartRef": {"kind": "OCIRepository", "name": "x", "namespace": "flux-system"}}),
            json!({}),
            "spec.helm.chartRef",
        ),
        (
            json!({"chart": "demo-app"}),
            json!({"storageNamespace": "kube-system"}),
            "spec.targets[0].overrides.storageNamespace",
        ),
        (
            json!({"chart": "demo-app", "test": {"enable": "yes"}}),
            json!({}),
            "spec.helm.test.enable",
        ),
        (
            json!({"chart": "demo-app", "driftDetection": {"mode": "sometimes"}}),
            json!({}),
            "spec.helm.driftDetection.mode",
        ),
        (
            json!({"chart": "demo-app"}),
            json!({"maxHistory": "many"}),
            "spec.targets[0].overrides.maxHistory",
        ),
        (
            json!({"chart": "demo-app", "timeout": "soon"}),
            json!({}),
            "spec.helm.timeout",
        ),
        (
            json!({"chart": "demo-app", "install": {"disableWait": "yes"}}),
            json!({}),
            "spec.helm.install.disableWait",
        ),
        (
            json!({"chart": "demo-app", "install": {"strategy": {"name": "Bogus"}}}),
            json!({}),
            "spec.helm.install.strategy.name",
        ),
        (
            json!({"chart": "demo-app", "valuesFrom": [{"kind": "ConfigMap", "nam": "x"}]}),
            json!({}),
            "spec.helm.valuesFrom[0]",
        ),
    ] {
        for p in [apps(&ns), format!("{}/strict/preview", apps(&ns))] {
            let r = s.post("admin", &p, &app(helm.clone(), overrides.clone())).await;
            assert_eq!(r.status, 422, "{want}: {}", r.text);
            let fields: Vec<&str> = r.body["details"]["causes"]
                .as_array()
                .map(|c| c.iter().filter_map(|x| x["field"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(fields, [want], "{}", r.text);
        }
    }
    assert_eq!(s.get("admin", &format!("{}/strict", apps(&ns))).await.status, 404);
}

/// The Flux options an application carries (typed as Flux's own), with per-target
/// overrides, reach the rendered HelmReleases (which Flux takes) and Kustomizations.
#[tokio::test]
async fn flux_options_with_per_target_overrides_reach_each_rendered_object() {
    start_controller();
    let s = Server::start().await;
    let ns = project(&s).await;
    helm_repository(&s, &ns).await;
    let body = json!({
        "metadata": {"name": "opts"},
        "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x",
                     "install": {"remediation": {"retries": 2}}, "upgrade": {"remediation": {"retries": 2}},
                     "test": {"enable": true, "ignoreFailures": true}, "timeout": "3m",
                     "driftDetection": {"mode": "enabled", "ignore": [{"paths": ["/spec/replicas"]}]},
                     "maxHistory": 3},
            "targets": [
                {"cluster": "host", "namespace": ns},
                {"cluster": "member-1", "namespace": ns, "overrides": {
                    "timeout": "4m", "driftDetection": {"mode": "warn"}, "maxHistory": 0,
                    "test": {"enable": false}}}
            ]
        }
    });
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["spec"]["helm"]["driftDetection"]["mode"], "enabled",
        "stored as given"
    );
    let release = |cluster: &str| format!("{}/opts-{cluster}", path(&ns, "helmreleases"));
    for (cluster, timeout, drift, history, test) in [
        (
            "host",
            "3m",
            json!({"mode": "enabled", "ignore": [{"paths": ["/spec/replicas"]}]}),
            3,
            json!({"enable": true, "ignoreFailures": true}),
        ),
        (
            "member-1",
            "4m",
            json!({"mode": "warn"}),
            0,
            json!({"enable": false}),
        ),
    ] {
        let hr = wait_for(&format!("HelmRelease opts-{cluster}"), LONG, || async {
            let r = s.get("admin", &release(cluster)).await;
            if r.status == 200 {
                Ok(r.body)
            } else {
                Err(r.status.to_string())
            }
        })
        .await;
        let spec = &hr["spec"];
        assert_eq!(spec["timeout"], timeout, "{cluster}: {spec}");
        assert_eq!(spec["driftDetection"], drift, "{cluster}");
        assert_eq!(spec["maxHistory"], history, "{cluster}");
        assert_eq!(spec["test"], test, "{cluster}");
        assert_eq!(spec["serviceAccountName"], "ksflux-deployer", "{cluster}");
        assert_eq!(spec["storageNamespace"], ns.as_str(), "{cluster}");
    }
    wait_app(&s, &ns, "opts", "ready on 2 targets", |a| all_ready(a, 2)).await;
    assert_eq!(
        s.delete("admin", &format!("{}/opts", apps(&ns))).await.status,
        204
    );

    // The Kustomize options and their overrides, as previewed.
    let kustomize = json!({
        "metadata": {"name": "kopts"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./plain", "timeout": "2m", "force": false, "namePrefix": "base-",
                          "components": ["../components/a"], "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]},
            "targets": [
                {"cluster": "host", "namespace": ns},
                {"cluster": "member-1", "namespace": ns, "overrides": {
                    "timeout": "6m", "force": true, "namePrefix": "edge-", "components": [],
                    "substituteFrom": [{"kind": "Secret", "name": "edge-vars", "optional": true}]}}
            ]
        }
    });
    let preview = s
        .post("admin", &format!("{}/kopts/preview", apps(&ns)), &kustomize)
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let (host, member) = (
        &preview.body[0]["object"]["spec"],
        &preview.body[1]["object"]["spec"],
    );
    assert_eq!(
        (
            &host["timeout"],
            &host["force"],
            &host["namePrefix"],
            &host["components"]
        ),
        (
            &json!("2m"),
            &json!(false),
            &json!("base-"),
            &json!(["../components/a"])
        )
    );
    assert_eq!(
        (
            &member["timeout"],
            &member["force"],
            &member["namePrefix"],
            &member["components"]
        ),
        (&json!("6m"), &json!(true), &json!("edge-"), &Value::Null)
    );
    assert_eq!(
        member["postBuild"]["substituteFrom"],
        json!([{"kind": "ConfigMap", "name": "vars"}, {"kind": "Secret", "name": "edge-vars", "optional": true}])
    );
}

#[tokio::test]
async fn a_rendered_object_the_cluster_refuses_shows_on_the_application() {
    start_controller();
    let s = Server::start().await;
    let ns = project(&s).await;
    // Written straight to the cluster, past the API's checks (as kubectl would). The
    // Application's CRD carries Flux's types, so a wrong type is refused there already ...
    let raw: Api<kube::api::DynamicObject> = Api::namespaced_with(
        s.tb.client("host").await,
        &ns,
        &kube::api::ApiResource::erase::<ksflux::applications::Application>(&()),
    );
    let object = |helm: Value| -> kube::api::DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "fluxcd.kubesphere.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "refused"},
            "spec": {"source": {"kind": "HelmRepository", "name": "demo"}, "helm": helm,
                     "targets": [{"cluster": "host", "namespace": ns}]}}))
        .expect("object")
    };
    let err = raw
        .create(
            &Default::default(),
            &object(json!({"chart": "demo-app", "install": {"disableWait": "yes"}})),
        )
        .await
        .expect_err("the CRD refuses a mistyped Flux option");
    assert!(
        matches!(err, kube::Error::Api(ref st) if st.code == 422),
        "{err:?}"
    );
    // ... but not a chart name longer than Flux's CRD allows (2048): the rendered
    // HelmRelease is refused when applied.
    raw.create(&Default::default(), &object(json!({"chart": "c".repeat(2049)})))
        .await
        .expect("the CRD takes it");
    let app = wait_app(&s, &ns, "refused", "Ready=False, Stalled", |a| {
        let conds = a["status"]["conditions"].as_array().cloned().unwrap_or_default();
        let has = |t: &str, st: &str| conds.iter().any(|c| c["type"] == t && c["status"] == st);
        has("Ready", "False") && has("Stalled", "True")
    })
    .await;
    let ready = app["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned())
        .unwrap_or_default();
    assert_eq!(ready["reason"], "ApplyRejected", "{ready}");
    assert!(
        ready["message"]
            .as_str()
            .unwrap_or_default()
            .contains("spec.chart.spec.chart"),
        "{ready}"
    );
    assert_eq!(app["summary"]["state"], "failed", "{}", app["summary"]);
    // ... and as a Warning Event on the application.
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(s.tb.client("host").await, &ns);
    wait_for("a Warning event ApplyRejected", LONG, || async {
        let list = events
            .list(&Default::default())
            .await
            .map_err(|e| e.to_string())?;
        list.items
            .iter()
            .find(|e| e.reason.as_deref() == Some("ApplyRejected") && e.type_.as_deref() == Some("Warning"))
            .map(|_| ())
            .ok_or_else(|| format!("{} events", list.items.len()))
    })
    .await;
    assert_eq!(
        s.delete("admin", &format!("{}/refused", apps(&ns))).await.status,
        204
    );
}

/// Binds ClusterRole `view` to `user` in `ns` of `cluster`.
async fn viewer(tb: &Testbed, cluster: &str, ns: &str, user: &str) {
    let binding: k8s_openapi::api::rbac::v1::RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": format!("{user}-view"), "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]
    }))
    .expect("a RoleBinding");
    Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(tb.client(cluster).await, ns)
        .create(&Default::default(), &binding)
        .await
        .expect("bind view");
}

/// An application of the demo repository's `./base` on member-1 and member-2, where
/// member-2's image tag is `tag` (a testbed failure trigger).
fn broken_on_member_2(name: &str, ns: &str, registry: &str, kustomize: Value, tag: &str) -> Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": kustomize,
            "interval": "1m",
            "targets": [
                {"cluster": "member-1", "namespace": ns},
                {"cluster": "member-2", "namespace": ns,
                 "overrides": {"images": [{"name": format!("{registry}/demo/app"), "newTag": tag}]}}
            ]
        }
    })
}

/// Drops member-2's overrides of application `name` (the second target).
async fn drop_member_2_override(s: &Server, ns: &str, name: &str) {
    let r = edit(s, &format!("{}/{name}", apps(ns)), |current| {
        let mut spec = current["spec"].clone();
        spec["targets"][1]["overrides"] = json!({});
        spec
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn workload_health_per_target_shows_a_crash_looping_override_on_one_member_only() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    let body = broken_on_member_2(
        "shop",
        &ns,
        &tb.info.fixtures.registry,
        json!({"path": "./base", "wait": true, "timeout": "20s"}),
        "crash-loop",
    );
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Flux's own health check: member-1 Ready, member-2 failed.
    let app = wait_app(&s, &ns, "shop", "member-1 ready, member-2 failed", |a| {
        let t = |c: &str| of_cluster(&a["status"]["targets"], c);
        t("member-1")["ready"] == "True" && t("member-2")["ready"] == "False"
    })
    .await;
    // Flux's message names the Deployment, or (when its deadline cuts a poll short) only the
    // deadline; the reason is always its health check.
    let failed = of_cluster(&app["status"]["targets"], "member-2");
    assert_eq!(failed["reason"], "HealthCheckFailed", "{failed}");
    assert!(
        failed["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("health check failed")),
        "{failed}"
    );

    let item = format!("{}/shop/workloads", apps(&ns));
    // The failing pods' reason, with the Warning Events the pod got (as `kubectl describe`).
    let targets = wait_for("member-2's pods crash-looping", LONG, || async {
        let r = s.get("admin", &item).await;
        let m2 = of_cluster(&r.body, "member-2");
        let problem = &m2["workloads"][0]["podProblems"][0];
        let backoff = problem["events"].as_array().is_some_and(|es| {
            es.iter()
                .any(|e| e["type"] == "Warning" && e["reason"] == "BackOff")
        });
        if r.status == 200 && problem["reason"] == "CrashLoopBackOff" && backoff {
            Ok(r.body)
        } else {
            Err(r.text)
        }
    })
    .await;
    // The same through the rendered Kustomization itself, as for any Flux object: its
    // workloads in the cluster it applies to.
    let raw = s
        .get(
            "admin",
            &format!("{}/shop-member-2/workloads", path(&ns, "kustomizations")),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(
        (
            &raw.body["cluster"],
            &raw.body["state"],
            &raw.body["workloads"][0]["name"]
        ),
        (&json!("member-2"), &json!("degraded"), &json!("demo")),
        "{}",
        raw.text
    );
    let not_delivery = s
        .get(
            "admin",
            &format!("{}/demo/workloads", path(&ns, "gitrepositories")),
        )
        .await;
    assert_eq!(not_delivery.status, 404, "{}", not_delivery.text);
    // The fleet summary counts the degraded workload, and only it, in the project.
    let summary = format!("/kapis/fluxcd.kubesphere.io/v1alpha1/status/summary?namespace={ns}");
    wait_for("the summary's degraded workload", LONG, || async {
        let r = s.get("admin", &summary).await;
        let w = &r.body["workloads"];
        let listed = &r.body["degradedWorkloads"];
        if w["degraded"] == 1
            && w["healthy"] == 1
            && listed[0]["cluster"] == "member-2"
            && listed[0]["name"] == "demo"
        {
            Ok(())
        } else {
            Err(r.text)
        }
    })
    .await;
    let target = |c: &str| of_cluster(&targets, c);
    let (m1, m2) = (target("member-1"), target("member-2"));
    assert_eq!(m1["state"], "healthy", "{m1}");
    let w = &m1["workloads"][0];
    assert_eq!(
        (&w["kind"], &w["name"], &w["desired"], &w["ready"]),
        (&json!("Deployment"), &json!("demo"), &json!(1), &json!(1)),
        "{m1}"
    );
    assert_eq!(m2["state"], "degraded", "{m2}");
    let w = &m2["workloads"][0];
    assert_eq!(w["ready"], 0, "{m2}");
    assert_eq!(w["podProblems"][0]["count"], 1, "{m2}");
    assert!(
        w["message"]
            .as_str()
            .is_some_and(|m| m.contains("CrashLoopBackOff")),
        "{m2}"
    );

    // alice may read the project on the host and member-1, not member-2.
    viewer(tb, "host", &ns, "alice").await;
    viewer(tb, "member-1", &ns, "alice").await;
    let r = wait_for(
        "alice may read the application",
        Duration::from_secs(30),
        || async {
            let r = s.get("alice", &item).await;
            if r.status == 200 { Ok(r) } else { Err(r.text) }
        },
    )
    .await;
    let of = |c: &str| of_cluster(&r.body, c);
    assert_eq!(of("member-1")["workloads"][0]["ready"], 1, "{}", r.text);
    // Her summary counts member-1's workload, not member-2's.
    let hers = s.get("alice", &summary).await;
    assert_eq!(hers.body["workloads"]["total"], 1, "{}", hers.text);
    assert!(
        hers.body["workloadsByCluster"].get("member-2").is_none(),
        "{}",
        hers.text
    );
    assert!(
        of("member-2")["workloads"].as_array().is_some_and(Vec::is_empty),
        "{}",
        r.text
    );
    assert!(
        of("member-2")["error"]
            .as_str()
            .is_some_and(|e| e.contains("may not read")),
        "{}",
        r.text
    );
    // carol, with no rights in the project, learns nothing.
    assert_eq!(s.get("carol", &item).await.status, 403);
    // alice's rights here end with this check (other suites count what she may see).
    for cluster in ["host", "member-1"] {
        Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(tb.client(cluster).await, &ns)
            .delete("alice-view", &Default::default())
            .await
            .expect("unbind alice");
    }

    // Fixing the override recovers member-2.
    drop_member_2_override(&s, &ns, "shop").await;
    wait_for("member-2 healthy again", LONG, || async {
        let r = s.get("admin", &item).await;
        let m2 = of_cluster(&r.body, "member-2");
        if m2["state"] == "healthy" && m2["workloads"][0]["ready"] == 1 {
            Ok(())
        } else {
            Err(m2.to_string())
        }
    })
    .await;
    let r = s.delete("admin", &format!("{}/shop", apps(&ns))).await;
    assert!(r.status < 300, "{}", r.text);
}

#[tokio::test]
async fn a_target_flux_applied_whose_pods_fail_is_degraded_and_recovers() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    // Without waiting, Flux reports Ready once applied: only the workloads tell the truth.
    let body = broken_on_member_2(
        "cart",
        &ns,
        &tb.info.fixtures.registry,
        json!({"path": "./base", "wait": false}),
        "image-pull",
    );
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let app = wait_app(&s, &ns, "cart", "member-2 degraded", |a| {
        of_cluster(&a["status"]["targets"], "member-2")["reason"] == "WorkloadsDegraded"
    })
    .await;
    let m2 = of_cluster(&app["status"]["targets"], "member-2");
    assert_eq!(m2["ready"], "False", "{m2}");
    assert!(
        m2["message"]
            .as_str()
            .is_some_and(|m| m.contains("ImagePullBackOff")),
        "{m2}"
    );
    assert_eq!(m2["workloads"]["state"], "degraded", "{m2}");
    let ready = app["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned())
        .unwrap_or_default();
    assert_eq!(
        (&ready["status"], &ready["reason"]),
        (&json!("False"), &json!("WorkloadsDegraded"))
    );
    let app = wait_app(&s, &ns, "cart", "member-1 ready with its pod", |a| {
        of_cluster(&a["status"]["targets"], "member-1")["workloads"]["ready"] == 1
    })
    .await;
    let m1 = of_cluster(&app["status"]["targets"], "member-1");
    assert_eq!(
        (&m1["ready"], &m1["workloads"]["state"]),
        (&json!("True"), &json!("healthy")),
        "{m1}"
    );

    // Dropping the override recovers member-2.
    drop_member_2_override(&s, &ns, "cart").await;
    wait_app(&s, &ns, "cart", "ready on 2 targets", |a| all_ready(a, 2)).await;
    let r = s.delete("admin", &format!("{}/cart", apps(&ns))).await;
    assert!(r.status < 300, "{}", r.text);
}

/// Sets label `key` (or removes it, with `None`) on every registration Secret of `member` —
/// the controller's and every test server's — as an operator labels a cluster.
async fn label_cluster(tb: &Testbed, member: &str, key: &str, value: Option<&str>) {
    let secrets: Api<Secret> = Api::all(tb.client("host").await);
    let lp = kube::api::ListParams::default().labels(&format!("fluxcd.kubesphere.io/cluster={member}"));
    for s in secrets.list(&lp).await.expect("registration Secrets") {
        let ns = s.metadata.namespace.clone().unwrap_or_default();
        let name = s.metadata.name.clone().unwrap_or_default();
        let patch = json!({"metadata": {"labels": {key: value}}});
        Api::<Secret>::namespaced(tb.client("host").await, &ns)
            .patch(&name, &Default::default(), &kube::api::Patch::Merge(&patch))
            .await
            .expect("label the registration Secret");
    }
}

/// A Kustomize application `name` of the demo repository's `path`, placed in `ns` of every
/// cluster labelled `env=staging`.
fn placed_on_staging(name: &str, path: &str, env: &str, ns: &str) -> Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": path},
            "interval": "1m",
            "placement": {"clusterSelector": {"matchLabels": {env: "staging"}}, "namespace": ns}
        }
    })
}

/// The clusters of an application's status targets, sorted.
fn status_clusters(app: &Value) -> Vec<String> {
    let mut out: Vec<String> = app["status"]["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["cluster"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_placement_follows_cluster_labels_and_cleans_up_a_cluster_that_leaves() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    let env = format!("test.ksflux.io/{}", unique_name("env"));
    label_cluster(tb, "member-1", &env, Some("staging")).await;
    let body = placed_on_staging("fleet", "./base", &env, &ns);
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let config = |cluster: &'static str| {
        let ns = ns.clone();
        async move {
            Api::<ConfigMap>::namespaced(tb.client(cluster).await, &ns)
                .get_opt("demo-config")
                .await
                .expect("read ConfigMaps")
        }
    };
    wait_app(&s, &ns, "fleet", "placed on the staging member", |a| {
        status_clusters(a) == ["member-1"] && all_ready(a, 1)
    })
    .await;
    assert!(config("member-1").await.is_some());
    assert!(config("member-2").await.is_none());

    // A second cluster gets the label: it gains the target, and the objects.
    label_cluster(tb, "member-2", &env, Some("staging")).await;
    wait_app(&s, &ns, "fleet", "placed on both members", |a| {
        status_clusters(a) == ["member-1", "member-2"] && all_ready(a, 2)
    })
    .await;
    wait_for("the objects on member-2", LONG, || async {
        config("member-2")
            .await
            .ok_or_else(|| "no ConfigMap yet".to_string())
    })
    .await;

    // Named and selected at once: refused, naming both.
    s.clusters.refresh().await;
    let mut both = body.clone();
    both["spec"]["targets"] = json!([{"cluster": "member-2", "namespace": ns}]);
    let r = s.put("admin", &format!("{}/fleet", apps(&ns)), &both).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.text.contains("spec.placement.clusterSelector") && r.text.contains("spec.targets[0]"),
        "{}",
        r.text
    );

    // The label goes: so do the target and what it applied there.
    label_cluster(tb, "member-2", &env, None).await;
    wait_app(&s, &ns, "fleet", "back to member-1 only", |a| {
        status_clusters(a) == ["member-1"]
    })
    .await;
    wait_for("member-2's objects pruned", LONG, || async {
        match config("member-2").await {
            None => Ok(()),
            Some(_) => Err("the ConfigMap is still there".to_string()),
        }
    })
    .await;
    assert!(config("member-1").await.is_some());
    label_cluster(tb, "member-1", &env, None).await;
    let r = s.delete("admin", &format!("{}/fleet", apps(&ns))).await;
    assert!(r.status < 300, "{}", r.text);
}

#[tokio::test]
async fn label_layers_stack_in_order_and_the_preview_agrees_with_what_is_applied() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    helm_repository(&s, &ns).await;
    let env = format!("test.ksflux.io/{}", unique_name("env"));
    let region = format!("test.ksflux.io/{}", unique_name("region"));
    for (member, r) in [("member-1", "eu"), ("member-2", "us")] {
        label_cluster(tb, member, &env, Some("production")).await;
        label_cluster(tb, member, &region, Some(r)).await;
    }
    s.clusters.refresh().await;
    let hosts = "eu-1.example.com,eu-2.example.com";
    let body = json!({
        "metadata": {"name": "layered"},
        "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x", "values": {"replicaCount": 1}},
            "placement": {"clusterSelector": {"matchLabels": {&env: "production"}}, "namespace": ns},
            "layers": [
                {"name": "production", "clusterSelector": {"matchLabels": {&env: "production"}},
                 "overrides": {"values": {"replicaCount": 3}}},
                {"name": "eu", "clusterSelector": {"matchLabels": {&region: "eu"}},
                 "overrides": {"values": {"message": hosts}}}
            ]
        }
    });
    let preview = s
        .post("admin", &format!("{}/layered/preview", apps(&ns)), &body)
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let of = |c: &str| of_cluster(&preview.body, c);
    assert_eq!(
        of("member-1")["layers"],
        json!(["production", "eu"]),
        "{}",
        preview.text
    );
    assert_eq!(
        of("member-2")["layers"],
        json!(["production"]),
        "{}",
        preview.text
    );
    assert_eq!(
        of("member-1")["object"]["spec"]["values"],
        json!({"replicaCount": 3, "message": hosts})
    );
    assert_eq!(
        of("member-2")["object"]["spec"]["values"],
        json!({"replicaCount": 3})
    );

    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_app(&s, &ns, "layered", "ready on both members", |a| all_ready(a, 2)).await;
    for (cluster, message) in [("member-1", hosts), ("member-2", "hello from demo-app")] {
        // What the controller applied is what the preview showed.
        let hr = s
            .get(
                "admin",
                &format!("{}/layered-{cluster}", path(&ns, "helmreleases")),
            )
            .await;
        assert_eq!(
            hr.body["spec"]["values"],
            of(cluster)["object"]["spec"]["values"],
            "{cluster}"
        );
        let cm = Api::<ConfigMap>::namespaced(tb.client(cluster).await, &ns)
            .get("layered-config")
            .await
            .expect("the release's ConfigMap");
        let data = cm.data.unwrap_or_default();
        assert_eq!(
            (
                data.get("replicas").map(String::as_str),
                data.get("message").map(String::as_str)
            ),
            (Some("3"), Some(message)),
            "{cluster}"
        );
        let d = Api::<Deployment>::namespaced(tb.client(cluster).await, &ns)
            .get("layered")
            .await
            .expect("the release's Deployment");
        assert_eq!(d.status.and_then(|s| s.ready_replicas), Some(3), "{cluster}");
    }
    for member in ["member-1", "member-2"] {
        label_cluster(tb, member, &env, None).await;
        label_cluster(tb, member, &region, None).await;
    }
    let r = s.delete("admin", &format!("{}/layered", apps(&ns))).await;
    assert!(r.status < 300, "{}", r.text);
}

/// The rollout status of an application, and the state of its waves by name.
fn waves(app: &Value) -> Vec<(String, String)> {
    app["status"]["rollout"]["waves"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            (
                w["name"].as_str().unwrap_or_default().to_string(),
                w["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn wave_states(app: &Value) -> Vec<String> {
    waves(app).into_iter().map(|(_, s)| s).collect()
}

/// Sets (or with `None` removes) the testbed's failure trigger on Deployment `demo`'s pods in
/// `cluster`, as a broken node or admission policy of that cluster would.
async fn break_pods(tb: &Testbed, cluster: &str, ns: &str, trigger: Option<&str>) {
    let patch =
        json!({"spec": {"template": {"metadata": {"annotations": {"testbed.ksflux.io/fail": trigger}}}}});
    Api::<Deployment>::namespaced(tb.client(cluster).await, ns)
        .patch("demo", &Default::default(), &kube::api::Patch::Merge(&patch))
        .await
        .expect("patch the Deployment");
}

#[tokio::test]
async fn a_rollout_goes_wave_by_wave_pauses_on_a_failure_and_completes_once_fixed_and_resumed() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    let env = format!("test.ksflux.io/{}", unique_name("env"));
    label_cluster(tb, "member-1", &env, Some("staging")).await;
    label_cluster(tb, "member-2", &env, Some("production")).await;
    s.clusters.refresh().await;
    let item = format!("{}/waves", apps(&ns));
    let body = json!({
        "metadata": {"name": "waves"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            // Flux reports Ready once applied; the workloads' health gates the waves.
            "kustomize": {"path": "./base", "wait": false, "substitute": {"greeting": "v1"}},
            "interval": "1m",
            "placement": {"clusterSelector": {"matchExpressions": [{"key": &env, "operator": "Exists"}]}, "namespace": ns},
            "rollout": {"waves": [
                {"name": "staging", "clusterSelector": {"matchLabels": {&env: "staging"}}},
                {"name": "production", "clusterSelector": {"matchLabels": {&env: "production"}}}
            ]}
        }
    });
    // A bad rollout setting is refused, naming the field.
    let mut bad = body.clone();
    bad["spec"]["rollout"]["waves"][1]["name"] = json!("staging");
    let r = s.post("admin", &apps(&ns), &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("spec.rollout.waves[1].name"), "{}", r.text);

    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let first = wait_app(&s, &ns, "waves", "the first revision rolled out", |a| {
        a["status"]["rollout"]["phase"] == "Completed" && all_ready(a, 2)
    })
    .await;
    assert_eq!(wave_states(&first), ["healthy", "healthy"]);
    let stable = first["status"]["rollout"]["stableRevision"].clone();
    for m in ["member-1", "member-2"] {
        wait_configmap(tb, m, &ns, "demo-config", "greeting", "v1").await;
    }
    // Nothing to act on in a completed rollout.
    let r = s
        .post("admin", &format!("{item}/rollout"), &json!({"action": "resume"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = s
        .post("admin", &format!("{item}/rollout"), &json!({"action": "jump"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // Staging's pods fail from now on; revision 2 goes to staging and stops there.
    break_pods(tb, "member-1", &ns, Some("crash-loop")).await;
    let r = edit(&s, &item, |current| {
        let mut spec = current["spec"].clone();
        spec["kustomize"]["substitute"]["greeting"] = json!("v2");
        spec
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let paused = wait_app(&s, &ns, "waves", "paused after the staging wave", |a| {
        a["status"]["rollout"]["phase"] == "Paused"
    })
    .await;
    let rollout = &paused["status"]["rollout"];
    assert_ne!(rollout["revision"], stable);
    assert_eq!(wave_states(&paused), ["failed", "pending"], "{rollout}");
    assert_eq!(rollout["waves"][0]["targets"][0]["state"], "failed", "{rollout}");
    assert!(
        rollout["message"]
            .as_str()
            .is_some_and(|m| m.contains("member-1") && m.contains("CrashLoopBackOff")),
        "{rollout}"
    );
    assert_eq!(rollout["waves"][1]["targets"][0]["state"], "pending", "{rollout}");
    let ready = paused["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned())
        .unwrap_or_default();
    assert_eq!(ready["reason"], "RolloutPaused", "{ready}");
    wait_configmap(tb, "member-1", &ns, "demo-config", "greeting", "v2").await;
    // Production keeps the old revision, and stays there.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        data(&configmap(tb, "member-2", &ns, "demo-config").await, "greeting").as_deref(),
        Some("v1")
    );
    let m2 = s
        .get(
            "admin",
            &format!("{}/waves-member-2", path(&ns, "kustomizations")),
        )
        .await;
    assert_eq!(
        m2.body["metadata"]["annotations"]["fluxcd.kubesphere.io/revision"], stable,
        "{}",
        m2.text
    );

    // Rolling the failed wave back puts staging on the stable revision again.
    let r = s
        .post(
            "admin",
            &format!("{item}/rollout"),
            &json!({"action": "rollback"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_app(&s, &ns, "waves", "staging rolled back", |a| {
        wave_states(a) == ["rolledBack", "pending"]
    })
    .await;
    wait_configmap(tb, "member-1", &ns, "demo-config", "greeting", "v1").await;

    // Fixed on the cluster, then resumed: staging takes revision 2 again, then production.
    break_pods(tb, "member-1", &ns, None).await;
    let r = s
        .post("admin", &format!("{item}/rollout"), &json!({"action": "resume"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let done = wait_app(&s, &ns, "waves", "revision 2 on every target", |a| {
        a["status"]["rollout"]["phase"] == "Completed"
            && a["status"]["rollout"]["revision"] != stable
            && all_ready(a, 2)
    })
    .await;
    assert_eq!(wave_states(&done), ["healthy", "healthy"]);
    assert_eq!(
        done["status"]["rollout"]["stableRevision"],
        done["status"]["rollout"]["revision"]
    );
    for m in ["member-1", "member-2"] {
        wait_configmap(tb, m, &ns, "demo-config", "greeting", "v2").await;
    }
    for m in ["member-1", "member-2"] {
        label_cluster(tb, m, &env, None).await;
    }
    let r = s.delete("admin", &item).await;
    assert!(r.status < 300, "{}", r.text);
}

#[tokio::test]
async fn two_staging_clusters_then_a_third_labelled_one_gains_the_target_and_loses_it_with_its_objects() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    // A third member: the testbed's own two plus a lightweight one.
    let (member3, registered) = add_extra_member(&s, "member-3", 1).await;
    let env = format!("test.ksflux.io/{}", unique_name("env"));
    label_cluster(tb, "member-1", &env, Some("staging")).await;
    label_cluster(tb, "member-3", &env, Some("staging")).await;
    s.clusters.refresh().await;
    let body = placed_on_staging("staging", "./plain", &env, &ns);
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let config_in = |client: kube::Client| {
        let ns = ns.clone();
        async move {
            Api::<ConfigMap>::namespaced(client, &ns)
                .get_opt("plain-config")
                .await
                .ok()
                .flatten()
        }
    };
    wait_app(&s, &ns, "staging", "on the two staging members", |a| {
        status_clusters(a) == ["member-1", "member-3"] && all_ready(a, 2)
    })
    .await;
    assert!(config_in(tb.client("member-1").await).await.is_some());
    assert!(config_in(member3.clone()).await.is_some());
    assert!(config_in(tb.client("member-2").await).await.is_none());

    // A third cluster gets the label: it gains the target within seconds (figure in the log).
    let labelled = std::time::Instant::now();
    label_cluster(tb, "member-2", &env, Some("staging")).await;
    wait_app(&s, &ns, "staging", "on three members", |a| {
        status_clusters(a).len() == 3
    })
    .await;
    eprintln!(
        "member-2 became a target {:.1}s after it got the label",
        labelled.elapsed().as_secs_f64()
    );
    wait_app(&s, &ns, "staging", "ready on three members", |a| all_ready(a, 3)).await;
    wait_for("the ConfigMap on member-2", LONG, || async {
        config_in(tb.client("member-2").await)
            .await
            .ok_or_else(|| "not yet".to_string())
    })
    .await;

    // The label goes: the target and what it applied there go too; the others stay.
    let unlabelled = std::time::Instant::now();
    label_cluster(tb, "member-2", &env, None).await;
    wait_app(&s, &ns, "staging", "back to the two staging members", |a| {
        status_clusters(a) == ["member-1", "member-3"]
    })
    .await;
    wait_for("member-2's ConfigMap pruned", LONG, || async {
        match config_in(tb.client("member-2").await).await {
            None => Ok(()),
            Some(_) => Err("still there".to_string()),
        }
    })
    .await;
    eprintln!(
        "member-2's objects were gone {:.1}s after its label was removed",
        unlabelled.elapsed().as_secs_f64()
    );
    assert!(config_in(tb.client("member-1").await).await.is_some());
    assert!(config_in(member3.clone()).await.is_some());

    let r = s.delete("admin", &format!("{}/staging", apps(&ns))).await;
    assert!(r.status < 300, "{}", r.text);
    wait_for("the application deleted", LONG, || async {
        let r = s.get("admin", &format!("{}/staging", apps(&ns))).await;
        if r.status == 404 {
            Ok(())
        } else {
            Err(r.status.to_string())
        }
    })
    .await;
    assert!(
        config_in(member3.clone()).await.is_none(),
        "deleting cleans member-3 too"
    );
    label_cluster(tb, "member-1", &env, None).await;
    remove_extra_member(&s, "member-3", &registered).await;
}
