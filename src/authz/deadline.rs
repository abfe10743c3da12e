//! The caller's deadline. kube-apiserver sends `?timeout=3s` with every review and gives up after
//! that; work past it is wasted, and an answer past it is never read. The server evaluates a
//! request inside [`within`], and every step that waits (a webhook attempt, a retry's backoff, a
//! wait on an identical call in flight) reads [`remaining`] and stops in time, answering what its
//! failure policy says. This is Go's `context.WithDeadline`, carried by a task-local so that the
//! [`super::Authorize`] trait and the in-memory authorizers stay free of it.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` with `deadline` as the caller's deadline.
pub async fn within<F: Future>(deadline: Instant, future: F) -> F::Output {
    DEADLINE.scope(deadline, future).await
}

/// The deadline of the request being evaluated, if its caller set one.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// The time left before the caller's deadline (zero once past it); `None` without a deadline.
pub fn remaining() -> Option<Duration> {
    current().map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// The budget for a chain given the caller's `timeout`: the timeout less a margin for the answer's
/// trip back (a tenth of it, at most 100 ms), so the answer arrives before the caller gives up.
pub fn budget(timeout: Duration) -> Duration {
    timeout.saturating_sub((timeout / 10).min(Duration::from_millis(100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn visible_inside_the_scope_only() {
        assert!(current().is_none());
        let deadline = Instant::now() + Duration::from_secs(5);
        within(deadline, async {
            assert_eq!(current(), Some(deadline));
            let left = remaining().expect("deadline");
            assert!(left <= Duration::from_secs(5) && left > Duration::from_secs(4));
        })
        .await;
        assert!(remaining().is_none());
    }

    #[test]
    fn budget_keeps_a_margin() {
        assert_eq!(budget(Duration::from_secs(3)), Duration::from_millis(2900));
        assert_eq!(
            budget(Duration::from_millis(500)),
            Duration::from_millis(450)
        );
        assert_eq!(budget(Duration::ZERO), Duration::ZERO);
    }
}
