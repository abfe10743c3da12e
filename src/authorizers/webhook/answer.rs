//! Reading a downstream's answer as kube-apiserver's webhook client reads it: a gzip body
//! inflated (Go's transport asked for it), the SubjectAccessReview `status` decoded leniently, and
//! failures classified for the retry policy by walking the error chain.

use std::io::Read;

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;

use crate::authz::guard::{Answer, CallError, CallErrorKind};

/// Answers larger than this (compressed or not) are refused.
pub(super) const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Inflates a gzip answer, refusing more than [`MAX_ANSWER_BYTES`] of it.
pub(super) fn gunzip(bytes: &[u8]) -> Result<Bytes, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_ANSWER_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    if out.len() > MAX_ANSWER_BYTES {
        return Err(format!(
            "the answer inflates to more than {MAX_ANSWER_BYTES} bytes"
        ));
    }
    Ok(Bytes::from(out))
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

pub(super) fn decode_answer(bytes: &[u8]) -> Result<Answer, String> {
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
pub(super) fn status_error(
    url: &str,
    status: StatusCode,
    retry_after: bool,
    body: &[u8],
) -> CallError {
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

pub(super) fn transport_error(url: &str, error: &hyper_util::client::legacy::Error) -> CallError {
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
pub(super) fn source_is_reset(error: &(dyn std::error::Error + 'static)) -> bool {
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
