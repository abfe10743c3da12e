//! Single flight: concurrent identical requests share one call and its result (errors included,
//! so a failing downstream is not called once per waiter). If the caller driving the call goes
//! away, one of the waiters takes over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::{Answer, CallError};

type Shared = Arc<OnceCell<Result<Answer, CallError>>>;

/// Calls in flight, by cache key.
#[derive(Debug, Default)]
pub struct SingleFlight {
    // A std mutex: held only to look up or remove an entry, never across an await.
    calls: Mutex<HashMap<String, Shared>>,
}

impl SingleFlight {
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
        let shared = {
            let mut calls = self
                .calls
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            calls.entry(key.to_owned()).or_default().clone()
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
            let mut calls = self
                .calls
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if calls
                .get(key)
                .is_some_and(|current| Arc::ptr_eq(current, &shared))
            {
                calls.remove(key);
            }
        }
        result
    }
}
