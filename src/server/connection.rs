//! One connection's life after the TLS handshake: HTTP/1.1 or HTTP/2 through hyper, with the
//! timers hyper does not keep. A connection tracks its requests from arrival until their response
//! body is gone (fully handed to the socket, or dropped with the stream); a watchdog then closes
//! it when it has been idle for the idle timeout, when a response has waited longer than the
//! write timeout for a client that does not read (HTTP/2 flow control), when the server needs the
//! slot for a new connection, and on shutdown (idle ones at once, busy ones when done or when the
//! grace period is over).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, watch};

use super::streams::{StreamExecutor, UnvectoredWrites, WithStreams};
use super::{App, ClientIdentity, Limits, route};

/// What the server asks of its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Serve.
    Running,
    /// Finish the requests in progress, take no new ones, close.
    Draining,
    /// Close now.
    Closing,
}

/// What a connection hears from the server: the phase, and requests to give up its slot if idle.
#[derive(Clone, Debug)]
pub struct Control {
    /// The server's phase.
    pub phase: watch::Receiver<Phase>,
    /// Notified when the connection limit is reached: idle connections close.
    pub shed: Arc<Notify>,
}

/// Requests in progress on one connection and when that last changed.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    /// Requests from arrival until their response body is dropped.
    active: AtomicUsize,
    /// Milliseconds since `epoch` of the last arrival or completion.
    last_change_ms: AtomicU64,
    /// Responses produced but not yet taken by the client.
    sending: AtomicUsize,
    /// Milliseconds since `epoch` of the last progress in sending: a response finished, or the
    /// first one started waiting.
    send_progress_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            active: AtomicUsize::new(0),
            last_change_ms: AtomicU64::new(0),
            sending: AtomicUsize::new(0),
            send_progress_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn begin(self: &Arc<Self>) -> RequestGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        self.last_change_ms.store(self.now_ms(), Ordering::Release);
        RequestGuard {
            activity: self.clone(),
            sending: false,
        }
    }

    fn is_idle_for(&self, limit: Duration) -> bool {
        self.active.load(Ordering::Acquire) == 0
            && self
                .now_ms()
                .saturating_sub(self.last_change_ms.load(Ordering::Acquire))
                >= limit.as_millis() as u64
    }

    fn is_idle(&self) -> bool {
        self.active.load(Ordering::Acquire) == 0
    }

    fn is_send_stalled(&self, limit: Duration) -> bool {
        self.sending.load(Ordering::Acquire) > 0
            && self
                .now_ms()
                .saturating_sub(self.send_progress_ms.load(Ordering::Acquire))
                >= limit.as_millis() as u64
    }
}

/// One request in progress; dropped with its response body (or with the request, if the client
/// resets it before an answer).
#[derive(Debug)]
struct RequestGuard {
    activity: Arc<Activity>,
    sending: bool,
}

impl RequestGuard {
    fn into_sending(mut self) -> Self {
        if self.activity.sending.fetch_add(1, Ordering::AcqRel) == 0 {
            self.activity
                .send_progress_ms
                .store(self.activity.now_ms(), Ordering::Release);
        }
        self.sending = true;
        self
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let now = self.activity.now_ms();
        if self.sending {
            self.activity.sending.fetch_sub(1, Ordering::AcqRel);
            self.activity.send_progress_ms.store(now, Ordering::Release);
        }
        self.activity.active.fetch_sub(1, Ordering::AcqRel);
        self.activity.last_change_ms.store(now, Ordering::Release);
    }
}

/// A response body that keeps its request counted until hyper is done with it.
#[derive(Debug)]
pub struct TrackedBody {
    inner: Full<Bytes>,
    _request: RequestGuard,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves HTTP on an established (TLS) connection until it ends, a limit closes it, or the
/// server's phase says so.
pub async fn serve_connection<I>(
    io: I,
    app: Arc<App>,
    client: ClientIdentity,
    limits: Limits,
    mut control: Control,
    peer: std::net::SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let client = Arc::new(client);
    let service = {
        let activity = activity.clone();
        let app = app.clone();
        service_fn(move |request| {
            let guard = activity.begin();
            let app = app.clone();
            let client = client.clone();
            async move {
                let response = route(&app, request, &client).await;
                let guard = guard.into_sending();
                Ok::<_, Infallible>(response.map(|inner| TrackedBody {
                    inner,
                    _request: guard,
                }))
            }
        })
    };
    let executor = StreamExecutor::default();
    let mut builder = auto::Builder::new(executor.clone());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keepalive_interval)
        .keep_alive_timeout(limits.http2_keepalive_timeout)
        .max_concurrent_streams(limits.http2_max_concurrent_streams);
    let mut connection = WithStreams::new(
        builder.serve_connection(TokioIo::new(UnvectoredWrites(io)), service),
        executor,
    );
    let tick = limits.tick();
    // Set once the connection was asked to close: when, and why.
    let mut closing: Option<(Instant, &'static str)> = None;
    loop {
        let step = if closing.is_some() {
            tick.min(Duration::from_millis(50))
        } else {
            tick
        };
        tokio::select! {
            result = &mut connection => {
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                if let Some((_, reason)) = closing {
                    app.metrics().connection_closed(reason);
                }
                return;
            }
            () = tokio::time::sleep(step) => {}
            () = control.shed.notified() => {
                if closing.is_none() && activity.is_idle() {
                    connection.connection().graceful_shutdown();
                    closing = Some((Instant::now(), "shed"));
                }
            }
            changed = control.phase.changed() => {
                let phase = match changed {
                    Ok(()) => *control.phase.borrow_and_update(),
                    Err(_) => Phase::Closing,
                };
                match phase {
                    Phase::Running => {}
                    Phase::Draining => {
                        if closing.is_none() {
                            connection.connection().graceful_shutdown();
                            closing = Some((Instant::now(), "shutdown"));
                        }
                    }
                    Phase::Closing => {
                        app.metrics().connection_closed("shutdown");
                        return;
                    }
                }
            }
        }
        if activity.is_send_stalled(limits.write_timeout) {
            tracing::debug!(%peer, "closing a connection whose client does not take its responses");
            app.metrics().connection_closed("write_timeout");
            return;
        }
        match closing {
            None if activity.is_idle_for(limits.idle_timeout) => {
                connection.connection().graceful_shutdown();
                closing = Some((Instant::now(), "idle"));
            }
            // Asked to close and nothing left to finish: a client that does not close its side
            // (or acknowledge an HTTP/2 GOAWAY) gets a short linger, then the socket is dropped.
            Some((since, reason))
                if activity.is_idle() && since.elapsed() >= limits.close_linger =>
            {
                app.metrics().connection_closed(reason);
                return;
            }
            _ => {}
        }
    }
}
