//! The HTTPS server: rustls, hyper (HTTP/1.1 and HTTP/2), the SubjectAccessReview route and health
//! endpoints, and graceful shutdown. [`serve`] is what `main` and the tests both run.

mod app;
mod client;
mod connection;
mod limits;
mod reload;
mod routes;
mod streams;
mod tls;
mod watch;

pub use crate::health::{Checks, ReadyFlag};
pub use app::{App, MetricsAccess};
pub use client::{Access, CallerPolicy, ClientIdentity};
use connection::{Control, Phase};
pub use limits::Limits;
pub use reload::{ChainBuilder, ConfigReloader, POLL_INTERVAL, ReloadOutcome, config_hash};
pub use routes::{MAX_BODY_BYTES, route};
pub use tls::{
    ServingCert, ServingCertificate, TlsError, crypto_provider, read_certs, server_config,
};
pub use watch::{Watched, watch};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::throttle::LogThrottle;

/// Failed accepts (out of file descriptors), logged at most once per interval.
static ACCEPT_FAILURES: LogThrottle = LogThrottle::new(crate::throttle::DEFAULT_INTERVAL);
/// Refused TLS handshakes, logged at most once per interval.
static HANDSHAKE_FAILURES: LogThrottle = LogThrottle::new(crate::throttle::DEFAULT_INTERVAL);
/// "Connection limit reached", logged at most once per interval.
static CONNECTION_LIMIT: LogThrottle = LogThrottle::new(crate::throttle::DEFAULT_INTERVAL);

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, closes idle
/// connections at once, lets requests in progress finish for up to `grace`, closes the rest and
/// returns. The limits are the app's ([`App::limits`]).
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let limits = app.limits().clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let shed = Arc::new(Notify::new());
    let (phase, phase_rx) = tokio::sync::watch::channel(Phase::Running);
    tokio::pin!(shutdown);
    loop {
        // A slot first: at the limit, idle connections are asked to close, and new ones wait in
        // the listen backlog instead of using up file descriptors.
        let slot = tokio::select! {
            slot = acquire_slot(&slots, &shed) => slot,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => match accepted {
                Some(pair) => pair,
                None => continue,
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let limits = limits.clone();
        let control = Control {
            phase: phase_rx.clone(),
            shed: shed.clone(),
        };
        tokio::spawn(async move {
            let _slot = slot;
            app.metrics().connections.inc();
            let _open = OpenConnection(&app);
            let handshake = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream));
            let tls_stream = match handshake.await {
                Ok(Ok(s)) => s,
                Ok(Err(error)) => {
                    handshake_failed(&app, peer, &error);
                    return;
                }
                Err(_) => {
                    app.metrics().handshake_failed("timeout");
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            // rustls verified the certificate if one was presented.
            let client =
                ClientIdentity::from_peer_certificates(tls_stream.get_ref().1.peer_certificates());
            connection::serve_connection(tls_stream, app.clone(), client, limits, control, peer)
                .await;
        });
    }
    drop(listener);
    tracing::info!("shutting down: closing idle connections, draining requests in progress");
    let _ = phase.send(Phase::Draining);
    drop(phase_rx);
    if tokio::time::timeout(grace, phase.closed()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs_f64(),
            "grace period over; closing remaining connections"
        );
        let _ = phase.send(Phase::Closing);
        let _ = tokio::time::timeout(Duration::from_secs(1), phase.closed()).await;
    }
    Ok(())
}

/// The next connection; `None` after a failed accept (out of file descriptors and similar),
/// which is logged (rate-limited) and followed by a short pause before the caller tries again.
async fn accept(listener: &TcpListener) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
    match listener.accept().await {
        Ok(pair) => Some(pair),
        Err(error) => {
            crate::warn_throttled!(ACCEPT_FAILURES, %error, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Waits for a connection slot; while none is free, asks idle connections to close (again every
/// 100 ms, for connections that were busy the last time).
async fn acquire_slot(slots: &Arc<Semaphore>, shed: &Notify) -> tokio::sync::OwnedSemaphorePermit {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return slot;
    }
    crate::warn_throttled!(
        CONNECTION_LIMIT,
        "connection limit reached: closing idle connections; new connections wait"
    );
    loop {
        shed.notify_waiters();
        tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => return slot,
                Err(_) => std::future::pending::<()>().await,
            },
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

/// Keeps `authz_chain_connections` counting this connection until it is dropped.
struct OpenConnection<'a>(&'a App);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.metrics().connections.dec();
    }
}

/// Counts a refused handshake by reason and logs it (rate-limited). A bare TCP connection that
/// closes without a word (a load balancer's or kubelet's TCP probe) is only counted.
fn handshake_failed(app: &App, peer: std::net::SocketAddr, error: &std::io::Error) {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let reason = match rustls_error {
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) => {
            "client_certificate"
        }
        Some(_) => "protocol",
        None if error.kind() == std::io::ErrorKind::UnexpectedEof => "eof",
        None => "io",
    };
    app.metrics().handshake_failed(reason);
    if reason == "eof" {
        tracing::debug!(%peer, %error, "TLS handshake ended by the client");
    } else {
        crate::warn_throttled!(HANDSHAKE_FAILURES, %peer, %error, reason, "TLS handshake refused");
    }
}

/// Serves `/metrics` (and `/healthz`, `/livez`, `/readyz`) over plain HTTP on a listener of its
/// own (`--metrics-bind-address`), until `shutdown` resolves.
pub async fn serve_metrics(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioIo, TokioTimer};
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = accept(&listener) => match accepted {
                Some(pair) => pair,
                None => continue,
            },
            () = &mut shutdown => return Ok(()),
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let app = app.clone();
                async move { Ok::<_, std::convert::Infallible>(routes::serve_open(&app, request).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(Duration::from_secs(60), connection).await;
        });
    }
}
