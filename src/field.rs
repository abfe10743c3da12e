//! Kubernetes field errors (`apimachinery/pkg/util/validation/field`), shared by configuration
//! validation, SubjectAccessReview validation and selector parsing, printed exactly as upstream:
//! `authorizers[0].timeout: Required value`,
//! `authorizers[1].name: Duplicate value: "rbac"`,
//! `authorizers[0].type: Unsupported value: "Foo": supported values: "ABAC", "AlwaysAllow"`.
//!
//! The bad value is printed as apimachinery's `Error.ErrorBody` prints it: a Go `string` with
//! `%q`; `int64`, `int32`, floats and `bool` with `%v`; anything else (structs, pointers, slices,
//! maps, named string types) as `json.Marshal` of the value. Go falls back to `String()` and then
//! `%#v` only when marshalling fails, which no value reported here can make it do, so there is no
//! way to print Go syntax.

use std::fmt;

use crate::go::{GoJson, json_strings, quote};

/// The kind of a field error, printed as its Kubernetes text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldErrorType {
    /// `Required value`.
    Required,
    /// `Invalid value`.
    Invalid,
    /// `Unsupported value`.
    NotSupported,
    /// `Duplicate value`.
    Duplicate,
    /// `Too many`.
    TooMany,
    /// `Internal error`.
    Internal,
    /// `Forbidden`.
    Forbidden,
}

impl FieldErrorType {
    fn as_str(self) -> &'static str {
        match self {
            FieldErrorType::Required => "Required value",
            FieldErrorType::Invalid => "Invalid value",
            FieldErrorType::NotSupported => "Unsupported value",
            FieldErrorType::Duplicate => "Duplicate value",
            FieldErrorType::TooMany => "Too many",
            FieldErrorType::Internal => "Internal error",
            FieldErrorType::Forbidden => "Forbidden",
        }
    }
}

/// The offending value, printed as Go's field errors print it (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadValue {
    /// No value shown.
    Omit,
    /// A Go `string`, printed with `%q`.
    Str(String),
    /// An integer, printed plainly (`%v` of `int64`/`int32`, `json.Marshal` of `int`: the same).
    Int(i64),
    /// A Go `[]string`, printed as JSON; `None` is a nil slice (`null`).
    List(Option<Vec<String>>),
    /// Any other value (a struct, a pointer to one, a map), printed as `json.Marshal` prints it:
    /// an internal API struct without `json` tags gives `{"Type":"Foo","KubeConfigFile":null}`.
    Json(GoJson),
}

/// One validation error at a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field path (`authorizers[0].timeout`).
    pub path: String,
    /// What kind of error.
    pub kind: FieldErrorType,
    /// The offending value.
    pub value: BadValue,
    /// Extra explanation, possibly empty.
    pub detail: String,
}

