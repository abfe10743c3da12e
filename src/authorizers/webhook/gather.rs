//! The webhook client's connections, with their writes gathered: what the connection writes in one
//! turn of the runtime leaves in one TLS record and one system call.
//!
//! hyper's HTTP/2 client writes a request in two turns: the HEADERS frame first, then the DATA
//! frame once the stream, opened by those headers, has send capacity (its body task waits for
//! it). Written as they come, that is two TLS records and two `writev`s per review. Here a
//! connection's first flush after a write yields once instead, so that the DATA frame (and any
//! other request's frames ready in the same turn) join the HEADERS, and the next flush writes
//! them all.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};

/// Bytes gathered before they are written out without waiting for a flush: a whole request of
/// ordinary size fits, and a TLS record holds 16 KiB.
const GATHER_LIMIT: usize = 16 * 1024;

/// A connector whose connections gather their writes ([`Gathered`]).
#[derive(Clone, Debug)]
pub struct Gathering<C>(pub C);

impl<C> tower_service::Service<Uri> for Gathering<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Send + 'static,
{
    type Response = Gathered<C::Response>;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move { connecting.await.map(Gathered::new) })
    }
}

/// A connection that keeps what is written until a flush, and yields once before that flush.
#[derive(Debug)]
pub struct Gathered<T> {
    inner: T,
    pending: Vec<u8>,
    /// The flush already yielded once for what is pending.
    yielded: bool,
}

impl<T> Gathered<T> {
    fn new(inner: T) -> Self {
        Gathered {
            inner,
            pending: Vec::new(),
            yielded: false,
        }
    }
}

impl<T: Write + Unpin> Gathered<T> {
    /// Writes out everything pending.
    fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut written = 0;
        while written < self.pending.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending[written..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => written += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => {
                    self.pending.drain(..written);
                    return Poll::Pending;
                }
            }
        }
        self.pending.clear();
        self.yielded = false;
        Poll::Ready(Ok(()))
    }
}

impl<T: Read + Unpin> Read for Gathered<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for Gathered<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.len() + buf.len() > GATHER_LIMIT {
            ready!(this.poll_write_pending(cx))?;
            if buf.len() > GATHER_LIMIT {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            }
        }
        this.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.pending.is_empty() && !this.yielded {
            // Let the tasks this turn woke (a request's body) add to it first.
            this.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        ready!(this.poll_write_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

impl<T: Connection> Connection for Gathered<T> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    /// A socket that records each write it is given.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
        flushes: usize,
    }

    impl Write for Recorder {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.writes.push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn write(io: &mut Gathered<Recorder>, cx: &mut Context<'_>, bytes: &[u8]) {
        let written = Pin::new(io).poll_write(cx, bytes);
        assert!(matches!(written, Poll::Ready(Ok(n)) if n == bytes.len()));
    }

    #[test]
    fn the_first_flush_yields_and_the_second_writes_everything_at_once() {
        let wakes = Arc::new(CountingWaker::default());
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut io = Gathered::new(Recorder::default());

        write(&mut io, &mut cx, b"HEADERS");
        assert!(Pin::new(&mut io).poll_flush(&mut cx).is_pending());
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "it asks to be polled again"
        );
        assert!(io.inner.writes.is_empty());

        write(&mut io, &mut cx, b"DATA");
        assert!(matches!(
            Pin::new(&mut io).poll_flush(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(io.inner.writes, vec![b"HEADERSDATA".to_vec()]);
        assert_eq!(io.inner.flushes, 1);

        // Nothing pending: a flush goes straight through; the next write yields again.
        assert!(Pin::new(&mut io).poll_flush(&mut cx).is_ready());
        write(&mut io, &mut cx, b"more");
        assert!(Pin::new(&mut io).poll_flush(&mut cx).is_pending());
    }

    #[test]
    fn writes_past_the_limit_go_out_without_waiting_for_a_flush() {
        let waker = Waker::from(Arc::new(CountingWaker::default()));
        let mut cx = Context::from_waker(&waker);
        let mut io = Gathered::new(Recorder::default());

        write(&mut io, &mut cx, &[b'a'; GATHER_LIMIT - 1]);
        write(&mut io, &mut cx, b"bc");
        assert_eq!(
            io.inner.writes.len(),
            1,
            "the gathered bytes went out first"
        );
        write(&mut io, &mut cx, &vec![b'd'; GATHER_LIMIT + 1]);
        assert_eq!(
            io.inner.writes.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![GATHER_LIMIT - 1, 2, GATHER_LIMIT + 1],
            "a write larger than the limit is not copied"
        );
        assert!(matches!(
            Pin::new(&mut io).poll_shutdown(&mut cx),
            Poll::Ready(Ok(()))
        ));
    }
}
