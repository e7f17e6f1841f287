//! Every kind the API serves, by family: the one list the routes, the watch caches and the
//! status views go by (see `kinds` for adding one).

use crate::{
    delivery, images,
    kinds::{self, FluxKind},
    notifications, sources,
};

/// Every kind the API serves: ksflux's Application, then Flux's kinds by family.
pub static KINDS: [&FluxKind; 14] = [
    &kinds::APPLICATION,
    &sources::GIT_REPOSITORY,
    &sources::HELM_REPOSITORY,
    &sources::HELM_CHART,
    &sources::BUCKET,
    &sources::OCI_REPOSITORY,
    &delivery::KUSTOMIZATION,
    &delivery::HELM_RELEASE,
    &notifications::PROVIDER,
    &notifications::ALERT,
    &notifications::RECEIVER,
    &images::IMAGE_REPOSITORY,
    &images::IMAGE_POLICY,
    &images::IMAGE_UPDATE_AUTOMATION,
];

/// The kind whose plural is `plural`.
pub fn by_plural(plural: &str) -> Option<&'static FluxKind> {
    KINDS.iter().copied().find(|k| k.plural == plural)
}
