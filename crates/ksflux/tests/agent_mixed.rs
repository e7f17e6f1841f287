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
