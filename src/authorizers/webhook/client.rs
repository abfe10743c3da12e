//! `WebhookCall`: POSTs a SubjectAccessReview to the kubeconfig's `server` URL verbatim (with
//! kube-apiserver's `?timeout=` query), over kept-alive HTTPS connections (HTTP/2 when the server
//! offers it), and reads the answer's `status`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use thiserror::Error;

use super::tls::client_tls_config;
use crate::authz::Request;
use crate::authz::guard::{Answer, Call, CallError, CallErrorKind, CallFuture};
use crate::config::WebhookConnection;
use crate::review::{ReviewVersion, encode_review};

/// Answers larger than this are refused.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// How long a token read from `tokenFile` is used before the file is read again (client-go's
/// cached token source does the same).
const TOKEN_FILE_REFRESH: Duration = Duration::from_secs(60);

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
            insecure_skip_tls_verify: false,
            tls_server_name: None,
            client_certificate: None,
            client_key: None,
            token: None,
            files: vec![ca_path, token_file.clone()],
            token_file: Some(token_file),
        })
    }
}

/// Where the bearer token comes from.
#[derive(Debug)]
enum Token {
    None,
    Static(HeaderValue),
    File {
        path: PathBuf,
        cached: Mutex<Option<(Instant, HeaderValue)>>,
    },
}

impl Token {
    fn header(&self) -> Result<Option<HeaderValue>, CallError> {
        match self {
            Token::None => Ok(None),
            Token::Static(value) => Ok(Some(value.clone())),
            Token::File { path, cached } => {
                let mut cached = cached.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((read, value)) = cached.as_ref()
                    && read.elapsed() < TOKEN_FILE_REFRESH
                {
                    return Ok(Some(value.clone()));
                }
                let value = read_token(path)?;
                *cached = Some((Instant::now(), value.clone()));
                Ok(Some(value))
            }
        }
    }
}

fn read_token(path: &Path) -> Result<HeaderValue, CallError> {
    let token = std::fs::read_to_string(path).map_err(|e| {
        CallError::new(
            CallErrorKind::Fatal,
            format!("reading tokenFile {}: {e}", path.display()),
        )
    })?;
    bearer(token.trim()).map_err(|e| CallError::new(CallErrorKind::Fatal, e))
}

fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the token is not a valid header value".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// One downstream webhook.
pub struct WebhookCall {
    url: String,
    uri: http::Uri,
    version: ReviewVersion,
    token: Token,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
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
        let tls = client_tls_config(connection)?;
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
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let token = match (&connection.token, &connection.token_file) {
            (Some(token), _) => {
                Token::Static(bearer(token).map_err(|message| WebhookError::Url {
                    url: connection.server.clone(),
                    message,
                })?)
            }
            (None, Some(path)) => Token::File {
                path: path.clone(),
                cached: Mutex::new(None),
            },
            (None, None) => Token::None,
        };
        Ok(WebhookCall {
            url: connection.server.clone(),
            uri,
            version,
            token,
            client,
        })
    }

    async fn post(&self, request: &Request) -> Result<Answer, CallError> {
        let body = encode_review(request, self.version);
        let mut builder = http::Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, */*")
            .header(
                header::USER_AGENT,
                concat!("authz-chain/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(token) = self.token.header()? {
            builder = builder.header(header::AUTHORIZATION, token);
        }
        let http_request = builder.body(Full::new(Bytes::from(body))).map_err(|e| {
            CallError::new(CallErrorKind::Fatal, format!("Post {:?}: {e}", self.url))
        })?;
        let response = self
            .client
            .request(http_request)
            .await
            .map_err(|e| transport_error(&self.url, &e))?;
        let status = response.status();
        let retry_after = response.headers().contains_key(header::RETRY_AFTER);
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
        if !status.is_success() {
            return Err(status_error(&self.url, status, retry_after, &bytes));
        }
        decode_answer(&bytes)
            .map_err(|e| CallError::new(CallErrorKind::Fatal, format!("Post {:?}: {e}", self.url)))
    }
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

#[derive(Deserialize)]
struct AnswerBody {
    #[serde(default)]
    status: Option<AnswerStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnswerStatus {
    #[serde(default)]
    allowed: bool,
    #[serde(default)]
    denied: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    evaluation_error: Option<String>,
}

fn decode_answer(bytes: &[u8]) -> Result<Answer, String> {
    let body: AnswerBody = serde_json::from_slice(bytes)
        .map_err(|e| format!("the answer is not a SubjectAccessReview: {e}"))?;
    let status = body.status.unwrap_or_default();
    Ok(Answer {
        allowed: status.allowed,
        denied: status.denied,
        reason: status.reason.unwrap_or_default().into(),
        evaluation_error: status.evaluation_error.unwrap_or_default().into(),
    })
}

/// Non-2xx answers: 500 and 429 (or any with `Retry-After`) are retried, 504 too (as a timeout);
/// everything else fails at once.
fn status_error(url: &str, status: StatusCode, retry_after: bool, body: &[u8]) -> CallError {
    let kind = match status {
        StatusCode::GATEWAY_TIMEOUT => CallErrorKind::GatewayTimeout,
        StatusCode::INTERNAL_SERVER_ERROR | StatusCode::TOO_MANY_REQUESTS => {
            CallErrorKind::Retryable
        }
        _ if retry_after => CallErrorKind::Retryable,
        _ => CallErrorKind::Fatal,
    };
    let text = String::from_utf8_lossy(&body[..body.len().min(256)])
        .trim()
        .to_owned();
    let mut message = format!("Post {url:?}: the server responded with HTTP {status}");
    if !text.is_empty() {
        message.push_str(&format!(": {text}"));
    }
    CallError::new(kind, message)
}

fn transport_error(url: &str, error: &hyper_util::client::legacy::Error) -> CallError {
    let kind = if source_is_reset(error) {
        CallErrorKind::Retryable
    } else {
        CallErrorKind::Fatal
    };
    let mut message = format!("Post {url:?}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    CallError::new(kind, message)
}

/// Walks the error chain for a connection reset or a lost HTTP/2 connection (a peer that closes
/// an HTTP/1.1 connection without a reset, which Go reports as `EOF`, is not retried upstream
/// either).
fn source_is_reset(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        // HTTP/2: a connection that dies under pending streams cancels them ("connection
        // closed"), Go's `http2: client connection lost`, which upstream retries.
        if let Some(hyper_error) = e.downcast_ref::<hyper::Error>()
            && hyper_error.is_canceled()
        {
            return true;
        }
        current = e.source();
    }
    false
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

    #[test]
    fn answers_decode_leniently() {
        let a = decode_answer(
            br#"{"apiVersion":"authorization.k8s.io/v1","status":{"allowed":true,"reason":"ok"}}"#,
        )
        .unwrap();
        assert!(a.allowed && !a.denied && &*a.reason == "ok");
        let none = decode_answer(br#"{"status":null}"#).unwrap();
        assert_eq!(none, Answer::default());
        assert!(decode_answer(b"{\"status\":{\"allowed\":tr").is_err());
        assert!(decode_answer(b"<html>").is_err());
    }
}
