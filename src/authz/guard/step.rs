//! `Guard`: wraps a [`Call`] into an [`Authorize`] step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use super::cache::{DecisionCache, should_cache};
use super::flight::SingleFlight;
use super::{Answer, Backoff, Call, CallError, CallErrorKind, ConditionGate, MatchConditions};
use crate::authz::deadline;
use crate::authz::explain::{
    Attempt, CacheCheck, Detail, ExplainFuture, ExplainOptions, Explained, WebhookChoice,
    WebhookDetail,
};
use crate::authz::{Authorize, AuthzError, Decision, Outcome, Reason, Request, Verdict};
use crate::metrics::{Metrics, WebhookLabels};
use crate::throttle::LogThrottle;

/// How a guard behaves.
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// The step's configured name (metrics label).
    pub name: String,
    /// The step's type (metrics label: `Webhook`).
    pub kind: &'static str,
    /// The decision returned with the error when the call or the conditions fail: NoOpinion or
    /// Deny.
    pub failure_policy: Decision,
    /// How long allowed answers are cached; `None` disables that.
    pub authorized_ttl: Option<Duration>,
    /// How long other answers are cached; `None` disables that.
    pub unauthorized_ttl: Option<Duration>,
    /// The limit of one attempt.
    pub timeout: Duration,
    /// Retries.
    pub backoff: Backoff,
    /// The cache key of a request (the canonical JSON of its v1 spec).
    pub cache_key: fn(&Request) -> String,
}

/// The four results of an attempt, as metric label values.
const RESULTS: [&str; 4] = ["success", "canceled", "timeout", "error"];

fn result_index(label: &str) -> usize {
    RESULTS.iter().position(|r| *r == label).unwrap_or(3)
}

/// Metric handles resolved once per guard.
#[derive(Debug)]
struct GuardMetrics {
    evaluations: [Counter; 4],
    durations: [Histogram; 4],
    fail_open: [Counter; 4],
}

impl GuardMetrics {
    fn new(metrics: &Metrics, name: &str) -> Self {
        let webhook = |result: &str| WebhookLabels {
            name: name.to_owned(),
            result: result.to_owned(),
        };
        GuardMetrics {
            evaluations: RESULTS
                .map(|r| metrics.webhook_evaluations.get_or_create_owned(&webhook(r))),
            durations: RESULTS.map(|r| metrics.webhook_duration.get_or_create_owned(&webhook(r))),
            fail_open: RESULTS.map(|r| metrics.webhook_fail_open.get_or_create_owned(&webhook(r))),
        }
    }
}

/// Records an attempt on completion, or as `canceled` if the caller goes away mid-attempt.
struct AttemptRecord<'m> {
    metrics: &'m GuardMetrics,
    started: Instant,
    result: Option<&'static str>,
}

impl Drop for AttemptRecord<'_> {
    fn drop(&mut self) {
        let i = result_index(self.result.unwrap_or("canceled"));
        self.metrics.evaluations[i].inc();
        self.metrics.durations[i].observe(self.started.elapsed().as_secs_f64());
    }
}

/// A guarded step.
pub struct Guard<C: Call> {
    config: GuardConfig,
    call: C,
    conditions: Option<ConditionGate>,
    cache: Option<DecisionCache>,
    flight: SingleFlight,
    metrics: GuardMetrics,
    /// One "webhook call failed" warning per interval, whatever the rate of failures.
    failures_logged: LogThrottle,
}

