//! `apiVersion` and `kind` as the serializer's `SimpleMetaFactory.Interpret` reads them before
//! anything else: Go's standard `encoding/json` unmarshals the whole document into an anonymous
//! struct of two `string` fields, matching keys exactly or else case-insensitively (`KIND`
//! counts). A value of the wrong kind there is the first error a file can get.

use super::value::Value;

/// `reflect.Type.String()` of the anonymous struct `Interpret` decodes into.
const FIND_KIND: &str = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;

/// The group/version and kind a document declares (empty when absent).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TypeMeta {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
}

/// Reads `apiVersion` and `kind`; `Err` is the message kube-apiserver prints.
pub(crate) fn interpret(document: &Value) -> Result<TypeMeta, String> {
    let wrap = |error: String| format!("couldn't get version/kind; json parse error: {error}");
    let entries = match document {
        Value::Object(entries) => entries,
        Value::Null => return Ok(TypeMeta::default()),
        other => {
            return Err(wrap(format!(
                "json: cannot unmarshal {} into Go value of type {FIND_KIND}",
                other.kind()
            )));
        }
    };
    let mut meta = TypeMeta::default();
    let mut saved = None;
    for (key, value) in entries {
        let (name, out) = if field_matches(key, "apiVersion") {
            ("apiVersion", &mut meta.api_version)
        } else if field_matches(key, "kind") {
            ("kind", &mut meta.kind)
        } else {
            continue;
        };
        match value {
            Value::String(s) => *out = s.clone(),
            Value::Null => {}
            other if saved.is_none() => {
                saved = Some(format!(
                    "json: cannot unmarshal {} into Go struct field .{name} of type string",
                    other.kind()
                ));
            }
            _ => {}
        }
    }
    match saved {
        Some(error) => Err(wrap(error)),
        None => Ok(meta),
    }
}

/// `encoding/json`'s key match for an ASCII field name: exact, or equal after folding (ASCII
/// case, and the Kelvin sign and long s that fold to `k` and `s`).
fn field_matches(key: &str, name: &str) -> bool {
    if key == name {
        return true;
    }
    let fold = |c: char| match c {
        '\u{212A}' => 'K',
        '\u{17F}' => 'S',
        c => c.to_ascii_uppercase(),
    };
    key.chars().count() == name.len() && key.chars().map(fold).eq(name.chars().map(fold))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn reads_the_envelope_as_encoding_json() {
        let s = |v: &str| Value::String(v.to_owned());
        assert_eq!(
            interpret(&object(&[("apiVersion", s("a/v1")), ("KIND", s("K"))])),
            Ok(TypeMeta {
                api_version: "a/v1".into(),
                kind: "K".into()
            })
        );
        assert_eq!(
            interpret(&object(&[("apiVerſion", s("x")), ("\u{212A}ind", s("y"))])),
            Ok(TypeMeta {
                api_version: "x".into(),
                kind: "y".into()
            })
        );
        assert_eq!(interpret(&Value::Null), Ok(TypeMeta::default()));
        assert_eq!(
            interpret(&object(&[("kind", Value::Bool(true)), ("apiVersion", Value::Number(1.0))])),
            Err("couldn't get version/kind; json parse error: json: cannot unmarshal bool into Go struct field .kind of type string".to_owned())
        );
        assert_eq!(
            interpret(&Value::Array(vec![])),
            Err(format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type {FIND_KIND}"
            ))
        );
    }
}
