//! The strict decode of the JSON document into the versioned Go types
//! (`v1.AuthorizationConfiguration` and the structs under it, identical in v1alpha1 and
//! v1beta1), as `sigs.k8s.io/json.UnmarshalStrict` does it. Its rules, from its `decode.go`:
//!
//! - keys match field names exactly (case-sensitive); an unknown key is a strict error naming
//!   its path (`authorizers[0].mode`), and so is a key given twice in one object;
//! - a value of the wrong JSON kind is a type error; the first one is kept and decoding goes on;
//!   its message names the innermost Go struct holding the field and the dotted JSON path from
//!   the top (array indices are not part of it), as Go's `UnmarshalTypeError` prints it:
//!   `json: cannot unmarshal string into Go struct field WebhookConfiguration.authorizers.webhook.cacheAuthorizedRequests of type bool`;
//! - `null` sets a pointer, slice or map to nil and leaves a string, bool or struct alone;
//! - a `metav1.Duration` decodes itself: it reads the value into a Go `string` (so a non-string
//!   is `json: cannot unmarshal number into ... of type string`, and `null` is the empty string)
//!   and parses it with `time.ParseDuration`; its error stops decoding at once and replaces any
//!   type error kept so far;
//! - any type error beats the strict errors, which are only reported when there is none.

use super::super::types::{
    AuthorizationConfiguration, AuthorizerConfiguration, WebhookConfiguration,
    WebhookConnectionInfo, WebhookMatchCondition,
};
use super::value::Value;
use crate::go::Duration;

/// At most this many strict errors are kept, as upstream.
const MAX_STRICT_ERRORS: usize = 100;

/// What the strict decode found when it did not stop at a type error.
pub(crate) struct Decoded {
    /// The decoded configuration (meaningful only without strict errors).
    pub config: AuthorizationConfiguration,
    /// Unknown and duplicate fields, each as `unknown field "authorizers[0].mode"`.
    pub strict_errors: Vec<String>,
}

/// Decodes `value` into the types of API version `package` (`v1`, `v1beta1`, `v1alpha1`; it
/// only appears in Go type names). `Err` is the message of the type or duration error that
/// made kube-apiserver refuse the file.
pub(crate) fn decode(value: &Value, package: &'static str) -> Result<Decoded, String> {
    let mut decoder = Decoder {
        package,
        saved: None,
        strict: Vec::new(),
        error_struct: None,
        field_stack: Vec::new(),
        strict_stack: Vec::new(),
    };
    let mut config = AuthorizationConfiguration::default();
    decoder.root(value, &mut config)?;
    match decoder.saved {
        Some(error) => Err(error),
        None => Ok(Decoded {
            config,
            strict_errors: decoder.strict,
        }),
    }
}

struct Decoder {
    package: &'static str,
    /// The first type error (`savedError`).
    saved: Option<String>,
    strict: Vec<String>,
    /// `errorContext.Struct`: the Go struct whose field is being decoded.
    error_struct: Option<&'static str>,
    /// `errorContext.FieldStack`: JSON names from the top.
    field_stack: Vec<&'static str>,
    /// `strictFieldStack`: `authorizers`, `[0]`, `.`, `name`...
    strict_stack: Vec<String>,
}

