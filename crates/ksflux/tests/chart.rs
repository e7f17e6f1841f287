//! The Helm chart (`deploy/chart/ksflux`), with the Helm CLI the testbed builds from
//! `helm.sh/helm/v4`: it lints, renders every object with the settings a cluster admin
//! expects (replicas, probes, a locked-down security context, least-privilege RBAC), refuses
//! values that break its schema naming the field, ships the current Application CRD, and
//! installs into the testbed's host and uninstalls cleanly — with `helm install`, and through
//! Flux itself (the chart pushed to the testbed's OCI registry, a HelmRelease installs it and
//! waits for its pods, which the testbed's KWOK nodes run). The chart's identity (its
//! ServiceAccount's token, nothing else) may do what ksflux needs and no more: the other
//! suites run ksflux as it, and here it is refused Secrets elsewhere, nodes and
//! ClusterRoleBindings.

mod support;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use k8s_openapi::api::{apps::v1::Deployment, core::v1::ServiceAccount, rbac::v1::ClusterRole};
use ksflux_testbed::{Testbed, apply, create_namespace, delete_namespace, unique_name};
use kube::Api;
use serde_json::Value;

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/chart/ksflux")
}

fn helm(tb: &Testbed, args: &[&str]) -> Output {
    Command::new(tb.info.bin_dir.join("helm"))
        .args(args)
        .env("HELM_CACHE_HOME", tb.info.state_dir.join("helm/cache"))
        .env("HELM_CONFIG_HOME", tb.info.state_dir.join("helm/config"))
        .env("HELM_DATA_HOME", tb.info.state_dir.join("helm/data"))
        .output()
        .expect("run helm")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The objects `helm template` renders, as JSON.
fn render(tb: &Testbed, extra: &[&str]) -> Vec<Value> {
    render_chart(tb, &chart(), extra)
}

/// The objects `helm template` renders of `chart`, as JSON.
fn render_chart(tb: &Testbed, chart: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "template",
        "ksflux",
        chart.to_str().unwrap_or_default(),
        "--namespace",
        "ksflux-system",
        "--include-crds",
    ];
    args.extend_from_slice(extra);
    let out = helm(tb, &args);
    assert!(out.status.success(), "helm template: {}", text(&out));
    let yaml = String::from_utf8_lossy(&out.stdout).to_string();
    yaml.split("\n---")
        .filter_map(|doc| serde_yaml_ng::from_str::<Value>(doc).ok())
        .filter(|v| v.is_object())
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} rendered"))
}

/// The rules of the ClusterRole rendered whose name ends with `suffix`, as `group/resource:
/// verbs [names]` lines.
fn rules(objects: &[Value], suffix: &str) -> Vec<String> {
    let role = objects
        .iter()
        .find(|o| {
            o["kind"] == "ClusterRole"
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no ClusterRole *{suffix}"));
    let list = |v: &Value| -> String {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    };
    role["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}/{}: {} [{}]",
                list(&r["apiGroups"]),
                list(&r["resources"]),
                list(&r["verbs"]),
                list(&r["resourceNames"])
            )
        })
        .collect()
}

