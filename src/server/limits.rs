//! The limits that keep one misbehaving or malicious client from holding the server: how long a
//! client may take over each part of a request, how long a connection may sit idle, how many
//! connections and requests in flight are served at once. Each is a `serve` flag; the defaults
//! follow kube-apiserver's own HTTP server where it has one.

use std::time::Duration;

/// Connection and request limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to finish the TLS handshake.
    pub handshake_timeout: Duration,
    /// How long a client may take to send a request's headers, counted from when the server is
    /// ready to read them (for HTTP/1.1, this includes the wait for the next request on a
    /// kept-alive connection). kube-apiserver uses 32 s.
    pub header_read_timeout: Duration,
    /// How long a request body may go without progress.
    pub body_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress (kube-apiserver: 90 s).
    pub idle_timeout: Duration,
    /// How long a finished response may wait for the client to take it (an HTTP/2 client that
    /// grants no flow-control window): past it the connection is closed.
    pub write_timeout: Duration,
    /// HTTP/2 PING interval on a connection (`None`: no pings).
    pub http2_keepalive_interval: Option<Duration>,
    /// How long an HTTP/2 PING may go unanswered before the connection is closed.
    pub http2_keepalive_timeout: Duration,
    /// The most streams a client may open at once on one HTTP/2 connection.
    pub http2_max_concurrent_streams: u32,
    /// The most connections served at once. Past it, idle connections are closed first and new
    /// ones wait in the listen backlog.
    pub max_connections: usize,
    /// The most `/authorize` requests in progress at once; more are answered 429 with
    /// `Retry-After` (kube-apiserver's webhook client retries those).
    pub max_requests_inflight: usize,
    /// How long a closing connection (idle, or on shutdown) may take to close by itself before it
    /// is dropped.
    pub close_linger: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            write_timeout: Duration::from_secs(30),
            http2_keepalive_interval: Some(Duration::from_secs(30)),
            http2_keepalive_timeout: Duration::from_secs(20),
            http2_max_concurrent_streams: 250,
            max_connections: 4096,
            max_requests_inflight: 2000,
            close_linger: Duration::from_secs(1),
        }
    }
}

/// File descriptors kept free for everything but served connections: the listener, webhook and
/// API server clients, watched files, logs.
pub const RESERVED_FILES: u64 = 128;

/// What [`Limits::fit_to_file_limit`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    /// The soft limit on open files after raising it as far as allowed.
    pub open_files: u64,
    /// The connection cap before fitting it.
    pub requested_connections: usize,
}

impl Limits {
    /// Raises this process's soft limit on open files to its hard limit (as Go's runtime does at
    /// start) and lowers `max_connections` to fit under it with `RESERVED_FILES` to spare, so
    /// that a flood of connections makes new ones wait instead of making `accept` fail. `None`
    /// where the limit cannot be read.
    pub fn fit_to_file_limit(&mut self) -> Option<FileLimit> {
        #[cfg(unix)]
        {
            use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
            let limit = getrlimit(Resource::Nofile);
            let mut open_files = limit.current?;
            if let Some(hard) = limit.maximum
                && hard > open_files
                && setrlimit(
                    Resource::Nofile,
                    Rlimit {
                        current: Some(hard),
                        maximum: Some(hard),
                    },
                )
                .is_ok()
            {
                open_files = hard;
            }
            let requested_connections = self.max_connections;
            let room = usize::try_from(open_files.saturating_sub(RESERVED_FILES))
                .unwrap_or(usize::MAX)
                .max(1);
            self.max_connections = self.max_connections.min(room);
            Some(FileLimit {
                open_files,
                requested_connections,
            })
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// How often a connection checks its timers: often enough for the shortest of them.
    pub fn tick(&self) -> Duration {
        (self.idle_timeout.min(self.write_timeout) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1))
    }
}
