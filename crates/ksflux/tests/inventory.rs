//! The inventory of an application's target on the testbed: each object's health and its
//! drift from what Flux applied, for a Kustomize and a Helm application.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use ksflux_testbed::{Testbed, wait_for};
use kube::Api;
use serde_json::{Value, json};
use support::{Server, all_ready, apps, helm_repository, path, project, start_controller, wait_app};

const LONG: Duration = Duration::from_secs(180);

/// Edits `kind/name` in `ns` of `cluster` as `kubectl edit` does (a merge patch recorded under
/// the field manager `kubectl-edit`).
async fn edit_on_cluster(tb: &Testbed, cluster: &str, ns: &str, name: &str, patch: &Value) {
    let api: Api<Deployment> = Api::namespaced(tb.client(cluster).await, ns);
    let pp = kube::api::PatchParams {
        field_manager: Some("kubectl-edit".into()),
        ..Default::default()
    };
    api.patch(name, &pp, &kube::api::Patch::Merge(patch))
        .await
        .unwrap_or_else(|e| panic!("kubectl edit {ns}/{name} on {cluster}: {e}"));
}

/// The object of `kind`/`name` in an inventory answer.
fn inventory_object(inv: &Value, kind: &str, name: &str) -> Value {
    inv["objects"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == kind && o["name"] == name).cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_object_edited_on_the_member_shows_as_drifted_with_its_diff_for_kustomize_and_helm() {
    start_controller();
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    helm_repository(&s, &ns).await;
    let kustomize = json!({"metadata": {"name": "kshop"}, "spec": {
        "source": {"kind": "GitRepository", "name": "demo"}, "kustomize": {"path": "./base"},
        "interval": "1h", "targets": [{"cluster": "member-1", "namespace": ns}]}});
    let helm = json!({"metadata": {"name": "hweb"}, "spec": {
        "source": {"kind": "HelmRepository", "name": "demo"},
        "helm": {"chart": "demo-app", "version": "1.x", "values": {"replicaCount": 1}},
        "targets": [{"cluster": "member-1", "namespace": ns}]}});
    for body in [&kustomize, &helm] {
        let r = s.post("admin", &apps(&ns), body).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    wait_app(&s, &ns, "kshop", "ready", |a| all_ready(a, 1)).await;
    wait_app(&s, &ns, "hweb", "ready", |a| all_ready(a, 1)).await;
    let inventory = |app: &str| format!("{}/{app}/inventory?cluster=member-1", apps(&ns));

    // Before any edit: every object listed, healthy once its pods are, nothing drifted.
    for (app, from, deployment) in [("kshop", "inventory", "demo"), ("hweb", "helmRelease", "hweb")] {
        let inv = wait_for(&format!("{app}: its Deployment healthy"), LONG, || async {
            let r = s.get("admin", &inventory(app)).await;
            let d = inventory_object(&r.body, "Deployment", deployment);
            if r.status == 200 && d["health"] == "healthy" {
                Ok(r.body)
            } else {
                Err(r.text)
            }
        })
        .await;
        assert_eq!(inv["from"], from, "{inv}");
        assert_eq!(inv["namespace"], json!(ns), "{inv}");
        let kinds: Vec<&str> = inv["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"ConfigMap") && kinds.contains(&"Deployment"),
            "{inv}"
        );
        for o in inv["objects"].as_array().into_iter().flatten() {
            assert_eq!(o["drifted"], false, "{app}: {o}");
        }
    }

    // `kubectl edit` on the member: replicas and the container image change.
    edit_on_cluster(tb, "member-1", &ns, "demo", &json!({"spec": {"replicas": 2}})).await;
    edit_on_cluster(tb, "member-1", &ns, "hweb", &json!({"spec": {"replicas": 2}})).await;

    // Kustomize: drift from the managed fields, naming the field, its live value and who.
    let inv = s.get("admin", &inventory("kshop")).await;
    assert_eq!(inv.status, 200, "{}", inv.text);
    assert_eq!(inv.body["driftFrom"], "managedFields");
    let d = inventory_object(&inv.body, "Deployment", "demo");
    assert_eq!(d["drifted"], true, "{d}");
    assert_eq!(
        (
            &d["drift"][0]["path"],
            &d["drift"][0]["live"],
            &d["drift"][0]["by"]
        ),
        (&json!("spec.replicas"), &json!(2), &json!("kubectl-edit")),
        "{d}"
    );
    assert_eq!(
        inventory_object(&inv.body, "ConfigMap", "demo-config")["drifted"],
        false
    );

    // Helm: drift against the release's manifest, with what Flux applied beside the live value.
    let inv = s.get("admin", &inventory("hweb")).await;
    assert_eq!(inv.body["driftFrom"], "manifest", "{}", inv.text);
    let d = inventory_object(&inv.body, "Deployment", "hweb");
    assert_eq!(d["drifted"], true, "{d}");
    let replicas = d["drift"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["path"] == "spec.replicas").cloned())
        .unwrap_or_default();
    assert_eq!(
        (&replicas["desired"], &replicas["live"], &replicas["by"]),
        (&json!(1), &json!(2), &json!("kubectl-edit")),
        "{d}"
    );
    // The object in full: live and as applied, for a side-by-side diff.
    let id = d["id"].as_str().unwrap_or_default().to_string();
    let one = s
        .get(
            "admin",
            &format!("{}/hweb/inventory/object?cluster=member-1&id={id}", apps(&ns)),
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["live"]["spec"]["replicas"], 2);
    assert_eq!(one.body["desired"]["spec"]["replicas"], 1);
    assert!(one.body["live"]["metadata"].get("managedFields").is_none());

    // Flux puts the Kustomize object back at its next reconciliation; the drift is gone.
    let child = format!("{}/kshop-member-1/reconcile?wait=60", path(&ns, "kustomizations"));
    let r = s.post("admin", &child, &json!({})).await;
    assert!(r.status < 300, "{}", r.text);
    wait_for("kshop's Deployment restored and in sync", LONG, || async {
        let r = s.get("admin", &inventory("kshop")).await;
        let d = inventory_object(&r.body, "Deployment", "demo");
        if d["drifted"] == false {
            Ok(())
        } else {
            Err(d.to_string())
        }
    })
    .await;

    // Bad requests name what is wrong; a cluster the application does not target is refused.
    let bad = s
        .get(
            "admin",
            &format!("{}/hweb/inventory/object?cluster=member-1&id=x_y", apps(&ns)),
        )
        .await;
    assert_eq!(bad.status, 404, "{}", bad.text);
    assert!(bad.text.contains("id"), "{}", bad.text);
    let other = s
        .get("admin", &format!("{}/hweb/inventory?cluster=member-2", apps(&ns)))
        .await;
    assert_eq!(other.status, 404, "{}", other.text);
    assert!(other.text.contains("member-2"), "{}", other.text);
    let none = s.get("admin", &format!("{}/hweb/inventory", apps(&ns))).await;
    assert_eq!(none.status, 400, "{}", none.text);
    // A user who may not read the application gets nothing.
    let stranger = s.get("alice", &inventory("hweb")).await;
    assert!(matches!(stranger.status, 403 | 404), "{}", stranger.text);
    for app in ["kshop", "hweb"] {
        s.delete("admin", &format!("{}/{app}", apps(&ns))).await;
    }
}
