//! Flux objects, any kind, in any cluster: list, get, create, update, delete and the actions
//! `reconcile`, `suspend` and `resume`. Each kind is a [`FluxKind`] descriptor (its API, its
//! validation and where its credentials go); the operations here are the same for every kind.
//!
//! Every call to a cluster is made as the requesting user (impersonation), so the cluster's
//! RBAC decides. A write is first sent as a server-side dry run, so a request the apiserver
//! would refuse writes nothing — not even its credential Secrets.
//!
//! - `view`: what the API returns for an object, and its status summary;
//! - `request`: what requests carry (bodies and query parameters);
//! - `paging`: filtering, sorting and paging;
//! - `scope`: the operations, as one user, in one cluster;
//! - `secrets`: the credential Secrets the writes manage.

mod paging;
mod request;
mod scope;
mod secrets;
mod view;

pub use paging::*;
pub use request::*;
pub use scope::*;
pub use view::*;

/// Annotation Flux watches to reconcile now.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Annotation asking helm-controller for a one-off forced install or upgrade.
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// Annotation asking helm-controller to reset its failure counters.
pub const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";
/// Annotation recording who last suspended, resumed or changed an object through ksflux.
pub const LAST_ACTION: &str = "fluxcd.kubesphere.io/last-action";

/// A time as Kubernetes writes it in statuses: RFC 3339 in UTC, whole seconds
/// (`2026-11-27T10:00:00Z`), so every time ksflux writes has the same form as Flux's.
pub fn status_time(t: jiff::Timestamp) -> String {
    let whole = jiff::TimestampRound::new()
        .smallest(jiff::Unit::Second)
        .mode(jiff::RoundMode::Trunc);
    t.round(whole).unwrap_or(t).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_times_are_whole_seconds_like_kubernetes_writes_them() {
        let t: jiff::Timestamp = "2026-11-27T23:49:56.985787495Z".parse().expect("time");
        assert_eq!(super::status_time(t), "2026-11-27T23:49:56Z");
        let whole: jiff::Timestamp = "2026-11-27T23:49:56Z".parse().expect("time");
        assert_eq!(super::status_time(whole), "2026-11-27T23:49:56Z");
    }

    #[test]
    fn applied_revision_of_kustomizations_and_helm_releases() {
        let ks = json!({"status": {"lastAppliedRevision": "main@sha1:abc"}});
        assert_eq!(super::applied_revision(&ks).as_deref(), Some("main@sha1:abc"));
        let hr = json!({"status": {"history": [{"chartVersion": "1.0.0", "status": "deployed"}, {"chartVersion": "0.2.0"}]}});
        assert_eq!(super::applied_revision(&hr).as_deref(), Some("1.0.0"));
        assert_eq!(super::applied_revision(&json!({"status": {}})), None);
    }

    use serde_json::{Value, json};

    use super::*;

    fn obj(ready: &str, suspend: bool) -> Value {
        json!({"metadata": {"name": "a", "generation": 2},
               "spec": {"suspend": suspend},
               "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": ready, "reason": "R", "message": "m"}],
                          "artifact": {"revision": "main@sha1:abc"}}})
    }

    #[test]
    fn summary_reads_flux_conditions() {
        assert_eq!(summarize(&obj("True", false)).state, State::Ready);
        assert_eq!(summarize(&obj("False", false)).state, State::Failed);
        assert_eq!(summarize(&obj("Unknown", false)).state, State::Progressing);
        assert_eq!(summarize(&obj("True", true)).state, State::Suspended);
        assert_eq!(summarize(&json!({"metadata": {}})).state, State::Unknown);
        let s = summarize(&obj("True", false));
        assert_eq!(s.revision.as_deref(), Some("main@sha1:abc"));
        assert_eq!(s.reason, "R");
    }

    #[test]
    fn waiting_for_a_dependency_or_a_source_is_progressing_not_failed() {
        let with = |reason: &str, message: &str| {
            let mut o = obj("False", false);
            o["status"]["conditions"][0]["reason"] = json!(reason);
            o["status"]["conditions"][0]["message"] = json!(message);
            summarize(&o).state
        };
        assert_eq!(
            with("DependencyNotReady", "dependency 'ns/a' is not ready"),
            State::Progressing
        );
        assert_eq!(
            with(
                "SourceNotReady",
                "HelmChart 'ns/x' is not ready: latest generation of object has not been reconciled"
            ),
            State::Progressing
        );
        assert_eq!(
            with("ArtifactFailed", "Source artifact not found, retrying in 30s"),
            State::Progressing
        );
        assert_eq!(
            with(
                "ArtifactFailed",
                "Source is not ready, artifact not found, retrying in 30s"
            ),
            State::Progressing
        );
        assert_eq!(
            with("ArtifactFailed", "could not get Source object: not found"),
            State::Failed
        );
        assert_eq!(with("HealthCheckFailed", "health check failed"), State::Failed);
    }

    #[test]
    fn a_newer_generation_is_progressing() {
        let mut o = obj("True", false);
        o["metadata"]["generation"] = json!(3);
        assert_eq!(summarize(&o).state, State::Progressing);
    }

    #[test]
    fn reconcile_is_handled_when_tokens_match() {
        let mut o = obj("True", false);
        o["metadata"]["annotations"] = json!({REQUESTED_AT: "t1"});
        assert!(!summarize(&o).reconcile_handled);
        o["status"]["lastHandledReconcileAt"] = json!("t1");
        assert!(summarize(&o).reconcile_handled);
    }

    fn item(name: &str, created: &str) -> ObjectView {
        ObjectView {
            cluster: "host".into(),
            api_version: "v".into(),
            kind: "K".into(),
            metadata: json!({"name": name, "namespace": "ns", "creationTimestamp": created}),
            spec: json!({}),
            status: json!({}),
            summary: summarize(&json!({})),
            credential_status: CredentialsView::default(),
        }
    }

    #[test]
    fn pages_sort_and_filter() {
        let items = vec![
            item("b", "2026-01-02"),
            item("a", "2026-01-01"),
            item("c", "2026-01-03"),
        ];
        let q = ListQuery {
            sort_by: Some("name".into()),
            ascending: Some(true),
            limit: Some(2),
            ..Default::default()
        };
        let p = page(items.clone(), &q);
        assert_eq!(p.total_items, 3);
        let names: Vec<_> = p
            .items
            .iter()
            .map(|i| i.metadata["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let p2 = page(
            items.clone(),
            &ListQuery {
                page: Some(2),
                ..q.clone()
            },
        );
        assert_eq!(p2.items.len(), 1);
        let newest = page(items.clone(), &ListQuery::default());
        assert_eq!(newest.items[0].metadata["name"], "c");
        let filtered = page(
            items,
            &ListQuery {
                name: Some("b".into()),
                ..Default::default()
            },
        );
        assert_eq!(filtered.total_items, 1);
    }

    #[test]
    fn applications_filter_by_target_cluster() {
        let mut a = item("a", "2026-01-01");
        a.spec = json!({"targets": [{"cluster": "host", "namespace": "ns"}, {"cluster": "member-1", "namespace": "ns"}]});
        let mut b = item("b", "2026-01-02");
        b.spec = json!({"targets": [{"cluster": "member-2", "namespace": "ns"}]});
        let q = |t: &str| ListQuery {
            target: Some(t.into()),
            ..Default::default()
        };
        let names = |p: ObjectList| -> Vec<String> {
            p.items
                .iter()
                .map(|i| i.metadata["name"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(names(page(vec![a.clone(), b.clone()], &q("member-1"))), ["a"]);
        assert_eq!(names(page(vec![a.clone(), b.clone()], &q("member-2"))), ["b"]);
        assert!(names(page(vec![a.clone(), b.clone()], &q("member-3"))).is_empty());
        assert_eq!(page(vec![a, b], &q("")).total_items, 2);
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let q = ListQuery {
            page: Some(usize::MAX),
            limit: Some(10_000),
            ..Default::default()
        };
        let p = page(vec![item("a", "2026-01-01")], &q);
        assert!(p.items.is_empty());
        assert_eq!(p.total_items, 1);
    }
}
