//! Routes: `POST /authorize` (kube-apiserver's `?timeout=3s` bounds the whole chain), and
//! `GET /healthz`, `/livez`, `/readyz` and `/metrics`. Bad input gets a Kubernetes `Status` naming
//! the problem: 400 for undecodable bodies, 422 for invalid reviews, 413 over 1 MiB, 408 for a
//! body that stops arriving, 405 for a wrong method, 404 for an unknown path; 401 and 403 for
//! callers without an allowed client certificate; 429 with `Retry-After` past the limit of
//! requests in flight. HEAD gets the headers of GET and no body, over HTTP/1.1 and HTTP/2 alike.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;

use super::App;
use super::app::MetricsAccess;
use super::client::{Access, CallerPolicy, ClientIdentity};
use crate::authz::explain::ExplainOptions;
use crate::authz::{Decision, deadline};
use crate::metrics::{ResultLabels, RouteLabels};
use crate::review;
use crate::throttle::LogThrottle;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Answers one HTTP request, recording its latency by route and status code. `client` is the
/// connection's verified client certificate, if any.
pub async fn route(
    app: &App,
    request: http::Request<Incoming>,
    client: &ClientIdentity,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let route: &'static str = match request.uri().path() {
        "/authorize" => "/authorize",
        "/explain" => "/explain",
        "/shadow" => "/shadow",
        "/healthz" => "/healthz",
        "/livez" => "/livez",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    };
    let head = request.method() == Method::HEAD;
    let mut response = dispatch(app, request, client).await;
    if head {
        // hyper drops the body of an HTTP/1.1 answer to HEAD, but sends it over HTTP/2.
        *response.body_mut() = Full::new(Bytes::new());
    }
    app.metrics()
        .http_duration
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
            code: response.status().as_str().to_owned(),
        })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Refused callers of `/authorize` and `/metrics`, logged at most once per interval.
static REFUSED_CALLERS: LogThrottle = LogThrottle::new(crate::throttle::DEFAULT_INTERVAL);

/// `None` when `client` may use `route`; otherwise the refusal.
fn refuse(
    app: &App,
    policy: &CallerPolicy,
    client: &ClientIdentity,
    route: &str,
) -> Option<Response<Full<Bytes>>> {
    match policy.check(client) {
        Access::Granted => None,
        Access::NoCertificate => Some(unauthorized()),
        Access::NameNotAllowed(name) => {
            app.metrics().request_rejected("client_not_allowed");
            crate::warn_throttled!(REFUSED_CALLERS, client = %name, route, "refused a client certificate whose names are not in --allowed-client-names");
            Some(status_response(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("client certificate {name:?} is not allowed to use {route}"),
            ))
        }
    }
}

async fn dispatch(
    app: &App,
    request: http::Request<Incoming>,
    client: &ClientIdentity,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match path {
        "/authorize" | "/explain" if path == "/authorize" || app.explain_enabled() => {
            let route = if path == "/authorize" {
                "/authorize"
            } else {
                "/explain"
            };
            if let Some(refusal) = refuse(app, app.authorize_callers(), client, route) {
                return refusal;
            }
            if request.method() != Method::POST {
                return method_not_allowed("POST");
            }
            let Some(_slot) = app.try_begin_request() else {
                app.metrics().request_rejected("too_many_requests");
                return too_many_requests();
            };
            if route == "/authorize" {
                authorize(app, request).await
            } else {
                explain(app, request).await
            }
        }
        "/shadow" if app.shadow().is_some() => {
            if let Some(refusal) = refuse(app, app.authorize_callers(), client, "/shadow") {
                return refusal;
            }
            if request.method() != Method::GET && request.method() != Method::HEAD {
                return method_not_allowed("GET, HEAD");
            }
            let report = app.shadow().map(|shadow| shadow.report());
            match serde_json::to_vec(&report) {
                Ok(bytes) => json(StatusCode::OK, bytes),
                Err(error) => status_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    &format!("cannot encode the shadow report: {error}"),
                ),
            }
        }
        "/healthz" | "/livez" | "/readyz" => {
            if request.method() != Method::GET && request.method() != Method::HEAD {
                return method_not_allowed("GET, HEAD");
            }
            let verbose = request.uri().query().is_some_and(|q| {
                q.split('&')
                    .any(|p| p == "verbose" || p.starts_with("verbose="))
            });
            let (status, body) = if path == "/readyz" {
                app.readiness().report("readyz", verbose)
            } else {
                let endpoint = &path[1..];
                if verbose {
                    (200, format!("[+]ping ok\n{endpoint} check passed\n"))
                } else {
                    (200, "ok".to_owned())
                }
            };
            text(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body)
        }
        "/metrics" => {
            match app.metrics_access() {
                MetricsAccess::Elsewhere => return not_found(path),
                MetricsAccess::Here(policy) => {
                    if let Some(refusal) = refuse(app, policy, client, "/metrics") {
                        return refusal;
                    }
                }
            }
            metrics_response(app, &request)
        }
        _ => not_found(path),
    }
}

