//! A downstream SubjectAccessReview webhook for tests: real HTTPS on loopback (optionally
//! requiring client certificates) that records every request and answers as the test says:
//! a JSON body with any status code, after a delay, never (a hang), or with a TCP reset.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncReadExt;

use super::pki::{Ca, Leaf};

/// How the downstream answers.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// Status code, JSON body, optional `Retry-After`.
    Reply {
        status: u16,
        body: String,
        retry_after: bool,
    },
    /// Answer after a delay.
    Slow(Duration, Box<Behavior>),
    /// Never answer.
    Hang,
    /// Read the request, then reset the connection.
    Reset,
    /// 200 with this body, sent one byte per interval.
    Trickle(Duration, String),
    /// 200 with this body gzip-compressed (`Content-Encoding: gzip`).
    Gzip(String),
}

impl Behavior {
    /// 200 with `status` as the SubjectAccessReview status.
    pub fn status(version: &str, status: serde_json::Value) -> Self {
        Behavior::Reply {
            status: 200,
            body: serde_json::json!({"apiVersion": format!("authorization.k8s.io/{version}"), "kind": "SubjectAccessReview", "status": status}).to_string(),
            retry_after: false,
        }
    }

    /// An HTTP error with a short body.
    pub fn http(status: u16) -> Self {
        Behavior::Reply {
            status,
            body: format!("{{\"error\":\"status {status}\"}}"),
            retry_after: false,
        }
    }
}

/// A body that yields one byte per interval.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    every: Duration,
    sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Trickle {
    fn new(every: Duration, bytes: Vec<u8>) -> Self {
        Trickle {
            bytes,
            at: 0,
            every,
            sleep: None,
        }
    }
}

impl hyper::body::Body for Trickle {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.at >= self.bytes.len() {
            return std::task::Poll::Ready(None);
        }
        let every = self.every;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
        if sleep.as_mut().poll(cx).is_pending() {
            return std::task::Poll::Pending;
        }
        self.sleep = None;
        let byte = Bytes::copy_from_slice(&self.bytes[self.at..self.at + 1]);
        self.at += 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(byte))))
    }
}

