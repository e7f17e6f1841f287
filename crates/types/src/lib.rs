//! Types shared by the ksflux service, its tests and tools: the Flux resource types
//! (generated from the CRDs of the pinned Flux release) and ksflux's own resources.

pub mod application;
pub mod flux;
