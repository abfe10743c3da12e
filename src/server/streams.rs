//! A connection's HTTP/2 streams, run inside the connection's own task instead of one task each.
//!
//! hyper hands every HTTP/2 request to an executor as its own future. Spawned as tokio tasks,
//! each finished stream wakes the connection task, which tokio runs next (its LIFO slot), so the
//! connection encrypts and writes one response per system call. Run here instead, the streams the
//! connection just read are polled together, and their responses leave in one TLS write when the
//! connection is polled after them; each request also saves a task's allocation and bookkeeping.
//! A panicking request is contained to its stream, as it would be in a task of its own.

use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::FutureExt as _;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

type StreamFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// At most this many new streams run before the connection writes out what they answered. With
/// 32 requests in flight (kube-apiserver's client), the client reads the first half's answers
/// while the second half is decided, instead of both sides waiting for whole batches in turn:
/// 1.6x the throughput of unbounded batches on one core (BENCHMARKS.md).
const STREAMS_PER_WRITE: usize = 16;

/// How many times one poll goes from the streams to the connection and back before it yields
/// to the connection's neighbours.
const MAX_ROUNDS: usize = 32;

/// The executor hyper is given for one connection: it keeps the streams for [`WithStreams`].
#[derive(Clone, Default)]
pub struct StreamExecutor {
    spawned: Arc<Mutex<Vec<StreamFuture>>>,
}

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, stream: F) {
        let contained = AssertUnwindSafe(stream).catch_unwind().map(|result| {
            if result.is_err() {
                tracing::error!("a request's handler panicked; its stream was reset");
            }
        });
        self.spawned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::pin(contained));
    }
}

impl StreamExecutor {
    /// Moves up to [`STREAMS_PER_WRITE`] of the streams hyper handed over into `running`; true
    /// if any.
    fn adopt_into(&self, running: &mut FuturesUnordered<StreamFuture>) -> bool {
        let mut spawned = self.spawned.lock().unwrap_or_else(PoisonError::into_inner);
        let adopted = !spawned.is_empty();
        let taken = spawned.len().min(STREAMS_PER_WRITE);
        running.extend(spawned.drain(..taken));
        adopted
    }
}

/// A connection future together with the streams it starts, polled as one.
pub struct WithStreams<C> {
    connection: Pin<Box<C>>,
    executor: StreamExecutor,
    running: FuturesUnordered<StreamFuture>,
}

impl<C: Future> WithStreams<C> {
    /// Wraps `connection`, built with `executor`.
    pub fn new(connection: C, executor: StreamExecutor) -> Self {
        WithStreams {
            connection: Box::pin(connection),
            executor,
            running: FuturesUnordered::new(),
        }
    }

    /// The connection, e.g. for a graceful shutdown.
    pub fn connection(&mut self) -> Pin<&mut C> {
        self.connection.as_mut()
    }

    /// Polls the streams that are ready; true if one was new or finished.
    fn run_streams(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progressed = self.executor.adopt_into(&mut self.running);
        while let Poll::Ready(Some(())) = self.running.poll_next_unpin(cx) {
            progressed = true;
        }
        progressed
    }
}

impl<C: Future> Future for WithStreams<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let this = self.get_mut();
        for round in 0..MAX_ROUNDS {
            // Streams first: what they answer goes out with the connection's next write.
            if !this.run_streams(cx) && round > 0 {
                return Poll::Pending;
            }
            if let Poll::Ready(output) = this.connection.as_mut().poll(cx) {
                return Poll::Ready(output);
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The connection's socket as hyper sees it: writes not vectored, so that h2 copies each small
/// response into its write buffer rather than chaining it (which it does at 256 bytes when the
/// socket takes vectored writes, and which makes it write out every response on its own). Up to
/// 1 KiB a frame is copied; the buffer then goes to TLS, and to the socket, once per poll.
pub struct UnvectoredWrites<I>(pub I);

impl<I: AsyncRead + Unpin> AsyncRead for UnvectoredWrites<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for UnvectoredWrites<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use hyper::rt::Executor as _;

    use super::*;

    /// A stand-in for hyper's connection: on its first poll it starts `streams` streams that each
    /// count themselves done (the `panicking`-th panics instead); it records how many were done
    /// at each of its polls, and ends once `expected` are.
    struct FakeConnection {
        executor: StreamExecutor,
        streams: usize,
        panicking: Option<usize>,
        expected: usize,
        done: Arc<AtomicUsize>,
        seen: Vec<usize>,
    }

    impl Future for FakeConnection {
        type Output = Vec<usize>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<usize>> {
            let this = self.get_mut();
            let done = this.done.load(Ordering::SeqCst);
            this.seen.push(done);
            if this.seen.len() == 1 {
                for i in 0..this.streams {
                    let done = this.done.clone();
                    let panics = this.panicking == Some(i);
                    this.executor.execute(async move {
                        assert!(!panics, "stream {i} panics");
                        done.fetch_add(1, Ordering::SeqCst);
                    });
                }
            }
            if done == this.expected {
                return Poll::Ready(std::mem::take(&mut this.seen));
            }
            // hyper's connection is woken by its streams' answers; this one asks to be polled.
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn connection(streams: usize, panicking: Option<usize>) -> WithStreams<FakeConnection> {
        let executor = StreamExecutor::default();
        let fake = FakeConnection {
            executor: executor.clone(),
            streams,
            panicking,
            expected: streams - usize::from(panicking.is_some()),
            done: Arc::new(AtomicUsize::new(0)),
            seen: Vec::new(),
        };
        WithStreams::new(fake, executor)
    }

    #[tokio::test]
    async fn the_connection_writes_after_every_sixteen_answers() {
        let seen = connection(40, None).await;
        assert_eq!(seen, vec![0, 16, 32, 40]);
    }

    #[tokio::test]
    async fn a_panicking_stream_leaves_the_others_and_the_connection_running() {
        let seen = connection(5, Some(2)).await;
        assert_eq!(seen, vec![0, 4]);
    }
}