impl<C: Call> std::fmt::Debug for Guard<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("config", &self.config)
            .field("target", &self.call.target())
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl<C: Call> Guard<C> {
    /// Guards `call`, evaluating `conditions` first when given.
    pub fn new(
        config: GuardConfig,
        call: C,
        conditions: Option<Arc<dyn MatchConditions>>,
        metrics: &Metrics,
    ) -> Self {
        let guard_metrics = GuardMetrics::new(metrics, &config.name);
        let conditions = conditions.map(|conditions| {
            ConditionGate::new(
                conditions,
                config.failure_policy,
                metrics,
                config.kind,
                &config.name,
            )
        });
        Guard {
            cache: DecisionCache::new(config.authorized_ttl, config.unauthorized_ttl),
            config,
            call,
            conditions,
            flight: SingleFlight::default(),
            metrics: guard_metrics,
            failures_logged: LogThrottle::default(),
        }
    }

    /// The guarded call.
    pub fn inner(&self) -> &C {
        &self.call
    }

    /// The decision cache, if any answers are cached.
    pub fn cache(&self) -> Option<&DecisionCache> {
        self.cache.as_ref()
    }

    /// Identical calls in flight now (shared by their callers).
    pub fn calls_in_flight(&self) -> usize {
        self.flight.len()
    }

    /// The error of a call cut short, or never started, by the caller's deadline.
    fn deadline_error(&self) -> CallError {
        CallError::new(
            CallErrorKind::Timeout,
            format!("Post {:?}: context deadline exceeded", self.call.target()),
        )
    }

    /// `call`, cut at the caller's deadline (if any) with the deadline's error.
    async fn within_deadline(
        &self,
        call: impl std::future::Future<Output = Result<Answer, CallError>>,
    ) -> Result<Answer, CallError> {
        match deadline::current() {
            Some(deadline) => tokio::time::timeout_at(deadline, call)
                .await
                .unwrap_or_else(|_| Err(self.deadline_error())),
            None => call.await,
        }
    }

    /// Counts and logs (rate-limited) a call that failed for good.
    fn record_failure(&self, error: &CallError, attempts: u32) {
        if self.config.failure_policy == Decision::NoOpinion {
            self.metrics.fail_open[result_index(error.result_label())].inc();
        }
        crate::warn_throttled!(self.failures_logged, webhook = %self.config.name, attempts, %error, "webhook call failed");
    }

    fn failure(&self, error: String) -> Verdict {
        Verdict {
            decision: self.config.failure_policy,
            reason: Reason::None,
            error: Some(AuthzError::new(error)),
        }
    }

    /// Attempts with retries; each attempt bounded by the timeout and by the caller's deadline.
    /// No attempt and no backoff starts past the deadline: the last error is the answer then.
    /// With `log`, each attempt is also written there (for `explain`).
    async fn call_with_retries(
        &self,
        request: &Request,
        mut log: Option<&mut Vec<Attempt>>,
    ) -> Result<Answer, CallError> {
        let mut attempt = 1;
        loop {
            let left = deadline::remaining();
            if left.is_some_and(|left| left.is_zero()) {
                let error = self.deadline_error();
                self.record_failure(&error, attempt - 1);
                return Err(error);
            }
            let limit = left.map_or(self.config.timeout, |left| left.min(self.config.timeout));
            let mut record = AttemptRecord {
                metrics: &self.metrics,
                started: Instant::now(),
                result: None,
            };
            let result = match tokio::time::timeout(limit, self.call.call(request)).await {
                Ok(result) => result,
                Err(_) if limit < self.config.timeout => Err(self.deadline_error()),
                Err(_) => Err(CallError::new(
                    CallErrorKind::Timeout,
                    format!(
                        "Post {:?}: context deadline exceeded (Client.Timeout exceeded after {})",
                        self.call.target(),
                        crate::go::Duration::from_nanos(
                            i64::try_from(self.config.timeout.as_nanos()).unwrap_or(i64::MAX)
                        )
                    ),
                )),
            };
            record.result = Some(match &result {
                Ok(_) => "success",
                Err(e) => e.result_label(),
            });
            if let Some(log) = log.as_deref_mut() {
                log.push(Attempt {
                    result: record.result.unwrap_or("error"),
                    error: result.as_ref().err().map(ToString::to_string),
                    millis: record.started.elapsed().as_secs_f64() * 1000.0,
                });
            }
            drop(record);
            match result {
                Err(error) if error.is_retryable() && attempt < self.config.backoff.steps => {
                    let wait = self.config.backoff.wait(attempt);
                    if deadline::remaining().is_some_and(|left| left <= wait) {
                        self.record_failure(&error, attempt);
                        return Err(error);
                    }
                    tracing::debug!(webhook = %self.config.name, attempt, %error, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error) => {
                    self.record_failure(&error, attempt);
                    return Err(error);
                }
                Ok(answer) => return Ok(answer),
            }
        }
    }

    /// The call for `request`: shared with identical calls in flight when answers are cached.
    ///
    /// Single flight runs only with a cache. Its purpose is to fill the cache once instead of
    /// once per concurrent caller; without a cache the operator asked for every request to reach
    /// the downstream (as kube-apiserver, which has no single flight, would send it), and a
    /// downstream that audits or rate-limits per request must see them all.
    async fn call_shared(&self, request: &Request, key: Option<&str>) -> Result<Answer, CallError> {
        match (&self.cache, key) {
            (Some(cache), Some(key)) => {
                let store = |result: &Result<Answer, CallError>| {
                    if let Ok(answer) = result {
                        cache.insert(key.to_owned(), answer);
                    }
                };
                self.flight
                    .run(key, || self.call_with_retries(request, None), store)
                    .await
            }
            _ => self.call_with_retries(request, None).await,
        }
    }
}

impl<C: Call> Authorize for Guard<C> {
    fn authorize<'a>(&'a self, request: &'a Request) -> Outcome<'a> {
        if let Some(verdict) = self
            .conditions
            .as_ref()
            .and_then(|gate| gate.check(request))
        {
            return Outcome::Ready(verdict);
        }
        let key = match &self.cache {
            Some(_) if should_cache(request) => Some((self.config.cache_key)(request)),
            _ => None,
        };
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && let Some(answer) = cache.get(key)
        {
            return Outcome::Ready(answer.verdict());
        }
        Outcome::Pending(Box::pin(async move {
            // A waiter on someone else's call stops at its own deadline too.
            let result = self
                .within_deadline(self.call_shared(request, key.as_deref()))
                .await;
            match result {
                Ok(answer) => answer.verdict(),
                Err(error) => self.failure(error.to_string()),
            }
        }))
    }

    /// As `authorize`, but the cache is only peeked at (never filled), nothing is shared with
    /// calls in flight, and the downstream is called only with [`WebhookChoice::Call`].
    fn explain<'a>(
        &'a self,
        request: &'a Request,
        options: &'a ExplainOptions,
    ) -> ExplainFuture<'a> {
        Box::pin(async move {
            let mut detail = WebhookDetail {
                failure_policy: self.config.failure_policy.as_str(),
                ..WebhookDetail::default()
            };
            let verdict = self.explain_into(request, options, &mut detail).await;
            Explained {
                verdict,
                detail: Detail::Webhook(detail),
            }
        })
    }
}

