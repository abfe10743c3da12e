//! The fake API server's side of the protocol: lists (paged), watch streams (JSON lines over a
//! chunked body), bookmarks and `410 Gone`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{KINDS, Shared};

type Response = http::Response<BoxBody<Bytes, Infallible>>;

fn reply(status: u16, body: Value) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

pub(super) async fn handle(
    shared: &Arc<Shared>,
    request: http::Request<hyper::body::Incoming>,
) -> Response {
    let path = request.uri().path().to_owned();
    let query: BTreeMap<String, String> = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2F", "/")))
        .collect();
    shared.requests.lock().expect("requests").push(
        request
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    let Some(&(kind, api_version, _)) = KINDS.iter().find(|(_, _, p)| *p == path) else {
        return reply(
            404,
            status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        );
    };
    if shared.state.lock().expect("state").unserved.contains(kind) {
        return reply(
            404,
            status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        );
    }
    if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
        let since = query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let bookmarks = query
            .get("allowWatchBookmarks")
            .is_some_and(|v| v == "true");
        return watch_stream(shared.clone(), kind, api_version, since, bookmarks);
    }
    let mut changed = shared.changed.subscribe();
    while shared.state.lock().expect("state").held.contains(kind) {
        if changed.changed().await.is_err() {
            break;
        }
    }
    let state = shared.state.lock().expect("state");
    let objects = &state.collections[kind].objects;
    let offset: usize = query
        .get("continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let items: Vec<&Value> = objects.values().skip(offset).take(limit).collect();
    let mut metadata = json!({"resourceVersion": state.rv.to_string()});
    if offset + items.len() < objects.len() {
        metadata["continue"] = json!((offset + items.len()).to_string());
    }
    reply(
        200,
        json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": metadata, "items": items}),
    )
}

/// A streaming body fed by a channel; it ends when the sender is dropped.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|line| line.map(|l| Ok(Frame::data(l))))
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    Bytes::from(format!("{}\n", json!({"type": kind, "object": object})))
}

fn watch_stream(
    shared: Arc<Shared>,
    kind: &'static str,
    api_version: &'static str,
    mut since: u64,
    allow_bookmarks: bool,
) -> Response {
    {
        let state = shared.state.lock().expect("state");
        if state.gone_as_http && since < state.collections[kind].oldest {
            let message = format!(
                "too old resource version: {since} ({})",
                state.collections[kind].oldest
            );
            return reply(410, status(410, "Expired", &message));
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let mut changed = shared.changed.subscribe();
    let mut bookmarks_seen = shared.state.lock().expect("state").bookmarks;
    tokio::spawn(async move {
        loop {
            let mut lines = Vec::new();
            let mut end = false;
            {
                let state = shared.state.lock().expect("state");
                let collection = &state.collections[kind];
                if since < collection.oldest {
                    if !state.gone_as_http {
                        let message =
                            format!("too old resource version: {since} ({})", collection.oldest);
                        lines.push(line("ERROR", &status(410, "Expired", &message)));
                    }
                    end = true;
                } else {
                    let from = since;
                    for (rv, event, object) in collection.events.iter().filter(|e| e.0 > from) {
                        lines.push(line(event, object));
                        since = *rv;
                    }
                    if state.bookmarks != bookmarks_seen {
                        bookmarks_seen = state.bookmarks;
                        if allow_bookmarks {
                            since = state.rv;
                            let object = json!({"kind": kind, "apiVersion": api_version,
                                                "metadata": {"resourceVersion": since.to_string()}});
                            lines.push(line("BOOKMARK", &object));
                        }
                    }
                }
            }
            for l in lines {
                if tx.send(l).is_err() {
                    return;
                }
            }
            if end || changed.changed().await.is_err() {
                return;
            }
        }
    });
    let mut response = http::Response::new(BoxBody::new(ChannelBody(rx)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
