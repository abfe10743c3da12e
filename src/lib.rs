//! authz-chain: a Kubernetes authorization webhook that answers SubjectAccessReviews with an
//! ordered chain of authorizers, configured by kube-apiserver's `AuthorizationConfiguration`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod authorizers;
pub mod authz;
pub mod build;
pub mod cel;
pub mod config;
pub mod crypto;
pub mod eval;
pub mod field;
pub mod go;
pub mod health;
pub mod loadgen;
pub mod metrics;
pub mod replay;
pub mod review;
pub mod samples;
pub mod server;
pub mod state;
pub mod throttle;
