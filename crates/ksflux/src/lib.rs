//! ksflux: FluxCD for KubeSphere — a REST API over Flux resources in many clusters.
//!
//! Modules follow the domain: [`clusters`] (host and members, health), [`sources`] (Flux
//! source kinds), [`resources`] (operations shared by every Flux kind), [`credentials`]
//! (friendly credentials stored as Secrets), [`auth`] (who is calling), [`validation`],
//! [`error`] (Kubernetes `Status` errors) and [`http`] (routes and OpenAPI).

pub mod auth;
pub mod cli;
pub mod clusters;
pub mod credentials;
pub mod error;
pub mod http;
pub mod resources;
pub mod sources;
pub mod validation;