/// The Go type of a field, as `reflect.Type.String` prints it in type errors.
enum GoType {
    String,
    Bool,
    /// `v1.<name>`.
    Struct(&'static str),
    /// `[]v1.<name>`.
    Slice(&'static str),
}

type Entries = [(String, Value)];

impl Decoder {
    fn type_name(&self, go_type: &GoType) -> String {
        match go_type {
            GoType::String => "string".to_owned(),
            GoType::Bool => "bool".to_owned(),
            GoType::Struct(name) => format!("{}.{name}", self.package),
            GoType::Slice(name) => format!("[]{}.{name}", self.package),
        }
    }

    /// `UnmarshalTypeError.Error()` with the current error context.
    fn type_error(&self, value: &Value, go_type: &GoType) -> String {
        let go_type = self.type_name(go_type);
        if self.error_struct.is_none() && self.field_stack.is_empty() {
            format!(
                "json: cannot unmarshal {} into Go value of type {go_type}",
                value.kind()
            )
        } else {
            format!(
                "json: cannot unmarshal {} into Go struct field {}.{} of type {go_type}",
                value.kind(),
                self.error_struct.unwrap_or_default(),
                self.field_stack.join(".")
            )
        }
    }

    /// `saveError`: keeps the first type error; decoding goes on.
    fn save(&mut self, value: &Value, go_type: GoType) {
        if self.saved.is_none() {
            self.saved = Some(self.type_error(value, &go_type));
        }
    }

    fn strict_error(&mut self, kind: &str, field: &str) {
        let path = if self.strict_stack.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.strict_stack.concat())
        };
        let error = format!("{kind} {}", crate::go::quote(&path));
        if self.strict.len() < MAX_STRICT_ERRORS && !self.strict.contains(&error) {
            self.strict.push(error);
        }
    }

