//! Exec credential plugins (`users[].user.exec`), with client-go's caching
//! (`plugin/pkg/client/auth/exec/exec.go`): the credential a plugin returns is used until its
//! `expirationTimestamp` (forever without one); a 401 from the downstream runs the plugin again
//! unless the credential changed meanwhile, and if that run fails the old credential stays; a
//! token becomes `Authorization: Bearer`, a certificate and key the client certificate of new
//! connections. Authenticators are shared by identical configurations, as client-go's global
//! cache shares them, so a reload that keeps a kubeconfig keeps its credential.
//!
//! Off the request path: a request waits only when there is no usable credential (the first one,
//! or after expiry or a 401), and then shares the one run in flight, which is a task of its own
//! (a caller that gives up does not cancel it). A failed run is remembered for
//! [`FAILURE_HOLD`], so a broken plugin is not started for every request. No lock is held across
//! an `.await`.

mod plugin;

use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;
use thiserror::Error;
use tokio::sync::watch;

use super::tls::ClientCert;
use crate::config::ExecConfig;

/// How long a plugin may run before it is killed (client-go has no limit; a webhook client must
/// not wait forever).
pub(super) const EXEC_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a failed run answers for the plugin before it is tried again.
pub(super) const FAILURE_HOLD: Duration = Duration::from_secs(1);

/// Why no credential could be had from a plugin; the message names the plugin.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}")]
pub struct ExecError {
    message: String,
}

impl ExecError {
    fn new(message: impl Into<String>) -> Self {
        ExecError {
            message: message.into(),
        }
    }
}

/// A credential from one plugin run.
pub(super) struct ExecCredential {
    /// `Bearer <token>`, if the plugin returned a token.
    pub token: Option<HeaderValue>,
    /// The client certificate chain and key, if the plugin returned them.
    pub cert: Option<Arc<ClientCert>>,
    expires: Option<SystemTime>,
}

impl ExecCredential {
    fn usable(&self) -> bool {
        self.expires.is_none_or(|at| SystemTime::now() <= at)
    }
}

type Outcome = Result<Arc<ExecCredential>, ExecError>;

/// Runs one plugin configuration and caches what it returns.
pub(super) struct ExecAuthenticator {
    config: ExecConfig,
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<Arc<ExecCredential>>,
    /// The run in flight; its channel carries the outcome once there is one.
    running: Option<watch::Receiver<Option<Outcome>>>,
    /// The last failed run and when it ended.
    failed: Option<(Instant, ExecError)>,
}

impl State {
    /// The run in flight, unless its task is gone without an answer (its runtime shut down).
    fn live_run(&self) -> Option<watch::Receiver<Option<Outcome>>> {
        self.running
            .as_ref()
            .filter(|running| running.has_changed().is_ok())
            .cloned()
    }
}

impl ExecAuthenticator {
    /// The authenticator for `config`, shared with every other user of an identical one.
    pub(super) fn shared(config: &ExecConfig) -> Arc<Self> {
        static SHARED: LazyLock<Mutex<Vec<Weak<ExecAuthenticator>>>> =
            LazyLock::new(Default::default);
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        shared.retain(|weak| weak.strong_count() > 0);
        if let Some(existing) = shared
            .iter()
            .filter_map(Weak::upgrade)
            .find(|a| a.config == *config && a.timeout == EXEC_TIMEOUT)
        {
            return existing;
        }
        let authenticator = Arc::new(Self::with_timeout(config.clone(), EXEC_TIMEOUT));
        shared.push(Arc::downgrade(&authenticator));
        authenticator
    }

    /// An authenticator of its own, whose runs are killed after `timeout` (a test seam).
    pub(super) fn with_timeout(config: ExecConfig, timeout: Duration) -> Self {
        ExecAuthenticator {
            config,
            timeout,
            state: Mutex::new(State::default()),
        }
    }

    /// A usable credential: the cached one, or the outcome of the run in flight or of a new run.
    pub(super) async fn credential(self: &Arc<Self>) -> Outcome {
        let mut receiver = {
            let mut state = self.lock();
            match state.live_run() {
                Some(running) => running,
                None => {
                    if let Some(current) = &state.current
                        && current.usable()
                    {
                        return Ok(current.clone());
                    }
                    if let Some((at, error)) = &state.failed
                        && at.elapsed() < FAILURE_HOLD
                    {
                        return Err(error.clone());
                    }
                    self.start_locked(&mut state)
                }
            }
        };
        loop {
            if let Some(outcome) = receiver.borrow_and_update().clone() {
                return outcome;
            }
            if receiver.changed().await.is_err() {
                return Err(ExecError::new(format!(
                    "exec: executable {} stopped without an answer",
                    self.config.command
                )));
            }
        }
    }

    /// The downstream answered 401 to a request carrying `used`: runs the plugin again unless
    /// the credential changed meanwhile or a run is already in flight (`maybeRefreshCreds`).
    pub(super) fn unauthorized(self: &Arc<Self>, used: &Arc<ExecCredential>) {
        let mut state = self.lock();
        let current = state.current.as_ref().is_some_and(|c| Arc::ptr_eq(c, used));
        let held = state
            .failed
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < FAILURE_HOLD);
        if current && state.live_run().is_none() && !held {
            self.start_locked(&mut state);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a run in a task of its own; returns the receiver of its outcome.
    fn start_locked(self: &Arc<Self>, state: &mut State) -> watch::Receiver<Option<Outcome>> {
        let (sender, receiver) = watch::channel(None);
        state.running = Some(receiver.clone());
        let this = self.clone();
        tokio::spawn(async move {
            let result = plugin::run(&this.config, this.timeout).await;
            let outcome = this.finish(result);
            let _ = sender.send(Some(outcome));
        });
        receiver
    }

    fn finish(&self, result: Result<plugin::PluginOutput, ExecError>) -> Outcome {
        let mut state = self.lock();
        state.running = None;
        match result.and_then(|output| {
            let token = match &output.token {
                Some(token) => Some(super::credentials::bearer(token).map_err(|_| {
                    ExecError::new("exec plugin returned a token that is not a valid header value")
                })?),
                None => None,
            };
            Ok((output, token))
        }) {
            Ok((output, token)) => {
                let credential = Arc::new(ExecCredential {
                    token,
                    cert: output.cert.map(Arc::new),
                    expires: output.expires,
                });
                state.current = Some(credential.clone());
                state.failed = None;
                Ok(credential)
            }
            Err(error) => {
                state.failed = Some((Instant::now(), error.clone()));
                match &state.current {
                    // A refresh after a 401 that fails keeps the credential (client-go logs the
                    // error).
                    Some(current) if current.usable() => {
                        tracing::error!(plugin = %self.config.command, %error, "refreshing credentials after a 401");
                        Ok(current.clone())
                    }
                    _ => Err(error),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
