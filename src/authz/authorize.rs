//! The `Authorize` trait. In-memory authorizers (RBAC, Node, AlwaysAllow) answer at once;
//! webhooks answer later. [`Outcome`] carries either, so the in-memory path never allocates a
//! future.

use std::future::Future;
use std::pin::Pin;

use super::explain::{ExplainFuture, ExplainOptions, Explained};
use super::{Request, Verdict};

/// An authorizer's answer: ready now, or a future that resolves to it.
pub enum Outcome<'a> {
    /// Decided synchronously.
    Ready(Verdict),
    /// Needs I/O (a downstream webhook call).
    Pending(Pin<Box<dyn Future<Output = Verdict> + Send + 'a>>),
}

impl Outcome<'_> {
    /// Waits for the verdict.
    pub async fn resolve(self) -> Verdict {
        match self {
            Outcome::Ready(verdict) => verdict,
            Outcome::Pending(future) => future.await,
        }
    }
}

/// Anything that can answer an authorization question.
pub trait Authorize: Send + Sync {
    /// Decides `request`. Never panics on request data.
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a>;

    /// Answers `request` as [`authorize`](Self::authorize) would, and says why, without side
    /// effects (see [`super::explain`]). The default, for authorizers with nothing to add and
    /// no state to protect, is the plain answer.
    fn explain<'a>(
        &'a self,
        request: &'a Request,
        options: &'a ExplainOptions,
    ) -> ExplainFuture<'a> {
        let _ = options;
        Box::pin(async move { Explained::plain(self.authorize(request).resolve().await) })
    }
}
