//! The headers a kubeconfig's user puts on every request, as client-go's round trippers
//! (`transport/round_trippers.go`) set them: `Authorization` from `token`/`tokenFile`
//! (`Bearer`) or `username`/`password` (`Basic`), and impersonation (`Impersonate-User`,
//! `Impersonate-Uid`, one `Impersonate-Group` per group, one `Impersonate-Extra-<key>` per extra
//! value, the key percent-escaped as `headerKeyEscape` does). All of it is computed once, when
//! the client is built, except the token file, which is re-read at most once a minute.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use http::{HeaderName, HeaderValue};

use super::WebhookError;
use crate::authz::guard::{CallError, CallErrorKind};
use crate::config::{Impersonation, WebhookConnection};
use crate::throttle::{DEFAULT_INTERVAL, LogThrottle};

/// How long a token read from `tokenFile` is used before the file is read again (client-go's
/// cached file token source: a minute).
const TOKEN_FILE_REFRESH: Duration = Duration::from_secs(60);

/// Static request credentials of one webhook.
#[derive(Debug)]
pub(super) struct RequestAuth {
    authorization: Authorization,
    impersonation: Vec<(HeaderName, HeaderValue)>,
}

/// Where `Authorization` comes from.
#[derive(Debug)]
enum Authorization {
    None,
    /// `token` or `username`/`password`.
    Static(HeaderValue),
    /// `tokenFile`, falling back to the last token read, then to `token`.
    File {
        path: PathBuf,
        fallback: Option<HeaderValue>,
        cached: Mutex<Option<(Instant, HeaderValue)>>,
    },
}

impl RequestAuth {
    /// The credentials `connection` names.
    pub(super) fn new(connection: &WebhookConnection) -> Result<Self, WebhookError> {
        let invalid = |what: &str| WebhookError::Url {
            url: connection.server.clone(),
            message: format!("the {what} is not a valid header value"),
        };
        let token = match &connection.token {
            Some(token) => Some(bearer(token).map_err(|_| invalid("token"))?),
            None => None,
        };
        let authorization = match (&connection.token_file, token, &connection.basic_auth) {
            (Some(path), fallback, _) => Authorization::File {
                path: path.clone(),
                fallback,
                cached: Mutex::new(None),
            },
            (None, Some(token), _) => Authorization::Static(token),
            (None, None, Some(basic)) => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", basic.username, basic.password));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .map_err(|_| invalid("basic authentication"))?;
                value.set_sensitive(true);
                Authorization::Static(value)
            }
            (None, None, None) => Authorization::None,
        };
        let impersonation = match &connection.impersonate {
            Some(impersonate) => {
                impersonation_headers(impersonate).map_err(|field| WebhookError::Url {
                    url: connection.server.clone(),
                    message: format!("{field} is not a valid header value"),
                })?
            }
            None => Vec::new(),
        };
        Ok(RequestAuth {
            authorization,
            impersonation,
        })
    }

    /// Whether requests carry an `Authorization` of their own (an exec plugin's token is then not
    /// asked for, as in client-go).
    pub(super) fn has_authorization(&self) -> bool {
        !matches!(self.authorization, Authorization::None)
    }

    /// Adds the headers to `request`.
    pub(super) fn apply(&self, request: &mut http::Request<impl Sized>) -> Result<(), CallError> {
        let headers = request.headers_mut();
        if let Some(value) = self.authorization()? {
            headers.insert(http::header::AUTHORIZATION, value);
        }
        for (name, value) in &self.impersonation {
            headers.append(name.clone(), value.clone());
        }
        Ok(())
    }

    fn authorization(&self) -> Result<Option<HeaderValue>, CallError> {
        match &self.authorization {
            Authorization::None => Ok(None),
            Authorization::Static(value) => Ok(Some(value.clone())),
            Authorization::File {
                path,
                fallback,
                cached,
            } => {
                let mut cached = cached.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((read, value)) = cached.as_ref()
                    && read.elapsed() < TOKEN_FILE_REFRESH
                {
                    return Ok(Some(value.clone()));
                }
                match read_token(path) {
                    Ok(value) => {
                        *cached = Some((Instant::now(), value.clone()));
                        Ok(Some(value))
                    }
                    Err(message) => {
                        let last = cached.as_ref().map(|(_, v)| v.clone());
                        match last.or_else(|| fallback.clone()) {
                            Some(value) => {
                                static THROTTLE: LogThrottle = LogThrottle::new(DEFAULT_INTERVAL);
                                if let Some(suppressed) = THROTTLE.allow() {
                                    tracing::warn!(error = %message, suppressed, "unable to rotate token; using the previous one");
                                }
                                Ok(Some(value))
                            }
                            None => Err(CallError::new(CallErrorKind::Fatal, message)),
                        }
                    }
                }
            }
        }
    }
}

