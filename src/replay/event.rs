//! The audit event (`audit.k8s.io/v1` and `v1beta1`, kind `Event`), decoded with borrowed strings:
//! only the fields replay reads, everything else (request and response bodies above all) is
//! skipped by the decoder without being stored. Strings borrow from the line they were read from
//! unless they contain JSON escapes (`\u0026` in every query string), in which case they are owned.
//!
//! Events from the audit webhook backend have no `apiVersion` or `kind`, and are accepted as such.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The annotation kube-apiserver's authorization filter records the decision in.
pub const DECISION_ANNOTATION: &str = "authorization.k8s.io/decision";
/// The annotation with the authorizer's reason (or `internal error`).
pub const REASON_ANNOTATION: &str = "authorization.k8s.io/reason";

/// A string borrowed from the input when it has no escapes, owned otherwise. (Serde borrows a
/// bare `Cow<str>` field, but not one inside `Option` or `Vec`.)
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// One audit event, as far as replay reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawEvent<'a> {
    /// `Event` (absent in the webhook backend's form).
    #[serde(borrow, default)]
    pub kind: Option<Text<'a>>,
    /// `audit.k8s.io/v1` or `v1beta1` (absent in the webhook backend's form).
    #[serde(borrow, default)]
    pub api_version: Option<Text<'a>>,
    /// Shared by every stage of one request.
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Option<Text<'a>>,
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    #[serde(borrow, default)]
    pub stage: Option<Text<'a>>,
    /// The request URI as the client sent it, query included.
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Option<Text<'a>>,
    /// The Kubernetes verb (`list`, `watch`, ...), or the lower-cased HTTP method for
    /// non-resource requests.
    #[serde(borrow, default)]
    pub verb: Option<Text<'a>>,
    /// The authenticated user.
    #[serde(borrow, default)]
    pub user: Option<RawUser<'a>>,
    /// The user the request ran as, when impersonation succeeded.
    #[serde(borrow, default)]
    pub impersonated_user: Option<RawUser<'a>>,
    /// The resource, for resource requests.
    #[serde(borrow, default)]
    pub object_ref: Option<RawObjectRef<'a>>,
    /// The response status.
    #[serde(borrow, default)]
    pub response_status: Option<RawStatus<'a>>,
    /// Annotations; only the authorization ones are kept.
    #[serde(borrow, default)]
    pub annotations: Option<RawAnnotations<'a>>,
    /// How impersonation was authorized (1.35+).
    #[serde(borrow, default)]
    pub authentication_metadata: Option<RawAuthenticationMetadata<'a>>,
    /// When the request arrived (RFC 3339).
    #[serde(borrow, default)]
    pub request_received_timestamp: Option<Text<'a>>,
}

/// `authentication/v1.UserInfo`.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "an object")]
pub struct RawUser<'a> {
    /// The user name.
    #[serde(borrow, default)]
    pub username: Option<Text<'a>>,
    /// The UID.
    #[serde(borrow, default)]
    pub uid: Option<Text<'a>>,
    /// Groups, in order.
    #[serde(borrow, default)]
    pub groups: Option<Vec<Text<'a>>>,
    /// Extra attributes.
    #[serde(borrow, default)]
    pub extra: Option<BTreeMap<Text<'a>, Option<Vec<Text<'a>>>>>,
}

/// `audit.ObjectReference`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "an object")]
pub struct RawObjectRef<'a> {
    /// The resource (`pods`).
    #[serde(borrow, default)]
    pub resource: Option<Text<'a>>,
    /// The namespace (may have been completed from the request body).
    #[serde(borrow, default)]
    pub namespace: Option<Text<'a>>,
    /// The name (may have been completed from the request body).
    #[serde(borrow, default)]
    pub name: Option<Text<'a>>,
    /// The API group; empty or absent for the core group.
    #[serde(borrow, default)]
    pub api_group: Option<Text<'a>>,
    /// The API version.
    #[serde(borrow, default)]
    pub api_version: Option<Text<'a>>,
    /// The subresource.
    #[serde(borrow, default)]
    pub subresource: Option<Text<'a>>,
}

/// The parts of `metav1.Status` replay reads.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "an object")]
pub struct RawStatus<'a> {
    /// The HTTP status code.
    #[serde(default)]
    pub code: Option<i64>,
    /// The error message (names the refused impersonation check).
    #[serde(borrow, default)]
    pub message: Option<Text<'a>>,
}

/// The authorization annotations.
#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "an object")]
pub struct RawAnnotations<'a> {
    /// `allow` or `forbid`.
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    pub decision: Option<Text<'a>>,
    /// The authorizer's reason.
    #[serde(borrow, default, rename = "authorization.k8s.io/reason")]
    pub reason: Option<Text<'a>>,
}

/// `audit.AuthenticationMetadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[serde(expecting = "an object")]
pub struct RawAuthenticationMetadata<'a> {
    /// The verb that allowed impersonation (`impersonate:user-info`); absent for legacy
    /// impersonation.
    #[serde(borrow, default)]
    pub impersonation_constraint: Option<Text<'a>>,
}

/// The four audit stages, ranked by how much of the request they describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Logged before the request was handled: no impersonation or decision yet.
    RequestReceived,
    /// Response headers sent (long-running requests such as watches).
    ResponseStarted,
    /// The handler panicked.
    Panic,
    /// The response was completed.
    ResponseComplete,
}

impl Stage {
    /// Parses a stage name.
    pub fn parse(text: &str) -> Option<Stage> {
        Some(match text {
            "RequestReceived" => Stage::RequestReceived,
            "ResponseStarted" => Stage::ResponseStarted,
            "ResponseComplete" => Stage::ResponseComplete,
            "Panic" => Stage::Panic,
            _ => return None,
        })
    }

