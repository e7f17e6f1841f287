//! Agent mode end to end: both members run their own Flux (testbed/up starts source-,
//! kustomize- and helm-controller on each) and this process's controller delivers to them in
//! agent mode. The application cases of the hub-mode suite run here unchanged; then what only
//! agent mode has: pending changes for a frozen member, drift put back, the scoped identity,
//! and the cluster mode API.

mod support;

use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Event, Namespace, Secret},
    rbac::v1::{ClusterRoleBinding, RoleBinding},
};
use ksflux_testbed::{Testbed, wait_for};
use kube::{
    Api, Client,
    api::{DynamicObject, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};
use support::{
    Frozen, Server, add_extra_member, all_ready, apps,
    cases::{self, Fleet, LONG, edit, flux_resource, of_cluster, wait_configmap},
    helm_repository, project, remove_extra_member, start_controller_with, wait_app,
};

const FLEET: Fleet = Fleet {
    agent: &["member-1", "member-2"],
};

/// Freezing a member's apiserver disturbs every test using it: the freezing test holds this
/// for writing, the others for reading.
static MEMBERS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

#[tokio::test]
async fn helm_application_with_values_per_cluster_in_agent_mode() {
    let _members = MEMBERS.read().await;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    cases::helm_application_with_values_per_cluster(&s, &FLEET).await;
}

#[tokio::test]
async fn kustomize_application_with_patch_targets_and_suspend_in_agent_mode() {
    let _members = MEMBERS.read().await;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    cases::kustomize_application_with_patch_targets_and_suspend(&s, &FLEET).await;
}

#[tokio::test]
async fn a_frozen_agent_member_gets_the_edit_on_recovery_and_shows_it_pending_meanwhile() {
    let _members = MEMBERS.write().await;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    s.git_source(&ns, "demo").await;
    let body = json!({
        "metadata": {"name": "pend"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./base", "substitute": {"greeting": "before"}},
            "interval": "1m",
            "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}]
        }
    });
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_app(&s, &ns, "pend", "ready on 2 targets", |a| all_ready(a, 2)).await;
    wait_configmap(tb, "member-1", &ns, "demo-config", "greeting", "before").await;

    let pid = std::fs::read_to_string(&tb.cluster("member-1").apiserver_pid_file).expect("pid");
    let frozen = Frozen::new(pid.trim().to_string());
    let item = format!("{}/pend", apps(&ns));
    let r = edit(&s, &item, |current| {
        let mut spec = current["spec"].clone();
        spec["kustomize"]["substitute"]["greeting"] = json!("after");
        spec
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // member-2 takes the edit; member-1's target says the change waits for it.
    wait_configmap(tb, "member-2", &ns, "demo-config", "greeting", "after").await;
    let app = wait_app(&s, &ns, "pend", "member-1 pending", |a| {
        let t = of_cluster(&a["status"]["targets"], "member-1");
        t["reason"] == "ClusterUnreachable" && t["message"].as_str().is_some_and(|m| m.contains("pending"))
    })
    .await;
    let t = of_cluster(&app["status"]["targets"], "member-1");
    assert_eq!(t["ready"], "Unknown", "{t}");
    assert_eq!(t["mode"], "agent", "{t}");
    eprintln!("member-1 while frozen: {}", t["message"]);
    // Recovery: the edit arrives with no restart of anything.
    let thawed = std::time::Instant::now();
    drop(frozen);
    wait_configmap(tb, "member-1", &ns, "demo-config", "greeting", "after").await;
    eprintln!(
        "FIGURE agent member: edit applied {:.1}s after its apiserver answered again",
        thawed.elapsed().as_secs_f64()
    );
    wait_app(&s, &ns, "pend", "ready on 2 targets again", |a| all_ready(a, 2)).await;
    assert_eq!(s.delete("admin", &item).await.status, 204);
    FLEET.no_flux_objects_left(tb, &ns).await;
}

/// A client of the ServiceAccount `sa` in `ns` of `cluster`, with a fresh token of it.
async fn client_of(tb: &Testbed, cluster: &str, ns: &str, sa: &str) -> Client {
    let admin = tb.client(cluster).await;
    let api: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(admin, ns);
    let tr: k8s_openapi::api::authentication::v1::TokenRequest =
        serde_json::from_value(json!({"spec": {"expirationSeconds": 600}})).expect("a TokenRequest");
    let token = api
        .create_subresource::<_, k8s_openapi::api::authentication::v1::TokenRequest>(
            "token",
            sa,
            &PostParams::default(),
            &tr,
        )
        .await
        .expect("a token")
        .status
        .and_then(|s| s.token)
        .expect("a token");
    let mut kc = tb.kubeconfig(cluster);
    for u in &mut kc.auth_infos {
        if let Some(a) = u.auth_info.as_mut() {
            a.token = Some(token.clone().into());
        }
    }
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    Client::try_from(config).expect("client")
}

fn forbidden<T: std::fmt::Debug>(what: &str, r: Result<T, kube::Error>) {
    match r {
        Err(kube::Error::Api(s)) if s.code == 403 => {}
        other => panic!("{what}: expected 403, got {other:?}"),
    }
}

#[tokio::test]
async fn an_edit_in_the_member_is_put_back_and_reported_and_the_agent_identity_is_scoped() {
    let _members = MEMBERS.read().await;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    helm_repository(&s, &ns).await;
    // A platform admin chose the role the project deploys with on member-1: `edit`.
    Api::<Namespace>::all(tb.client("host").await)
        .patch(
            &ns,
            &PatchParams::default(),
            &Patch::Merge(
                json!({"metadata": {"annotations": {"fluxcd.kubesphere.io/deployer-role": "member-1=edit"}}}),
            ),
        )
        .await
        .expect("annotate the project");
    let body = json!({
        "metadata": {"name": "kept"},
        "spec": {
            "source": {"kind": "HelmRepository", "name": "demo"},
            "helm": {"chart": "demo-app", "version": "1.x", "values": {"replicaCount": 1, "message": "from ksflux"}},
            "targets": [{"cluster": "member-1", "namespace": ns}]
        }
    });
    let created = s.post("admin", &apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    wait_app(&s, &ns, "kept", "ready", |a| all_ready(a, 1)).await;
    wait_configmap(tb, "member-1", &ns, "kept-config", "message", "from ksflux").await;
    let binding = Api::<RoleBinding>::namespaced(tb.client("member-1").await, &ns)
        .get(&format!("ksflux-{ns}"))
        .await
        .expect("the deployer's binding on member-1");
    assert_eq!(binding.role_ref.name, "edit", "the role the platform admin chose");

    // `kubectl edit` of the HelmRelease in member-1: a change of a value ksflux set.
    let hrs: Api<DynamicObject> =
        Api::namespaced_with(tb.client("member-1").await, &ns, &flux_resource("helmreleases"));
    let edited_at = std::time::Instant::now();
    hrs.patch(
        "kept-member-1",
        &PatchParams {
            field_manager: Some("kubectl-edit".into()),
            ..Default::default()
        },
        &Patch::Merge(json!({"spec": {"values": {"message": "edited in the cluster"}}})),
    )
    .await
    .expect("edit the HelmRelease in member-1");
    let app = wait_app(&s, &ns, "kept", "drift reported", |a| {
        of_cluster(&a["status"]["targets"], "member-1")["lastDrift"]["fields"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("spec.values.message")))
    })
    .await;
    eprintln!(
        "FIGURE drift in an agent member put back and reported {:.1}s after the edit",
        edited_at.elapsed().as_secs_f64()
    );
    let drift = &of_cluster(&app["status"]["targets"], "member-1")["lastDrift"];
    assert!(drift["at"].is_string(), "{drift}");
    let hr = hrs.get("kept-member-1").await.expect("the HelmRelease");
    assert_eq!(hr.data["spec"]["values"]["message"], "from ksflux", "put back");
    wait_configmap(tb, "member-1", &ns, "kept-config", "message", "from ksflux").await;
    let events: Api<Event> = Api::namespaced(tb.client("host").await, &ns);
    let evs = events
        .list(&ListParams::default().fields("involvedObject.kind=Application,involvedObject.name=kept"))
        .await
        .expect("events");
    let drift_event = evs
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("DriftCorrected"))
        .unwrap_or_else(|| {
            panic!(
                "a DriftCorrected event: {:?}",
                evs.items.iter().map(|e| &e.reason).collect::<Vec<_>>()
            )
        });
    let message = drift_event.message.clone().unwrap_or_default();
    assert!(
        message.contains("member-1") && message.contains("spec.values.message"),
        "{message}"
    );

    // What ksflux holds for member-1 is the project's agent identity there: it may manage the
    // project's Flux objects and their Secrets in the project namespace, and nothing else.
    let agent = client_of(tb, "member-1", &ns, "ksflux-agent").await;
    let own: Api<DynamicObject> = Api::namespaced_with(agent.clone(), &ns, &flux_resource("helmreleases"));
    assert_eq!(
        own.list(&Default::default())
            .await
            .expect("list its HelmReleases")
            .items
            .len(),
        1
    );
    let own_secrets: Api<Secret> = Api::namespaced(agent.clone(), &ns);
    own_secrets
        .list(&Default::default())
        .await
        .expect("Secrets of its project namespace");
    forbidden(
        "Secrets in kube-system",
        Api::<Secret>::namespaced(agent.clone(), "kube-system")
            .list(&Default::default())
            .await,
    );
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "not-allowed"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    }))
    .expect("a Deployment");
    forbidden(
        "a Deployment in its own namespace",
        Api::<Deployment>::namespaced(agent.clone(), &ns)
            .create(&PostParams::default(), &deployment)
            .await,
    );
    let hr_elsewhere = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {"interval": "5m", "chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "r"}}}}});
    let elsewhere: Api<DynamicObject> =
        Api::namespaced_with(agent.clone(), "default", &flux_resource("helmreleases"));
    forbidden(
        "a HelmRelease in another namespace",
        elsewhere
            .create(
                &PostParams::default(),
                &serde_json::from_value(hr_elsewhere).expect("object"),
            )
            .await,
    );
    let rb: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "escalate"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "ksflux-agent", "namespace": ns}]
    }))
    .expect("a RoleBinding");
    forbidden(
        "a RoleBinding",
        Api::<RoleBinding>::namespaced(agent.clone(), &ns)
            .create(&PostParams::default(), &rb)
            .await,
    );
    let crb: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": format!("escalate-{ns}")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "ksflux-agent", "namespace": ns}]
    }))
    .expect("a ClusterRoleBinding");
    forbidden(
        "a ClusterRoleBinding",
        Api::<ClusterRoleBinding>::all(agent.clone())
            .create(&PostParams::default(), &crb)
            .await,
    );
    forbidden(
        "listing namespaces",
        Api::<Namespace>::all(agent.clone())
            .list(&Default::default())
            .await,
    );
    forbidden(
        "ConfigMaps in another namespace",
        Api::<ConfigMap>::namespaced(agent.clone(), "default")
            .list(&Default::default())
            .await,
    );
    // And the host keeps no kubeconfig for an agent member.
    let host_secrets: Api<Secret> = Api::namespaced(tb.client("host").await, &ns);
    assert!(
        host_secrets
            .get_opt("ksflux-kubeconfig-member-1")
            .await
            .expect("get")
            .is_none(),
        "no member credential on the host"
    );

    assert_eq!(
        s.delete("admin", &format!("{}/kept", apps(&ns))).await.status,
        204
    );
    FLEET.no_flux_objects_left(tb, &ns).await;
    wait_for("the agent identity revoked", LONG, || async {
        let sas: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(tb.client("member-1").await, &ns);
        match sas.get_opt("ksflux-agent").await {
            Ok(None) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::test]
async fn the_cluster_mode_is_set_through_the_api_and_agent_mode_needs_flux_on_the_member() {
    let _members = MEMBERS.read().await;
    let s = Server::start().await;
    let base = "/kapis/fluxcd.kubesphere.io/v1alpha1/clusters";
    let list = s.get("admin", base).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let m1 = of_name(&list.body["items"], "member-1");
    assert_eq!(m1["mode"], "hub", "{m1}");
    assert!(m1["agentBlocked"].is_null(), "member-1 runs Flux: {m1}");
    assert_eq!(m1["health"]["fluxInstalled"], true, "{m1}");

    // Authorised first: alice may not change the registry.
    let r = s
        .put(
            "alice",
            &format!("{base}/member-1/mode"),
            &json!({"mode": "agent"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .put(
            "admin",
            &format!("{base}/member-1/mode"),
            &json!({"mode": "sideways"}),
        )
        .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    let r = s
        .put(
            "admin",
            &format!("{base}/member-1/mode"),
            &json!({"mode": "agent"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["mode"], "agent");
    let r = s.get("admin", &format!("{base}/member-1")).await;
    assert_eq!(r.body["mode"], "agent", "{}", r.text);

    // A member without Flux: agent mode is refused, naming the field and what to do.
    let (_client, registries) = add_extra_member(&s, "member-7", 5).await;
    wait_for("member-7 registered and checked", LONG, || async {
        let r = s.get("admin", &format!("{base}/member-7")).await;
        if r.status == 200 && r.body["health"]["reachable"] == true {
            Ok(r.body)
        } else {
            Err(r.text)
        }
    })
    .await;
    let r = s
        .put(
            "admin",
            &format!("{base}/member-7/mode"),
            &json!({"mode": "agent"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let cause = &r.body["details"]["causes"][0];
    assert_eq!(cause["field"], "mode", "{}", r.text);
    assert!(
        cause["message"]
            .as_str()
            .is_some_and(|m| m.contains("Flux is not installed")),
        "{}",
        r.text
    );
    let r = s.get("admin", &format!("{base}/member-7")).await;
    assert_eq!(r.body["mode"], "hub");
    assert!(
        r.body["agentBlocked"]
            .as_str()
            .is_some_and(|m| m.contains("flux install")),
        "{}",
        r.text
    );
    remove_extra_member(&s, "member-7", &registries).await;
}

fn of_name(items: &Value, name: &str) -> Value {
    items
        .as_array()
        .and_then(|i| i.iter().find(|c| c["name"] == name).cloned())
        .unwrap_or_default()
}

/// The `password` in Secret `name` of `ns` in `cluster`, if any.
async fn secret_password(tb: &Testbed, cluster: &str, ns: &str, name: &str) -> Option<String> {
    let api: Api<Secret> = Api::namespaced(tb.client(cluster).await, ns);
    api.get_opt(name)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.data)
        .and_then(|d| d.get("password").cloned())
        .map(|b| String::from_utf8_lossy(&b.0).to_string())
}

/// A source's copy in `cluster` is Ready at the current generation.
async fn copy_ready(tb: &Testbed, cluster: &str, ns: &str) -> Result<(), String> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(tb.client(cluster).await, ns, &flux_resource("gitrepositories"));
    let o = api.get("shared").await.map_err(|e| e.to_string())?;
    ksflux_testbed::ready(&o)
}

#[tokio::test]
async fn a_source_distributed_to_both_members_is_ready_on_each_and_follows_a_credential_rotation() {
    let _members = MEMBERS.read().await;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    let tb = s.tb;
    let ns = project(&s).await;
    let f = &tb.info.fixtures;
    let list = support::path(&ns, "gitrepositories");
    let item = format!("{list}/shared");
    let to_both = json!({"fluxcd.kubesphere.io/distribute-to": "member-1,member-2"});
    let created = s
        .post(
            "admin",
            &list,
            &json!({"metadata": {"name": "shared", "annotations": to_both},
                "spec": {"url": tb.git_repo_url("demo"), "interval": "1m", "ref": {"branch": "main"}},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["spec"]["secretRef"]["name"]
        .as_str()
        .unwrap_or("shared-git-auth")
        .to_string();
    for member in ["member-1", "member-2"] {
        wait_for(&format!("the copy Ready on {member}"), LONG, || {
            copy_ready(tb, member, &ns)
        })
        .await;
    }
    let clusters = s.get("admin", &format!("{item}/clusters")).await;
    assert_eq!(clusters.status, 200, "{}", clusters.text);
    let rows = clusters.body.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "{}", clusters.text);
    for row in &rows {
        assert_eq!(row["ready"], "True", "{row}");
        assert!(
            row["revision"]
                .as_str()
                .is_some_and(|r| r.starts_with("main@sha1:")),
            "{row}"
        );
    }
    // carol may not read this project: RBAC decides, through the host source.
    assert_eq!(s.get("carol", &format!("{item}/clusters")).await.status, 403);

    // Rotate the credentials through the API: the member Secrets follow, the copies stay Ready.
    for password in ["rotated-away", f.password.as_str()] {
        let current = s.get("admin", &item).await.body;
        let edit = json!({"metadata": {"name": "shared", "resourceVersion": current["metadata"]["resourceVersion"],
                "annotations": to_both},
            "spec": current["spec"], "credentials": {"type": "basic", "username": f.user, "password": password}});
        let r = s.put("admin", &item, &edit).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for member in ["member-1", "member-2"] {
            wait_for(&format!("the rotated Secret on {member}"), LONG, || async {
                match secret_password(tb, member, &ns, &secret).await {
                    Some(p) if p == password => Ok(()),
                    other => Err(format!("{:?}", other.map(|p| p.len()))),
                }
            })
            .await;
        }
    }
    for member in ["member-1", "member-2"] {
        FLEET
            .reconcile_in(tb, member, &ns, "gitrepositories", "shared")
            .await;
        wait_for(
            &format!("the copy Ready on {member} after the rotation"),
            LONG,
            || copy_ready(tb, member, &ns),
        )
        .await;
    }

    // No longer distributed to member-2: its copy goes, member-1's stays.
    let current = s.get("admin", &item).await.body;
    let edit = json!({"metadata": {"name": "shared", "resourceVersion": current["metadata"]["resourceVersion"],
            "annotations": {"fluxcd.kubesphere.io/distribute-to": "member-1"}},
        "spec": current["spec"]});
    let r = s.put("admin", &item, &edit).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let copies: Api<DynamicObject> = Api::namespaced_with(
        tb.client("member-2").await,
        &ns,
        &flux_resource("gitrepositories"),
    );
    wait_for("member-2's copy deleted", LONG, || async {
        match copies.get_opt("shared").await {
            Ok(None) => Ok(()),
            other => Err(format!("{:?}", other.map(|o| o.is_some()))),
        }
    })
    .await;
    copy_ready(tb, "member-1", &ns)
        .await
        .expect("member-1 keeps its copy");
    assert_eq!(s.delete("admin", &item).await.status, 204);
}
