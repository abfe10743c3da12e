//! Go's `encoding/json` output: string encoding (HTML-safe: `<`, `>`, `&` as `\u003c`...; U+2028
//! and U+2029 escaped; `\b` `\f` `\n` `\r` `\t` as short escapes; other control characters as
//! `\u00XX`; everything else written raw), and [`GoJson`], a value printed as `json.Marshal`
//! prints it (the form apimachinery's field errors give any bad value that is not a plain string,
//! integer, float or bool).

use std::fmt::{self, Write};

/// A Go value as `json.Marshal` encodes it, compactly.
///
/// Objects keep the order they are given in: a Go struct marshals its fields in declaration order
/// (under their JSON names, or the Go field names when the struct has no `json` tags, as internal
/// API types have none); a Go map marshals sorted by key, so give map entries sorted.
///
/// ```
/// use authz_chain::go::GoJson;
/// let info = GoJson::Object(vec![
///     ("Type".into(), GoJson::Str("Service".into())),
///     ("KubeConfigFile".into(), GoJson::Null),
/// ]);
/// assert_eq!(info.to_string(), r#"{"Type":"Service","KubeConfigFile":null}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoJson {
    /// `null`: a nil pointer, slice, map or interface.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A Go integer of any size.
    Int(i64),
    /// A number already in Go's encoding (`json.Number`, or a float formatted by the caller).
    Number(String),
    /// A string, escaped as Go escapes it.
    Str(String),
    /// A slice or array.
    Array(Vec<GoJson>),
    /// A struct (fields in declaration order) or a map (keys sorted).
    Object(Vec<(String, GoJson)>),
}

impl GoJson {
    /// `json.Marshal` of a Go `*string`: `null` when nil.
    pub fn opt_str(value: Option<&str>) -> Self {
        value.map_or(GoJson::Null, |s| GoJson::Str(s.to_owned()))
    }

    fn write(&self, out: &mut String) {
        match self {
            GoJson::Null => out.push_str("null"),
            GoJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // INVARIANT: writing to a String cannot fail.
            GoJson::Int(i) => {
                let _ = write!(out, "{i}");
            }
            GoJson::Number(n) => out.push_str(n),
            GoJson::Str(s) => write_json_string(out, s),
            GoJson::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            GoJson::Object(fields) => {
                out.push('{');
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, name);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for GoJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out);
        f.write_str(&out)
    }
}

/// `json.Marshal` of a `[]string`; `null` for a nil slice.
pub fn json_strings(values: Option<&[String]>) -> String {
    let Some(values) = values else {
        return "null".to_owned();
    };
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(&mut out, v);
    }
    out.push(']');
    out
}

/// `json.Marshal` of a `string`.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_json_string(&mut out, s);
    out
}

/// Appends `s` JSON-encoded as Go does. Strings needing no escape are copied whole.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    if !s
        .bytes()
        .enumerate()
        .any(|(i, b)| needs_escape(s.as_bytes(), i, b))
    {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    // INVARIANT: writing to a String cannot fail.
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[inline]
fn needs_escape(bytes: &[u8], i: usize, b: u8) -> bool {
    match b {
        0..=0x1f | b'"' | b'\\' | b'<' | b'>' | b'&' => true,
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        0xe2 => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{GoJson, json_string};

    #[test]
    fn escapes_like_go() {
        let cases = [
            ("plain", r#""plain""#),
            ("été 😀", r#""été 😀""#),
            ("<a&b>", r#""\u003ca\u0026b\u003e""#),
            ("q\"b\\", r#""q\"b\\""#),
            ("\n\r\t\u{8}\u{c}\u{1}", r#""\n\r\t\b\f\u0001""#),
            ("ls\u{2028}ps\u{2029}", r#""ls\u2028ps\u2029""#),
            ("\u{2027}", "\"\u{2027}\""),
        ];
        for (input, want) in cases {
            assert_eq!(json_string(input), want, "{input:?}");
        }
    }

    #[test]
    fn marshals_values_like_go() {
        // Expected values are what Go's json.Marshal prints for the equivalent Go values.
        let connection = |kind: &str, file: Option<&str>| {
            GoJson::Object(vec![
                ("Type".into(), GoJson::Str(kind.into())),
                ("KubeConfigFile".into(), GoJson::opt_str(file)),
            ])
        };
        let cases = [
            (
                connection("Foo", None),
                r#"{"Type":"Foo","KubeConfigFile":null}"#,
            ),
            (
                connection("<x>&\u{1}é", Some("/etc/k\"c")),
                r#"{"Type":"\u003cx\u003e\u0026\u0001é","KubeConfigFile":"/etc/k\"c"}"#,
            ),
            (
                GoJson::Array(vec![GoJson::Int(-3), GoJson::Bool(true), GoJson::Null]),
                "[-3,true,null]",
            ),
            (GoJson::Array(vec![]), "[]"),
            (GoJson::Object(vec![]), "{}"),
            (GoJson::Number("1e+21".into()), "1e+21"),
        ];
        for (value, want) in cases {
            assert_eq!(value.to_string(), want, "{value:?}");
        }
    }
}
