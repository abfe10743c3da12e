//! `WebhookCall`: POSTs a SubjectAccessReview to the kubeconfig's `server` URL verbatim (with
//! kube-apiserver's `?timeout=` query), over kept-alive HTTPS connections (HTTP/2 when the server
//! offers it), directly or through the proxy (`proxy`), with the user's credentials
//! (`credentials`, `exec`), and reads the answer's `status`. As Go's transport,
//! it asks for `Accept-Encoding: gzip` (unless `disable-compression`) and inflates a gzip answer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use thiserror::Error;

use super::answer::{
    MAX_ANSWER_BYTES, decode_answer, gunzip, source_is_reset, status_error, transport_error,
};
use super::credentials::RequestAuth;
use super::exec::{ExecAuthenticator, ExecCredential};
use super::gather::Gathering;
use super::proxy::{Connector, env, proxy_authorization};
use super::tls::{ClientCert, TlsBase, client_cert};
use crate::authz::Request;
use crate::authz::guard::{Answer, Call, CallError, CallErrorKind, CallFuture};
use crate::config::{ProxyScheme, ProxyUrl, WebhookConnection};
use crate::review::{ReviewVersion, encode_review};

/// The `User-Agent` of webhook requests (and of `CONNECT` requests to a proxy).
pub(super) const USER_AGENT: &str = concat!("authz-chain/", env!("CARGO_PKG_VERSION"));

type HttpClient = Client<Gathering<HttpsConnector<Connector>>, Full<Bytes>>;

/// Why a webhook client could not be set up.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The TLS material is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server URL is not a valid http(s) URL.
    #[error("invalid server URL {url:?}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// In-cluster configuration is not available.
    #[error("InClusterConfig: {0}")]
    InCluster(String),
}

/// Where the in-cluster credentials are (client-go's `rest.InClusterConfig`).
#[derive(Clone, Debug)]
pub struct InClusterPaths {
    /// `KUBERNETES_SERVICE_HOST`.
    pub host: String,
    /// `KUBERNETES_SERVICE_PORT`.
    pub port: String,
    /// The directory holding `token` and `ca.crt`.
    pub dir: PathBuf,
}

impl InClusterPaths {
    /// From the environment of a pod, as client-go reads it.
    pub fn from_env() -> Result<Self, WebhookError> {
        let host = std::env::var("KUBERNETES_SERVICE_HOST").unwrap_or_default();
        let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_default();
        if host.is_empty() || port.is_empty() {
            return Err(WebhookError::InCluster(
                "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined"
                    .into(),
            ));
        }
        Ok(InClusterPaths {
            host,
            port,
            dir: PathBuf::from("/var/run/secrets/kubernetes.io/serviceaccount"),
        })
    }

    /// The connection these paths describe: the cluster's own SubjectAccessReview API.
    pub fn connection(&self, version: ReviewVersion) -> Result<WebhookConnection, WebhookError> {
        let ca_path = self.dir.join("ca.crt");
        let ca = std::fs::read(&ca_path).map_err(|e| {
            WebhookError::InCluster(format!("cannot read {}: {e}", ca_path.display()))
        })?;
        let token_file = self.dir.join("token");
        std::fs::metadata(&token_file).map_err(|e| {
            WebhookError::InCluster(format!("cannot read {}: {e}", token_file.display()))
        })?;
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let group_version = match version {
            ReviewVersion::V1 => "v1",
            ReviewVersion::V1beta1 => "v1beta1",
        };
        Ok(WebhookConnection {
            server: format!(
                "https://{host}:{}/apis/authorization.k8s.io/{group_version}/subjectaccessreviews",
                self.port
            ),
            certificate_authority: Some(ca),
            files: vec![ca_path, token_file.clone()],
            token_file: Some(token_file),
            ..WebhookConnection::default()
        })
    }
}

