//! Flux resource types.
