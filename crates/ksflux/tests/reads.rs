//! Lists and gets answered from the watch caches, against the testbed: a user reads their own
//! writes at once, a namespace-limited user's list of every namespace shows only what they may
//! list (the clusters' RBAC, asked through SubjectAccessReviews), label selectors match as the
//! apiserver's do, and reads of objects without credentials send no request to the apiserver
//! as the user (ksflux's `ksflux_kube_requests` metric). One test in its own binary, so the
//! process-wide request counter sees no other test's traffic.

mod support;

use std::time::Duration;

use ksflux_testbed::{unique_name, wait_for};
use serde_json::{Value, json};
use support::{Server, path};

fn repo(name: &str, tier: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"tier": tier}},
        "spec": {"url": "https://git.example.com/app.git", "interval": "10m", "ref": {"branch": "main"}, "suspend": true},
    })
}

fn names(r: &support::Reply) -> Vec<String> {
    let mut n: Vec<String> = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    n.sort();
    n
}

/// Requests sent to the host's apiserver as a user, from ksflux's metrics.
async fn user_requests(s: &Server) -> f64 {
    let metrics = reqwest::get(format!("{}/metrics", s.url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("ksflux_kube_requests_total{")
                && l.contains("identity=\"user\"")
                && l.contains("cluster=\"host\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn lists_and_gets_come_from_the_caches_filtered_for_each_user() {
    let s = Server::start().await;
    let api = "/kapis/fluxcd.kubesphere.io/v1alpha1";
    let (a, b) = (unique_name("web"), unique_name("db"));
    // team-a: alice edits it; team-b: carol does, alice may not even list it.
    for (ns, name, tier) in [("team-a", &a, "web"), ("team-b", &b, "db")] {
        let r = s
            .post("admin", &path(ns, "gitrepositories"), &repo(name, tier))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        // Read your writes: the next list shows it.
        let r = s
            .get("admin", &format!("{}?limit=1000", path(ns, "gitrepositories")))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            names(&r).contains(name),
            "{name} missing right after its creation: {:?}",
            names(&r)
        );
    }

    // Once the host's GitRepository cache is listed, reads are answered from it.
    wait_for("the host's caches", Duration::from_secs(30), || async {
        let r = s.get("admin", &format!("{api}/status/summary")).await;
        let synced = r.body["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["name"] == "host" && c["state"] == "synced");
        if synced { Ok(()) } else { Err(r.text) }
    })
    .await;
    let before = user_requests(&s).await;
    let all = s
        .get(
            "admin",
            // Only this test's objects (labelled `tier`): others' reference credentials, whose
            // metadata is read as the user, from the cluster.
            &format!("{api}/gitrepositories?limit=1000&sortBy=name&ascending=true&labelSelector=tier"),
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    let listed = names(&all);
    assert!(listed.contains(&a) && listed.contains(&b), "{listed:?}");
    let one = s
        .get("admin", &format!("{}/{a}", path("team-a", "gitrepositories")))
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["metadata"]["labels"]["tier"], "web");
    assert_eq!(
        one.body["summary"]["state"], "suspended",
        "{}",
        one.body["summary"]
    );
    assert_eq!(
        user_requests(&s).await,
        before,
        "a list and a get of objects without credentials asked the apiserver"
    );

    // alice lists every namespace: she sees team-a's object, not team-b's (not a 403).
    let mine = s.get("alice", &format!("{api}/gitrepositories?limit=1000")).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let seen = names(&mine);
    assert!(seen.contains(&a), "{seen:?}");
    assert!(!seen.contains(&b), "alice sees team-b's object: {seen:?}");
    assert_eq!(mine.body["totalItems"], seen.len());
    // team-b itself: the cluster's answer, 403.
    let r = s.get("alice", &path("team-b", "gitrepositories")).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = s
        .get("alice", &format!("{}/{b}", path("team-b", "gitrepositories")))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Label selectors, as the apiserver reads them; a bad one names the parameter.
    let web = s
        .get(
            "admin",
            &format!("{api}/gitrepositories?limit=1000&labelSelector=tier%20in%20(web,front),tier!=db"),
        )
        .await;
    assert_eq!(web.status, 200, "{}", web.text);
    assert!(
        names(&web).contains(&a) && !names(&web).contains(&b),
        "{:?}",
        names(&web)
    );
    let bad = s
        .get(
            "admin",
            &format!("{api}/gitrepositories?labelSelector=tier%20in%20web"),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(
        bad.body["details"]["causes"][0]["field"], "labelSelector",
        "{}",
        bad.text
    );

    // A deletion shows at once: gone, or being deleted.
    let r = s
        .delete("admin", &format!("{}/{a}", path("team-a", "gitrepositories")))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s
        .get(
            "admin",
            &format!("{}?limit=1000", path("team-a", "gitrepositories")),
        )
        .await;
    let left: Vec<Value> = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["metadata"]["name"] == a.as_str())
        .cloned()
        .collect();
    assert!(
        left.iter()
            .all(|o| o["metadata"]["deletionTimestamp"].is_string()),
        "deleted object still listed as live: {left:?}"
    );
    let _ = s
        .delete("admin", &format!("{}/{b}", path("team-b", "gitrepositories")))
        .await;
}
