//! A mixed fleet: member-1 in agent mode (its own Flux applies what ksflux puts there),
//! member-2 in hub mode (the host's Flux reaches it), in one application. The application
//! cases of the hub-mode suite run unchanged.

mod support;

use serde_json::Value;
use support::{
    Server,
    cases::{self, Fleet},
    start_controller_with,
};

const FLEET: Fleet = Fleet { agent: &["member-1"] };

#[tokio::test]
async fn helm_application_with_values_per_cluster_in_a_mixed_fleet() {
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    cases::helm_application_with_values_per_cluster(&s, &FLEET).await;
}

#[tokio::test]
async fn kustomize_application_with_patch_targets_and_suspend_in_a_mixed_fleet() {
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    cases::kustomize_application_with_patch_targets_and_suspend(&s, &FLEET).await;
}

/// The resident memory of the testbed processes whose pid files start with `prefix`, in MiB.
fn rss_mib(tb: &ksflux_testbed::Testbed, names: &[&str]) -> f64 {
    let pids = tb.info.state_dir.join("pids");
    let mut kib = 0u64;
    for name in names {
        let pid = std::fs::read_to_string(pids.join(format!("{name}.pid"))).unwrap_or_default();
        let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
        kib += status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    kib as f64 / 1024.0
}

/// An edit of one application reaches member-1 (agent mode: applied there, run by its own
/// Flux) and member-2 (hub mode: run by the host's Flux), each time; how long each took is
/// printed (figures, not asserted), with the memory of the Flux controllers on each side.
#[tokio::test]
async fn each_edit_reaches_the_agent_member_and_the_hub_member() {
    use std::time::Instant;
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    let tb = s.tb;
    let ns = support::project(&s).await;
    s.git_source(&ns, "demo").await;
    let body = serde_json::json!({
        "metadata": {"name": "timed"},
        "spec": {
            "source": {"kind": "GitRepository", "name": "demo"},
            "kustomize": {"path": "./base", "substitute": {"greeting": "edit-0"}},
            "interval": "1m",
            "targets": [{"cluster": "member-1", "namespace": ns}, {"cluster": "member-2", "namespace": ns}]
        }
    });
    let created = s.post("admin", &support::apps(&ns), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    support::wait_app(&s, &ns, "timed", "ready on 2 targets", |a| {
        support::all_ready(a, 2)
    })
    .await;
    let item = format!("{}/timed", support::apps(&ns));
    let mut took: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for i in 1..=5 {
        let want = format!("edit-{i}");
        let r = cases::edit(&s, &item, |current| {
            let mut spec = current["spec"].clone();
            spec["kustomize"]["substitute"]["greeting"] = serde_json::json!(want);
            spec
        })
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let saved = Instant::now();
        let mut pending = [true, true];
        while pending.iter().any(|p| *p) {
            assert!(
                saved.elapsed() < cases::LONG,
                "edit {i} did not arrive: {pending:?}"
            );
            for (n, cluster) in ["member-1", "member-2"].iter().enumerate() {
                if pending[n]
                    && cases::data(
                        &cases::configmap(tb, cluster, &ns, "demo-config").await,
                        "greeting",
                    )
                    .as_deref()
                        == Some(want.as_str())
                {
                    pending[n] = false;
                    took[n].push(saved.elapsed().as_secs_f64());
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (agent, hub) = (median(&mut took[0]), median(&mut took[1]));
    eprintln!(
        "FIGURE edit -> applied, median of 5: agent member {agent:.2}s, hub member {hub:.2}s (ratio {:.2})",
        agent / hub
    );
    let host = rss_mib(
        tb,
        &[
            "source-controller",
            "kustomize-controller",
            "helm-controller",
            "notification-controller",
            "image-reflector-controller",
            "image-automation-controller",
        ],
    );
    let members: f64 = ["member-1", "member-2"]
        .iter()
        .map(|m| {
            rss_mib(
                tb,
                &[
                    &format!("source-controller-{m}"),
                    &format!("kustomize-controller-{m}"),
                    &format!("helm-controller-{m}"),
                ],
            )
        })
        .sum();
    eprintln!("FIGURE Flux RSS: host controllers {host:.0} MiB; the two members' own Flux {members:.0} MiB");
    assert_eq!(s.delete("admin", &item).await.status, 204);
    FLEET.no_flux_objects_left(tb, &ns).await;
}

/// A git repository of the test's own holding infrastructure: a cluster-scoped
/// CustomResourceDefinition and ClusterRole, under `./infra`.
fn infrastructure_repo(tb: &ksflux_testbed::Testbed, repo: &str) {
    let work = tb.own_git_repo(repo).expect("own repository");
    let dir = work.join("infra");
    std::fs::create_dir_all(&dir).expect("infra directory");
    std::fs::write(
        dir.join("crd.yaml"),
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.platform.ksflux.test
spec:
  group: platform.ksflux.test
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: platform-widget-reader
rules:
  - apiGroups: [platform.ksflux.test]
    resources: [widgets]
    verbs: [get, list, watch]
"#,
    )
    .expect("write the manifests");
    ksflux_testbed::git(&["add", "infra"], Some(&work)).expect("add");
    ksflux_testbed::git(&["commit", "-qm", "Infrastructure"], Some(&work)).expect("commit");
    ksflux_testbed::git(&["push", "-q", &tb.git_push_url(repo), "main"], Some(&work)).expect("push");
}

/// Whether `name` exists at cluster scope in `cluster` (`plural` of `group/version`).
async fn cluster_object(
    tb: &ksflux_testbed::Testbed,
    cluster: &str,
    group: &str,
    version: &str,
    kind: &str,
    name: &str,
) -> bool {
    use kube::{
        Api,
        api::{ApiResource, DynamicObject},
        core::GroupVersionKind,
    };
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let api: Api<DynamicObject> = Api::all_with(tb.client(cluster).await, &ar);
    matches!(api.get_opt(name).await, Ok(Some(_)))
}

/// Infrastructure (a CRD, a ClusterRole) is deployed by an application in the platform
/// namespace, to member-1 (agent mode) and member-2 (hub mode), its deployer bound
/// cluster-wide there and nowhere else; a project's application may neither target another
/// namespace than its own nor apply the same manifests; deleting the platform application
/// revokes the cluster-wide binding.
#[tokio::test]
async fn a_platform_application_deploys_infrastructure_to_agent_and_hub_members_and_a_project_cannot() {
    use k8s_openapi::api::{core::v1::Namespace, rbac::v1::ClusterRoleBinding};
    use kube::Api;
    use serde_json::json;
    use support::{PLATFORM_NAMESPACE, all_ready, apps, cases::of_cluster, path, wait_app};
    start_controller_with(FLEET.agent);
    let s = Server::start().await;
    let tb = s.tb;
    let host = tb.client("host").await;
    let namespaces: Api<Namespace> = Api::all(host.clone());
    if namespaces
        .get_opt(PLATFORM_NAMESPACE)
        .await
        .expect("get")
        .is_none()
    {
        ksflux_testbed::create_namespace(&host, PLATFORM_NAMESPACE).await;
    }
    let repo = ksflux_testbed::unique_name("infra");
    infrastructure_repo(tb, &repo);
    let f = &tb.info.fixtures;
    let source = |ns: &str| {
        (
            path(ns, "gitrepositories"),
            json!({"metadata": {"name": repo},
                "spec": {"url": tb.git_repo_url(&repo), "interval": "1m", "ref": {"branch": "main"}},
                "credentials": {"type": "basic", "username": f.user, "password": f.password}}),
        )
    };
    let (list, body) = source(PLATFORM_NAMESPACE);
    let r = s.post("admin", &list, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let target_ns = ksflux_testbed::unique_name("infra-system");
    let app = |targets: Value| {
        json!({
            "metadata": {"name": repo},
            "spec": {
                "source": {"kind": "GitRepository", "name": repo},
                "kustomize": {"path": "./infra"},
                "interval": "1m",
                "targets": targets
            }
        })
    };
    let both = json!([{"cluster": "member-1", "namespace": target_ns}, {"cluster": "member-2", "namespace": target_ns}]);
    let r = s
        .post("admin", &apps(PLATFORM_NAMESPACE), &app(both.clone()))
        .await;
    assert_eq!(
        r.status, 201,
        "a platform application may target any namespace: {}",
        r.text
    );
    wait_app(&s, PLATFORM_NAMESPACE, &repo, "ready on 2 targets", |a| {
        all_ready(a, 2)
    })
    .await;
    let binding = format!("ksflux-{PLATFORM_NAMESPACE}");
    for member in ["member-1", "member-2"] {
        assert!(
            cluster_object(
                tb,
                member,
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                "widgets.platform.ksflux.test"
            )
            .await,
            "the CRD on {member}"
        );
        assert!(
            cluster_object(
                tb,
                member,
                "rbac.authorization.k8s.io",
                "v1",
                "ClusterRole",
                "platform-widget-reader"
            )
            .await,
            "the ClusterRole on {member}"
        );
        let crb = Api::<ClusterRoleBinding>::all(tb.client(member).await)
            .get(&binding)
            .await
            .unwrap_or_else(|e| panic!("the platform deployer's binding on {member}: {e}"));
        assert_eq!(crb.role_ref.name, "cluster-admin");
        let subject = &crb.subjects.unwrap_or_default()[0];
        assert_eq!(
            (subject.name.as_str(), subject.namespace.as_deref()),
            ("ksflux-deployer", Some(PLATFORM_NAMESPACE))
        );
    }
    assert!(
        Api::<ClusterRoleBinding>::all(host.clone())
            .get_opt(&binding)
            .await
            .expect("get")
            .is_none(),
        "no cluster-wide binding on the host, which the application does not target"
    );

    // A project may not target another namespace than its own (refused by the API, naming
    // the field) ...
    let project = support::project(&s).await;
    let (list, body) = source(&project);
    assert_eq!(s.post("admin", &list, &body).await.status, 201);
    let r = s.post("admin", &apps(&project), &app(both)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"], "spec.targets[0].namespace",
        "{}",
        r.text
    );
    // ... and the same manifests in its own namespace fail in Flux as forbidden: its deployer
    // is bound in its namespaces only.
    let own =
        json!([{"cluster": "member-1", "namespace": project}, {"cluster": "member-2", "namespace": project}]);
    let r = s.post("admin", &apps(&project), &app(own)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let refused = wait_app(&s, &project, &repo, "forbidden on both targets", |a| {
        ["member-1", "member-2"].iter().all(|m| {
            let t = of_cluster(&a["status"]["targets"], m);
            t["ready"] == "False" && t["message"].as_str().is_some_and(|m| m.contains("forbidden"))
        })
    })
    .await;
    eprintln!(
        "a project's application with cluster-scoped objects: {}",
        of_cluster(&refused["status"]["targets"], "member-1")["message"]
    );
    assert_eq!(
        s.delete("admin", &format!("{}/{repo}", apps(&project)))
            .await
            .status,
        204
    );

    // Deleting the platform application removes its objects and, with the last one, the
    // cluster-wide binding.
    assert_eq!(
        s.delete("admin", &format!("{}/{repo}", apps(PLATFORM_NAMESPACE)))
            .await
            .status,
        204
    );
    FLEET.no_flux_objects_left(tb, PLATFORM_NAMESPACE).await;
    for member in ["member-1", "member-2"] {
        let api = Api::<ClusterRoleBinding>::all(tb.client(member).await);
        ksflux_testbed::wait_for(
            &format!("the binding revoked on {member}"),
            cases::LONG,
            || async {
                match api.get_opt(&binding).await {
                    Ok(None) => Ok(()),
                    other => Err(format!("{:?}", other.map(|b| b.is_some()))),
                }
            },
        )
        .await;
    }
    let _ = s
        .delete(
            "admin",
            &format!("{}/{repo}", path(PLATFORM_NAMESPACE, "gitrepositories")),
        )
        .await;
}
