//! The `ksflux` binary: FluxCD for KubeSphere.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ksflux::cli::Args::parse().run().await
}