impl FieldError {
    /// `Required value[: detail]`.
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Required, BadValue::Omit, detail)
    }

    /// `Invalid value: "value": detail`.
    pub fn invalid(
        path: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(
            path,
            FieldErrorType::Invalid,
            BadValue::Str(value.into()),
            detail,
        )
    }

    /// `Invalid value: <value>: detail` for any kind of value.
    pub fn invalid_value(
        path: impl Into<String>,
        value: BadValue,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(path, FieldErrorType::Invalid, value, detail)
    }

    /// `Unsupported value: "value": supported values: "a", "b"`.
    pub fn not_supported(path: impl Into<String>, value: BadValue, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(path, FieldErrorType::NotSupported, value, detail)
    }

    /// `Duplicate value: "value"`.
    pub fn duplicate(path: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(
            path,
            FieldErrorType::Duplicate,
            BadValue::Str(value.into()),
            "",
        )
    }

    /// `Too many: actual: must have at most max items`.
    pub fn too_many(path: impl Into<String>, actual: usize, max: usize) -> Self {
        Self::new(
            path,
            FieldErrorType::TooMany,
            BadValue::Int(i64::try_from(actual).unwrap_or(i64::MAX)),
            format!("must have at most {max} items"),
        )
    }

    /// `Internal error: detail`.
    pub fn internal(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Internal, BadValue::Omit, detail)
    }

    /// `Forbidden: detail`.
    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Forbidden, BadValue::Omit, detail)
    }

    /// Go's `ErrorBody()`: the message without the leading field path.
    pub fn body(&self) -> String {
        let full = self.to_string();
        full[self.path.len() + 2..].to_owned()
    }

    fn new(
        path: impl Into<String>,
        kind: FieldErrorType,
        value: BadValue,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            path: path.into(),
            kind,
            value,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind.as_str())?;
        let shows_value = !matches!(
            self.kind,
            FieldErrorType::Required | FieldErrorType::Internal | FieldErrorType::Forbidden
        );
        if shows_value {
            match &self.value {
                BadValue::Omit => {}
                BadValue::Str(s) => write!(f, ": {}", quote(s))?,
                BadValue::Int(i) => write!(f, ": {i}")?,
                BadValue::List(values) => write!(f, ": {}", json_strings(values.as_deref()))?,
                BadValue::Json(value) => write!(f, ": {value}")?,
            }
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_apimachinery() {
        let cases = [
            (
                FieldError::required("authorizers[0].timeout", ""),
                "authorizers[0].timeout: Required value",
            ),
            (
                FieldError::required("authorizers[0].webhook", "required when type=Webhook"),
                "authorizers[0].webhook: Required value: required when type=Webhook",
            ),
            (
                FieldError::duplicate("authorizers[1].name", "rbac"),
                r#"authorizers[1].name: Duplicate value: "rbac""#,
            ),
            (
                FieldError::invalid("authorizers[0].timeout", "31s", "must be > 0s and <= 30s"),
                r#"authorizers[0].timeout: Invalid value: "31s": must be > 0s and <= 30s"#,
            ),
            (
                FieldError::not_supported("x", BadValue::Str("v2".into()), &["v1", "v1beta1"]),
                r#"x: Unsupported value: "v2": supported values: "v1", "v1beta1""#,
            ),
            (
                FieldError::too_many("m", 65, 64),
                "m: Too many: 65: must have at most 64 items",
            ),
            (FieldError::internal("e", "boom"), "e: Internal error: boom"),
        ];
        for (error, want) in cases {
            assert_eq!(error.to_string(), want);
        }
    }

    /// Struct-valued bad values are `json.Marshal` output, never Go syntax: Go's escaping of
    /// strings inside JSON (`\u003c`, `\u0001`) differs from `%q` (`<`, `\x01`).
    #[test]
    fn struct_values_print_as_json() {
        let connection = |kind: &str, file: Option<&str>| {
            BadValue::Json(GoJson::Object(vec![
                ("Type".into(), GoJson::Str(kind.into())),
                ("KubeConfigFile".into(), GoJson::opt_str(file)),
            ]))
        };
        let supported = ["InClusterConfig", "KubeConfigFile"];
        let cases = [
            (
                FieldError::not_supported("c.type", connection("Service", None), &supported),
                r#"c.type: Unsupported value: {"Type":"Service","KubeConfigFile":null}: supported values: "InClusterConfig", "KubeConfigFile""#,
            ),
            (
                FieldError::not_supported(
                    "c.type",
                    connection("<a>\u{1}", Some("/k&c")),
                    &supported,
                ),
                r#"c.type: Unsupported value: {"Type":"\u003ca\u003e\u0001","KubeConfigFile":"/k\u0026c"}: supported values: "InClusterConfig", "KubeConfigFile""#,
            ),
            (
                FieldError::invalid_value(
                    "spec.nonResourceAttributes",
                    BadValue::Json(GoJson::Object(vec![
                        ("Path".into(), GoJson::Str("/é".into())),
                        ("Verb".into(), GoJson::Str("get".into())),
                    ])),
                    "cannot be specified in combination with resourceAttributes",
                ),
                r#"spec.nonResourceAttributes: Invalid value: {"Path":"/é","Verb":"get"}: cannot be specified in combination with resourceAttributes"#,
            ),
            (
                FieldError::invalid_value("values", BadValue::List(None), "empty"),
                "values: Invalid value: null: empty",
            ),
            (
                FieldError::invalid("name", "<a>\u{1}", "bad"),
                r#"name: Invalid value: "<a>\x01": bad"#,
            ),
        ];
        for (error, want) in cases {
            assert_eq!(error.to_string(), want);
        }
    }
}
