//! Notifications API against the testbed: a Provider whose only secret is its webhook address
//! (kept in a Secret, never returned, never echoed in an error), and a Receiver's webhook
//! URL as notification-controller serves it, readable only by who may read the Receiver.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use ksflux_testbed::{unique_name, wait_for};
use kube::Api;
use serde_json::json;
use support::{Server, path};

const NS: &str = "team-a";
const READY: Duration = Duration::from_secs(120);

#[tokio::test]
async fn a_slack_provider_keeps_its_webhook_address_in_a_secret_and_never_returns_it() {
    let s = Server::start().await;
    let name = unique_name("slack");
    let hook = "https://hooks.slack.example/services/T0/B0/very-secret-part";
    let r = s
        .post(
            "admin",
            &path(NS, "providers"),
            &json!({"metadata": {"name": name}, "spec": {"type": "slack"},
                    "credentials": {"type": "token", "address": hook}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!r.text.contains("very-secret-part"), "{}", r.text);
    assert_eq!(r.body["spec"].get("address"), None, "{}", r.body["spec"]);
    let secret_name = r.body["credentialStatus"]["auth"]["secretName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(r.body["spec"]["secretRef"]["name"], secret_name.as_str());
    let secrets: Api<Secret> = Api::namespaced(s.tb.client("host").await, NS);
    let data = secrets
        .get(&secret_name)
        .await
        .expect("secret")
        .data
        .unwrap_or_default();
    assert_eq!(data.get("address").map(|b| b.0.as_slice()), Some(hook.as_bytes()));
    assert!(!data.contains_key("token"), "no empty token key");
    let got = s.get("admin", &format!("{}/{name}", path(NS, "providers"))).await;
    assert!(!got.text.contains("very-secret-part"), "{}", got.text);

    // A malformed secret address: 422 naming the field, without the value, nothing written.
    let bad = unique_name("slack");
    let r = s
        .post(
            "admin",
            &path(NS, "providers"),
            &json!({"metadata": {"name": bad}, "spec": {"type": "slack"},
                    "credentials": {"type": "token", "address": "hooks.example/very-secret-part"}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"], "credentials.address",
        "{}",
        r.text
    );
    assert!(!r.text.contains("very-secret-part"), "{}", r.text);
    let gone = s.get("admin", &format!("{}/{bad}", path(NS, "providers"))).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    s.delete("admin", &format!("{}/{name}", path(NS, "providers")))
        .await;
}

#[tokio::test]
async fn a_receivers_webhook_url_is_its_path_below_the_receiver_address() {
    let s = Server::start().await;
    let name = unique_name("hook");
    let r = s
        .post(
            "admin",
            &path(NS, "receivers"),
            &json!({"metadata": {"name": name},
                    "spec": {"type": "generic", "resources": [{"kind": "GitRepository", "name": "samples"}]},
                    "credentials": {"type": "token", "token": "a-receiver-token"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let item = format!("{}/{name}/webhook", path(NS, "receivers"));
    let hook = wait_for("the Receiver's path", READY, || async {
        let r = s.get("admin", &item).await;
        if r.status == 200 && r.body["path"].is_string() {
            Ok(r.body)
        } else {
            Err(format!("{} {}", r.status, r.text))
        }
    })
    .await;
    let p = hook["path"].as_str().unwrap_or_default();
    assert!(p.starts_with("/hook/"), "{hook}");
    assert_eq!(
        hook["url"],
        format!("{}{p}", s.tb.info.flux.receiver_url),
        "{hook}"
    );
    let receiver = s.get("admin", &format!("{}/{name}", path(NS, "receivers"))).await;
    assert_eq!(receiver.body["status"]["webhookPath"], p);
    // bob views team-a; carol may not read it at all.
    assert_eq!(s.get("bob", &item).await.status, 200);
    let carol = s.get("carol", &item).await;
    assert_eq!(carol.status, 403, "{}", carol.text);
    assert!(!carol.text.contains("/hook/"), "{}", carol.text);
    s.delete("admin", &format!("{}/{name}", path(NS, "receivers")))
        .await;
}
