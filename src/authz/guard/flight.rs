//! Single flight: concurrent identical requests share one call and its result (errors included,
//! so a failing downstream is not called once per waiter). If the caller driving the call goes
//! away, one of the waiters takes over; when the last caller interested in a call goes away
//! (kube-apiserver reset every stream waiting on it), its entry is removed, so an abandoned call
//! never leaves an entry behind.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::{Answer, CallError};

type Shared = Arc<OnceCell<Result<Answer, CallError>>>;

/// Calls in flight, by cache key.
#[derive(Debug, Default)]
pub struct SingleFlight {
    // A std mutex: held only to look up, clone, drop or remove an entry, never across an await.
    calls: Mutex<HashMap<String, Shared>>,
}

/// One caller's interest in an entry. Every clone of an entry's `Arc` other than the map's is
/// held by one of these and is taken and dropped under the map's lock, so the strong count read
/// under the lock is exact: the map's reference plus one per caller still interested.
struct Interest<'a> {
    flight: &'a SingleFlight,
    key: &'a str,
    shared: Option<Shared>,
}

impl Drop for Interest<'_> {
    fn drop(&mut self) {
        let mut calls = self.flight.lock();
        let Some(shared) = self.shared.take() else {
            return;
        };
        let last_interested = calls
            .get(self.key)
            .is_some_and(|current| Arc::ptr_eq(current, &shared))
            && Arc::strong_count(&shared) == 2;
        if last_interested {
            calls.remove(self.key);
        }
        drop(shared);
    }
}

impl SingleFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared>> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `call` for `key`, or waits for the identical call already running. `done` runs once
    /// with the result, by whichever caller completed the call, before later callers stop finding
    /// it in flight (so they find it in the cache instead).
    pub async fn run<F, Fut>(
        &self,
        key: &str,
        call: F,
        done: impl FnOnce(&Result<Answer, CallError>),
    ) -> Result<Answer, CallError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Answer, CallError>>,
    {
        let interest = {
            let mut calls = self.lock();
            let shared = calls.entry(key.to_owned()).or_default().clone();
            Interest {
                flight: self,
                key,
                shared: Some(shared),
            }
        };
        let Some(shared) = interest.shared.as_ref() else {
            unreachable!("set above")
        };
        let mut ran = false;
        let result = shared
            .get_or_init(|| {
                ran = true;
                call()
            })
            .await
            .clone();
        if ran {
            done(&result);
            let mut calls = self.lock();
            if calls
                .get(key)
                .is_some_and(|current| Arc::ptr_eq(current, shared))
            {
                calls.remove(key);
            }
        }
        result
    }

    /// How many calls are in flight (entries in the map).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no call is in flight.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn answer() -> Answer {
        Answer {
            allowed: true,
            ..Answer::default()
        }
    }

    #[tokio::test]
    async fn a_leader_dropped_mid_call_leaves_no_entry() {
        let flight = SingleFlight::default();
        let never = flight.run("k", std::future::pending, |_| {});
        assert!(
            tokio::time::timeout(Duration::from_millis(20), never)
                .await
                .is_err()
        );
        assert!(flight.is_empty(), "the abandoned call left its entry");
    }

    #[tokio::test]
    async fn leader_and_waiters_all_dropped_leave_no_entry() {
        let flight = SingleFlight::default();
        let calls = AtomicUsize::new(0);
        let run = || {
            flight.run(
                "k",
                || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    std::future::pending()
                },
                |_| {},
            )
        };
        let all = futures_join3(run(), run(), run());
        assert!(
            tokio::time::timeout(Duration::from_millis(20), all)
                .await
                .is_err()
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the waiters shared one call"
        );
        assert!(flight.is_empty());
    }

    #[tokio::test]
    async fn a_waiter_takes_over_when_the_leader_goes_away() {
        let flight = Arc::new(SingleFlight::default());
        let leader = {
            let flight = flight.clone();
            tokio::spawn(async move { flight.run("k", std::future::pending, |_| {}).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let waiter = {
            let flight = flight.clone();
            tokio::spawn(async move { flight.run("k", || async { Ok(answer()) }, |_| {}).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        leader.abort();
        let result = waiter.await.expect("waiter");
        assert_eq!(result, Ok(answer()));
        assert!(flight.is_empty());
    }

    #[tokio::test]
    async fn a_completed_call_is_removed_before_done_returns_to_later_callers() {
        let flight = SingleFlight::default();
        let mut stored = None;
        let result = flight
            .run("k", || async { Ok(answer()) }, |r| stored = Some(r.clone()))
            .await;
        assert_eq!(result, Ok(answer()));
        assert_eq!(stored, Some(Ok(answer())));
        assert!(flight.is_empty());
    }

    /// Polls three futures together (tokio::join! without needing them to be Unpin).
    async fn futures_join3<A: Future, B: Future, C: Future>(a: A, b: B, c: C) {
        tokio::join!(a, b, c);
    }
}
