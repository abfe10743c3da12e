//! The authorizers a chain can hold. Each knows nothing of the others.

pub mod rbac;
pub mod webhook;
