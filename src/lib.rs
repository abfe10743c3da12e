//! authz-chain: a Kubernetes authorization webhook that answers SubjectAccessReviews with an
//! ordered chain of authorizers, configured by kube-apiserver's `AuthorizationConfiguration`.
//!
//! The top-level modules form a stack; each uses only its own layer and those below it
//! (`tests/module_layers.rs` checks this and that no two modules use each other):
//!
//! 1. foundations: [`api`] (wire types), [`go`] (Go-compatible text), [`field`] (field
//!    errors), [`crypto`] (the rustls provider), [`throttle`] (rate-limited logs), [`samples`];
//! 2. the decision core: [`authz`] (request, verdict, the `Authorize` trait, the chain, the
//!    guard, the caller's deadline, rule matching shared by RBAC and Node, selectors),
//!    [`metrics`], [`health`] (readiness checks);
//! 3. [`cel`], [`config`] (AuthorizationConfiguration, kubeconfigs), [`review`]
//!    (SubjectAccessReview in and out);
//! 4. [`authorizers`]: RBAC, Node, Webhook, none using another;
//! 5. [`state`]: manifest files, aggregation, live list/watch, and the stores they fill;
//! 6. [`build`]: the one place a configuration and a state become a chain;
//! 7. front ends: [`server`], [`batch`] (the `eval` command: reviews read from a file),
//!    [`replay`], [`loadgen`], [`questions`] (the operators' questions: `who-can`);
//!
//! and the binary (`main.rs`, `cli/`) on top.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod authorizers;
pub mod authz;
pub mod batch;
pub mod build;
pub mod cel;
pub mod config;
pub mod crypto;
pub mod field;
pub mod go;
pub mod health;
pub mod loadgen;
pub mod metrics;
pub mod questions;
pub mod replay;
pub mod review;
pub mod samples;
pub mod server;
pub mod state;
pub mod throttle;
