//! ksflux: FluxCD for KubeSphere — a REST API over Flux resources in many clusters.
//!
//! Modules follow the domain: [`clusters`] (host and members, health); [`sources`],
//! [`delivery`], [`notifications`] and [`images`] (the Flux kinds and their rules; image
//! policies, setter markers, ksflux's git commits); [`image_updates`] (applications following
//! image policies, promotions); [`history`] (release history and audit log, durable);
//! [`resources`] (operations shared by every Flux kind); [`credentials`] (friendly
//! credentials stored as Secrets); [`platform`] (platform-level applications); [`auth`] (who
//! is calling); [`validation`]; [`error`] (Kubernetes `Status` errors); [`http`] (routes and
//! OpenAPI).

pub mod applications;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod clusters;
pub mod credentials;
pub mod delivery;
pub mod distribution;
pub mod error;
pub mod history;
pub mod http;
pub mod image_updates;
pub mod images;
pub mod inventory;
pub mod kinds;
pub mod leader;
pub mod limits;
pub mod notifications;
pub mod objects;
pub mod platform;
pub mod resources;
pub mod sources;
pub mod status;
pub mod timing;
pub mod validation;
pub mod workloads;
