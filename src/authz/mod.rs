//! The authorization core: the attributes of one request, the three-valued decision, the
//! [`Authorize`] trait every authorizer implements, and the [`Chain`] that combines them with
//! kube-apiserver's union semantics. Nothing here knows HTTP, files or threads.

mod authorize;
mod builtin;
mod chain;
pub mod compare;
pub mod deadline;
pub mod explain;
pub mod guard;
mod instrumented;
mod request;
mod rules;
pub mod selector;
mod standin;
pub mod text;
mod verdict;

pub use authorize::{Authorize, Outcome};
pub use builtin::{AlwaysAllow, AlwaysDeny, Superuser};
pub use chain::{Chain, ChainExplanation, ChainVerdict, Link, StepExplanation};
pub use instrumented::Instrumented;
pub use request::{Attributes, NonResourceAttributes, Request, ResourceAttributes, UserInfo};
pub use rules::{first_mismatch, rule_allows};
pub use standin::{STAND_IN_REASONS, StandIn, StandInAnswer, is_stand_in};
pub use verdict::{AuthzError, Decision, Reason, Verdict};
