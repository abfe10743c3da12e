//! Connections to the downstream, direct or through a proxy, as Go's `net/http` transport makes
//! them for client-go: a cluster's `proxy-url`, or else the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
//! environment ([`env`]). Through an `http` or `https` proxy an https server is reached with an
//! HTTP `CONNECT` tunnel and an http server with absolute-form requests; through `socks5` with a
//! SOCKS5 `CONNECT` ([`socks`]). User information in the proxy URL becomes
//! `Proxy-Authorization: Basic` (HTTP) or a username/password sub-negotiation (SOCKS5). TLS to an
//! `https` proxy uses the webhook's own TLS settings, as Go's transport does.
//!
//! The connector is what hyper-rustls wraps: TLS to the downstream runs over the stream it
//! returns.

pub(super) mod env;
mod socks;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::config::{ProxyScheme, ProxyUrl};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest `CONNECT` answer head read from a proxy.
const MAX_CONNECT_RESPONSE: usize = 8 << 10;

/// Opens connections to the downstream, through `proxy` when there is one.
#[derive(Clone)]
pub(super) struct Connector {
    tcp: HttpConnector,
    proxy: Option<Arc<ProxyUrl>>,
    /// TLS to an `https` proxy.
    proxy_tls: Option<tokio_rustls::TlsConnector>,
}

impl Connector {
    /// A connector over `tcp`; `tls` is the webhook's TLS configuration, used towards an `https`
    /// proxy too (with HTTP/1.1 only).
    pub(super) fn new(
        tcp: HttpConnector,
        proxy: Option<Arc<ProxyUrl>>,
        tls: &rustls::ClientConfig,
    ) -> Self {
        let proxy_tls = proxy
            .as_ref()
            .filter(|p| p.scheme == ProxyScheme::Https)
            .map(|_| {
                let mut tls = tls.clone();
                tls.alpn_protocols = vec![b"http/1.1".to_vec()];
                tokio_rustls::TlsConnector::from(Arc::new(tls))
            });
        Connector {
            tcp,
            proxy,
            proxy_tls,
        }
    }

    async fn connect(mut self, dst: Uri) -> Result<TokioIo<ProxyStream>, BoxError> {
        let Some(proxy) = self.proxy.clone() else {
            let tcp = tower_service::Service::call(&mut self.tcp, dst).await?;
            return Ok(TokioIo::new(ProxyStream::tcp(tcp.into_inner(), false)));
        };
        let proxy_uri: Uri = format!("http://{}", proxy.authority()).parse()?;
        let tcp = tower_service::Service::call(&mut self.tcp, proxy_uri)
            .await
            .map_err(|e| io::Error::other(format!("proxyconnect tcp: {}", chain(&e))))?
            .into_inner();
        let mut stream = match &self.proxy_tls {
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(proxy.host.clone())
                    .map_err(|e| io::Error::other(format!("proxyconnect tcp: {e}")))?;
                let tls = tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| io::Error::other(format!("proxyconnect tcp: {e}")))?;
                ProxyStream {
                    inner: Inner::Tls(Box::new(tls)),
                    forwarding: false,
                }
            }
            None => ProxyStream::tcp(tcp, false),
        };
        let https = dst.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = dst.host().ok_or("the server URL has no host")?;
        let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
        match proxy.scheme {
            ProxyScheme::Socks5 => {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                socks::connect(&mut stream, host, port, &proxy).await?;
            }
            ProxyScheme::Http | ProxyScheme::Https if https => {
                http_connect(&mut stream, &format!("{host}:{port}"), &proxy).await?;
            }
            // Plain http through an HTTP proxy: requests go to the proxy in absolute form.
            ProxyScheme::Http | ProxyScheme::Https => stream.forwarding = true,
        }
        Ok(TokioIo::new(stream))
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<ProxyStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower_service::Service::<Uri>::poll_ready(&mut self.tcp, cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        Box::pin(self.clone().connect(dst))
    }
}

/// `Proxy-Authorization` for a proxy URL with user information (Go's `connectMethod.proxyAuth`).
pub(super) fn proxy_authorization(proxy: &ProxyUrl) -> Option<http::HeaderValue> {
    let username = proxy.username.as_deref()?;
    let password = proxy.password.as_deref().unwrap_or_default();
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut value = http::HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Opens an HTTP `CONNECT` tunnel to `target` (`host:port`); Go accepts only a 200 answer and
/// reports any other by its status text.
async fn http_connect<S>(stream: &mut S, target: &str, proxy: &ProxyUrl) -> Result<(), BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut request = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {}\r\n",
        super::client::USER_AGENT
    );
    if let Some(value) = proxy_authorization(proxy)
        && let Ok(text) = value.to_str()
    {
        request.push_str(&format!("Proxy-Authorization: {text}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::Error::other(format!(
                "proxy {} closed the connection before answering CONNECT",
                proxy.authority()
            ))
            .into());
        }
        head.extend_from_slice(&chunk[..read]);
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() > MAX_CONNECT_RESPONSE {
            return Err(io::Error::other("the proxy's CONNECT answer is too long").into());
        }
    };
    if end != head.len() {
        return Err(io::Error::other("the proxy sent data after its CONNECT answer").into());
    }
    let status_line = head
        .split(|b| *b == b'\r')
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(io::Error::other(format!(
            "malformed CONNECT answer from proxy {}: {status_line:?}",
            proxy.authority()
        ))
        .into());
    }
    if code != "200" {
        let text = status_line.split_once(' ').map(|(_, t)| t).unwrap_or("");
        return Err(io::Error::other(format!(
            "proxy {} refused CONNECT {target}: {text}",
            proxy.authority()
        ))
        .into());
    }
    Ok(())
}

/// `error` and its sources, joined with colons.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

// === impl ProxyStream ===

/// A connection to the downstream or to a proxy on its way there.
pub(super) struct ProxyStream {
    inner: Inner,
    /// Requests must be sent in absolute form (plain http through an HTTP proxy).
    forwarding: bool,
}

enum Inner {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl ProxyStream {
    fn tcp(tcp: TcpStream, forwarding: bool) -> Self {
        ProxyStream {
            inner: Inner::Tcp(tcp),
            forwarding,
        }
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        let connected = match &self.inner {
            Inner::Tcp(tcp) => tcp.connected(),
            Inner::Tls(tls) => tls.get_ref().0.connected(),
        };
        connected.proxy(self.forwarding)
    }
}

impl AsyncRead for ProxyStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ProxyStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.inner {
            Inner::Tcp(s) => s.is_write_vectored(),
            Inner::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