/// Platform-level applications are off unless a platform admin names their namespace: only
/// then does ksflux get the flag and the right to bind the platform role cluster-wide, on the
/// host (ksflux chart) and on a member (ksflux-agent chart's `platformRole`).
#[test]
fn platform_level_rights_are_granted_only_when_a_platform_namespace_is_chosen() {
    let tb = Testbed::shared();
    let crb_rule = "rbac.authorization.k8s.io/clusterrolebindings: get,list,create,update,patch,delete []";
    let bind_rule = "rbac.authorization.k8s.io/clusterroles: bind [infra-admin]";
    let off = render(tb, &[]);
    let args = find(&off, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(!args.contains("--platform-namespace"), "{args}");
    assert!(
        !rules(&off, "ksflux")
            .iter()
            .any(|r| r.contains("clusterrolebindings"))
    );
    let on = render(
        tb,
        &[
            "--set",
            "platform.namespace=ksflux-platform",
            "--set",
            "platform.role=infra-admin",
        ],
    );
    let args = find(&on, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(
        args.contains("--platform-namespace=ksflux-platform") && args.contains("--platform-role=infra-admin"),
        "{args}"
    );
    let host_rules = rules(&on, "ksflux");
    assert!(host_rules.iter().any(|r| r == crb_rule), "{host_rules:#?}");
    assert!(host_rules.iter().any(|r| r == bind_rule), "{host_rules:#?}");
    let out = helm(
        tb,
        &[
            "template",
            "ksflux",
            chart().to_str().unwrap_or_default(),
            "--set",
            "platform.namespace=Not_A_Name",
        ],
    );
    assert!(!out.status.success(), "an invalid namespace is refused");

    let agent = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/chart/ksflux-agent");
    let off = rules(&render_chart(tb, &agent, &[]), "ksflux-agent");
    assert!(!off.iter().any(|r| r.contains("clusterrolebindings")), "{off:#?}");
    let on = rules(
        &render_chart(tb, &agent, &["--set", "platformRole=infra-admin"]),
        "ksflux-agent",
    );
    assert!(on.iter().any(|r| r == crb_rule), "{on:#?}");
    assert!(on.iter().any(|r| r == bind_rule), "{on:#?}");
}

#[test]
fn the_chart_lints_and_renders_a_locked_down_deployment_with_its_crd() {
    let tb = Testbed::shared();
    let chart = chart();
    let out = helm(tb, &["lint", "--strict", chart.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "helm lint: {}", text(&out));

    let objects = render(tb, &[]);
    let mut kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
            "Deployment",
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount"
        ]
    );
    let d = find(&objects, "Deployment");
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["image"], "ksflux/ksflux:0.1.0");
    let args: Vec<&str> = c["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(args.contains(&"--namespace=ksflux-system"), "{args:?}");
    assert!(args.contains(&"--console-dir=/console"), "{args:?}");
    assert!(args.contains(&"--project-role=ksflux-project"), "{args:?}");
    // The history: SQLite on a volume (the root filesystem is read-only), events via the Service.
    assert!(args.contains(&"--data-dir=/var/lib/ksflux"), "{args:?}");
    assert!(
        args.contains(&"--events-url=http://ksflux.ksflux-system.svc:80"),
        "{args:?}"
    );
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/var/lib/ksflux");
    assert!(pod["volumes"][0]["emptyDir"].is_object(), "{}", pod["volumes"]);

    // Least privilege: no write to cluster-wide RBAC; no nodes; pods and workloads read-only; no Secrets cluster-wide;
    // `bind` only to `admin` and the project role (Secrets, bound per project namespace).
    let role_named = |name: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == "ClusterRole" && o["metadata"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no ClusterRole {name}"))
    };
    let project = role_named("ksflux-project");
    assert_eq!(
        project["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["secrets"],
                            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}])
    );
    let rules = role_named("ksflux")["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for r in &rules {
        let resources: Vec<&str> = r["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert!(!resources.contains(&"clusterrolebindings"), "{r}");
        assert!(
            !resources.contains(&"nodes") && !resources.contains(&"secrets"),
            "{r}"
        );
        // Pods and workloads are read (workload health), never written.
        if resources.contains(&"pods") || resources.contains(&"deployments") {
            assert_eq!(r["verbs"], serde_json::json!(["get", "list", "watch"]), "{r}");
        }
        if resources.contains(&"clusterroles") {
            assert_eq!(
                r["resourceNames"],
                serde_json::json!(["admin", "ksflux-project"]),
                "{r}"
            );
            assert_eq!(r["verbs"], serde_json::json!(["bind"]), "{r}");
        }
    }
    // The CRD is the one `ksflux crds` prints.
    let shipped =
        std::fs::read_to_string(chart.join("crds/applications.fluxcd.kubesphere.io.yaml")).expect("crd file");
    let current = ksflux::applications::crds_yaml().expect("crds");
    assert!(
        shipped == current,
        "deploy/chart/ksflux/crds is stale: run `ksflux crds > deploy/chart/ksflux/crds/applications.fluxcd.kubesphere.io.yaml`"
    );

    // Settings reach the objects.
    let objects = render(
        tb,
        &[
            "--set",
            "replicas=3",
            "--set",
            "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "--set",
            "console.enabled=false",
            "--set",
            "trustedProxies={10.0.0.1}",
            "--set",
            "history.database.secretName=ksflux-db",
            "--set",
            "history.persistentVolumeClaim=ksflux-data",
        ],
    );
    let d = find(&objects, "Deployment");
    assert_eq!(d["spec"]["replicas"], 3);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert!(
        c["image"]
            .as_str()
            .unwrap_or_default()
            .ends_with("@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    );
    let args = c["args"].to_string();
    assert!(!args.contains("--console-dir"), "{args}");
    assert!(args.contains("--trusted-proxy=10.0.0.1"), "{args}");
    let env = c["env"].to_string();
    assert!(
        env.contains("KSFLUX_DATABASE_URL") && env.contains("ksflux-db"),
        "{env}"
    );
    let volumes = &d["spec"]["template"]["spec"]["volumes"];
    assert_eq!(
        volumes[0]["persistentVolumeClaim"]["claimName"], "ksflux-data",
        "{volumes}"
    );
}

#[test]
fn values_that_break_the_schema_are_refused_naming_the_field() {
    let tb = Testbed::shared();
    let chart = chart();
    for (set, field) in [
        ("replicas=two", "replicas"),
        ("bogus=1", "bogus"),
        ("log.format=xml", "format"),
        ("leaderElection.leaseSeconds=1", "leaseSeconds"),
        ("history.retentionDays=0", "retentionDays"),
    ] {
        let out = helm(
            tb,
            &["template", "x", chart.to_str().unwrap_or_default(), "--set", set],
        );
        let said = text(&out);
        assert!(!out.status.success(), "{set} was accepted");
        assert!(said.contains("schema") && said.contains(field), "{set}: {said}");
    }
}

#[tokio::test]
async fn the_chart_installs_into_the_host_and_uninstalls() {
    let tb = Testbed::shared();
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("ksflux-chart")).await;
    let release = unique_name("chart");
    let chart = chart();
    let kubeconfig = tb.cluster("host").kubeconfig.clone();
    let kc = kubeconfig.to_str().unwrap_or_default();
    let started = std::time::Instant::now();
    let out = helm(
        tb,
        &[
            "install",
            &release,
            chart.to_str().unwrap_or_default(),
            "--namespace",
            &ns,
            "--kubeconfig",
            kc,
            "--wait",
            "--timeout",
            "3m",
        ],
    );
    assert!(out.status.success(), "helm install: {}", text(&out));
    // Reported, not asserted: both pods run on the testbed's KWOK nodes.
    eprintln!("helm install --wait took {:.1}s", started.elapsed().as_secs_f64());

    let name = format!("{release}-ksflux");
    let deployment = Api::<Deployment>::namespaced(host.clone(), &ns)
        .get(&name)
        .await
        .expect("the Deployment");
    assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(2));
    Api::<ServiceAccount>::namespaced(host.clone(), &ns)
        .get(&name)
        .await
        .expect("the ServiceAccount");
    Api::<ClusterRole>::all(host.clone())
        .get(&name)
        .await
        .expect("the ClusterRole");

    let out = helm(
        tb,
        &["uninstall", &release, "--namespace", &ns, "--kubeconfig", kc],
    );
    assert!(out.status.success(), "helm uninstall: {}", text(&out));
    assert!(
        Api::<ClusterRole>::all(host.clone())
            .get_opt(&name)
            .await
            .expect("get")
            .is_none(),
        "the ClusterRole stayed"
    );
    delete_namespace(&host, &ns).await;
}

