//! `RbacAuthorizer`: the chain step that reads the current [`RbacIndex`] snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::RbacIndex;
use crate::authz::explain::{Detail, ExplainFuture, ExplainOptions, Explained};
use crate::authz::{Authorize, Outcome, Request};

/// The RBAC step. Its index is swapped whole when the cluster state changes; a decision loads the
/// snapshot once and uses it throughout, never waiting for a writer.
#[derive(Clone, Debug)]
pub struct RbacAuthorizer {
    index: Arc<ArcSwap<RbacIndex>>,
}

impl RbacAuthorizer {
    /// An authorizer reading from `index`, which the state source keeps current.
    pub fn new(index: Arc<ArcSwap<RbacIndex>>) -> Self {
        RbacAuthorizer { index }
    }
}

impl Authorize for RbacAuthorizer {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(self.index.load().authorize(request))
    }

    fn explain<'a>(&'a self, request: &'a Request, _: &'a ExplainOptions) -> ExplainFuture<'a> {
        let (verdict, detail) = self.index.load().explain(request);
        Box::pin(std::future::ready(Explained {
            verdict,
            detail: Detail::Rbac(detail),
        }))
    }
}