/// One downstream webhook.
pub struct WebhookCall {
    url: String,
    uri: http::Uri,
    version: ReviewVersion,
    auth: RequestAuth,
    exec: Option<Arc<ExecAuthenticator>>,
    transport: Transport,
    accept_gzip: bool,
    /// `Proxy-Authorization` on requests sent in absolute form to an HTTP proxy.
    proxy_authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for WebhookCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookCall")
            .field("url", &self.url)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl WebhookCall {
    /// A client for `connection`, speaking `version`, whose requests carry `?timeout=<timeout>`.
    pub fn new(
        connection: &WebhookConnection,
        version: ReviewVersion,
        timeout: Duration,
    ) -> Result<Self, WebhookError> {
        let url = with_timeout_query(&connection.server, timeout);
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| WebhookError::Url {
                url: connection.server.clone(),
                message: e.to_string(),
            })?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
            return Err(WebhookError::Url {
                url: connection.server.clone(),
                message: "expected an http(s) URL with a host".into(),
            });
        }
        let proxy = match &connection.proxy_url {
            Some(proxy) => Some(proxy.clone()),
            None => env::proxy_for(&uri, |name| std::env::var(name).ok()).map_err(|message| {
                WebhookError::Url {
                    url: connection.server.clone(),
                    message: format!("proxy from the environment: {message}"),
                }
            })?,
        };
        let forwarding = uri.scheme_str() == Some("http")
            && proxy
                .as_ref()
                .is_some_and(|p| p.scheme != ProxyScheme::Socks5);
        let proxy_authorization = proxy
            .as_ref()
            .filter(|_| forwarding)
            .and_then(proxy_authorization);
        let client_cert = match (&connection.client_certificate, &connection.client_key) {
            (Some(cert), Some(key)) => Some(client_cert(cert, key)?),
            _ => None,
        };
        let tls = TlsBase::new(connection)?;
        let proxy = proxy.map(Arc::new);
        let base = build_client(tls.config(client_cert)?, proxy.clone(), timeout);
        let auth = RequestAuth::new(connection)?;
        let exec = connection
            .exec
            .as_ref()
            .filter(|_| !auth.has_authorization())
            .map(ExecAuthenticator::shared);
        Ok(WebhookCall {
            url: connection.server.clone(),
            uri,
            version,
            auth,
            exec,
            transport: Transport {
                base,
                tls,
                proxy,
                timeout,
                exec_client: Mutex::new(None),
            },
            accept_gzip: !connection.disable_compression,
            proxy_authorization,
        })
    }

    async fn post(&self, request: &Request) -> Result<Answer, CallError> {
        let credential = match &self.exec {
            Some(exec) => Some(exec.credential().await.map_err(|e| {
                CallError::new(
                    CallErrorKind::Fatal,
                    format!("Post {:?}: getting credentials: {e}", self.url),
                )
            })?),
            None => None,
        };
        let client = self.transport.client_for(credential.as_deref())?;
        let body = encode_review(request, self.version);
        let mut http_request = http::Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, */*")
            .header(header::USER_AGENT, USER_AGENT)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| {
                CallError::new(CallErrorKind::Fatal, format!("Post {:?}: {e}", self.url))
            })?;
        self.auth.apply(&mut http_request)?;
        let headers = http_request.headers_mut();
        if let Some(token) = credential.as_ref().and_then(|c| c.token.clone()) {
            headers.entry(header::AUTHORIZATION).or_insert(token);
        }
        if self.accept_gzip {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(value) = &self.proxy_authorization {
            headers.insert(header::PROXY_AUTHORIZATION, value.clone());
        }
        let response = client
            .request(http_request)
            .await
            .map_err(|e| transport_error(&self.url, &e))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED
            && let (Some(exec), Some(credential)) = (&self.exec, &credential)
        {
            exec.unauthorized(credential);
        }
        let retry_after = response.headers().contains_key(header::RETRY_AFTER);
        let gzip = self.accept_gzip
            && response
                .headers()
                .get(header::CONTENT_ENCODING)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| {
                let kind = if source_is_reset(e.as_ref()) {
                    CallErrorKind::Retryable
                } else {
                    CallErrorKind::Fatal
                };
                CallError::new(
                    kind,
                    format!("Post {:?}: reading the answer: {e}", self.url),
                )
            })?
            .to_bytes();
        let bytes = if gzip {
            gunzip(&bytes).map_err(|e| {
                CallError::new(
                    CallErrorKind::Fatal,
                    format!("Post {:?}: reading the answer: {e}", self.url),
                )
            })?
        } else {
            bytes
        };
        if !status.is_success() {
            return Err(status_error(&self.url, status, retry_after, &bytes));
        }
        decode_answer(&bytes)
            .map_err(|e| CallError::new(CallErrorKind::Fatal, format!("Post {:?}: {e}", self.url)))
    }
}

/// The HTTP clients of one webhook: the one every request uses, and, while an exec plugin
/// supplies a client certificate, one presenting it. A new certificate gets a new client, so
/// the old connections (and their certificate) are dropped, as client-go closes them.
struct Transport {
    base: HttpClient,
    tls: TlsBase,
    proxy: Option<Arc<ProxyUrl>>,
    timeout: Duration,
    exec_client: Mutex<Option<(Arc<ClientCert>, HttpClient)>>,
}

impl Transport {
    fn client_for(&self, credential: Option<&ExecCredential>) -> Result<HttpClient, CallError> {
        let Some(cert) = credential.and_then(|c| c.cert.as_ref()) else {
            return Ok(self.base.clone());
        };
        let mut slot = self.exec_client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((current, client)) = slot.as_ref()
            && same_cert(current, cert)
        {
            return Ok(client.clone());
        }
        let (chain, key) = &**cert;
        let tls = self
            .tls
            .config(Some((chain.clone(), key.clone_key())))
            .map_err(|e| CallError::new(CallErrorKind::Fatal, format!("exec plugin: {e}")))?;
        let client = build_client(tls, self.proxy.clone(), self.timeout);
        *slot = Some((cert.clone(), client.clone()));
        Ok(client)
    }
}

fn same_cert(a: &ClientCert, b: &ClientCert) -> bool {
    a.0 == b.0 && a.1.secret_der() == b.1.secret_der()
}

/// A pooled client over `tls`, through `proxy` if any.
fn build_client(
    tls: rustls::ClientConfig,
    proxy: Option<Arc<ProxyUrl>>,
    timeout: Duration,
) -> HttpClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(timeout));
    let connector = Connector::new(http, proxy, &tls);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(connector);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(Gathering(connector))
}

impl Call for WebhookCall {
    fn call<'a>(&'a self, request: &'a Request) -> CallFuture<'a> {
        Box::pin(self.post(request))
    }

    fn target(&self) -> &str {
        &self.url
    }
}

/// `server` plus `timeout=<Go duration>`, as client-go's REST client adds it.
fn with_timeout_query(server: &str, timeout: Duration) -> String {
    let go = crate::go::Duration::from_nanos(i64::try_from(timeout.as_nanos()).unwrap_or(i64::MAX));
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}timeout={go}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_query_is_go_duration() {
        assert_eq!(
            with_timeout_query("https://h/authorize", Duration::from_secs(3)),
            "https://h/authorize?timeout=3s"
        );
        assert_eq!(
            with_timeout_query("https://h/a?x=1", Duration::from_millis(2500)),
            "https://h/a?x=1&timeout=2.5s"
        );
    }
}
