//! `RbacAuthorizer`: the chain step that reads the current [`RbacIndex`] snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::RbacIndex;
use crate::authz::explain::{ExplainFuture, ExplainOptions};
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

impl RbacAuthorizer {
    /// The current snapshot.
    pub fn index(&self) -> arc_swap::Guard<Arc<RbacIndex>> {
        self.index.load()
    }
}

impl Authorize for RbacAuthorizer {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        Outcome::Ready(self.index.load().authorize(request))
    }

    fn explain<'a>(
        &'a self,
        request: &'a Request,
        options: &'a ExplainOptions,
    ) -> ExplainFuture<'a> {
        self.explain_future(request, options)
    }
}