#[tokio::test]
async fn flux_installs_the_chart_from_the_oci_registry_and_waits_for_its_pods() {
    let tb = Testbed::shared();
    let f = &tb.info.fixtures;
    let host = tb.client("host").await;
    let ns = create_namespace(&host, &unique_name("ksflux-flux")).await;
    let release = unique_name("viaflux");
    let chart = chart();
    let dir = tb.info.state_dir.join("helm").join(&release);
    let out = helm(
        tb,
        &[
            "package",
            chart.to_str().unwrap_or_default(),
            "-d",
            dir.to_str().unwrap_or_default(),
        ],
    );
    assert!(out.status.success(), "helm package: {}", text(&out));
    let package = dir.join("ksflux-0.1.0.tgz");
    let repo = format!("oci://{}/{release}", f.registry);
    let out = helm(
        tb,
        &[
            "push",
            package.to_str().unwrap_or_default(),
            &repo,
            "--plain-http",
            "--username",
            &f.user,
            "--password",
            &f.password,
        ],
    );
    assert!(out.status.success(), "helm push: {}", text(&out));

    // The chart creates cluster-wide RBAC and a CRD: its installer must be a cluster admin.
    apply(&host, tb.registry_secret(&ns, "regcred")).await;
    apply(&host, serde_json::json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "installer", "namespace": ns}})).await;
    apply(
        &host,
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": format!("{ns}-installer")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "installer", "namespace": ns}]}),
    )
    .await;
    apply(&host, serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
        "metadata": {"name": "ksflux", "namespace": ns},
        "spec": {"type": "oci", "url": repo, "insecure": true, "interval": "10m", "secretRef": {"name": "regcred"}}})).await;
    apply(&host, serde_json::json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "ksflux", "namespace": ns},
        "spec": {"interval": "10m", "releaseName": release, "serviceAccountName": "installer", "timeout": "3m",
                 "chart": {"spec": {"chart": "ksflux", "version": "0.1.0", "sourceRef": {"kind": "HelmRepository", "name": "ksflux"}}},
                 "values": {"replicas": 2}}})).await;
    tb.wait_ready(
        &host,
        "HelmRelease",
        &ns,
        "ksflux",
        std::time::Duration::from_secs(240),
    )
    .await;
    let name = format!("{release}-ksflux");
    let d = Api::<Deployment>::namespaced(host.clone(), &ns)
        .get(&name)
        .await
        .expect("the Deployment");
    assert_eq!(
        d.status.and_then(|s| s.ready_replicas),
        Some(2),
        "Flux waited for both pods"
    );
    Api::<ClusterRole>::all(host.clone())
        .get(&name)
        .await
        .expect("the ClusterRole");

    // Deleting the HelmRelease uninstalls the chart.
    ksflux_testbed::delete_and_wait(
        &host,
        &ksflux_testbed::flux_resource("HelmRelease"),
        Some(&ns),
        "ksflux",
        std::time::Duration::from_secs(120),
    )
    .await;
    assert!(
        Api::<ClusterRole>::all(host.clone())
            .get_opt(&name)
            .await
            .expect("get")
            .is_none(),
        "the ClusterRole stayed"
    );
    let _ = Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(host.clone())
        .delete(&format!("{ns}-installer"), &Default::default())
        .await;
    delete_namespace(&host, &ns).await;
}

