//! Routes: `POST /authorize` (any query string, such as kube-apiserver's `?timeout=3s`), and
//! `GET /healthz`, `/livez`, `/readyz` and `/metrics`. Bad input gets a Kubernetes `Status` naming the problem:
//! 400 for undecodable bodies, 422 for invalid reviews, 413 over 1 MiB, 405 for a wrong method,
//! 404 for an unknown path.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;

use super::App;
use crate::authz::Decision;
use crate::metrics::{ResultLabels, RouteLabels};
use crate::review;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Answers one HTTP request, recording its latency by route and status code.
/// `client_certificate` says whether the connection presented a verified client certificate.
pub async fn route(
    app: &App,
    request: http::Request<Incoming>,
    client_certificate: bool,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let route: &'static str = match request.uri().path() {
        "/authorize" => "/authorize",
        "/healthz" => "/healthz",
        "/livez" => "/livez",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    };
    let response = dispatch(app, request, client_certificate).await;
    app.metrics()
        .http_duration
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
            code: response.status().as_str().to_owned(),
        })
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn dispatch(
    app: &App,
    request: http::Request<Incoming>,
    client_certificate: bool,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match path {
        "/authorize" => {
            if app.client_certificate_required() && !client_certificate {
                return unauthorized();
            }
            if request.method() != Method::POST {
                return method_not_allowed("POST");
            }
            authorize(app, request).await
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
            if request.method() != Method::GET && request.method() != Method::HEAD {
                return method_not_allowed("GET, HEAD");
            }
            let mut response = Response::new(Full::new(Bytes::from(app.metrics().encode())));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        _ => status_response(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("the path {path:?} is not served"),
        ),
    }
}

async fn authorize(app: &App, request: http::Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let body = match read_body(request.into_body()).await {
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
    let outcome = chain.evaluate(&attributes).await;
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
    match serde_json::to_vec(&answer) {
        Ok(bytes) => json(StatusCode::OK, bytes),
        Err(error) => status_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("cannot encode the answer: {error}"),
        ),
    }
}

/// Bodies this much over the limit are still read (and dropped) before answering 413, so that a
/// client that is still sending sees the answer instead of a reset connection.
const DRAIN_BYTES: usize = 4 * MAX_BODY_BYTES;

/// Reads the body, at most [`MAX_BODY_BYTES`]; larger bodies get 413.
async fn read_body(mut body: Incoming) -> Result<Bytes, Box<Response<Full<Bytes>>>> {
    let declared = body.size_hint().exact().unwrap_or(0);
    let mut collected = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
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