/// `/metrics` in the text format, to anyone.
fn metrics_response(app: &App, request: &http::Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return method_not_allowed("GET, HEAD");
    }
    let mut response = Response::new(Full::new(Bytes::from(app.metrics().encode())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// The routes of the metrics listener (`--metrics-bind-address`): `/metrics` there is open to
/// whoever reaches that address; health endpoints as on the serving port; nothing else.
pub async fn serve_open(app: &App, request: http::Request<Incoming>) -> Response<Full<Bytes>> {
    match request.uri().path() {
        // That listener speaks HTTP/1.1 only, where hyper drops the body of an answer to HEAD.
        "/metrics" => metrics_response(app, &request),
        "/healthz" | "/livez" | "/readyz" => {
            route(app, request, &ClientIdentity::anonymous()).await
        }
        path => not_found(path),
    }
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    status_response(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("the path {path:?} is not served"),
    )
}

/// The caller's `?timeout=` (a Go duration, as kube-apiserver's webhook client sends it); an
/// unparsable or non-positive value is ignored, as kube-apiserver ignores it.
fn caller_timeout(uri: &http::Uri) -> Option<Duration> {
    let query = uri.query()?;
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("timeout="))?;
    let parsed = crate::go::Duration::parse(value).ok()?;
    (!parsed.is_negative() && !parsed.to_std().is_zero()).then(|| parsed.to_std())
}

async fn authorize(app: &App, request: http::Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let deadline = caller_timeout(request.uri())
        .map(|timeout| tokio::time::Instant::from_std(started) + deadline::budget(timeout));
    let body = match read_body(request.into_body(), app.limits().body_read_timeout).await {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let review = match review::decode(&body) {
        Ok(review) => review,
        Err(error) => return review_error(&error),
    };
    let attributes = match review::to_request(&review) {
        Ok(attributes) => attributes,
        Err(error) => return review_error(&error),
    };
    let chain = app.chain();
    let outcome = match deadline {
        Some(deadline) => deadline::within(deadline, chain.evaluate(&attributes)).await,
        None => chain.evaluate(&attributes).await,
    };
    let answer = review::answer(&review, &attributes, &outcome.verdict);
    let result = match (outcome.verdict.decision, &outcome.verdict.error) {
        (Decision::Allow, _) => "allowed",
        (_, Some(_)) => "error",
        (Decision::Deny, None) => "denied",
        (Decision::NoOpinion, None) => "no-opinion",
    };
    let labels = ResultLabels {
        result: result.to_owned(),
    };
    app.metrics().attempts.get_or_create(&labels).inc();
    app.metrics()
        .attempt_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    tracing::debug!(
        user = %attributes.user.name,
        verb = attributes.verb(),
        target = %target(&attributes),
        decision = outcome.verdict.decision.as_str(),
        authorizer = outcome.decided_by.as_deref().unwrap_or(""),
        reason = outcome.verdict.reason.as_str(),
        latency_us = started.elapsed().as_micros() as u64,
        "decision"
    );
    if outcome.verdict.decision == Decision::Deny {
        tracing::trace!(user = %attributes.user.name, "denied");
    }
    let body = serde_json::to_vec(&answer);
    // After the answer is built: the shadow never delays it (a try_send into its queue).
    if let Some(shadow) = app.shadow() {
        shadow.offer(attributes, &outcome);
    }
    match body {
        Ok(bytes) => json(StatusCode::OK, bytes),
        Err(error) => status_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("cannot encode the answer: {error}"),
        ),
    }
}

/// `POST /explain`: the review's explanation through the current chain; webhooks are never
/// called and caches only looked at (the default [`ExplainOptions`]).
async fn explain(app: &App, request: http::Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match read_body(request.into_body(), app.limits().body_read_timeout).await {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let attributes = match review::decode(&body).and_then(|r| review::to_request(&r)) {
        Ok(attributes) => attributes,
        Err(error) => return review_error(&error),
    };
    let chain = app.chain();
    let explanation = chain.explain(&attributes, &ExplainOptions::default()).await;
    match serde_json::to_vec(&crate::questions::explain::to_json(
        &explanation,
        &attributes,
    )) {
        Ok(bytes) => json(StatusCode::OK, bytes),
        Err(error) => status_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("cannot encode the explanation: {error}"),
        ),
    }
}

/// Bodies this much over the limit are still read (and dropped) before answering 413, so that a
/// client that is still sending sees the answer instead of a reset connection.
const DRAIN_BYTES: usize = 4 * MAX_BODY_BYTES;

/// How many times the no-progress limit a whole body may take: a client trickling a byte just
/// often enough to count as progress still has to finish.
const BODY_TOTAL_FACTOR: u32 = 4;

/// Reads the body, at most [`MAX_BODY_BYTES`]; larger bodies get 413. A body that makes no
/// progress for `stall`, or is not complete after `BODY_TOTAL_FACTOR` times that, gets 408.
async fn read_body(
    mut body: Incoming,
    stall: Duration,
) -> Result<Bytes, Box<Response<Full<Bytes>>>> {
    let declared = body.size_hint().exact().unwrap_or(0);
    let mut collected = Vec::new();
    let mut seen = 0usize;
    let whole = tokio::time::Instant::now() + stall * BODY_TOTAL_FACTOR;
    loop {
        let limit = (tokio::time::Instant::now() + stall).min(whole);
        let Ok(frame) = tokio::time::timeout_at(limit, body.frame()).await else {
            return Err(Box::new(status_response(
                StatusCode::REQUEST_TIMEOUT,
                "Timeout",
                &format!(
                    "the request body made no progress for {} or was not complete after {}",
                    go_duration(stall),
                    go_duration(stall * BODY_TOTAL_FACTOR)
                ),
            )));
        };
        let Some(frame) = frame else {
            break;
        };
        let frame = frame.map_err(|error| {
            Box::new(status_response(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("cannot read the request body: {error}"),
            ))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > DRAIN_BYTES || declared > DRAIN_BYTES as u64 {
            break;
        }
        if seen <= MAX_BODY_BYTES {
            collected.extend_from_slice(&data);
        }
    }
    if seen > MAX_BODY_BYTES || declared > MAX_BODY_BYTES as u64 {
        return Err(Box::new(too_large()));
    }
    Ok(Bytes::from(collected))
}

fn go_duration(duration: Duration) -> crate::go::Duration {
    crate::go::Duration::from_nanos(i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX))
}

fn target(request: &crate::authz::Request) -> String {
    match &request.attributes {
        crate::authz::Attributes::Resource(r) => {
            let mut s = r.resource.clone();
            if !r.subresource.is_empty() {
                s.push('/');
                s.push_str(&r.subresource);
            }
            s
        }
        crate::authz::Attributes::NonResource(n) => n.path.clone(),
    }
}

fn review_error(error: &review::ReviewError) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let reason = if status == StatusCode::UNPROCESSABLE_ENTITY {
        "Invalid"
    } else {
        "BadRequest"
    };
    status_response(status, reason, &error.to_string())
}

fn too_large() -> Response<Full<Bytes>> {
    status_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

fn method_not_allowed(allowed: &'static str) -> Response<Full<Bytes>> {
    let mut response = status_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("the method is not allowed here; use {allowed}"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// 429 with `Retry-After`, as kube-apiserver answers past its in-flight limit.
fn too_many_requests() -> Response<Full<Bytes>> {
    let mut response = status_response(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "too many requests in flight, please try again later",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// 401, as kube-apiserver answers a request it cannot authenticate.
fn unauthorized() -> Response<Full<Bytes>> {
    status_response(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}

/// A Kubernetes `Status` object.
fn status_response(status: StatusCode, reason: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status.as_u16(),
    });
    json(status, body.to_string().into_bytes())
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
