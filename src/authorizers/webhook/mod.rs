//! The webhook authorizer: one SubjectAccessReview POST to a downstream webhook, built and read
//! exactly as kube-apiserver's webhook client does. Retries, the timeout, matchConditions, the
//! cache and the failure policy come from the step wrapper ([`crate::authz::guard`]).
//!
//! * `client`: the POST and its answer;
//! * `credentials`: `Authorization` (token, token file, basic) and impersonation headers;
//! * `exec`: exec credential plugins, cached and refreshed off the request path;
//! * `proxy`: the connection, direct or through an HTTP(S) or SOCKS5 proxy;
//! * `tls`: trust and the client certificate.

mod answer;
mod client;
mod conditions;
mod credentials;
mod exec;
mod gather;
mod proxy;
mod tls;

pub use client::{InClusterPaths, WebhookCall, WebhookError};
pub use conditions::{CelConditions, conditions};
pub use tls::client_tls_config;