/// Whether the chart's identity may `verb` `resource` (`group`) in `namespace`, as the
/// apiserver decides (a SelfSubjectAccessReview sent with its token).
async fn chart_identity_may(
    client: &kube::Client,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> bool {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                namespace: namespace.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&Default::default(), &review)
        .await
        .expect("a SelfSubjectAccessReview")
        .status
        .is_some_and(|s| s.allowed)
}

#[tokio::test]
async fn the_chart_identity_is_refused_secrets_elsewhere_nodes_and_cluster_role_bindings() {
    use k8s_openapi::api::{
        core::v1::{Node, Secret},
        rbac::v1::ClusterRoleBinding,
    };
    let tb = Testbed::shared();
    let config = support::identity_config(tb).await;
    let me = kube::Client::try_from(config).expect("the identity's client");
    // What it needs.
    for (verb, group, resource, ns) in [
        ("list", "", "secrets", Some("ksflux-system")),
        ("create", "coordination.k8s.io", "leases", Some("ksflux-system")),
        (
            "create",
            "kustomize.toolkit.fluxcd.io",
            "kustomizations",
            Some("team-a"),
        ),
        ("create", "authorization.k8s.io", "subjectaccessreviews", None),
        ("impersonate", "", "users", None),
    ] {
        assert!(
            chart_identity_may(&me, verb, group, resource, ns).await,
            "{verb} {resource} in {ns:?}"
        );
    }
    // What it must not do, asked and tried.
    for (verb, group, resource, ns) in [
        ("get", "", "secrets", Some("kube-system")),
        ("list", "", "secrets", Some("flux-system")),
        ("list", "", "secrets", None),
        ("list", "", "nodes", None),
        ("create", "rbac.authorization.k8s.io", "clusterrolebindings", None),
        ("escalate", "rbac.authorization.k8s.io", "clusterroles", None),
        ("delete", "", "pods", Some("team-a")),
        ("create", "apps", "deployments", Some("team-a")),
    ] {
        assert!(
            !chart_identity_may(&me, verb, group, resource, ns).await,
            "{verb} {resource} in {ns:?}"
        );
    }
    let forbidden = |e: kube::Error| matches!(e, kube::Error::Api(s) if s.code == 403);
    let secrets = Api::<Secret>::namespaced(me.clone(), "kube-system")
        .list(&Default::default())
        .await;
    assert!(secrets.is_err_and(forbidden), "Secrets of kube-system");
    let nodes = Api::<Node>::all(me.clone()).list(&Default::default()).await;
    assert!(nodes.is_err_and(forbidden), "nodes");
    let crb: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": unique_name("escalate")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "ksflux", "namespace": "ksflux-system"}]
    }))
    .expect("a ClusterRoleBinding");
    let created = Api::<ClusterRoleBinding>::all(me)
        .create(&Default::default(), &crb)
        .await;
    assert!(
        created.is_err_and(forbidden),
        "a ClusterRoleBinding to cluster-admin"
    );
}

