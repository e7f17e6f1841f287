//! Status: watch caches over every Flux kind in every reachable cluster, the fleet summary,
//! and a Server-Sent Events stream of changes.

use utoipa_axum::router::OpenApiRouter;

use crate::{clusters::Clusters, http::ApiContext};

/// The watch caches of every cluster.
#[derive(Clone, Default)]
pub struct Fleet {}

impl Fleet {
    /// Starts watching every Flux kind in every cluster of `clusters`.
    pub fn start(_clusters: Clusters) -> Fleet {
        Fleet {}
    }
}

/// Routes of the status API.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new()
}
