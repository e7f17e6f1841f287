//! A mixed fleet: member-1 in agent mode (its own Flux applies what ksflux puts there),
//! member-2 in hub mode (the host's Flux reaches it), in one application. The application
//! cases of the hub-mode suite run unchanged.

mod support;

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