    /// The fields of one JSON object decoded into the Go struct `struct_name` whose JSON field
    /// names are `names`; `field` decodes the value of field `i`.
    fn fields(
        &mut self,
        entries: &Entries,
        struct_name: &'static str,
        names: &'static [&'static str],
        mut field: impl FnMut(&mut Self, usize, &Value) -> Result<(), String>,
    ) -> Result<(), String> {
        let (outer_struct, outer_len, outer_strict) = (
            self.error_struct,
            self.field_stack.len(),
            self.strict_stack.len(),
        );
        let mut seen = vec![false; names.len()];
        for (key, value) in entries {
            let Some(i) = names.iter().position(|name| name == key) else {
                self.strict_error("unknown field", key);
                continue;
            };
            let name = names[i];
            if seen[i] {
                self.strict_error("duplicate field", name);
            }
            seen[i] = true;
            self.error_struct = Some(struct_name);
            self.field_stack.push(name);
            if !self.strict_stack.is_empty() {
                self.strict_stack.push(".".to_owned());
            }
            self.strict_stack.push(name.to_owned());
            // INVARIANT: on an error that stops decoding the context is left as it is: that
            // error already carries it, as upstream's does.
            field(self, i, value)?;
            self.error_struct = outer_struct;
            self.field_stack.truncate(outer_len);
            self.strict_stack.truncate(outer_strict);
        }
        Ok(())
    }

    /// A Go `string` field.
    fn string(&mut self, value: &Value, out: &mut Option<String>) {
        match value {
            Value::String(s) => *out = Some(s.clone()),
            Value::Null => {}
            other => self.save(other, GoType::String),
        }
    }

    /// A Go `*string` field: `null` makes it nil.
    fn string_pointer(&mut self, value: &Value, out: &mut Option<String>) {
        match value {
            Value::Null => *out = None,
            other => self.string(other, out),
        }
    }

    /// A Go `*bool` field.
    fn bool_pointer(&mut self, value: &Value, out: &mut Option<bool>) {
        match value {
            Value::Bool(b) => *out = Some(*b),
            Value::Null => *out = None,
            other => self.save(other, GoType::Bool),
        }
    }

    /// A `metav1.Duration` field: `Duration.UnmarshalJSON`.
    fn duration(&mut self, value: &Value, out: &mut Option<Duration>) -> Result<(), String> {
        let text = match value {
            Value::String(s) => s.as_str(),
            Value::Null => "",
            other => return Err(self.type_error(other, &GoType::String)),
        };
        *out = Some(Duration::parse(text).map_err(|e| e.to_string())?);
        Ok(())
    }

    /// A struct value: its fields when `value` is an object; `null` leaves it alone.
    fn object<'v>(&mut self, value: &'v Value, name: &'static str) -> Option<&'v Entries> {
        match value {
            Value::Object(entries) => Some(entries),
            Value::Null => None,
            other => {
                self.save(other, GoType::Struct(name));
                None
            }
        }
    }

    /// A slice of structs: `null` makes it nil; each element is decoded into a zero value.
    fn slice<T: Default>(
        &mut self,
        value: &Value,
        name: &'static str,
        out: &mut Option<Vec<T>>,
        mut element: impl FnMut(&mut Self, &Value, &mut T) -> Result<(), String>,
    ) -> Result<(), String> {
        let items = match value {
            Value::Array(items) => items,
            Value::Null => {
                *out = None;
                return Ok(());
            }
            other => {
                self.save(other, GoType::Slice(name));
                return Ok(());
            }
        };
        let mut list = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let depth = self.strict_stack.len();
            self.strict_stack.push(format!("[{i}]"));
            let mut decoded = T::default();
            element(self, item, &mut decoded)?;
            list.push(decoded);
            self.strict_stack.truncate(depth);
        }
        *out = Some(list);
        Ok(())
    }

    fn root(&mut self, value: &Value, out: &mut AuthorizationConfiguration) -> Result<(), String> {
        let Some(entries) = self.object(value, "AuthorizationConfiguration") else {
            return Ok(());
        };
        // `apiVersion` and `kind` come from the embedded `metav1.TypeMeta`.
        const NAMES: &[&str] = &["apiVersion", "kind", "authorizers"];
        self.fields(entries, "AuthorizationConfiguration", NAMES, |d, i, v| {
            match i {
                0 => d.string(v, &mut out.api_version),
                1 => d.string(v, &mut out.kind),
                _ => d.slice(
                    v,
                    "AuthorizerConfiguration",
                    &mut out.authorizers,
                    |d, v, a| d.authorizer(v, a),
                )?,
            }
            Ok(())
        })
    }

    fn authorizer(
        &mut self,
        value: &Value,
        out: &mut AuthorizerConfiguration,
    ) -> Result<(), String> {
        let Some(entries) = self.object(value, "AuthorizerConfiguration") else {
            return Ok(());
        };
        const NAMES: &[&str] = &["type", "name", "webhook"];
        self.fields(entries, "AuthorizerConfiguration", NAMES, |d, i, v| {
            match i {
                0 => d.string(v, &mut out.kind),
                1 => d.string(v, &mut out.name),
                // `*WebhookConfiguration`: `null` makes it nil, an object fills it (a second
                // `webhook` key fills the same one).
                _ => match v {
                    Value::Null => out.webhook = None,
                    Value::Object(entries) => {
                        let webhook = out.webhook.get_or_insert_with(Default::default);
                        d.webhook(entries, webhook)?;
                    }
                    other => d.save(other, GoType::Struct("WebhookConfiguration")),
                },
            }
            Ok(())
        })
    }

    fn webhook(&mut self, entries: &Entries, out: &mut WebhookConfiguration) -> Result<(), String> {
        const NAMES: &[&str] = &[
            "authorizedTTL",
            "cacheAuthorizedRequests",
            "unauthorizedTTL",
            "cacheUnauthorizedRequests",
            "timeout",
            "subjectAccessReviewVersion",
            "matchConditionSubjectAccessReviewVersion",
            "failurePolicy",
            "connectionInfo",
            "matchConditions",
        ];
        self.fields(entries, "WebhookConfiguration", NAMES, |d, i, v| {
            match i {
                0 => d.duration(v, &mut out.authorized_ttl)?,
                1 => d.bool_pointer(v, &mut out.cache_authorized_requests),
                2 => d.duration(v, &mut out.unauthorized_ttl)?,
                3 => d.bool_pointer(v, &mut out.cache_unauthorized_requests),
                4 => d.duration(v, &mut out.timeout)?,
                5 => d.string(v, &mut out.subject_access_review_version),
                6 => d.string(v, &mut out.match_condition_subject_access_review_version),
                7 => d.string(v, &mut out.failure_policy),
                8 => d.connection_info(v, &mut out.connection_info)?,
                _ => d.slice(
                    v,
                    "WebhookMatchCondition",
                    &mut out.match_conditions,
                    |d, v, c| d.match_condition(v, c),
                )?,
            }
            Ok(())
        })
    }

    fn connection_info(
        &mut self,
        value: &Value,
        out: &mut WebhookConnectionInfo,
    ) -> Result<(), String> {
        let Some(entries) = self.object(value, "WebhookConnectionInfo") else {
            return Ok(());
        };
        const NAMES: &[&str] = &["type", "kubeConfigFile"];
        self.fields(entries, "WebhookConnectionInfo", NAMES, |d, i, v| {
            match i {
                0 => d.string(v, &mut out.kind),
                _ => d.string_pointer(v, &mut out.kube_config_file),
            }
            Ok(())
        })
    }

    fn match_condition(
        &mut self,
        value: &Value,
        out: &mut WebhookMatchCondition,
    ) -> Result<(), String> {
        let Some(entries) = self.object(value, "WebhookMatchCondition") else {
            return Ok(());
        };
        self.fields(
            entries,
            "WebhookMatchCondition",
            &["expression"],
            |d, _, v| {
                let mut expression = None;
                d.string(v, &mut expression);
                if let Some(expression) = expression {
                    out.expression = expression;
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::value::parse_json;
    use super::*;

    fn run(json: &str) -> Result<Vec<String>, String> {
        let value = parse_json(json).expect("json");
        decode(&value, "v1").map(|d| d.strict_errors)
    }

    #[test]
    fn context_names_the_innermost_struct_and_the_path_without_indices() {
        let json = r#"{"authorizers": [{"type": "Webhook"}, {"webhook": {"matchConditions": [{"expression": "a"}, {"expression": false}]}}]}"#;
        assert_eq!(
            run(json),
            Err("json: cannot unmarshal bool into Go struct field WebhookMatchCondition.authorizers.webhook.matchConditions.expression of type string".into())
        );
        assert_eq!(
            run(r#"{"authorizers": 1}"#),
            Err("json: cannot unmarshal number into Go struct field AuthorizationConfiguration.authorizers of type []v1.AuthorizerConfiguration".into())
        );
        assert_eq!(
            run(r#"[]"#),
            Err(
                "json: cannot unmarshal array into Go value of type v1.AuthorizationConfiguration"
                    .into()
            )
        );
    }

    #[test]
    fn strict_errors_carry_indices_and_are_deduplicated() {
        let json = r#"{"authorizers": [{"type": "RBAC"}, {"webhook": {"matchConditions": [{}, {"expresion": "a", "expresion": "b"}], "Timeout": "1s"}, "mode": 1, "mode": 2}], "x": {"y": 1}}"#;
        assert_eq!(
            run(json),
            Ok(vec![
                r#"unknown field "authorizers[1].webhook.matchConditions[1].expresion""#.to_owned(),
                r#"unknown field "authorizers[1].webhook.Timeout""#.to_owned(),
                r#"unknown field "authorizers[1].mode""#.to_owned(),
                r#"unknown field "x""#.to_owned(),
            ])
        );
        assert_eq!(
            run(r#"{"kind": "a", "kind": "b"}"#),
            Ok(vec![r#"duplicate field "kind""#.to_owned()])
        );
    }

    #[test]
    fn nulls_follow_go() {
        let value = parse_json(
            r#"{"authorizers": [null, {"type": null, "webhook": {"cacheAuthorizedRequests": null, "connectionInfo": null, "matchConditions": null, "timeout": "1s"}}]}"#,
        )
        .expect("json");
        let config = decode(&value, "v1").expect("decodes").config;
        let authorizers = config.authorizers.expect("authorizers");
        assert_eq!(authorizers[0], AuthorizerConfiguration::default());
        let webhook = authorizers[1].webhook.clone().expect("webhook");
        assert_eq!(webhook.cache_authorized_requests, None);
        assert_eq!(webhook.connection_info, WebhookConnectionInfo::default());
        assert_eq!(webhook.match_conditions, None);
        assert_eq!(
            run(r#"{"authorizers": [{"webhook": {"timeout": null}}]}"#),
            Err("time: invalid duration \"\"".into())
        );
    }
}