/// What the downstream saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub version: http::Version,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// A running downstream.
pub struct Downstream {
    pub address: SocketAddr,
    pub ca: Arc<Ca>,
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    behavior: Arc<Mutex<Behavior>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Downstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Downstream {
    /// Starts a downstream with its own CA; when `client_ca` is given, client certificates signed
    /// by it are required.
    pub async fn start(behavior: Behavior, client_ca: Option<&Ca>) -> Self {
        let ca = Arc::new(Ca::new("downstream-ca"));
        let leaf: Leaf = ca.server();
        let certs: Vec<_> =
            rustls::pki_types::pem::PemObject::pem_slice_iter(leaf.cert_pem.as_bytes())
                .collect::<Result<Vec<rustls::pki_types::CertificateDer<'static>>, _>>()
                .expect("cert");
        let key: rustls::pki_types::PrivateKeyDer<'static> =
            rustls::pki_types::pem::PemObject::from_pem_slice(leaf.key_pem.as_bytes())
                .expect("key");
        let provider = authz_chain::server::crypto_provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions");
        let builder = match client_ca {
            Some(client_ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in
                    rustls::pki_types::pem::PemObject::pem_slice_iter(client_ca.pem.as_bytes())
                {
                    roots.add(cert.expect("ca")).expect("add");
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .expect("verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(certs, key).expect("server config");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let behavior = Arc::new(Mutex::new(behavior));
        let (c, s, b) = (calls.clone(), seen.clone(), behavior.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, calls, seen, behavior) =
                    (acceptor.clone(), c.clone(), s.clone(), b.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let current = behavior.lock().expect("behavior").clone();
                    if let Behavior::Reset = current {
                        let mut buffer = [0u8; 4096];
                        let _ = tls.read(&mut buffer).await;
                        calls.fetch_add(1, Ordering::SeqCst);
                        let _ = tls.get_ref().0.set_zero_linger();
                        drop(tls);
                        return;
                    }
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let (calls, seen, behavior) =
                                (calls.clone(), seen.clone(), behavior.clone());
                            async move {
                                let version = request.version();
                                let path_and_query = request
                                    .uri()
                                    .path_and_query()
                                    .map(|p| p.to_string())
                                    .unwrap_or_default();
                                let authorization = request
                                    .headers()
                                    .get(http::header::AUTHORIZATION)
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned);
                                let headers = request.headers().clone();
                                let body = request
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                calls.fetch_add(1, Ordering::SeqCst);
                                seen.lock().expect("seen").push(Seen {
                                    version,
                                    path_and_query,
                                    authorization,
                                    headers,
                                    body: String::from_utf8_lossy(&body).into_owned(),
                                });
                                let mut current = behavior.lock().expect("behavior").clone();
                                loop {
                                    match current {
                                        Behavior::Slow(delay, then) => {
                                            tokio::time::sleep(delay).await;
                                            current = *then;
                                        }
                                        Behavior::Hang | Behavior::Reset => {
                                            tokio::time::sleep(Duration::from_secs(3600)).await;
                                        }
                                        Behavior::Gzip(body) => {
                                            use std::io::Write;
                                            let mut encoder = flate2::write::GzEncoder::new(
                                                Vec::new(),
                                                flate2::Compression::default(),
                                            );
                                            encoder.write_all(body.as_bytes()).expect("gzip");
                                            let mut response = http::Response::new(
                                                Full::new(Bytes::from(
                                                    encoder.finish().expect("gzip"),
                                                ))
                                                .boxed(),
                                            );
                                            response.headers_mut().insert(
                                                http::header::CONTENT_ENCODING,
                                                http::HeaderValue::from_static("gzip"),
                                            );
                                            return Ok::<_, std::convert::Infallible>(response);
                                        }
                                        Behavior::Trickle(every, body) => {
                                            let response = http::Response::new(
                                                Trickle::new(every, body.into_bytes()).boxed(),
                                            );
                                            return Ok::<_, std::convert::Infallible>(response);
                                        }
                                        Behavior::Reply {
                                            status,
                                            body,
                                            retry_after,
                                        } => {
                                            let mut response = http::Response::new(
                                                Full::new(Bytes::from(body)).boxed(),
                                            );
                                            *response.status_mut() =
                                                http::StatusCode::from_u16(status).expect("status");
                                            response.headers_mut().insert(
                                                http::header::CONTENT_TYPE,
                                                http::HeaderValue::from_static("application/json"),
                                            );
                                            if retry_after {
                                                response.headers_mut().insert(
                                                    http::header::RETRY_AFTER,
                                                    http::HeaderValue::from_static("1"),
                                                );
                                            }
                                            return Ok::<_, std::convert::Infallible>(response);
                                        }
                                    }
                                }
                            }
                        });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Downstream {
            address,
            ca,
            calls,
            seen,
            behavior,
            task,
        }
    }

    /// Requests received so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    /// Changes how later requests are answered.
    pub fn set(&self, behavior: Behavior) {
        *self.behavior.lock().expect("behavior") = behavior;
    }

    /// `https://127.0.0.1:<port>/authorize`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/authorize", self.address.port())
    }

    /// A kubeconfig pointing at this downstream, written into `dir`; with a client certificate
    /// when `client` is given.
    pub fn kubeconfig(
        &self,
        dir: &std::path::Path,
        name: &str,
        client: Option<&Leaf>,
    ) -> std::path::PathBuf {
        let ca = dir.join(format!("{name}-ca.crt"));
        std::fs::write(&ca, &self.ca.pem).expect("ca");
        let user = match client {
            Some(leaf) => {
                let (cert, key) = leaf.write(dir, &format!("{name}-client"));
                format!(
                    "    client-certificate: {}\n    client-key: {}\n",
                    cert.display(),
                    key.display()
                )
            }
            None => "    token: test-token\n".to_owned(),
        };
        let path = dir.join(format!("{name}.kubeconfig"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n{user}contexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n",
                self.url(),
                ca.display()
            ),
        )
        .expect("kubeconfig");
        path
    }
}