fn read_token(path: &std::path::Path) -> Result<HeaderValue, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("failed to read token file {:?}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("read empty token from file {:?}", path.display()));
    }
    bearer(token).map_err(|_| {
        format!(
            "the token in {:?} is not a valid header value",
            path.display()
        )
    })
}

/// `Bearer <token>`, marked sensitive.
pub(super) fn bearer(token: &str) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The impersonation headers, in client-go's order; the error names the offending field.
fn impersonation_headers(
    impersonate: &Impersonation,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let value = |text: &str, field: &str| {
        HeaderValue::from_str(text).map_err(|_| format!("{field} {}", crate::go::quote(text)))
    };
    let mut headers = vec![(
        HeaderName::from_static("impersonate-user"),
        value(&impersonate.user, "as")?,
    )];
    if !impersonate.uid.is_empty() {
        headers.push((
            HeaderName::from_static("impersonate-uid"),
            value(&impersonate.uid, "as-uid")?,
        ));
    }
    for group in &impersonate.groups {
        headers.push((
            HeaderName::from_static("impersonate-group"),
            value(group, "as-groups")?,
        ));
    }
    for (key, values) in &impersonate.extra {
        let name = HeaderName::from_bytes(
            format!("impersonate-extra-{}", header_key_escape(key)).as_bytes(),
        )
        .map_err(|_| format!("as-user-extra key {}", crate::go::quote(key)))?;
        for extra in values {
            headers.push((name.clone(), value(extra, "as-user-extra")?));
        }
    }
    Ok(headers)
}

/// client-go's `headerKeyEscape`: every byte that is not an RFC 7230 token character, and `%`
/// itself, becomes `%XX` (upper-case hex), so that kube-apiserver can unescape the key.
pub(super) fn header_key_escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &byte in key.as_bytes() {
        let token = byte.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&byte);
        if token {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_keys_are_escaped_as_client_go_does() {
        assert_eq!(header_key_escape("scopes"), "scopes");
        assert_eq!(
            header_key_escape("example.com/with space%é"),
            "example.com%2Fwith%20space%25%C3%A9"
        );
        assert_eq!(header_key_escape("a:b=c"), "a%3Ab%3Dc");
    }

    #[test]
    fn impersonation_headers_in_order() {
        let headers = impersonation_headers(&Impersonation {
            user: "system:serviceaccount:ns:sa".into(),
            uid: "u-1".into(),
            groups: vec!["g1".into(), "g2".into()],
            extra: [("Scopes/x".to_owned(), vec!["a".to_owned(), "b".to_owned()])].into(),
        })
        .unwrap();
        let text: Vec<String> = headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect();
        assert_eq!(
            text,
            [
                "impersonate-user: system:serviceaccount:ns:sa",
                "impersonate-uid: u-1",
                "impersonate-group: g1",
                "impersonate-group: g2",
                "impersonate-extra-scopes%2fx: a",
                "impersonate-extra-scopes%2fx: b",
            ]
        );
        assert!(
            impersonation_headers(&Impersonation {
                user: "bad\nname".into(),
                ..Impersonation::default()
            })
            .is_err()
        );
    }
}
