//! The authorizers a chain can hold. Each knows nothing of the others.

pub mod node;
pub mod rbac;
pub mod webhook;
