//! Members from KubeSphere: when the host serves `cluster.kubesphere.io/v1alpha1` `Cluster`,
//! each Cluster with a kubeconfig in `spec.connection.kubeconfig` is a member. Its own test
//! binary, because the Cluster object is visible to every ksflux on the host while it exists.

mod support;

use std::time::Duration;

use base64::Engine as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use ksflux_testbed::wait_for;
use kube::{
    Api,
    api::{ApiResource, DynamicObject, Patch, PatchParams},
};
use serde_json::json;
use support::Server;

#[tokio::test]
async fn kubesphere_clusters_become_members() {
    let s = Server::start().await;
    let host = s.tb.client("host").await;
    // KubeSphere's Cluster CRD, reduced to what ksflux reads.
    let crds: Api<CustomResourceDefinition> = Api::all(host.clone());
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusters.cluster.kubesphere.io"},
        "spec": {"group": "cluster.kubesphere.io", "scope": "Cluster",
                 "names": {"kind": "Cluster", "plural": "clusters", "singular": "cluster", "listKind": "ClusterList"},
                 "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    crds.patch(
        "clusters.cluster.kubesphere.io",
        &PatchParams::apply("ksflux-test").force(),
        &Patch::Apply(&crd),
    )
    .await
    .expect("install the KubeSphere Cluster CRD");
    let ar = ApiResource {
        group: "cluster.kubesphere.io".into(),
        version: "v1alpha1".into(),
        api_version: "cluster.kubesphere.io/v1alpha1".into(),
        kind: "Cluster".into(),
        plural: "clusters".into(),
    };
    let clusters: Api<DynamicObject> = Api::all_with(host.clone(), &ar);
    let kc = std::fs::read(&s.tb.cluster("member-2").kubeconfig).expect("kubeconfig");
    let cluster = json!({"apiVersion": "cluster.kubesphere.io/v1alpha1", "kind": "Cluster",
        "metadata": {"name": "ks-edge"},
        "spec": {"connection": {"type": "direct", "kubeconfig": base64::engine::general_purpose::STANDARD.encode(kc)}}});
    let host_cluster = json!({"apiVersion": "cluster.kubesphere.io/v1alpha1", "kind": "Cluster",
        "metadata": {"name": "ks-host"}, "spec": {"connection": {"type": "direct"}}});
    wait_for("the Cluster kind is served", Duration::from_secs(30), || async {
        for c in [&cluster, &host_cluster] {
            let name = c["metadata"]["name"].as_str().unwrap_or_default();
            clusters
                .patch(name, &PatchParams::apply("ksflux-test").force(), &Patch::Apply(c))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
    .await;

    s.clusters.refresh().await;
    let r = s
        .get("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-edge")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["origin"], "kubeSphere");
    assert_eq!(r.body["health"]["reachable"], true, "{}", r.text);
    assert_eq!(r.body["server"], s.tb.cluster("member-2").server.clone() + "/");
    // KubeSphere's own host entry has no kubeconfig and is not a member.
    assert_eq!(
        s.get("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-host")
            .await
            .status,
        404
    );
    assert_eq!(r.body["mode"], "hub", "{}", r.text);

    // Its delivery mode is kept on the KubeSphere Cluster, changed by whoever may update it.
    let mode = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-edge/mode";
    let r = s.put("alice", mode, &json!({"mode": "agent"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s.put("admin", mode, &json!({"mode": "agent"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["mode"], "agent", "{}", r.text);
    let annotated = clusters.get("ks-edge").await.expect("the Cluster");
    assert_eq!(
        annotated
            .metadata
            .annotations
            .unwrap_or_default()
            .get("fluxcd.kubesphere.io/delivery-mode")
            .map(String::as_str),
        Some("agent")
    );
    // A fresh read of the registry keeps it.
    s.clusters.refresh().await;
    let r = s
        .get("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-edge")
        .await;
    assert_eq!(r.body["mode"], "agent", "{}", r.text);
    let r = s.put("admin", mode, &json!({"mode": "hub"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["mode"], "hub", "{}", r.text);

    // Members from KubeSphere are removed in KubeSphere, not through ksflux.
    let r = s
        .delete("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-edge")
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    for name in ["ks-edge", "ks-host"] {
        clusters
            .delete(name, &Default::default())
            .await
            .expect("delete Cluster");
    }
    s.clusters.refresh().await;
    assert_eq!(
        s.get("admin", "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters/ks-edge")
            .await
            .status,
        404
    );
}