/// The agent chart (`deploy/chart/ksflux-agent`), installed into a member with `helm
/// install`: a cluster registered with its identity's token (nothing else) gives ksflux what it
/// needs to set up a project in agent mode — the member's Flux is checked, the project's agent
/// identity is made and can write a source there — and the registered identity may not bind
/// cluster-admin, create ClusterRoleBindings or run workloads.
#[tokio::test]
async fn the_agent_chart_identity_sets_up_a_project_in_agent_mode_and_no_more() {
    use k8s_openapi::api::{
        core::v1::Secret,
        rbac::v1::{ClusterRoleBinding, RoleBinding},
    };
    let tb = Testbed::shared();
    let member = tb.client("member-1").await;
    let ns = create_namespace(&member, &unique_name("ksflux-agent")).await;
    let release = unique_name("agent");
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/chart/ksflux-agent");
    let kubeconfig = tb.cluster("member-1").kubeconfig.clone();
    let kc = kubeconfig.to_str().unwrap_or_default();
    let out = helm(tb, &["lint", chart.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "helm lint: {}", text(&out));
    let out = helm(
        tb,
        &[
            "install",
            &release,
            chart.to_str().unwrap_or_default(),
            "--namespace",
            &ns,
            "--kubeconfig",
            kc,
        ],
    );
    assert!(out.status.success(), "helm install: {}", text(&out));
    let name = format!("{release}-ksflux-agent");
    // The token controller fills the token Secret.
    let secrets: Api<Secret> = Api::namespaced(member.clone(), &ns);
    let token = ksflux_testbed::wait_for(
        "the identity's token",
        std::time::Duration::from_secs(60),
        || async {
            let s = secrets
                .get(&format!("{name}-token"))
                .await
                .map_err(|e| e.to_string())?;
            s.data
                .and_then(|d| d.get("token").cloned())
                .map(|t| String::from_utf8_lossy(&t.0).to_string())
                .ok_or_else(|| "no token yet".to_string())
        },
    )
    .await;

    // Register member-1 with that token only, in agent mode, in a registry of its own.
    let host = tb.client("host").await;
    let registry = support::register_members_with(tb, &host, "ksflux-agent-reg", &[]).await;
    let mut kc_value = tb.kubeconfig("member-1");
    for u in &mut kc_value.auth_infos {
        if let Some(a) = u.auth_info.as_mut() {
            a.token = Some(token.clone().into());
        }
    }
    let yaml = serde_yaml_ng::to_string(&kc_value).expect("kubeconfig yaml");
    let registration: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "cluster-member-1", "labels": {"fluxcd.kubesphere.io/cluster": "member-1"},
            "annotations": {"fluxcd.kubesphere.io/delivery-mode": "agent"}},
        "data": {"kubeconfig": k8s_openapi::ByteString(yaml.into_bytes())},
    }))
    .expect("a registration Secret");
    let reg: Api<Secret> = Api::namespaced(host.clone(), &registry);
    reg.replace("cluster-member-1", &Default::default(), &registration)
        .await
        .expect("register member-1 with the agent chart's identity");
    let clusters = ksflux::clusters::Clusters::new(support::identity_config(tb).await, registry.clone())
        .expect("clusters");
    clusters.refresh().await;
    let cluster = clusters.get("member-1").expect("member-1 registered");
    assert_eq!(cluster.mode(), ksflux::clusters::Mode::Agent);
    let health = cluster.health();
    assert!(health.reachable, "{health:?}");
    assert_eq!(health.flux_version.as_deref(), Some("v2.9.4"), "{health:?}");
    assert_eq!(ksflux::clusters::agent_blocked("member-1", &health), None);

    // A project set up in agent mode with that identity; its agent identity writes a source.
    let project = unique_name("agent-proj");
    let scope: std::collections::BTreeSet<String> = [project.clone()].into();
    let (agent, _) = ksflux::applications::access::ensure_agent(
        &cluster,
        &project,
        &scope,
        &ksflux::applications::access::Rights {
            role: "admin".into(),
            cluster_wide: false,
        },
    )
    .await
    .expect("the project's agent identity");
    let source = serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "demo", "namespace": project},
        "spec": {"interval": "5m", "url": format!("{}/demo.git", tb.info.fixtures.git_url), "ref": {"branch": "main"}}});
    apply(&agent, source).await;

    // The registered identity: no cluster-admin binding, no ClusterRoleBindings, no workloads.
    let mut own = tb.kubeconfig("member-1");
    for u in &mut own.auth_infos {
        if let Some(a) = u.auth_info.as_mut() {
            a.token = Some(token.clone().into());
        }
    }
    let registered = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(own, &Default::default())
            .await
            .expect("config"),
    )
    .expect("client");
    let rb: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "to-cluster-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
    }))
    .expect("a RoleBinding");
    let refused = Api::<RoleBinding>::namespaced(registered.clone(), &project)
        .create(&Default::default(), &rb)
        .await;
    assert!(
        matches!(refused, Err(kube::Error::Api(ref s)) if s.code == 403),
        "{refused:?}"
    );
    let crb: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("{ns}-escalate")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
    }))
    .expect("a ClusterRoleBinding");
    let refused = Api::<ClusterRoleBinding>::all(registered.clone())
        .create(&Default::default(), &crb)
        .await;
    assert!(
        matches!(refused, Err(kube::Error::Api(ref s)) if s.code == 403),
        "{refused:?}"
    );
    assert!(!chart_identity_may(&registered, "create", "apps", "deployments", Some(&project)).await);
    assert!(!chart_identity_may(&registered, "get", "", "nodes", None).await);

    ksflux::applications::access::revoke(&host, Some(&cluster), &project)
        .await
        .expect("revoke");
    let out = helm(
        tb,
        &["uninstall", &release, "--namespace", &ns, "--kubeconfig", kc],
    );
    assert!(out.status.success(), "helm uninstall: {}", text(&out));
    delete_namespace(&member, &project).await;
    delete_namespace(&member, &ns).await;
    delete_namespace(&host, &registry).await;
}