    /// The stage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RequestReceived => "RequestReceived",
            Stage::ResponseStarted => "ResponseStarted",
            Stage::ResponseComplete => "ResponseComplete",
            Stage::Panic => "Panic",
        }
    }

    /// Preference when one auditID has several stages: ResponseComplete, then ResponseStarted or
    /// Panic, then RequestReceived.
    pub fn rank(self) -> u8 {
        match self {
            Stage::RequestReceived => 0,
            Stage::ResponseStarted | Stage::Panic => 1,
            Stage::ResponseComplete => 2,
        }
    }

    /// No later stage of the same request follows this one.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::ResponseComplete | Stage::Panic)
    }
}

/// Why a JSON document is not an audit event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnEvent {
    /// The document is not JSON, or not of the expected shape.
    #[error("{0}")]
    Json(String),
    /// A field of the event has the wrong type.
    #[error("`{field}`: {message}")]
    Field {
        /// The top-level field (`user`, `objectRef`).
        field: String,
        /// What is wrong in it.
        message: String,
    },
    /// A `kind` other than `Event`.
    #[error("not an audit event: kind `{0}`")]
    Kind(String),
    /// An `apiVersion` outside `audit.k8s.io`.
    #[error("not an audit event: apiVersion `{0}`")]
    ApiVersion(String),
    /// No `auditID`.
    #[error("not an audit event: no auditID")]
    NoAuditId,
}

/// Decodes one JSON document into an event, checking `kind` and `apiVersion` when present.
pub fn decode(bytes: &[u8]) -> Result<RawEvent<'_>, NotAnEvent> {
    let event: RawEvent<'_> = serde_json::from_slice(bytes).map_err(|e| json_error(bytes, &e))?;
    if let Some(kind) = &event.kind
        && &**kind != "Event"
    {
        return Err(NotAnEvent::Kind(kind.to_string()));
    }
    if let Some(version) = &event.api_version
        && !version.starts_with("audit.k8s.io/")
    {
        return Err(NotAnEvent::ApiVersion(version.to_string()));
    }
    match &event.audit_id {
        Some(id) if !id.is_empty() => Ok(event),
        _ => Err(NotAnEvent::NoAuditId),
    }
}

/// Names the field a decoding error is in: serde_json says what is wrong and at which column,
/// not in which field. Only on the error path, the document is parsed again and each top-level
/// field decoded alone.
fn json_error(bytes: &[u8], error: &serde_json::Error) -> NotAnEvent {
    if error.is_data()
        && let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(bytes)
    {
        for (field, value) in fields {
            let alone = serde_json::Value::Object([(field.clone(), value)].into_iter().collect());
            if let Err(error) = RawEvent::deserialize(&alone) {
                return NotAnEvent::Field {
                    field,
                    message: error.to_string(),
                };
            }
        }
    }
    NotAnEvent::Json(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_owns_escaped_ones() {
        let line = br#"{"auditID":"a","stage":"ResponseComplete","requestURI":"/api/v1/pods?a=1\u0026b=2","verb":"list","user":{"username":"alice","groups":["g"]},"annotations":{"authorization.k8s.io/decision":"allow","other":"x"},"requestObject":{"deep":[1,2,{"x":null}]}}"#;
        let event = decode(line).expect("decodes");
        assert!(matches!(event.audit_id, Some(Text(Cow::Borrowed("a")))));
        assert_eq!(
            event.request_uri.as_deref(),
            Some("/api/v1/pods?a=1&b=2"),
            "escapes decoded"
        );
        assert!(matches!(event.request_uri, Some(Text(Cow::Owned(_)))));
        let annotations = event.annotations.expect("annotations");
        assert_eq!(annotations.decision.as_deref(), Some("allow"));
    }

    #[test]
    fn checks_kind_version_and_audit_id() {
        let cases: [(&str, &[u8], Option<NotAnEvent>); 5] = [
            ("webhook form", br#"{"auditID":"x"}"#, None),
            (
                "v1beta1",
                br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","auditID":"x"}"#,
                None,
            ),
            (
                "other kind",
                br#"{"kind":"Pod","auditID":"x"}"#,
                Some(NotAnEvent::Kind("Pod".into())),
            ),
            (
                "other version",
                br#"{"apiVersion":"v1","auditID":"x"}"#,
                Some(NotAnEvent::ApiVersion("v1".into())),
            ),
            (
                "no id",
                br#"{"stage":"Panic"}"#,
                Some(NotAnEvent::NoAuditId),
            ),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(decode(bytes).err(), want, "{name}");
        }
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let cases: [(&str, &[u8], &str); 4] = [
            (
                "object",
                br#"{"user": 5, "auditID": "x"}"#,
                "`user`: invalid type: integer `5`, expected an object",
            ),
            (
                "nested",
                br#"{"auditID": "x", "user": {"username": "u", "groups": [1]}}"#,
                "`user`: invalid type: integer `1`, expected a string",
            ),
            (
                "string",
                br#"{"auditID": "x", "verb": 7}"#,
                "`verb`: invalid type: integer `7`, expected a string",
            ),
            (
                "not JSON",
                br#"{"auditID": "x", "verb": }"#,
                "expected value at line 1 column 26",
            ),
        ];
        for (name, bytes, want) in cases {
            let error = decode(bytes).err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some(want), "{name}");
        }
    }

    #[test]
    fn stages_rank_as_the_issue_prefers() {
        assert!(Stage::ResponseComplete.rank() > Stage::ResponseStarted.rank());
        assert_eq!(Stage::ResponseStarted.rank(), Stage::Panic.rank());
        assert!(Stage::ResponseStarted.rank() > Stage::RequestReceived.rank());
        assert!(Stage::Panic.is_final() && !Stage::ResponseStarted.is_final());
    }
}