impl<C: Call> Guard<C> {
    async fn explain_into(
        &self,
        request: &Request,
        options: &ExplainOptions,
        detail: &mut WebhookDetail,
    ) -> Verdict {
        if let Some(gate) = &self.conditions {
            let (answer, checks) = gate.explain(request);
            detail.conditions = checks;
            if let Some(verdict) = answer {
                detail.failure_policy_applied = verdict.error.is_some();
                return verdict;
            }
        }
        if let Some(cache) = &self.cache {
            let cacheable = should_cache(request);
            let found = cacheable
                .then(|| cache.peek(&(self.config.cache_key)(request)))
                .flatten();
            detail.cache = Some(CacheCheck {
                hit: found.is_some(),
                age_seconds: found.as_ref().map(|(_, age)| age.as_secs_f64()),
                uncacheable: !cacheable,
            });
            if let Some((answer, _)) = found {
                return answer.verdict();
            }
        }
        match options.webhooks {
            WebhookChoice::StandIn(answer) => {
                detail.stand_in = Some(answer.flag());
                answer.verdict()
            }
            WebhookChoice::Call => {
                detail.called = true;
                let result = self
                    .within_deadline(self.call_with_retries(request, Some(&mut detail.attempts)))
                    .await;
                match result {
                    Ok(answer) => answer.verdict(),
                    Err(error) => {
                        detail.failure_policy_applied = true;
                        self.failure(error.to_string())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A downstream that never answers, counting the attempts.
    struct Hanging(AtomicUsize);

    impl Call for Hanging {
        fn call<'a>(&'a self, _request: &'a Request) -> super::super::CallFuture<'a> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::pending())
        }

        fn target(&self) -> &str {
            "https://hanging.example/authorize"
        }
    }

    fn guard(ttl: Option<Duration>) -> Guard<Hanging> {
        let config = GuardConfig {
            name: "wh".into(),
            kind: "Webhook",
            failure_policy: Decision::NoOpinion,
            authorized_ttl: ttl,
            unauthorized_ttl: ttl,
            timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
            cache_key: |request| request.user.name.clone(),
        };
        Guard::new(config, Hanging(AtomicUsize::new(0)), None, &Metrics::new())
    }

    fn request() -> Request {
        Request::alice_gets_healthz()
    }

    /// Two identical requests whose callers give up (kube-apiserver resets both streams) before
    /// the hanging downstream answers; returns how many calls reached it.
    async fn abandon_two_identical(guard: &Guard<Hanging>) -> usize {
        let request = request();
        let calls = async {
            tokio::join!(
                guard.authorize(&request).resolve(),
                guard.authorize(&request).resolve()
            )
        };
        assert!(
            tokio::time::timeout(Duration::from_millis(30), calls)
                .await
                .is_err()
        );
        guard.inner().0.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn callers_reset_mid_call_leave_no_call_in_flight() {
        let guard = guard(Some(Duration::from_secs(60)));
        assert_eq!(abandon_two_identical(&guard).await, 1, "one shared call");
        assert_eq!(
            guard.calls_in_flight(),
            0,
            "the abandoned call left an entry"
        );
    }

    #[tokio::test]
    async fn without_a_cache_every_request_reaches_the_downstream() {
        let guard = guard(None);
        assert_eq!(abandon_two_identical(&guard).await, 2);
        assert_eq!(guard.calls_in_flight(), 0);
    }

    #[tokio::test]
    async fn past_the_deadline_no_attempt_starts() {
        let guard = guard(Some(Duration::from_secs(60)));
        let request = request();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
        let started = std::time::Instant::now();
        let verdict =
            crate::authz::deadline::within(deadline, guard.authorize(&request).resolve()).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(verdict.decision, Decision::NoOpinion);
        assert!(
            verdict
                .error
                .is_some_and(|e| e.to_string().contains("context deadline exceeded"))
        );
        // Now past it: the next request never calls.
        let verdict =
            crate::authz::deadline::within(deadline, guard.authorize(&request).resolve()).await;
        assert!(verdict.error.is_some());
        assert_eq!(guard.inner().0.load(Ordering::SeqCst), 1);
    }
}
